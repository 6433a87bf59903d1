"""Sysmon events to ECS: action time, DNS answers, loaded images' signatures, registry changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext
from socflow.normalize.windows import parse_json, parse_xml

CONTEXT = ParseContext(received_at=datetime(2026, 5, 6, 12, 0, tzinfo=UTC))
CHANNEL = "Microsoft-Windows-Sysmon/Operational"


def _winlogbeat(event_id: int, data: dict[str, str]) -> ECSDocument:
    """A Sysmon event as Winlogbeat ships it: the record time in winlog.time_created."""
    document: dict[str, Any] = {
        "@timestamp": "2026-05-06T11:59:58.000Z",
        "winlog": {
            "channel": CHANNEL,
            "provider_name": "Microsoft-Windows-Sysmon",
            "event_id": str(event_id),
            "computer_name": "lab-ws-07.example.net",
            "record_id": 4410,
            "time_created": "2026-05-06T10:20:30.450Z",
            "level": "information",
            "user": {"identifier": "S-1-5-18"},
            "event_data": data,
        },
    }
    doc = parse_json(json.dumps(document), CONTEXT)
    assert doc is not None
    return doc


def test_sysmon_utc_time_is_the_event_time_and_the_record_time_is_created() -> None:
    doc = _winlogbeat(11, {"UtcTime": "2026-05-06 10:20:29.875", "Image": "C:\\Tools\\writer.exe"})

    assert doc["@timestamp"] == "2026-05-06T10:20:29.875Z"
    assert get(doc, "event.created") == "2026-05-06T10:20:30.450Z"
    assert get(doc, "log.level") == "information"


@pytest.mark.parametrize("written", ["", "-", "soon", "0001-01-01T00:00:00+05:00"])
def test_sysmon_unreadable_utc_time_keeps_the_record_time(written: str) -> None:
    doc = _winlogbeat(11, {"UtcTime": written, "Image": "C:\\Tools\\writer.exe"})

    assert doc["@timestamp"] == "2026-05-06T10:20:30.450Z"
    assert get(doc, "event.created") is None


def test_sysmon_dns_query_lists_every_answer_with_its_type() -> None:
    data = {
        "UtcTime": "2026-05-06 10:20:29.000",
        "Image": "C:\\Program Files\\Browser\\browser.exe",
        "QueryName": "portal.example.com",
        "QueryStatus": "0",
        "QueryResults": (
            "type:  5 edge.cdn.example.net;::ffff:198.51.100.20;2001:db8::20;type:  99 odd.example.org;"
        ),
    }

    doc = _winlogbeat(22, data)

    assert get(doc, "dns.answers") == [
        {"data": "edge.cdn.example.net", "type": "CNAME"},
        {"data": "198.51.100.20", "type": "A"},
        {"data": "2001:db8::20", "type": "AAAA"},
        {"data": "odd.example.org", "type": "99"},
    ]
    assert get(doc, "dns.resolved_ip") == ["198.51.100.20", "2001:db8::20"]
    assert {"edge.cdn.example.net", "odd.example.org", "portal.example.com"} <= set(get(doc, "related.hosts"))
    assert get(doc, "event.type") == ["connection", "protocol", "info"]


def test_sysmon_dns_query_without_results_has_no_answers() -> None:
    doc = _winlogbeat(22, {"QueryName": "missing.example.com", "QueryStatus": "9003", "QueryResults": "-"})

    assert get(doc, "dns.answers") is None
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "dns.response_code") == "9003"


IMAGE_LOADED = """<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Microsoft-Windows-Sysmon" Guid="{5770385f-c22a-43e0-bf4c-06f5698ffbd9}" />
    <EventID>7</EventID><Version>3</Version><Level>4</Level><Task>7</Task><Opcode>0</Opcode>
    <Keywords>0x8000000000000000</Keywords>
    <TimeCreated SystemTime="2026-05-06T10:20:31.0000000Z" />
    <EventRecordID>4411</EventRecordID>
    <Execution ProcessID="2210" ThreadID="3300" />
    <Channel>Microsoft-Windows-Sysmon/Operational</Channel>
    <Computer>lab-ws-07.example.net</Computer>
    <Security UserID="S-1-5-18" />
  </System>
  <EventData>
    <Data Name="UtcTime">2026-05-06 10:20:30.990</Data>
    <Data Name="ProcessId">6120</Data>
    <Data Name="Image">C:\\Apps\\viewer.exe</Data>
    <Data Name="ImageLoaded">C:\\Apps\\plugins\\render.dll</Data>
    <Data Name="FileVersion">4.2.0</Data>
    <Data Name="Description">Render plugin</Data>
    <Data Name="Product">Viewer Suite</Data>
    <Data Name="Company">Example Software Ltd</Data>
    <Data Name="OriginalFileName">render.dll</Data>
    <Data Name="Hashes">SHA256=AB12CD34,IMPHASH=EF56</Data>
    <Data Name="Signed">SIGNED</Data>
    <Data Name="Signature">SIGNER</Data>
    <Data Name="SignatureStatus">STATUS</Data>
    <Data Name="User">LAB\\mlopez</Data>
  </EventData>
</Event>"""


def _image_loaded(signed: str, signature: str, status: str) -> ECSDocument:
    text = IMAGE_LOADED.replace("SIGNED", signed).replace("SIGNER", signature).replace("STATUS", status)
    doc = parse_xml(text, CONTEXT)
    assert doc is not None
    return doc


def test_sysmon_image_loaded_describes_the_library_and_its_version_resource() -> None:
    doc = _image_loaded("true", "Example Software Ltd", "Valid")

    assert get(doc, "event.category") == ["process", "library"]
    assert get(doc, "event.type") == ["change", "start"]
    assert get(doc, "dll.path") == "C:\\Apps\\plugins\\render.dll"
    assert get(doc, "dll.pe") == {
        "imphash": "ef56",
        "original_file_name": "render.dll",
        "description": "Render plugin",
        "product": "Viewer Suite",
        "company": "Example Software Ltd",
        "file_version": "4.2.0",
    }
    assert get(doc, "dll.code_signature") == {
        "exists": True,
        "subject_name": "Example Software Ltd",
        "status": "Valid",
        "trusted": True,
    }
    assert get(doc, "process.pe") is None  # the version resource is the library's, not the process's
    assert doc["@timestamp"] == "2026-05-06T10:20:30.990Z"


@pytest.mark.parametrize(
    ("signed", "signature", "status", "expected"),
    [
        ("false", "-", "Unavailable", {"exists": False}),
        (
            "true",
            "Example CA",
            "Expired",
            {"exists": True, "subject_name": "Example CA", "status": "Expired", "trusted": False},
        ),
        ("failed: bad digest", "-", "-", {"status": "failed: bad digest", "trusted": False}),
    ],
)
def test_sysmon_image_loaded_signature_states(
    signed: str, signature: str, status: str, expected: dict[str, Any]
) -> None:
    assert get(_image_loaded(signed, signature, status), "dll.code_signature") == expected


@pytest.mark.parametrize(
    ("event_type", "target", "kind", "key", "value"),
    [
        ("CreateKey", "HKLM\\SOFTWARE\\Vendor\\Agent", ["creation"], "SOFTWARE\\Vendor\\Agent", None),
        (
            "DeleteKey",
            "HKU\\S-1-5-21-7\\Software\\Vendor",
            ["deletion"],
            "S-1-5-21-7\\Software\\Vendor",
            None,
        ),
        (
            "DeleteValue",
            "HKLM\\SOFTWARE\\Vendor\\Agent\\Mode",
            ["deletion"],
            "SOFTWARE\\Vendor\\Agent",
            "Mode",
        ),
        ("RenameKey", "HKLM\\SOFTWARE\\Vendor\\Old", ["change"], "SOFTWARE\\Vendor\\Old", None),
    ],
)
def test_sysmon_registry_event_type_says_what_happened(
    event_type: str, target: str, kind: list[str], key: str, value: str | None
) -> None:
    event_id = 14 if event_type == "RenameKey" else 12
    doc = _winlogbeat(
        event_id, {"EventType": event_type, "TargetObject": target, "Image": "C:\\Tools\\reg.exe"}
    )

    assert get(doc, "event.type") == kind
    assert get(doc, "registry.key") == key
    assert get(doc, "registry.value") == value
