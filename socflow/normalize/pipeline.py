"""normalize(): one raw record to one ECS document, by the named parser or auto-detection; never raises."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Final

from socflow.errors import SocflowError
from socflow.model.records import RawRecord, Transport
from socflow.normalize import builtin, canonical
from socflow.normalize.domains import put_domain_parts
from socflow.normalize.ecs import ECSDocument, get
from socflow.normalize.registry import (
    PARSER_OVERRIDES,
    PARSERS,
    ParseContext,
    ParseError,
    ParseFunction,
    ParserSpec,
)
from socflow.normalize.syslog_header import SyslogHeader, split_syslog
from socflow.normalize.syslog_merge import merge_header
from socflow.normalize.user_agents import put_user_agent

ECS_VERSION: Final = "8.11.0"
AUTO: Final = "auto"
PARSE_FAILURE_TAG: Final = "_parse_failure"


class _ChosenParserFailed(Exception):
    """Auto-detection chose `parser` and it failed: the failure document names both."""

    def __init__(self, parser: str, error: Exception) -> None:
        super().__init__(str(error))
        self.parser = parser
        self.error = error


_Entry = tuple[Callable[[str], bool], ParseFunction, bool, str, str]


class _Candidates:
    """Parsers that have a sniffer, highest priority first; rebuilt only when the registry grows."""

    def __init__(self) -> None:
        self._key: tuple[int, int] = (-1, -1)
        self._ordered: tuple[ParserSpec, ...] = ()
        self._entries: tuple[_Entry, ...] = ()

    def ordered(self) -> tuple[ParserSpec, ...]:
        key = (PARSERS.count(), PARSER_OVERRIDES.generation)
        if key != self._key:
            specs = list(PARSERS)
            effective = [PARSER_OVERRIDES.get(spec.name) or spec for spec in specs]
            sniffable = [spec for spec in effective if spec.sniff is not None]
            # sorted() is stable: equal priorities keep registration order.
            self._ordered = tuple(sorted(sniffable, key=lambda spec: -spec.priority))
            self._entries = tuple(
                (spec.sniff, spec.parse, spec.wants_syslog_body, spec.name, spec.dataset or spec.name)
                for spec in self._ordered
                if spec.sniff is not None
            )
            self._key = key
        return self._ordered

    def entries(self) -> tuple[_Entry, ...]:
        """`ordered` as plain tuples (sniff, parse, wants_syslog_body, name, dataset) for the hot loop."""
        self.ordered()
        return self._entries


_CANDIDATES = _Candidates()


def resolve(name: str) -> ParserSpec:
    """The parser registered as `name` (a user mapping that overrides a built-in wins)."""
    builtin.register_builtins()
    override = PARSER_OVERRIDES.get(name)
    return override if override is not None else PARSERS.get(name)


def _parse_with(spec: ParserSpec, text: str, context: ParseContext) -> ECSDocument:
    """Run one named parser; strip a syslog header first when the parser reads the message body."""
    if not spec.wants_syslog_body:
        doc = spec.parse(text, context)
        if doc is None:
            raise ParseError(f"the text is not in the {spec.name!r} format")
        return _finish(doc, spec.dataset or spec.name, text, context)
    header = split_syslog(text, context.received_at, context.zone)
    doc = spec.parse(header.body if header is not None else text, context)
    if doc is None and header is not None:  # the "header" may have been part of the device's own text
        header = None
        doc = spec.parse(text, context)
    if doc is None:
        raise ParseError(f"the text is not in the {spec.name!r} format")
    if header is not None:
        merge_header(doc, header)
    return _finish(doc, spec.dataset or spec.name, text, context)


def _auto(text: str, context: ParseContext, entries: tuple[_Entry, ...] | None = None) -> ECSDocument:
    header = split_syslog(text, context.received_at, context.zone)
    body = header.body if header is not None else text
    for sniff, parse, wants_body, name, dataset in entries or _CANDIDATES.entries():
        subject = body if wants_body else text
        if not sniff(subject):
            continue
        try:
            doc = parse(subject, context)
        except Exception as error:
            raise _ChosenParserFailed(name, error) from error
        if doc is None:
            continue
        if header is not None and wants_body:
            merge_header(doc, header)
        return _finish(doc, dataset, text, context)
    return _plain(text, header, context)


def _plain(text: str, header: SyslogHeader | None, context: ParseContext) -> ECSDocument:
    """Nothing recognised the message: keep it as text, with the syslog header's fields if any."""
    message = header.body if header is not None else text
    doc: ECSDocument = {"message": message} if message else {}
    if header is not None:
        merge_header(doc, header)
    return _finish(doc, "syslog" if header is not None else "generic", text, context)


def _finish(doc: ECSDocument, dataset: str, text: str, context: ParseContext) -> ECSDocument:
    ingested = canonical.format_time(context.received_at)
    if "@timestamp" not in doc:
        doc["@timestamp"] = ingested
    event = doc.get("event")
    if not isinstance(event, dict):
        event = doc["event"] = {}
    event["original"] = text
    event["ingested"] = ingested
    event.setdefault("kind", "event")  # ECS: every document says what kind it is; parsers set alert, metric
    dataset = event.setdefault("dataset", dataset)
    if "module" not in event:
        event["module"] = (dataset if dataset.__class__ is str else str(dataset)).partition(".")[0]
    doc["ecs"] = {"version": ECS_VERSION}
    put_domain_parts(doc)
    put_user_agent(doc)
    return doc


def failure_document(text: str, received_at: datetime, error: BaseException, parser: str) -> ECSDocument:
    """The document for a line no parser could read: the text kept, the reason named, tagged."""
    kind = error.code if isinstance(error, SocflowError) else type(error).__name__
    ingested = canonical.format_time(received_at)
    return {
        "@timestamp": ingested,
        "message": text,
        "tags": [PARSE_FAILURE_TAG],
        "event": {"original": text, "ingested": ingested, "kind": "pipeline_error"},
        "error": {"message": f"{parser}: {error}", "type": kind},
        "ecs": {"version": ECS_VERSION},
    }


@lru_cache(maxsize=256)  # the messages of one read share one receipt time, so one context
def _context(received_at: datetime, timezone: str | None) -> tuple[ParseContext, str | None]:
    try:
        zone: tzinfo = canonical.zone(timezone)
    except ValueError as error:
        return ParseContext(received_at=received_at), str(error)
    return ParseContext(received_at=received_at, zone=zone), None


def normalize(record: RawRecord) -> ECSDocument:
    """One record to one ECS document. Never raises: a failure gives `failure_document`."""
    return _normalize(record, None)


def normalize_many(records: Sequence[RawRecord]) -> list[ECSDocument]:
    """`normalize` for each record of a batch; the parser list is looked up once for all of them."""
    builtin.register_builtins()
    entries = _CANDIDATES.entries()
    return [_normalize(record, entries) for record in records]


def _normalize(record: RawRecord, entries: tuple[_Entry, ...] | None) -> ECSDocument:
    received = canonical.to_utc(record.received_at)
    text = record.text
    parser = record.format or AUTO
    context, zone_problem = _context(received, record.timezone)
    try:
        if zone_problem is not None:
            raise ParseError(zone_problem)
        if parser == AUTO:
            if entries is None:
                builtin.register_builtins()
            return _auto(text, context, entries)
        return _parse_with(resolve(parser), text, context)
    except _ChosenParserFailed as failed:
        return failure_document(text, received, failed.error, f"{parser}/{failed.parser}")
    except Exception as error:  # the contract: a bad line or a buggy parser never stops intake
        return failure_document(text, received, error, parser)


def normalize_text(
    text: str, format: str = AUTO, *, received_at: datetime | None = None, timezone: str | None = None
) -> ECSDocument:
    """`normalize` for one line of text (what `socflow parse` shows); receipt time defaults to now."""
    record = RawRecord(
        text=text,
        received_at=received_at or datetime.now(UTC),
        transport=Transport.FILE,
        origin="",
        format=format,
        timezone=timezone,
    )
    return normalize(record)


def document_failed(doc: ECSDocument) -> bool:
    """True for a failure document (what tests and intake counters ask)."""
    tags = get(doc, "tags")
    return isinstance(tags, list) and PARSE_FAILURE_TAG in tags
