"""The parser registry: each format is a frozen ParserSpec; plugins add theirs via `socflow.parsers`."""

from __future__ import annotations

import importlib
import threading
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


class _ParserRegistry(Registry[ParserSpec]):
    """The parser registry also holds the built-in parsers from its first use, whoever asks first."""

    _builtins_loaded = False
    _loading = threading.RLock()  # API threads may ask at the same moment as the intake writer

    def load_entry_points(self) -> None:
        if not self._builtins_loaded:
            with self._loading:
                if not self._builtins_loaded:
                    self._builtins_loaded = True  # first: registering may ask the registry again
                    try:
                        # Imported here: builtin imports the parser modules, which import this one.
                        builtin = importlib.import_module("socflow.normalize.builtin")
                        builtin.register_builtins()
                    except BaseException:
                        self._builtins_loaded = False
                        raise
        super().load_entry_points()


PARSERS: Registry[ParserSpec] = _ParserRegistry("parser", entry_point_group="socflow.parsers")


class ParserOverrides:
    """Specs that replace a registered parser of the same name (a user mapping for a built-in).

    The Registry refuses a second spec under one name on purpose; an override is the explicit way
    round it, looked up before the registry by the pipeline. `generation` changes on every edit so
    cached candidate lists know when to rebuild."""

    def __init__(self) -> None:
        self._specs: dict[str, ParserSpec] = {}
        self.generation = 0

    def put(self, spec: ParserSpec) -> None:
        self._specs[spec.name] = spec
        self.generation += 1

    def get(self, name: str) -> ParserSpec | None:
        return self._specs.get(name)

    def remove(self, name: str) -> None:
        if self._specs.pop(name, None) is not None:
            self.generation += 1

    def names(self) -> list[str]:
        return sorted(self._specs)


PARSER_OVERRIDES = ParserOverrides()
