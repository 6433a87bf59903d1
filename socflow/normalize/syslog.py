"""The `syslog` parser: an RFC 3164 or RFC 5424 line whose message is kept as plain text."""

from __future__ import annotations

from socflow.normalize.ecs import ECSDocument, put
from socflow.normalize.registry import ParseContext, ParserSpec
from socflow.normalize.syslog_header import split_syslog
from socflow.normalize.syslog_merge import merge_header


def parse_syslog(text: str, context: ParseContext) -> ECSDocument:
    """Header fields to ECS and the message to `message`; a line that is not syslog is refused."""
    header = split_syslog(text, context.received_at, context.zone, strict=True)
    assert header is not None  # strict mode raises instead of answering None
    doc: ECSDocument = {}
    put(doc, "message", header.body)
    merge_header(doc, header)
    return doc


SYSLOG = ParserSpec(
    name="syslog",
    parse=parse_syslog,
    sniff=None,  # the auto fallback, never sniffed: every other format is tried first
    dataset="syslog",
    wants_syslog_body=False,
    description="RFC 3164 (BSD) and RFC 5424 syslog; the message stays plain text",
)
SPECS = (SYSLOG,)
