"""Logging writes one JSON object per event and never writes a secret."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from socflow.logging import _scrub_secrets, configure_logging, get_logger


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_scrub_secrets_masks_every_key_that_names_a_secret() -> None:
    event = {
        "event": "login",
        "api_token": "abc",
        "X-Secret-Key": "k",
        "password": "p",
        "Authorization": "Bearer x",
        "apikey": "a",
        "session_cookie": "c",
        "user": "alice",
    }

    scrubbed = _scrub_secrets(None, "info", dict(event))

    assert scrubbed == {
        "event": "login",
        "api_token": "***",
        "X-Secret-Key": "***",
        "password": "***",
        "Authorization": "***",
        "apikey": "***",
        "session_cookie": "***",
        "user": "alice",
    }


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_writes_json_lines_without_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("info", json=True)

    get_logger("socflow.test").info("case_created", case_id="case_1", api_token="s3cret")
    get_logger("socflow.test").debug("too_detailed")

    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["event"] == "case_created"
    assert record["level"] == "info"
    assert record["case_id"] == "case_1"
    assert record["api_token"] == "***"
    assert record["timestamp"].endswith("Z")


@pytest.mark.usefixtures("restore_logging")
def test_configure_logging_with_an_unknown_level_falls_back_to_info(
    capsys: pytest.CaptureFixture[str],
) -> None:
    configure_logging("chatty", json=True)

    get_logger("socflow.test").debug("hidden")
    get_logger("socflow.test").info("shown")

    assert [json.loads(line)["event"] for line in capsys.readouterr().err.strip().splitlines()] == ["shown"]


def test_console_tracebacks_do_not_print_local_variables(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", json=False)
    log = structlog.get_logger("test")

    def connect() -> None:
        broker_credential = "hunter2-in-a-local"  # noqa: F841 - a local a rich traceback would print
        raise ConnectionError("broker unreachable")

    try:
        connect()
    except ConnectionError:
        log.exception("connect_failed")

    err = capsys.readouterr().err
    assert "broker unreachable" in err
    assert "hunter2-in-a-local" not in err


def test_logging_follows_stderr_when_the_stream_it_was_configured_with_is_closed(
    restore_logging: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io
    import sys

    first = io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO")
    first.close()  # what a test harness does to the stream it captured with
    second = io.StringIO()
    monkeypatch.setattr(sys, "stderr", second)

    get_logger("test").warning("still_written", run="r-1")
    logging.getLogger("stdlib").warning("stdlib_still_written")

    lines = second.getvalue().splitlines()
    assert json.loads(lines[0])["event"] == "still_written"
    assert lines[1] == "stdlib_still_written"
