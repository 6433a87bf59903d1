"""`user_agent.name`, `.version`, `.os.*` and `.device.name` from `user_agent.original` (ua-parser).

The user-agent database is the ua-parser project's (the `ua-parser-builtins` package, released
with its regexes; nothing is downloaded), matched by its Rust resolver (`ua-parser-rs`): about
30 µs for an agent not seen before, and answers are cached, since a web log repeats a few
agents. The first agent costs about 0.2 s while the database compiles. Where that resolver is not
installed, agents are not read (see FAST_MATCHER)."""

from __future__ import annotations

import functools
import importlib.util
from typing import Any, Final

from socflow.normalize.ecs import ECSDocument

_CACHE_SIZE: Final = 8_192
_UNKNOWN: Final = "Other"  # ua-parser's family for what it does not recognise
_LONGEST: Final = 2_048  # longer strings are not real agents (padding, attacks): left as they are
# Without its Rust matcher ua-parser falls back to Python regexes, about 1.4 ms for each new agent:
# a scanner sending random agents could then slow intake to a crawl, so agents are left unread.
FAST_MATCHER: Final = importlib.util.find_spec("ua_parser_rs") is not None


def _version(*parts: str | None) -> str | None:
    numbers = []
    for part in parts:
        if part is None:
            break
        numbers.append(part)
    return ".".join(numbers) or None


@functools.lru_cache(maxsize=_CACHE_SIZE)
def agent_fields(original: str) -> dict[str, Any] | None:
    """The ECS fields ua-parser finds in `original` (name, version, os, device), or None."""
    if len(original) > _LONGEST:
        return None
    import ua_parser  # here, not at the top: importing it takes ~60 ms that most processes never need

    found = ua_parser.parse(original)
    fields: dict[str, Any] = {}
    agent = found.user_agent
    if agent is not None and agent.family != _UNKNOWN:
        fields["name"] = agent.family
        version = _version(agent.major, agent.minor, agent.patch, agent.patch_minor)
        if version:
            fields["version"] = version
    system = found.os
    if system is not None and system.family != _UNKNOWN:
        os_fields = {"name": system.family}
        version = _version(system.major, system.minor, system.patch, system.patch_minor)
        if version:
            os_fields["version"] = version
            os_fields["full"] = f"{system.family} {version}"
        else:
            os_fields["full"] = system.family
        fields["os"] = os_fields
    device = found.device
    if device is not None and device.family != _UNKNOWN:
        fields["device"] = {"name": device.family}
    return fields or None


def put_user_agent(doc: ECSDocument) -> None:
    """Fill the parsed fields beside `user_agent.original`; fields already written are kept."""
    agent = doc.get("user_agent")
    if not FAST_MATCHER or agent.__class__ is not dict or "original" not in agent or "name" in agent:
        return
    original = agent["original"]
    if not isinstance(original, str) or not original or original == "-":
        return
    fields = agent_fields(original)
    if fields is None:
        return
    for key, value in fields.items():
        if key not in agent:
            agent[key] = dict(value) if isinstance(value, dict) else value
