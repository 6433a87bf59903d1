"""Dead letters: input that could not become an event, kept with its raw bytes, origin and reason."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from socflow.model.records import Transport

# Enough of an oversize or garbage message to see what it was, not a second copy of a flood.
MAX_KEPT_BYTES: Final = 64 * 1024
REASON_CHARS: Final = 500


@dataclass(frozen=True)
class DeadLetter:
    raw: bytes
    reason: str
    transport: Transport
    origin: str
    listener: str = ""
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    size: int | None = None  # the full size when `raw` was cut

    def to_row(self) -> dict[str, Any]:
        kept = self.raw[:MAX_KEPT_BYTES]
        return {
            "received_at": self.received_at,
            "transport": self.transport.value,
            "listener": self.listener[:100],
            "origin": self.origin[:1024],
            "reason": self.reason[:REASON_CHARS],
            "raw_base64": base64.b64encode(kept).decode("ascii"),
            "raw_size": self.size if self.size is not None else len(self.raw),
        }


def raw_text(raw_base64: str) -> str:
    """The stored bytes for display: UTF-8 where valid, the rest as \\x escapes."""
    return base64.b64decode(raw_base64).decode("utf-8", errors="backslashreplace")
