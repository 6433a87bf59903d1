"""Declarative user mappings: a YAML or TOML file that turns a device's log into ECS without Python."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Final

from socflow.errors import Issue, ValidationFailed
from socflow.normalize import canonical, cef, json_format, kv, leef
from socflow.normalize.ecs import ECSDocument, put, put_host, put_ip, put_mac, put_port, put_user
from socflow.normalize.registry import ParseContext, ParserSpec

DEFAULT_PRIORITY: Final = 200  # above every built-in sniffer: a user's mapping is asked first
_NAME: Final = re.compile(r"^[a-z0-9][a-z0-9_.\-]{0,63}$")
_TOP_LEVEL_KEYS: Final = frozenset(
    {"name", "description", "base", "pattern", "dataset", "priority", "match", "fields", "syslog_body"}
)


class BaseFormat(StrEnum):
    KV = "kv"
    JSON = "json"
    CEF = "cef"
    LEEF = "leef"
    REGEX = "regex"


class Converter(StrEnum):
    STRING = "string"
    IP = "ip"
    PORT = "port"
    MAC = "mac"
    USER = "user"
    HOST = "host"
    TIMESTAMP = "timestamp"
    INT = "int"
    FLOAT = "float"
    LOWER = "lower"
    UPPER = "upper"


@dataclass(frozen=True)
class FieldRule:
    """One row of the field table: ECS `target` from `source` (or the constant `value`) via `convert`."""

    target: str
    source: str | None
    value: Any
    convert: Converter
    time_format: str | None = None


@dataclass(frozen=True)
class Match:
    prefix: str | None = None
    regex: re.Pattern[str] | None = None
    field: str | None = None
    equals: str | None = None


@dataclass(frozen=True)
class DeviceMapping:
    """A validated mapping file; `spec()` turns it into the ParserSpec the pipeline runs."""

    name: str
    base: BaseFormat
    fields: tuple[FieldRule, ...]
    match: Match
    pattern: re.Pattern[str] | None
    dataset: str
    priority: int
    syslog_body: bool
    description: str

    def spec(self) -> ParserSpec:
        return ParserSpec(
            name=self.name,
            parse=self.parse,
            sniff=self.sniff,
            priority=self.priority,
            dataset=self.dataset,
            wants_syslog_body=self.syslog_body,
            description=self.description or f"user mapping over {self.base.value}",
        )

    def sniff(self, text: str) -> bool:
        if self.match.prefix is not None and not text.startswith(self.match.prefix):
            return False
        if self.match.regex is not None and self.match.regex.search(text) is None:
            return False
        if self.match.prefix is None and self.match.regex is None:
            return _BASE_SNIFFERS[self.base](text) if self.base in _BASE_SNIFFERS else True
        return True

    def parse(self, text: str, context: ParseContext) -> ECSDocument | None:
        extracted = self._extract(text, context)
        if extracted is None:
            return None
        doc, source = extracted
        if self.match.field is not None and str(_lookup(source, self.match.field)) != self.match.equals:
            return None
        for rule in self.fields:
            raw = rule.value if rule.source is None else _lookup(source, rule.source)
            if raw is None or raw == "":
                continue
            _apply(doc, rule, raw, context)
        return doc

    def _extract(self, text: str, context: ParseContext) -> tuple[ECSDocument, Mapping[str, Any]] | None:
        if self.base is BaseFormat.REGEX:
            assert self.pattern is not None  # validated: a regex mapping has a pattern
            found = self.pattern.search(text)
            if found is None:
                return None
            groups = {key: value for key, value in found.groupdict().items() if value is not None}
            return {"message": text}, groups
        if self.base is BaseFormat.KV:
            pairs = kv.split_pairs(text)
            doc = kv.parse_kv(text, context)
            return (doc, pairs) if doc is not None else None
        if self.base is BaseFormat.JSON:
            doc = json_format.parse_json(text, context)
            return (doc, json_format.parse_json_object(text)) if doc is not None else None
        if self.base is BaseFormat.CEF:
            record = cef.parse_cef_record(text)
            if record is None:
                return None
            header = {
                "device_vendor": record.vendor, "device_product": record.product,
                "device_version": record.device_version, "signature_id": record.signature_id,
                "name": record.name, "severity": record.severity,
            }  # fmt: skip
            return cef.cef_document(record, context), {**record.extensions, **header}
        found_leef = leef.parse_leef_record(text)
        if found_leef is None:
            return None
        header = {
            "device_vendor": found_leef.vendor, "device_product": found_leef.product,
            "device_version": found_leef.product_version, "event_id": found_leef.event_id,
        }  # fmt: skip
        return leef.leef_document(found_leef, context), {**found_leef.attributes, **header}


_BASE_SNIFFERS: Final[dict[BaseFormat, Callable[[str], bool]]] = {
    BaseFormat.KV: kv.looks_like_kv,
    BaseFormat.JSON: json_format.looks_like_json,
    BaseFormat.CEF: cef.looks_like_cef,
    BaseFormat.LEEF: leef.looks_like_leef,
}


def _lookup(source: Mapping[str, Any], path: str) -> Any:
    if path in source:
        return source[path]
    node: Any = source
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    return node


def _prefix(target: str, leaf: str) -> str:
    return target[: -len(leaf) - 1] if target.endswith(f".{leaf}") else target


def _apply(doc: ECSDocument, rule: FieldRule, raw: Any, context: ParseContext) -> None:
    """One field; a value the converter cannot read is skipped (the base parser's value stays)."""
    text = raw if isinstance(raw, str) else str(raw)
    try:
        if rule.convert is Converter.IP:
            put_ip(doc, rule.target, text)
        elif rule.convert is Converter.PORT:
            put_port(doc, rule.target, text)
        elif rule.convert is Converter.MAC:
            put_mac(doc, rule.target, text)
        elif rule.convert is Converter.USER:
            put_user(doc, _prefix(rule.target, "name"), text)
        elif rule.convert is Converter.HOST:
            put_host(doc, _prefix(rule.target, "name"), text)
        elif rule.convert is Converter.TIMESTAMP:
            put(doc, rule.target, canonical.format_time(_timestamp(text, rule.time_format, context)))
        elif rule.convert is Converter.INT:
            put(doc, rule.target, int(text))
        elif rule.convert is Converter.FLOAT:
            put(doc, rule.target, float(text))
        elif rule.convert is Converter.LOWER:
            put(doc, rule.target, text.lower())
        elif rule.convert is Converter.UPPER:
            put(doc, rule.target, text.upper())
        else:
            put(doc, rule.target, raw if isinstance(raw, str | int | float | bool) else text)
    except (ValueError, OverflowError):
        return


def _timestamp(text: str, time_format: str | None, context: ParseContext) -> datetime:
    if time_format is None:
        return canonical.parse_time(text, context.zone, context.received_at)
    if time_format == "epoch":
        return canonical.from_epoch(text)
    if time_format == "iso":
        return canonical.parse_iso(text, context.zone)
    return canonical.to_utc(datetime.strptime(text.strip(), time_format), context.zone)


# ---- validation ----------------------------------------------------------------------------------------


def _compile(pattern: Any, path: str, issues: list[Issue]) -> re.Pattern[str] | None:
    if not isinstance(pattern, str) or not pattern:
        issues.append(Issue(path, "must be a non-empty regular expression"))
        return None
    try:
        return re.compile(pattern)
    except re.error as error:
        issues.append(Issue(path, f"invalid regular expression: {error}"))
        return None


def _field_rule(entry: Any, path: str, issues: list[Issue]) -> FieldRule | None:
    if not isinstance(entry, Mapping):
        issues.append(Issue(path, "must be a table with target and source (or value)"))
        return None
    count = len(issues)
    unknown = sorted(set(entry) - {"target", "source", "value", "convert", "format"})
    for key in unknown:
        issues.append(Issue(f"{path}.{key}", "unknown key (known: target, source, value, convert, format)"))
    target = entry.get("target")
    if not isinstance(target, str) or not target or target.startswith(".") or ".." in target:
        issues.append(Issue(f"{path}.target", "must be an ECS field path such as source.ip"))
    source = entry.get("source")
    if "source" in entry and "value" in entry:
        issues.append(Issue(path, "has both source and value; give one"))
    elif "source" not in entry and "value" not in entry:
        issues.append(Issue(path, "needs a source field or a constant value"))
    elif "source" in entry and (not isinstance(source, str) or not source):
        issues.append(Issue(f"{path}.source", "must be the name of a field of the parsed record"))
    if "value" in entry and not isinstance(entry["value"], str | int | float | bool):
        issues.append(Issue(f"{path}.value", "a constant must be text, a number or true/false"))
    convert_name = entry.get("convert", Converter.STRING.value)
    try:
        convert = Converter(convert_name)
    except ValueError:
        known = ", ".join(item.value for item in Converter)
        issues.append(Issue(f"{path}.convert", f"unknown converter {convert_name!r} (known: {known})"))
        convert = Converter.STRING
    time_format = entry.get("format")
    if time_format is not None and (convert is not Converter.TIMESTAMP or not isinstance(time_format, str)):
        issues.append(
            Issue(f"{path}.format", "only for convert: timestamp (a strptime format, epoch or iso)")
        )
    elif isinstance(time_format, str) and time_format not in {"epoch", "iso"} and "%" not in time_format:
        issues.append(Issue(f"{path}.format", "must be a strptime format (with % directives), epoch or iso"))
    if len(issues) > count:
        return None
    return FieldRule(str(target), source, entry.get("value"), convert, time_format)


def _fields(raw: Any, issues: list[Issue]) -> tuple[FieldRule, ...]:
    if isinstance(raw, Mapping):  # short form: {ecs.field: source-field}
        raw = [{"target": target, "source": source} for target, source in raw.items()]
    if not isinstance(raw, list) or not raw:
        issues.append(Issue("fields", "must be a non-empty list of {target, source|value, convert}"))
        return ()
    rules = (_field_rule(entry, f"fields[{index}]", issues) for index, entry in enumerate(raw))
    return tuple(rule for rule in rules if rule is not None)


def _match(raw: Any, issues: list[Issue]) -> Match:
    if raw is None:
        return Match()
    if not isinstance(raw, Mapping):
        issues.append(Issue("match", "must be a table with prefix, regex and/or field + equals"))
        return Match()
    for key in sorted(set(raw) - {"prefix", "regex", "field", "equals"}):
        issues.append(Issue(f"match.{key}", "unknown key (known: prefix, regex, field, equals)"))
    prefix = raw.get("prefix")
    if prefix is not None and (not isinstance(prefix, str) or not prefix):
        issues.append(Issue("match.prefix", "must be non-empty text"))
    regex = _compile(raw["regex"], "match.regex", issues) if "regex" in raw else None
    field, equals = raw.get("field"), raw.get("equals")
    if (field is None) != (equals is None):
        issues.append(
            Issue("match.field" if field is None else "match.equals", "field and equals go together")
        )
    elif field is not None and not isinstance(field, str):
        issues.append(Issue("match.field", "must be the name of a field of the parsed record"))
    return Match(
        prefix if isinstance(prefix, str) else None,
        regex,
        field if isinstance(field, str) else None,
        None if equals is None else str(equals),
    )


def from_dict(data: Any) -> DeviceMapping:
    """A mapping from its parsed file; ValidationFailed lists every problem with its path."""
    if not isinstance(data, Mapping):
        raise ValidationFailed("a mapping file must hold a table", issues=[Issue("", "must be a table")])
    issues: list[Issue] = []
    for key in sorted(set(data) - _TOP_LEVEL_KEYS):
        issues.append(Issue(key, f"unknown key (known: {', '.join(sorted(_TOP_LEVEL_KEYS))})"))
    name = data.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        issues.append(Issue("name", "must be 1-64 characters: lower-case letters, digits, _ . -"))
    base_name = data.get("base")
    try:
        base = BaseFormat(str(base_name))
    except ValueError:
        known = ", ".join(item.value for item in BaseFormat)
        issues.append(Issue("base", f"unknown base format {base_name!r} (known: {known})"))
        base = BaseFormat.KV
    pattern = None
    if base is BaseFormat.REGEX:
        pattern = _compile(data.get("pattern"), "pattern", issues)
        if pattern is not None and not pattern.groupindex:
            issues.append(Issue("pattern", "needs named groups (?P<name>...) to take fields from"))
    elif "pattern" in data:
        issues.append(Issue("pattern", "only for base: regex"))
    priority = data.get("priority", DEFAULT_PRIORITY)
    if not isinstance(priority, int) or isinstance(priority, bool):
        issues.append(Issue("priority", "must be an integer"))
    dataset = data.get("dataset", name if isinstance(name, str) else "")
    if not isinstance(dataset, str):
        issues.append(Issue("dataset", "must be text such as vendor.product"))
    syslog_body = data.get("syslog_body", True)
    if not isinstance(syslog_body, bool):
        issues.append(Issue("syslog_body", "must be true or false"))
    match = _match(data.get("match"), issues)
    fields = _fields(data.get("fields"), issues)
    if issues:
        raise ValidationFailed(f"mapping {name!r} is invalid ({len(issues)} problems)", issues=issues)
    return DeviceMapping(
        name=str(name),
        base=base,
        fields=fields,
        match=match,
        pattern=pattern,
        dataset=str(dataset),
        priority=int(priority),
        syslog_body=bool(syslog_body),
        description=str(data.get("description", "")),
    )
