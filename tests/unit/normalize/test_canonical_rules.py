"""Canonical values: zones, epochs, ISO and BSD stamps, year inference, hosts, IPs, MACs, users."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from socflow.normalize import canonical

RECEIVED = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)


def test_canonical_zone_reads_iana_utc_and_fixed_offsets() -> None:
    assert canonical.zone(None) is UTC
    assert canonical.zone("gmt") is UTC
    assert canonical.zone("Europe/Paris").utcoffset(datetime(2024, 7, 1)) == timedelta(hours=2)
    assert canonical.zone("+05:30").utcoffset(None) == timedelta(hours=5, minutes=30)
    assert canonical.zone("UTC-3").utcoffset(None) == timedelta(hours=-3)


def test_canonical_zone_refuses_unknown_names_naming_them() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        canonical.zone("Mars/Olympus")
    with pytest.raises(ValueError, match="out of range"):
        canonical.zone("+25:00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000", "2023-11-14T22:13:20Z"),
        ("1700000000123", "2023-11-14T22:13:20.123Z"),
        ("1700000000123456", "2023-11-14T22:13:20.123456Z"),
        ("1700000000123456789", "2023-11-14T22:13:20.123457Z"),
        ("1700000000.5", "2023-11-14T22:13:20.500Z"),
    ],
)
def test_canonical_from_epoch_tells_units_apart_by_magnitude(value: str, expected: str) -> None:
    assert canonical.format_time(canonical.from_epoch(value)) == expected


def test_canonical_from_epoch_refuses_out_of_range_with_value_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        canonical.from_epoch("9" * 30)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2003-10-11T22:14:15.003Z", "2003-10-11T22:14:15.003Z"),
        ("2003-08-24T05:14:15.000003-07:00", "2003-08-24T12:14:15.000003Z"),
        ("2024-01-02 03:04:05", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.123456789+01:00", "2024-01-02T02:04:05.123456Z"),
        ("2024/01/02 03:04:05", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05,250Z", "2024-01-02T03:04:05.250Z"),
        ("Feb 29 23:59:59", "2024-02-29T23:59:59Z"),
        ("Jan  5 01:02:03.456", "2024-01-05T01:02:03.456Z"),
        ("*Mar  1 18:46:11.123 UTC", "2024-03-01T18:46:11.123Z"),
        ("Mar 01 2023 18:46:11", "2023-03-01T18:46:11Z"),
        ("Mar 01 18:46:11 2022", "2022-03-01T18:46:11Z"),
        ("Jun 10 2024 08:00:00 CEST", "2024-06-10T06:00:00Z"),
        ("10/Oct/2000:13:55:36 -0700", "2000-10-10T20:55:36Z"),
    ],
)
def test_canonical_parse_time_reads_log_timestamp_spellings(text: str, expected: str) -> None:
    assert canonical.format_time(canonical.parse_time(text, received=RECEIVED)) == expected


def test_canonical_parse_time_reads_zoneless_time_in_the_assumed_zone() -> None:
    paris = canonical.zone("Europe/Paris")
    assert canonical.format_time(canonical.parse_time("2024-01-02 10:00:00", paris)) == "2024-01-02T09:00:00Z"
    assert canonical.format_time(canonical.parse_time("Jan  2 10:00:00", paris, RECEIVED)) == (
        "2024-01-02T09:00:00Z"
    )


def test_canonical_parse_time_refuses_text_that_is_no_time() -> None:
    with pytest.raises(ValueError, match="unrecognised timestamp 'yesterday'"):
        canonical.parse_time("yesterday")


def test_canonical_year_for_puts_the_event_nearest_before_receipt() -> None:
    new_year = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
    assert canonical.year_for(12, 31, new_year) == 2024
    assert canonical.year_for(1, 1, new_year) == 2025
    assert canonical.year_for(1, 2, new_year) == 2025  # a day of clock skew stays this year
    assert canonical.year_for(1, 3, new_year) == 2024
    assert canonical.year_for(1, 1, datetime(2024, 12, 31, 23, 59, tzinfo=UTC)) == 2025
    assert canonical.year_for(1, 5, datetime(2024, 12, 31, 23, 59, tzinfo=UTC)) == 2024


def test_canonical_year_for_finds_the_last_leap_year_for_feb_29() -> None:
    assert canonical.year_for(2, 29, datetime(2025, 3, 1, tzinfo=UTC)) == 2024
    assert canonical.year_for(2, 29, datetime(2024, 1, 10, tzinfo=UTC)) == 2020
    with pytest.raises(ValueError, match="no such date"):
        canonical.year_for(13, 1, RECEIVED)


@pytest.mark.parametrize(
    ("value", "name", "domain"),
    [
        ("WEB01.Corp.Example.COM.", "web01", "corp.example.com"),
        ("CORP\\WEB01", "web01", "corp"),
        ("web01", "web01", None),
        ("10.0.0.1", "10.0.0.1", None),
    ],
)
def test_canonical_host_splits_fqdn_and_netbios(value: str, name: str, domain: str | None) -> None:
    assert canonical.host(value) == canonical.HostName(name, domain)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("[fe80::1%eth0]", "fe80::1"),
        (" 10.0.0.1 ", "10.0.0.1"),
    ],
)
def test_canonical_ip_gives_one_text_per_address(value: str, expected: str) -> None:
    assert canonical.ip(value) == expected


@pytest.mark.parametrize(
    "value", ["aa:bb:cc:dd:ee:ff", "AA-BB-CC-DD-EE-FF", "aabb.ccdd.eeff", "aabbccddeeff"]
)
def test_canonical_mac_reads_every_notation(value: str) -> None:
    assert canonical.mac(value) == "AA-BB-CC-DD-EE-FF"


def test_canonical_mac_refuses_a_short_address() -> None:
    with pytest.raises(ValueError, match="not a MAC"):
        canonical.mac("aa:bb:cc")


@pytest.mark.parametrize(
    ("value", "name", "domain"),
    [
        ("CORP\\Alice", "Alice", "corp"),
        ("alice@Corp.Example", "alice", "corp.example"),
        ("root", "root", None),
    ],
)
def test_canonical_user_splits_domain_forms(value: str, name: str, domain: str | None) -> None:
    assert canonical.user(value) == canonical.UserName(name, domain)


@given(st.ip_addresses())
def test_canonical_ip_is_idempotent(address: object) -> None:
    once = canonical.ip(str(address))
    assert canonical.ip(once) == once


@given(st.binary(min_size=6, max_size=6), st.sampled_from([":", "-", ""]))
def test_canonical_mac_is_idempotent(raw: bytes, separator: str) -> None:
    once = canonical.mac(separator.join(f"{byte:02x}" for byte in raw))
    assert canonical.mac(once) == once


@given(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9\-]{0,10}(\.[A-Za-z0-9\-]{1,8}){0,3}", fullmatch=True))
def test_canonical_host_is_idempotent(value: str) -> None:
    once = canonical.host(value)
    joined = f"{once.name}.{once.domain}" if once.domain else once.name
    assert canonical.host(joined) == once


@given(st.from_regex(r"([A-Za-z]{1,6}\\)?[a-z][a-z0-9._]{0,8}(@[a-z]{1,6}\.[a-z]{2,3})?", fullmatch=True))
def test_canonical_user_is_idempotent(value: str) -> None:
    once = canonical.user(value)
    again = canonical.user(f"{once.domain}\\{once.name}" if once.domain else once.name)
    assert again == once


@given(st.datetimes(min_value=datetime(1980, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)))
def test_canonical_timestamps_are_idempotent(moment: datetime) -> None:
    once = canonical.format_time(moment)
    assert canonical.format_time(canonical.parse_time(once)) == once
