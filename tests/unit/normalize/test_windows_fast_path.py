"""The Windows mapping's fast path: per-kind caching never mixes providers, times in every spelling."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.windows import to_ecs
from socflow.normalize.windows_event import WinEvent, load_json

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
SYSMON = "Microsoft-Windows-Sysmon"


def test_the_same_event_id_means_different_things_per_provider_even_when_cached() -> None:
    sysmon = WinEvent(event_id=1, provider_name=SYSMON, channel=f"{SYSMON}/Operational")
    other = WinEvent(event_id=1, provider_name="Microsoft-Windows-Kernel-General", channel="System")

    first = [to_ecs(sysmon, CONTEXT), to_ecs(other, CONTEXT), to_ecs(sysmon, CONTEXT), to_ecs(other, CONTEXT)]

    assert [doc["event"].get("action") for doc in first] == ["process-created", None] * 2
    assert [doc["event"]["dataset"] for doc in first[:2]] == ["windows.sysmon_operational", "windows.system"]


def test_absent_and_empty_record_fields_are_left_out_of_winlog() -> None:
    event = WinEvent(event_id=4624, channel="Security", record_id=0, task="", process_id=0, thread_id=None)

    winlog = to_ecs(event, CONTEXT)["winlog"]

    assert winlog == {"event_id": 4624, "channel": "Security", "record_id": 0, "process": {"pid": 0}}


@pytest.mark.parametrize(
    ("written", "zone", "expected"),
    [
        ("2026-03-04T09:15:30.123456Z", None, "2026-03-04T09:15:30.123456Z"),
        ("2026-03-04T09:15:30.123Z", None, "2026-03-04T09:15:30.123Z"),
        ("2026-03-04 09:15:30.123456789 UTC", None, "2026-03-04T09:15:30.123456Z"),
        (" 2026-03-04T09:15:30Z ", None, "2026-03-04T09:15:30Z"),
        ("2026-03-04T09:15:30", "Europe/Berlin", "2026-03-04T08:15:30Z"),
    ],
)
def test_event_times_in_every_spelling_become_utc(written: str, zone: str | None, expected: str) -> None:
    context = ParseContext(CONTEXT.received_at, ZoneInfo(zone)) if zone else CONTEXT

    doc = to_ecs(WinEvent(event_id=1, time=written), context)

    assert doc["@timestamp"] == expected


def test_an_unreadable_time_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unreadable event time"):
        to_ecs(WinEvent(event_id=1, time="yesterday"), CONTEXT)


def test_json_that_orjson_refuses_is_still_read_like_python_json() -> None:
    assert load_json('{"value": NaN}') is not None
    assert load_json('  {"a": 1}\n') == {"a": 1}
    assert load_json("[1, 2]") is None
    with pytest.raises(ParseError, match="not valid JSON"):
        load_json('{"a": ')
