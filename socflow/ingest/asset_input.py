"""Asset input: one asset's fields checked and made canonical, from the API, the CLI or an import file."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final

from socflow.errors import Issue, ValidationFailed
from socflow.model.asset import AddressKind, Criticality
from socflow.normalize import canonical

MAX_NAME: Final = 255
MAX_OWNER: Final = 200
MAX_IMPORT_ROWS: Final = 100_000
IMPORT_COLUMNS: Final = ("name", "owner", "criticality", "description", "tags", "ips", "macs", "valid_from")


@dataclass(frozen=True)
class AssetInput:
    """A host as the inventory keeps it: canonical name and domain, addresses canonical too."""

    name: str
    domain: str = ""
    owner: str = ""
    criticality: Criticality = Criticality.MEDIUM
    description: str = ""
    tags: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    macs: tuple[str, ...] = ()
    valid_from: datetime | None = None  # when the addresses were seen; None means "now"
    line: int = 0  # where it came from in an import (1-based; 0 outside imports)
    present: frozenset[str] = field(default_factory=frozenset)  # the fields the source actually gave


def host_key(value: str) -> tuple[str, str]:
    """(name, domain) of a host spelled any way canonical.host understands; domain "" when none."""
    parsed = canonical.host(value)
    return parsed.name, parsed.domain or ""


def canonical_address(kind: AddressKind, value: str) -> str:
    return canonical.ip(value) if kind is AddressKind.IP else canonical.mac(value)


def _as_list(value: Any) -> list[str]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.replace(",", ";").split(";") if part.strip()]
    if isinstance(value, list):
        return [str(item).strip() for item in value if str(item).strip()]
    raise TypeError("must be a list or a ';'-separated string")


def _time(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    moment = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise ValueError("needs a time zone (e.g. 2026-01-31T08:00:00Z)")
    return moment.astimezone(UTC)


def _text(raw: Mapping[str, Any], key: str, limit: int, issues: list[Issue], where: str) -> str:
    value = raw.get(key)
    text = "" if value is None else str(value).strip()
    if len(text) > limit:
        issues.append(Issue(f"{where}.{key}", f"at most {limit} characters"))
    return text


def build(raw: Mapping[str, Any], where: str, line: int = 0) -> tuple[AssetInput | None, list[Issue]]:
    """Check one asset's fields; every problem is returned (with `where` as the path prefix)."""
    issues: list[Issue] = []
    unknown = sorted(set(raw) - set(IMPORT_COLUMNS) - {"domain"})
    issues.extend(Issue(f"{where}.{key}", "unknown field") for key in unknown)
    name_text = _text(raw, "name", MAX_NAME, issues, where)
    name, domain = host_key(name_text) if name_text else ("", "")
    if not name:
        issues.append(Issue(f"{where}.name", "a host name is required"))
    if raw.get("domain"):
        domain = str(raw["domain"]).strip().lower().rstrip(".")
    criticality = Criticality.MEDIUM
    if raw.get("criticality") not in (None, ""):
        try:
            criticality = Criticality(str(raw["criticality"]).strip().lower())
        except ValueError:
            issues.append(Issue(f"{where}.criticality", "one of: " + ", ".join(Criticality)))
    owner = _text(raw, "owner", MAX_OWNER, issues, where)
    description = _text(raw, "description", 100_000, issues, where)
    lists: dict[str, list[str]] = {}
    for key in ("tags", "ips", "macs"):
        try:
            lists[key] = _as_list(raw.get(key))
        except TypeError as exc:
            issues.append(Issue(f"{where}.{key}", str(exc)))
            lists[key] = []
    tags = [tag.lower() for tag in lists["tags"]]
    issues.extend(Issue(f"{where}.tags", f"{tag!r}: 1 to 100 characters") for tag in tags if len(tag) > 100)
    addresses: dict[AddressKind, list[str]] = {AddressKind.IP: [], AddressKind.MAC: []}
    for kind, key in ((AddressKind.IP, "ips"), (AddressKind.MAC, "macs")):
        for value in lists[key]:
            try:
                addresses[kind].append(canonical_address(kind, value))
            except ValueError:
                issues.append(Issue(f"{where}.{key}", f"{value!r} is not a valid {kind.value.upper()}"))
    try:
        valid_from = _time(raw.get("valid_from"))
    except ValueError as exc:
        issues.append(Issue(f"{where}.valid_from", f"not an ISO 8601 time with a zone: {exc}"))
        valid_from = None
    if issues:
        return None, issues
    item = AssetInput(
        name=name,
        domain=domain,
        owner=owner,
        criticality=criticality,
        description=description,
        tags=tuple(dict.fromkeys(tags)),
        ips=tuple(dict.fromkeys(addresses[AddressKind.IP])),
        macs=tuple(dict.fromkeys(addresses[AddressKind.MAC])),
        valid_from=valid_from,
        line=line,
        present=frozenset(key for key, value in raw.items() if value not in (None, "")),
    )
    return item, []


def _collect(rows: Iterable[tuple[Mapping[str, Any], str, int]]) -> list[AssetInput]:
    """All rows checked; one ValidationFailed naming every problem of every row, or the inputs."""
    items: list[AssetInput] = []
    issues: list[Issue] = []
    seen: dict[tuple[str, str], str] = {}
    for raw, where, line in rows:
        if len(items) + len(issues) >= MAX_IMPORT_ROWS:
            issues.append(Issue(where, f"an import holds at most {MAX_IMPORT_ROWS} assets"))
            break
        item, problems = build(raw, where, line)
        issues.extend(problems)
        name = raw.get("name")
        if isinstance(name, str) and name.strip():
            key = host_key(name)
            if raw.get("domain"):
                key = (key[0], str(raw["domain"]).strip().lower().rstrip("."))
            if key in seen:
                issues.append(Issue(f"{where}.name", f"the same host as {seen[key]}"))
            seen.setdefault(key, where)
        if item is not None:
            items.append(item)
    if issues:
        raise ValidationFailed(
            f"the import has {len(issues)} problem(s); nothing was imported", issues=issues
        )
    return items


def parse_csv(text: str) -> list[AssetInput]:
    """A CSV with a header row naming IMPORT_COLUMNS (name required); lists are ';'-separated."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")), skipinitialspace=True)
    header = [name.strip().lower() for name in reader.fieldnames or []]
    if "name" not in header:
        raise ValidationFailed(
            "the CSV needs a header row with a 'name' column", issues=[Issue("line 1", "no name")]
        )
    reader.fieldnames = header

    def rows() -> Iterable[tuple[Mapping[str, Any], str, int]]:
        for record in reader:
            line = reader.line_num
            extra = record.pop(None, None)
            raw: dict[str, Any] = {key: value for key, value in record.items() if key}
            if extra:
                raw["<extra>"] = extra
            yield raw, f"line {line}", line

    return _collect(rows())


def parse_json(text: str) -> list[AssetInput]:
    """A JSON list of asset objects, or {"assets": [...]}; lists may be arrays or ';'-separated strings."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"not valid JSON: {exc.msg}", issues=[Issue(f"line {exc.lineno}", exc.msg)]
        ) from None
    if isinstance(data, dict) and isinstance(data.get("assets"), list):
        data = data["assets"]
    if not isinstance(data, list):
        raise ValidationFailed(
            'expected a list of assets or {"assets": [...]}', issues=[Issue("$", "not a list of assets")]
        )
    bad = [
        Issue(f"assets[{index}]", "must be an object")
        for index, item in enumerate(data)
        if not isinstance(item, dict)
    ]
    if bad:
        raise ValidationFailed(f"the import has {len(bad)} problem(s); nothing was imported", issues=bad)
    return _collect((item, f"assets[{index}]", index + 1) for index, item in enumerate(data))
