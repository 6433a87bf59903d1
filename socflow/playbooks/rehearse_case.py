"""The rehearsal's case: case_operation steps applied in memory with the worker's rules and error codes."""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from typing import Any, Final

from socflow.errors import Issue, SocflowError, ValidationFailed
from socflow.model.lifecycle import CaseStatus, Resolution, check_case_transition
from socflow.model.severity import TLP, Severity
from socflow.playbooks.case_operation_args import (
    INVALID,
    choice_argument,
    given_arguments,
    observable_arguments,
    tag_arguments,
    text_argument,
    transition_arguments,
)
from socflow.playbooks.spec import CaseOperation
from socflow.playbooks.work import ResultStatus

# These mirror socflow.cases (a layer above playbooks, so not importable here);
# tests/unit/playbooks/test_rehearse_case.py checks that they still agree.
MAX_COMMENT: Final = 100_000
NEW_OBSERVABLE_TLP: Final = TLP.AMBER

Outcome = tuple[ResultStatus, dict[str, Any], str | None, str | None]


def initial_case(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The case a rehearsal starts from: `given` over the defaults of a new case."""
    case: dict[str, Any] = {
        "status": CaseStatus.NEW.value,
        "severity": Severity.MEDIUM.value,
        "resolution": None,
        "tags": [],
        "observables": [],
        "comments": [],
    }
    case.update(copy.deepcopy(dict(given or {})))
    return case


def check_case(case: Mapping[str, Any]) -> None:
    """Refuse (ValueError) a starting case whose fields the operations rely on are not well formed."""
    for name, kind in (("status", CaseStatus), ("severity", Severity)):
        if name in case and case[name] not in {member.value for member in kind}:
            raise ValueError(f"case.{name} must be one of: {', '.join(m.value for m in kind)}")
    if case.get("resolution") is not None and case["resolution"] not in {r.value for r in Resolution}:
        raise ValueError(f"case.resolution must be one of: {', '.join(r.value for r in Resolution)}")
    for name in ("tags", "comments"):
        value = case.get(name, [])
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise ValueError(f"case.{name} must be a list of strings")
    observables = case.get("observables", [])
    if not isinstance(observables, list) or not all(_is_observable(item) for item in observables):
        raise ValueError("case.observables must be a list of {type, value} mappings")


def _is_observable(item: Any) -> bool:
    return isinstance(item, dict) and isinstance(item.get("type"), str) and isinstance(item.get("value"), str)


def _add_tag(case: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    tags = tag_arguments(args)
    before = set(case["tags"])
    case["tags"] = sorted(before | set(tags))
    return {"tags": list(case["tags"]), "added": [tag for tag in case["tags"] if tag not in before]}


def _set_severity(case: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    given = given_arguments("set_severity", args, {"severity"})
    severity = choice_argument("set_severity", Severity, given.get("severity"), "severity").value
    before = case["severity"]
    case["severity"] = severity
    return {"severity": severity, "previous": before, "changed": before != severity}


def _transition(case: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    status, chosen, _reason = transition_arguments(args)
    previous = case["status"]
    if previous == status and (chosen is None or case["resolution"] == chosen):
        return {"status": previous, "resolution": case["resolution"], "changed": False}
    if case.get("merged_into_id") is not None:
        raise ValidationFailed(
            f"case {case.get('id')!r} was merged into {case['merged_into_id']!r}; work on that case",
            issues=[Issue("case", "merged")],
        )
    after = check_case_transition(CaseStatus(previous), status, chosen)
    case["status"], case["resolution"] = status.value, None if after is None else after.value
    return {"status": case["status"], "resolution": case["resolution"], "previous": previous, "changed": True}


def _add_observable(case: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    kind, value, ioc, tlp = observable_arguments(args)
    observables: list[dict[str, Any]] = case["observables"]
    index = next(
        (i for i, o in enumerate(observables) if (o["type"], o["value"]) == (kind.value, value)), None
    )
    if index is None:
        index = len(observables)
        observables.append({"type": kind.value, "value": value, "ioc": ioc, "tlp": NEW_OBSERVABLE_TLP.value})
    found = observables[index]
    found["ioc"] = bool(found.get("ioc", False)) or ioc  # a sighting never clears the IOC flag
    found["tlp"] = found.get("tlp", NEW_OBSERVABLE_TLP.value) if tlp is None else tlp.value
    return {
        "observable_id": found.get("id", f"rehearsal-observable-{index + 1}"),
        "kind": kind.value,
        "value": value,
        "ioc": found["ioc"],
        "tlp": found["tlp"],
    }


def _comment(case: dict[str, Any], args: Mapping[str, Any]) -> dict[str, Any]:
    text = text_argument(
        "comment", given_arguments("comment", args, {"text"}), "text", required=True, limit=MAX_COMMENT
    )
    case["comments"].append(text)
    return {"comment_id": f"rehearsal-comment-{len(case['comments'])}"}


OPERATIONS: Final[dict[str, Callable[[dict[str, Any], Mapping[str, Any]], dict[str, Any]]]] = {
    CaseOperation.ADD_TAG.value: _add_tag,
    CaseOperation.SET_SEVERITY.value: _set_severity,
    CaseOperation.TRANSITION.value: _transition,
    CaseOperation.ADD_OBSERVABLE.value: _add_observable,
    CaseOperation.COMMENT.value: _comment,
}


class SimulatedCase:
    """The run's case in memory; `perform` answers a case_operation step as the worker would.

    An operation that fails leaves the case as it was (the worker rolls its transaction back); one
    already applied under the same idempotency key returns its first result without applying again.
    """

    def __init__(self, given: Mapping[str, Any] | None) -> None:
        self.data = initial_case(given)
        self._applied: dict[str, dict[str, Any]] = {}

    def perform(self, operation: str, args: Mapping[str, Any], key: str) -> Outcome:
        apply = OPERATIONS.get(operation)
        if apply is None:
            names = ", ".join(OPERATIONS)
            return ResultStatus.FAILED, {}, f"unknown case operation {operation!r} ({names})", INVALID
        earlier = self._applied.get(key)
        if earlier is not None:
            return ResultStatus.SUCCEEDED, dict(earlier), None, None
        changed = copy.deepcopy(self.data)
        try:
            output = {"case_id": changed.get("id"), "operation": operation, **apply(changed, args)}
        except ValidationFailed as exc:
            return ResultStatus.FAILED, {}, exc.message, INVALID
        except SocflowError as exc:
            return ResultStatus.FAILED, {}, f"case_operation {operation}: {exc.message}", exc.code
        self.data = changed
        self._applied[key] = output
        return ResultStatus.SUCCEEDED, dict(output), None, None


def _has_observable(observables: list[Any], wanted: Any) -> bool:
    if not isinstance(wanted, dict):
        return False
    pair = (wanted.get("type"), wanted.get("value"))
    return any(isinstance(o, dict) and (o.get("type"), o.get("value")) == pair for o in observables)


def case_mismatches(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """`expect.case` against the final case: each key equal; listed tags and observables present."""
    failures = []
    for name, want in expected.items():
        got = actual.get(name)
        if name == "tags" and isinstance(want, list) and isinstance(got, list):
            missing = [tag for tag in want if tag not in got]
            if missing:
                failures.append(f"case.tags: expected to include {missing!r}, got {got!r}")
        elif name == "observables" and isinstance(want, list) and isinstance(got, list):
            absent = [item for item in want if not _has_observable(got, item)]
            if absent:
                present = [
                    {"type": o.get("type"), "value": o.get("value")} for o in got if isinstance(o, dict)
                ]
                failures.append(f"case.observables: expected to include {absent!r}, got {present!r}")
        elif got != want:
            failures.append(f"case.{name}: expected {want!r}, got {got!r}")
    return failures
