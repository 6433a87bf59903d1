"""The values that cross the conductor's boundary: ReadyStep out; StepResult and Event in."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Final

from socflow.playbooks.graph import WorkKind


class RunStatus(StrEnum):
    RUNNING = "running"
    WAITING = "waiting"
    PAUSED = "paused"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED: Final = frozenset({RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.CANCELLED})
_R = RunStatus
# Run lifecycle for the operator's moves; the walk itself sets running/waiting/succeeded/failed.
RUN_MOVES: Final[Mapping[RunStatus, Mapping[str, RunStatus]]] = {
    _R.RUNNING: {"pause": _R.PAUSED, "cancel": _R.CANCELLED},
    _R.WAITING: {"pause": _R.PAUSED, "cancel": _R.CANCELLED},
    _R.PAUSED: {"resume": _R.RUNNING, "cancel": _R.CANCELLED},
    _R.FAILED: {"retry": _R.RUNNING},
    _R.SUCCEEDED: {},
    _R.CANCELLED: {},
}
# Work a run waits on without anything running: its status is `waiting`.
WAITING_KINDS: Final = frozenset({"human_task", "approval", "wait_timer", "wait_event"})


class ResultStatus(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    TIMED_OUT = "timed_out"


TIMEOUT_CODE: Final = "timeout"
EXPIRED_CODE: Final = "expired"


class Lapse(StrEnum):
    """What a waiting step's passed due time did to it (see `Conductor.expire`)."""

    OVERDUE = "overdue"  # a human task past `due`: flagged, still waiting on its person
    TIMED_OUT = "timed_out"  # `timeout` passed: the retry policy, then the timeout/failure path
    EXPIRED = "expired"  # an approval past `expires`: the on_expired path, else the step fails


@dataclass(frozen=True)
class RetryPolicy:
    count: int
    backoff_base: float
    backoff_max: float


@dataclass(frozen=True)
class ReadyStep:
    """What the worker must do next; `delay` seconds before starting (retries back off)."""

    run_id: str
    step_id: str
    node_id: str
    kind: WorkKind
    attempt: int
    name: str
    args: dict[str, Any]
    idempotency_key: str
    timeout: float | None = None
    retry: RetryPolicy | None = None
    delay: float = 0.0
    due_at: str | None = None
    approval: dict[str, Any] | None = None
    # When a wait gives up (wait_event/human_task timeout, approval expiry); `due_at` alone never fails.
    expires_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        retry = self.retry
        return {
            "run_id": self.run_id,
            "step_id": self.step_id,
            "node_id": self.node_id,
            "kind": self.kind.value,
            "attempt": self.attempt,
            "name": self.name,
            "args": self.args,
            "idempotency_key": self.idempotency_key,
            "timeout": self.timeout,
            "retry": None if retry is None else [retry.count, retry.backoff_base, retry.backoff_max],
            "delay": self.delay,
            "due_at": self.due_at,
            "approval": self.approval,
            "expires_at": self.expires_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReadyStep:
        retry = data.get("retry")
        return cls(
            run_id=data["run_id"],
            step_id=data["step_id"],
            node_id=data["node_id"],
            kind=WorkKind(data["kind"]),
            attempt=int(data["attempt"]),
            name=data["name"],
            args=data["args"],
            idempotency_key=data["idempotency_key"],
            timeout=data.get("timeout"),
            retry=None if retry is None else RetryPolicy(int(retry[0]), float(retry[1]), float(retry[2])),
            delay=float(data.get("delay", 0.0)),
            due_at=data.get("due_at"),
            approval=data.get("approval"),
            expires_at=data.get("expires_at"),
        )


@dataclass(frozen=True)
class StepResult:
    """The worker's report on one attempt; `at` (ISO time) is when it finished."""

    step_id: str
    attempt: int
    status: ResultStatus
    output: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_code: str | None = None
    at: str | None = None


@dataclass(frozen=True)
class Event:
    """Something from outside: an analyst decision, an approval, an external event, a timer."""

    name: str
    data: dict[str, Any] = field(default_factory=dict)
    step_id: str | None = None
    actor: str | None = None
    roles: tuple[str, ...] = ()
    at: str | None = None


@dataclass(frozen=True)
class Expiry:
    """A due time the conductor applied: which step, what it did, and the time that had passed."""

    step_id: str
    attempt: int
    lapse: Lapse
    due: str


# One canonical encoder, built once (json.dumps with options builds a new encoder on every call).
_CANONICAL: Final = json.JSONEncoder(sort_keys=True, separators=(",", ":"), default=str)


def idempotency_key(run_id: str, step_id: str, visit: int, args: Any) -> str:
    """sha256 over run, step, visit (a state re-entered runs its steps anew) and resolved arguments."""
    body = _CANONICAL.encode(args)
    return hashlib.sha256(f"{run_id}\x1f{step_id}\x1f{visit}\x1f{body}".encode()).hexdigest()


def backoff_delay(policy: RetryPolicy, key: str, attempt: int) -> float:
    """Exponential backoff capped at max, with jitter in [50%, 100%] seeded by the key: deterministic."""
    raw = min(policy.backoff_max, policy.backoff_base * 2 ** max(0, attempt - 2))
    seed = hashlib.sha256(f"{key}:{attempt}".encode()).digest()
    fraction = int.from_bytes(seed[:4], "big") / 2**32
    return round(float(raw) * (0.5 + fraction / 2), 3)
