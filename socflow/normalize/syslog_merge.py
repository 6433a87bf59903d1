"""A syslog header's fields merged into a document, without overriding what the message's parser found."""

from __future__ import annotations

from functools import lru_cache

from socflow.normalize import canonical
from socflow.normalize.ecs import ECSDocument, add_related
from socflow.normalize.syslog_header import FACILITY_NAMES, SEVERITY_NAMES, SyslogHeader


def merge_header(doc: ECSDocument, header: SyslogHeader) -> None:
    """Header fields into `doc` without overriding what the message's own parser found.

    This runs for nearly every message, so it builds the small dicts directly instead of going
    through the dotted-path setters, and reads the header's fields once."""
    _flavor, _body, priority, version, timestamp, hostname, appname, procid, msgid, structured = header
    if timestamp is not None and "@timestamp" not in doc:
        doc["@timestamp"] = canonical.format_time(timestamp)
    if hostname:
        host = doc.get("host")
        if not isinstance(host, dict) or ("name" not in host and "ip" not in host):
            _put_host(doc, hostname)
            host = doc.get("host")
            if isinstance(host, dict) and "name" in host:
                host.setdefault("hostname", hostname)  # as the device spells it; name is canonical
    syslog: dict[str, object]
    if priority is not None:
        facility, severity = divmod(priority, 8)
        syslog = {
            "priority": priority,
            "facility": {"code": facility, "name": FACILITY_NAMES[facility]},
            "severity": {"code": severity, "name": SEVERITY_NAMES[severity]},
        }
    else:
        syslog = {}
    if version is not None:
        syslog["version"] = version
    if hostname is not None:
        syslog["hostname"] = hostname
    if appname is not None:
        syslog["appname"] = appname
    if procid is not None:
        syslog["procid"] = procid
    if msgid is not None:
        syslog["msgid"] = msgid
    if structured is not None:
        syslog["structured_data"] = structured
    if syslog:
        log = doc.get("log")
        if not isinstance(log, dict):
            log = doc["log"] = {}
        existing = log.get("syslog")
        log["syslog"] = {**syslog, **existing} if isinstance(existing, dict) else syslog
        if priority is not None and "level" not in log:
            log["level"] = SEVERITY_NAMES[priority % 8]
    if appname or procid:
        _merge_process(doc, appname, procid)


@lru_cache(maxsize=4096)  # a stream names the same few hosts over and over
def _host_fields(value: str) -> tuple[str | None, str | None, str | None]:
    """(canonical IP, None, None) for an address, else (None, name, domain) as `put_host` splits it."""
    try:
        return canonical.ip(value), None, None
    except ValueError:
        parsed = canonical.host(value)
        return None, parsed.name, parsed.domain


def _put_host(doc: ECSDocument, value: str) -> None:
    """`put_host(doc, "host", value)` with the host's spelling resolved once per distinct name."""
    if value == "-":
        return
    address, name, domain = _host_fields(value)
    if address is None:
        if name or domain:
            host = doc.get("host")
            if not isinstance(host, dict):
                host = doc["host"] = {}
            if name:
                host["name"] = name
            if domain:
                host["domain"] = domain
        if name and "related" not in doc:  # what add_related makes of a document without related.*
            doc["related"] = {"hosts": [name]}
        else:
            add_related(doc, "hosts", name)
        return
    host = doc.get("host")
    if not isinstance(host, dict) or host.get("ip") is None:
        if not isinstance(host, dict):
            host = doc["host"] = {}
        host["ip"] = address
    add_related(doc, "ip", address)


def _merge_process(doc: ECSDocument, appname: str | None, procid: str | None) -> None:
    process = doc.get("process")
    if process is None and "process" not in doc:  # the usual case, built at once
        fresh: dict[str, object] = {}
        if appname:
            fresh["name"] = appname
        if procid and procid.isdigit():
            fresh["pid"] = int(procid)
        if fresh:
            doc["process"] = fresh
        return
    if isinstance(process, dict) and process:
        # The message describes a process of its own (sudo's command, a Windows process): the
        # header's program and pid belong to the logger, and stay in log.syslog.appname/procid.
        return
    if not isinstance(process, dict):
        process = doc["process"] = {}
    if appname and "name" not in process:
        process["name"] = appname
    if procid and procid.isdigit() and "pid" not in process:
        process["pid"] = int(procid)
    if not process:
        del doc["process"]
