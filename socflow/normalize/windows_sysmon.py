"""ECS meaning of Sysmon (Microsoft-Windows-Sysmon/Operational) events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Final

from socflow.normalize.canonical import format_time
from socflow.normalize.ecs import ECSDocument, add_related, node_at, put, put_in, put_ip, put_port, put_user
from socflow.normalize.windows_fields import (
    Fields,
    Fill,
    Meaning,
    basename,
    put_hashes,
    put_image,
)

SYSMON_PROVIDER: Final = "Microsoft-Windows-Sysmon"
SYSMON_CHANNEL: Final = "Microsoft-Windows-Sysmon/Operational"

# Sysmon's registry roots as it writes them, and the hive names ECS uses.
_HIVES: Final[dict[str, str]] = {
    "HKLM": "HKLM",
    "HKU": "HKU",
    "HKCR": "HKCR",
    "HKCU": "HKCU",
    "HKCC": "HKCC",
    "HKEY_LOCAL_MACHINE": "HKLM",
    "HKEY_USERS": "HKU",
    "HKEY_CLASSES_ROOT": "HKCR",
    "HKEY_CURRENT_USER": "HKCU",
    "HKEY_CURRENT_CONFIG": "HKCC",
}
_REGISTRY_TYPES: Final[dict[str, str]] = {
    "DWORD": "SZ_DWORD",
    "QWORD": "SZ_QWORD",
    "Binary Data": "REG_BINARY",
}


# DNS resource record type codes as Sysmon writes them in QueryResults ("type:  5 name").
_RECORD_TYPES: Final[dict[str, str]] = {
    "1": "A",
    "2": "NS",
    "5": "CNAME",
    "6": "SOA",
    "12": "PTR",
    "15": "MX",
    "16": "TXT",
    "28": "AAAA",
    "33": "SRV",
    "64": "SVCB",
    "65": "HTTPS",
}
# Sysmon 12's EventType: what happened to the key or value.
_REGISTRY_CHANGES: Final[dict[str, str]] = {
    "CreateKey": "creation",
    "CreateValue": "creation",
    "DeleteKey": "deletion",
    "DeleteValue": "deletion",
}


def _utc_time(doc: ECSDocument, fields: Fields) -> None:
    """UtcTime is when the action happened; the record's own time becomes event.created.

    Sysmon writes the record after the action (milliseconds to seconds later)."""
    written = fields.get("UtcTime")
    if written is None:
        return
    try:
        moment = datetime.fromisoformat(written)
        if len(written) == 23 and written[10] == " " and written[19] == ".":
            # Sysmon's own "2024-01-02 03:04:05.678" in UTC: format_time's text without its cost (~5 µs)
            seconds = written.endswith(".000")
            stamp = f"{written[:10]}T{written[11:19] if seconds else written[11:]}Z"
        else:
            stamp = format_time(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment)
    except (ValueError, OverflowError):  # not a time, or an offset that leaves the datetime range
        return
    recorded = doc.get("@timestamp")
    doc["@timestamp"] = stamp
    if recorded is not None:
        put_in(doc, "event", "created", recorded)


def _process(doc: ECSDocument, fields: Fields) -> None:
    """The acting process every Sysmon event names, and its user when Sysmon records one."""
    _utc_time(doc, fields)
    put_image(doc, "process", fields.get("Image"))
    put_in(doc, "process", "pid", fields.number("ProcessId"))
    put_in(doc, "process", "entity_id", fields.get("ProcessGuid"))
    put_user(doc, "user", fields.get("User"))


def _process_create(doc: ECSDocument, fields: Fields) -> None:
    _process(doc, fields)
    put_in(doc, "process", "command_line", fields.get("CommandLine"))
    put_in(doc, "process", "working_directory", fields.get("CurrentDirectory"))
    put(doc, "process.pe.original_file_name", fields.get("OriginalFileName"))
    put(doc, "process.pe.description", fields.get("Description"))
    put(doc, "process.pe.product", fields.get("Product"))
    put(doc, "process.pe.company", fields.get("Company"))
    put(doc, "process.pe.file_version", fields.get("FileVersion"))
    put_hashes(doc, "process", fields.get("Hashes"))
    put_image(doc, "process.parent", fields.get("ParentImage"))
    put(doc, "process.parent.pid", fields.number("ParentProcessId"))
    put(doc, "process.parent.entity_id", fields.get("ParentProcessGuid"))
    put(doc, "process.parent.command_line", fields.get("ParentCommandLine"))
    put(doc, "winlog.logon.id", fields.get("LogonId"))
    put_in(doc, "process", "integrity_level", fields.get("IntegrityLevel"))


def _network(doc: ECSDocument, fields: Fields) -> None:
    _process(doc, fields)
    for side, prefix in (("source", "Source"), ("destination", "Destination")):
        put_ip(doc, f"{side}.ip", fields.get(f"{prefix}Ip"))
        put_port(doc, f"{side}.port", fields.get(f"{prefix}Port"))
        put_in(doc, side, "domain", fields.get(f"{prefix}Hostname"))
    put_in(doc, "network", "transport", (fields.get("Protocol") or "").lower())
    ipv6 = fields.get("SourceIsIpv6")
    if ipv6 is not None:
        put_in(doc, "network", "type", "ipv6" if ipv6.lower() == "true" else "ipv4")
    initiated = fields.get("Initiated")
    if initiated is not None:
        put_in(doc, "network", "direction", "egress" if initiated.lower() == "true" else "ingress")


def _file(doc: ECSDocument, fields: Fields) -> None:
    _process(doc, fields)
    path = fields.get("TargetFilename")
    if path is None:
        return
    name = basename(path)
    file = node_at(doc, "file")  # `path` is never empty (Fields.get): the object is written
    file["path"] = path
    if name:
        file["name"] = name
    directory = path[: len(path) - len(name)].rstrip("\\/")
    if directory:
        file["directory"] = directory
    stem, dot, extension = name.rpartition(".")
    if dot and stem and extension:
        file["extension"] = extension.lower()
    put_hashes(doc, "file", fields.get("Hashes"))


def _registry(doc: ECSDocument, fields: Fields) -> None:
    """TargetObject `HKLM\\SOFTWARE\\...\\Value` into registry.path/hive/key/value; Details as data."""
    _process(doc, fields)
    change = fields.get("EventType") or ""
    happened = _REGISTRY_CHANGES.get(change)
    if happened is not None:
        doc["event"]["type"] = [happened]
    details = fields.get("Details")
    path = fields.get("TargetObject")
    if path is not None:
        put_in(doc, "registry", "path", path)
        root, _, rest = path.partition("\\")
        hive = _HIVES.get(root.upper())
        if hive is not None:
            put_in(doc, "registry", "hive", hive)
            names_value = details is not None or change.endswith("Value")
            key, _, value = rest.rpartition("\\")
            put_in(doc, "registry", "key", key if names_value else rest)
            put_in(doc, "registry", "value", value if names_value else None)
    if details is not None:
        put(doc, "registry.data.strings", [details])
        kind = details.split(" (", 1)[0]
        put(doc, "registry.data.type", _REGISTRY_TYPES.get(kind, "SZ"))


def _dns(doc: ECSDocument, fields: Fields) -> None:
    """QueryResults holds answers split by ';': addresses (v4-mapped shown as ::ffff:) and records."""
    _process(doc, fields)
    put(doc, "dns.question.name", fields.get("QueryName"))
    put_in(doc, "network", "protocol", "dns")
    status = fields.number("QueryStatus")
    if status is not None:
        put_in(doc, "event", "outcome", "success" if status == 0 else "failure")
        put_in(doc, "dns", "response_code", "NOERROR" if status == 0 else str(status))
    resolved: list[str] = []
    answers: list[dict[str, Any]] = []
    for answer in (fields.get("QueryResults") or "").split(";"):
        answer = answer.strip()
        if answer.startswith("type:"):  # a record that is not an address: "type:  5 cname.example"
            code, _, data = answer[5:].strip().partition(" ")
            data = data.strip()
            if data:
                answers.append({"data": data, "type": _RECORD_TYPES.get(code, code)})
                add_related(doc, "hosts", data)
            continue
        probe: ECSDocument = {}
        if put_ip(probe, "ip", answer):
            address = probe["ip"]
            resolved.append(address)
            answers.append({"data": address, "type": "AAAA" if ":" in address else "A"})
            add_related(doc, "ip", address)
    put_in(doc, "dns", "answers", answers or None)
    put_in(doc, "dns", "resolved_ip", resolved or None)
    add_related(doc, "hosts", fields.get("QueryName"))


def _image_loaded(doc: ECSDocument, fields: Fields) -> None:
    """Sysmon 7: the version resource and signature fields describe the loaded image, not the process."""
    _process(doc, fields)
    loaded = fields.get("ImageLoaded")
    if loaded is not None:
        put_in(doc, "dll", "path", loaded)
        put_in(doc, "dll", "name", basename(loaded))
    put_hashes(doc, "dll", fields.get("Hashes"))
    put(doc, "dll.pe.original_file_name", fields.get("OriginalFileName"))
    put(doc, "dll.pe.description", fields.get("Description"))
    put(doc, "dll.pe.product", fields.get("Product"))
    put(doc, "dll.pe.company", fields.get("Company"))
    put(doc, "dll.pe.file_version", fields.get("FileVersion"))
    _code_signature(doc, "dll", fields)


def _code_signature(doc: ECSDocument, prefix: str, fields: Fields) -> None:
    """Signed (true/false, or why checking failed), Signature (signer), SignatureStatus ("Valid", ...)."""
    signed = fields.get("Signed")
    status = fields.get("SignatureStatus")
    if signed is None and status is None:
        return
    signature: dict[str, Any] = {}
    lowered = (signed or "").lower()
    if lowered in ("true", "false"):
        signature["exists"] = lowered == "true"
    elif signed is not None:  # e.g. "failed: Invalid hash": signed, but the check failed
        signature["status"] = signed
        signature["trusted"] = False
    subject = fields.get("Signature")
    if subject is not None:
        signature["subject_name"] = subject
    if status is not None and status != "Unavailable":
        signature["status"] = status
        signature["trusted"] = status == "Valid"
    if signature:
        node_at(doc, prefix)["code_signature"] = signature


def _process_access(doc: ECSDocument, fields: Fields) -> None:
    _utc_time(doc, fields)
    put_image(doc, "process", fields.get("SourceImage"))
    put_in(doc, "process", "pid", fields.number("SourceProcessId"))
    put_in(doc, "process", "entity_id", fields.get("SourceProcessGUID"))
    put_user(doc, "user", fields.get("SourceUser"))
    put_image(doc, "winlog.target_process", fields.get("TargetImage"))
    put(doc, "winlog.target_process.pid", fields.number("TargetProcessId"))


def _meaning(action: str, category: str, kind: str, fill: Fill) -> Meaning:
    return Meaning(action, tuple(category.split(",")), tuple(kind.split(",")), None, fill)


SYSMON: Final[dict[int, Meaning]] = {
    1: _meaning("process-created", "process", "start", _process_create),
    3: _meaning("network-connection", "network", "start,connection", _network),
    5: _meaning("process-terminated", "process", "end", _process),
    7: _meaning("image-loaded", "process,library", "change,start", _image_loaded),
    10: _meaning("process-accessed", "process", "access", _process_access),
    11: _meaning("file-created", "file", "creation", _file),
    12: _meaning("registry-key-changed", "registry", "change", _registry),
    13: _meaning("registry-value-set", "registry", "change", _registry),
    14: _meaning("registry-key-renamed", "registry", "change", _registry),
    15: _meaning("file-stream-created", "file", "creation", _file),
    17: _meaning("pipe-created", "file", "creation", _process),
    18: _meaning("pipe-connected", "file", "access", _process),
    22: _meaning("dns-query", "network", "connection,protocol,info", _dns),
    23: _meaning("file-deleted", "file", "deletion", _file),
    26: _meaning("file-deleted", "file", "deletion", _file),
}


def meaning_for(event_id: int, channel: str | None, provider: str | None) -> Meaning | None:
    if provider == SYSMON_PROVIDER or channel == SYSMON_CHANNEL:
        return SYSMON.get(event_id)
    return None
