"""From a raw record and its ECS document to an event row: origin, receive time, and the search columns."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, Final

from socflow.model.records import RawRecord, Transport
from socflow.normalize.ecs import ECSDocument, put
from socflow.storage.events import ip_key_of
from socflow.storage.tables_events import MESSAGE_CHARS

PARSE_FAILURE_TAG: Final = "_parse_failure"
_FILE_TRANSPORTS: Final = frozenset({Transport.FILE, Transport.EVTX})


# One encoder for every row (json.dumps with options builds a new one per call); same output.
_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def stamp_origin(record: RawRecord, doc: ECSDocument, ingested: str) -> None:
    """Keep what intake knows in the document: original text, ingest time (ISO text), its origin."""
    event = doc.setdefault("event", {})
    if isinstance(event, dict):
        event.setdefault("original", record.text)
        event["ingested"] = ingested
    if "@timestamp" not in doc:
        doc["@timestamp"] = iso(record.received_at)
    log = doc.setdefault("log", {})
    if isinstance(log, dict):
        if record.transport in _FILE_TRANSPORTS:
            log.setdefault("file", {})["path"] = record.origin
        else:
            log.setdefault("source", {})["address"] = record.origin
    doc.setdefault("input", {})["type"] = record.transport.value
    if record.listener:
        put(doc, "labels.listener", record.listener)


def _leaf(node: Any, key: str, limit: int = 255) -> str | None:
    """`node[key]` as text cut to `limit`; None for absent, objects and lists (`node` may be anything)."""
    if not isinstance(node, dict):
        return None
    value = node.get(key)
    if value is None or isinstance(value, dict | list):
        return None
    return value[:limit] if isinstance(value, str) else str(value)[:limit]


def _timestamp(doc: ECSDocument, fallback: datetime) -> datetime:
    value = doc.get("@timestamp")
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return fallback
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return fallback


def is_parse_failure(doc: ECSDocument) -> bool:
    tags = doc.get("tags")
    return isinstance(tags, list) and PARSE_FAILURE_TAG in tags


def event_row(record: RawRecord, doc: ECSDocument, ingested_at: datetime) -> dict[str, Any]:
    """The insert parameters for one event; the document is serialized exactly once."""
    message = _leaf(doc, "message", MESSAGE_CHARS) or record.text[:MESSAGE_CHARS]
    source_ip = _leaf(doc.get("source"), "ip", 45)
    destination_ip = _leaf(doc.get("destination"), "ip", 45)
    event = doc.get("event")
    return {
        "timestamp": _timestamp(doc, record.received_at),
        "ingested_at": ingested_at,
        "dataset": _leaf(event, "dataset", 100),
        "host_name": _leaf(doc.get("host"), "name"),
        "source_ip": source_ip,
        "source_ip_key": ip_key_of(source_ip),
        "destination_ip": destination_ip,
        "destination_ip_key": ip_key_of(destination_ip),
        "user_name": _leaf(doc.get("user"), "name"),
        "event_action": _leaf(event, "action"),
        "event_outcome": _leaf(event, "outcome", 16),
        "event_code": _leaf(event, "code", 64),
        "message": message,
        "document": _ENCODE(doc),
        "origin": record.origin[:1024],
    }
