"""Alert intake deduplicates by (source, source_ref); alerts change status by their table and are audited."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from socflow.cases.alerts import AlertInput, alert_tags
from socflow.cases.listing import ListQuery, SortField
from socflow.cases.observables import ObservableInput
from socflow.cases.tracker import Tracker
from socflow.errors import InvalidTransition, NotFound, ValidationFailed
from socflow.model.lifecycle import AlertStatus
from socflow.model.observable import ObservableType
from socflow.model.severity import TLP, Severity
from socflow.storage import audit

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _alert(**overrides: Any) -> AlertInput:
    values: dict[str, Any] = {
        "source": "edr",
        "source_ref": "det-1",
        "title": "Mimikatz detected",
        "severity": Severity.MEDIUM,
        "first_seen": T0,
    }
    return AlertInput(**{**values, **overrides})


def _history(tracker: Tracker, object_type: str, object_id: str) -> list[dict[str, Any]]:
    with tracker.database.session(write=False) as session:
        rows = audit.entries_for(session, object_type, object_id)
    return [
        {"action": r.action, "actor": r.actor, "before": json.loads(r.before), "after": json.loads(r.after)}
        for r in rows
    ]


def test_ingest_creates_a_new_alert(tracker: Tracker) -> None:
    row, created = tracker.alerts.ingest(
        "edr-connector", _alert(tags=["Credential-Access"], event_refs=["e1"])
    )

    assert created
    assert row.id.startswith("alert_")
    assert (row.status, row.count, row.severity, row.severity_rank) == ("new", 1, "medium", 3)
    assert (row.first_seen, row.last_seen) == (T0, T0)
    assert alert_tags(row) == ["credential-access"]
    assert row.event_refs == ["e1"]
    [entry] = _history(tracker, "alert", row.id)
    assert entry["action"] == "created"
    assert entry["actor"] == "edr-connector"
    assert entry["before"] == {}
    assert entry["after"]["source_ref"] == "det-1"
    assert entry["after"]["tags"] == ["credential-access"]


def test_ingest_again_from_the_same_source_updates_the_same_alert(tracker: Tracker) -> None:
    first, _ = tracker.alerts.ingest(
        "edr",
        _alert(
            severity=Severity.HIGH,
            tags=["lsass"],
            event_refs=["e1"],
            observables=[ObservableInput(ObservableType.IP, "10.0.0.5")],
        ),
    )
    second, created = tracker.alerts.ingest(
        "edr",
        _alert(
            title="Mimikatz detected again",
            severity=Severity.LOW,
            first_seen=T0 + timedelta(minutes=5),
            last_seen=T0 + timedelta(minutes=9),
            tags=["LSASS", "mimikatz"],
            event_refs=["e1", "e2"],
            observables=[ObservableInput(ObservableType.DOMAIN, "Evil.Example")],
        ),
    )

    assert not created
    assert second.id == first.id
    assert second.count == 2
    assert (second.first_seen, second.last_seen) == (T0, T0 + timedelta(minutes=9))
    assert second.severity == "high"  # a lower severity never lowers it
    assert second.title == "Mimikatz detected again"
    assert alert_tags(second) == ["lsass", "mimikatz"]
    assert second.event_refs == ["e1", "e2"]
    assert sorted(link.observable.value for link in second.observable_links) == ["10.0.0.5", "evil.example"]
    update = _history(tracker, "alert", first.id)[-1]
    assert update["action"] == "updated"
    assert update["before"]["count"] == 1
    assert update["after"]["count"] == 2
    assert "severity" not in update["after"]


def test_ingest_again_with_a_higher_severity_raises_it(tracker: Tracker) -> None:
    tracker.alerts.ingest("edr", _alert(severity=Severity.LOW))

    row, _ = tracker.alerts.ingest("edr", _alert(severity=Severity.CRITICAL))

    assert (row.severity, row.severity_rank) == ("critical", 5)


def test_ingest_again_with_an_older_sighting_keeps_last_seen_the_latest(tracker: Tracker) -> None:
    tracker.alerts.ingest("edr", _alert(first_seen=T0, last_seen=T0 + timedelta(hours=1)))

    row, _ = tracker.alerts.ingest("edr", _alert(first_seen=T0 - timedelta(hours=1)))

    assert (row.first_seen, row.last_seen) == (T0 - timedelta(hours=1), T0 + timedelta(hours=1))


def test_ingest_same_ref_from_different_sources_makes_different_alerts(tracker: Tracker) -> None:
    edr, _ = tracker.alerts.ingest("edr", _alert(source="edr", source_ref="42"))
    siem, created = tracker.alerts.ingest("siem", _alert(source="siem", source_ref="42"))

    assert created
    assert siem.id != edr.id
    assert tracker.alerts.get(edr.id).count == 1


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"source": " "}, "source"),
        ({"source_ref": ""}, "source_ref"),
        ({"source_ref": "r" * 201}, "source_ref"),
        ({"title": "t" * 501}, "title"),
        ({"tags": ["ok", " "]}, "tags[1]"),
        ({"last_seen": T0 - timedelta(seconds=1)}, "last_seen"),
        ({"first_seen": datetime(2026, 3, 1, 9, 0)}, "first_seen"),
        ({"last_seen": datetime(2026, 3, 1, 9, 0)}, "last_seen"),
    ],
)
def test_ingest_refuses_invalid_input_naming_the_field(
    tracker: Tracker, overrides: dict[str, Any], path: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.alerts.ingest("edr", _alert(**overrides))

    assert [issue.path for issue in caught.value.issues] == [path]
    assert tracker.alerts.search(ListQuery()).items == []


def test_ingest_reports_every_invalid_observable_at_once(tracker: Tracker) -> None:
    observables = [
        ObservableInput(ObservableType.IP, "300.1.1.1"),
        ObservableInput(ObservableType.DOMAIN, "fine.example"),
        ObservableInput(ObservableType.MD5, "abc"),
    ]

    with pytest.raises(ValidationFailed) as caught:
        tracker.alerts.ingest("edr", _alert(observables=observables))

    assert [issue.path for issue in caught.value.issues] == ["observables[0].value", "observables[2].value"]


def test_ingest_needs_an_actor(tracker: Tracker) -> None:
    with pytest.raises(ValidationFailed) as caught:
        tracker.alerts.ingest("  ", _alert())

    assert caught.value.issues[0].path == "actor"


def test_alert_get_unknown_is_not_found(tracker: Tracker) -> None:
    with pytest.raises(NotFound, match="alert 'alert_nope' does not exist"):
        tracker.alerts.get("alert_nope")


def test_alert_set_status_follows_the_table_and_records_the_reason(tracker: Tracker) -> None:
    row, _ = tracker.alerts.ingest("edr", _alert())

    suppressed = tracker.alerts.set_status("alice", row.id, AlertStatus.SUPPRESSED, reason="known scanner")

    assert suppressed.status == "suppressed"
    assert suppressed.version == 2
    entry = _history(tracker, "alert", row.id)[-1]
    assert entry == {
        "action": "status_changed",
        "actor": "alice",
        "before": {"status": "new"},
        "after": {"status": "suppressed", "reason": "known scanner"},
    }


def test_alert_set_status_refuses_an_illegal_move(tracker: Tracker) -> None:
    row, _ = tracker.alerts.ingest("edr", _alert())
    tracker.alerts.set_status("alice", row.id, AlertStatus.SUPPRESSED)

    with pytest.raises(InvalidTransition, match="allowed from 'suppressed': new, resolved"):
        tracker.alerts.set_status("alice", row.id, AlertStatus.IN_PROGRESS)

    assert tracker.alerts.get(row.id).status == "suppressed"


def test_alert_update_edits_fields_and_tags(tracker: Tracker) -> None:
    row, _ = tracker.alerts.ingest("edr", _alert(tags=["a", "b"]))

    updated = tracker.alerts.update(
        "alice", row.id, severity=Severity.LOW, tlp=TLP.RED, add_tags=["C"], remove_tags=["a"]
    )

    assert (updated.severity, updated.severity_rank, updated.tlp) == ("low", 2, "red")
    assert alert_tags(updated) == ["b", "c"]
    entry = _history(tracker, "alert", row.id)[-1]
    assert entry["before"] == {"severity": "medium", "tlp": "amber", "tags": ["a", "b"]}
    assert entry["after"] == {"severity": "low", "tlp": "red", "tags": ["b", "c"]}


def test_alert_update_without_a_change_writes_nothing(tracker: Tracker) -> None:
    row, _ = tracker.alerts.ingest("edr", _alert(tags=["a"]))

    same = tracker.alerts.update("alice", row.id, title=row.title, add_tags=["a"])

    assert same.version == 1
    assert len(_history(tracker, "alert", row.id)) == 1


def test_alert_search_filters_by_source_status_tag_severity_and_time(tracker: Tracker) -> None:
    a, _ = tracker.alerts.ingest("edr", _alert(source="edr", source_ref="1", tags=["x"]))
    b, _ = tracker.alerts.ingest(
        "siem",
        _alert(source="siem", source_ref="2", severity=Severity.HIGH, last_seen=T0 + timedelta(hours=1)),
    )
    tracker.alerts.set_status("alice", b.id, AlertStatus.RESOLVED)

    def ids(**query: Any) -> set[str]:
        return {row.id for row in tracker.alerts.search(ListQuery(**query)).items}

    assert ids(extra={"source": "siem"}) == {b.id}
    assert ids(status=["resolved"]) == {b.id}
    assert ids(tag=" X ") == {a.id}
    assert ids(severity=[Severity.MEDIUM]) == {a.id}
    assert ids(created_from=a.created_at) == {a.id, b.id}
    assert ids(created_to=a.created_at) == set()
    assert [r.id for r in tracker.alerts.search(ListQuery(sort=SortField.LAST_SEEN)).items] == [b.id, a.id]


def test_alert_search_refuses_a_naive_or_reversed_time_range(tracker: Tracker) -> None:
    with pytest.raises(ValidationFailed) as naive:
        tracker.alerts.search(ListQuery(created_from=datetime(2026, 1, 1)))
    with pytest.raises(ValidationFailed) as reversed_range:
        tracker.alerts.search(ListQuery(created_from=T0, created_to=T0 - timedelta(days=1)))

    assert naive.value.issues[0].path == "created_from"
    assert reversed_range.value.issues[0].path == "created_from"


def test_alert_search_refuses_a_sort_it_does_not_offer(tracker: Tracker) -> None:
    with pytest.raises(ValidationFailed, match="alerts cannot be sorted by 'priority'") as caught:
        tracker.alerts.search(ListQuery(sort=SortField.PRIORITY))

    assert caught.value.issues[0].path == "sort"
