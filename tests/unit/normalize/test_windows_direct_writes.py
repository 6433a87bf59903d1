"""The Windows mapping's direct writes: numbers, images, files, winlog and provider GUIDs in every corner."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socflow.normalize.registry import ParseContext
from socflow.normalize.windows import to_ecs
from socflow.normalize.windows_event import WinEvent, from_evtx
from socflow.normalize.windows_fields import Fields, put_image

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
SYSMON = "Microsoft-Windows-Sysmon"


def _sysmon(event_id: int, **data: str) -> WinEvent:
    return WinEvent(event_id=event_id, provider_name=SYSMON, channel=f"{SYSMON}/Operational", event_data=data)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("7760", 7760),
        (" 42 ", 42),
        ("0x1a4", 420),
        ("-5", -5),
        ("\uff11\uff12", 12),  # full-width digits: int() reads them
        ("\u00b2", None),  # a superscript is a digit but no decimal: not a number
        ("1" * 30, 10**30 // 9),  # past the fast path's length: still read
        ("abc", None),
        ("-", None),
    ],
)
def test_field_numbers_in_every_spelling(written: str, expected: int | None) -> None:
    assert Fields({"N": written}).number("N") == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (None, {}),
        ("", {}),
        ("C:\\Windows\\cmd.exe", {"process": {"executable": "C:\\Windows\\cmd.exe", "name": "cmd.exe"}}),
        ("C:\\dir\\", {"process": {"executable": "C:\\dir\\"}}),  # no name after the last separator
    ],
)
def test_put_image_writes_only_what_the_path_gives(path: str | None, expected: dict[str, object]) -> None:
    doc: dict[str, object] = {}
    put_image(doc, "process", path)
    assert doc == expected


def test_put_image_replaces_a_non_object_on_its_way_and_keeps_siblings() -> None:
    doc: dict[str, object] = {"process": "text", "user": {"name": "x"}}
    put_image(doc, "process.parent", "/usr/bin/bash")
    assert doc == {
        "process": {"parent": {"executable": "/usr/bin/bash", "name": "bash"}},
        "user": {"name": "x"},
    }


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        (
            "C:\\Temp\\a.b.TXT",
            {"path": "C:\\Temp\\a.b.TXT", "name": "a.b.TXT", "directory": "C:\\Temp", "extension": "txt"},
        ),
        ("C:\\Temp\\.hidden", {"path": "C:\\Temp\\.hidden", "name": ".hidden", "directory": "C:\\Temp"}),
        ("C:\\Temp\\name.", {"path": "C:\\Temp\\name.", "name": "name.", "directory": "C:\\Temp"}),
        ("C:\\Temp\\", {"path": "C:\\Temp\\", "directory": "C:\\Temp"}),
        ("plain", {"path": "plain", "name": "plain"}),
        ("\\", {"path": "\\"}),
    ],
)
def test_sysmon_file_fields_leave_out_what_is_empty(target: str, expected: dict[str, str]) -> None:
    doc = to_ecs(_sysmon(11, TargetFilename=target), CONTEXT)
    assert doc["file"] == expected


def test_sysmon_file_without_a_target_writes_no_file_object() -> None:
    assert "file" not in to_ecs(_sysmon(11, TargetFilename="-"), CONTEXT)


def test_winlog_process_holds_whichever_of_pid_and_thread_is_known() -> None:
    thread_only = to_ecs(WinEvent(event_id=1, thread_id=0), CONTEXT)["winlog"]
    both = to_ecs(WinEvent(event_id=1, process_id=4, thread_id=8, version=0, keywords=""), CONTEXT)["winlog"]

    assert thread_only == {"event_id": 1, "process": {"thread": {"id": 0}}}
    assert both == {"event_id": 1, "process": {"pid": 4, "thread": {"id": 8}}, "version": 0}


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("5770385f-c22a-43e0-bf4c-06f5698ffbd9", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"),
        ("{5770385F-C22A-43E0-BF4C-06F5698FFBD9}", "{5770385F-C22A-43E0-BF4C-06F5698FFBD9}"),
        ("", None),
        (None, None),
    ],
)
def test_provider_guids_are_spelled_the_same_however_often_they_repeat(
    written: str | None, expected: str | None
) -> None:
    record = {
        "Event": {"System": {"EventID": 1, "Provider": {"#attributes": {"Name": "P", "Guid": written}}}}
    }
    spelled = [from_evtx(record) for _ in range(3)]
    assert [event.provider_guid if event else "missing" for event in spelled] == [expected] * 3
