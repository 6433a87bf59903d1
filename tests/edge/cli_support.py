"""A CLI harness for edge tests: invoke the `socflow` typer app in-process on one data directory."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from typer.testing import CliRunner, Result

from socflow.cli.app import app


@dataclass
class Cli:
    """The `socflow` app under a CliRunner; SOCFLOW_DATA_DIR points at `data_dir` (not created up front)."""

    data_dir: Path
    runner: CliRunner = field(default_factory=CliRunner)

    def __call__(self, *args: str, stdin: str | None = None) -> str:
        """Run a command that must succeed and return what it printed."""
        return self.invoke(*args, stdin=stdin).output

    def invoke(self, *args: str, code: int = 0, stdin: str | None = None) -> Result:
        """Run a command, assert its exit code (0 unless told) and return the whole result."""
        result = self.raw(*args, stdin=stdin)
        assert result.exit_code == code, (result.output, result.exception)
        return result

    def raw(self, *args: str, stdin: str | None = None) -> Result:
        """Run a command and return its result whatever the exit code."""
        return self.runner.invoke(app, list(args), input=stdin)

    def use_database(self, template: Path) -> Path:
        """Put a copy of an already migrated database into the data directory; return its path."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        database = self.data_dir / "socflow.db"
        shutil.copyfile(template, database)
        return database
