"""Argument checks of the case_operation step, shared by the worker and the rehearsal's simulated case."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final, NamedTuple, TypeVar

from socflow.errors import Issue, ValidationFailed
from socflow.model.lifecycle import CaseStatus, Resolution
from socflow.model.observable import ObservableType, canonical_value
from socflow.model.severity import TLP, Severity
from socflow.model.tags import clean_tags

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


def tag_arguments(args: Mapping[str, Any]) -> list[str]:
    """The tags to add (one tag or a non-empty list), in their canonical form."""
    raw = given_arguments("add_tag", args, {"tag"}).get("tag")
    tags = [raw] if isinstance(raw, str) else raw
    if not isinstance(tags, list) or not tags or not all(isinstance(tag, str) for tag in tags):
        raise bad_argument("add_tag", "tag", "must be a tag or a non-empty list of tags")
    return clean_tags(tags, "add_tags")


class ObservableArguments(NamedTuple):
    kind: ObservableType
    value: str  # canonical
    ioc: bool
    tlp: TLP | None


def observable_arguments(args: Mapping[str, Any]) -> ObservableArguments:
    """The observable to add, its value in canonical form (`::ffff:10.0.0.1` is `10.0.0.1`)."""
    given = given_arguments("add_observable", args, {"kind", "value", "tlp", "ioc"})
    kind = choice_argument("add_observable", ObservableType, given.get("kind"), "kind")
    value = text_argument("add_observable", given, "value", required=True)
    ioc = given.get("ioc", False)
    if not isinstance(ioc, bool):
        raise bad_argument("add_observable", "ioc", "must be true or false")
    tlp = None if given.get("tlp") is None else choice_argument("add_observable", TLP, given["tlp"], "tlp")
    try:
        value = canonical_value(kind, value, path="observables[0].value")
    except ValidationFailed as exc:
        problem = "; ".join(issue.message for issue in exc.issues)
        raise bad_argument("add_observable", "value", f"is not a valid {kind.value}: {problem}") from None
    return ObservableArguments(kind, value, ioc, tlp)
