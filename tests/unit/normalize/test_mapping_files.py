"""Declarative mappings: YAML and TOML files, base formats, converters, match rules, all issues."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socflow.errors import Conflict, ValidationFailed
from socflow.ingest.mapping_files import load_mappings
from socflow.normalize.mapping import from_dict
from socflow.normalize.mapping_sets import register_mappings, unregister_override
from socflow.normalize.pipeline import document_failed, normalize_text
from socflow.normalize.registry import ParseContext, ParserSpec
from socflow.plugins import Registry

CONTEXT = ParseContext(received_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))

ACME_YAML = """
name: acme_fw
description: Acme firewall, key=value after a fixed prefix
base: kv
dataset: acme.firewall
match:
  prefix: "ACMEFW "
fields:
  - {target: source.ip, source: from, convert: ip}
  - {target: source.port, source: from_port, convert: port}
  - {target: "@timestamp", source: when, convert: timestamp, format: "%d/%m/%Y %H:%M:%S"}
  - {target: user.name, source: who, convert: user}
  - {target: event.action, source: verdict, convert: lower}
  - {target: event.kind, value: alert}
  - {target: event.risk, source: risk, convert: int}
"""

BOX_TOML = """
name = "box"
base = "regex"
pattern = '^BOX (?P<host>\\S+) (?P<mac>\\S+) (?P<epoch>\\d+) (?P<text>.*)$'
[match]
prefix = "BOX "
[[fields]]
target = "host.name"
source = "host"
convert = "host"
[[fields]]
target = "source.mac"
source = "mac"
convert = "mac"
[[fields]]
target = "@timestamp"
source = "epoch"
convert = "timestamp"
format = "epoch"
[[fields]]
target = "message"
source = "text"
"""


def _write(folder: Path, name: str, text: str) -> None:
    (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")


def test_mapping_kv_file_maps_fields_with_converters(tmp_path: Path) -> None:
    _write(tmp_path, "acme.yaml", ACME_YAML)
    [spec] = load_mappings(tmp_path)

    assert spec.name == "acme_fw"
    assert spec.sniff is not None
    assert spec.sniff("ACMEFW from=1.2.3.4")
    assert not spec.sniff("other from=1.2.3.4")
    doc = spec.parse(
        'ACMEFW from=::ffff:1.2.3.4 from_port=99 when="02/01/2024 10:00:00" who=CORP\\eve '
        "verdict=DROP risk=7",
        CONTEXT,
    )
    assert doc is not None
    assert doc["source"] == {"ip": "1.2.3.4", "port": 99}
    assert doc["@timestamp"] == "2024-01-02T10:00:00Z"
    assert doc["user"] == {"name": "eve", "domain": "corp"}
    assert doc["event"] == {"action": "drop", "kind": "alert", "risk": 7}
    assert doc["kv"]["verdict"] == "DROP"


def test_mapping_regex_toml_file_maps_named_groups(tmp_path: Path) -> None:
    _write(tmp_path, "box.toml", BOX_TOML)
    [spec] = load_mappings(tmp_path)

    doc = spec.parse("BOX Srv1.Lab.Example aa:bb:cc:dd:ee:ff 1700000000 disk full", CONTEXT)

    assert doc is not None
    assert doc["host"] == {"name": "srv1", "domain": "lab.example"}
    assert doc["source"]["mac"] == "AA-BB-CC-DD-EE-FF"
    assert doc["@timestamp"] == "2023-11-14T22:13:20Z"
    assert doc["message"] == "disk full"
    assert spec.parse("BOX too short", CONTEXT) is None


def test_mapping_json_base_with_field_equals_and_dotted_sources() -> None:
    mapping = from_dict(
        {
            "name": "edr",
            "base": "json",
            "match": {"field": "meta.product", "equals": "SuperEDR"},
            "fields": {"host.name": "device.hostname", "process.name": "proc"},
        }
    )
    spec = mapping.spec()

    doc = spec.parse(
        '{"meta": {"product": "SuperEDR"}, "device": {"hostname": "PC7"}, "proc": "x.exe"}', CONTEXT
    )
    other = spec.parse('{"meta": {"product": "Other"}}', CONTEXT)

    assert doc is not None
    assert doc["host"]["name"] == "PC7"
    assert doc["process"]["name"] == "x.exe"
    assert other is None


def test_mapping_cef_and_leef_bases_expose_header_fields() -> None:
    cef_spec = from_dict(
        {
            "name": "c",
            "base": "cef",
            "match": {"field": "device_vendor", "equals": "Acme"},
            "fields": [
                {"target": "rule.id", "source": "signature_id"},
                {"target": "rule.name", "source": "cs1"},
            ],
        }
    ).spec()
    leef_spec = from_dict(
        {"name": "l", "base": "leef", "fields": [{"target": "rule.id", "source": "event_id"}]}
    ).spec()

    cef_doc = cef_spec.parse("CEF:0|Acme|P|1|S-1|n|3|cs1=Block all", CONTEXT)
    leef_doc = leef_spec.parse("LEEF:1.0|V|P|1|E-9|src=1.1.1.1", CONTEXT)

    assert cef_doc is not None
    assert cef_doc["rule"] == {"id": "S-1", "name": "Block all"}
    assert leef_doc is not None
    assert leef_doc["rule"] == {"id": "E-9"}
    assert leef_doc["source"]["ip"] == "1.1.1.1"


def test_mapping_skips_values_the_converter_cannot_read() -> None:
    spec = from_dict(
        {
            "name": "k",
            "base": "kv",
            "fields": [
                {"target": "source.ip", "source": "a", "convert": "ip"},
                {"target": "event.risk", "source": "b", "convert": "int"},
                {"target": "@timestamp", "source": "c", "convert": "timestamp"},
            ],
        }
    ).spec()

    doc = spec.parse("a=nope b=many c=never", CONTEXT)

    assert doc is not None
    assert "source" not in doc
    assert "@timestamp" not in doc
    assert "risk" not in doc.get("event", {})


def test_mapping_reports_every_problem_with_its_path(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "bad.yaml",
        """
        name: Bad Name
        base: xml
        priority: high
        colour: blue
        match: {regex: "([", field: x}
        fields:
          - {target: source.ip, source: a, convert: ipv9}
          - {target: "", value: 1, source: b}
          - {target: "@timestamp", source: t, convert: int, format: "%Y"}
          - "not a table"
    """,
    )
    _write(tmp_path, "broken.toml", "name = [unclosed")

    with pytest.raises(ValidationFailed) as caught:
        load_mappings(tmp_path)

    paths = {issue.path for issue in caught.value.issues}
    assert {
        "bad.yaml:name",
        "bad.yaml:base",
        "bad.yaml:priority",
        "bad.yaml:colour",
        "bad.yaml:match.regex",
        "bad.yaml:match.equals",
        "bad.yaml:fields[0].convert",
        "bad.yaml:fields[1].target",
        "bad.yaml:fields[1]",
        "bad.yaml:fields[2].format",
        "bad.yaml:fields[3]",
        "broken.toml",
    } <= paths
    messages = " ".join(issue.message for issue in caught.value.issues)
    assert "unknown converter 'ipv9'" in messages
    assert "unknown base format 'xml'" in messages


def test_mapping_refuses_regex_without_named_groups_and_duplicate_names(tmp_path: Path) -> None:
    _write(tmp_path, "a.yaml", "name: dup\nbase: regex\npattern: 'x(.*)'\nfields: {message: x}\n")
    _write(tmp_path, "b.yaml", "name: dup\nbase: kv\nfields: {message: x}\n")

    with pytest.raises(ValidationFailed) as caught:
        load_mappings(tmp_path)

    issues = {(issue.path, issue.message) for issue in caught.value.issues}
    assert ("a.yaml:pattern", "needs named groups (?P<name>...) to take fields from") in issues
    assert not any(path == "b.yaml:name" for path, _ in issues)  # a.yaml failed, so no clash was recorded


def test_mapping_load_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed, match="does not exist"):
        load_mappings(tmp_path / "absent")


def test_mapping_registered_is_used_by_auto_before_builtins(
    fresh_parsers: Registry[ParserSpec], tmp_path: Path
) -> None:
    _write(tmp_path, "acme.yaml", ACME_YAML)
    register_mappings(load_mappings(tmp_path))

    doc = normalize_text(
        "<13>Feb 28 11:00:00 h a: ACMEFW from=1.2.3.4 verdict=ok",
        received_at=datetime(2024, 3, 1, tzinfo=UTC),
    )

    assert doc["event"]["dataset"] == "acme.firewall"
    assert doc["source"]["ip"] == "1.2.3.4"
    assert doc["host"]["name"] == "h"


def test_mapping_overrides_a_builtin_of_the_same_name(fresh_parsers: Registry[ParserSpec]) -> None:
    custom = from_dict(
        {
            "name": "kv",
            "base": "kv",
            "dataset": "my.kv",
            "fields": [{"target": "event.kind", "value": "custom"}],
        }
    ).spec()
    register_mappings([custom])

    overridden = normalize_text("a=1 b=2", "kv")
    auto = normalize_text("a=1 b=2")
    unregister_override("kv")
    restored = normalize_text("a=1 b=2", "kv")

    assert overridden["event"]["dataset"] == auto["event"]["dataset"] == "my.kv"
    assert overridden["event"]["kind"] == "custom"
    assert restored["event"]["dataset"] == "kv"
    assert not document_failed(restored)


def test_mapping_without_override_refuses_a_taken_name(fresh_parsers: Registry[ParserSpec]) -> None:
    custom = from_dict({"name": "cef", "base": "kv", "fields": {"message": "m"}}).spec()

    with pytest.raises(Conflict, match="'cef' is already registered"):
        register_mappings([custom], override=False)


def test_mapping_more_validation_problems_are_all_reported() -> None:
    with pytest.raises(ValidationFailed) as caught:
        from_dict(
            {
                "name": "x",
                "base": "kv",
                "pattern": "(?P<a>.)",
                "dataset": 5,
                "syslog_body": "yes",
                "match": {"prefix": "", "colour": 1, "field": 3, "equals": "v"},
                "fields": [
                    {"target": "a.b", "source": ""},
                    {"target": "a.c", "source": "s", "convert": "timestamp", "format": "dd/mm"},
                    {"target": "a.d", "source": "s", "extra": 1},
                    {"target": "a.e"},
                    {"target": "a.f", "value": [1, 2]},
                ],
            }
        )

    paths = [issue.path for issue in caught.value.issues]
    assert paths == [
        "pattern",
        "dataset",
        "syslog_body",
        "match.colour",
        "match.prefix",
        "match.field",
        "fields[0].source",
        "fields[1].format",
        "fields[2].extra",
        "fields[3]",
        "fields[4].value",
    ]


@pytest.mark.parametrize(
    ("data", "path"),
    [
        ([], ""),
        ({"name": "x", "base": "kv", "match": "prefix", "fields": {"a": "b"}}, "match"),
        ({"name": "x", "base": "kv", "fields": []}, "fields"),
        ({"name": "x", "base": "regex", "fields": {"a": "b"}}, "pattern"),
        ({"name": "x", "base": "regex", "pattern": "(", "fields": {"a": "b"}}, "pattern"),
    ],
)
def test_mapping_refuses_malformed_sections(data: object, path: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        from_dict(data)

    assert path in [issue.path for issue in caught.value.issues]


def test_mapping_converters_float_upper_string_iso_and_constant_types() -> None:
    spec = from_dict(
        {
            "name": "k",
            "base": "kv",
            "match": {"regex": "ratio="},
            "syslog_body": False,
            "fields": [
                {"target": "x.ratio", "source": "ratio", "convert": "float"},
                {"target": "x.code", "source": "code", "convert": "upper"},
                {"target": "x.text", "source": "code"},
                {"target": "event.start", "source": "at", "convert": "timestamp", "format": "iso"},
                {"target": "x.flag", "value": True},
            ],
        }
    ).spec()

    assert spec.sniff is not None
    assert spec.sniff("a=1 ratio=0.5")
    assert not spec.sniff("a=1 b=2")
    assert not spec.wants_syslog_body
    doc = spec.parse("ratio=0.5 code=ab at=2024-01-01T00:00:00+01:00", CONTEXT)
    assert doc is not None
    assert doc["x"] == {"ratio": 0.5, "code": "AB", "text": "ab", "flag": True}
    assert doc["event"]["start"] == "2023-12-31T23:00:00Z"


def test_mapping_without_match_sniffs_like_its_base() -> None:
    json_spec = from_dict({"name": "j", "base": "json", "fields": {"a": "b"}}).spec()
    regex_spec = from_dict({"name": "r", "base": "regex", "pattern": "(?P<a>x)", "fields": {"a": "a"}}).spec()

    assert json_spec.sniff is not None
    assert regex_spec.sniff is not None
    assert json_spec.sniff("{}")
    assert not json_spec.sniff("a=1 b=2")
    assert regex_spec.sniff("anything")
    assert json_spec.parse("not json", CONTEXT) is None


def test_mapping_bases_answer_none_for_text_in_another_format() -> None:
    for base in ("kv", "cef", "leef"):
        spec = from_dict({"name": "m", "base": base, "fields": {"a": "b"}}).spec()
        assert spec.parse("plain words", CONTEXT) is None


def test_mapping_load_reports_undecodable_files_and_ignores_other_suffixes(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("ignored", encoding="utf-8")
    (tmp_path / "latin.yaml").write_bytes(b"name: caf\xe9\n")
    _write(tmp_path, "good.toml", 'name = "good"\nbase = "kv"\n[fields]\n"a.b" = "c"\n')

    with pytest.raises(ValidationFailed) as caught:
        load_mappings(tmp_path)

    assert [issue.path for issue in caught.value.issues] == ["latin.yaml"]
    assert "cannot be read" in caught.value.issues[0].message
