"""The action registry: frozen specs by name; integrations add theirs through entry points."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from socflow.errors import SocflowError
from socflow.playbooks.validate import ActionSignature
from socflow.plugins import Registry


@dataclass
class ActionFailed(SocflowError):
    """An action ran and failed; `reason` is the stable error code a playbook's `retry_on` matches."""

    reason: str = "action_failed"

    code = "action_failed"
    http_status = 502
    exit_code = 69  # EX_UNAVAILABLE


@dataclass(frozen=True)
class ActionContext:
    """What a handler knows about the call it serves; the key lets a vendor call deduplicate."""

    run_id: str
    step_id: str
    attempt: int
    idempotency_key: str
    # When the step's `timeout` runs out (UTC); the worker stops waiting then, so a handler should
    # give its own calls no longer than `remaining()` (an httpx timeout, a poll loop's last round).
    deadline: datetime | None = None

    def remaining(self, now: datetime | None = None) -> float | None:
        """Seconds left before the deadline (never negative); None when the step has no timeout."""
        if self.deadline is None:
            return None
        return max(0.0, (self.deadline - (now or datetime.now(UTC))).total_seconds())


Handler = Callable[[dict[str, Any], ActionContext], dict[str, Any]]


@dataclass(frozen=True)
class ActionSpec:
    """One action: its argument names, the callable that performs it, and the action undoing it."""

    name: str
    required_args: frozenset[str]
    optional_args: frozenset[str]
    handler: Handler
    inverse: str | None = None
    idempotent: bool = False

    def signature(self) -> ActionSignature:
        return ActionSignature(self.name, self.required_args, self.optional_args)


ACTIONS: Final[Registry[ActionSpec]] = Registry("action", entry_point_group="socflow.integrations")


def actions() -> Registry[ActionSpec]:
    """The registry with the shipped integrations registered (imported here to keep import order free)."""
    import socflow.actions.builtin_test  # noqa: F401  (registers the `test.*` actions)

    return ACTIONS


def signatures(registry: Registry[ActionSpec] | None = None) -> Mapping[str, ActionSignature]:
    """Every registered action's signature, for playbook validation."""
    chosen = registry if registry is not None else actions()
    return {spec.name: spec.signature() for spec in chosen}
