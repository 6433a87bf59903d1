"""user_agent.* from user_agent.original: browsers, systems and devices, tools, what is not an agent."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from socflow.model.records import RawRecord, Transport
from socflow.normalize import user_agents
from socflow.normalize.ecs import ECSDocument
from socflow.normalize.pipeline import normalize
from socflow.normalize.user_agents import agent_fields, put_user_agent

CHROME_ON_WINDOWS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0.6099.109 Safari/537.36"
)
SAFARI_ON_IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.1 Mobile/15E148 Safari/604.1"
)


def test_a_desktop_browser() -> None:
    assert agent_fields(CHROME_ON_WINDOWS) == {
        "name": "Chrome",
        "version": "120.0.6099.109",
        "os": {"name": "Windows", "version": "10", "full": "Windows 10"},
    }


def test_a_phone_names_its_device() -> None:
    fields = agent_fields(SAFARI_ON_IPHONE)

    assert fields is not None
    assert fields["name"] == "Mobile Safari"
    assert fields["os"] == {"name": "iOS", "version": "17.1", "full": "iOS 17.1"}
    assert fields["device"] == {"name": "iPhone"}


def test_a_tool() -> None:
    # The version is as far as the database reads it (major and minor for this agent).
    assert agent_fields("python-requests/2.31.0") == {"name": "Python Requests", "version": "2.31"}
    assert agent_fields("curl/8.4.0") == {"name": "curl", "version": "8.4.0"}


@pytest.mark.parametrize("original", ["-", "", "sqlmap-like scanner ###", "x" * 3000])
def test_nothing_for_what_names_no_known_agent(original: str) -> None:
    doc: ECSDocument = {"user_agent": {"original": original}}

    put_user_agent(doc)

    assert doc == {"user_agent": {"original": original}}


def test_fields_the_log_wrote_are_kept_and_cached_answers_are_not_shared() -> None:
    written: ECSDocument = {"user_agent": {"original": CHROME_ON_WINDOWS, "name": "Edge"}}
    first: ECSDocument = {"user_agent": {"original": CHROME_ON_WINDOWS}}
    second: ECSDocument = {"user_agent": {"original": CHROME_ON_WINDOWS}}

    put_user_agent(written)
    put_user_agent(first)
    first["user_agent"]["os"]["name"] = "changed"
    put_user_agent(second)

    assert written == {"user_agent": {"original": CHROME_ON_WINDOWS, "name": "Edge"}}
    assert second["user_agent"]["os"]["name"] == "Windows"


def test_an_access_log_line_gets_the_parsed_agent() -> None:
    line = f'192.0.2.10 - - [04/Dec/2026:12:00:00 +0000] "GET / HTTP/1.1" 200 512 "-" "{SAFARI_ON_IPHONE}"'
    record = RawRecord(
        text=line,
        received_at=datetime(2026, 12, 4, 12, 0, tzinfo=UTC),
        transport=Transport.HTTP,
        origin="192.0.2.1:5140",
        format="apache",
    )

    doc = normalize(record)

    assert doc["user_agent"]["original"] == SAFARI_ON_IPHONE
    assert doc["user_agent"]["os"]["full"] == "iOS 17.1"
    assert doc["user_agent"]["device"]["name"] == "iPhone"


def test_without_the_fast_matcher_agents_are_left_unread(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(user_agents, "FAST_MATCHER", False)
    doc: ECSDocument = {"user_agent": {"original": CHROME_ON_WINDOWS}}

    put_user_agent(doc)

    assert doc == {"user_agent": {"original": CHROME_ON_WINDOWS}}


def test_the_fast_matcher_is_installed_with_socflow() -> None:
    assert user_agents.FAST_MATCHER  # the ua-parser[regex] dependency
