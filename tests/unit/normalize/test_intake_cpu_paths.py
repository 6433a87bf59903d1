"""The cheaper intake paths give what the general ones give: BSD stamps, kv pairs, header merge, records."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from socflow.model.records import RawRecord, Transport
from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument
from socflow.normalize.kv import _PAIR, split_pairs
from socflow.normalize.syslog_header import SyslogFlavor, SyslogHeader
from socflow.normalize.syslog_merge import merge_header

ZONES: list[tzinfo] = [
    UTC,
    canonical.zone("Europe/Berlin"),
    canonical.zone("+05:30"),
    canonical.zone("-08:00"),
]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
# The kv pair pattern as it was written before the key test moved behind the first character.
FORMER_PAIR = re.compile(
    r"(?:^|(?<=[\s,;|]))([A-Za-z_@][\w.\-@/\[\]:]*)="
    r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s]*)",
    re.DOTALL,
)


def _general(
    month: str, day: str, hour: str, minute: str, second: str, received: datetime, zone: tzinfo
) -> object:
    """A bare stamp's moment as the general code computed it before its fast paths (a reference)."""
    month_number = canonical._MONTHS.get(month.lower())
    if month_number is None:
        return ValueError
    try:
        received_date = canonical.to_utc(received).astimezone(zone).date()
        year = canonical.year_for(
            month_number, int(day), datetime(received_date.year, received_date.month, received_date.day)
        )
        moment = datetime(year, month_number, int(day), int(hour), int(minute), int(second))
    except ValueError:
        return ValueError
    return canonical.to_utc(moment, zone)


def _plain(
    month: str, day: str, hour: str, minute: str, second: str, received: datetime, zone: tzinfo
) -> object:
    try:
        groups = (month, day, None, None, hour, minute, second, None, None)
        return canonical.bsd_moment(groups, received, zone)
    except ValueError:
        return ValueError


@settings(max_examples=400, deadline=None)
@given(
    month=st.sampled_from(MONTHS),
    day=st.integers(0, 32),
    hour=st.integers(0, 25),
    minute=st.integers(0, 60),
    second=st.integers(0, 60),
    received=st.datetimes(datetime(2019, 12, 25), datetime(2025, 1, 5), timezones=st.just(UTC)),
    zone=st.sampled_from(ZONES),
)
def test_bsd_moment_of_a_bare_stamp_is_what_the_general_code_gave(
    month: str, day: int, hour: int, minute: int, second: int, received: datetime, zone: tzinfo
) -> None:
    fields = (month, str(day), f"{hour:02d}", f"{minute:02d}", f"{second:02d}")

    plain = _plain(*fields, received, zone)

    assert plain == _general(*fields, received, zone)
    if isinstance(plain, datetime):
        assert plain.tzinfo is UTC


@pytest.mark.parametrize("zone", ZONES)
def test_bsd_moment_of_a_bare_stamp_around_new_year_and_leap_days(zone: tzinfo) -> None:
    for received in (
        datetime(2023, 12, 31, 23, 30, tzinfo=UTC),
        datetime(2024, 1, 1, 0, 10, tzinfo=UTC),
        datetime(2025, 3, 1, 8, 0, tzinfo=UTC),
        datetime(2024, 2, 29, 12, 0, tzinfo=UTC),
    ):
        for month, day in (
            ("Jan", "1"),
            ("Jan", "2"),
            ("Jan", "3"),
            ("Dec", "31"),
            ("Feb", "29"),
            ("Apr", "31"),
        ):
            fields = (month, day, "00", "20", "00")
            assert _plain(*fields, received, zone) == _general(*fields, received, zone)


def test_bsd_moment_of_a_bare_stamp_converts_a_non_utc_receipt_time() -> None:
    received = datetime(2024, 1, 1, 0, 30, tzinfo=canonical.zone("Europe/Berlin"))  # 23:30 UTC on Dec 31
    for zone in ZONES:
        assert _plain("Jan", "1", "00", "20", "00", received, zone) == _general(
            "Jan", "1", "00", "20", "00", received, zone
        )


_KV_TEXT = st.text(alphabet="ab_@=\"' ,;|\\.-:/[]\tX1\u00e9\n", max_size=40)


@settings(max_examples=500, deadline=None)
@given(text=_KV_TEXT)
def test_kv_pairs_are_found_where_the_former_pattern_found_them(text: str) -> None:
    former = [(found.span(), found.groups()) for found in FORMER_PAIR.finditer(text)]

    assert [(found.span(), found.groups()) for found in _PAIR.finditer(text)] == former


@pytest.mark.parametrize(
    "text",
    [
        "a=1 b=2",
        "x=1,y=2;z=3|w=4",
        "ab=1=2 c==d",
        "prefix:a=1 b=2",  # ':' is a key character, not a separator: one key 'prefix:a'
        "\u00e9=1 a=2",
        "=1 a=2",
        'msg="a \\" b" k=v',
    ],
)
def test_kv_pairs_on_edge_texts(text: str) -> None:
    former = [(found.span(), found.groups()) for found in FORMER_PAIR.finditer(text)]

    assert [(found.span(), found.groups()) for found in _PAIR.finditer(text)] == former
    assert split_pairs(text)  # each has at least one pair


def _header(**fields: object) -> SyslogHeader:
    base: dict[str, object] = {
        "flavor": SyslogFlavor.RFC3164,
        "body": "x",
        "priority": 13,
        "hostname": "web01",
    }
    base.update(fields)
    return SyslogHeader(**base)  # type: ignore[arg-type]


def test_merge_header_fills_process_and_related_on_a_fresh_document() -> None:
    doc: ECSDocument = {}

    merge_header(doc, _header(appname="sshd", procid="42"))

    assert doc["process"] == {"name": "sshd", "pid": 42}
    assert doc["related"] == {"hosts": ["web01"]}
    assert list(doc) == ["host", "related", "log", "process"]


def test_merge_header_leaves_no_empty_process_and_keeps_a_non_numeric_pid_out() -> None:
    doc: ECSDocument = {}
    merge_header(doc, _header(procid="abc"))
    assert "process" not in doc

    doc = {}
    merge_header(doc, _header(appname="app", procid="abc"))
    assert doc["process"] == {"name": "app"}


def test_merge_header_replaces_an_explicit_null_process_in_its_place() -> None:
    doc: ECSDocument = {"process": None, "message": "m"}

    merge_header(doc, _header(appname="cron"))

    assert list(doc)[:2] == ["process", "message"]
    assert doc["process"] == {"name": "cron"}


def test_merge_header_adds_to_existing_related_values() -> None:
    doc: ECSDocument = {"related": {"ip": ["10.0.0.1"]}}
    merge_header(doc, _header())
    assert doc["related"] == {"ip": ["10.0.0.1"], "hosts": ["web01"]}

    doc = {"related": "not an object"}
    merge_header(doc, _header())
    assert doc["related"] == {"hosts": ["web01"]}


def test_raw_record_keeps_its_interface() -> None:
    received = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
    record = RawRecord(text="line", received_at=received, transport=Transport.TCP, origin="192.0.2.1:9")

    assert (record.listener, record.format, record.timezone, record.offset) == ("", "auto", None, None)
    assert record == RawRecord("line", received, Transport.TCP, "192.0.2.1:9")
    assert record != RawRecord("line", received + timedelta(seconds=1), Transport.TCP, "192.0.2.1:9")
    with pytest.raises(AttributeError):
        record.text = "changed"  # type: ignore[misc]
    assert hash(record) == hash(RawRecord("line", received, Transport.TCP, "192.0.2.1:9"))
