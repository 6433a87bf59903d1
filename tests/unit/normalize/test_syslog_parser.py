"""The syslog header splitter and the `syslog` parser: RFC 3164 variants, RFC 5424, strict refusals."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socflow.normalize import canonical
from socflow.normalize.registry import ParseContext, ParseError
from socflow.normalize.syslog import parse_syslog
from socflow.normalize.syslog_header import SyslogFlavor, split_syslog

RECEIVED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
CONTEXT = ParseContext(received_at=RECEIVED)


def _stamp(header_text: str) -> str | None:
    header = split_syslog(header_text, RECEIVED)
    assert header is not None
    return canonical.format_time(header.timestamp) if header.timestamp else None


def test_syslog_header_reads_rfc3164_with_tag_and_pid() -> None:
    header = split_syslog("<38>Feb  5 17:32:18 web01 sshd[4242]: Accepted password", RECEIVED)

    assert header is not None
    assert header.flavor is SyslogFlavor.RFC3164
    assert (header.priority, header.hostname, header.appname, header.procid) == (38, "web01", "sshd", "4242")
    assert header.body == "Accepted password"
    assert _stamp("<38>Feb  5 17:32:18 web01 sshd[4242]: x") == "2024-02-05T17:32:18Z"


def test_syslog_header_reads_rfc3164_without_hostname_or_pri() -> None:
    header = split_syslog("Feb  5 17:32:18 sshd[1]: hello", RECEIVED)

    assert header is not None
    assert (header.priority, header.hostname, header.appname, header.body) == (None, None, "sshd", "hello")


def test_syslog_header_reads_rfc3164_without_tag() -> None:
    header = split_syslog("<13>Feb  5 17:32:18 10.0.0.9 Use the force", RECEIVED)

    assert header is not None
    assert (header.hostname, header.appname, header.body) == ("10.0.0.9", None, "Use the force")


def test_syslog_header_reads_cisco_sequence_star_and_milliseconds() -> None:
    header = split_syslog("<189>123: *Mar  1 18:46:11.123: %SYS-5-CONFIG_I: Configured", RECEIVED)

    assert header is not None
    assert canonical.format_time(header.timestamp) == "2024-03-01T18:46:11.123Z"  # type: ignore[arg-type]
    assert header.body == "%SYS-5-CONFIG_I: Configured"


def test_syslog_header_reads_year_and_colon_after_hostname() -> None:
    header = split_syslog("<166>Jan 05 2020 10:00:00 asa-1 : %ASA-6-302013: Built", RECEIVED)

    assert header is not None
    assert header.hostname == "asa-1"
    assert header.body == "%ASA-6-302013: Built"
    assert _stamp("<166>Jan 05 2020 10:00:00 asa-1 : x") == "2020-01-05T10:00:00Z"


def test_syslog_header_reads_iso_stamp_in_bsd_layout() -> None:
    header = split_syslog("<34>2024-02-01T10:00:00+01:00 host1 app: msg", RECEIVED)

    assert header is not None
    assert (header.hostname, header.appname, header.body) == ("host1", "app", "msg")
    assert canonical.format_time(header.timestamp) == "2024-02-01T09:00:00Z"  # type: ignore[arg-type]


def test_syslog_header_uses_sender_zone_for_zoneless_stamp() -> None:
    header = split_syslog("<13>Jan 10 10:00:00 h a: b", RECEIVED, canonical.zone("America/New_York"))

    assert header is not None
    assert canonical.format_time(header.timestamp) == "2024-01-10T15:00:00Z"  # type: ignore[arg-type]


def test_syslog_header_reads_rfc5424_with_structured_data_and_bom() -> None:
    text = (
        "<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog 42 ID47 "
        '[exampleSDID@32473 iut="3" eventSource="App\\"x\\]\\\\y"][meta seq="1"] \ufeffAn event'
    )
    header = split_syslog(text, RECEIVED)

    assert header is not None
    assert header.flavor is SyslogFlavor.RFC5424
    assert (header.version, header.hostname, header.appname, header.procid, header.msgid) == (
        1,
        "mymachine.example.com",
        "evntslog",
        "42",
        "ID47",
    )
    assert header.structured_data == {
        "exampleSDID@32473": {"iut": "3", "eventSource": 'App"x]\\y'},
        "meta": {"seq": "1"},
    }
    assert header.body == "An event"


def test_syslog_header_reads_rfc5424_nil_values() -> None:
    header = split_syslog("<14>1 - - - - - -", RECEIVED)

    assert header is not None
    assert (header.timestamp, header.hostname, header.appname, header.structured_data, header.body) == (
        None,
        None,
        None,
        None,
        "",
    )


def test_syslog_header_keeps_unknown_backslash_escape_in_param_value() -> None:
    header = split_syslog('<14>1 - - - - - [a b="c\\nd"] m', RECEIVED)

    assert header is not None
    assert header.structured_data == {"a": {"b": "c\\nd"}}


def test_syslog_header_answers_none_for_text_without_header() -> None:
    assert split_syslog("hello world", RECEIVED) is None


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("hello world", "not syslog"),
        ("<1>1", "version"),
        ("<200>Jan  1 00:00:00 h a: b", "above 191"),
        ("<1> 2018-11-22", "expecting a version"),
        ("<14>1 2003-13-11T22:14:15Z h a - - -", "RFC 5424"),
        ("<14>1 - h\u00e9 a - - -", "printable US-ASCII"),
        ('<14>1 - - - - - [a b="]"] m', "unescaped"),
        ("<14>1 - - - - - [a m", "not closed"),
        ("<14>1 - - - - - -x", "space between"),
        ("<14>1 - - - - -", "structured data"),
    ],
)
def test_syslog_parser_refuses_what_is_not_syslog_naming_why(text: str, reason: str) -> None:
    with pytest.raises(ParseError, match=reason):
        parse_syslog(text, CONTEXT)


def test_syslog_parser_maps_header_to_ecs() -> None:
    doc = parse_syslog("<86>Mar  1 11:59:00 Web01.corp.example cron[77]: job done", CONTEXT)

    assert doc["message"] == "job done"
    assert doc["@timestamp"] == "2024-03-01T11:59:00Z"
    assert doc["host"] == {"name": "web01", "domain": "corp.example", "hostname": "Web01.corp.example"}
    assert doc["process"] == {"name": "cron", "pid": 77}
    assert doc["log"]["syslog"]["facility"] == {"code": 10, "name": "authpriv"}
    assert doc["log"]["syslog"]["severity"] == {"code": 6, "name": "informational"}
    assert doc["log"]["level"] == "informational"


def test_syslog_parser_leaves_non_numeric_procid_out_of_process_pid() -> None:
    doc = parse_syslog("<14>1 - host app worker-7 - - text", CONTEXT)

    assert doc["log"]["syslog"]["procid"] == "worker-7"
    assert "pid" not in doc["process"]


def test_syslog_header_lenient_keeps_fields_when_structured_data_is_broken() -> None:
    header = split_syslog("<14>1 - host app - - [broken sd text", RECEIVED)

    assert header is not None
    assert (header.hostname, header.appname, header.structured_data) == ("host", "app", None)
    assert header.body == "[broken sd text"


def test_syslog_header_lenient_answers_none_for_impossible_rfc5424_values() -> None:
    header = split_syslog("<14>1 2024-02-30T00:00:00Z h a - - - m", RECEIVED)
    assert header is not None
    assert header.flavor is SyslogFlavor.RFC3164  # read as RFC 3164: a PRI and then the message
    assert header.timestamp is None


def test_syslog_header_refuses_duplicate_sd_elements_in_strict_mode() -> None:
    with pytest.raises(ParseError, match="appears twice"):
        parse_syslog('<14>1 - - - - - [a x="1"][a y="2"] m', CONTEXT)


def test_syslog_header_strict_names_the_overlong_field() -> None:
    with pytest.raises(ParseError, match="app-name is longer than 48"):
        parse_syslog("<14>1 - host " + "a" * 49 + " - - - m", CONTEXT)
    with pytest.raises(ParseError, match="expecting a procid"):
        parse_syslog("<14>1 - host app", CONTEXT)
    with pytest.raises(ParseError, match="invalid timestamp"):
        parse_syslog("<14>1 yesterday host app - - - m", CONTEXT)


def test_syslog_header_unparseable_bsd_date_is_no_timestamp() -> None:
    header = split_syslog("<14>Feb 30 10:00:00 host app: m", RECEIVED)

    assert header is not None
    assert header.timestamp is None
    assert header.body.startswith("Feb 30")


@pytest.mark.parametrize(("text", "host"), [("HOST", "HOST"), ("Zeus", "Zeus"), ("UTCsrv", "UTCsrv")])
def test_syslog_header_does_not_take_a_host_name_for_a_time_zone(text: str, host: str) -> None:
    header = split_syslog(f"<14>Feb  5 17:32:18 {text} app: m", RECEIVED)

    assert header is not None
    assert (header.hostname, header.appname, header.body) == (host, "app", "m")


def test_syslog_header_reads_a_written_zone_after_the_time() -> None:
    assert _stamp("<14>Feb  5 17:32:18 CEST host app: m") == "2024-02-05T15:32:18Z"
    assert _stamp("<14>Feb  5 17:32:18 UTC+2 host app: m") == "2024-02-05T15:32:18Z"
    assert _stamp("<14>Feb  5 17:32:18 -0500 host app: m") == "2024-02-05T22:32:18Z"
