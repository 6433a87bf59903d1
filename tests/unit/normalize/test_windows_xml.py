"""windows-xml parser: Event XML read safely and mapped like the other Windows shapes."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.windows import WINDOWS_XML, parse_evtx, parse_xml, sniff_evtx, sniff_json, sniff_xml

CONTEXT = ParseContext(received_at=datetime(2026, 3, 4, 10, 0, tzinfo=UTC))

PROCESS_4688 = """<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Security-Auditing" Guid="{54849625-5478-4994-a5ba-3e3b0328c30d}" />
    <EventID>4688</EventID>
    <Version>2</Version>
    <Level>0</Level>
    <Task>13312</Task>
    <Opcode>0</Opcode>
    <Keywords>0x8020000000000000</Keywords>
    <TimeCreated SystemTime="2026-03-04T09:20:01.9876543Z" />
    <EventRecordID>77001</EventRecordID>
    <Correlation />
    <Execution ProcessID="4" ThreadID="96" />
    <Channel>Security</Channel>
    <Computer>srv-app-02.corp.example</Computer>
    <Security />
  </System>
  <EventData>
    <Data Name="SubjectUserSid">S-1-5-21-1111111111-2222222222-3333333333-1108</Data>
    <Data Name="SubjectUserName">kmills</Data>
    <Data Name="SubjectDomainName">CORP</Data>
    <Data Name="SubjectLogonId">0x2f1a</Data>
    <Data Name="NewProcessId">0x1a2c</Data>
    <Data Name="NewProcessName">C:\\Windows\\System32\\net.exe</Data>
    <Data Name="TokenElevationType">%%1938</Data>
    <Data Name="ProcessId">0x0f10</Data>
    <Data Name="CommandLine">net user /domain</Data>
    <Data Name="TargetUserSid">S-1-0-0</Data>
    <Data Name="TargetUserName">-</Data>
    <Data Name="TargetDomainName">-</Data>
    <Data Name="TargetLogonId">0x0</Data>
    <Data Name="ParentProcessName">C:\\Windows\\System32\\cmd.exe</Data>
    <Data Name="MandatoryLabel">S-1-16-8192</Data>
    <Data Name="Empty" />
  </EventData>
  <RenderingInfo Culture="en-US">
    <Message>A new process has been created.</Message>
    <Level>Information</Level>
  </RenderingInfo>
</Event>"""


def _parse(text: str) -> ECSDocument:
    doc = parse_xml(text, CONTEXT)
    assert doc is not None
    return doc


def test_windows_xml_process_4688_maps_process_fields() -> None:
    doc = _parse(PROCESS_4688)
    assert doc["@timestamp"] == "2026-03-04T09:20:01.987654Z"
    assert get(doc, "event.code") == "4688"
    assert get(doc, "event.category") == ["process"]
    assert get(doc, "event.type") == ["start"]
    assert get(doc, "event.action") == "created-process"
    assert get(doc, "process.executable") == "C:\\Windows\\System32\\net.exe"
    assert get(doc, "process.name") == "net.exe"
    assert get(doc, "process.pid") == 0x1A2C
    assert get(doc, "process.command_line") == "net user /domain"
    assert get(doc, "process.parent.executable") == "C:\\Windows\\System32\\cmd.exe"
    assert get(doc, "process.parent.pid") == 0x0F10
    assert get(doc, "user.name") == "kmills"
    assert get(doc, "user.domain") == "corp"
    assert get(doc, "user.effective") is None
    assert get(doc, "host.name") == "srv-app-02"
    assert get(doc, "winlog.provider_guid") == "{54849625-5478-4994-A5BA-3E3B0328C30D}"
    assert get(doc, "message") == "A new process has been created."
    assert get(doc, "winlog.event_data.TargetUserName") == "-"
    assert get(doc, "winlog.event_data.Empty") == ""


def test_windows_xml_group_membership_4732() -> None:
    text = (
        PROCESS_4688.replace("<EventID>4688</EventID>", "<EventID>4732</EventID>")
        .replace(
            '<Data Name="Empty" />',
            '<Data Name="MemberName">CN=Pat Lee\\, Ops,OU=Staff,DC=corp,DC=example</Data>'
            '<Data Name="MemberSid">S-1-5-21-1111111111-2222222222-3333333333-1200</Data>'
            '<Data Name="TargetSid">S-1-5-32-544</Data>',
        )
        .replace('<Data Name="TargetUserName">-</Data>', '<Data Name="TargetUserName">Administrators</Data>')
    )
    doc = _parse(
        text.replace('<Data Name="TargetDomainName">-</Data>', '<Data Name="TargetDomainName">Builtin</Data>')
    )
    assert get(doc, "event.action") == "added-member-to-group"
    assert get(doc, "event.type") == ["group", "change"]
    assert get(doc, "group.name") == "Administrators"
    assert get(doc, "group.domain") == "Builtin"
    assert get(doc, "group.id") == "S-1-5-32-544"
    assert get(doc, "user.target.name") == "Pat Lee, Ops"
    assert get(doc, "user.target.id") == "S-1-5-21-1111111111-2222222222-3333333333-1200"
    assert get(doc, "user.name") == "kmills"


def test_windows_xml_and_evtx_forms_give_the_same_document() -> None:
    evtx_form = {
        "Event": {
            "System": {
                "Provider": {
                    "#attributes": {
                        "Name": "Microsoft-Windows-Security-Auditing",
                        "Guid": "54849625-5478-4994-A5BA-3E3B0328C30D",
                    }
                },
                "EventID": 4688,
                "Version": 2,
                "Level": 0,
                "Task": 13312,
                "Opcode": 0,
                "Keywords": "0x8020000000000000",
                "TimeCreated": {"#attributes": {"SystemTime": "2026-03-04T09:20:01.987654Z"}},
                "EventRecordID": 77001,
                "Execution": {"#attributes": {"ProcessID": 4, "ThreadID": 96}},
                "Channel": "Security",
                "Computer": "srv-app-02.corp.example",
                "Security": None,
            },
            "EventData": {
                "SubjectUserSid": "S-1-5-21-1111111111-2222222222-3333333333-1108",
                "SubjectUserName": "kmills",
                "SubjectDomainName": "CORP",
                "SubjectLogonId": "0x2f1a",
                "NewProcessId": "0x1a2c",
                "NewProcessName": "C:\\Windows\\System32\\net.exe",
                "TokenElevationType": "%%1938",
                "ProcessId": "0x0f10",
                "CommandLine": "net user /domain",
                "TargetUserSid": "S-1-0-0",
                "TargetUserName": "-",
                "TargetDomainName": "-",
                "TargetLogonId": "0x0",
                "ParentProcessName": "C:\\Windows\\System32\\cmd.exe",
                "MandatoryLabel": "S-1-16-8192",
                "Empty": None,
            },
        }
    }
    from_xml = _parse(PROCESS_4688)
    from_xml.pop("message")
    from_evtx = parse_evtx(json.dumps(evtx_form), CONTEXT)
    assert from_evtx == from_xml


def test_windows_xml_user_data_is_read() -> None:
    text = """<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event"><System>
    <Provider Name="Microsoft-Windows-Eventlog" /><EventID>1102</EventID><Level>4</Level>
    <TimeCreated SystemTime="2026-03-04T09:21:00Z" /><Channel>Security</Channel>
    <Computer>dc-01.corp.example</Computer></System>
    <UserData><LogFileCleared xmlns="http://manifests.microsoft.com/win/2004/08/windows/eventlog">
    <SubjectUserSid>S-1-5-21-1-2-3-500</SubjectUserSid><SubjectUserName>admin.ops</SubjectUserName>
    <SubjectDomainName>CORP</SubjectDomainName><SubjectLogonId>0x55aa</SubjectLogonId>
    </LogFileCleared></UserData></Event>"""
    doc = _parse(text)
    assert get(doc, "event.action") == "audit-log-cleared"
    assert get(doc, "user.name") == "admin.ops"
    assert get(doc, "winlog.user_data.SubjectUserSid") == "S-1-5-21-1-2-3-500"
    assert get(doc, "winlog.user_data_name") == "LogFileCleared"


def test_windows_xml_with_xml_declaration_is_accepted() -> None:
    doc = _parse('<?xml version="1.0" encoding="utf-8"?>\n' + PROCESS_4688)
    assert get(doc, "event.code") == "4688"


@pytest.mark.parametrize(
    "text",
    [
        '<!DOCTYPE Event [<!ENTITY x "boom">]><Event><System><EventID>1</EventID></System></Event>',
        "<Event><System><EventID>1</EventID></System><!DOCTYPE x></Event>",
        '<Event xmlns="x"><System><EventID>&x;</EventID></System></Event><!ENTITY x SYSTEM "file:///etc/passwd">',
    ],
)
def test_windows_xml_refuses_dtd_and_entities(text: str) -> None:
    with pytest.raises(ParseError):
        parse_xml(text, CONTEXT)


def test_windows_xml_refuses_entity_expansion_after_event_tag() -> None:
    bomb = '<Event><!DOCTYPE lol [<!ENTITY lol "lol">]><System><EventID>&lol;</EventID></System></Event>'
    with pytest.raises(ParseError, match="DTD or entity"):
        parse_xml(bomb, CONTEXT)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<Event><System><EventID>1</EventID></System>", "malformed"),
        ("<Event><EventData /></Event>", "System"),
        ("<Event><System><EventID>abc</EventID></System></Event>", "EventID"),
        ("<Events><Event /></Events>", "one <Event>"),
    ],
)
def test_windows_xml_malformed_is_parse_error(text: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_xml(text, CONTEXT)


def test_windows_xml_other_text_is_none() -> None:
    assert parse_xml("<html><body>hi</body></html>", CONTEXT) is None
    assert parse_xml('{"Event": {}}', CONTEXT) is None


def test_windows_xml_sniff_claims_only_event_xml() -> None:
    assert sniff_xml(PROCESS_4688)
    assert sniff_xml('<?xml version="1.0"?><Event xmlns="x">')
    assert not sniff_xml("<html>")
    assert not sniff_xml("<EventLog>")
    assert not sniff_xml("<134>Mar  4 09:00:00 host app: <Event>")
    assert not sniff_json(PROCESS_4688)
    assert not sniff_evtx(PROCESS_4688)
    assert WINDOWS_XML.wants_syslog_body


@given(st.text(max_size=200))
def test_windows_xml_parse_never_raises_other_than_parse_error(tail: str) -> None:
    for text in ("<Event>" + tail, "<Event><System><EventID>4624</EventID>" + tail, tail):
        with contextlib.suppress(ParseError):
            parse_xml(text, CONTEXT)
