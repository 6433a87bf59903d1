"""Helpers for run tests on SQLite and PostgreSQL: a fake clock, counted test actions, publishing."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from socflow.actions.builtin_test import SPECS
from socflow.actions.registry import ActionContext, ActionSpec
from socflow.plugins import Registry
from socflow.worker.catalogue import PlaybookCatalogue


class Clock:
    """A clock that moves one second per reading, and further when a test says so."""

    def __init__(self) -> None:
        self.at = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.at += timedelta(seconds=1)
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class StillClock:
    """A clock that stands still until a test moves it."""

    def __init__(self, at: datetime = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += timedelta(seconds=seconds)


class Calls:
    """The shipped test actions, wrapped to count executions per (action, idempotency key)."""

    def __init__(self) -> None:
        self.keys: Counter[tuple[str, str]] = Counter()
        self.steps: Counter[str] = Counter()
        self.registry: Registry[ActionSpec] = Registry("action")
        for spec in SPECS:
            self.registry.register(
                ActionSpec(spec.name, spec.required_args, spec.optional_args, self._wrap(spec))
            )

    def _wrap(self, spec: ActionSpec) -> Any:
        def handler(args: dict[str, Any], context: ActionContext) -> dict[str, Any]:
            self.keys[(spec.name, context.idempotency_key)] += 1
            self.steps[context.step_id] += 1
            return spec.handler(args, context)

        return handler


def publish(catalogue: PlaybookCatalogue, text: str, actor: str = "alice") -> str:
    version = catalogue.save_draft(actor, text)
    catalogue.publish(actor, version.playbook_id)
    return version.playbook_id


def chain(playbook_id: str, count: int) -> str:
    """A sequential playbook of `count` test.noop steps."""
    steps = [
        f"  - id: s{n}\n    type: action\n    action: test.noop\n    args: {{note: step {n}}}\n"
        f"    next: {'s' + str(n + 1) if n + 1 < count else 'done'}\n"
        for n in range(count)
    ]
    head = f"id: {playbook_id}\nname: chain\nkind: sequential\nsteps:\n"
    return head + "".join(steps) + "  - id: done\n    type: end\n    outcome: finished\n"


def case_ops(playbook_id: str, operations: list[tuple[str, str]]) -> str:
    """A sequential playbook of case_operation steps: (operation, args in YAML flow style)."""
    steps = [
        f"  - id: op{n}\n    type: case_operation\n    operation: {operation}\n    args: {args}\n"
        f"    next: {'op' + str(n + 1) if n + 1 < len(operations) else 'done'}\n"
        for n, (operation, args) in enumerate(operations)
    ]
    head = f"id: {playbook_id}\nname: case ops\nkind: sequential\nsteps:\n"
    return head + "".join(steps) + "  - id: done\n    type: end\n    outcome: done\n"
