"""`socflow ingest file|errors|serve`, `socflow events search|prune` and `socflow parse`."""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_support import Cli
from typer.testing import Result

Run = Callable[..., Result]
LINES = [
    "<38>Nov  1 10:00:00 bastion sshd[42]: Failed password for root from 203.0.113.9 port 5555 ssh2",
    '{"@timestamp": "2026-11-01T10:00:05Z", "source": {"ip": "10.9.8.7"}, "message": "json event"}',
]


@pytest.fixture
def run(cli: Cli) -> Run:
    cli.invoke("db", "upgrade")
    return cli.invoke


def test_cli_ingest_file_then_search_as_table_and_json(run: Run, tmp_path: Path) -> None:
    plain = tmp_path / "auth.log"
    plain.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    zipped = tmp_path / "old.log.gz"
    zipped.write_bytes(gzip.compress((LINES[0] + "\n").encode()))

    imported = run("ingest", "file", str(plain), str(zipped), "--timezone", "UTC")
    again = run("ingest", "file", str(plain))
    table = run("events", "search")
    found = json.loads(run("events", "search", "--field", "source.ip:10.0.0.0/8", "--json").stdout)

    assert "2 events stored, 0 dead letters (text)" in imported.stdout
    assert "1 events stored, 0 dead letters (gzip)" in imported.stdout
    assert "already imported" in again.stdout
    assert "Events (3)" in table.stdout
    assert "bastion" in table.stdout
    assert [item["message"] for item in found["items"]] == ["json event"]


def test_cli_events_search_refuses_bad_input(run: Run) -> None:
    bad_time = run("events", "search", "--from", "yesterday", code=65)
    bad_field = run("events", "search", "--field", "nocolon", code=65)

    assert "--from 'yesterday' is not an ISO 8601 time" in bad_time.output
    assert "is not FIELD:VALUE" in bad_field.output


def test_cli_events_prune_by_age_and_count(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "events.jsonl"
    stamps = ["2000-01-01T00:00:00Z", "2099-01-01T00:00:00Z", "2099-01-02T00:00:00Z", "2099-01-03T00:00:00Z"]
    path.write_text(
        "".join(json.dumps({"@timestamp": s, "message": s}) + "\n" for s in stamps), encoding="utf-8"
    )
    run("ingest", "file", str(path))

    by_age = run("events", "prune", "--older-than", "30d")
    by_count = run("events", "prune", "--max-events", "1")
    missing = run("events", "prune", code=65)
    bad = run("events", "prune", "--older-than", "soon", code=65)

    assert by_age.stdout.strip() == "Pruned 1 events; 3 remain"
    assert by_count.stdout.strip() == "Pruned 2 events; 1 remain"
    assert "say what to prune" in missing.output
    assert "not a duration" in bad.output
    bad_size = run("events", "prune", "--max-size", "lots", code=65)
    by_size = run("events", "prune", "--max-size", "0B")
    assert "--max-size: 'lots' is not a size" in bad_size.output
    assert by_size.stdout.strip() == "Pruned 1 events; 0 remain"


def test_cli_ingest_errors_lists_dead_letters(run: Run, tmp_path: Path) -> None:
    path = tmp_path / "bad.log"
    path.write_bytes(b"<13>fine line\n<13>broken \xff\n")
    run("ingest", "file", str(path))

    table = run("ingest", "errors")
    as_json = json.loads(run("ingest", "errors", "--json").stdout)

    assert "invalid UTF-8 at byte 11" in table.stdout
    assert as_json["items"][0]["transport"] == "file"
    assert as_json["items"][0]["origin"] == str(path.resolve())


def test_cli_ingest_file_refuses_unknown_format_and_missing_file(run: Run, tmp_path: Path) -> None:
    unknown = run("ingest", "file", str(tmp_path), "--format", "nope", code=65)
    missing = run("ingest", "file", str(tmp_path / "absent.log"), code=66)

    assert "unknown format 'nope'" in unknown.output
    assert "no such file" in missing.output


def test_cli_parse_prints_one_document_per_line_without_storing(run: Run, tmp_path: Path) -> None:
    result = run("parse", "-", "--timezone", "Europe/Berlin", stdin="\n".join(LINES) + "\n\n")
    path = tmp_path / "one.log"
    path.write_text(LINES[0] + "\n", encoding="utf-8")
    from_file = run("parse", str(path))

    docs = [json.loads(line) for line in result.stdout.splitlines()]
    assert [doc["event"]["original"] for doc in docs] == LINES
    assert docs[0]["host"]["name"] == "bastion"
    assert json.loads(from_file.stdout)["host"]["name"] == "bastion"
    assert "Events (0)" in run("events", "search").stdout


def test_cli_parse_refuses_a_missing_file_and_a_bad_zone(run: Run, tmp_path: Path) -> None:
    assert "no such file" in run("parse", str(tmp_path / "nope.log"), code=65).output
    assert "unknown time zone" in run("parse", "-", "--timezone", "Mars/Base", code=65, stdin="").output


def test_cli_ingest_serve_needs_a_listener(run: Run) -> None:
    result = run("ingest", "serve", code=78)

    assert "no syslog listener is enabled" in result.output


@pytest.mark.parametrize("stop", ["SIGINT", "SIGTERM"])
def test_cli_ingest_serve_receives_until_interrupted(run: Run, tmp_path: Path, stop: str) -> None:
    import signal
    import socket
    import subprocess
    import sys
    import time

    from socflow.storage.db import Database
    from socflow.storage.events import EventQuery, EventStore

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SOCFLOW_SYSLOG_HOST": "127.0.0.1", "SOCFLOW_LOG_JSON": "true"}
    command = [str(Path(sys.executable).parent / "socflow"), "ingest", "serve", "--udp-port", str(port)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    database = Database(f"sqlite:///{tmp_path / 'data' / 'socflow.db'}")
    try:
        assert process.stderr is not None
        for line in process.stderr:
            if '"listening"' in line:
                break
        store = EventStore(database)
        deadline = time.monotonic() + 20
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            while store.count() < 1 and time.monotonic() < deadline:
                udp.sendto(b"<13>Nov  1 00:00:00 clihost app: from the CLI listener", ("127.0.0.1", port))
                time.sleep(0.2)
        assert store.count() >= 1
        assert store.search(EventQuery()).items[0].host_name == "clihost"
    finally:
        process.send_signal(getattr(signal, stop))
        _, rest = process.communicate(timeout=20)
        database.dispose()

    assert process.returncode == 0, rest
    assert "intake stopped" in rest


def test_cli_parse_uses_the_mappings_in_the_configured_directory(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "widget.yaml").write_text(
        "name: widget_gateway\nbase: kv\ndataset: widget.gateway\nmatch:\n  prefix: 'WIDGETGW '\n"
        "fields:\n  - {target: source.ip, source: client, convert: ip}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("SOCFLOW_MAPPINGS_DIR", str(folder))

    result = run("parse", "-", stdin="WIDGETGW client=::ffff:203.0.113.5 verdict=ok\n")

    doc = json.loads(result.stdout)
    assert doc["source"]["ip"] == "203.0.113.5"
    assert doc["event"]["dataset"] == "widget.gateway"


def test_cli_parse_reports_every_problem_in_a_broken_mapping_directory(
    run: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mappings"
    folder.mkdir()
    (folder / "bad.yaml").write_text("name: bad\nbase: nosuchbase\nfields: 7\n", encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_MAPPINGS_DIR", str(folder))

    result = run("parse", "-", code=65, stdin="x\n")

    assert "bad.yaml:base" in result.output
    assert "bad.yaml:fields" in result.output
