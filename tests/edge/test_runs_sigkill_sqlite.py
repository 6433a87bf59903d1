"""Runs survive SIGKILL on SQLite, the embedded default: the PostgreSQL scenario, no service needed."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigkill_support import Scenario, run_scenario

from socflow.storage.db import Database

# Kills stop after the kill phase (at least one happens), so a slow machine ends all the same.
SCENARIO = Scenario(runs=12, kills=12, kill_phase_seconds=12)


def test_runs_sigkill_at_random_points_on_sqlite_lose_no_run_and_repeat_no_finished_step(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert database.is_sqlite
    run_scenario(database, tmp_path / "executions.log", SCENARIO, monkeypatch)
