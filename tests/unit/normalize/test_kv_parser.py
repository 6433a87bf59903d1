"""The `kv` parser: quoted values, escaped quotes, separators, the two-pair sniff, common-key mapping."""

from __future__ import annotations

from datetime import UTC, datetime

from socflow.normalize.kv import looks_like_kv, parse_kv, split_pairs
from socflow.normalize.registry import ParseContext

CONTEXT = ParseContext(received_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))


def test_kv_split_pairs_reads_quoted_values_and_escapes() -> None:
    pairs = split_pairs('a=1 b="two words" c=\'single q\' d="say \\"hi\\"" e= f=x,y;')

    assert pairs == {"a": "1", "b": "two words", "c": "single q", "d": 'say "hi"', "e": "", "f": "x,y"}


def test_kv_split_pairs_reads_comma_and_semicolon_separated_pairs() -> None:
    assert split_pairs("a=1, b=2; c=3") == {"a": "1", "b": "2", "c": "3"}


def test_kv_split_pairs_ignores_equals_inside_words() -> None:
    assert split_pairs("url=http://x/?q=1 n=2") == {"url": "http://x/?q=1", "n": "2"}


def test_kv_looks_like_kv_needs_two_pairs() -> None:
    assert looks_like_kv("a=1 b=2")
    assert not looks_like_kv("the value x=1 was seen")
    assert not looks_like_kv("no pairs at all")


def test_kv_parser_maps_common_keys_and_keeps_pairs() -> None:
    doc = parse_kv(
        "ts=2024-02-01T10:00:00Z src=10.0.0.1 sport=5555 dst=10.0.0.2 dport=80 proto=TCP "
        'user=CORP\\bob action=deny msg="blocked by policy" smac=001122334455',
        CONTEXT,
    )

    assert doc is not None
    assert doc["@timestamp"] == "2024-02-01T10:00:00Z"
    assert doc["source"] == {"ip": "10.0.0.1", "port": 5555, "mac": "00-11-22-33-44-55"}
    assert doc["destination"] == {"ip": "10.0.0.2", "port": 80}
    assert doc["network"] == {"transport": "tcp"}
    assert doc["user"] == {"name": "bob", "domain": "corp"}
    assert doc["event"] == {"action": "deny"}
    assert doc["message"] == "blocked by policy"
    assert doc["kv"]["proto"] == "TCP"


def test_kv_parser_answers_none_without_pairs() -> None:
    assert parse_kv("nothing here", CONTEXT) is None


def test_kv_parser_keeps_first_of_aliased_keys() -> None:
    doc = parse_kv("src_ip=10.0.0.1 src=10.0.0.9", CONTEXT)

    assert doc is not None
    assert doc["source"]["ip"] == "10.0.0.1"


def test_kv_common_keys_map_process_and_skip_unreadable_values() -> None:
    doc = parse_kv(
        "program=nginx pid=321 time=never src=not-an-ip level=ERROR message=first msg=second", CONTEXT
    )

    assert doc is not None
    assert doc["process"] == {"name": "nginx", "pid": 321}
    assert "@timestamp" not in doc
    assert doc["source"] == {"address": "not-an-ip"}
    assert doc["log"] == {"level": "error"}
    assert doc["message"] == "first"


def test_kv_common_keys_ignore_non_numeric_pid() -> None:
    doc = parse_kv("pid=abc user=bob", CONTEXT)

    assert doc is not None
    assert "process" not in doc
