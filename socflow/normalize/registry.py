"""The parser registry: each format is a frozen ParserSpec; plugins add theirs via `socflow.parsers`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo

from socflow.errors import SocflowError
from socflow.normalize.ecs import ECSDocument
from socflow.plugins import Registry


class ParseError(SocflowError):
    """The text is in this parser's format but malformed; the message says what is wrong."""

    code = "parse_error"
    http_status = 422
    exit_code = 65


@dataclass(frozen=True)
class ParseContext:
    """What a parser may know besides the text: when it arrived and the sender's time zone."""

    received_at: datetime
    zone: tzinfo = UTC


# parse(text, context) -> an ECS document, or None when the text is not in this format at all.
# It raises ParseError when the text is in its format but broken. It never does I/O.
ParseFunction = Callable[[str, ParseContext], ECSDocument | None]


@dataclass(frozen=True)
class ParserSpec:
    """One log format.

    `sniff` is a cheap test used by `auto` detection (ordered by `priority`, highest first);
    `dataset` fills `event.dataset` (e.g. "cisco.asa"); `wants_syslog_body` means the parser
    reads the message part of a syslog line, so the pipeline strips an RFC 3164/5424 header first
    and merges the header's fields (host, time, program, pid) into the result."""

    name: str
    parse: ParseFunction
    sniff: Callable[[str], bool] | None = None
    priority: int = 0
    dataset: str = ""
    wants_syslog_body: bool = True
    description: str = ""


PARSERS: Registry[ParserSpec] = Registry("parser", entry_point_group="socflow.parsers")
