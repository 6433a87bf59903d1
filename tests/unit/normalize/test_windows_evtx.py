"""evtx parser: records as the evtx package renders them, mapped field by field to ECS."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.windows import EVTX, parse_evtx, sniff_evtx, sniff_json, sniff_xml

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))
SECURITY_GUID = "54849625-5478-4994-A5BA-3E3B0328C30D"
SYSMON_GUID = "5770385F-C22A-43E0-BF4C-06F5698FFBD9"


def _event(
    event_id: Any,
    data: dict[str, Any] | None,
    *,
    channel: str = "Security",
    provider: str = "Microsoft-Windows-Security-Auditing",
    guid: str = SECURITY_GUID,
    level: int = 0,
    user_data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An event in the shape PyEvtxParser.records_json() puts in each record's `data`."""
    body: dict[str, Any] = {
        "#attributes": {"xmlns": "http://schemas.microsoft.com/win/2004/08/events/event"},
        "System": {
            "Provider": {"#attributes": {"Name": provider, "Guid": guid}},
            "EventID": event_id,
            "Version": 2,
            "Level": level,
            "Task": 12544,
            "Opcode": 0,
            "Keywords": "0x8020000000000000",
            "TimeCreated": {"#attributes": {"SystemTime": "2026-03-04T09:15:30.123456Z"}},
            "EventRecordID": 90210,
            "Correlation": None,
            "Execution": {"#attributes": {"ProcessID": 644, "ThreadID": 7012}},
            "Channel": channel,
            "Computer": "WS-017.corp.example",
            "Security": None,
        },
    }
    if data is not None:
        body["EventData"] = data
    if user_data is not None:
        body["UserData"] = user_data
    return {"Event": body}


def _parse(event: dict[str, Any]) -> ECSDocument:
    doc = parse_evtx(json.dumps(event), CONTEXT)
    assert doc is not None
    return doc


LOGON_4624 = {
    "SubjectUserSid": "S-1-5-18",
    "SubjectUserName": "WS-017$",
    "SubjectDomainName": "CORP",
    "SubjectLogonId": "0x3e7",
    "TargetUserSid": "S-1-5-21-1111111111-2222222222-3333333333-1104",
    "TargetUserName": "jdoe",
    "TargetDomainName": "CORP",
    "TargetLogonId": "0x8a1b2c",
    "LogonType": 10,
    "LogonProcessName": "User32 ",
    "AuthenticationPackageName": "Negotiate",
    "WorkstationName": "WS-017",
    "ProcessId": "0x1f4",
    "ProcessName": "C:\\Windows\\System32\\svchost.exe",
    "IpAddress": "198.51.100.20",
    "IpPort": "53122",
}


def test_evtx_system_fields_map_to_ecs_and_winlog() -> None:
    doc = _parse(_event(4624, LOGON_4624))
    assert doc["@timestamp"] == "2026-03-04T09:15:30.123456Z"
    assert get(doc, "event.code") == "4624"
    assert get(doc, "event.provider") == "Microsoft-Windows-Security-Auditing"
    assert get(doc, "event.module") == "windows"
    assert get(doc, "event.dataset") == "windows.security"
    assert get(doc, "winlog.channel") == "Security"
    assert get(doc, "winlog.event_id") == 4624
    assert get(doc, "winlog.record_id") == 90210
    assert get(doc, "winlog.provider_guid") == "{" + SECURITY_GUID + "}"
    assert get(doc, "winlog.process.pid") == 644
    assert get(doc, "winlog.process.thread.id") == 7012
    assert get(doc, "winlog.computer_name") == "WS-017.corp.example"
    assert get(doc, "host.name") == "ws-017"
    assert get(doc, "host.domain") == "corp.example"
    assert get(doc, "log.level") == "information"


def test_evtx_logon_4624_maps_user_source_and_logon_type() -> None:
    doc = _parse(_event(4624, LOGON_4624))
    assert get(doc, "event.category") == ["authentication"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "event.action") == "logged-in"
    assert get(doc, "user.name") == "jdoe"
    assert get(doc, "user.domain") == "corp"
    assert get(doc, "user.id") == "S-1-5-21-1111111111-2222222222-3333333333-1104"
    assert get(doc, "source.ip") == "198.51.100.20"
    assert get(doc, "source.port") == 53122
    assert get(doc, "source.domain") == "WS-017"
    assert get(doc, "winlog.logon.type") == "RemoteInteractive"
    assert get(doc, "winlog.logon.id") == "0x8a1b2c"
    assert get(doc, "process.pid") == 500
    assert get(doc, "process.name") == "svchost.exe"
    assert "jdoe" in get(doc, "related.user")
    assert "WS-017$" in get(doc, "related.user")


def test_evtx_event_data_is_kept_verbatim_as_text() -> None:
    doc = _parse(_event(4624, LOGON_4624))
    data = get(doc, "winlog.event_data")
    assert data["LogonType"] == "10"
    assert data["LogonProcessName"] == "User32 "
    assert data["TargetUserName"] == "jdoe"
    assert set(data) == set(LOGON_4624)


def test_evtx_failed_logon_4625_explains_status() -> None:
    data = {**LOGON_4624, "LogonType": 3, "Status": "0xc000006d", "SubStatus": "0xc000006a"}
    data["IpAddress"] = "-"
    data["IpPort"] = "-"
    doc = _parse(_event(4625, data))
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.action") == "logon-failed"
    assert get(doc, "winlog.logon.failure.sub_status") == "0xc000006a"
    assert get(doc, "event.reason") == "wrong password"
    assert get(doc, "source.ip") is None
    assert get(doc, "winlog.logon.type") == "Network"


def test_evtx_event_id_with_qualifiers_object() -> None:
    data = {
        "ServiceName": "UpdaterSvc",
        "ImagePath": "C:\\ProgramData\\updsvc.exe",
        "ServiceType": "user mode service",
        "StartType": "auto start",
        "AccountName": "LocalSystem",
    }
    event = _event(
        {"#text": 7045, "#attributes": {"Qualifiers": 16384}},
        data,
        channel="System",
        provider="Service Control Manager",
        guid="555908D1-A6D7-4695-8E1E-26931D2012F4",
        level=4,
    )
    doc = _parse(event)
    assert get(doc, "event.code") == "7045"
    assert get(doc, "event.dataset") == "windows.system"
    assert get(doc, "service.name") == "UpdaterSvc"
    assert get(doc, "event.action") == "service-installed"
    assert get(doc, "event.category") == ["iam", "configuration"]


def test_evtx_sysmon_process_create_maps_process_and_hashes() -> None:
    data = {
        "RuleName": "-",
        "UtcTime": "2026-03-04 09:15:30.100",
        "ProcessGuid": "8F1E2D3C-0001-6600-AB00-000000000F00",
        "ProcessId": 4242,
        "Image": "C:\\Windows\\System32\\whoami.exe",
        "OriginalFileName": "whoami.exe",
        "CommandLine": "whoami /all",
        "CurrentDirectory": "C:\\Users\\jdoe\\",
        "User": "CORP\\jdoe",
        "LogonId": "0x8a1b2c",
        "IntegrityLevel": "Medium",
        "Hashes": "SHA1=AAAA1111,MD5=BBBB2222,SHA256=CCCC3333,IMPHASH=DDDD4444",
        "ParentProcessGuid": "8F1E2D3C-0001-6600-AA00-000000000F00",
        "ParentProcessId": 4100,
        "ParentImage": "C:\\Windows\\System32\\cmd.exe",
        "ParentCommandLine": "cmd.exe",
    }
    event = _event(
        1, data, channel="Microsoft-Windows-Sysmon/Operational", provider="Microsoft-Windows-Sysmon", level=4
    )
    event["Event"]["System"]["Security"] = {"#attributes": {"UserID": "S-1-5-18"}}
    doc = _parse(event)
    assert get(doc, "event.dataset") == "windows.sysmon_operational"
    assert get(doc, "event.category") == ["process"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "process.executable") == "C:\\Windows\\System32\\whoami.exe"
    assert get(doc, "process.name") == "whoami.exe"
    assert get(doc, "process.pid") == 4242
    assert get(doc, "process.command_line") == "whoami /all"
    assert get(doc, "process.parent.executable") == "C:\\Windows\\System32\\cmd.exe"
    assert get(doc, "process.parent.name") == "cmd.exe"
    assert get(doc, "process.parent.pid") == 4100
    assert get(doc, "process.parent.command_line") == "cmd.exe"
    assert get(doc, "process.hash.sha256") == "cccc3333"
    assert get(doc, "process.hash.md5") == "bbbb2222"
    assert get(doc, "process.pe.imphash") == "dddd4444"
    assert get(doc, "related.hash") == ["aaaa1111", "bbbb2222", "cccc3333", "dddd4444"]
    assert get(doc, "user.name") == "jdoe"
    assert get(doc, "user.domain") == "corp"
    assert get(doc, "winlog.user.identifier") == "S-1-5-18"
    assert get(doc, "winlog.event_data.ProcessId") == "4242"


def test_evtx_sysmon_network_connection() -> None:
    data = {
        "Image": "C:\\Tools\\agent.exe",
        "ProcessId": 1200,
        "User": "CORP\\svc-agent",
        "Protocol": "tcp",
        "Initiated": True,
        "SourceIsIpv6": False,
        "SourceIp": "192.0.2.17",
        "SourcePort": 50123,
        "DestinationIp": "203.0.113.80",
        "DestinationHostname": "updates.example.net",
        "DestinationPort": 443,
    }
    doc = _parse(
        _event(3, data, channel="Microsoft-Windows-Sysmon/Operational", provider="Microsoft-Windows-Sysmon")
    )
    assert get(doc, "event.category") == ["network"]
    assert get(doc, "source.ip") == "192.0.2.17"
    assert get(doc, "destination.ip") == "203.0.113.80"
    assert get(doc, "destination.port") == 443
    assert get(doc, "destination.domain") == "updates.example.net"
    assert get(doc, "network.transport") == "tcp"
    assert get(doc, "network.direction") == "egress"
    assert get(doc, "network.type") == "ipv4"
    assert get(doc, "winlog.event_data.Initiated") == "true"


def test_evtx_user_data_1102_maps_subject() -> None:
    user_data = {
        "LogFileCleared": {
            "#attributes": {"xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
            "SubjectUserSid": "S-1-5-21-1111111111-2222222222-3333333333-500",
            "SubjectUserName": "admin.ops",
            "SubjectDomainName": "CORP",
            "SubjectLogonId": "0x55aa",
        }
    }
    event = _event(1102, None, provider="Microsoft-Windows-Eventlog", level=4, user_data=user_data)
    doc = _parse(event)
    assert get(doc, "event.action") == "audit-log-cleared"
    assert get(doc, "user.name") == "admin.ops"
    assert get(doc, "user.id") == "S-1-5-21-1111111111-2222222222-3333333333-500"
    assert get(doc, "winlog.user_data_name") == "LogFileCleared"
    assert get(doc, "winlog.user_data.SubjectLogonId") == "0x55aa"
    assert get(doc, "winlog.event_data") is None


def test_evtx_unnamed_data_becomes_params() -> None:
    event = _event(1000, {"Data": {"#text": ["first", "second"]}}, channel="Application", provider="App")
    doc = _parse(event)
    assert get(doc, "winlog.event_data") == {"param1": "first", "param2": "second"}
    assert get(doc, "event.action") is None


def test_evtx_full_record_dict_is_accepted() -> None:
    inner = _event(4624, LOGON_4624)
    record = {
        "event_record_id": 90210,
        "timestamp": "2026-03-04T09:15:30.123456Z UTC",
        "data": json.dumps(inner),
    }
    doc = parse_evtx(json.dumps(record), CONTEXT)
    assert doc == _parse(inner)


def test_evtx_event_ids_repeat_across_providers_without_confusion() -> None:
    doc = _parse(_event(1, {"Image": "C:\\x.exe"}, channel="Application", provider="SomeVendor"))
    assert get(doc, "event.action") is None
    assert get(doc, "process") is None


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"Event": {"EventData": {}}}, "System"),
        (_event("not-a-number", {}), "EventID"),
        ({"data": "[1, 2]"}, "not a JSON object"),
    ],
)
def test_evtx_broken_record_is_parse_error(event: dict[str, Any], message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_evtx(json.dumps(event), CONTEXT)


def test_evtx_invalid_json_is_parse_error_and_non_json_is_none() -> None:
    with pytest.raises(ParseError):
        parse_evtx('{"Event": {"System": ', CONTEXT)
    assert parse_evtx("Accepted password for a from 192.0.2.1 port 1 ssh2", CONTEXT) is None
    assert parse_evtx('{"message": "hello"}', CONTEXT) is None


def test_evtx_sniff_is_exclusive_with_json_and_xml() -> None:
    text = json.dumps(_event(4624, LOGON_4624))
    assert sniff_evtx(text)
    assert not sniff_json(text)
    assert not sniff_xml(text)
    assert not sniff_evtx('{"winlog": {"event_id": 4624}}')
    assert not sniff_evtx('{"user": "x", "action": "login"}')
    assert not EVTX.wants_syslog_body


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "Event",
                        "System",
                        "EventID",
                        "EventData",
                        "UserData",
                        "Data",
                        "#text",
                        "#attributes",
                        "data",
                        "Computer",
                        "TimeCreated",
                        "SystemTime",
                        "Provider",
                    ]
                ),
                children,
                max_size=5,
            )
        ),
        max_leaves=30,
    )
)
def test_evtx_parse_never_raises_other_than_parse_error(value: object) -> None:
    try:
        parse_evtx(json.dumps({"Event": value}), CONTEXT)
        parse_evtx(json.dumps(value), CONTEXT)
    except ParseError:
        pass


SYSMON = {"channel": "Microsoft-Windows-Sysmon/Operational", "provider": "Microsoft-Windows-Sysmon"}


def test_evtx_special_privileges_4672_lists_privileges() -> None:
    data = {
        "SubjectUserSid": "S-1-5-21-1-2-3-500",
        "SubjectUserName": "admin.ops",
        "SubjectDomainName": "CORP",
        "SubjectLogonId": "0x77",
        "PrivilegeList": "SeDebugPrivilege\n\t\t\tSeBackupPrivilege",
    }
    doc = _parse(_event(4672, data))
    assert get(doc, "event.category") == ["iam"]
    assert get(doc, "event.type") == ["admin"]
    assert get(doc, "user.name") == "admin.ops"
    assert get(doc, "winlog.logon.privileges") == ["SeDebugPrivilege", "SeBackupPrivilege"]


def test_evtx_service_4697_and_task_4698() -> None:
    subject = {"SubjectUserName": "admin.ops", "SubjectDomainName": "CORP"}
    service = _parse(_event(4697, {**subject, "ServiceName": "Backdoor", "ServiceAccount": "LocalSystem"}))
    assert get(service, "service.name") == "Backdoor"
    assert get(service, "service.user.name") == "LocalSystem"
    assert get(service, "event.action") == "service-installed"
    task = _parse(_event(4698, {**subject, "TaskName": "\\Updater"}))
    assert get(task, "event.action") == "scheduled-task-created"
    assert get(task, "winlog.task_name") == "\\Updater"
    assert get(task, "event.type") == ["admin", "creation"]


def test_evtx_process_exit_4689_reads_hex_status() -> None:
    data = {
        "SubjectUserName": "jdoe",
        "ProcessName": "C:\\Tools\\job.exe",
        "ProcessId": "0x10",
        "Status": "0x1",
    }
    doc = _parse(_event(4689, data))
    assert get(doc, "event.type") == ["end"]
    assert get(doc, "process.pid") == 16
    assert get(doc, "process.exit_code") == 1
    assert get(doc, "process.name") == "job.exe"


def test_evtx_ntlm_4776_outcome_from_status() -> None:
    ok = _parse(_event(4776, {"TargetUserName": "jdoe", "Workstation": "WS-017", "Status": "0x0"}))
    bad = _parse(_event(4776, {"TargetUserName": "jdoe", "Workstation": "WS-017", "Status": "0xc0000234"}))
    assert get(ok, "event.outcome") == "success"
    assert get(bad, "event.outcome") == "failure"
    assert get(bad, "event.reason") == "account locked out"
    assert get(bad, "source.domain") == "WS-017"


def test_evtx_service_ticket_4769_names_the_service() -> None:
    data = {
        "TargetUserName": "jdoe@CORP.EXAMPLE",
        "ServiceName": "MSSQLSvc",
        "Status": "0x0",
        "TicketEncryptionType": "0x17",
        "IpAddress": "::ffff:192.0.2.30",
        "IpPort": "0",
    }
    doc = _parse(_event(4769, data))
    assert get(doc, "user.name") == "jdoe"
    assert get(doc, "user.domain") == "corp.example"
    assert get(doc, "service.name") == "MSSQLSvc"
    assert get(doc, "source.ip") == "192.0.2.30"
    assert get(doc, "winlog.kerberos.ticket_encryption_type") == "0x17"
    assert get(doc, "event.outcome") == "success"


def test_evtx_sysmon_file_create_11() -> None:
    data = {
        "Image": "C:\\Tools\\drop.exe",
        "ProcessId": 5,
        "TargetFilename": "C:\\Users\\Public\\payload.DLL",
    }
    doc = _parse(_event(11, data, **SYSMON))
    assert get(doc, "event.category") == ["file"]
    assert get(doc, "event.type") == ["creation"]
    assert get(doc, "file.path") == "C:\\Users\\Public\\payload.DLL"
    assert get(doc, "file.name") == "payload.DLL"
    assert get(doc, "file.directory") == "C:\\Users\\Public"
    assert get(doc, "file.extension") == "dll"


def test_evtx_sysmon_registry_value_set_13() -> None:
    data = {
        "EventType": "SetValue",
        "Image": "C:\\Tools\\persist.exe",
        "TargetObject": "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run\\Updater",
        "Details": "DWORD (0x00000001)",
    }
    doc = _parse(_event(13, data, **SYSMON))
    assert get(doc, "event.category") == ["registry"]
    assert get(doc, "registry.hive") == "HKLM"
    assert get(doc, "registry.key") == "SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Run"
    assert get(doc, "registry.value") == "Updater"
    assert get(doc, "registry.data.strings") == ["DWORD (0x00000001)"]
    assert get(doc, "registry.data.type") == "SZ_DWORD"


def test_evtx_sysmon_dns_query_22() -> None:
    data = {
        "Image": "C:\\Tools\\beacon.exe",
        "QueryName": "c2.example.org",
        "QueryStatus": "0",
        "QueryResults": "type:  5 edge.example.org;::ffff:203.0.113.44;2001:db8::44;",
    }
    doc = _parse(_event(22, data, **SYSMON))
    assert get(doc, "dns.question.name") == "c2.example.org"
    assert get(doc, "dns.resolved_ip") == ["203.0.113.44", "2001:db8::44"]
    assert get(doc, "event.outcome") == "success"
    assert "203.0.113.44" in get(doc, "related.ip")


@pytest.mark.parametrize(
    ("level", "name"), [(0, "information"), (1, "critical"), (2, "error"), (3, "warning"), (5, "verbose")]
)
def test_evtx_level_names(level: int, name: str) -> None:
    assert get(_parse(_event(4634, {}, level=level)), "log.level") == name
