"""What intake hands to normalization: one raw record with its text, receive time and origin."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import NamedTuple


class Transport(StrEnum):
    UDP = "udp"
    TCP = "tcp"
    TLS = "tls"
    HTTP = "http"
    FILE = "file"
    EVTX = "evtx"


class RawRecord(NamedTuple):
    """One log line (or one .evtx record rendered as JSON) exactly as received.

    `format` is the listener's configured parser name or "auto"; `timezone` is the sender's
    configured IANA zone, used for timestamps that carry none (else UTC). A NamedTuple rather
    than a frozen dataclass: as immutable, and a third of the cost to build (intake builds one
    per message)."""

    text: str
    received_at: datetime
    transport: Transport
    origin: str  # sender address "ip:port", file path, or HTTP client address
    listener: str = ""  # the listener's or import's name
    format: str = "auto"
    timezone: str | None = None
    offset: int | None = None  # position in a file, for resumable imports
