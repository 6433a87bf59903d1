"""The tracker wires every case service to one database and one evidence directory."""

from __future__ import annotations

from pathlib import Path

from socflow.cases.tracker import Tracker
from socflow.config import Settings


def test_tracker_from_settings_opens_the_sqlite_file_in_the_data_dir(tmp_path: Path) -> None:
    tracker = Tracker.from_settings(Settings(data_dir=tmp_path, db_pool_size=3))
    try:
        assert tracker.database.url == f"sqlite:///{tmp_path / 'socflow.db'}"
        assert tracker.database.is_sqlite
        assert tracker.notes.evidence_dir == tmp_path / "evidence"
        services = (tracker.alerts, tracker.cases, tracker.linking, tracker.tasks, tracker.notes)
        assert {service.database for service in (*services, tracker.observables)} == {tracker.database}
    finally:
        tracker.database.dispose()


def test_tracker_from_settings_uses_the_configured_database_url(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'elsewhere' / 'soc.db'}"
    tracker = Tracker.from_settings(Settings(data_dir=tmp_path, database_url=url))
    try:
        assert tracker.database.url == url
    finally:
        tracker.database.dispose()
