"""Registered domain, top-level domain and subdomain of the domain names in a document (public suffix list).

ECS gives `url`, `dns.question`, `source`, `destination`, `client` and `server` three fields beside
their domain name: `registered_domain` (the name its owner registered, `example.co.uk`),
`top_level_domain` (the public suffix it sits under, `co.uk`) and `subdomain` (what is left,
`www`). Taking the last two labels is wrong for suffixes such as `co.uk` or `github.io`, so the
Mozilla public suffix list decides (the `publicsuffixlist` package, which ships the list: nothing
is downloaded; upgrading the package refreshes it). Its private section counts as well, so
`a.github.io` and `b.github.io` are two registered domains, as their owners are two.

A name under a suffix the list does not know (`dc01.corp.local`, `localhost`), an address and a
name that is a public suffix itself get none of the three."""

from __future__ import annotations

import functools
from typing import Final, NamedTuple

from publicsuffixlist import PublicSuffixList

from socflow.normalize.ecs import ECSDocument

# The ECS objects that have the three fields beside a domain name (dns: beside question.name).
_OWNERS: Final = frozenset({"url", "destination", "source", "client", "server", "dns"})
_CACHE_SIZE: Final = 16_384


class DomainParts(NamedTuple):
    registered_domain: str
    top_level_domain: str
    subdomain: str | None


@functools.cache
def _suffix_list() -> PublicSuffixList:
    # Loaded on first use (about 70 ms): most log lines name no domain.
    return PublicSuffixList(accept_unknown=False)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def domain_parts(name: str) -> DomainParts | None:
    """The parts of a DNS name, or None where the public suffix list has nothing to say about it."""
    name = name.strip().rstrip(".").lower()
    if not name or "." not in name or name[0] == "[" or name.replace(".", "").isdigit():
        return None  # one label, an IPv6 literal or an IPv4 address
    suffix_list = _suffix_list()
    registered = suffix_list.privatesuffix(name)
    if registered is None:
        return None
    top_level = suffix_list.publicsuffix(registered)
    if top_level is None:
        return None
    subdomain = name[: -len(registered) - 1] if len(name) > len(registered) else None
    return DomainParts(registered, top_level, subdomain or None)


def _put_parts(target: dict[str, object], name: object) -> None:
    if not isinstance(name, str) or "registered_domain" in target:
        return  # a parser (or the sender) that wrote the parts knows better
    parts = domain_parts(name)
    if parts is None:
        return
    target["registered_domain"] = parts.registered_domain
    target["top_level_domain"] = parts.top_level_domain
    if parts.subdomain is not None:
        target["subdomain"] = parts.subdomain


def put_domain_parts(doc: ECSDocument) -> None:
    """Fill `registered_domain`, `top_level_domain` and `subdomain` beside every domain name in `doc`."""
    if doc.keys().isdisjoint(_OWNERS):  # most log lines name no network peer at all
        return
    for owner in _OWNERS:
        section = doc.get(owner)
        if section.__class__ is not dict:
            continue
        if owner == "dns":
            question = section.get("question")
            if question.__class__ is dict and "name" in question:
                _put_parts(question, question["name"])
        elif "domain" in section:
            _put_parts(section, section["domain"])
