"""windows-json parser: Winlogbeat-style and NXLog im_msvistalog JSON to ECS."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.windows import WINDOWS_JSON, parse_json, sniff_evtx, sniff_json, sniff_xml

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))

WINLOGBEAT_4625: dict[str, Any] = {
    "@timestamp": "2026-03-04T09:30:00.500Z",
    "message": "An account failed to log on.",
    "log": {"level": "information"},
    "winlog": {
        "channel": "Security",
        "event_id": "4625",
        "provider_name": "Microsoft-Windows-Security-Auditing",
        "provider_guid": "{54849625-5478-4994-a5ba-3e3b0328c30d}",
        "computer_name": "dc-01.corp.example",
        "record_id": "550011",
        "process": {"pid": 640, "thread": {"id": 1500}},
        "keywords": ["Audit Failure"],
        "opcode": "Info",
        "task": "Logon",
        "event_data": {
            "SubjectUserSid": "S-1-0-0",
            "TargetUserName": "svc-backup",
            "TargetDomainName": "CORP",
            "Status": "0xc000006e",
            "SubStatus": "0xc0000072",
            "LogonType": "3",
            "IpAddress": "::ffff:192.0.2.55",
            "IpPort": "49711",
            "WorkstationName": "KIOSK-3",
        },
    },
}

NXLOG_4740: dict[str, Any] = {
    "EventTime": "2026-03-04 10:31:05",
    "Hostname": "dc-01.corp.example",
    "Keywords": "9232379236109516800",
    "EventType": "AUDIT_SUCCESS",
    "SeverityValue": 2,
    "Severity": "INFO",
    "EventID": 4740,
    "SourceName": "Microsoft-Windows-Security-Auditing",
    "ProviderGuid": "{54849625-5478-4994-A5BA-3E3B0328C30D}",
    "Version": 0,
    "Task": 13824,
    "OpcodeValue": 0,
    "RecordNumber": 550100,
    "ProcessID": 640,
    "ThreadID": 3300,
    "Channel": "Security",
    "Message": "A user account was locked out.",
    "Category": "User Account Management",
    "Opcode": "Info",
    "TargetUserName": "rgreen",
    "TargetDomainName": "KIOSK-3",
    "TargetSid": "S-1-5-21-1111111111-2222222222-3333333333-1300",
    "SubjectUserSid": "S-1-5-18",
    "SubjectUserName": "DC-01$",
    "SubjectDomainName": "CORP",
    "SubjectLogonId": "0x3e7",
    "EventReceivedTime": "2026-03-04 10:31:06",
    "SourceModuleName": "eventlog",
    "SourceModuleType": "im_msvistalog",
}


def _parse(document: dict[str, Any], context: ParseContext = CONTEXT) -> ECSDocument:
    doc = parse_json(json.dumps(document), context)
    assert doc is not None
    return doc


def test_windows_json_winlogbeat_4625_maps_failure() -> None:
    doc = _parse(WINLOGBEAT_4625)
    assert doc["@timestamp"] == "2026-03-04T09:30:00.500Z"
    assert get(doc, "event.code") == "4625"
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.reason") == "account disabled"
    assert get(doc, "user.name") == "svc-backup"
    assert get(doc, "source.ip") == "192.0.2.55"
    assert get(doc, "source.port") == 49711
    assert get(doc, "source.domain") == "KIOSK-3"
    assert get(doc, "winlog.logon.type") == "Network"
    assert get(doc, "winlog.record_id") == 550011
    assert get(doc, "winlog.event_id") == 4625
    assert get(doc, "winlog.process.thread.id") == 1500
    assert get(doc, "winlog.keywords") == "Audit Failure"
    assert get(doc, "host.name") == "dc-01"
    assert get(doc, "log.level") == "information"
    assert get(doc, "message") == "An account failed to log on."
    assert get(doc, "winlog.event_data.Status") == "0xc000006e"
    assert get(doc, "event.dataset") == "windows.security"


def test_windows_json_nxlog_4740_maps_lockout_and_local_time() -> None:
    berlin = ParseContext(received_at=CONTEXT.received_at, zone=timezone(timedelta(hours=1)))
    doc = _parse(NXLOG_4740, berlin)
    assert doc["@timestamp"] == "2026-03-04T09:31:05Z"
    assert get(doc, "event.action") == "locked-out-user-account"
    assert get(doc, "event.category") == ["iam"]
    assert get(doc, "user.target.name") == "rgreen"
    assert get(doc, "user.target.id") == "S-1-5-21-1111111111-2222222222-3333333333-1300"
    assert get(doc, "user.name") == "DC-01$"
    assert get(doc, "source.domain") == "KIOSK-3"
    assert get(doc, "winlog.record_id") == 550100
    assert get(doc, "winlog.event_data.TargetUserName") == "rgreen"
    assert "EventReceivedTime" not in get(doc, "winlog.event_data")
    assert "Hostname" not in get(doc, "winlog.event_data")
    assert get(doc, "log.level") == "information"


def test_windows_json_kerberos_status_sets_outcome() -> None:
    event = {
        "@timestamp": "2026-03-04T09:40:00Z",
        "winlog": {
            "channel": "Security",
            "event_id": 4771,
            "provider_name": "Microsoft-Windows-Security-Auditing",
            "computer_name": "dc-01.corp.example",
            "event_data": {
                "TargetUserName": "jdoe",
                "TargetSid": "S-1-5-21-1-2-3-1104",
                "ServiceName": "krbtgt/CORP",
                "Status": "0x18",
                "IpAddress": "::ffff:198.51.100.14",
                "IpPort": "50100",
            },
        },
    }
    doc = _parse(event)
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "winlog.kerberos.status") == "KDC_ERR_PREAUTH_FAILED"
    assert get(doc, "source.ip") == "198.51.100.14"
    assert get(doc, "user.id") == "S-1-5-21-1-2-3-1104"


def test_windows_json_tgt_success_outcome() -> None:
    event = json.loads(json.dumps(WINLOGBEAT_4625))
    event["winlog"]["event_id"] = 4768
    event["winlog"]["event_data"] = {
        "TargetUserName": "jdoe",
        "TargetDomainName": "CORP.EXAMPLE",
        "Status": "0x0",
    }
    doc = _parse(event)
    assert get(doc, "event.action") == "kerberos-authentication-ticket-requested"
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "user.domain") == "corp.example"


def test_windows_json_evtx_shape_is_also_read() -> None:
    event = {
        "Event": {
            "System": {"EventID": 4634, "Channel": "Security", "Computer": "ws-017.corp.example"},
            "EventData": {"TargetUserName": "jdoe", "LogonType": 2},
        }
    }
    doc = _parse(event)
    assert get(doc, "event.action") == "logged-out"
    assert get(doc, "winlog.logon.type") == "Interactive"


@pytest.mark.parametrize(
    ("event_id", "action", "types"),
    [
        (4720, "added-user-account", ["user", "creation"]),
        (4722, "enabled-user-account", ["user", "change"]),
        (4725, "disabled-user-account", ["user", "change"]),
        (4726, "deleted-user-account", ["user", "deletion"]),
    ],
)
def test_windows_json_account_management_maps_actor_and_target(
    event_id: int, action: str, types: list[str]
) -> None:
    event = {
        "winlog": {
            "channel": "Security",
            "event_id": event_id,
            "provider_name": "Microsoft-Windows-Security-Auditing",
            "event_data": {
                "SubjectUserName": "admin.ops",
                "SubjectDomainName": "CORP",
                "TargetUserName": "temp.user",
                "TargetDomainName": "CORP",
                "TargetSid": "S-1-5-21-1-2-3-2001",
            },
        }
    }
    doc = _parse(event)
    assert get(doc, "event.action") == action
    assert get(doc, "event.type") == types
    assert get(doc, "user.name") == "admin.ops"
    assert get(doc, "user.target.name") == "temp.user"
    assert get(doc, "user.target.id") == "S-1-5-21-1-2-3-2001"
    assert get(doc, "related.user") == ["admin.ops", "temp.user"]


def test_windows_json_record_time_and_level_come_from_winlog_when_shipped_later() -> None:
    event = json.loads(json.dumps(WINLOGBEAT_4625))
    event["@timestamp"] = "2026-03-05T00:00:00Z"  # when a forwarder re-shipped the document
    event["winlog"]["time_created"] = "2026-03-04T09:29:59.125Z"
    event["winlog"]["level"] = "warning"
    del event["log"]
    doc = _parse(event)
    assert doc["@timestamp"] == "2026-03-04T09:29:59.125Z"
    assert get(doc, "log.level") == "warning"


def test_windows_json_user_account_changed_4738() -> None:
    event = json.loads(json.dumps(WINLOGBEAT_4625))
    event["winlog"]["event_id"] = 4738
    event["winlog"]["keywords"] = ["Audit Success"]
    event["winlog"]["event_data"] = {
        "SubjectUserSid": "S-1-5-21-1-2-3-500",
        "SubjectUserName": "helpdesk.lee",
        "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x4d2a1",
        "TargetSid": "S-1-5-21-1-2-3-2107",
        "TargetUserName": "nkhan",
        "TargetDomainName": "CORP",
        "UserPrincipalName": "nkhan@corp.example",
        "PasswordLastSet": "-",
    }
    doc = _parse(event)
    assert get(doc, "event.action") == "modified-user-account"
    assert get(doc, "event.category") == ["iam"]
    assert get(doc, "event.type") == ["user", "change"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "user.name") == "helpdesk.lee"
    assert get(doc, "user.target.name") == "nkhan"
    assert get(doc, "user.target.id") == "S-1-5-21-1-2-3-2107"
    assert get(doc, "winlog.logon.id") == "0x4d2a1"


@pytest.mark.parametrize(
    ("keywords", "outcome"),
    [
        (["Audit Failure"], "failure"),
        (["Audit Success"], "success"),
        ("0x8010000000000000", "failure"),
        ("0x8020000000000000", "success"),
        ("0x8000000000000000", None),
    ],
)
def test_windows_json_password_change_outcome_from_audit_keywords(keywords: Any, outcome: str | None) -> None:
    event = json.loads(json.dumps(WINLOGBEAT_4625))
    event["winlog"]["event_id"] = 4723
    event["winlog"]["keywords"] = keywords
    event["winlog"]["event_data"] = {"SubjectUserName": "nkhan", "TargetUserName": "nkhan"}
    assert get(_parse(event), "event.outcome") == outcome


def test_windows_json_nxlog_signed_decimal_keywords_give_the_outcome() -> None:
    event = {**NXLOG_4740, "EventID": 4724, "Keywords": "-9218868437227405312"}  # 0x8010000000000000
    assert get(_parse(event), "event.outcome") == "failure"
    event["Keywords"] = "9232379236109516800"  # 0x8020000000000000
    assert get(_parse(event), "event.outcome") == "success"


@pytest.mark.parametrize(
    "document",
    [
        {"winlog": {"channel": "Security"}},
        {"winlog": {"event_id": "forty"}},
        {"EventID": "x", "SourceName": "Foo"},
    ],
)
def test_windows_json_missing_event_id_is_parse_error(document: dict[str, Any]) -> None:
    with pytest.raises(ParseError):
        parse_json(json.dumps(document), CONTEXT)


def test_windows_json_other_json_is_none_and_broken_json_is_parse_error() -> None:
    assert parse_json('{"user": "x", "action": "login"}', CONTEXT) is None
    assert parse_json("[1, 2, 3]", CONTEXT) is None
    assert parse_json("plain text", CONTEXT) is None
    with pytest.raises(ParseError):
        parse_json('{"winlog": {"event_id": 4624', CONTEXT)


def test_windows_json_bad_timestamp_is_parse_error() -> None:
    event = json.loads(json.dumps(WINLOGBEAT_4625))
    event["@timestamp"] = "yesterday"
    with pytest.raises(ParseError, match="time"):
        _parse(event)


def test_windows_json_sniff_claims_winlogbeat_and_nxlog_only() -> None:
    assert sniff_json(json.dumps(WINLOGBEAT_4625))
    assert sniff_json(json.dumps(NXLOG_4740))
    assert not sniff_evtx(json.dumps(WINLOGBEAT_4625))
    assert not sniff_xml(json.dumps(NXLOG_4740))
    assert not sniff_json('{"user": "x", "action": "login"}')
    assert not sniff_json("CEF:0|Vendor|Product|1.0|100|name|5|msg=EventID")
    assert WINDOWS_JSON.wants_syslog_body


@given(
    st.dictionaries(
        st.sampled_from(
            ["winlog", "EventID", "SourceName", "Channel", "@timestamp", "EventTime", "Hostname"]
        ),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=30),
            lambda children: (
                st.lists(children, max_size=3)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            *("event_id", "event_data", "user_data", "process", "pid", "thread", "id", "x"),
                            *("time_created", "level", "keywords"),
                        ]
                    ),
                    children,
                    max_size=4,
                )
            ),
            max_leaves=20,
        ),
        max_size=6,
    )
)
def test_windows_json_parse_never_raises_other_than_parse_error(document: dict[str, Any]) -> None:
    with contextlib.suppress(ParseError):
        parse_json(json.dumps(document), CONTEXT)
