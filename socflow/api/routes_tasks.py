"""Task and comment routes: a case's tasks (with checklists and their lifecycle) and its comments."""

from __future__ import annotations

from fastapi import APIRouter, Response

from socflow.api.auth import Actor
from socflow.api.concurrency import IfMatch, expected_version, set_etag
from socflow.api.context import API_PREFIX, TrackerDep
from socflow.api.schemas_common import PageOut
from socflow.api.schemas_tasks import CommentIn, CommentOut, TaskIn, TaskOut, TaskPatch

router = APIRouter()


@router.post("/cases/{case_id}/tasks", status_code=201, tags=["tasks"])
def create_task(case_id: str, body: TaskIn, actor: Actor, tracker: TrackerDep, response: Response) -> TaskOut:
    row = tracker.tasks.create(actor, case_id, body.to_input())
    response.headers["Location"] = f"{API_PREFIX}/tasks/{row.id}"
    set_etag(response, row.version)
    return TaskOut.model_validate(row)


@router.get("/cases/{case_id}/tasks", tags=["tasks"])
def list_tasks(case_id: str, tracker: TrackerDep) -> PageOut[TaskOut]:
    """The case's tasks in the order they were added."""
    return PageOut(items=[TaskOut.model_validate(row) for row in tracker.tasks.for_case(case_id)])


@router.get("/tasks/{task_id}", tags=["tasks"])
def get_task(task_id: str, tracker: TrackerDep, response: Response) -> TaskOut:
    row = tracker.tasks.get(task_id)
    set_etag(response, row.version)
    return TaskOut.model_validate(row)


@router.patch("/tasks/{task_id}", tags=["tasks"])
def update_task(
    task_id: str, body: TaskPatch, actor: Actor, tracker: TrackerDep, if_match: IfMatch, response: Response
) -> TaskOut:
    """Edit the task and/or move its status (open, in_progress, done, cancelled) in one change."""
    row = tracker.tasks.update(
        actor, task_id, changes=body.changes(), expected_version=expected_version(body.version, if_match)
    )
    set_etag(response, row.version)
    return TaskOut.model_validate(row)


@router.post("/cases/{case_id}/comments", status_code=201, tags=["comments"])
def add_comment(case_id: str, body: CommentIn, actor: Actor, tracker: TrackerDep) -> CommentOut:
    return CommentOut.model_validate(tracker.notes.comment(actor, case_id, body.body))


@router.get("/cases/{case_id}/comments", tags=["comments"])
def list_comments(case_id: str, tracker: TrackerDep) -> PageOut[CommentOut]:
    """The case's comments, oldest first."""
    return PageOut(items=[CommentOut.model_validate(row) for row in tracker.notes.comments(case_id)])
