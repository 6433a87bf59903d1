"""The `cef` parser: ArcSight Common Event Format header and extension, mapped to ECS."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Final

from socflow.model.severity import Severity
from socflow.normalize import canonical
from socflow.normalize.cef_extensions import EXTENSION_TO_ECS, FULL_NAMES, label_key
from socflow.normalize.community_id import put_community_id
from socflow.normalize.ecs import ECSDocument, get, put
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec

_HEADER_FIELD: Final = re.compile(r"((?:[^|\\]|\\.)*)\|", re.DOTALL)
_HEADER_ESCAPE: Final = re.compile(r"\\(.)", re.DOTALL)
_EXTENSION_KEY: Final = re.compile(r"(?:^|(?<=\s))([A-Za-z0-9_][\w.\-\[\]]*)=")
_EXTENSION_ESCAPE: Final = re.compile(r"\\(.)", re.DOTALL)
_EXTENSION_UNESCAPED: Final = {"\\": "\\", "=": "=", "n": "\n", "r": "\r", "|": "|"}
_HEADER_FIELDS: Final = 7  # version, vendor, product, device version, signature id, name, severity
INVALID_ESCAPE_TAG: Final = "_cef_invalid_escape"

# The specification names four bands (0-3, 4-6, 7-8, 9-10); a word stands for its band's lowest
# number, as Elastic's decode_cef reads it, so both tools agree on the same line.
_SEVERITY_WORDS: Final = {"low": 0, "medium": 4, "high": 7, "very-high": 9, "veryhigh": 9}
# Times the ArcSight agent stamps with its own clock: dtz (the device's zone) does not apply.
_AGENT_CLOCK_KEYS: Final = frozenset({"art"})
_CUSTOM_PREFIXES: Final = ("cs", "cn", "cfp", "c6a", "flexString", "flexNumber", "deviceCustomDate")


@dataclass(frozen=True)
class CefRecord:
    """A CEF line split into its header fields and its (unescaped) extension pairs."""

    version: int
    vendor: str
    product: str
    device_version: str
    signature_id: str
    name: str
    severity: str
    extensions: dict[str, str]
    invalid_escapes: bool = False


def _unescape_header(text: str, problems: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        char = match.group(1)
        if char in "|\\":
            return char
        problems.append(f"invalid escape \\{char} in the header")
        return match.group()

    return _HEADER_ESCAPE.sub(replace, text) if "\\" in text else text


def _unescape_value(text: str, problems: list[str]) -> str:
    def replace(match: re.Match[str]) -> str:
        unescaped = _EXTENSION_UNESCAPED.get(match.group(1))
        if unescaped is None:
            problems.append(f"invalid escape {match.group()!r} in the extension")
            return match.group()
        return unescaped

    return _EXTENSION_ESCAPE.sub(replace, text) if "\\" in text else text


def split_extension(text: str, problems: list[str]) -> dict[str, str]:
    """Extension `key=value` pairs: a value runs to the next ` key=`; '=' inside values is escaped."""
    pairs: dict[str, str] = {}
    keys = list(_EXTENSION_KEY.finditer(text))
    leading = text[: keys[0].start()] if keys else text
    if leading.strip():
        raise ParseError(f"CEF extension has text without a key: {leading.strip()[:40]!r}")
    for index, key in enumerate(keys):
        end = keys[index + 1].start() if index + 1 < len(keys) else len(text)
        pairs[key.group(1)] = _unescape_value(text[key.end() : end].rstrip(), problems)
    return pairs


def _split_escaped_header(text: str, position: int, problems: list[str]) -> tuple[list[str], str]:
    fields: list[str] = []
    while len(fields) < _HEADER_FIELDS:
        match = _HEADER_FIELD.match(text, position)
        if match is None:
            raise ParseError(f"CEF header has only {len(fields)} of {_HEADER_FIELDS} '|'-terminated fields")
        fields.append(_unescape_header(match.group(1), problems))
        position = match.end()
    return fields, text[position:]


def parse_cef_record(text: str) -> CefRecord | None:
    """The CEF record in `text` (which may have text before 'CEF:'), None when there is no 'CEF:'."""
    start = 0 if text.startswith("CEF:") else text.find(" CEF:") + 1
    if start == 0 and not text.startswith("CEF:"):
        return None
    problems: list[str] = []
    parts = text[start + 4 :].split("|", _HEADER_FIELDS)
    if len(parts) > _HEADER_FIELDS and not any("\\" in part for part in parts[:_HEADER_FIELDS]):
        fields, extension_text = parts[:_HEADER_FIELDS], parts[_HEADER_FIELDS]  # no escapes: plain split
    else:
        fields, extension_text = _split_escaped_header(text, start + 4, problems)
    version_text = fields[0].strip()
    if version_text not in {"0", "1"}:
        raise ParseError(f"unsupported CEF version {version_text!r} (expecting 0 or 1)")
    extensions = split_extension(extension_text, problems)
    vendor, product, device_version, signature_id, name, severity = fields[1:]
    return CefRecord(
        version=int(version_text),
        vendor=vendor,
        product=product,
        device_version=device_version,
        signature_id=signature_id,
        name=name,
        severity=severity,
        extensions=extensions,
        invalid_escapes=bool(problems),
    )


def severity_number(text: str) -> int | None:
    """CEF severity 0-10 as a number; the words Low/Medium/High/Very-High are read too."""
    value = text.strip()
    if value.isdigit():
        number = int(value)
        return number if number <= 10 else None
    return _SEVERITY_WORDS.get(value.lower())


def severity_level(number: int) -> Severity:
    """The CEF ranges 0-3 low, 4-6 medium, 7-8 high, 9-10 very high, on socflow's severity names."""
    if number <= 3:
        return Severity.LOW
    if number <= 6:
        return Severity.MEDIUM
    if number <= 8:
        return Severity.HIGH
    return Severity.CRITICAL


def _custom_labels(extensions: dict[str, str]) -> dict[str, str]:
    """cs1..cs6, cn1..cn3 and friends under their csNLabel names (or their own key when unlabelled)."""
    labels: dict[str, str] = {}
    for key, value in extensions.items():
        if key.endswith("Label") or not key.startswith(_CUSTOM_PREFIXES):
            continue
        labels[label_key(extensions.get(f"{key}Label") or key)] = value
    return labels


def _in_device_zone(context: ParseContext, extensions: dict[str, str]) -> ParseContext:
    """The context whose zone is the device's `dtz`, when the event names a known one.

    rt/start/end written as 'MMM dd yyyy HH:mm:ss' carry no zone: the specification has `dtz`
    say the device's, which is closer to the truth than the listener's configured zone. `art` is
    not the device's clock but the agent's (connector's): it is read in the listener's zone."""
    name = extensions.get("dtz") or extensions.get("deviceTimeZone")
    if not name:
        return context
    try:
        return dataclasses.replace(context, zone=canonical.zone(name))
    except ValueError:
        return context


def cef_document(record: CefRecord, context: ParseContext) -> ECSDocument:
    """The ECS document for one CEF record; every extension also stays under `cef.extensions`."""
    doc: ECSDocument = {}
    device_context = _in_device_zone(context, record.extensions)
    put(doc, "observer.vendor", record.vendor)
    put(doc, "observer.product", record.product)
    put(doc, "observer.version", record.device_version)
    put(doc, "event.code", record.signature_id)
    severity = severity_number(record.severity)
    if severity is not None:
        put(doc, "event.severity", severity)
        put(doc, "log.level", severity_level(severity).value)
    for raw_key, value in record.extensions.items():
        key = FULL_NAMES.get(raw_key, raw_key)
        setter = EXTENSION_TO_ECS.get(key)
        if setter is not None and value:
            setter(doc, value, context if key in _AGENT_CLOCK_KEYS else device_context)
    if get(doc, "message") is None:
        put(doc, "message", record.name)
    if get(doc, "event.action") is None:
        put(doc, "event.action", record.name)
    put_community_id(doc)  # CEF has no ICMP type key: an ICMP flow gets none
    labels = _custom_labels(record.extensions)
    if labels:
        doc["labels"] = labels
    doc["cef"] = {
        "version": record.version,
        "name": record.name,
        "severity": record.severity,
        "extensions": record.extensions,
    }
    if record.invalid_escapes:
        doc["tags"] = [INVALID_ESCAPE_TAG]
    return doc


def looks_like_cef(text: str) -> bool:
    return text.startswith("CEF:")


def parse_cef(text: str, context: ParseContext) -> ECSDocument | None:
    record = parse_cef_record(text)
    if record is None:
        return None
    return cef_document(record, context)


CEF = ParserSpec(
    name="cef",
    parse=parse_cef,
    sniff=looks_like_cef,
    priority=100,
    dataset="cef",
    description="ArcSight Common Event Format (CEF:0 and CEF:1), with or without a syslog header",
)
SPECS = (CEF,)
