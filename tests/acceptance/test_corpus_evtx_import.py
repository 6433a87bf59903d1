"""Importing real .evtx files from the reference corpus: every record stored, resumable by record."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from socflow.ingest.files import FileImporter, FileKind
from socflow.ingest.pipeline import IngestPipeline
from socflow.storage.db import Database
from socflow.storage.events import EventQuery, EventStore

SAMPLE = (
    "sigma/regression/file_event_win_hktl_netexec_file_indicators/efc21479-9e83-41da-8cf1-122e06ba8db3.evtx"
)


@pytest.fixture
def sample(corpus: Path, tmp_path: Path) -> Path:
    source = corpus / SAMPLE
    if not source.is_file():
        pytest.skip(f"{source} is not in the corpus")
    target = tmp_path / "Security.evtx"
    shutil.copyfile(source, target)
    return target


def test_evtx_import_stores_every_record_as_a_windows_event(database: Database, sample: Path) -> None:
    store = EventStore(database)
    calls: list[tuple[int, int | None]] = []

    result = FileImporter(IngestPipeline(store), store, batch_size=3).import_file(
        sample, progress=lambda done, total: calls.append((done, total))
    )

    assert (result.kind, result.stored, result.dead_lettered) == (FileKind.EVTX, 7, 0)
    docs = [json.loads(row.document) for row in store.search(EventQuery()).items]
    assert all(doc["event"]["module"] == "windows" for doc in docs)
    assert all(doc["log"]["file"]["path"] == str(sample.resolve()) for doc in docs)
    assert all(doc["input"]["type"] == "evtx" for doc in docs)
    assert [done for done, _ in calls] == [3, 6, 7]


def test_evtx_import_resumes_after_the_last_committed_record(database: Database, sample: Path) -> None:
    store = EventStore(database)
    pipeline = IngestPipeline(store)
    original = store.insert_with_progress
    commits: list[int] = []

    def stop_after_first(*args: object, **kwargs: object) -> None:
        if commits:
            raise KeyboardInterrupt
        commits.append(1)
        original(*args, **kwargs)  # type: ignore[arg-type]

    store.insert_with_progress = stop_after_first  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        FileImporter(pipeline, store, batch_size=3).import_file(sample)
    store.insert_with_progress = original  # type: ignore[method-assign]

    resumed = FileImporter(pipeline, store, batch_size=3).import_file(sample)

    assert (resumed.resumed_from, resumed.stored) == (3, 4)
    assert store.count() == 7


def test_parse_command_prints_one_document_per_evtx_record(sample: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from socflow.cli.app import app

    result = CliRunner().invoke(app, ["parse", str(sample)], env={"SOCFLOW_DATA_DIR": str(tmp_path / "data")})

    assert result.exit_code == 0, result.output
    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(docs) == 7
    assert {doc["event"]["module"] for doc in docs} == {"windows"}
