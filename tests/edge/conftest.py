"""Edge fixtures: a TestClient over the real app and tracker, request helpers, and a clean-environment CLI."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from cli_support import Cli
from fastapi.testclient import TestClient

from socflow.api.app import create_app
from socflow.cases.tracker import Tracker
from socflow.config import Settings

TOKEN = "edge-test-token-0123456789abcdefghijklmnop"
AUTH = {"Authorization": f"Bearer {TOKEN}"}

MakeClient = Callable[..., TestClient]


@pytest.fixture
def api_token() -> str:
    return TOKEN


@pytest.fixture
def make_client(tracker: Tracker, tmp_path: Path) -> Iterator[MakeClient]:
    """Build a client; `auth=False` leaves out the token, keyword arguments override settings."""
    opened: list[TestClient] = []

    def make(*, auth: bool = True, **overrides: Any) -> TestClient:
        settings = Settings(data_dir=tmp_path, api_token=TOKEN, **overrides)
        client = TestClient(create_app(settings, tracker), headers=AUTH if auth else None)
        opened.append(client.__enter__())
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


@pytest.fixture
def client(make_client: MakeClient) -> TestClient:
    return make_client()


@pytest.fixture
def anonymous(make_client: MakeClient) -> TestClient:
    return make_client(auth=False)


@pytest.fixture
def post_alert(client: TestClient) -> Callable[..., dict[str, Any]]:
    counter = iter(range(1, 1_000_000))

    def post(**fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "source": "edr",
            "source_ref": f"ref-{next(counter)}",
            "title": "Suspicious process",
            "severity": "medium",
            **fields,
        }
        response = client.post("/api/v1/alerts", json=body)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result

    return post


@pytest.fixture
def post_case(client: TestClient) -> Callable[..., dict[str, Any]]:
    def post(**fields: Any) -> dict[str, Any]:
        response = client.post("/api/v1/cases", json={"title": "Investigate host", **fields})
        assert response.status_code == 201, response.text
        result: dict[str, Any] = response.json()
        return result

    return post


def issue_paths(response: Any) -> list[str]:
    return [issue["path"] for issue in response.json().get("issues", [])]


@pytest.fixture
def paths_of() -> Callable[[Any], list[str]]:
    """The `path` of every issue in a problem response."""
    return issue_paths


@pytest.fixture
def clean_socflow_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every SOCFLOW_* variable so no setting leaks in from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("SOCFLOW_"):
            monkeypatch.delenv(name)


@pytest.fixture
def cli(clean_socflow_env: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The CLI in a clean SOCFLOW_* environment whose data directory is tmp_path/data (not created)."""
    monkeypatch.delenv("COLUMNS", raising=False)  # tables get the CLI's own width for pipes
    data_dir = tmp_path / "data"
    monkeypatch.setenv("SOCFLOW_DATA_DIR", str(data_dir))
    return Cli(data_dir)
