"""The event store's repository: batch inserts, filtered search with keyset pages, retention, progress."""

from __future__ import annotations

import base64
import binascii
import functools
import ipaddress
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    String,
    cast,
    delete,
    func,
    literal,
    or_,
    select,
    tuple_,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import InstrumentedAttribute

from socflow.errors import Issue, ValidationFailed
from socflow.storage.db import Database
from socflow.storage.event_retention import prune_events
from socflow.storage.event_writes import EventValues, write_rows
from socflow.storage.pagination import MAX_LIMIT
from socflow.storage.tables import utcnow
from socflow.storage.tables_events import MESSAGE_CHARS, DeadLetterRow, EventRow, IngestProgressRow

# ECS paths that have their own (mostly indexed) column; any other path is read from the JSON document.
# The sparse columns' indexes are partial (`WHERE col IS NOT NULL`): an equality or range on the column
# implies that, and SQLite and PostgreSQL both prove it, so the filters below use them as they are.
COLUMNS: Final[dict[str, InstrumentedAttribute[str | None]]] = {
    "event.dataset": EventRow.dataset,
    "host.name": EventRow.host_name,
    "source.ip": EventRow.source_ip,
    "destination.ip": EventRow.destination_ip,
    "user.name": EventRow.user_name,
    "event.action": EventRow.event_action,
    "event.outcome": EventRow.event_outcome,
    "event.code": EventRow.event_code,
}
_IP_KEYS: Final[dict[str, InstrumentedAttribute[str | None]]] = {
    "source.ip": EventRow.source_ip_key,
    "destination.ip": EventRow.destination_ip_key,
}
_JSON_PATH: Final = re.compile(r"[A-Za-z0-9_@]+(\.[A-Za-z0-9_@]+)*")


def ip_key(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """A fixed-width text form that sorts like the address: '4' + 8 hex digits, or '6' + 32."""
    if isinstance(address, ipaddress.IPv4Address):
        return f"4{int(address):08x}"
    return f"6{int(address):032x}"


@functools.lru_cache(maxsize=65_536)  # addresses repeat heavily in logs; parsing one costs microseconds
def ip_key_of(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return ip_key(ipaddress.ip_address(text))
    except ValueError:
        return None


@dataclass(frozen=True)
class FieldFilter:
    """`path` equals `value`; on source.ip / destination.ip a value with a '/' is a CIDR range."""

    path: str
    value: str

    @classmethod
    def parse(cls, text: str) -> FieldFilter:
        path, sep, value = text.partition(":")
        if not sep or not path or not value:
            raise ValidationFailed(
                f"field filter {text!r} is not FIELD:VALUE (e.g. source.ip:203.0.113.5)",
                issues=[Issue("field", f"{text!r} is not FIELD:VALUE")],
            )
        if not _JSON_PATH.fullmatch(path):
            raise ValidationFailed(
                f"field name {path!r} is not a dotted ECS path of letters, digits, '_' and '@'",
                issues=[Issue("field", f"{path!r} is not a dotted ECS path")],
            )
        return cls(path, value)


@dataclass(frozen=True)
class EventQuery:
    start: datetime | None = None
    end: datetime | None = None
    fields: Sequence[FieldFilter] = ()
    text: str | None = None
    limit: int = 50
    cursor: str | None = None


@dataclass(frozen=True)
class EventPage:
    items: list[EventRow]
    next: str | None


@dataclass
class ProgressMark:
    """A file's identity and how far its import got (position: byte offset or record number)."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    position: int = 0
    records: int = 0
    completed: bool = False


def _bad(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(f"{name}: {message}", issues=[Issue(name, message)])


class EventStore:
    """Writes and reads events, dead letters and import progress on one database."""

    def __init__(self, database: Database) -> None:
        self.database = database

    # -- writes ---------------------------------------------------------------------------------

    def insert(self, events: Sequence[dict[str, Any]], dead_letters: Sequence[dict[str, Any]] = ()) -> None:
        """One transaction: every row is committed or none is (executemany through Core)."""
        if not events and not dead_letters:
            return
        with self.database.session() as session:
            write_rows(session, events, dead_letters)

    def insert_with_progress(
        self,
        events: Sequence[dict[str, Any]] | EventValues,
        mark: ProgressMark,
        dead_letters: Sequence[dict[str, Any]] = (),
    ) -> None:
        """A file import's batch and its new position in the same transaction, so a resume is exact."""
        with self.database.session() as session:
            write_rows(session, events, dead_letters)
            row = session.get(IngestProgressRow, mark.path)
            if row is None:
                row = IngestProgressRow(path=mark.path)
                session.add(row)
            row.size, row.mtime_ns, row.inode = mark.size, mark.mtime_ns, mark.inode
            row.position, row.records, row.completed = mark.position, mark.records, mark.completed
            row.updated_at = utcnow()

    def progress(self, path: str) -> ProgressMark | None:
        with self.database.session(write=False) as session:
            row = session.get(IngestProgressRow, path)
            if row is None:
                return None
            return ProgressMark(
                row.path, row.size, row.mtime_ns, row.inode, row.position, row.records, row.completed
            )

    def forget_progress(self, path: str) -> None:
        with self.database.session() as session:
            session.execute(delete(IngestProgressRow).where(IngestProgressRow.path == path))

    # -- reads ----------------------------------------------------------------------------------

    def count(self) -> int:
        with self.database.session(write=False) as session:
            return int(session.execute(select(func.count()).select_from(EventRow)).scalar_one())

    def search(self, query: EventQuery) -> EventPage:
        """Newest first by (@timestamp, id); `next` resumes after the last item."""
        if not 1 <= query.limit <= MAX_LIMIT:
            raise _bad("limit", f"must be between 1 and {MAX_LIMIT}")
        stmt = select(EventRow)
        if query.start is not None:
            stmt = stmt.where(EventRow.timestamp >= query.start)
        if query.end is not None:
            stmt = stmt.where(EventRow.timestamp < query.end)
        for item in query.fields:
            stmt = stmt.where(self._field_condition(item))
        if query.text:
            stmt = stmt.where(_text_condition(query.text))
        if query.cursor:
            moment, row_id = _decode_cursor(query.cursor)
            bound = tuple_(EventRow.timestamp, EventRow.id) < tuple_(
                literal(moment, EventRow.timestamp.type), literal(row_id, EventRow.id.type)
            )
            stmt = stmt.where(bound)
        stmt = stmt.order_by(EventRow.timestamp.desc(), EventRow.id.desc()).limit(query.limit + 1)
        with self.database.session(write=False) as session:
            rows = list(session.execute(stmt).scalars().all())
        items = rows[: query.limit]
        next_cursor = _encode_cursor(items[-1]) if len(rows) > query.limit else None
        return EventPage(items, next_cursor)

    def _field_condition(self, item: FieldFilter) -> ColumnElement[bool]:
        if item.path in _IP_KEYS and ("/" in item.value or _is_ip(item.value)):
            try:
                network = ipaddress.ip_network(item.value.strip(), strict=False)
            except ValueError:
                raise _bad("field", f"{item.value!r} is not an IP address or CIDR range") from None
            column = _IP_KEYS[item.path]
            low, high = ip_key(network.network_address), ip_key(network.broadcast_address)
            return column == low if low == high else column.between(low, high)
        if item.path in COLUMNS:
            column = COLUMNS[item.path]
            return column == item.value
        segments = item.path.split(".")
        extracted: ColumnElement[Any]
        if self.database.is_sqlite:
            json_path = "$" + "".join(f'."{segment}"' for segment in segments)
            extracted = cast(func.json_extract(EventRow.document, json_path), String)
        else:
            extracted = func.jsonb_extract_path_text(cast(EventRow.document, JSONB), *segments)
        condition: ColumnElement[bool] = extracted == item.value
        return condition

    def dead_letters(
        self, *, limit: int = 50, cursor: str | None = None
    ) -> tuple[list[DeadLetterRow], str | None]:
        """Newest first; the cursor is the id to continue below."""
        if not 1 <= limit <= MAX_LIMIT:
            raise _bad("limit", f"must be between 1 and {MAX_LIMIT}")
        stmt = select(DeadLetterRow).order_by(DeadLetterRow.id.desc()).limit(limit + 1)
        if cursor:
            if not cursor.isdigit():
                raise _bad("cursor", "not valid for this listing")
            stmt = stmt.where(DeadLetterRow.id < int(cursor))
        with self.database.session(write=False) as session:
            rows = list(session.execute(stmt).scalars().all())
        items = rows[:limit]
        return items, (str(items[-1].id) if len(rows) > limit else None)

    # -- retention ------------------------------------------------------------------------------

    def prune(
        self,
        *,
        older_than: datetime | None = None,
        max_events: int | None = None,
        max_bytes: int | None = None,
    ) -> int:
        """Delete events stamped before `older_than`, then the oldest-ingested beyond `max_events`,
        then the oldest while the events take more than `max_bytes` (storage.event_retention)."""
        return prune_events(self.database, older_than=older_than, max_events=max_events, max_bytes=max_bytes)


def shown_message(row: EventRow, document: dict[str, Any] | None = None) -> str | None:
    """What an event shows as its message: the document's message, else the start of its original text.

    The message column holds only the document's own message; `document` is the row's, parsed."""
    if row.message is not None:
        return row.message
    if document is None:
        try:
            document = json.loads(row.document)
        except ValueError:
            return None
    event = document.get("event") if isinstance(document, dict) else None
    original = event.get("original") if isinstance(event, dict) else None
    return original[:MESSAGE_CHARS] if isinstance(original, str) else None


def _text_condition(text: str) -> ColumnElement[bool]:
    """Free text in the message or anywhere in the document, where text is JSON-escaped: a quote or
    backslash in `text` is matched as the document writes it too (the original text lives there)."""
    conditions = [
        EventRow.message.icontains(text, autoescape=True),
        EventRow.document.icontains(text, autoescape=True),
    ]
    escaped = json.dumps(text, ensure_ascii=False)[1:-1]
    if escaped != text:
        conditions.append(EventRow.document.icontains(escaped, autoescape=True))
    return or_(*conditions)


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip())
    except ValueError:
        return False
    return True


def _encode_cursor(row: EventRow) -> str:
    raw = json.dumps([row.timestamp.isoformat(), row.id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    bad = _bad("cursor", "not valid for this listing")
    try:
        text, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        moment = datetime.fromisoformat(text)
    except (ValueError, TypeError, binascii.Error):
        raise bad from None
    if moment.tzinfo is None or not isinstance(row_id, int) or isinstance(row_id, bool):
        raise bad
    return moment, row_id
