"""Argument checks of the case_operation step, shared by the worker and the rehearsal's simulated case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, TypeVar

from socflow.errors import Issue, ValidationFailed
from socflow.model.lifecycle import CaseStatus, Resolution
from socflow.model.observable import ObservableType
from socflow.model.severity import TLP, Severity

INVALID: Final = "invalid_arguments"  # the error code of a step whose arguments are refused
MAX_TEXT: Final = 10_000

Choice = TypeVar("Choice", Severity, CaseStatus, Resolution, ObservableType, TLP)


def bad_argument(operation: str, name: str, problem: str) -> ValidationFailed:
    path = f"args.{name}"
    return ValidationFailed(f"case_operation {operation}: {path} {problem}", issues=[Issue(path, problem)])


def given_arguments(operation: str, args: Mapping[str, Any], accepted: set[str]) -> dict[str, Any]:
    """The step's arguments but `operation`; any name outside `accepted` is refused, all named at once."""
    given = {key: value for key, value in args.items() if key != "operation"}
    unknown = sorted(set(given) - accepted)
    if unknown:
        names = ", ".join(f"args.{name}" for name in unknown)
        allowed = ", ".join(sorted(accepted))
        raise ValidationFailed(
            f"case_operation {operation}: unknown argument(s) {names} (accepted: {allowed})",
            issues=[Issue(f"args.{name}", "unknown argument") for name in unknown],
        )
    return given


def text_argument(
    operation: str, given: Mapping[str, Any], name: str, *, required: bool, limit: int = MAX_TEXT
) -> str:
    value = given.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or not value.strip():
        raise bad_argument(operation, name, "must be a non-empty string")
    if len(value) > limit:
        raise bad_argument(operation, name, f"must be at most {limit} characters")
    return value


def choice_argument(operation: str, kind: type[Choice], value: Any, name: str) -> Choice:
    try:
        return kind(value)
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise bad_argument(operation, name, f"must be one of: {names} (got {value!r})") from None


def transition_arguments(args: Mapping[str, Any]) -> tuple[CaseStatus, Resolution | None, str]:
    """The target status, the resolution (required when closing) and the reason ("" when none)."""
    given = given_arguments("transition", args, {"status", "resolution", "reason"})
    status = choice_argument("transition", CaseStatus, given.get("status"), "status")
    resolution = given.get("resolution")
    chosen = None
    if resolution is not None:
        chosen = choice_argument("transition", Resolution, resolution, "resolution")
    if status is CaseStatus.CLOSED and chosen is None:
        raise bad_argument("transition", "resolution", "is required when closing a case")
    return status, chosen, text_argument("transition", given, "reason", required=False)
