"""Windows Event XML (as WEF, NXLog or wevtutil render it) read safely into a WinEvent."""

from __future__ import annotations

from typing import Final
from xml.etree.ElementTree import Element
from xml.etree.ElementTree import ParseError as XMLSyntaxError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring

from socflow.normalize.registry import ParseError
from socflow.normalize.windows_event import WinEvent, guid, integer

_DECLARATIONS: Final = ("<!DOCTYPE", "<!ENTITY")


def _local(tag: str) -> str:
    """`{namespace}Name` -> `Name`: the schema namespace varies between renderers."""
    return tag.rsplit("}", 1)[-1]


def _child(parent: Element | None, name: str) -> Element | None:
    if parent is None:
        return None
    for child in parent:
        if _local(child.tag) == name:
            return child
    return None


def _text(parent: Element | None, name: str) -> str | None:
    child = _child(parent, name)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _attribute(parent: Element | None, name: str, attribute: str) -> str | None:
    child = _child(parent, name)
    if child is None:
        return None
    return child.get(attribute) or None


def _event_data(node: Element | None) -> dict[str, str]:
    """<Data Name="X">v</Data> -> {"X": "v"}; unnamed Data are param1..N; <Binary> kept as Binary."""
    fields: dict[str, str] = {}
    if node is None:
        return fields
    unnamed = 0
    for child in node:
        tag = _local(child.tag)
        value = "".join(child.itertext())
        if tag == "Data":
            name = child.get("Name")
            if not name:
                unnamed += 1
                name = f"param{unnamed}"
            fields[name] = value
        elif tag == "Binary":
            fields["Binary"] = value
    return fields


def _user_data(node: Element | None) -> tuple[str | None, dict[str, str]]:
    """<UserData><LogFileCleared><SubjectUserName>x</SubjectUserName>... -> ("LogFileCleared", {...})."""
    if node is None:
        return None, {}
    for element in node:
        return _local(element.tag), {_local(child.tag): "".join(child.itertext()) for child in element}
    return None, {}


def read_event(raw: str) -> WinEvent | None:
    """A WinEvent from `<Event ...>` XML; None when the text is not an XML event at all.

    DTDs and entity declarations are refused outright (ParseError), before and during parsing."""
    stripped = raw.strip()
    if stripped.startswith("<?xml"):
        stripped = stripped[stripped.find("?>") + 2 :].lstrip() if "?>" in stripped else stripped
    upper = raw.upper()
    if stripped.startswith("<") and any(declaration in upper for declaration in _DECLARATIONS):
        raise ParseError("XML with a DTD or entity declaration is refused")
    if not stripped.startswith("<Event"):
        return None
    try:
        root = fromstring(raw.strip(), forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as error:
        raise ParseError(f"unsafe XML refused: {error}") from None
    except (XMLSyntaxError, ValueError, RecursionError) as error:
        raise ParseError(f"malformed event XML: {error}") from None
    if _local(root.tag) != "Event":
        raise ParseError(f"expected one <Event> element, found <{_local(root.tag)}>")
    system = _child(root, "System")
    if system is None:
        raise ParseError("the event has no System element")
    event_id = integer(_text(system, "EventID"))
    if event_id is None:
        raise ParseError("the event has no numeric EventID")
    rendering = _child(root, "RenderingInfo")
    user_data_name, user_data = _user_data(_child(root, "UserData"))
    return WinEvent(
        event_id=event_id,
        provider_name=_attribute(system, "Provider", "Name"),
        provider_guid=guid(_attribute(system, "Provider", "Guid")),
        channel=_text(system, "Channel"),
        computer=_text(system, "Computer"),
        record_id=integer(_text(system, "EventRecordID")),
        time=_attribute(system, "TimeCreated", "SystemTime"),
        level=integer(_text(system, "Level")),
        level_name=_text(rendering, "Level"),
        task=_text(system, "Task"),
        opcode=_text(system, "Opcode"),
        keywords=_text(system, "Keywords"),
        version=integer(_text(system, "Version")),
        process_id=integer(_attribute(system, "Execution", "ProcessID")),
        thread_id=integer(_attribute(system, "Execution", "ThreadID")),
        user_sid=_attribute(system, "Security", "UserID"),
        message=_text(rendering, "Message"),
        event_data=_event_data(_child(root, "EventData")),
        user_data_name=user_data_name,
        user_data=user_data,
    )
