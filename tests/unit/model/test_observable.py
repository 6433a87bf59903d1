"""Observables have one canonical spelling per type; invalid values are refused with their path."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

from socflow.errors import ValidationFailed
from socflow.model.observable import MAX_VALUE_LENGTH, ObservableType, canonical_value

T = ObservableType
PROPERTY = settings(max_examples=200, deadline=None)

CANONICAL_FORMS = [
    (T.IP, " 192.0.2.10 ", "192.0.2.10"),
    (T.IP, "::ffff:192.0.2.10", "192.0.2.10"),
    (T.IP, "::FFFF:c000:020a", "192.0.2.10"),
    (T.IP, "2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    (T.IP, "[2001:db8::1]", "2001:db8::1"),
    (T.DOMAIN, "Example.COM.", "example.com"),
    (T.DOMAIN, "  WWW.Example.Org  ", "www.example.org"),
    (T.DOMAIN, "Bücher.Example", "xn--bcher-kva.example"),
    (T.DOMAIN, "xn--bcher-kva.example", "xn--bcher-kva.example"),
    (T.URL, "HTTP://Example.COM/Path?Q=1#Frag", "http://example.com/Path?Q=1#Frag"),
    (T.URL, "https://Example.com", "https://example.com/"),
    (T.URL, "http://[2001:DB8::1]:8080/x", "http://[2001:db8::1]:8080/x"),
    (T.URL, "http://Alice@Host.Example:81/a", "http://Alice@host.example:81/a"),
    (T.MD5, " D41D8CD98F00B204E9800998ECF8427E ", "d41d8cd98f00b204e9800998ecf8427e"),
    (T.SHA1, "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709", "da39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (
        T.SHA256,
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ),
    (T.EMAIL, "Alice.Smith@Example.COM", "alice.smith@example.com"),
    (T.EMAIL, "bob@Bücher.example.", "bob@xn--bcher-kva.example"),
    (T.USER, "corp\\Alice", "CORP\\alice"),
    (T.USER, "Alice@Corp.Example", "alice@corp.example"),
    (T.USER, " ADMINISTRATOR ", "administrator"),
    (T.HOST, "WS-01.Corp.Example.", "ws-01.corp.example"),
    (T.FILE_NAME, " Invoice.PDF.exe ", "Invoice.PDF.exe"),
    (T.REGISTRY_KEY, "HKLM\\Software\\Run", "HKEY_LOCAL_MACHINE\\Software\\Run"),
    (T.REGISTRY_KEY, "hkcu/Software/Run", "HKEY_CURRENT_USER\\Software\\Run"),
    (T.REGISTRY_KEY, "HKCR\\.exe", "HKEY_CLASSES_ROOT\\.exe"),
    (T.REGISTRY_KEY, "HKU\\S-1-5-18", "HKEY_USERS\\S-1-5-18"),
    (T.REGISTRY_KEY, "HKCC\\System", "HKEY_CURRENT_CONFIG\\System"),
    (T.REGISTRY_KEY, "hkey_local_machine\\System", "HKEY_LOCAL_MACHINE\\System"),
    (T.PROCESS, " C:\\Windows\\System32\\cmd.exe ", "C:\\Windows\\System32\\cmd.exe"),
]

INVALID_VALUES = [
    (T.IP, "999.1.1.1"),
    (T.IP, "example.com"),
    (T.DOMAIN, "localhost"),
    (T.DOMAIN, "exa mple.com"),
    (T.DOMAIN, "-bad.example"),
    (T.DOMAIN, "a..example"),
    (T.DOMAIN, ("a" * 64) + ".example"),
    (T.URL, "example.com/path"),
    (T.URL, "http://user@/path"),
    (T.URL, "http://:80/"),
    (T.URL, "http://host.example:99999/"),
    (T.MD5, "d41d8cd98f00b204e9800998ecf8427"),
    (T.SHA1, "zz39a3ee5e6b4b0d3255bfef95601890afd80709"),
    (T.SHA256, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85"),
    (T.EMAIL, "no-at-sign"),
    (T.EMAIL, "@example.com"),
    (T.EMAIL, "alice@localhost"),
    (T.URL, "http://host.example/" + "a" * MAX_VALUE_LENGTH),
]


def test_canonical_forms_cover_every_observable_type() -> None:
    assert {kind for kind, _, _ in CANONICAL_FORMS} == set(ObservableType)


@pytest.mark.parametrize(("kind", "raw", "expected"), CANONICAL_FORMS)
def test_canonical_value_spells_each_type_one_way(kind: ObservableType, raw: str, expected: str) -> None:
    assert canonical_value(kind, raw) == expected


@pytest.mark.parametrize(("kind", "raw", "expected"), CANONICAL_FORMS)
def test_canonical_value_accepts_what_it_produced(kind: ObservableType, raw: str, expected: str) -> None:
    assert canonical_value(kind, expected) == expected


@pytest.mark.parametrize(("kind", "raw"), INVALID_VALUES)
def test_canonical_value_refuses_an_invalid_value_naming_the_path(kind: ObservableType, raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        canonical_value(kind, raw, path="observables[3].value")

    assert [issue.path for issue in caught.value.issues] == ["observables[3].value"]
    assert str(kind) in caught.value.issues[0].message


@pytest.mark.parametrize("kind", list(ObservableType))
@pytest.mark.parametrize("raw", ["", "   "])
def test_canonical_value_refuses_an_empty_value_of_any_type(kind: ObservableType, raw: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        canonical_value(kind, raw, path="value")

    assert caught.value.issues[0].path == "value"
    assert caught.value.issues[0].message == "must not be empty"


def test_canonical_value_of_a_url_keeps_no_password() -> None:
    assert canonical_value(T.URL, "https://alice:s3cret@Example.com/x") == "https://alice@example.com/x"


@PROPERTY
@given(st.ip_addresses())
def test_canonical_ip_is_idempotent(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    for spelling in (str(address), address.exploded, address.exploded.upper()):
        once = canonical_value(T.IP, spelling)
        assert canonical_value(T.IP, once) == once
        assert once == str(ipaddress.ip_address(once))


@PROPERTY
@given(st.ip_addresses(v=4))
def test_canonical_ip_folds_ipv4_mapped_ipv6(address: ipaddress.IPv4Address) -> None:
    mapped = ipaddress.IPv6Address(f"::ffff:{address}")

    assert canonical_value(T.IP, mapped.exploded) == str(address)


_LABEL = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFXYZ0123456789äöüéßç", min_size=1, max_size=20)


@PROPERTY
@given(st.lists(_LABEL, min_size=2, max_size=4), st.booleans())
def test_canonical_domain_is_idempotent(labels: list[str], trailing_dot: bool) -> None:
    raw = ".".join(labels) + ("." if trailing_dot else "")
    try:
        once = canonical_value(T.DOMAIN, raw)
    except ValidationFailed:
        reject()  # e.g. a label that grows past 63 characters once IDNA-encoded
    assert canonical_value(T.DOMAIN, once) == once
    assert once == once.lower()
    assert once.isascii()
    assert not once.endswith(".")


@PROPERTY
@given(
    st.sampled_from([T.MD5, T.SHA1, T.SHA256]), st.binary(min_size=32, max_size=32), st.integers(0, 2**64 - 1)
)
def test_canonical_hash_is_idempotent(kind: ObservableType, raw: bytes, upper_mask: int) -> None:
    size = {T.MD5: 16, T.SHA1: 20, T.SHA256: 32}[kind]
    digest = raw[:size].hex()
    mixed = "".join(c.upper() if upper_mask >> i & 1 else c for i, c in enumerate(digest))
    once = canonical_value(kind, f" {mixed}\n")
    assert once == digest
    assert canonical_value(kind, once) == once


_NAME = st.text(st.characters(exclude_characters="\\"), min_size=1, max_size=20).filter(str.strip)


@PROPERTY
@given(st.one_of(_NAME, st.tuples(_NAME, _NAME).map("\\".join)))
def test_canonical_user_is_idempotent(raw: str) -> None:
    once = canonical_value(T.USER, raw)

    assert canonical_value(T.USER, once) == once
