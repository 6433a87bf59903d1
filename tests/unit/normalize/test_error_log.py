"""Error log parsers (apache-error, nginx-error): server error lines to ECS web events."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.ecs import get
from socflow.normalize.error_log import (
    APACHE_ERROR,
    NGINX_ERROR,
    parse_apache_error,
    parse_nginx_error,
    sniff_apache_error,
    sniff_nginx_error,
)
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))

APACHE_24 = (
    "[Thu Dec 03 17:30:00.123456 2026] [core:error] [pid 1234:tid 140234567] [client 192.0.2.5:51514] "
    "AH00126: Invalid URI in request GET /../ HTTP/1.1"
)
APACHE_22 = (
    "[Thu Dec 03 17:30:01 2026] [error] [client 198.51.100.7] File does not exist: /var/www/html/favicon.ico"
)
APACHE_NOTICE = (
    "[Thu Dec 03 17:29:00.000001 2026] [mpm_event:notice] [pid 77:tid 77] AH00489: Apache/2.4.58 configured"
)
NGINX_OPEN_FAILED = (
    '2026/12/03 17:30:00 [error] 1234#1234: *5 open() "/usr/share/nginx/html/x" failed '
    "(2: No such file or directory), client: 192.0.2.5, server: www.example.com, "
    'request: "GET /x?y=1 HTTP/1.1", host: "WWW.example.com"'
)
NGINX_WARN = '2026/12/03 17:31:00 [warn] 1234#0: conflicting server name "example.com" on 0.0.0.0:80, ignored'


def test_error_log_apache_24_maps_all_parts() -> None:
    doc = parse_apache_error(APACHE_24, CONTEXT)
    assert doc is not None
    assert get(doc, "@timestamp") == "2026-12-03T17:30:00.123456Z"
    assert get(doc, "log.level") == "error"
    assert get(doc, "event.severity") == 3
    assert get(doc, "event.type") == ["error"]
    assert get(doc, "event.category") == ["web"]
    assert get(doc, "apache.error.module") == "core"
    assert get(doc, "process.pid") == 1234
    assert get(doc, "process.thread.id") == 140234567
    assert get(doc, "source.ip") == "192.0.2.5"
    assert get(doc, "source.port") == 51514
    assert get(doc, "source.address") == "192.0.2.5"
    assert get(doc, "event.code") == "AH00126"
    assert get(doc, "error.code") is None
    assert get(doc, "message") == "AH00126: Invalid URI in request GET /../ HTTP/1.1"
    assert get(doc, "event.dataset") == "apache.error"


def test_error_log_apache_22_without_module_pid_or_port() -> None:
    doc = parse_apache_error(APACHE_22, CONTEXT)
    assert doc is not None
    assert get(doc, "source.ip") == "198.51.100.7"
    assert get(doc, "source.port") is None
    assert get(doc, "apache.error.module") is None
    assert get(doc, "process.pid") is None
    assert get(doc, "message") == "File does not exist: /var/www/html/favicon.ico"


def test_error_log_apache_notice_is_info_without_client() -> None:
    doc = parse_apache_error(APACHE_NOTICE, CONTEXT)
    assert doc is not None
    assert get(doc, "event.type") == ["info"]
    assert get(doc, "event.severity") == 5
    assert get(doc, "source") is None


def test_error_log_times_are_read_in_the_sender_zone() -> None:
    context = ParseContext(received_at=CONTEXT.received_at, zone=ZoneInfo("Europe/Paris"))
    apache = parse_apache_error(APACHE_22, context)
    nginx = parse_nginx_error(NGINX_WARN, context)
    assert apache is not None
    assert nginx is not None
    assert get(apache, "@timestamp") == "2026-12-03T16:30:01Z"
    assert get(nginx, "@timestamp") == "2026-12-03T16:31:00Z"


def test_error_log_nginx_maps_client_request_and_host() -> None:
    doc = parse_nginx_error(NGINX_OPEN_FAILED, CONTEXT)
    assert doc is not None
    assert get(doc, "@timestamp") == "2026-12-03T17:30:00Z"
    assert get(doc, "log.level") == "error"
    assert get(doc, "process.pid") == 1234
    assert get(doc, "nginx.error.connection_id") == 5
    assert get(doc, "source.ip") == "192.0.2.5"
    assert get(doc, "nginx.error.server") == "www.example.com"
    assert get(doc, "http.request.method") == "GET"
    assert get(doc, "url.original") == "/x?y=1"
    assert get(doc, "url.path") == "/x"
    assert get(doc, "http.version") == "1.1"
    assert get(doc, "url.domain") == "www.example.com"
    assert get(doc, "message") == NGINX_OPEN_FAILED.partition("*5 ")[2]
    assert get(doc, "event.dataset") == "nginx.error"
    assert get(doc, "service.type") == "nginx"


def test_error_log_nginx_warning_without_connection() -> None:
    doc = parse_nginx_error(NGINX_WARN, CONTEXT)
    assert doc is not None
    assert get(doc, "event.type") == ["info"]
    assert get(doc, "nginx.error.connection_id") is None
    assert get(doc, "message") == 'conflicting server name "example.com" on 0.0.0.0:80, ignored'


def test_error_log_impossible_date_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_nginx_error("2026/02/30 17:31:00 [warn] 1#0: text", CONTEXT)
    with pytest.raises(ParseError):
        parse_apache_error("[Mon Feb 30 17:30:01 2026] [error] text", CONTEXT)


def test_error_log_other_text_is_not_claimed() -> None:
    assert parse_apache_error(NGINX_WARN, CONTEXT) is None
    assert parse_nginx_error(APACHE_24, CONTEXT) is None
    assert parse_apache_error("[UFW BLOCK] IN=eth0 OUT= SRC=192.0.2.1 DST=192.0.2.2", CONTEXT) is None


@pytest.mark.parametrize(
    ("line", "apache", "nginx"),
    [
        (APACHE_24, True, False),
        (APACHE_22, True, False),
        (NGINX_OPEN_FAILED, False, True),
        (NGINX_WARN, False, True),
        ('192.0.2.44 - - [03/Dec/2026:17:30:05 +0100] "GET / HTTP/1.1" 200 5', False, False),
        ("[1234567.890123] [UFW BLOCK] IN=eth0 OUT= SRC=198.51.100.23 DST=192.0.2.10", False, False),
        ("2026/12/03 17:10:00,012801234567,TRAFFIC,end", False, False),
    ],
)
def test_error_log_sniffers_are_precise(line: str, apache: bool, nginx: bool) -> None:
    assert sniff_apache_error(line) is apache
    assert sniff_nginx_error(line) is nginx


def test_error_log_specs() -> None:
    assert APACHE_ERROR.name == "apache-error"
    assert APACHE_ERROR.dataset == "apache.error"
    assert NGINX_ERROR.name == "nginx-error"
    assert NGINX_ERROR.dataset == "nginx.error"


@given(st.text(max_size=300))
def test_error_log_parsers_never_raise_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_apache_error(text, CONTEXT)
    with contextlib.suppress(ParseError):
        parse_nginx_error(text, CONTEXT)


@given(st.text(alphabet="0123456789/: []#*,abcdefgilmnorstuvw", max_size=120))
def test_error_log_parsers_survive_shaped_garbage(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_apache_error("[Thu Dec 03 17:30:00 2026] [" + text, CONTEXT)
    with contextlib.suppress(ParseError):
        parse_nginx_error("2026/12/03 17:30:00 [error] 1#0: " + text, CONTEXT)


def test_error_log_apache_22_file_and_referer_are_read_from_the_message() -> None:
    line = (
        "[Thu Dec 03 17:30:02 2026] [error] [client 203.0.113.40] File does not exist: "
        "/srv/portal/robots.txt, referer: https://portal.example.org/start"
    )
    doc = parse_apache_error(line, CONTEXT)
    assert doc is not None
    assert get(doc, "file.path") == "/srv/portal/robots.txt"
    assert get(doc, "http.request.referrer") == "https://portal.example.org/start"
    assert get(doc, "message") == line.partition("] [client 203.0.113.40] ")[2]
    assert get(doc, "source.address") == "203.0.113.40"


def test_error_log_apache_24_denied_client_names_the_file() -> None:
    doc = parse_apache_error(
        "[Thu Dec 03 17:30:03.000100 2026] [authz_core:error] [pid 410:tid 411] [client 198.51.100.61:40022] "
        "AH01630: client denied by server configuration: /srv/portal/admin/",
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "event.code") == "AH01630"
    assert get(doc, "file.path") == "/srv/portal/admin/"
    assert get(doc, "source.port") == 40022


def test_error_log_apache_24_source_file_and_os_error_before_the_client() -> None:
    doc = parse_apache_error(
        "[Thu Dec 03 17:30:04.500000 2026] [proxy:trace2] [pid 52:tid 53] proxy_util.c(2510): "
        "(111)Connection refused: [client 192.0.2.77:50100] AH00957: backend connect failed",
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "log.level") == "trace2"
    assert get(doc, "log.origin.file.name") == "proxy_util.c"
    assert get(doc, "log.origin.file.line") == 2510
    assert get(doc, "error.code") == "111"
    assert get(doc, "error.message") == "Connection refused"
    assert get(doc, "source.ip") == "192.0.2.77"
    assert get(doc, "event.code") == "AH00957"
    assert get(doc, "message") == "AH00957: backend connect failed"


def test_error_log_apache_startup_line_without_header_keeps_its_message_id() -> None:
    line = "AH00558: httpd: Could not reliably determine the server's fully qualified domain name"
    doc = parse_apache_error(line, CONTEXT)
    assert doc is not None
    assert get(doc, "event.code") == "AH00558"
    assert get(doc, "message") == line
    assert get(doc, "event.dataset") == "apache.error"
    assert sniff_apache_error(line)
    assert not sniff_apache_error("AH, no message id here")


def test_error_log_nginx_referrer_and_host_port() -> None:
    doc = parse_nginx_error(
        "2026/12/03 17:32:00 [error] 90#90: *7 access forbidden by rule, client: 203.0.113.9, "
        'server: shop.example.com, request: "GET /.git/config HTTP/1.1", host: "shop.example.com:8443", '
        'referrer: "https://shop.example.com/"',
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "http.request.referrer") == "https://shop.example.com/"
    assert get(doc, "url.domain") == "shop.example.com"
    assert get(doc, "url.path") == "/.git/config"
    assert get(doc, "url.extension") is None
    assert get(doc, "source.address") == "203.0.113.9"


@pytest.mark.parametrize(
    ("host", "domain", "port"),
    [
        ("[2001:DB8:0::1]", "[2001:db8::1]", None),  # ECS url.domain keeps an IPv6 literal's brackets
        ("[2001:db8::1]:8080", "[2001:db8::1]", 8080),
        ("Portal.Example.ORG:8443", "portal.example.org", 8443),
        ("198.51.100.12:81", "198.51.100.12", 81),
        ("portal.example.org", "portal.example.org", None),
        ("2001:db8::12", "[2001:db8::12]", None),
    ],
)
def test_error_log_nginx_host_gives_domain_and_port(host: str, domain: str, port: int | None) -> None:
    doc = parse_nginx_error(
        "2026/12/03 17:33:00 [error] 90#90: *8 upstream timed out, client: 2001:db8::44, "
        f'server: _, request: "GET /status HTTP/1.1", host: "{host}"',
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "url.domain") == domain
    assert get(doc, "url.port") == port
    assert get(doc, "source.ip") == "2001:db8::44"


def test_error_log_apache_startup_line_has_no_level_and_is_info() -> None:
    doc = parse_apache_error("AH00015: Unable to open logs", CONTEXT)
    assert doc is not None
    assert get(doc, "log.level") is None  # the startup line carries no level: none is guessed
    assert get(doc, "event.severity") is None
    assert get(doc, "event.type") == ["info"]
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.category") == ["web"]
    assert get(doc, "service.type") == "apache"
    assert get(doc, "event.original") == "AH00015: Unable to open logs"
