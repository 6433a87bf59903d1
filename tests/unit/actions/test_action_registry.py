"""The action registry and the shipped test integration: signatures for validation, known effects."""

from __future__ import annotations

from pathlib import Path

import pytest

from socflow.actions.builtin_test import EXECUTION_LOG_ENV, MAX_SLEEP_SECONDS
from socflow.actions.registry import ActionContext, ActionFailed, ActionSpec, actions, signatures
from socflow.errors import Conflict, NotFound, ValidationFailed
from socflow.playbooks.validate import ActionSignature, load_playbook
from socflow.plugins import Registry

CONTEXT = ActionContext("run-1", "step", 1, "k" * 64)


def test_action_registry_ships_the_test_integration() -> None:
    names = actions().names()

    assert {"test.noop", "test.echo", "test.fail", "test.sleep"} <= set(names)
    assert signatures()["test.sleep"] == ActionSignature("test.sleep", frozenset({"seconds"}), frozenset())


def test_action_registry_signatures_of_an_empty_registry_are_empty() -> None:
    assert signatures(Registry("action")) == {}


def test_action_registry_signatures_let_validation_refuse_a_missing_argument() -> None:
    text = """
id: sleepy
name: sleepy
kind: sequential
steps:
  - {id: nap, type: action, action: test.sleep, args: {}}
"""
    with pytest.raises(ValidationFailed) as caught:
        load_playbook(text, signatures())

    assert any("seconds" in issue.message for issue in caught.value.issues), caught.value.issues


def test_action_registry_refuses_a_second_spec_of_the_same_name() -> None:
    registry: Registry[ActionSpec] = Registry("action")
    registry.register(ActionSpec("x.y", frozenset(), frozenset(), lambda args, ctx: {}))

    with pytest.raises(Conflict):
        registry.register(ActionSpec("x.y", frozenset(), frozenset(), lambda args, ctx: {}))
    with pytest.raises(NotFound):
        registry.get("x.z")


def test_action_registry_echo_returns_its_args() -> None:
    assert actions().get("test.echo").handler({"text": "hi"}, CONTEXT) == {"text": "hi"}


def test_action_registry_fail_raises_with_the_code_asked_for() -> None:
    with pytest.raises(ActionFailed) as caught:
        actions().get("test.fail").handler({"code": "rate_limited"}, CONTEXT)

    assert caught.value.reason == "rate_limited"
    assert caught.value.code == "action_failed"


def test_action_registry_sleep_is_bounded_and_checks_its_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    slept: list[float] = []
    monkeypatch.setattr("socflow.actions.builtin_test.pause", slept.append)
    sleep = actions().get("test.sleep").handler

    assert sleep({"seconds": -3}, CONTEXT) == {"slept": 0.0}
    assert sleep({"seconds": 3600}, CONTEXT) == {"slept": MAX_SLEEP_SECONDS}
    assert slept == [0.0, MAX_SLEEP_SECONDS]
    with pytest.raises(ActionFailed) as caught:
        sleep({"seconds": "soon"}, CONTEXT)
    assert caught.value.reason == "invalid_args"


def test_action_registry_noop_logs_its_key_when_asked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "keys.log"
    monkeypatch.setenv(EXECUTION_LOG_ENV, str(log))

    actions().get("test.noop").handler({}, CONTEXT)
    actions().get("test.noop").handler({}, CONTEXT)

    assert log.read_text().split() == ["k" * 64, "k" * 64]
