"""Zeek ASCII (TSV) logs read with their own header: any column order or subset, any separators.

A Zeek TSV log opens with header lines (`#separator`, `#set_separator`, `#empty_field`,
`#unset_field`, `#path`, `#open`, `#fields`, `#types`) that say how to read every line after
them; a data line alone cannot be read. `ZeekTsvReader` is the per-source state: feed it the
lines of one file (or one sender's stream) in order; header lines update it, and each data line
comes back as the record Zeek would have written with `LogAscii::use_json=T` (field name ->
typed value, unset fields left out, sets and vectors as lists), rendered as a JSON line, which the
`zeek` parser (and, for logs it does not map, the generic JSON parser) reads. A concatenation of
logs (each with its header) works: a new `#separator` or `#fields` line replaces the header.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

from socflow.normalize.registry import ParseError

DEFAULT_SEPARATOR: Final = "\t"
DEFAULT_SET_SEPARATOR: Final = ","
DEFAULT_EMPTY: Final = "(empty)"
DEFAULT_UNSET: Final = "-"
_ESCAPE: Final = re.compile(r"\\x([0-9a-fA-F]{2})")
_INTEGER_TYPES: Final = frozenset({"count", "int", "port"})
_NUMBER_TYPES: Final = frozenset({"double", "time", "interval"})
_CONTAINER: Final = re.compile(r"^(?:set|vector)\[(.+)\]$")


def unescape(text: str) -> str:
    """Zeek writes a separator or a non-printable byte inside a value as \\xHH."""
    return _ESCAPE.sub(lambda found: chr(int(found[1], 16)), text) if "\\x" in text else text


def _scalar(text: str, kind: str) -> Any:
    """One value by its Zeek type; text that does not fit its type is kept as text."""
    if kind in _INTEGER_TYPES:
        try:
            return int(text)
        except ValueError:
            return text
    if kind in _NUMBER_TYPES:
        try:
            number = float(text)
        except ValueError:
            return text
        return number if math.isfinite(number) else text
    if kind == "bool":
        return {"T": True, "F": False}.get(text, text)
    return unescape(text)


@dataclass
class ZeekHeader:
    """What the header lines said so far; `fields` empty means no `#fields` line was seen yet."""

    separator: str = DEFAULT_SEPARATOR
    set_separator: str = DEFAULT_SET_SEPARATOR
    empty_field: str = DEFAULT_EMPTY
    unset_field: str = DEFAULT_UNSET
    path: str | None = None
    fields: tuple[str, ...] = ()
    types: tuple[str, ...] = ()

    def value(self, text: str, kind: str) -> Any:
        """A column's value: None when unset; sets and vectors as lists (empty ones as [])."""
        if text == self.unset_field:
            return None
        container = _CONTAINER.match(kind)
        if container is not None:
            if text == self.empty_field or text == "":
                return []
            element = container[1]
            return [_scalar(item, element) for item in text.split(self.set_separator)]
        if text == self.empty_field:
            return ""
        return _scalar(text, kind)


@dataclass
class ZeekTsvReader:
    """Header state for one source; `feed` each line in order."""

    header: ZeekHeader = field(default_factory=ZeekHeader)

    @property
    def ready(self) -> bool:
        """True once a `#fields` line has been read: data lines can be turned into records."""
        return bool(self.header.fields)

    def feed(self, line: str) -> dict[str, Any] | None:
        """A data line as a record (field -> typed value, `_path` when known); None for a header line.

        Raises ParseError for a data line before any `#fields` line, or with more columns than
        the header names (fewer is tolerated: the missing trailing fields are unset)."""
        line = line.rstrip("\r\n")
        if line.startswith("#"):
            self._header_line(line)
            return None
        if not self.ready:
            raise ParseError("a Zeek TSV data line before any #fields header line")
        header = self.header
        columns = line.split(header.separator)
        if len(columns) > len(header.fields):
            raise ParseError(
                f"Zeek TSV line has {len(columns)} columns, the #fields header names {len(header.fields)}"
            )
        record: dict[str, Any] = {}
        if header.path is not None:
            record["_path"] = header.path
        types = header.types
        for index, text in enumerate(columns):
            kind = types[index] if index < len(types) else "string"
            value = header.value(text, kind)
            if value is not None:
                record[header.fields[index]] = value
        return record

    def render(self, line: str) -> str | None:
        """`feed`, rendered as one JSON line (Zeek's own JSON log form); None for a header line."""
        record = self.feed(line)
        return None if record is None else json.dumps(record, ensure_ascii=False, separators=(",", ":"))

    def _header_line(self, line: str) -> None:
        header = self.header
        if line.startswith("#separator"):
            # The one header line whose value follows a space, written escaped: "#separator \x09".
            value = unescape(line[len("#separator") :].strip(" "))
            if not value:
                raise ParseError("Zeek #separator header line without a separator")
            self.header = ZeekHeader(separator=value)
            return
        name, _, rest = line[1:].partition(header.separator)
        if name == "set_separator":
            header.set_separator = unescape(rest) or DEFAULT_SET_SEPARATOR
        elif name == "empty_field":
            header.empty_field = rest
        elif name == "unset_field":
            header.unset_field = rest
        elif name == "path":
            header.path = rest or None
        elif name == "fields":
            names = tuple(rest.split(header.separator)) if rest else ()
            if not names or any(not item for item in names):
                raise ParseError("Zeek #fields header line with an empty field name")
            header.fields = names
            header.types = ()
        elif name == "types":
            header.types = tuple(rest.split(header.separator))
        # #open, #close and any other comment line change nothing.


def looks_like_zeek_header(line: str) -> bool:
    """The first line of every Zeek ASCII log."""
    return line.startswith("#separator ")
