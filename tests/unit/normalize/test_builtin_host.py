"""Host parsers are registered and auto-detection routes each host format to its parser."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from socflow.normalize.builtin_host import HOST_PARSERS
from socflow.normalize.ecs import get
from socflow.normalize.pipeline import document_failed, normalize_text

RECEIVED = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def test_builtin_host_exports_the_five_parsers() -> None:
    assert [spec.name for spec in HOST_PARSERS] == ["sshd", "sudo", "evtx", "windows-xml", "windows-json"]


@pytest.mark.parametrize(
    ("text", "dataset", "action"),
    [
        (
            "<38>Mar  4 09:00:01 bastion-1 sshd[4121]: Failed password for root from 203.0.113.7 port 6 ssh2",
            "system.auth",
            "ssh_login",
        ),
        (
            "<86>Mar  4 09:00:02 bastion-1 sudo[999]:    alice : PWD=/ ; USER=root ; COMMAND=/usr/bin/id",
            "system.auth",
            "sudo_command",
        ),
        (
            '<14>Mar  4 09:00:04 wef-1 nxlog: {"EventTime": "2026-03-04 09:00:04", "EventID": 4634, '
            '"SourceName": "Microsoft-Windows-Security-Auditing", "Channel": "Security", '
            '"Hostname": "dc-01.corp.example", "TargetUserName": "jdoe"}',
            "windows.security",
            "logged-out",
        ),
        (
            "<Event><System><Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID>"
            "<Channel>Security</Channel><Computer>dc-01</Computer></System></Event>",
            "windows.security",
            "logon-failed",
        ),
        (
            json.dumps(
                {
                    "Event": {
                        "System": {
                            "EventID": 1,
                            "Channel": "Microsoft-Windows-Sysmon/Operational",
                            "Computer": "ws-017",
                        },
                        "EventData": {"Image": "C:\\Tools\\a.exe"},
                    }
                }
            ),
            "windows.sysmon_operational",
            "process-created",
        ),
    ],
)
def test_builtin_host_auto_detection_picks_the_host_parser(text: str, dataset: str, action: str) -> None:
    doc = normalize_text(text, received_at=RECEIVED)
    assert not document_failed(doc), get(doc, "error.message")
    assert get(doc, "event.dataset") == dataset
    assert get(doc, "event.action") == action
    assert get(doc, "event.original") == text


def test_builtin_host_named_evtx_parser_refuses_other_text() -> None:
    doc = normalize_text("just a line", "evtx", received_at=RECEIVED)
    assert document_failed(doc)
