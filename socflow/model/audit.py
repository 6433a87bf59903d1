"""Audit journal entries and their hash chain: each entry's hash covers the hash before it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

GENESIS_HASH: Final = "0" * 64

# Built once: json.dumps with these options constructs a new encoder on every call, and verifying a
# million entries spends a good part of its time there.
_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def canonical_json(value: Any) -> str:
    """Deterministic JSON (sorted keys, no spaces) so a hash never depends on dict order."""
    return _CANONICAL.encode(value)


def entry_hash(fields: Sequence[Any]) -> str:
    """The hash of one entry from its fields in AuditEntry order (seq, at, ... prev_hash).

    A JSON array, not a separator join: a separator inside a field (an actor name, say) could
    otherwise move a field boundary and leave the hash unchanged."""
    return hashlib.sha256(_CANONICAL.encode(list(fields)).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    """One change: who did what to which object, when, with the fields before and after."""

    seq: int
    at: str
    actor: str
    object_type: str
    object_id: str
    action: str
    before: str
    after: str
    prev_hash: str

    def compute_hash(self) -> str:
        return entry_hash(
            (
                self.seq,
                self.at,
                self.actor,
                self.object_type,
                self.object_id,
                self.action,
                self.before,
                self.after,
                self.prev_hash,
            )
        )


@dataclass(frozen=True)
class ChainBreak:
    """Where verification failed: the first entry that was altered, removed or moved."""

    seq: int
    reason: str


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head_hash: str
    broken: ChainBreak | None

    @property
    def ok(self) -> bool:
        return self.broken is None
