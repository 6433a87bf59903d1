"""Severities rank like OCSF severity_id; TLP and PAP use their published names."""

from __future__ import annotations

from socflow.model.severity import PAP, SEVERITY_RANK, TLP, Severity


def test_severity_rank_follows_ocsf_from_informational_to_critical() -> None:
    assert [s.rank for s in Severity] == [1, 2, 3, 4, 5]
    assert set(SEVERITY_RANK) == set(Severity)
    assert Severity.CRITICAL.rank > Severity.HIGH.rank > Severity.LOW.rank


def test_sharing_labels_use_their_published_names() -> None:
    assert [str(t) for t in TLP] == ["clear", "green", "amber", "amber+strict", "red"]
    assert [str(p) for p in PAP] == ["clear", "green", "amber", "red"]
