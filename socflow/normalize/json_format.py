"""The `json` parser: a JSON object, kept as ECS when it already is ECS, else mapped by well-known keys."""

from __future__ import annotations

import json
from typing import Any, Final

from socflow.normalize import canonical
from socflow.normalize.common_fields import apply_common
from socflow.normalize.ecs import ECSDocument, add_related, get, put, put_host, put_ip, put_mac, put_user
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

# Top-level ECS field sets; an object with one of these as a nested object (or a dotted key starting
# with one) is taken to be ECS already.
ECS_GROUPS: Final = frozenset({
    "agent", "client", "cloud", "container", "destination", "dns", "ecs", "email", "error", "event",
    "file", "host", "http", "log", "network", "observer", "orchestrator", "organization", "process",
    "registry", "related", "rule", "server", "service", "source", "threat", "tls", "url", "user",
    "user_agent", "vulnerability", "winlog",
})  # fmt: skip
_ENDPOINTS: Final = ("source", "destination", "client", "server", "host", "observer")
_USERS: Final = ("user", "source.user", "destination.user", "user.target", "user.effective")
_TIMES: Final = ("event.created", "event.start", "event.end")


def looks_like_json(text: str) -> bool:
    return text.lstrip().startswith("{")


def looks_like_ecs(record: dict[str, Any]) -> bool:
    if "@timestamp" in record:
        return True
    for key, value in record.items():
        if key in ECS_GROUPS and isinstance(value, dict):
            return True
        group, dot, _rest = key.partition(".")
        if dot and group in ECS_GROUPS:
            return True
    return False


def _expand_dotted(record: dict[str, Any]) -> ECSDocument:
    doc: ECSDocument = {}
    for key, value in record.items():
        if "." in key and key != "@timestamp":
            put(doc, key, value)
        elif isinstance(value, dict) and isinstance(doc.get(key), dict):
            doc[key].update(value)
        else:
            doc[key] = value
    return doc


def _canonical_time(doc: ECSDocument, path: str, context: ParseContext) -> None:
    value = get(doc, path)
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return
    try:
        moment = canonical.parse_time(str(value), context.zone, context.received_at)
    except ValueError:
        return
    put(doc, path, canonical.format_time(moment))


def _canonical_ips(doc: ECSDocument, path: str) -> None:
    value = get(doc, path)
    values = value if isinstance(value, list) else [value]
    texts: list[str] = []
    for item in values:
        if isinstance(item, str):
            try:
                texts.append(canonical.ip(item))
            except ValueError:
                texts.append(item)
    for text in texts:
        add_related(doc, "ip", text)
    if texts:
        put(doc, path, texts if isinstance(value, list) else texts[0])


def _fold_scalar_groups(doc: ECSDocument) -> None:
    """Near-ECS logs write `"host": "web01"` or `"user": "bob"`; ECS wants objects there.

    Hosts, users and endpoints are read into their fields; any other scalar under an ECS group name
    moves to `labels` so that later setters cannot overwrite it."""
    for key in sorted(ECS_GROUPS):  # sorted: the same input gives the same document every run
        if key not in doc or isinstance(doc[key], dict):
            continue
        value = doc.pop(key)
        if value is None:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        if key == "host":
            put_host(doc, "host", text)
        elif key == "user":
            put_user(doc, "user", text)
        elif key in {"source", "destination", "client", "server"}:
            if not put_ip(doc, f"{key}.ip", text):
                put(doc, f"{key}.address", text)
        else:
            put(doc, f"labels.{key}", text)


def canonicalise_ecs(doc: ECSDocument, context: ParseContext) -> None:
    """Put the fields ECS documents commonly carry into socflow's canonical forms, in place."""
    _fold_scalar_groups(doc)
    for path in ("@timestamp", *_TIMES):
        _canonical_time(doc, path, context)
    for prefix in _ENDPOINTS:
        _canonical_ips(doc, f"{prefix}.ip")
        mac = get(doc, f"{prefix}.mac")
        if isinstance(mac, str):
            put_mac(doc, f"{prefix}.mac", mac)
    host_name = get(doc, "host.name")
    if isinstance(host_name, str) and get(doc, "host.domain") is None:
        doc["host"].pop("name")
        put_host(doc, "host", host_name)
    for prefix in _USERS:
        name = get(doc, f"{prefix}.name")
        if isinstance(name, str) and get(doc, f"{prefix}.domain") is None:
            put_user(doc, prefix, name)


def parse_json(text: str, context: ParseContext) -> ECSDocument | None:
    if not looks_like_json(text):
        return None
    record = parse_json_object(text)
    if looks_like_ecs(record):
        doc = _expand_dotted(record)
        canonicalise_ecs(doc, context)
        return doc
    doc = {"json": record}
    apply_common(doc, record, context)
    return doc


def parse_json_object(text: str) -> dict[str, Any]:
    """The JSON object in `text` (for declarative mappings); ParseError when it is not one."""
    try:
        record = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as error:
        raise ParseError(f"invalid JSON: {error}") from None
    if not isinstance(record, dict):
        raise ParseError(f"expecting a JSON object, got {type(record).__name__}")
    return record


JSON = ParserSpec(
    name="json",
    parse=parse_json,
    sniff=looks_like_json,
    priority=90,
    dataset="json",
    description="a JSON object: ECS kept and canonicalised, anything else mapped by well-known keys",
)
SPECS = (JSON,)
