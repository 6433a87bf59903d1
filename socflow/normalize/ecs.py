"""Building ECS documents: dotted-path setters, related.* bookkeeping, and the canonical field setters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from socflow.normalize import canonical

ECSDocument = dict[str, Any]


# `path` split once: parsers use a fixed set of paths. Bounded, as mappings may name many.
_SPLIT_PATHS: dict[str, tuple[tuple[str, ...], str]] = {}
_SPLIT_PATHS_MAX = 4096


def put(doc: ECSDocument, path: str, value: Any) -> None:
    """Set `a.b.c` in a nested document; None and empty strings are not written."""
    if value is None or value == "":
        return
    split = _SPLIT_PATHS.get(path)
    if split is None:
        *names, last = path.split(".")
        split = (tuple(names), last)
        if len(_SPLIT_PATHS) < _SPLIT_PATHS_MAX:
            _SPLIT_PATHS[path] = split
    parents, leaf = split
    _walk(doc, parents)[leaf] = value


def _walk(doc: ECSDocument, keys: tuple[str, ...]) -> dict[str, Any]:
    """The object under `keys`, created (or a non-object replaced) on the way."""
    node = doc
    for key in keys:
        child = node.get(key)
        if not isinstance(child, dict):
            child = node[key] = {}
        node = child
    return node


def put_in(doc: ECSDocument, parent: str, leaf: str, value: object) -> None:
    """`put(doc, "parent.leaf", value)` for a two-level path, without splitting it (the hot path)."""
    if value is None or value == "":
        return
    node = doc.get(parent)
    if not isinstance(node, dict):
        node = doc[parent] = {}
    node[leaf] = value


def node_at(doc: ECSDocument, prefix: str) -> dict[str, Any]:
    """The object at dotted `prefix`, created (or a non-object replaced) on the way as `put` does.

    For a parser that writes several fields under one prefix: one walk instead of one per `put`."""
    split = _SPLIT_PATHS.get(prefix + ".")
    if split is None:
        split = (tuple(prefix.split(".")), "")
        if len(_SPLIT_PATHS) < _SPLIT_PATHS_MAX:
            _SPLIT_PATHS[prefix + "."] = split
    return _walk(doc, split[0])


def get(doc: ECSDocument, path: str) -> Any:
    node: Any = doc
    for key in path.split("."):
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def add_related(doc: ECSDocument, kind: str, value: str | None) -> None:
    """Append to related.ip / related.user / related.hosts / related.hash once."""
    if not value:
        return
    related = doc.get("related")
    if not isinstance(related, dict):  # a JSON input may carry anything under "related"
        related = doc["related"] = {}
    values = related.get(kind)
    if not isinstance(values, list):
        values = related[kind] = []
    if value not in values:
        values.append(value)


def put_ip(doc: ECSDocument, path: str, value: str | None) -> bool:
    """Canonical IP at `path` (and in related.ip); False, and nothing written, when it isn't an IP."""
    if not value or value == "-":
        return False
    try:
        text = canonical.ip(value)
    except ValueError:
        return False
    put(doc, path, text)
    add_related(doc, "ip", text)
    return True


def put_host(doc: ECSDocument, prefix: str, value: str | None) -> None:
    """host.name + host.domain (or observer.* etc.) from any host spelling; IPs go to `<prefix>.ip`."""
    if not value or value == "-":
        return
    try:
        address = canonical.ip(value)
    except ValueError:
        parsed = canonical.host(value)
        put(doc, f"{prefix}.name", parsed.name)
        put(doc, f"{prefix}.domain", parsed.domain)
        add_related(doc, "hosts", parsed.name)
        return
    current = get(doc, f"{prefix}.ip")
    if current is None:
        put(doc, f"{prefix}.ip", address)
    add_related(doc, "ip", address)


def put_user(doc: ECSDocument, prefix: str, value: str | None) -> None:
    """`<prefix>.name` and `<prefix>.domain` (prefix "user", "source.user", ...) from any spelling."""
    if not value or value == "-":
        return
    parsed = canonical.user(value)
    put(doc, f"{prefix}.name", parsed.name)
    put(doc, f"{prefix}.domain", parsed.domain)
    add_related(doc, "user", parsed.name)


def put_mac(doc: ECSDocument, path: str, value: str | None) -> None:
    if not value:
        return
    try:
        put(doc, path, canonical.mac(value))
    except ValueError:
        return


def put_port(doc: ECSDocument, path: str, value: str | int | None) -> None:
    try:
        number = int(value) if value not in (None, "", "-") else None
    except (TypeError, ValueError):
        return
    if number is not None and 0 <= number <= 65535:
        put(doc, path, number)


def put_time(doc: ECSDocument, moment: datetime) -> None:
    doc["@timestamp"] = canonical.to_utc(moment).isoformat().replace("+00:00", "Z")


def put_traffic(doc: ECSDocument, unit: str, from_source: int | None, from_destination: int | None) -> None:
    """`source.<unit>`, `destination.<unit>` and their sum in `network.<unit>` (unit: bytes or packets).

    The sum is written when either side is known; an unknown side counts as zero in it."""
    put(doc, f"source.{unit}", from_source)
    put(doc, f"destination.{unit}", from_destination)
    if from_source is not None or from_destination is not None:
        put(doc, f"network.{unit}", (from_source or 0) + (from_destination or 0))
