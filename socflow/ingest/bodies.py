"""HTTP intake bodies into raw records: JSON (object or array), NDJSON, or plain text lines."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from enum import StrEnum
from typing import Any

from socflow.errors import Issue, MalformedInput, PayloadTooLarge, UnsupportedMediaType
from socflow.model.records import RawRecord, Transport


class BodyFormat(StrEnum):
    JSON = "application/json"
    NDJSON = "application/x-ndjson"
    TEXT = "text/plain"


def body_format(content_type: str | None) -> BodyFormat:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    aliases = {"application/jsonl": BodyFormat.NDJSON, "application/json-lines": BodyFormat.NDJSON}
    try:
        return aliases.get(media) or BodyFormat(media)
    except ValueError:
        known = ", ".join(kind.value for kind in BodyFormat)
        raise UnsupportedMediaType(
            f"Content-Type {media or '(none)'!r} is not accepted here; send one of: {known}",
            issues=[Issue("header.Content-Type", f"one of: {known}")],
        ) from None


def _texts(body: str, kind: BodyFormat) -> Iterator[tuple[str, str]]:
    """(where, text) for each record: 'line N' or 'item [N]'."""
    if kind is BodyFormat.JSON:
        try:
            value: Any = json.loads(body)
        except json.JSONDecodeError as exc:
            raise _malformed(
                f"line {exc.lineno}", f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
            ) from None
        if isinstance(value, dict):
            yield "body", body.strip()
            return
        if not isinstance(value, list):
            raise _malformed("body", "a JSON body must be an object or an array of objects")
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield f"item [{index}]", json.dumps(item, ensure_ascii=False, separators=(",", ":"))
            elif isinstance(item, str):
                yield f"item [{index}]", item
            else:
                raise _malformed(f"item [{index}]", f"item [{index}] is neither an object nor a log line")
        return
    for number, line in enumerate(body.splitlines(), start=1):
        text = line.strip("\r")
        if not text.strip():
            continue
        if kind is BodyFormat.NDJSON:
            try:
                parsed = json.loads(text)
            except json.JSONDecodeError as exc:
                raise _malformed(f"line {number}", f"invalid JSON on line {number}: {exc.msg}") from None
            if not isinstance(parsed, dict):
                raise _malformed(f"line {number}", f"line {number} is not a JSON object")
        yield f"line {number}", text


def _malformed(path: str, message: str) -> MalformedInput:
    return MalformedInput(message, issues=[Issue(path, message)])


def records_from_body(
    raw: bytes,
    content_type: str | None,
    *,
    origin: str,
    received_at: datetime,
    format: str = "auto",
    timezone: str | None = None,
    max_message_bytes: int,
) -> list[RawRecord]:
    """Every record in the body, or an error naming the first bad line; nothing is half-accepted."""
    kind = body_format(content_type)
    try:
        body = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _malformed("body", f"the body is not UTF-8 (invalid byte at offset {exc.start})") from None
    records = []
    for where, text in _texts(body, kind):
        size = len(text.encode("utf-8"))
        if size > max_message_bytes:
            raise PayloadTooLarge(
                f"{where} is {size} bytes, over the message limit of {max_message_bytes}",
                issues=[Issue(where, f"over {max_message_bytes} bytes")],
            )
        records.append(RawRecord(text, received_at, Transport.HTTP, origin, "http", format, timezone))
    return records
