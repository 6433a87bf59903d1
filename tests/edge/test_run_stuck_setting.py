"""SOCFLOW_RUN_STUCK_AFTER: the durations people write are read; anything else is refused by name."""

from __future__ import annotations

from datetime import timedelta

import pytest

from socflow.config import load_settings
from socflow.errors import ConfigError

pytestmark = pytest.mark.usefixtures("clean_socflow_env")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h", timedelta(hours=24)),
        ("1h30m", timedelta(minutes=90)),
        (" 2D ", timedelta(days=2)),
        ("3600", timedelta(hours=1)),
        ("0.5", timedelta(milliseconds=500)),
        ("PT2H", timedelta(hours=2)),
    ],
)
def test_stuck_after_reads_durations(monkeypatch: pytest.MonkeyPatch, text: str, expected: timedelta) -> None:
    monkeypatch.setenv("SOCFLOW_RUN_STUCK_AFTER", text)
    assert load_settings().run_stuck_after == expected


def test_stuck_after_defaults_to_a_day() -> None:
    assert load_settings().run_stuck_after == timedelta(days=1)


@pytest.mark.parametrize("text", ["0", "0h", "-5", "soon", "5 parsecs"])
def test_stuck_after_refuses_nonsense_naming_the_setting(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("SOCFLOW_RUN_STUCK_AFTER", text)
    with pytest.raises(ConfigError, match="SOCFLOW_RUN_STUCK_AFTER"):
        load_settings()
