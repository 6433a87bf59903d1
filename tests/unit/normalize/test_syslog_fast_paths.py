"""Intake fast paths read as the general code does: RFC 3164 in one match, 5424 stamps, header hosts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socflow.model.records import RawRecord, Transport
from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, put_host
from socflow.normalize.kv import looks_like_kv
from socflow.normalize.pipeline import normalize, normalize_many
from socflow.normalize.registry import ParseError
from socflow.normalize.syslog_header import (
    _common_3164,
    _general_3164,
    _parse_5424,
    _timestamp_5424,
    split_syslog,
)
from socflow.normalize.syslog_merge import _put_host

RECEIVED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
BERLIN = canonical.zone("Europe/Berlin")

# Lines the fast path must read like the general path, or leave to it (then both give the same).
TRICKY_3164 = [
    "<38>Feb  5 17:32:18 web01 sshd[4242]: Accepted password",
    "<38>Feb 15 17:32:18 web01.corp.example sshd: hello",
    "<13>Mar  1 11:59:59 web01 CRON[12]:",
    "<13>Mar  1 11:59:59 2024 web01 app: a year after the time",
    "<13>Mar  1 11:59:59 UTC web01 app: a zone after the time",
    "<13>Mar  1 11:59:59 EST: app: a zone then a colon",
    "<13>Mar  1 11:59:59 ESTATE app: a host that starts like a zone",
    "<13>Mar  1 11:59:59 Z app: the zone Z",
    "<13>Mar  1 11:59:59 UTC+2 app: an offset zone",
    "<13>Mar  1 11:59:59 1234x app: digits then a letter",
    "<13>Mar  1 11:59:59 12345 app: five digits",
    "<13>Mar  1 11:59:59 fe80::1 app: an IPv6 host",
    "<13>Mar  1 11:59:59 10.0.0.1 app[7]: an IPv4 host",
    "<13>Mar  1 11:59:59 sshd[1]: no host",
    "<13>Mar  1 11:59:59 host  app: two spaces",
    "<13>Mar  1 11:59:59 host :app: a colon",
    "<13>Mar  1 11:59:59 host %ASA-6-302013: Cisco",
    "<13>Mar  1 11:59:59.123 host app: fraction",
    "<13>Mar 31 11:59:59 host app: a day the month has",
    "<13>Feb 30 11:59:59 host app: a day February does not have",
    "<13>Feb 29 11:59:59 host app: a leap day",
    "<192>Mar  1 11:59:59 host app: priority too high",
    "<999>Mar  1 11:59:59 host app: priority far too high",
    "<13>Mon Mar  1 11:59:59 host app: weekday",
    "<13>mar  1 11:59:59 host app: lower-case month",
    "<13>Mar  1 11:59:59 host app[]: empty pid",
    "<13>Mar  1 11:59:59 host app[12 3]: pid with a space",
    "<13>Mar  1 11:59:59 host " + "a" * 70 + ": a tag too long",
    "<13>Mar  1 11:59:59 héllo app: a non-ASCII host",
    "<13>Dec 31 23:59:59 host app: last year's stamp",
    "Mar  1 11:59:59 host app: no PRI",
]


@pytest.mark.parametrize("line", TRICKY_3164)
@pytest.mark.parametrize("zone", [UTC, BERLIN])
def test_common_rfc3164_reads_like_the_general_path(line: str, zone: timezone) -> None:
    general = _general_3164(line, RECEIVED, zone, strict=False)
    fast = _common_3164(line, RECEIVED, zone)

    assert fast is None or fast == general
    assert split_syslog(line, RECEIVED, zone) == general


def test_common_rfc3164_takes_the_usual_shape() -> None:
    header = _common_3164("<38>Feb  5 17:32:18 web01 sshd[4242]: Accepted password", RECEIVED, UTC)

    assert header is not None
    assert (header.priority, header.hostname, header.appname, header.procid) == (38, "web01", "sshd", "4242")
    assert header.timestamp == datetime(2024, 2, 5, 17, 32, 18, tzinfo=UTC)
    assert header.body == "Accepted password"


_TOKEN = st.sampled_from(
    ["web01", "2024", "UTC", "EST", "Z", "GMT+1", "+0200", "host.example", "10.0.0.1", "fe80::1", "a:b",
     "sshd[1]:", "app:", "%ASA-6-1:", ":", "[x]", "", " ", "  ", "app[]:", "x" * 70 + ":", "CEST"]
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    pri=st.integers(0, 999),
    month=st.sampled_from(["Jan", "Feb", "Apr", "Dec", "Foo"]),
    day=st.integers(0, 32),
    tokens=st.lists(_TOKEN, max_size=4),
    body=st.text(max_size=10),
)
def test_common_rfc3164_matches_the_general_path_on_generated_lines(
    pri: int, month: str, day: int, tokens: list[str], body: str
) -> None:
    line = f"<{pri}>{month} {day:2d} 10:11:12 " + " ".join(tokens) + " " + body
    fast = _common_3164(line, RECEIVED, UTC)

    assert fast is None or fast == _general_3164(line, RECEIVED, UTC, strict=False)


@pytest.mark.parametrize(
    "stamp",
    [
        "2024-03-01T12:00:00Z",
        "2024-03-01T12:00:00.5Z",
        "2024-03-01T12:00:00.123456Z",
        "2024-03-01T12:00:00+02:00",
        "2024-03-01T12:00:00.001-05:30",
        "2024-03-01T00:30:00+01:00",
    ],
)
def test_rfc5424_timestamps_read_like_parse_iso(stamp: str) -> None:
    moment = _timestamp_5424(stamp)

    assert moment == canonical.parse_iso(stamp)
    assert moment is not None
    assert moment.tzinfo is UTC


def test_rfc5424_nil_timestamp_and_impossible_dates() -> None:
    line = "<13>1 2024-02-30T00:00:00Z host app - - - text"

    assert _timestamp_5424("-") is None
    with pytest.raises(ValueError, match="day is out of range"):
        _timestamp_5424("2024-02-30T00:00:00Z")
    assert _parse_5424(line, strict=False) is None
    with pytest.raises(ParseError, match="RFC 5424: day is out of range"):
        split_syslog(line, RECEIVED, strict=True)


@pytest.mark.parametrize(
    ("value", "before"),
    [
        ("web01", {}),
        ("WEB01.Corp.Example.", {}),
        ("CORP\\WEB01", {}),
        ("10.0.0.1", {}),
        ("::ffff:10.0.0.1", {}),
        ("[fe80::1%eth0]", {}),
        ("-", {}),
        ("10.0.0.1", {"host": {"ip": "10.9.9.9"}}),
        ("10.0.0.1", {"host": "not a dict", "related": {"ip": ["10.0.0.1"]}}),
        ("web01", {"host": {"name": "other"}, "related": "junk"}),
        (".", {}),
    ],
)
def test_header_host_is_written_like_put_host(value: str, before: ECSDocument) -> None:
    expected: ECSDocument = _copy(before)
    put_host(expected, "host", value)
    actual: ECSDocument = _copy(before)
    _put_host(actual, value)

    assert actual == expected
    assert list(actual) == list(expected)  # the same key order, so the same stored JSON


def _copy(doc: ECSDocument) -> ECSDocument:
    return {key: (_copy(value) if isinstance(value, dict) else value) for key, value in doc.items()}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a=1 b=2", True),
        ("a=1", False),
        ("no pairs at all", False),
        ("x == y", False),  # two '=' but no pairs
        ('user=bob msg="a b"', True),
    ],
)
def test_kv_sniff(text: str, expected: bool) -> None:
    assert looks_like_kv(text) is expected


def test_bsd_moment_reads_the_receipt_date_in_the_sender_zone() -> None:
    # 23:30 UTC on Dec 31 is already Jan 1 in Berlin: a "Jan  1" stamp is this coming year there.
    received = datetime(2023, 12, 31, 23, 30, tzinfo=UTC)
    groups = ("Jan", "1", None, None, "00", "20", "00", None, None)

    moment = canonical.bsd_moment(groups, received, BERLIN)

    assert moment == datetime(2024, 1, 1, 0, 20, tzinfo=BERLIN).astimezone(UTC)
    later = received + timedelta(hours=1)
    assert canonical.bsd_moment(groups, later) == datetime(2024, 1, 1, 0, 20, tzinfo=UTC)


def test_normalize_many_gives_what_normalize_gives() -> None:
    lines = [*TRICKY_3164, "<13>1 2024-03-01T11:00:00Z h a - - - x", "CEF:0|A|B|1|2|n|3|src=10.0.0.1", "{bad"]
    records = [
        RawRecord(line, RECEIVED, Transport.TCP, "192.0.2.1:9", "t", fmt)
        for line in lines
        for fmt in ("auto", "syslog")
    ]

    assert normalize_many(records) == [normalize(record) for record in records]
