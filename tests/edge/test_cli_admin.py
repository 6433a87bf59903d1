"""The CLI's admin side: settings errors, --version, db upgrade, the schema check, audit verify, serve."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog
from cli_support import Cli
from typer.testing import Result

from socflow import __version__
from socflow.cli.app import main
from socflow.storage import migrate
from socflow.storage.db import Database

Run = Callable[..., Result]


@pytest.fixture
def data_dir(cli: Cli) -> Path:
    """The data directory of the clean SOCFLOW_* environment, inside tmp_path."""
    return cli.data_dir


@pytest.fixture
def run(cli: Cli) -> Run:
    return cli.invoke


@pytest.fixture
def migrated(cli: Cli, template_db: Path) -> Path:
    """The data directory with a database already at head (a copy of the session's template)."""
    return cli.use_database(template_db)


@pytest.fixture(scope="module")
def head(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The newest migration this socflow ships (read from the migration scripts, not hard-coded)."""
    database = Database(f"sqlite:///{tmp_path_factory.mktemp('head') / 'unused.db'}")
    revision = migrate.head_revision(database)
    database.dispose()
    assert revision is not None
    return revision


def _create_alert(run: Run, ref: str) -> str:
    result = run("alert", "create", "--source", "ids", "--ref", ref, "--title", "Port scan", "--json")
    alert_id: str = json.loads(result.stdout)["id"]
    return alert_id


def test_version_prints_the_package_version(run: Run) -> None:
    result = run("--version")
    assert result.stdout.strip() == f"socflow {__version__}"


def test_version_needs_no_valid_settings(run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOCFLOW_PORT", "abc")
    assert run("--version").stdout.startswith("socflow ")


def test_main_runs_the_app_as_the_console_script(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "argv", ["socflow", "alert", "list"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 74
    assert "run `socflow db upgrade` first" in capsys.readouterr().err


def test_settings_invalid_port_prints_one_line_and_exits_78(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCFLOW_PORT", "abc")
    result = run("alert", "list", code=78)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("socflow: invalid setting SOCFLOW_PORT: ")
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_settings_missing_config_file_names_the_setting(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SOCFLOW_CONFIG", str(tmp_path / "absent.toml"))
    result = run("db", "upgrade", code=78)
    assert result.stderr.startswith("socflow: invalid setting SOCFLOW_CONFIG: no such file")


def test_settings_from_toml_file_are_used(run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    config = tmp_path / "socflow.toml"
    config.write_text(f'data_dir = "{other.as_posix()}"\n', encoding="utf-8")
    monkeypatch.delenv("SOCFLOW_DATA_DIR")
    monkeypatch.setenv("SOCFLOW_CONFIG", str(config))
    run("db", "upgrade")
    assert (other / "socflow.db").is_file()


def test_db_upgrade_prints_the_revision_reached_and_is_repeatable(
    run: Run, data_dir: Path, head: str
) -> None:
    first = run("db", "upgrade")
    assert f"from an empty schema to revision {head} (head)" in first.stdout
    assert (data_dir / "socflow.db").is_file()
    again = run("db", "upgrade")
    assert f"already at revision {head} (head)" in again.stdout


def test_commands_refuse_a_database_that_is_not_migrated(run: Run, data_dir: Path) -> None:
    for command in (["alert", "list"], ["case", "list"], ["audit", "verify"]):
        result = run(*command, code=74)
        assert result.stderr.strip() == (
            f"socflow: the database sqlite:///{os.environ['SOCFLOW_DATA_DIR']}/socflow.db has no socflow "
            "schema yet; run `socflow db upgrade` first"
        )
    assert not (data_dir / "socflow.db").exists()  # checking created no empty database file


def test_commands_refuse_a_schema_at_another_revision(run: Run, migrated: Path, head: str) -> None:
    with sqlite3.connect(migrated) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0000'")
    result = run("case", "list", code=74)
    assert f"is at schema revision 0000, but this socflow needs {head}" in result.stderr
    assert "socflow db upgrade" in result.stderr


def test_commands_report_an_unusable_data_dir_without_traceback(
    run: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory", encoding="utf-8")
    monkeypatch.setenv("SOCFLOW_DATA_DIR", str(blocker / "data"))
    result = run("db", "upgrade", code=74)
    assert result.stderr.startswith("socflow: cannot open the database sqlite:///")
    assert "Traceback" not in result.output


def test_db_upgrade_unreachable_postgresql_is_a_storage_error_without_the_password(
    run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOCFLOW_DATABASE_URL", "postgresql+psycopg://soc:hunter2-secret@127.0.0.1:1/socflow")
    result = run("db", "upgrade", code=74)
    assert result.stderr.startswith(
        "socflow: cannot use the database postgresql+psycopg://soc:***@127.0.0.1:1"
    )
    assert "hunter2-secret" not in result.output


def test_audit_verify_reports_entries_checked(run: Run, migrated: Path) -> None:
    _create_alert(run, "scan-1")
    result = run("audit", "verify")
    assert result.stdout.startswith("Audit journal OK: 1 entries checked, head ")


def test_audit_verify_json_parses(run: Run, migrated: Path) -> None:
    _create_alert(run, "scan-1")
    report = json.loads(run("audit", "verify", "--json").stdout)
    assert report["ok"] is True
    assert report["entries"] == 1
    assert report["first_break"] is None
    assert len(report["head_hash"]) == 64


def test_audit_verify_names_the_entry_altered_in_the_database(run: Run, migrated: Path) -> None:
    _create_alert(run, "scan-1")
    _create_alert(run, "scan-2")
    _create_alert(run, "scan-3")
    with sqlite3.connect(migrated) as connection:
        connection.execute("UPDATE audit_entries SET actor = 'mallory' WHERE seq = 2")
    result = run("audit", "verify", code=2)
    assert result.stderr.strip() == (
        "socflow: audit journal does not verify: entry 2: entry content was altered (2 entries read)"
    )
    assert "OK" not in result.stdout


def test_audit_verify_names_a_removed_entry(run: Run, migrated: Path) -> None:
    for ref in ("scan-1", "scan-2", "scan-3"):
        _create_alert(run, ref)
    with sqlite3.connect(migrated) as connection:
        connection.execute("DELETE FROM audit_entries WHERE seq = 2")
    result = run("audit", "verify", code=2)
    assert "entry 2: entry 2 is missing" in result.stderr


def test_audit_verify_json_still_prints_the_break_and_exits_non_zero(run: Run, migrated: Path) -> None:
    _create_alert(run, "scan-1")
    with sqlite3.connect(migrated) as connection:
        connection.execute("UPDATE audit_entries SET after = '{}' WHERE seq = 1")
    result = run("audit", "verify", "--json", code=2)
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert report["first_break"] == {"seq": 1, "reason": "entry content was altered"}


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """`serve` configures process-wide logging on the runner's stderr; put the test session's back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


@pytest.mark.usefixtures("restore_logging")
def test_serve_creates_secrets_migrates_sqlite_and_runs_uvicorn(
    run: Run, data_dir: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("socflow.api.app")
    import uvicorn

    calls: list[dict[str, Any]] = []

    def fake_run(application: Any, **kwargs: Any) -> None:
        calls.append({"app": application, **kwargs})

    monkeypatch.setattr(uvicorn, "run", fake_run)
    result = run("serve", "--host", "127.0.0.2", "--port", "8123")
    assert len(calls) == 1
    assert calls[0]["host"] == "127.0.0.2"
    assert calls[0]["port"] == 8123
    assert calls[0]["log_config"] is None
    token_file = data_dir / "api_token"
    token = token_file.read_text(encoding="utf-8").strip()
    assert (token_file.stat().st_mode & 0o777) == 0o600
    assert (data_dir / "secret_key").is_file()
    logged = capfd.readouterr().err + result.output
    assert str(token_file) in logged
    assert token not in logged
    run("alert", "list")  # serve upgraded the embedded database itself
