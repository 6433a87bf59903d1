"""From a raw record and its ECS document to an event row: origin, receive time, and the search columns."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime
from typing import Any, Final

import orjson

from socflow.model.records import RawRecord, Transport
from socflow.normalize.ecs import ECSDocument
from socflow.storage.events import ip_key_of
from socflow.storage.tables_events import MESSAGE_CHARS

PARSE_FAILURE_TAG: Final = "_parse_failure"
_FILE_TRANSPORTS: Final = frozenset({Transport.FILE, Transport.EVTX})
_TRANSPORT_TEXT: Final = {transport: transport.value for transport in Transport}  # .value is slow


# The fallback encoder, for what orjson refuses (lone surrogates, integers beyond 64 bits, odd keys).
_JSON_ENCODE: Final = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
# Datetimes and dataclasses go through `default=str` as they did with json.
_ORJSON_OPTIONS: Final = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
# Non-text keys become text, as json writes them; orjson's option for that costs a third more on
# every document, so it is asked for only when a document has such a key (from a user mapping).
_ORJSON_ANY_KEYS: Final = _ORJSON_OPTIONS | orjson.OPT_NON_STR_KEYS


def encode_document(doc: ECSDocument) -> str:
    """The document as compact JSON text (UTF-8, not ASCII-escaped), as `json.dumps` would write it.

    orjson does it several times faster. It differs in two corners only: NaN and infinities
    become null (valid JSON) instead of the NaN that json writes, and a small float's exponent has
    no leading zero (1e-7; json: 1e-07), the same number."""
    encoded = _orjson_text(doc, _ORJSON_OPTIONS) or _orjson_text(doc, _ORJSON_ANY_KEYS)
    return encoded if encoded is not None else _JSON_ENCODE(doc)


def _orjson_text(doc: ECSDocument, options: int) -> str | None:
    """The document as orjson writes it with `options`; None where orjson refuses it."""
    try:
        return orjson.dumps(doc, default=str, option=options).decode()
    except (orjson.JSONEncodeError, TypeError):
        return None


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
    doc.setdefault("input", {})["type"] = _TRANSPORT_TEXT[record.transport]
    if record.listener:
        labels = doc.get("labels")
        if not isinstance(labels, dict):
            labels = doc["labels"] = {}
        labels["listener"] = record.listener


def _leaf(node: Any, key: str, limit: int = 255) -> str | None:
    """`node[key]` as text cut to `limit`; None for absent, objects and lists (`node` may be anything)."""
    if not isinstance(node, dict):
        return None
    return _cut(node.get(key), limit)


def _cut(value: Any, limit: int) -> str | None:
    """A leaf value as column text: text cut to `limit`; None for absent, objects and lists."""
    if isinstance(value, str):
        return value[:limit]
    if value is None or isinstance(value, dict | list):
        return None
    return str(value)[:limit]


@functools.lru_cache(maxsize=4096)  # a stream repeats the same @timestamp many times a second
def _moment(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def is_parse_failure(doc: ECSDocument) -> bool:
    tags = doc.get("tags")
    return isinstance(tags, list) and PARSE_FAILURE_TAG in tags


def event_row(record: RawRecord, doc: ECSDocument, ingested_at: datetime) -> dict[str, Any]:
    """The insert parameters for one event; the document is serialized exactly once."""
    source, destination = doc.get("source"), doc.get("destination")
    source_ip = None if source is None else _leaf(source, "ip", 45)
    destination_ip = None if destination is None else _leaf(destination, "ip", 45)
    host, user = doc.get("host"), doc.get("user")
    stamp = doc.get("@timestamp")
    event = doc.get("event")
    if isinstance(event, dict):
        dataset, action = _cut(event.get("dataset"), 100), _cut(event.get("action"), 255)
        outcome, code = _cut(event.get("outcome"), 16), _cut(event.get("code"), 64)
    else:
        dataset = action = outcome = code = None
    return {
        "timestamp": (_moment(stamp) or record.received_at) if isinstance(stamp, str) else record.received_at,
        "ingested_at": ingested_at,
        "dataset": dataset,
        "host_name": None if host is None else _leaf(host, "name"),
        "source_ip": source_ip,
        "source_ip_key": None if source_ip is None else ip_key_of(source_ip),
        "destination_ip": destination_ip,
        "destination_ip_key": None if destination_ip is None else ip_key_of(destination_ip),
        "user_name": None if user is None else _leaf(user, "name"),
        "event_action": action,
        "event_outcome": outcome,
        "event_code": code,
        # Only the document's own message: the original text is in the document already, and a
        # second copy here made a Windows event's row spill onto an overflow page (reads fall back
        # to the original: storage.events.shown_message).
        "message": _cut(doc.get("message"), MESSAGE_CHARS),
        "document": encode_document(doc),
        "origin": record.origin[:1024],
    }
