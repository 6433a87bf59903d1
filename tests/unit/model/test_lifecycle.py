"""Lifecycle tables: every allowed move succeeds, every other move is refused and says what is allowed."""

from __future__ import annotations

import itertools

import pytest

from socflow.errors import Conflict, InvalidTransition, ValidationFailed
from socflow.model.lifecycle import (
    ALERT_TRANSITIONS,
    CASE_TRANSITIONS,
    INCIDENT_STATUSES,
    TASK_TRANSITIONS,
    AlertStatus,
    CaseStatus,
    Resolution,
    TaskStatus,
    check_alert_transition,
    check_case_transition,
    check_task_transition,
)

CASE_PAIRS = list(itertools.product(CaseStatus, CaseStatus))
ALLOWED_CASE_MOVES = [(c, t) for c, t in CASE_PAIRS if t in CASE_TRANSITIONS[c]]
REFUSED_CASE_MOVES = [(c, t) for c, t in CASE_PAIRS if t not in CASE_TRANSITIONS[c]]
NON_INCIDENT = [Resolution.FALSE_POSITIVE, Resolution.BENIGN, Resolution.DUPLICATE]


def _pair_id(pair: tuple[object, object]) -> str:
    return f"{pair[0]}->{pair[1]}"


def _a_valid_resolution(current: CaseStatus, target: CaseStatus) -> Resolution | None:
    accepted = CASE_TRANSITIONS[current][target]
    return sorted(accepted)[0] if target is CaseStatus.CLOSED else None


def test_case_transitions_table_covers_every_status() -> None:
    assert set(CASE_TRANSITIONS) == set(CaseStatus)
    assert len(ALLOWED_CASE_MOVES) + len(REFUSED_CASE_MOVES) == len(CaseStatus) ** 2
    assert ALLOWED_CASE_MOVES  # the split is not vacuous
    assert REFUSED_CASE_MOVES


def test_case_transitions_reach_every_status_from_new() -> None:
    reached, frontier = {CaseStatus.NEW}, [CaseStatus.NEW]
    while frontier:
        for target in CASE_TRANSITIONS[frontier.pop()]:
            if target not in reached:
                reached.add(target)
                frontier.append(target)
    assert reached == set(CaseStatus)


@pytest.mark.parametrize(("current", "target"), ALLOWED_CASE_MOVES, ids=map(_pair_id, ALLOWED_CASE_MOVES))
def test_case_transition_every_allowed_move_succeeds(current: CaseStatus, target: CaseStatus) -> None:
    resolution = _a_valid_resolution(current, target)

    assert check_case_transition(current, target, resolution) == resolution


@pytest.mark.parametrize(("current", "target"), REFUSED_CASE_MOVES, ids=map(_pair_id, REFUSED_CASE_MOVES))
def test_case_transition_every_other_move_is_refused_naming_status_and_allowed_moves(
    current: CaseStatus, target: CaseStatus
) -> None:
    with pytest.raises(InvalidTransition) as caught:
        check_case_transition(current, target, None)

    message = str(caught.value)
    allowed = [str(status) for status in CASE_TRANSITIONS[current]]
    assert f"from '{current}' to '{target}'" in message
    assert message.endswith(f"allowed from '{current}': {', '.join(allowed)}")
    assert "<" not in message  # status names, not enum reprs
    assert caught.value.details == {"current": str(current), "target": str(target), "allowed": allowed}


def test_case_transition_refusal_is_a_conflict() -> None:
    with pytest.raises(Conflict) as caught:
        check_case_transition(CaseStatus.NEW, CaseStatus.RECOVERY, None)

    assert caught.value.code == "invalid_transition"
    assert caught.value.http_status == 409


@pytest.mark.parametrize("current", [CaseStatus.NEW, CaseStatus.TRIAGE, CaseStatus.INVESTIGATING])
@pytest.mark.parametrize("resolution", NON_INCIDENT)
def test_case_close_before_an_incident_accepts_a_non_incident_resolution(
    current: CaseStatus, resolution: Resolution
) -> None:
    assert check_case_transition(current, CaseStatus.CLOSED, resolution) is resolution


@pytest.mark.parametrize("resolution", [None, Resolution.TRUE_POSITIVE])
def test_case_close_from_triage_needs_false_positive_benign_or_duplicate(
    resolution: Resolution | None,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_case_transition(CaseStatus.TRIAGE, CaseStatus.CLOSED, resolution)

    assert [issue.path for issue in caught.value.issues] == ["resolution"]
    assert "benign, duplicate, false_positive" in str(caught.value)
    assert "'triage'" in str(caught.value)


def test_case_close_from_post_incident_review_defaults_to_true_positive() -> None:
    resolution = check_case_transition(CaseStatus.POST_INCIDENT_REVIEW, CaseStatus.CLOSED, None)

    assert resolution is Resolution.TRUE_POSITIVE


@pytest.mark.parametrize("resolution", NON_INCIDENT)
def test_case_close_from_post_incident_review_refuses_a_non_incident_resolution(
    resolution: Resolution,
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_case_transition(CaseStatus.POST_INCIDENT_REVIEW, CaseStatus.CLOSED, resolution)

    assert caught.value.issues[0].path == "resolution"
    assert "true_positive" in caught.value.issues[0].message


@pytest.mark.parametrize(
    ("current", "target"), [(c, t) for c, t in ALLOWED_CASE_MOVES if t is not CaseStatus.CLOSED]
)
def test_case_resolution_on_a_move_that_does_not_close_is_refused(
    current: CaseStatus, target: CaseStatus
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_case_transition(current, target, Resolution.BENIGN)

    assert caught.value.issues[0].path == "resolution"
    assert f"'{target}'" in caught.value.issues[0].message


def test_case_transition_given_as_plain_strings_still_needs_a_resolution_to_close() -> None:
    with pytest.raises(ValidationFailed):
        check_case_transition("triage", "closed", None)  # type: ignore[arg-type]

    assert check_case_transition("triage", "closed", "benign") is Resolution.BENIGN  # type: ignore[arg-type]


def test_case_transition_to_an_unknown_status_is_refused_naming_status() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_case_transition(CaseStatus.NEW, "archived", None)  # type: ignore[arg-type]

    assert caught.value.issues[0].path == "status"


def test_incident_statuses_are_the_response_phases() -> None:
    assert {
        CaseStatus.CONTAINMENT,
        CaseStatus.ERADICATION,
        CaseStatus.RECOVERY,
        CaseStatus.POST_INCIDENT_REVIEW,
    } == INCIDENT_STATUSES


ALERT_PAIRS = list(itertools.product(AlertStatus, AlertStatus))


@pytest.mark.parametrize(("current", "target"), ALERT_PAIRS, ids=map(_pair_id, ALERT_PAIRS))
def test_alert_transition_follows_the_table(current: AlertStatus, target: AlertStatus) -> None:
    if target in ALERT_TRANSITIONS[current]:
        check_alert_transition(current, target)
        return
    with pytest.raises(InvalidTransition) as caught:
        check_alert_transition(current, target)
    allowed = ", ".join(sorted(ALERT_TRANSITIONS[current]))
    assert str(caught.value) == (
        f"cannot move alert from '{current}' to '{target}'; allowed from '{current}': {allowed}"
    )


def test_alert_transitions_table_covers_every_status() -> None:
    assert set(ALERT_TRANSITIONS) == set(AlertStatus)
    assert all(status not in moves for status, moves in ALERT_TRANSITIONS.items())


TASK_PAIRS = list(itertools.product(TaskStatus, TaskStatus))


@pytest.mark.parametrize(("current", "target"), TASK_PAIRS, ids=map(_pair_id, TASK_PAIRS))
def test_task_transition_follows_the_table(current: TaskStatus, target: TaskStatus) -> None:
    if target in TASK_TRANSITIONS[current]:
        check_task_transition(current, target)
        return
    with pytest.raises(InvalidTransition) as caught:
        check_task_transition(current, target)
    assert caught.value.details["allowed"] == sorted(str(s) for s in TASK_TRANSITIONS[current])
    assert f"from '{current}' to '{target}'" in str(caught.value)


def test_task_transitions_table_covers_every_status() -> None:
    assert set(TASK_TRANSITIONS) == set(TaskStatus)
    assert TaskStatus.DONE in TASK_TRANSITIONS[TaskStatus.OPEN]
    assert TaskStatus.CANCELLED not in TASK_TRANSITIONS[TaskStatus.DONE]
