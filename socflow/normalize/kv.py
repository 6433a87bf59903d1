"""The `kv` parser: `key=value` pairs (quoted values may hold spaces and escaped quotes)."""

from __future__ import annotations

import re
from typing import Final

from socflow.normalize.common_fields import apply_common
from socflow.normalize.ecs import ECSDocument
from socflow.normalize.registry import ParseContext, ParserSpec

# A key starts the text or follows one of `\s,;|`. That test is a lookbehind after the key's first
# character, not a `(?:^|(?<=...))` before it: a pattern that opens with a character set lets the
# regex engine skip ahead to candidate positions instead of trying the alternation at each one.
_PAIR: Final = re.compile(
    r"([A-Za-z_@](?<![^\s,;|][A-Za-z_@])[\w.\-@/\[\]:]*)="
    r"(\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|[^\s]*)",
    re.DOTALL,
)
_QUOTED_ESCAPE: Final = re.compile(r"\\([\"'\\])")


def _value(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'":
        return _QUOTED_ESCAPE.sub(r"\1", raw[1:-1])
    return raw.rstrip(",;")


def split_pairs(text: str) -> dict[str, str]:
    """Every `key=value` pair in order of appearance; a repeated key keeps its last value."""
    return {match.group(1): _value(match.group(2)) for match in _PAIR.finditer(text)}


def looks_like_kv(text: str) -> bool:
    """At least two `key=value` pairs: one alone is too common in free text to mean anything."""
    if text.count("=") < 2:  # two pairs need two '=': most free text is refused without the regex
        return False
    matches = _PAIR.finditer(text)
    return next(matches, None) is not None and next(matches, None) is not None


def parse_kv(text: str, context: ParseContext) -> ECSDocument | None:
    pairs = split_pairs(text)
    if not pairs:
        return None
    doc: ECSDocument = {"kv": pairs}
    apply_common(doc, pairs, context)
    return doc


KV = ParserSpec(
    name="kv",
    parse=parse_kv,
    sniff=looks_like_kv,
    priority=-100,  # the last resort before plain text: many device formats are also key=value
    dataset="kv",
    description="key=value pairs; well-known keys mapped to ECS, all pairs kept under `kv`",
)
SPECS = (KV,)
