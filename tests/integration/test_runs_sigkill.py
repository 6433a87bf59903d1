"""Runs survive SIGKILL on PostgreSQL: killed workers lose no run and repeat no finished step."""

from __future__ import annotations

from pathlib import Path

import pytest
from sigkill_support import Scenario, run_scenario

from socflow.storage.db import Database

pytestmark = pytest.mark.integration

# Kills stop after the kill phase (at least one happens), so a slow machine ends all the same.
SCENARIO = Scenario(runs=12, kills=10, kill_phase_seconds=20)


def test_runs_sigkill_at_random_points_loses_no_run_and_repeats_no_finished_step(
    database: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_scenario(database, tmp_path / "executions.log", SCENARIO, monkeypatch)
