"""Zeek TSV logs read with their own header lines: column order, subsets, separators, sets, unset."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from socflow.normalize.pipeline import normalize_text
from socflow.normalize.registry import ParseError
from socflow.normalize.zeek_tsv import ZeekTsvReader, looks_like_zeek_header, unescape

WHEN = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _header(fields: list[str], types: list[str], *, sep: str = "\t", path: str = "conn") -> list[str]:
    escaped = "".join(f"\\x{ord(char):02x}" for char in sep)
    return [
        f"#separator {escaped}",
        f"#set_separator{sep},",
        f"#empty_field{sep}(empty)",
        f"#unset_field{sep}-",
        f"#path{sep}{path}",
        f"#open{sep}2026-03-04-10-00-00",
        "#fields" + sep + sep.join(fields),
        "#types" + sep + sep.join(types),
    ]


def _read(lines: list[str]) -> list[dict[str, object]]:
    reader = ZeekTsvReader()
    records = [reader.feed(line) for line in lines]
    return [record for record in records if record is not None]


def test_header_lines_are_no_records_and_name_the_columns_in_any_order() -> None:
    fields = ["id.resp_p", "conn_state", "id.orig_h", "ts", "id.resp_h", "uid", "proto", "id.orig_p"]
    types = ["port", "string", "addr", "time", "addr", "string", "enum", "port"]
    line = "443\tSF\t10.0.0.5\t1709546400.250000\t192.0.2.80\tCabc123\ttcp\t51000"

    (record,) = _read([*_header(fields, types), line, "#close\t2026-03-04-11-00-00"])

    assert record == {
        "_path": "conn",
        "id.resp_p": 443,
        "conn_state": "SF",
        "id.orig_h": "10.0.0.5",
        "ts": 1709546400.25,
        "id.resp_h": "192.0.2.80",
        "uid": "Cabc123",
        "proto": "tcp",
        "id.orig_p": 51000,
    }


def test_unset_fields_are_left_out_empty_sets_are_empty_lists_and_sets_are_split() -> None:
    fields = [
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "query",
        "answers",
        "TTLs",
        "AA",
    ]
    types = [
        "time",
        "string",
        "addr",
        "port",
        "addr",
        "port",
        "string",
        "vector[string]",
        "vector[interval]",
        "bool",
    ]
    header = _header(fields, types, path="dns")
    full = (
        "1709546400.0\tCdns1\t10.0.0.5\t5353\t192.0.2.53\t53\texample.org\t192.0.2.1,192.0.2.2\t60.0,30.0\tT"
    )
    empty = "1709546400.0\tCdns2\t10.0.0.5\t5353\t192.0.2.53\t53\t-\t(empty)\t(empty)\tF"

    first, second = _read([*header, full, empty])

    assert first["answers"] == ["192.0.2.1", "192.0.2.2"]
    assert first["TTLs"] == [60.0, 30.0]
    assert first["AA"] is True
    assert "query" not in second
    assert second["answers"] == []
    assert second["AA"] is False


def test_a_custom_separator_and_escaped_values_are_read() -> None:
    fields = [
        "ts",
        "uid",
        "id.orig_h",
        "id.orig_p",
        "id.resp_h",
        "id.resp_p",
        "proto",
        "conn_state",
        "history",
    ]
    types = ["time", "string", "addr", "port", "addr", "port", "enum", "string", "string"]
    line = "1709546400.5|C9|10.0.0.5|40000|192.0.2.80|80|tcp|S0|S\\x7ch"

    (record,) = _read([*_header(fields, types, sep="|"), line])

    assert record["history"] == "S|h"  # the separator inside a value is written escaped
    assert record["id.resp_p"] == 80


def test_a_new_header_replaces_the_old_one_in_a_concatenated_log() -> None:
    conn = _header(["ts", "uid", "conn_state"], ["time", "string", "string"])
    dns = _header(["query", "ts"], ["string", "time"], path="dns")

    first, second = _read([*conn, "1.5\tCx\tSF", *dns, "example.org\t2.5"])

    assert first == {"_path": "conn", "ts": 1.5, "uid": "Cx", "conn_state": "SF"}
    assert second == {"_path": "dns", "query": "example.org", "ts": 2.5}


def test_data_before_fields_and_too_many_columns_are_parse_errors() -> None:
    reader = ZeekTsvReader()
    with pytest.raises(ParseError, match="before any #fields"):
        reader.feed("1.0\tCx")
    reader.feed("#fields\tts\tuid")
    with pytest.raises(ParseError, match="3 columns, the #fields header names 2"):
        reader.feed("1.0\tCx\textra")
    assert reader.feed("1.0") == {"ts": "1.0"}  # fewer columns: the rest is unset; no #types: text


def test_rendered_subset_line_becomes_the_same_ecs_event_as_a_full_line() -> None:
    fields = ["uid", "id.orig_h", "id.orig_p", "id.resp_h", "id.resp_p", "proto", "ts", "conn_state",
              "orig_ip_bytes", "resp_ip_bytes", "local_orig", "local_resp"]  # fmt: skip
    types = [
        "string",
        "addr",
        "port",
        "addr",
        "port",
        "enum",
        "time",
        "string",
        "count",
        "count",
        "bool",
        "bool",
    ]
    reader = ZeekTsvReader()
    for line in _header(fields, types):
        assert reader.render(line) is None
    rendered = reader.render("Cq1\t10.0.0.5\t51000\t192.0.2.80\t443\ttcp\t1709546400.25\tREJ\t60\t40\tT\tF")
    assert rendered is not None

    doc = normalize_text(rendered, "zeek", received_at=WHEN)

    assert json.loads(doc["event"]["original"])["uid"] == "Cq1"
    assert doc["event"]["dataset"] == "zeek.conn"
    assert doc["source"] == {"ip": "10.0.0.5", "port": 51000, "bytes": 60}
    assert doc["destination"]["port"] == 443
    assert doc["network"]["direction"] == "outbound"
    assert doc["network"]["bytes"] == 100
    assert doc["@timestamp"] == "2024-03-04T10:00:00.250000Z"
    assert "denied" in doc["event"]["type"]


def test_header_helpers() -> None:
    assert looks_like_zeek_header("#separator \\x09")
    assert not looks_like_zeek_header("#fields\tts")
    assert unescape("a\\x09b\\x5c") == "a\tb\\"
    assert unescape("plain") == "plain"
