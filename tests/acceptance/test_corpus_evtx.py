"""Every record of the reference corpus's .evtx samples parses to an ECS event with code and host."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from socflow.normalize.ecs import get
from socflow.normalize.registry import ParseContext
from socflow.normalize.windows import parse_evtx, parse_json

CONTEXT = ParseContext(received_at=datetime(2026, 1, 1, tzinfo=UTC))


# The JSON renders were made by another tool (it trims blanks and re-encodes some characters), so
# only the fields that come from the record's structure are compared, not every data value.
_STRUCTURAL = ("@timestamp", "event.code", "event.action", "event.category", "event.dataset", "host.name")


def _samples(corpus: Path) -> list[Path]:
    regression = corpus / "sigma" / "regression"
    samples = sorted(regression.glob("*/*.evtx"))
    if not samples:
        pytest.skip(f"no .evtx samples under {regression}")
    return samples


def test_corpus_evtx_every_record_parses_with_code_and_host(corpus: Path) -> None:
    evtx = pytest.importorskip("evtx")
    counts: Counter[str] = Counter()
    failures: list[str] = []
    for sample in _samples(corpus):
        for record in evtx.PyEvtxParser(str(sample)).records_json():
            doc = parse_evtx(record["data"], CONTEXT)
            if doc is None or get(doc, "event.code") is None or get(doc, "host.name") is None:
                failures.append(f"{sample.parent.name} record {record['event_record_id']}")
                continue
            counts[f"{get(doc, 'winlog.channel')} {get(doc, 'event.code')}"] += 1
            assert get(doc, "event.dataset").startswith("windows.")
            assert get(doc, "@timestamp")
    print(f"evtx corpus: {sum(counts.values())} records parsed, {len(failures)} failed")
    for key, count in sorted(counts.items()):
        print(f"  {key}: {count}")
    assert not failures
    assert counts


def test_corpus_evtx_json_renders_match_the_evtx_parse(corpus: Path) -> None:
    evtx = pytest.importorskip("evtx")
    compared = 0
    for sample in _samples(corpus):
        render = sample.with_suffix(".json")
        if not render.is_file():
            continue
        records = list(evtx.PyEvtxParser(str(sample)).records_json())
        if len(records) != 1:
            continue
        from_render = parse_json(render.read_text(encoding="utf-8"), CONTEXT)
        from_evtx = parse_evtx(records[0]["data"], CONTEXT)
        assert from_render is not None
        assert from_evtx is not None
        for path in _STRUCTURAL:
            assert get(from_render, path) == get(from_evtx, path), f"{sample.parent.name}: {path}"
        compared += 1
    print(f"evtx corpus: {compared} JSON renders compared")
