"""Why a line that starts like RFC 5424 is refused: the message names the field and what is wrong."""

from __future__ import annotations

import re
from typing import Final

_PRI: Final = re.compile(r"<(\d{1,3})>")
_VERSION: Final = re.compile(r"(\d{1,3}) ")
_FIELDS_5424: Final = (
    ("hostname", 255),
    ("app-name", 48),
    ("procid", 128),
    ("msgid", 32),
)


def explain_5424(text: str) -> str:
    """Why a line that starts like RFC 5424 does not match its header grammar (slow path, errors only)."""
    pri = _PRI.match(text)
    if pri is None:
        return "RFC 5424: expecting a priority value within angle brackets"
    version = _VERSION.match(text, pri.end())
    if version is None or version.group(1).startswith("0"):
        return f"RFC 5424: expecting a version number from 1 to 999 at column {pri.end()}"
    tokens = text[version.end() :].split(" ", 6)
    if not tokens[0]:
        return "RFC 5424: expecting a timestamp or '-'"
    if tokens[0] != "-":
        return f"RFC 5424: invalid timestamp {tokens[0]!r}"
    for index, (field, limit) in enumerate(_FIELDS_5424, start=1):
        if index >= len(tokens) or not tokens[index]:
            return f"RFC 5424: expecting a {field} or '-'"
        token = tokens[index]
        if len(token) > limit:
            return f"RFC 5424: {field} is longer than {limit} characters"
        if not all("!" <= char <= "~" for char in token):
            return f"RFC 5424: {field} {token!r} contains characters outside printable US-ASCII"
    return "RFC 5424: expecting structured data after the message id"
