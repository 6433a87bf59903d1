"""Importing Zeek TSV logs: the header lines read per file, any column order, resumable mid-file."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from socflow.ingest.files import FileImporter
from socflow.ingest.pipeline import IngestPipeline
from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore

FIELDS = "conn_state uid id.resp_h id.resp_p ts id.orig_h id.orig_p proto orig_ip_bytes resp_ip_bytes service"
TYPES = "string string addr port time addr port enum count count set[string]"


def _conn_log(rows: int, *, sep: str = "\t") -> str:
    escaped = "".join(f"\\x{ord(char):02x}" for char in sep)
    header = [
        f"#separator {escaped}",
        f"#set_separator{sep},",
        f"#empty_field{sep}(empty)",
        f"#unset_field{sep}-",
        f"#path{sep}conn",
        f"#open{sep}2026-03-04-10-00-00",
        "#fields" + sep + sep.join(FIELDS.split()),
        "#types" + sep + sep.join(TYPES.split()),
    ]
    lines = []
    for row in range(rows):
        service = "ssl,http" if row % 2 else "(empty)"
        values = f"SF C{row:04d} 192.0.2.80 443 1709546{row:03d}.5 10.0.0.5 {50000 + row} tcp 100 - {service}"
        lines.append(sep.join(values.split()))
    return "\n".join([*header, *lines, f"#close{sep}2026-03-04-11-00-00"]) + "\n"


@pytest.fixture
def store(database: Database) -> EventStore:
    return EventStore(database)


def _docs(store: EventStore) -> list[dict[str, Any]]:
    docs = [json.loads(row.document) for row in store.search(EventQuery(limit=500)).items]
    return sorted(docs, key=lambda doc: str(doc["zeek"]["session_id"]))


def test_zeek_tsv_with_its_own_column_order_becomes_conn_events(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text(_conn_log(4))

    result = FileImporter(IngestPipeline(store), store, batch_size=3).import_file(path)

    assert (result.stored, result.dead_lettered) == (4, 0)  # header and #close lines are no events
    docs = _docs(store)
    assert [doc["event"]["dataset"] for doc in docs] == ["zeek.conn"] * 4
    first, second = docs[0], docs[1]
    assert first["source"] == {"ip": "10.0.0.5", "port": 50000, "bytes": 100}
    assert first["destination"] == {"ip": "192.0.2.80", "port": 443}  # resp_ip_bytes unset: absent
    assert "protocol" not in first["network"]
    assert second["network"]["protocol"] == "ssl"  # first of the service set
    assert json.loads(first["event"]["original"])["uid"] == "C0000"


def test_zeek_tsv_with_a_custom_separator_in_a_gzip_file(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "conn.log.gz"
    path.write_bytes(gzip.compress(_conn_log(3, sep="|").encode()))

    FileImporter(IngestPipeline(store), store).import_file(path)

    docs = _docs(store)
    assert [doc["destination"]["port"] for doc in docs] == [443, 443, 443]
    assert all("_parse_failure" not in doc.get("tags", []) for doc in docs)


def test_zeek_tsv_import_resumed_mid_file_still_knows_the_header(
    store: EventStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "conn.log"
    path.write_text(_conn_log(7))
    original = store.insert_with_progress
    commits: list[int] = []

    def stop_after_first(*args: Any, **kwargs: Any) -> None:
        if commits:
            raise KeyboardInterrupt
        commits.append(1)
        original(*args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(store, "insert_with_progress", stop_after_first)
        with pytest.raises(KeyboardInterrupt):
            FileImporter(IngestPipeline(store), store, batch_size=3).import_file(path)
    assert store.count() == 3

    result = FileImporter(IngestPipeline(store), store, batch_size=3).import_file(path)

    assert result.resumed_from > 0
    assert result.stored == 4
    docs = _docs(store)
    assert [doc["zeek"]["session_id"] for doc in docs] == [f"C{row:04d}" for row in range(7)]
    assert all(doc["event"]["dataset"] == "zeek.conn" for doc in docs)


def test_an_explicit_other_format_reads_zeek_lines_untouched(store: EventStore, tmp_path: Path) -> None:
    path = tmp_path / "conn.log"
    path.write_text(_conn_log(2))

    result = FileImporter(IngestPipeline(store), store).import_file(path, format="kv")

    assert result.stored == 2 + 9  # the header lines too: the caller said what the lines are
