"""Zeek conn.log and dns.log lines, JSON or TSV, to ECS events.

JSON lines carry their field names. A TSV line does not: a file import reads the log's own
header lines (`#separator`, `#fields`, `#types`, ...) with zeek_tsv.ZeekTsvReader and hands this
parser each data line in Zeek's JSON form, so any column order, subset or separator works. A lone
TSV line (a syslog stream, `socflow parse`) is read by the documented default column order of
conn.log (21 columns, Zeek 5-7; extra trailing columns are ignored) and dns.log (24 columns).
Header and comment lines (`#...`) are not events: they return None. Other Zeek logs return None."""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

from socflow.normalize import canonical
from socflow.normalize.community_id import put_community_id
from socflow.normalize.ecs import ECSDocument, add_related, put, put_ip, put_port, put_time, put_traffic
from socflow.normalize.ipproto import put_transport
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_DECODER: Final = json.JSONDecoder()
_NANOS: Final = 1_000_000_000
_CONN_COLUMNS: Final[tuple[str, ...]] = (
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "service",
    "duration",
    "orig_bytes",
    "resp_bytes",
    "conn_state",
    "local_orig",
    "local_resp",
    "missed_bytes",
    "history",
    "orig_pkts",
    "orig_ip_bytes",
    "resp_pkts",
    "resp_ip_bytes",
    "tunnel_parents",
)
_DNS_COLUMNS: Final[tuple[str, ...]] = (
    "ts",
    "uid",
    "id.orig_h",
    "id.orig_p",
    "id.resp_h",
    "id.resp_p",
    "proto",
    "trans_id",
    "rtt",
    "query",
    "qclass",
    "qclass_name",
    "qtype",
    "qtype_name",
    "rcode",
    "rcode_name",
    "AA",
    "TC",
    "RD",
    "RA",
    "Z",
    "answers",
    "TTLs",
    "rejected",
)
_CONN_STATES: Final = frozenset(
    {"S0", "S1", "SF", "REJ", "S2", "S3", "RSTO", "RSTR", "RSTOS0", "RSTRH", "SH", "SHR", "OTH"}
)
# event.type by conn_state (Zeek's conn.log docs): "start" where the opening was seen (attempt,
# establishment or rejection), "end" only for a normal close; partial or aborted ones are just "info".
_STATE_TYPES: Final[dict[str, tuple[str, ...]]] = {
    "S0": ("connection", "start"),
    "S1": ("connection", "start"),
    "SF": ("connection", "start", "end"),
    "REJ": ("connection", "start", "denied"),
}
# DNS classes (RFC 1035 3.2.4, RFC 2136): ECS dns.question.class holds the mnemonic ("IN").
_DNS_CLASSES: Final = {1: "IN", 2: "CS", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}
_ZEEK_CLASS_NAMES: Final = {
    "C_INTERNET": "IN",
    "C_CSNET": "CS",
    "C_CHAOS": "CH",
    "C_HESIOD": "HS",
    "C_NONE": "NONE",
    "C_ANY": "ANY",
}
_TSV_START: Final = re.compile(r"\d{9,10}\.\d+\tC[0-9A-Za-z]{5,}\t")


_MAX_DURATION_NANOS: Final = 2**63


def _number(value: Any) -> float | None:
    """A finite number from a JSON number or TSV text; None for anything else (bools included)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value) if isinstance(value, int | float | str) else math.nan
    except (ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _flag(value: Any) -> bool | None:
    """A Zeek bool: JSON true/false or TSV T/F; None when unset or anything else."""
    if value is True or value == "T":
        return True
    if value is False or value == "F":
        return False
    return None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number >= 0 and number.is_integer() else None


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value not in {"", "-", "(empty)"}:
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _items(value: Any) -> list[str]:
    """A Zeek set or vector: a JSON list, or comma-separated TSV text."""
    if isinstance(value, list):
        return [str(item) for item in value]
    text = _text(value)
    return text.split(",") if text else []


def _from_tsv(text: str) -> dict[str, Any] | None:
    columns = text.rstrip("\r\n").split("\t")
    if len(columns) >= len(_DNS_COLUMNS) and (columns[7].isdigit() or columns[7] == "-"):
        names, path = _DNS_COLUMNS, "dns"
    elif len(columns) >= len(_CONN_COLUMNS) - 1 and columns[11] in _CONN_STATES:
        names, path = _CONN_COLUMNS, "conn"
    else:
        return None
    record: dict[str, Any] = dict(zip(names, columns, strict=False))
    record["_path"] = path
    return record


def _from_json(text: str) -> dict[str, Any] | None:
    start = text.find("{")
    try:
        record, _ = _DECODER.raw_decode(text, start)
    except (ValueError, RecursionError) as error:
        raise ParseError(f"Zeek JSON line is not valid JSON: {error}") from None
    if not isinstance(record, dict):
        return None
    path = record.get("_path")
    if path not in {"conn", "dns"}:
        if "conn_state" in record or "history" in record:
            path = "conn"
        elif "query" in record or "qtype_name" in record or "trans_id" in record:
            path = "dns"
        else:
            return None
    record["_path"] = path
    return record


def _put_time(doc: ECSDocument, value: Any, context: ParseContext) -> None:
    number = _number(value)
    try:
        if number is not None:
            put_time(doc, canonical.from_epoch(number))
        elif isinstance(value, str):
            put_time(doc, canonical.parse_iso(value, context.zone))
        else:
            raise ParseError("Zeek record without ts")
    except (ValueError, OverflowError, OSError):
        raise ParseError(f"Zeek ts {value!r} is neither epoch seconds nor ISO 8601") from None


def _put_duration(doc: ECSDocument, seconds: Any) -> None:
    duration = _number(seconds)
    if duration is not None and abs(duration) * _NANOS < _MAX_DURATION_NANOS:  # ECS: a signed 64-bit long
        put(doc, "event.duration", round(duration * _NANOS))  # Zeek writes µs: round, don't truncate


def _question_class(record: dict[str, Any]) -> str | None:
    number = _count(record.get("qclass"))
    if number is not None and number in _DNS_CLASSES:
        return _DNS_CLASSES[number]
    name = _text(record.get("qclass_name"))
    if name is not None:
        return _ZEEK_CLASS_NAMES.get(name, name)
    return None if number is None else f"CLASS{number}"  # RFC 3597 notation for an unnamed class


def _put_conn(doc: ECSDocument, record: dict[str, Any]) -> None:
    put(doc, "event.dataset", "zeek.conn")
    state = _text(record.get("conn_state"))
    put(doc, "zeek.connection.state", state)
    put(doc, "event.type", list(_STATE_TYPES.get(state or "", ("connection", "info"))))
    services = _items(record.get("service"))
    put(doc, "network.protocol", services[0].lower() if services else None)
    _put_duration(doc, record.get("duration"))
    put_traffic(doc, "bytes", _count(record.get("orig_ip_bytes")), _count(record.get("resp_ip_bytes")))
    put_traffic(doc, "packets", _count(record.get("orig_pkts")), _count(record.get("resp_pkts")))
    put(doc, "zeek.connection.orig_bytes", _count(record.get("orig_bytes")))
    put(doc, "zeek.connection.resp_bytes", _count(record.get("resp_bytes")))
    put(doc, "zeek.connection.missed_bytes", _count(record.get("missed_bytes")))
    put(doc, "zeek.connection.history", _text(record.get("history")))
    local_orig, local_resp = _flag(record.get("local_orig")), _flag(record.get("local_resp"))
    put(doc, "zeek.connection.local_orig", local_orig)
    put(doc, "zeek.connection.local_resp", local_resp)
    if local_orig is not None and local_resp is not None:
        direction = {
            (True, True): "internal",
            (True, False): "outbound",
            (False, True): "inbound",
            (False, False): "external",
        }[(local_orig, local_resp)]
        put(doc, "network.direction", direction)


def _put_dns(doc: ECSDocument, record: dict[str, Any]) -> None:
    put(doc, "event.dataset", "zeek.dns")
    # One DNS exchange over a connection (its uid): ECS types such records connection + protocol.
    put(doc, "event.type", ["connection", "protocol", "info"])
    put(doc, "network.protocol", "dns")
    put(doc, "dns.id", _text(record.get("trans_id")))
    put(doc, "dns.question.name", _text(record.get("query")))
    put(doc, "dns.question.type", _text(record.get("qtype_name")))
    put(doc, "dns.question.class", _question_class(record))
    rcode = _text(record.get("rcode_name"))
    put(doc, "dns.response_code", rcode)
    put(doc, "dns.type", "answer" if rcode else "query")
    if rcode:
        put(doc, "event.outcome", "success" if rcode == "NOERROR" else "failure")
    rtt = _number(record.get("rtt"))
    put(doc, "zeek.dns.rtt", rtt)
    _put_duration(doc, rtt)  # the query-to-reply time is the transaction's duration
    answers, ttls = _items(record.get("answers")), _items(record.get("TTLs"))
    written: list[dict[str, Any]] = []
    resolved: list[str] = []
    for index, data in enumerate(answers):
        entry: dict[str, Any] = {"data": data}
        ttl = _number(ttls[index]) if index < len(ttls) else None
        if ttl is not None:
            entry["ttl"] = int(ttl)
        written.append(entry)
        try:
            address = canonical.ip(data)
        except ValueError:
            continue
        resolved.append(address)
        add_related(doc, "ip", address)
    if written:
        put(doc, "dns.answers", written)
    if resolved:
        put(doc, "dns.resolved_ip", resolved)
    flags = [flag for flag in ("AA", "TC", "RD", "RA") if _flag(record.get(flag))]
    if flags:
        put(doc, "dns.header_flags", flags)
    put(doc, "zeek.dns.rejected", _flag(record.get("rejected")))


def parse(text: str, context: ParseContext) -> ECSDocument | None:
    """An ECS document for a conn.log or dns.log line; None for headers and for other logs."""
    stripped = text.lstrip()
    if not stripped or stripped.startswith("#"):
        return None
    tsv = _TSV_START.search(text) if "\t" in text else None
    if "{" in text and '"id.orig_h"' in text:
        record = _from_json(text)
    elif tsv is not None:
        record = _from_tsv(text[tsv.start() :])
    else:
        return None
    if record is None:
        return None
    doc: ECSDocument = {}
    put(doc, "event.original", text)
    put(doc, "event.module", "zeek")
    put(doc, "event.kind", "event")
    put(doc, "event.category", ["network"])
    put(doc, "observer.vendor", "Zeek")
    put(doc, "observer.product", "Zeek")
    put(doc, "observer.type", "ids")
    _put_time(doc, record.get("ts"), context)
    uid = _text(record.get("uid"))
    put(doc, "event.id", uid)
    put(doc, "zeek.session_id", uid)
    if not put_ip(doc, "source.ip", _text(record.get("id.orig_h"))):
        raise ParseError("Zeek record whose id.orig_h is not an IP address")
    if not put_ip(doc, "destination.ip", _text(record.get("id.resp_h"))):
        raise ParseError("Zeek record whose id.resp_h is not an IP address")
    proto = _text(record.get("proto"))
    ipv6 = ":" in doc["source"]["ip"]
    icmp_type = icmp_code = None
    if proto is not None and proto.lower() == "icmp":
        # For ICMP (v4 and v6) Zeek's "ports" are the message type and code, not ports; Zeek says
        # "icmp" for ICMPv6 too (IANA: ipv6-icmp, protocol 58).
        icmp_type, icmp_code = _count(record.get("id.orig_p")), _count(record.get("id.resp_p"))
        proto = "ipv6-icmp" if ipv6 else proto
    else:
        put_port(doc, "source.port", _count(record.get("id.orig_p")))
        put_port(doc, "destination.port", _count(record.get("id.resp_p")))
    put(doc, "network.type", "ipv6" if ipv6 else "ipv4")
    put_transport(doc, proto)
    put(doc, "network.community_id", _text(record.get("community_id")))
    put_community_id(doc, icmp_type, icmp_code)
    if record["_path"] == "conn":
        _put_conn(doc, record)
        # zeek.connection.* is conn.log's namespace: a dns.log record keeps the type and code in
        # the community ID only.
        put(doc, "zeek.connection.icmp.type", icmp_type)
        put(doc, "zeek.connection.icmp.code", icmp_code)
    else:
        _put_dns(doc, record)
    return doc


def sniff(text: str) -> bool:
    if '"id.orig_h"' in text:
        return "{" in text
    return "\t" in text and _TSV_START.search(text) is not None


ZEEK: Final = ParserSpec(
    name="zeek",
    parse=parse,
    sniff=sniff,
    priority=95,  # above generic JSON (90): the sniff is specific to Zeek
    dataset="zeek",
    description="Zeek conn.log and dns.log: JSON lines, TSV read with its header, or default-order TSV",
)
