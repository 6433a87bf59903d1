"""Windows event logs (evtx records, Event XML, Winlogbeat/NXLog JSON) to ECS through one mapping core."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from socflow.normalize import canonical, windows_security, windows_sysmon
from socflow.normalize.ecs import ECSDocument, put_host
from socflow.normalize.registry import ParseContext, ParseError, ParserSpec
from socflow.normalize.windows_event import (
    WinEvent,
    from_evtx,
    from_nxlog,
    from_winlogbeat,
    load_json,
)
from socflow.normalize.windows_fields import Fields, Meaning
from socflow.normalize.windows_xml import read_event

MODULE: Final = "windows"

# System/Level: 0 (LogAlways) is what the Security log writes for its audit events.
_LEVELS: Final[dict[int, str]] = {
    0: "information",
    1: "critical",
    2: "error",
    3: "warning",
    4: "information",
    5: "verbose",
}
# Level names as shippers spell them (NXLog's Severity, Winlogbeat's log.level) in the words above.
_LEVEL_NAMES: Final[dict[str, str]] = {
    "info": "information",
    "informational": "information",
    "information": "information",
    "warn": "warning",
    "warning": "warning",
    "error": "error",
    "critical": "critical",
    "debug": "verbose",
    "verbose": "verbose",
}
_CHANNEL_PREFIX: Final = re.compile(r"^microsoft-windows-", re.IGNORECASE)
_NOT_WORD: Final = re.compile(r"[^a-z0-9]+")
_XML_SNIFF: Final = re.compile(r"^\s*(?:<\?xml[^>]*\?>\s*)?<Event[\s>]")


def dataset_for(channel: str | None) -> str:
    """`windows.<channel>`: "Security" -> windows.security, Sysmon's -> windows.sysmon_operational."""
    if not channel:
        return f"{MODULE}.eventlog"
    name = _NOT_WORD.sub("_", _CHANNEL_PREFIX.sub("", channel).lower()).strip("_")
    return f"{MODULE}.{name or 'eventlog'}"


def _level(event: WinEvent) -> str | None:
    if event.level is not None and event.level in _LEVELS:
        return _LEVELS[event.level]
    if event.level_name is None:
        return None
    name = event.level_name.lower()
    return _LEVEL_NAMES.get(name, name)


@dataclass(frozen=True)
class _Profile:
    """What depends only on (event ID, channel, provider): worked out once per kind of event."""

    code: str
    dataset: str
    meaning: Meaning | None


_PROFILES: dict[tuple[int, str | None, str | None], _Profile] = {}
_PROFILES_MAX: Final = 4096


def _profile(event: WinEvent) -> _Profile:
    key = (event.event_id, event.channel, event.provider_name)
    found = _PROFILES.get(key)
    if found is None:
        meaning = windows_security.meaning_for(
            event.event_id, event.channel, event.provider_name
        ) or windows_sysmon.meaning_for(event.event_id, event.channel, event.provider_name)
        found = _Profile(str(event.event_id), dataset_for(event.channel), meaning)
        if len(_PROFILES) < _PROFILES_MAX:
            _PROFILES[key] = found
    return found


# Computer name -> what put_host writes for it (host.* and related.*): a log repeats a few names.
_COMPUTERS: dict[str, ECSDocument] = {}
_COMPUTERS_MAX: Final = 4096


def _put_computer(doc: ECSDocument, computer: str | None) -> None:
    """`put_host(doc, "host", computer)` on a document without host or related yet, from a cache.

    The cached fragment is copied (fresh dicts and lists), so documents never share them."""
    if not computer:
        return
    fragment = _COMPUTERS.get(computer)
    if fragment is None:
        fragment = {}
        put_host(fragment, "host", computer)
        if len(_COMPUTERS) < _COMPUTERS_MAX:
            _COMPUTERS[computer] = fragment
    for key, value in fragment.items():  # "host" then "related", as put_host writes them
        doc[key] = {name: list(item) if type(item) is list else item for name, item in value.items()}


def _time(event: WinEvent, context: ParseContext) -> str | None:
    if event.time is None:
        return None
    try:
        try:  # the evtx package's form ("...T09:15:30.123456Z") needs no clean-up first
            moment = canonical.to_utc(datetime.fromisoformat(event.time), context.zone)
        except ValueError:
            moment = canonical.parse_iso(event.time.removesuffix(" UTC"), context.zone)
    except (ValueError, OverflowError):
        raise ParseError(f"unreadable event time {event.time!r}") from None
    return canonical.format_time(moment)


def _winlog(event: WinEvent) -> dict[str, Any]:
    """The `winlog` object: plain dict writes, absent (None or empty) values left out."""
    winlog: dict[str, Any] = {"event_id": event.event_id}
    for key, value in (
        ("channel", event.channel),
        ("computer_name", event.computer),
        ("record_id", event.record_id),
        ("provider_name", event.provider_name),
        ("provider_guid", event.provider_guid),
    ):
        if value is not None and value != "":
            winlog[key] = value
    process: dict[str, Any] = {}
    if event.process_id is not None:
        process["pid"] = event.process_id
    if event.thread_id is not None:
        process["thread"] = {"id": event.thread_id}
    if process:
        winlog["process"] = process
    for key, value in (
        ("task", event.task),
        ("opcode", event.opcode),
        ("keywords", event.keywords),
        ("version", event.version),
    ):
        if value is not None and value != "":
            winlog[key] = value
    if event.user_sid:
        winlog["user"] = {"identifier": event.user_sid}
    if event.event_data:
        winlog["event_data"] = dict(event.event_data)
    if event.user_data:
        winlog["user_data"] = dict(event.user_data)
    if event.user_data_name:
        winlog["user_data_name"] = event.user_data_name
    return winlog


def to_ecs(event: WinEvent, context: ParseContext) -> ECSDocument:
    """The one mapping core: the record's own fields, then what its event ID means in ECS.

    Built with plain dict writes; what depends only on the kind of event is cached (`_profile`)."""
    profile = _profile(event)
    doc: ECSDocument = {}
    timestamp = _time(event, context)
    if timestamp is not None:
        doc["@timestamp"] = timestamp
    described: dict[str, Any] = {"kind": "event", "code": profile.code}
    if event.provider_name:
        described["provider"] = event.provider_name
    described["module"] = MODULE
    described["dataset"] = profile.dataset
    doc["event"] = described
    level = _level(event)
    if level:
        doc["log"] = {"level": level}
    _put_computer(doc, event.computer)
    if event.message:
        doc["message"] = event.message
    doc["winlog"] = _winlog(event)
    fields = Fields({**event.user_data, **event.event_data} if event.user_data else event.event_data)
    meaning = profile.meaning
    if meaning is not None:
        described["action"] = meaning.action
        described["category"] = list(meaning.category)
        described["type"] = list(meaning.kind)
        if meaning.outcome is not None:
            described["outcome"] = meaning.outcome
        meaning.fill(doc, fields)
        if "outcome" not in described and event.keywords:  # e.g. 4723/4724: failures are audited too
            outcome = windows_security.audit_outcome(event.keywords)
            if outcome is not None:
                described["outcome"] = outcome
    windows_security.related_accounts(doc, fields)
    return doc


def parse_evtx(text: str, context: ParseContext) -> ECSDocument | None:
    """One record from the evtx package: its `data` JSON ({"Event": ...}) or the whole record dict."""
    loaded = load_json(text)
    if loaded is None:
        return None
    event = from_evtx(loaded)
    return None if event is None else to_ecs(event, context)


def parse_json(text: str, context: ParseContext) -> ECSDocument | None:
    """Winlogbeat-style or NXLog im_msvistalog JSON (evtx-shaped JSON is read as well)."""
    loaded = load_json(text)
    if loaded is None:
        return None
    event = from_winlogbeat(loaded) or from_evtx(loaded) or from_nxlog(loaded)
    return None if event is None else to_ecs(event, context)


def parse_xml(text: str, context: ParseContext) -> ECSDocument | None:
    """Windows Event XML; DTDs and entities are refused with ParseError."""
    event = read_event(text)
    return None if event is None else to_ecs(event, context)


def sniff_evtx(text: str) -> bool:
    """A JSON object with Event and System keys, or the evtx package's whole record."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return False
    return ('"Event"' in stripped and '"System"' in stripped) or '"event_record_id"' in stripped


def sniff_json(text: str) -> bool:
    """A JSON object with a winlog object or NXLog's EventID, that is not evtx-shaped."""
    stripped = text.lstrip()
    if not stripped.startswith("{") or sniff_evtx(stripped):
        return False
    return '"winlog"' in stripped or '"EventID"' in stripped


def sniff_xml(text: str) -> bool:
    return _XML_SNIFF.match(text) is not None


EVTX: Final = ParserSpec(
    name="evtx",
    parse=parse_evtx,
    sniff=sniff_evtx,
    priority=95,  # above generic JSON (90): the sniff is specific to evtx-shaped records
    dataset="windows.eventlog",
    wants_syslog_body=False,
    description="Windows .evtx records as the evtx package renders them to JSON",
)
WINDOWS_XML: Final = ParserSpec(
    name="windows-xml",
    parse=parse_xml,
    sniff=sniff_xml,
    priority=60,
    dataset="windows.eventlog",
    description="Windows Event XML (<Event xmlns=...>) as forwarded by WEF, NXLog and others",
)
WINDOWS_JSON: Final = ParserSpec(
    name="windows-json",
    parse=parse_json,
    sniff=sniff_json,
    priority=95,  # above generic JSON (90): the sniff needs winlog or EventID
    dataset="windows.eventlog",
    description="Windows events as JSON from Winlogbeat/Elastic Agent or NXLog im_msvistalog",
)
