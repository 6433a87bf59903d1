"""`socflow worker` and the executor `socflow serve` runs: wiring, refusals, a real process and SIGTERM."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from cli_support import Cli
from fastapi.testclient import TestClient

from socflow.api.app import create_app
from socflow.cases.tracker import Tracker
from socflow.config import Settings
from socflow.storage.db import Database
from socflow.worker.catalogue import PlaybookCatalogue
from socflow.worker.executors import build_executor
from socflow.worker.runs import RunService

TOKEN = "edge-test-token-0123456789abcdefghijklmnop"
DEADLINE = 30.0
PLAYBOOK = """
id: two
name: two steps
kind: sequential
steps:
  - {id: a, type: action, action: test.noop, next: b}
  - {id: b, type: action, action: test.echo, args: {text: hi}, next: done}
  - {id: done, type: end, outcome: ok}
"""


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`worker` configures process-wide logging on the runner's stderr; put the test session's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def publish(database: Database) -> RunService:
    catalogue = PlaybookCatalogue(database)
    catalogue.save_draft("alice", PLAYBOOK)
    catalogue.publish("alice", "two")
    return RunService(database, catalogue)


def wait_for(check: object, what: str) -> None:
    assert callable(check)
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def test_worker_with_executor_none_is_refused(cli: Cli) -> None:
    result = cli.raw("worker", "--executor", "none")

    assert result.exit_code == 78
    assert "`none` executes nothing" in result.output


@pytest.mark.usefixtures("restore_logging")
def test_worker_names_an_unreachable_broker_without_its_password(
    template_db: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    cli.use_database(template_db)
    monkeypatch.setenv("SOCFLOW_CELERY_BROKER_URL", "amqp://socflow:hunter2-secret@127.0.0.1:1//")

    result = cli.raw("worker", "--executor", "celery")

    assert result.exit_code == 74, result.output
    assert "cannot reach the Celery broker amqp://socflow:**@127.0.0.1:1//" in result.output
    assert "hunter2" not in result.output


def test_app_lifespan_starts_the_executor_and_stops_it(tracker: Tracker, tmp_path: Path) -> None:
    service = publish(tracker.database)
    settings = Settings(data_dir=tmp_path, api_token=TOKEN, worker_poll_ms=50)
    executor = build_executor(settings, tracker.database)
    assert executor.loop is not None
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Socflow-Actor": "alice"}

    with TestClient(create_app(settings, tracker, executor), headers=headers) as client:
        assert executor.loop.running
        started = client.post("/api/v1/playbooks/two/runs", json={})
        assert started.status_code == 201, started.text
        run_id = started.json()["id"]
        wait_for(lambda: service.get(run_id).status == "succeeded", "the embedded executor to run it")

    assert not executor.loop.running
    assert [a.status for a in service.attempts(run_id)] == ["succeeded", "succeeded"]


def test_app_without_an_executor_executes_nothing(tracker: Tracker, tmp_path: Path) -> None:
    service = publish(tracker.database)
    settings = Settings(data_dir=tmp_path, api_token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}", "X-Socflow-Actor": "alice"}

    with TestClient(create_app(settings, tracker), headers=headers) as client:
        run_id = client.post("/api/v1/playbooks/two/runs", json={}).json()["id"]

    assert [a.status for a in service.attempts(run_id)] == ["pending"]


def test_worker_process_executes_runs_and_stops_on_sigterm(
    template_db: Path, cli: Cli, tmp_path: Path
) -> None:
    database = Database(f"sqlite:///{cli.use_database(template_db)}")
    service = publish(database)
    env = {**os.environ, "SOCFLOW_WORKER_POLL_MS": "50", "SOCFLOW_LOG_JSON": "true"}
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from socflow.cli.app import main; main()",
                "worker",
                "--executor",
                "inline",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        run_id = service.start("alice", "two")  # another process: the worker finds it on its poll
        wait_for(lambda: service.get(run_id).status == "succeeded", "the worker process to run it")
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(DEADLINE) == 0
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        database.dispose()
    logged = log.read_text(encoding="utf-8")
    assert '"event": "worker loop stopped"' in logged
