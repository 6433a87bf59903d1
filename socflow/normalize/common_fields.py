"""Well-known field names in schemaless logs (JSON, key=value) and the ECS field each one fills."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, get, put, put_host, put_ip, put_mac, put_port, put_user
from socflow.normalize.registry import ParseContext

Setter = Callable[[ECSDocument, str, ParseContext], None]


def _time(doc: ECSDocument, value: str, context: ParseContext) -> None:
    try:
        moment = canonical.parse_time(value, context.zone, context.received_at)
    except ValueError:
        return
    doc["@timestamp"] = canonical.format_time(moment)


def _address(prefix: str) -> Setter:
    def setter(doc: ECSDocument, value: str, context: ParseContext) -> None:
        if not put_ip(doc, f"{prefix}.ip", value):
            put(doc, f"{prefix}.address", value)

    return setter


def _port(path: str) -> Setter:
    return lambda doc, value, _context: put_port(doc, path, value)


def _mac(path: str) -> Setter:
    return lambda doc, value, _context: put_mac(doc, path, value)


def _text(path: str, transform: Callable[[str], str] = str) -> Setter:
    return lambda doc, value, _context: put(doc, path, transform(value))


def _pid(doc: ECSDocument, value: str, context: ParseContext) -> None:
    if value.isdigit():
        put(doc, "process.pid", int(value))


def _aliases(setter: Setter, *names: str) -> dict[str, Setter]:
    return dict.fromkeys(names, setter)


# Keys are compared lower-cased; the first key of a kind found in the record wins.
COMMON_KEYS: Final[dict[str, Setter]] = {
    **_aliases(_time, "@timestamp", "timestamp", "time", "ts", "datetime", "date_time", "eventtime",
               "event_time", "logtime", "log_time"),
    **_aliases(lambda doc, value, _c: put_host(doc, "host", value), "host", "hostname", "host_name",
               "computer", "computername", "devname", "device_name"),
    **_aliases(_address("source"), "src_ip", "source_ip", "src", "srcip", "src_addr", "source_address",
               "sourceip", "client_ip", "clientip", "saddr"),
    **_aliases(_address("destination"), "dst_ip", "dest_ip", "destination_ip", "dst", "dstip", "dst_addr",
               "dest", "destination_address", "destinationip", "daddr"),
    **_aliases(_port("source.port"), "src_port", "sport", "srcport", "source_port", "spt"),
    **_aliases(_port("destination.port"), "dst_port", "dport", "dstport", "dest_port",
               "destination_port", "dpt"),
    **_aliases(_mac("source.mac"), "src_mac", "smac", "srcmac", "source_mac"),
    **_aliases(_mac("destination.mac"), "dst_mac", "dmac", "dstmac", "destination_mac"),
    **_aliases(lambda doc, value, _c: put_user(doc, "user", value), "user", "username", "user_name",
               "usr", "account", "login"),
    **_aliases(_text("message"), "msg", "message"),
    **_aliases(_text("log.level", str.lower), "level", "severity", "loglevel", "log_level"),
    **_aliases(_text("event.action"), "action", "act"),
    **_aliases(_text("network.transport", str.lower), "proto", "protocol", "transport"),
    **_aliases(_text("process.name"), "program", "process", "app", "appname"),
    **_aliases(_pid, "pid"),
}  # fmt: skip


def _scalar_text(value: Any) -> str | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, str | int | float):
        return str(value)
    return None


def apply_common(doc: ECSDocument, record: Mapping[str, Any], context: ParseContext) -> None:
    """Fill ECS fields from the record's well-known keys; a field already set is left alone."""
    done: set[int] = set()
    for key, value in record.items():
        setter = COMMON_KEYS.get(key.lower())
        if setter is None or id(setter) in done:
            continue
        text = _scalar_text(value)
        if text is None or text == "":
            continue
        done.add(id(setter))
        if key.lower() in {"msg", "message"} and get(doc, "message") is not None:
            continue
        setter(doc, text, context)
