"""Registered domain, top-level domain and subdomain from the public suffix list."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from socflow.model.records import RawRecord, Transport
from socflow.normalize.domains import DomainParts, domain_parts, put_domain_parts
from socflow.normalize.ecs import ECSDocument
from socflow.normalize.pipeline import normalize

RECEIVED = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("name", "parts"),
    [
        ("www.example.com", DomainParts("example.com", "com", "www")),
        ("example.com", DomainParts("example.com", "com", None)),
        ("a.b.shop.example.co.uk", DomainParts("example.co.uk", "co.uk", "a.b.shop")),
        ("WWW.Example.COM.", DomainParts("example.com", "com", "www")),  # case and the root's dot
        # The list's private section: two owners under github.io are two registered domains.
        ("evil.github.io", DomainParts("evil.github.io", "github.io", None)),
        ("login.evil.github.io", DomainParts("evil.github.io", "github.io", "login")),
        ("xn--80ak6aa92e.com", DomainParts("xn--80ak6aa92e.com", "com", None)),
    ],
)
def test_a_name_splits_at_its_public_suffix(name: str, parts: DomainParts) -> None:
    assert domain_parts(name) == parts


@pytest.mark.parametrize(
    "name",
    ["co.uk", "com", "localhost", "dc01.corp.local", "fs.internal", "192.0.2.7", "[2001:db8::1]", ""],
)
def test_no_parts_for_a_suffix_an_unknown_suffix_or_an_address(name: str) -> None:
    assert domain_parts(name) is None


def test_every_domain_owner_gets_its_parts_and_written_parts_stay() -> None:
    doc: ECSDocument = {
        "url": {"domain": "cdn.example.org"},
        "dns": {"question": {"name": "mail.example.co.uk"}},
        "destination": {"domain": "[2001:db8::1]"},
        "source": {"domain": "ws01.corp.local"},
        "server": {"domain": "a.example.net", "registered_domain": "sender-said.net"},
        "host": {"name": "web01", "domain": "example.com"},
    }

    put_domain_parts(doc)

    assert doc["url"] == {
        "domain": "cdn.example.org",
        "registered_domain": "example.org",
        "top_level_domain": "org",
        "subdomain": "cdn",
    }
    assert doc["dns"]["question"]["registered_domain"] == "example.co.uk"
    assert doc["dns"]["question"]["top_level_domain"] == "co.uk"
    assert doc["dns"]["question"]["subdomain"] == "mail"
    assert doc["destination"] == {"domain": "[2001:db8::1]"}
    assert doc["source"] == {"domain": "ws01.corp.local"}
    assert doc["server"] == {"domain": "a.example.net", "registered_domain": "sender-said.net"}
    assert doc["host"] == {"name": "web01", "domain": "example.com"}  # an AD/DNS domain, not a URL's


def test_normalized_events_carry_the_parts() -> None:
    eve = {
        "timestamp": "2026-12-04T11:00:00.000000+0000",
        "event_type": "dns",
        "src_ip": "192.0.2.10",
        "src_port": 53000,
        "dest_ip": "198.51.100.53",
        "dest_port": 53,
        "proto": "UDP",
        "dns": {
            "version": 2,
            "type": "query",
            "id": 1,
            "queries": [{"rrname": "c2.bad.example.net", "rrtype": "A"}],
        },
    }
    record = RawRecord(
        text=json.dumps(eve),
        received_at=RECEIVED,
        transport=Transport.HTTP,
        origin="192.0.2.10:5140",
        format="suricata-eve",
    )

    doc = normalize(record)

    assert doc["dns"]["question"]["registered_domain"] == "example.net"
    assert doc["dns"]["question"]["subdomain"] == "c2.bad"
