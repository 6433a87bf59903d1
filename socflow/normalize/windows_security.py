"""ECS meaning of the Windows Security-log and Service Control Manager events a SOC watches."""

from __future__ import annotations

import re
from typing import Final

from socflow.normalize.ecs import ECSDocument, add_related, put, put_in, put_user
from socflow.normalize.windows_event import integer
from socflow.normalize.windows_fields import (
    Fields,
    Fill,
    Meaning,
    put_account,
    put_image,
    put_kerberos_status,
    put_logon_failure,
    put_logon_type,
    put_source,
)

_CN: Final = re.compile(r"^CN=((?:\\,|[^,])+)", re.IGNORECASE)


def _logon(doc: ECSDocument, fields: Fields) -> None:
    """4624/4625: the account that logged on (Target*), from where, how, through which process."""
    put_account(doc, "user", fields, "Target")
    put_source(doc, fields, "IpAddress", "IpPort")
    workstation = fields.get("WorkstationName")
    if workstation is not None:
        put_in(doc, "source", "domain", workstation)
    put_logon_type(doc, fields)
    put(doc, "winlog.logon.id", fields.get("TargetLogonId"))
    put_image(doc, "process", fields.get("ProcessName"))
    put_in(doc, "process", "pid", fields.number("ProcessId"))
    put(doc, "winlog.logon.authentication_package", fields.get("AuthenticationPackageName"))
    put(doc, "winlog.logon.process", fields.get("LogonProcessName"))


def _failed_logon(doc: ECSDocument, fields: Fields) -> None:
    _logon(doc, fields)
    put_logon_failure(doc, fields)


def _logoff(doc: ECSDocument, fields: Fields) -> None:
    put_account(doc, "user", fields, "Target")
    put_logon_type(doc, fields)
    put(doc, "winlog.logon.id", fields.get("TargetLogonId"))


def _explicit_logon(doc: ECSDocument, fields: Fields) -> None:
    """4648: the subject used the target's credentials; the subject is the actor."""
    put_account(doc, "user", fields, "Subject")
    put_account(doc, "user.target", fields, "Target")
    put_in(doc, "destination", "domain", fields.get("TargetServerName"))
    put_source(doc, fields, "IpAddress", "IpPort")
    put_image(doc, "process", fields.get("ProcessName"))
    put_in(doc, "process", "pid", fields.number("ProcessId"))


def _subject(doc: ECSDocument, fields: Fields) -> None:
    """Events whose only account is the subject (4672 special privileges, 4697/4698, 1102)."""
    put_account(doc, "user", fields, "Subject")
    put(doc, "winlog.logon.id", fields.get("SubjectLogonId"))


def _privileges(doc: ECSDocument, fields: Fields) -> None:
    _subject(doc, fields)
    privileges = fields.get("PrivilegeList")
    if privileges is not None:
        put(doc, "winlog.logon.privileges", privileges.split())


def _process_created(doc: ECSDocument, fields: Fields) -> None:
    """4688: subject created NewProcessName; with a target account (run-as), that one runs it."""
    put_account(doc, "user", fields, "Subject")
    if fields.get("TargetUserName") is not None:
        put_account(doc, "user.effective", fields, "Target")
    put_image(doc, "process", fields.get("NewProcessName"))
    put_in(doc, "process", "pid", fields.number("NewProcessId"))
    put_in(doc, "process", "command_line", fields.get("CommandLine"))
    put_image(doc, "process.parent", fields.get("ParentProcessName"))
    put(doc, "process.parent.pid", fields.number("ProcessId"))


def _process_exited(doc: ECSDocument, fields: Fields) -> None:
    put_account(doc, "user", fields, "Subject")
    put_image(doc, "process", fields.get("ProcessName"))
    put_in(doc, "process", "pid", fields.number("ProcessId"))
    put_in(doc, "process", "exit_code", fields.number("Status"))


def _service_4697(doc: ECSDocument, fields: Fields) -> None:
    _subject(doc, fields)
    put_in(doc, "service", "name", fields.get("ServiceName"))
    put_in(doc, "service", "type", fields.get("ServiceType"))
    put_user(doc, "service.user", fields.get("ServiceAccount"))


def _service_7045(doc: ECSDocument, fields: Fields) -> None:
    put_in(doc, "service", "name", fields.get("ServiceName"))
    put_in(doc, "service", "type", fields.get("ServiceType"))
    put_user(doc, "service.user", fields.get("AccountName"))


def _task(doc: ECSDocument, fields: Fields) -> None:
    _subject(doc, fields)
    put_in(doc, "winlog", "task_name", fields.get("TaskName"))


def _account_change(doc: ECSDocument, fields: Fields) -> None:
    """4720-4726, 4738: the subject acts on the target account."""
    put_account(doc, "user", fields, "Subject")
    put_account(doc, "user.target", fields, "Target")
    put(doc, "winlog.logon.id", fields.get("SubjectLogonId"))  # the acting session


def _lockout(doc: ECSDocument, fields: Fields) -> None:
    """4740: TargetDomainName holds the caller computer, not a domain."""
    put_account(doc, "user", fields, "Subject")
    put_user(doc, "user.target", fields.get("TargetUserName"))
    put(doc, "user.target.id", fields.get("TargetSid"))
    put_in(doc, "source", "domain", fields.get("TargetDomainName"))
    put(doc, "winlog.logon.id", fields.get("SubjectLogonId"))


def _group_member(doc: ECSDocument, fields: Fields) -> None:
    """4728/4732/4756: Target* names the group; MemberName/MemberSid the account added."""
    put_account(doc, "user", fields, "Subject")
    put_in(doc, "group", "name", fields.get("TargetUserName"))
    put_in(doc, "group", "domain", fields.get("TargetDomainName"))
    put_in(doc, "group", "id", fields.get("TargetSid"))
    member = fields.get("MemberName")
    if member is not None:
        common_name = _CN.match(member)
        put_user(doc, "user.target", common_name[1].replace("\\,", ",") if common_name else member)
    put(doc, "user.target.id", fields.get("MemberSid"))
    put(doc, "winlog.logon.id", fields.get("SubjectLogonId"))


def _kerberos(doc: ECSDocument, fields: Fields) -> None:
    """4768/4769/4771: the account asking for a ticket, from where, and the KDC's answer."""
    put_account(doc, "user", fields, "Target")
    put_in(doc, "user", "id", fields.get("TargetSid"))
    put_source(doc, fields, "IpAddress", "IpPort")
    put_in(doc, "service", "name", fields.get("ServiceName"))
    put(doc, "winlog.kerberos.ticket_encryption_type", fields.get("TicketEncryptionType"))
    put_kerberos_status(doc, fields)


def _credential_validation(doc: ECSDocument, fields: Fields) -> None:
    """4776 (NTLM): outcome from Status; Workstation is the client's name."""
    put_user(doc, "user", fields.get("TargetUserName"))
    put_in(doc, "source", "domain", fields.get("Workstation"))
    put(doc, "winlog.logon.authentication_package", fields.get("PackageName"))
    status = fields.number("Status")
    if status is not None:
        put_in(doc, "event", "outcome", "success" if status == 0 else "failure")
        put_logon_failure(doc, fields)


def _log_cleared(doc: ECSDocument, fields: Fields) -> None:
    _subject(doc, fields)


def _meaning(action: str, category: str, kind: str, outcome: str | None, fill: Fill) -> Meaning:
    """Comma-separated categories and types keep the table one line per event."""
    return Meaning(action, tuple(category.split(",")), tuple(kind.split(",")), outcome, fill)


# Event ID -> meaning, for events from the Security log (and 7045 from the System log).
SECURITY: Final[dict[int, Meaning]] = {
    4624: _meaning("logged-in", "authentication", "start", "success", _logon),
    4625: _meaning("logon-failed", "authentication", "start", "failure", _failed_logon),
    4634: _meaning("logged-out", "authentication", "end", "success", _logoff),
    4647: _meaning("logged-out", "authentication", "end", "success", _logoff),
    4648: _meaning("logged-in-explicit", "authentication", "start", "success", _explicit_logon),
    4672: _meaning("logged-in-special", "iam", "admin", "success", _privileges),
    4688: _meaning("created-process", "process", "start", "success", _process_created),
    4689: _meaning("exited-process", "process", "end", "success", _process_exited),
    4697: _meaning("service-installed", "iam,configuration", "admin,change", "success", _service_4697),
    4698: _meaning("scheduled-task-created", "iam,configuration", "admin,creation", "success", _task),
    4720: _meaning("added-user-account", "iam", "user,creation", "success", _account_change),
    4722: _meaning("enabled-user-account", "iam", "user,change", "success", _account_change),
    4723: _meaning("changed-password", "iam", "user,change", None, _account_change),
    4724: _meaning("reset-password", "iam", "user,change", None, _account_change),
    4725: _meaning("disabled-user-account", "iam", "user,change", "success", _account_change),
    4726: _meaning("deleted-user-account", "iam", "user,deletion", "success", _account_change),
    4728: _meaning("added-member-to-group", "iam", "group,change", "success", _group_member),
    4732: _meaning("added-member-to-group", "iam", "group,change", "success", _group_member),
    4756: _meaning("added-member-to-group", "iam", "group,change", "success", _group_member),
    4740: _meaning("locked-out-user-account", "iam", "user,change", "success", _lockout),
    4738: _meaning("modified-user-account", "iam", "user,change", "success", _account_change),
    4768: _meaning("kerberos-authentication-ticket-requested", "authentication", "start", None, _kerberos),
    4769: _meaning("kerberos-service-ticket-requested", "authentication", "start", None, _kerberos),
    4771: _meaning("kerberos-preauth-failed", "authentication", "start", "failure", _kerberos),
    4776: _meaning("credential-validated", "authentication", "start", None, _credential_validation),
    1102: _meaning("audit-log-cleared", "configuration", "deletion", "success", _log_cleared),
}

SYSTEM: Final[dict[int, Meaning]] = {
    7045: _meaning("service-installed", "iam,configuration", "admin,change", "success", _service_7045),
}

SECURITY_PROVIDERS: Final = frozenset({"Microsoft-Windows-Security-Auditing", "Microsoft-Windows-Eventlog"})
SYSTEM_PROVIDERS: Final = frozenset({"Service Control Manager"})


def meaning_for(event_id: int, channel: str | None, provider: str | None) -> Meaning | None:
    """The meaning of an event ID, only in the log it belongs to (IDs repeat across providers)."""
    if channel == "Security" or provider in SECURITY_PROVIDERS:
        return SECURITY.get(event_id)
    if channel == "System" or provider in SYSTEM_PROVIDERS:
        return SYSTEM.get(event_id)
    return None


def related_accounts(doc: ECSDocument, fields: Fields) -> None:
    """Every named account in the data into related.user (Subject and Target alike)."""
    for key in _ACCOUNT_NAMES:
        name = fields.get(key)
        if name is not None:
            add_related(doc, "user", name)


_ACCOUNT_NAMES: Final = ("SubjectUserName", "TargetUserName")

# Keywords bits the Security log sets on every audit record (winmeta.xml: Audit Success/Failure).
_AUDIT_SUCCESS: Final = 0x20000000000000
_AUDIT_FAILURE: Final = 0x10000000000000
# Keywords as written ("0x8020000000000000", NXLog's decimal, Winlogbeat's "Audit Success") -> outcome.
_AUDIT_OUTCOMES: dict[str, str | None] = {}
_AUDIT_OUTCOMES_MAX: Final = 1024


def audit_outcome(keywords: str) -> str | None:
    """success / failure from an audit record's keywords; None when they carry neither bit."""
    if keywords in _AUDIT_OUTCOMES:
        return _AUDIT_OUTCOMES[keywords]
    mask = integer(keywords)
    if mask is not None:
        outcome = "success" if mask & _AUDIT_SUCCESS else "failure" if mask & _AUDIT_FAILURE else None
    else:
        named = keywords.lower()
        outcome = "success" if "audit success" in named else "failure" if "audit failure" in named else None
    if len(_AUDIT_OUTCOMES) < _AUDIT_OUTCOMES_MAX:
        _AUDIT_OUTCOMES[keywords] = outcome
    return outcome
