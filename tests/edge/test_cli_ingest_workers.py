"""`socflow ingest file --workers N` and SOCFLOW_IMPORT_WORKERS: how many processes an .evtx import uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cli_support import Cli

from socflow.cli.commands_ingest import resolve_import_workers
from socflow.ingest.files_parallel import ImportWorkers

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "sigma" / "regression"
FILE_DB = "sqlite:////var/lib/socflow/socflow.db"


def test_the_flag_wins_over_the_setting_which_wins_over_automatic_one_per_cpu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert resolve_import_workers(3, 5, FILE_DB, None) == ImportWorkers(3, FILE_DB)
    assert resolve_import_workers(None, 5, FILE_DB, None) == ImportWorkers(5, FILE_DB)
    assert resolve_import_workers(0, 5, FILE_DB, None).enabled is False
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    assert resolve_import_workers(None, None, FILE_DB, None) == ImportWorkers(4, FILE_DB, automatic=True)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert resolve_import_workers(None, None, FILE_DB, None) == ImportWorkers(0)  # nothing to spare


def test_automatic_workers_are_used_for_a_large_file_while_a_core_is_idle(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    chosen, automatic = (
        ImportWorkers(2, FILE_DB, min_bytes=100),
        ImportWorkers(2, FILE_DB, min_bytes=100, automatic=True),
    )
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.6, 0.5, 0.4))
    assert (automatic.used_for(100), automatic.used_for(99), chosen.used_for(100)) == (True, False, True)
    monkeypatch.setattr(os, "getloadavg", lambda: (1.7, 0.5, 0.4))  # both cores mostly busy
    assert (automatic.used_for(100), chosen.used_for(100)) == (False, True)

    def unavailable() -> tuple[float, float, float]:
        raise OSError("no load average here")

    monkeypatch.setattr(os, "getloadavg", unavailable)
    assert automatic.used_for(100) is False
    assert ImportWorkers(0, automatic=True).used_for(100) is False


def test_workers_get_the_mappings_directory_and_no_in_memory_database(tmp_path: Path) -> None:
    assert resolve_import_workers(2, None, FILE_DB, tmp_path).mappings_dir == str(tmp_path)
    assert resolve_import_workers(2, None, "sqlite://", None) == ImportWorkers(0)


@pytest.fixture
def cli_env(cli: Cli) -> Cli:
    cli("db", "upgrade")
    return cli


def test_cli_refuses_a_negative_worker_count_and_a_bad_setting(
    cli_env: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "a.log"
    path.write_text("<13>one line\n", encoding="utf-8")

    negative = cli_env.raw("ingest", "file", str(path), "--workers", "-1")
    monkeypatch.setenv("SOCFLOW_IMPORT_WORKERS", "many")
    bad_setting = cli_env.raw("ingest", "file", str(path))

    assert negative.exit_code == 2
    assert "--workers" in negative.output
    assert bad_setting.exit_code == 78
    assert "invalid setting SOCFLOW_IMPORT_WORKERS" in bad_setting.output


def test_cli_takes_the_workers_flag_and_a_small_evtx_file_imports_the_same(
    cli_env: Cli, tmp_path: Path
) -> None:
    samples = sorted(CORPUS.rglob("*.evtx")) if CORPUS.is_dir() else []
    if not samples:
        pytest.skip(f"the .evtx samples under {CORPUS} are not present")

    serial = cli_env.raw("ingest", "file", str(samples[0]), "--workers", "0")
    again = cli_env.raw("ingest", "file", str(samples[0]), "--workers", "2", "--restart")

    assert serial.exit_code == 0, serial.output
    assert again.exit_code == 0, again.output
    assert "events stored, 0 dead letters (evtx)" in serial.stdout
    assert serial.stdout.split(":")[1] == again.stdout.split(":")[1]
