"""The `test` integration shipped with socflow: actions with known effects to build and check the engine."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Final

from socflow.actions.registry import ACTIONS, ActionContext, ActionFailed, ActionSpec

# When set, test.noop appends each idempotency key it executes to this file (one per line), so a test
# in another process can count executions across crashes.
EXECUTION_LOG_ENV: Final = "SOCFLOW_TEST_ACTION_LOG"
MAX_SLEEP_SECONDS: Final = 5.0
pause = time.sleep  # a seam, so a test checks the bound without waiting for it


def _noop(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    log = os.environ.get(EXECUTION_LOG_ENV)
    if log:
        with Path(log).open("a", encoding="utf-8") as handle:
            handle.write(context.idempotency_key + "\n")
            handle.flush()
            os.fsync(handle.fileno())
    return {}


def _echo(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    return dict(args)


def _fail(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    code = str(args.get("code", "test_failure"))
    raise ActionFailed(str(args.get("message", "test.fail failed as asked")), reason=code)


def _sleep(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
    try:
        seconds = float(args["seconds"])
    except (TypeError, ValueError):
        raise ActionFailed("test.sleep needs a number of seconds", reason="invalid_args") from None
    slept = min(max(seconds, 0.0), MAX_SLEEP_SECONDS)
    remaining = context.remaining()
    if remaining is not None and remaining < slept:
        # A cooperative action: it stops at its step's deadline instead of being abandoned there.
        pause(remaining)
        raise ActionFailed(f"test.sleep stopped at its deadline after {remaining:.3f}s", reason="timeout")
    pause(slept)
    return {"slept": slept}


SPECS: Final = (
    ActionSpec("test.noop", frozenset(), frozenset({"note"}), _noop, idempotent=True),
    ActionSpec("test.echo", frozenset(), frozenset({"value", "text"}), _echo, idempotent=True),
    ActionSpec("test.fail", frozenset(), frozenset({"code", "message"}), _fail),
    ActionSpec("test.sleep", frozenset({"seconds"}), frozenset(), _sleep, idempotent=True),
)

for _spec in SPECS:
    ACTIONS.register(_spec)
