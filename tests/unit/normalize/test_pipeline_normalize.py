"""normalize(): named and auto parsers, header merging, the failure document, plugins, never raising."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import socflow.plugins
from socflow.model.records import RawRecord, Transport
from socflow.normalize.builtin import builtin_specs
from socflow.normalize.ecs import ECSDocument
from socflow.normalize.pipeline import ECS_VERSION, document_failed, normalize, normalize_text
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec
from socflow.plugins import Registry

RECEIVED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CEF_LINE = "CEF:0|Acme|FW|1|100|Blocked|5|src=10.0.0.1 dst=10.0.0.2"


def _normalize(text: str, parser: str = "auto", zone: str | None = None) -> ECSDocument:
    return normalize_text(text, parser, received_at=RECEIVED, timezone=zone)


def _only_json_types(value: Any) -> bool:
    if isinstance(value, dict):
        return all(isinstance(key, str) and _only_json_types(item) for key, item in value.items())
    if isinstance(value, list):
        return all(_only_json_types(item) for item in value)
    return value is None or isinstance(value, str | int | float | bool)


def test_pipeline_every_document_carries_original_ingested_dataset_and_ecs_version() -> None:
    doc = _normalize("<13>Mar  1 11:00:00 h1 app: hi")

    assert doc["event"]["original"] == "<13>Mar  1 11:00:00 h1 app: hi"
    assert doc["event"]["ingested"] == "2024-03-01T12:00:00Z"
    assert (doc["event"]["dataset"], doc["event"]["module"]) == ("syslog", "syslog")
    assert doc["ecs"] == {"version": ECS_VERSION}
    assert json.loads(json.dumps(doc)) == doc


@pytest.mark.parametrize(
    ("text", "dataset"),
    [
        (CEF_LINE, "cef"),
        ("<134>Mar  1 11:00:00 fw1 " + CEF_LINE, "cef"),
        ("LEEF:1.0|V|P|1|E|src=1.1.1.1\tdst=2.2.2.2", "leef"),
        ('<14>1 2024-03-01T11:00:00Z h a - - - {"msg": "x", "src_ip": "1.2.3.4"}', "json"),
        ("<14>Mar  1 11:00:00 h a: user=bob src=1.2.3.4", "kv"),
        ("<14>Mar  1 11:00:00 h a: a plain message", "syslog"),
        ("free text without any header", "generic"),
    ],
)
def test_pipeline_auto_detects_the_format_after_a_syslog_header(text: str, dataset: str) -> None:
    doc = _normalize(text)

    assert not document_failed(doc)
    assert doc["event"]["dataset"] == dataset


def test_pipeline_merges_syslog_header_into_a_device_document() -> None:
    doc = _normalize("<134>Feb 28 11:00:00 fw1.corp.example acme[99]: " + CEF_LINE)

    assert doc["@timestamp"] == "2024-02-28T11:00:00Z"
    assert doc["host"] == {"name": "fw1", "domain": "corp.example", "hostname": "fw1.corp.example"}
    assert doc["process"] == {"name": "acme", "pid": 99}
    assert doc["log"]["syslog"]["hostname"] == "fw1.corp.example"
    assert doc["observer"]["vendor"] == "Acme"


def test_pipeline_prefers_the_device_timestamp_over_the_header() -> None:
    doc = _normalize("<134>Feb 28 11:00:00 fw1 " + CEF_LINE + " rt=1700000000000")

    assert doc["@timestamp"] == "2023-11-14T22:13:20Z"


def test_pipeline_named_parser_accepts_text_with_or_without_header() -> None:
    bare = _normalize(CEF_LINE, "cef")
    headed = _normalize("<134>Feb 28 11:00:00 fw1 " + CEF_LINE, "cef")

    assert bare["source"] == headed["source"] == {"ip": "10.0.0.1"}
    assert headed["host"]["name"] == "fw1"


def test_pipeline_reads_zoneless_times_in_the_senders_zone() -> None:
    doc = _normalize("<13>Feb 28 11:00:00 h a: b", zone="Europe/Berlin")

    assert doc["@timestamp"] == "2024-02-28T10:00:00Z"


@pytest.mark.parametrize(
    ("text", "parser", "error_type", "fragment"),
    [
        ("not syslog at all", "syslog", "parse_error", "syslog: not syslog"),
        ("CEF:0|broken", "cef", "parse_error", "cef: CEF header"),
        ("plain words", "cef", "parse_error", "not in the 'cef' format"),
        ("x", "nosuch", "not_found", "unknown parser 'nosuch'"),
        ("{bad", "auto", "parse_error", "auto/json: invalid JSON"),
    ],
)
def test_pipeline_failure_document_names_parser_and_reason(
    text: str, parser: str, error_type: str, fragment: str
) -> None:
    doc = _normalize(text, parser)

    assert document_failed(doc)
    assert doc["tags"] == ["_parse_failure"]
    assert doc["message"] == text
    assert doc["event"]["original"] == text
    assert doc["@timestamp"] == "2024-03-01T12:00:00Z"
    assert doc["error"]["type"] == error_type
    assert fragment in doc["error"]["message"]


def test_pipeline_failure_document_for_an_unknown_zone() -> None:
    doc = _normalize("<13>Feb 28 11:00:00 h a: b", zone="Nowhere/Land")

    assert document_failed(doc)
    assert "Nowhere/Land" in doc["error"]["message"]


def test_pipeline_survives_a_parser_that_crashes(fresh_parsers: Registry[ParserSpec]) -> None:
    def crash(text: str, context: ParseContext) -> ECSDocument | None:
        raise ZeroDivisionError("boom")

    fresh_parsers.register(ParserSpec(name="crashy", parse=crash, sniff=lambda text: True, priority=500))

    for parser, named in (("crashy", "crashy"), ("auto", "auto/crashy")):
        doc = _normalize("anything", parser)
        assert document_failed(doc)
        assert doc["error"] == {"message": f"{named}: boom", "type": "ZeroDivisionError"}


def test_pipeline_uses_a_parser_published_through_an_entry_point(
    fresh_parsers: Registry[ParserSpec], monkeypatch: pytest.MonkeyPatch
) -> None:
    def parse_acme(text: str, context: ParseContext) -> ECSDocument | None:
        if not text.startswith("ACME|"):
            return None
        return {"message": text[5:], "observer": {"vendor": "Acme"}}

    spec = ParserSpec(
        name="acme",
        parse=parse_acme,
        sniff=lambda text: text.startswith("ACME|"),
        priority=50,
        dataset="acme.box",
    )

    class FakeEntryPoint:
        def load(self) -> object:
            return spec

    def fake_entry_points(*, group: str) -> list[FakeEntryPoint]:
        return [FakeEntryPoint()] if group == "socflow.parsers" else []

    monkeypatch.setattr(socflow.plugins, "entry_points", fake_entry_points)

    auto = _normalize("<13>Feb 28 11:00:00 h app: ACME|hello")
    named = _normalize("ACME|direct", "acme")

    assert (auto["message"], auto["event"]["dataset"], auto["event"]["module"]) == (
        "hello",
        "acme.box",
        "acme",
    )
    assert auto["host"]["name"] == "h"
    assert named["message"] == "direct"


def test_pipeline_parser_that_does_not_recognise_text_lets_auto_continue(
    fresh_parsers: Registry[ParserSpec],
) -> None:
    fresh_parsers.register(
        ParserSpec(name="shy", parse=lambda text, context: None, sniff=lambda text: True, priority=1000)
    )

    doc = _normalize(CEF_LINE)

    assert doc["event"]["dataset"] == "cef"


def test_pipeline_normalize_reads_the_record_format_and_zone() -> None:
    record = RawRecord(
        text="<13>Feb 28 11:00:00 h a: b",
        received_at=datetime(2024, 3, 1, 13, 0),  # naive: taken as UTC
        transport=Transport.UDP,
        origin="10.0.0.1:514",
        format="syslog",
        timezone="+01:00",
    )
    doc = normalize(record)

    assert doc["@timestamp"] == "2024-02-28T10:00:00Z"
    assert doc["event"]["ingested"] == "2024-03-01T13:00:00Z"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.sampled_from(builtin_specs()))
def test_pipeline_builtin_parsers_raise_only_parse_error(text: str, spec: ParserSpec) -> None:
    context = ParseContext(received_at=RECEIVED)
    try:
        doc = spec.parse(text, context)
    except ParseError:
        return
    assert doc is None or _only_json_types(doc)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["auto", "syslog", "cef", "leef", "json", "kv"]))
def test_pipeline_never_raises_on_arbitrary_text(text: str, parser: str) -> None:
    doc = normalize_text(text, parser, received_at=RECEIVED)

    assert doc["event"]["original"] == text
    assert _only_json_types(doc)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_pipeline_never_raises_on_decoded_bytes(raw: bytes) -> None:
    text = raw.decode("utf-8", errors="replace")
    doc = normalize_text(text, received_at=RECEIVED)

    assert doc["event"]["original"] == text
    assert _only_json_types(doc)


_HEADERS = st.sampled_from(
    ["", "<13>", "<134>Feb 28 11:00:00 h a: ", "<14>1 - - - - - - ", "Jan  1 00:00:00 "]
)
_BODIES = st.sampled_from(["CEF:0|", "LEEF:2.0|", "{", "a=1 b=", "CEF:1|a|b|c|d|e|f|", "LEEF:1.0|a|b|c|d|"])


@settings(max_examples=300, deadline=None)
@given(_HEADERS, _BODIES, st.text(max_size=120))
def test_pipeline_never_raises_on_format_prefixed_noise(header: str, body: str, noise: str) -> None:
    doc = normalize_text(header + body + noise, received_at=RECEIVED)

    assert _only_json_types(doc)


def test_pipeline_named_parser_gets_the_whole_line_when_the_body_is_not_its_format(
    fresh_parsers: Registry[ParserSpec],
) -> None:
    def needs_pri(text: str, context: ParseContext) -> ECSDocument | None:
        return {"message": "mine"} if text.startswith("<99>") else None

    fresh_parsers.register(ParserSpec(name="pri99", parse=needs_pri))

    doc = _normalize("<99>Feb 28 11:00:00 h a: text", "pri99")

    assert doc["message"] == "mine"
    assert "log" not in doc  # the header was the device's own text, so it is not merged


def test_pipeline_whole_line_parser_that_declines_gives_a_failure(
    fresh_parsers: Registry[ParserSpec],
) -> None:
    fresh_parsers.register(
        ParserSpec(name="whole", parse=lambda text, context: None, wants_syslog_body=False)
    )

    doc = _normalize("anything", "whole")

    assert doc["error"]["message"] == "whole: the text is not in the 'whole' format"


def test_pipeline_registry_holds_builtins_for_callers_that_never_import_the_pipeline() -> None:
    code = "from socflow.normalize.registry import PARSERS; print(' '.join(PARSERS.names()))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert {"syslog", "cef", "leef", "json", "kv"} <= set(result.stdout.split())


_JSON_KEYS = st.sampled_from(
    ["@timestamp", "host", "user", "source", "event", "ts", "src", "msg", "x", "a.b"]
)
_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(_JSON_KEYS, children, max_size=3),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_JSON_KEYS, _JSON_VALUES, max_size=6))
def test_pipeline_never_raises_on_arbitrary_json_objects(record: dict[str, Any]) -> None:
    doc = normalize_text(json.dumps(record), received_at=RECEIVED)

    assert not document_failed(doc)
    assert _only_json_types(doc)


def test_pipeline_keeps_the_header_pid_off_a_process_the_message_describes() -> None:
    doc = normalize_text(
        "<85>Nov  1 10:00:00 bastion sudo[4242]: alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; "
        "COMMAND=/usr/bin/id -u"
    )

    assert doc["process"]["executable"] == "/usr/bin/id"
    assert "pid" not in doc["process"]
    assert doc["log"]["syslog"]["procid"] == "4242"
    assert doc["log"]["syslog"]["appname"] == "sudo"


def test_pipeline_fills_the_process_from_the_header_when_the_message_names_none() -> None:
    doc = normalize_text(
        "<38>Nov  1 10:00:00 bastion sshd[42]: Failed password for root from 203.0.113.9 port 5555 ssh2"
    )

    assert doc["process"] == {"name": "sshd", "pid": 42}
