"""Calling one action handler under its step's timeout: past the deadline the worker stops waiting."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from socflow.actions.registry import ActionContext, ActionFailed, ActionSpec
from socflow.errors import SocflowError
from socflow.logging import get_logger
from socflow.playbooks.work import TIMEOUT_CODE, ResultStatus
from socflow.plugins import Registry

log = get_logger("socflow.worker")

# status, output, error, code: the same shape as runs.Outcome.
Outcome = tuple[ResultStatus | None, dict[str, Any], str | None, str | None]

THREAD_PREFIX: Final = "socflow-action"
_abandoned: set[threading.Thread] = set()
_abandoned_lock = threading.Lock()


def abandoned_actions() -> int:
    """Handlers that ran past their timeout and are still running (the worker no longer waits on them)."""
    with _abandoned_lock:
        _prune()
        return len(_abandoned)


def _prune() -> None:
    for thread in [t for t in _abandoned if not t.is_alive()]:
        _abandoned.discard(thread)


def run_action(
    registry: Registry[ActionSpec],
    name: str,
    args: dict[str, Any],
    context: ActionContext,
    timeout: float | None,
) -> Outcome:
    """Run action `name`; with a timeout, in its own thread that is abandoned once the timeout passes.

    A handler can stop on its own (and should: see `ActionContext.remaining`) by raising TimeoutError
    or ActionFailed with reason `timeout`; both count as a timeout, as does running past the deadline.
    Python cannot kill a thread: an abandoned handler runs on in the background (a daemon thread, so it
    never holds up shutdown) and its result is dropped; `abandoned_actions()` counts those.
    """
    try:
        spec = registry.get(name)
    except SocflowError as exc:
        return ResultStatus.FAILED, {}, exc.message, exc.code
    if not timeout or timeout <= 0:
        return _call(spec, args, context)
    context = replace(context, deadline=datetime.now(UTC) + timedelta(seconds=timeout))
    future: Future[Outcome] = Future()

    def target() -> None:
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(_call(spec, args, context))
        except BaseException as exc:  # handed to the waiting worker, which re-raises it
            future.set_exception(exc)

    thread = threading.Thread(target=target, name=f"{THREAD_PREFIX}:{name}:{context.step_id}", daemon=True)
    thread.start()
    try:
        return future.result(timeout=timeout)
    except FutureTimeout:
        with _abandoned_lock:
            _prune()
            _abandoned.add(thread)
            still_running = len(_abandoned)
        log.warning(
            "action_timed_out",
            action=name,
            run_id=context.run_id,
            step=context.step_id,
            attempt=context.attempt,
            timeout=timeout,
            abandoned=still_running,
        )
        return ResultStatus.TIMED_OUT, {}, f"{name} did not finish within {timeout:g}s", TIMEOUT_CODE


def _call(spec: ActionSpec, args: dict[str, Any], context: ActionContext) -> Outcome:
    try:
        output = spec.handler(args, context)
    except ActionFailed as exc:
        status = ResultStatus.TIMED_OUT if exc.reason == TIMEOUT_CODE else ResultStatus.FAILED
        return status, {}, exc.message, exc.reason
    except SocflowError as exc:
        return ResultStatus.FAILED, {}, exc.message, exc.code
    except TimeoutError as exc:
        return ResultStatus.TIMED_OUT, {}, f"{spec.name} timed out: {exc}", TIMEOUT_CODE
    except Exception as exc:  # an integration's bug fails the step, never the worker
        return ResultStatus.FAILED, {}, f"{type(exc).__name__}: {exc}", "action_error"
    return ResultStatus.SUCCEEDED, dict(output), None, None
