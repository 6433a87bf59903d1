"""Audit entry hashing: the hash covers every field, so changing any of them changes it."""

from __future__ import annotations

import dataclasses

import pytest

from socflow.model.audit import GENESIS_HASH, AuditEntry, ChainBreak, ChainReport, canonical_json

ENTRY = AuditEntry(
    seq=7,
    at="2026-01-02T03:04:05.000006+00:00",
    actor="alice",
    object_type="case",
    object_id="case_01J0000000000000000000000",
    action="transitioned",
    before='{"status":"new"}',
    after='{"status":"triage"}',
    prev_hash="a" * 64,
)
CHANGED = {
    "seq": 8,
    "at": "2026-01-02T03:04:05.000007+00:00",
    "actor": "mallory",
    "object_type": "task",
    "object_id": "case_01J0000000000000000000001",
    "action": "updated",
    "before": '{"status":"triage"}',
    "after": '{"status":"closed"}',
    "prev_hash": "b" * 64,
}


def test_changed_covers_every_field() -> None:
    assert set(CHANGED) == {field.name for field in dataclasses.fields(AuditEntry)}


def test_compute_hash_is_a_stable_sha256_hex_digest() -> None:
    digest = ENTRY.compute_hash()

    assert len(digest) == 64
    assert int(digest, 16) >= 0
    assert dataclasses.replace(ENTRY).compute_hash() == digest


@pytest.mark.parametrize("field", sorted(CHANGED))
def test_compute_hash_changes_when_any_field_changes(field: str) -> None:
    changed = dataclasses.replace(ENTRY, **{field: CHANGED[field]})

    assert changed.compute_hash() != ENTRY.compute_hash()


def test_compute_hash_changes_when_text_moves_between_fields() -> None:
    one = dataclasses.replace(ENTRY, actor="alice\x1fcase", object_type="task")
    other = dataclasses.replace(ENTRY, actor="alice", object_type="case\x1ftask")

    assert one.compute_hash() != other.compute_hash()
    assert one.compute_hash() != ENTRY.compute_hash()


def test_canonical_json_ignores_key_order_and_spacing() -> None:
    assert canonical_json({"b": 1, "a": [1, {"d": 2, "c": 3}]}) == '{"a":[1,{"c":3,"d":2}],"b":1}'
    assert canonical_json({"who": "José"}) == '{"who":"José"}'


def test_chain_report_is_ok_only_without_a_break() -> None:
    assert ChainReport(entries=0, head_hash=GENESIS_HASH, broken=None).ok
    assert not ChainReport(entries=3, head_hash=GENESIS_HASH, broken=ChainBreak(2, "altered")).ok
