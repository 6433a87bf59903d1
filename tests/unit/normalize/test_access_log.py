"""Access log parsers (apache, nginx): Common and Combined Log Format lines to ECS web events."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize.access_log import APACHE, NGINX, parse_apache, parse_nginx, sniff
from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import ParseContext, ParseError

CONTEXT = ParseContext(received_at=datetime(2026, 12, 3, 18, 0, tzinfo=UTC))

COMBINED = (
    '192.0.2.44 - alice [03/Dec/2026:17:30:05 +0100] "GET /index.html?lang=en HTTP/1.1" 200 5120 '
    '"https://www.example.com/start" "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"'
)
COMMON = '198.51.100.14 - - [03/Dec/2026:17:30:09 +0000] "HEAD / HTTP/1.0" 304 -'
VHOST_WITH_TIME = (
    'www.example.com:443 198.51.100.23 - - [03/Dec/2026:17:30:06 +0000] "POST /wp-login.php HTTP/1.1" '
    '401 312 "-" "python-requests/2.31.0" 0.004'
)
APACHE_MICROSECONDS = (
    '2001:db8::7 - bob@example.com [03/Dec/2026:17:30:07 -0500] "GET /api/v1/items HTTP/2.0" 500 87 '
    '"-" "curl/8.5.0" 153210'
)
BINARY_REQUEST = (
    '198.51.100.9 - - [03/Dec/2026:17:30:08 +0000] "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03" '
    '400 157 "-" "-"'
)


def _parse(text: str) -> ECSDocument:
    doc = parse_apache(text, CONTEXT)
    assert doc is not None, text
    return doc


def test_access_log_combined_maps_request_response_and_client() -> None:
    doc = _parse(COMBINED)
    assert get(doc, "@timestamp") == "2026-12-03T16:30:05Z"
    assert get(doc, "source.ip") == "192.0.2.44"
    assert get(doc, "source.address") == "192.0.2.44"
    assert get(doc, "url.extension") == "html"
    assert get(doc, "user.name") == "alice"
    assert get(doc, "related.user") == ["alice"]
    assert get(doc, "related.ip") == ["192.0.2.44"]
    assert get(doc, "http.request.method") == "GET"
    assert get(doc, "url.original") == "/index.html?lang=en"
    assert get(doc, "url.path") == "/index.html"
    assert get(doc, "url.query") == "lang=en"
    assert get(doc, "http.version") == "1.1"
    assert get(doc, "http.response.status_code") == 200
    assert get(doc, "http.response.body.bytes") == 5120
    assert get(doc, "http.request.referrer") == "https://www.example.com/start"
    assert get(doc, "user_agent.original") == "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36"


def test_access_log_combined_maps_event_fields() -> None:
    doc = _parse(COMBINED)
    assert get(doc, "event.kind") == "event"
    assert get(doc, "event.category") == ["web"]
    assert get(doc, "event.type") == ["access"]
    assert get(doc, "event.outcome") == "success"
    assert get(doc, "event.dataset") == "apache.access"
    assert get(doc, "event.module") == "apache"
    assert get(doc, "service.type") == "apache"


def test_access_log_common_format_without_bytes_or_agent() -> None:
    doc = _parse(COMMON)
    assert get(doc, "http.response.status_code") == 304
    assert get(doc, "http.response.body.bytes") is None
    assert get(doc, "user_agent.original") is None
    assert get(doc, "user.name") is None
    assert get(doc, "http.request.method") == "HEAD"
    assert get(doc, "http.version") == "1.0"
    assert get(doc, "event.outcome") == "success"


def test_access_log_vhost_prefix_and_request_time_in_seconds() -> None:
    doc = _parse(VHOST_WITH_TIME)
    assert get(doc, "url.domain") == "www.example.com"
    assert get(doc, "url.port") == 443
    assert get(doc, "destination.domain") == "www.example.com"
    assert get(doc, "source.ip") == "198.51.100.23"
    assert get(doc, "event.duration") == 4_000_000
    assert get(doc, "event.outcome") == "failure"
    assert get(doc, "event.type") == ["access", "error"]
    assert get(doc, "http.request.referrer") is None


def test_access_log_ipv6_client_email_user_and_microsecond_time() -> None:
    doc = _parse(APACHE_MICROSECONDS)
    assert get(doc, "source.ip") == "2001:db8::7"
    assert get(doc, "user.name") == "bob"
    assert get(doc, "user.domain") == "example.com"
    assert get(doc, "event.duration") == 153_210_000
    assert get(doc, "@timestamp") == "2026-12-03T22:30:07Z"
    assert get(doc, "http.response.status_code") == 500


def test_access_log_host_name_client_goes_to_source_domain() -> None:
    doc = _parse('Client.Example.NET - - [03/Dec/2026:17:31:00 +0000] "GET /robots.txt HTTP/1.1" 404 209')
    assert get(doc, "source.domain") == "client.example.net"
    assert get(doc, "source.ip") is None


def test_access_log_binary_request_is_kept_not_parsed() -> None:
    doc = _parse(BINARY_REQUEST)
    assert get(doc, "http.request.method") is None
    assert (
        get(doc, "apache.access.malformed_request")
        == "\\x16\\x03\\x01\\x02\\x00\\x01\\x00\\x01\\xfc\\x03\\x03"
    )
    assert get(doc, "http.response.status_code") == 400


def test_access_log_escaped_quote_in_agent() -> None:
    doc = _parse(
        '192.0.2.5 - - [03/Dec/2026:17:32:00 +0000] "GET / HTTP/1.1" 200 10 "-" "scanner \\"probe\\" 1.0"'
    )
    assert get(doc, "user_agent.original") == 'scanner "probe" 1.0'


def test_access_log_unknown_trailing_fields_are_kept() -> None:
    doc = parse_nginx(
        '192.0.2.5 - - [03/Dec/2026:17:33:00 +0000] "GET /a HTTP/1.1" 200 10 "-" "curl/8.5.0" '
        "upstream=10.1.2.3:80",
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "nginx.access.extra") == "upstream=10.1.2.3:80"
    assert get(doc, "event.duration") is None


def test_access_log_nginx_main_format_forwarded_for_chain() -> None:
    doc = parse_nginx(
        '192.0.2.5 - - [03/Dec/2026:17:33:00 +0000] "GET /a HTTP/1.1" 200 10 "-" "curl/8.5.0" '
        '"10.20.0.8, 198.51.100.7, 192.0.2.200" 0.120',
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "source.ip") == "192.0.2.5"
    assert get(doc, "network.forwarded_ip") == "10.20.0.8"
    assert get(doc, "client.ip") == "198.51.100.7"  # the first address that is not an internal one
    assert get(doc, "event.duration") == 120_000_000
    assert get(doc, "nginx.access.extra") is None


def test_access_log_forwarded_for_dash_and_keyed_variant() -> None:
    empty = _parse(COMMON + ' "-" "-" "-"')
    assert get(empty, "network.forwarded_ip") is None
    assert get(empty, "apache.access.extra") is None
    keyed = _parse(COMMON + ' "-" "curl/8.5.0" X-Forwarded-For="203.0.113.80"')
    assert get(keyed, "network.forwarded_ip") == "203.0.113.80"
    assert get(keyed, "client.ip") == "203.0.113.80"


def test_access_log_address_list_client_last_entry_is_the_peer() -> None:
    doc = parse_nginx(
        "shop.example.com 203.0.113.50, 10.0.0.9, 192.0.2.10 - - [03/Dec/2026:17:34:00 +0000] "
        '"GET /cart HTTP/1.1" 200 99 "-" "-"',
        CONTEXT,
    )
    assert doc is not None
    assert get(doc, "source.ip") == "192.0.2.10"
    assert get(doc, "network.forwarded_ip") == "203.0.113.50"
    assert get(doc, "destination.domain") == "shop.example.com"
    assert get(doc, "url.domain") == "shop.example.com"


def test_access_log_vhost_given_as_address_and_port_is_the_destination() -> None:
    doc = _parse('192.0.2.80:8080 198.51.100.3 - - [03/Dec/2026:17:35:00 +0000] "GET / HTTP/1.1" 200 1')
    assert get(doc, "destination.ip") == "192.0.2.80"
    assert get(doc, "destination.port") == 8080
    assert get(doc, "destination.address") == "192.0.2.80"
    assert get(doc, "source.address") == "198.51.100.3"
    assert "192.0.2.80" in get(doc, "related.ip")


def test_access_log_client_with_port_and_unix_socket_peer() -> None:
    with_port = _parse('198.51.100.3:80 - - [03/Dec/2026:17:35:00 +0000] "GET / HTTP/1.1" 200 1')
    assert get(with_port, "source.ip") == "198.51.100.3"
    assert get(with_port, "source.port") == 80
    assert get(with_port, "source.domain") is None
    socket = _parse('www.example.com:80 unix: - - [03/Dec/2026:17:35:00 +0000] "bad" 400 0 "-" "-"')
    assert get(socket, "source.address") == "unix:"
    assert get(socket, "source.domain") is None
    assert get(socket, "source.ip") is None


def test_access_log_url_extension_and_decoded_path_and_query() -> None:
    doc = _parse(
        '192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "GET /files/Quarterly%20Report.PDF?name=J%C3%BCrgen&x=1 '
        'HTTP/1.1" 200 10'
    )
    assert get(doc, "url.original") == "/files/Quarterly%20Report.PDF?name=J%C3%BCrgen&x=1"
    assert get(doc, "url.path") == "/files/Quarterly Report.PDF"
    assert get(doc, "url.extension") == "PDF"
    assert get(doc, "url.query") == "name=J\u00fcrgen&x=1"
    hidden = _parse('192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "GET /app/.env HTTP/1.1" 404 10')
    assert get(hidden, "url.extension") == "env"
    invalid = _parse('192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "GET /a%FFb/ HTTP/1.1" 404 10')
    assert get(invalid, "url.path") == "/a%FFb/"
    assert get(invalid, "url.extension") is None


def test_access_log_absolute_and_connect_targets_of_a_proxy() -> None:
    absolute = _parse(
        '192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "GET http://Updates.Example.net:8080/v2/list.json?a=b '
        'HTTP/1.1" 200 10'
    )
    assert get(absolute, "url.full") == "http://Updates.Example.net:8080/v2/list.json?a=b"
    assert get(absolute, "url.scheme") == "http"
    assert get(absolute, "url.domain") == "updates.example.net"
    assert get(absolute, "url.port") == 8080
    assert get(absolute, "url.path") == "/v2/list.json"
    assert get(absolute, "url.extension") == "json"
    assert get(absolute, "url.query") == "a=b"
    tunnel = _parse(
        '192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "CONNECT mail.example.org:443 HTTP/1.1" 200 0'
    )
    assert get(tunnel, "url.domain") == "mail.example.org"
    assert get(tunnel, "url.port") == 443
    assert get(tunnel, "url.path") is None


def test_access_log_no_request_line_is_not_malformed() -> None:
    doc = _parse('198.51.100.14 - - [03/Dec/2026:17:30:09 +0000] "-" 408 -')
    assert get(doc, "apache.access.malformed_request") is None
    assert get(doc, "http.response.status_code") == 408


def test_access_log_mod_ssl_request_log() -> None:
    line = (
        '[03/Dec/2026:17:36:00 +0100] 203.0.113.19 TLSv1.3 TLS_AES_256_GCM_SHA384 "GET /login.php?next=%2F '
        'HTTP/1.1" 5120'
    )
    assert sniff(line)
    doc = _parse(line)
    assert get(doc, "@timestamp") == "2026-12-03T16:36:00Z"
    assert get(doc, "source.ip") == "203.0.113.19"
    assert get(doc, "tls.version_protocol") == "tls"
    assert get(doc, "tls.version") == "1.3"
    assert get(doc, "tls.cipher") == "TLS_AES_256_GCM_SHA384"
    assert get(doc, "url.path") == "/login.php"
    assert get(doc, "url.query") == "next=/"
    assert get(doc, "http.response.body.bytes") == 5120
    assert get(doc, "event.type") == ["access"]
    assert get(doc, "http.response.status_code") is None


def test_access_log_nginx_sets_its_own_dataset() -> None:
    doc = parse_nginx(COMBINED, CONTEXT)
    assert doc is not None
    assert get(doc, "event.dataset") == "nginx.access"
    assert get(doc, "event.module") == "nginx"
    assert get(doc, "source.ip") == "192.0.2.44"


def test_access_log_bad_time_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_apache('192.0.2.5 - - [31/Feb/2026:17:30:00 +0000] "GET / HTTP/1.1" 200 10', CONTEXT)
    with pytest.raises(ParseError):
        parse_apache('192.0.2.5 - - [3 Dec 2026 17:30] "GET / HTTP/1.1" 200 10', CONTEXT)


def test_access_log_other_text_is_not_claimed() -> None:
    assert parse_apache("Accepted password for alice from 192.0.2.10 port 22 ssh2", CONTEXT) is None
    assert parse_apache('192.0.2.5 - - "GET / HTTP/1.1" 200 10', CONTEXT) is None
    assert parse_apache('192.0.2.5 - - [yesterday] "GET / HTTP/1.1" 200 10', CONTEXT) is None


@pytest.mark.parametrize("line", [COMBINED, COMMON, VHOST_WITH_TIME, APACHE_MICROSECONDS, BINARY_REQUEST])
def test_access_log_sniff_accepts_access_lines(line: str) -> None:
    assert sniff(line)


@pytest.mark.parametrize(
    "line",
    [
        "[Thu Dec 03 17:30:00.123456 2026] [core:error] [pid 1234] [client 192.0.2.5:51514] AH00126: "
        "Invalid URI in request GET /../ HTTP/1.1",
        '2026/12/03 17:30:00 [error] 1234#1234: *5 open() "/srv/www/x" failed (2: No such file or directory)',
        "%ASA-6-302013: Built inbound TCP connection 1 for outside:198.51.100.2/1 to inside:192.0.2.1/22",
        '{"remote_addr":"192.0.2.5","request":"GET / HTTP/1.1","status":200}',
    ],
)
def test_access_log_sniff_refuses_other_formats(line: str) -> None:
    assert not sniff(line)


def test_access_log_specs_apache_sniffs_nginx_is_chosen_explicitly() -> None:
    assert APACHE.name == "apache"
    assert APACHE.dataset == "apache.access"
    assert APACHE.sniff is not None
    assert NGINX.name == "nginx"
    assert NGINX.dataset == "nginx.access"
    assert NGINX.sniff is None


@given(st.text(max_size=300))
def test_access_log_parse_never_raises_other_than_parse_error(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_apache(text, CONTEXT)


@given(st.text(alphabet='0123456789/:+- []"abcDecGET', max_size=120))
def test_access_log_parse_survives_clf_shaped_garbage(text: str) -> None:
    with contextlib.suppress(ParseError):
        parse_apache("192.0.2.5 - - [" + text, CONTEXT)


def test_access_log_called_on_a_whole_syslog_line_finds_the_entry() -> None:
    doc = _parse(
        "<190>Dec  3 17:30:05 web1 nginx: "
        '192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "GET / HTTP/1.1" 200 5 "-" "-"'
    )
    assert get(doc, "source.ip") == "192.0.2.44"
    assert get(doc, "url.domain") is None
    assert get(doc, "http.response.status_code") == 200


def test_access_log_ipv6_hosts_are_canonical_and_bracketed_in_the_url() -> None:
    vhost = _parse('2001:DB8:0::80 198.51.100.3 - - [03/Dec/2026:17:35:00 +0000] "GET / HTTP/1.1" 200 1')
    assert get(vhost, "url.domain") == "[2001:db8::80]"
    assert get(vhost, "destination.ip") == "2001:db8::80"
    tunnel = _parse('192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "CONNECT [2001:DB8::25]:443 HTTP/1.1" 200 0')
    assert get(tunnel, "url.domain") == "[2001:db8::25]"
    assert get(tunnel, "url.port") == 443
    absolute = _parse(
        '192.0.2.44 - - [03/Dec/2026:17:30:05 +0000] "GET http://[2001:DB8::26]:8080/a HTTP/1.1" 200 0'
    )
    assert get(absolute, "url.domain") == "[2001:db8::26]"
    assert get(absolute, "url.port") == 8080
