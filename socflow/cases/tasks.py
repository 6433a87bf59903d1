"""Case tasks: instructions, a checklist, an assignee, a due time and their own small lifecycle."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from socflow.cases.uow import (
    check_version,
    diff,
    fetch,
    now,
    parse_enum,
    require_aware,
    snapshot,
    unit_of_work,
)
from socflow.errors import Issue, ValidationFailed
from socflow.model.ids import new_id
from socflow.model.lifecycle import TaskStatus, check_task_transition
from socflow.storage.db import Database
from socflow.storage.tables import CaseRow, TaskRow

AUDITED = ("case_id", "title", "instructions", "checklist", "assignee", "status", "due_at")


@dataclass(frozen=True)
class ChecklistItem:
    text: str
    done: bool = False


@dataclass(frozen=True)
class TaskInput:
    title: str
    instructions: str = ""
    checklist: Sequence[ChecklistItem] = ()
    assignee: str | None = None
    due_at: datetime | None = None


def _checklist(items: Sequence[ChecklistItem], path: str = "checklist") -> list[dict[str, Any]]:
    issues = [
        Issue(f"{path}[{i}].text", "must not be empty")
        for i, item in enumerate(items)
        if not item.text.strip()
    ]
    if issues:
        raise ValidationFailed("checklist items need text", issues=issues)
    return [{"text": item.text.strip(), "done": item.done} for item in items]


def _title(title: str) -> str:
    if not title.strip() or len(title) > 500:
        raise ValidationFailed(
            "title must be 1 to 500 characters", issues=[Issue("title", "1 to 500 characters")]
        )
    return title.strip()


def _assignee(assignee: str | None) -> str | None:
    """None or "" leaves the task unassigned; a name is 1 to 200 characters (the column's size)."""
    if not assignee:
        return None
    if not assignee.strip() or len(assignee.strip()) > 200:
        raise ValidationFailed("assignee must be 1 to 200 characters", issues=[Issue("assignee", "1 to 200")])
    return assignee.strip()


class TaskService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, actor: str, case_id: str, data: TaskInput) -> TaskRow:
        title, checklist, assignee = _title(data.title), _checklist(data.checklist), _assignee(data.assignee)
        require_aware(data.due_at, "due_at")
        with unit_of_work(self.database, actor) as work:
            case: CaseRow = work.get(CaseRow, case_id, "case")
            position = work.session.execute(
                select(func.coalesce(func.max(TaskRow.position), 0)).where(TaskRow.case_id == case_id)
            ).scalar_one()
            stamp = now()
            row = TaskRow(
                id=new_id("task"),
                case_id=case.id,
                position=int(position) + 1,
                title=title,
                instructions=data.instructions,
                checklist=checklist,
                assignee=assignee,
                status=str(TaskStatus.OPEN),
                due_at=data.due_at,
                created_at=stamp,
                updated_at=stamp,
                completed_at=None,  # set, not defaulted: the returned row is read after its session
            )
            work.session.add(row)
            work.record("task", row.id, "created", after=snapshot(row, AUDITED))
            return row

    def for_case(self, case_id: str) -> list[TaskRow]:
        with self.database.session(write=False) as session:
            fetch(session, CaseRow, case_id, "case")
            stmt = select(TaskRow).where(TaskRow.case_id == case_id).order_by(TaskRow.position, TaskRow.id)
            return list(session.execute(stmt).scalars())

    def get(self, task_id: str) -> TaskRow:
        with self.database.session(write=False) as session:
            row: TaskRow = fetch(session, TaskRow, task_id, "task")
            return row

    def update(
        self,
        actor: str,
        task_id: str,
        *,
        changes: dict[str, Any],
        expected_version: int | None = None,
    ) -> TaskRow:
        """Edit title, instructions, checklist, assignee, due time and/or status in one change."""
        allowed = {"title", "instructions", "checklist", "assignee", "due_at", "status"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise ValidationFailed(
                f"unknown task fields: {', '.join(unknown)}",
                issues=[Issue(name, "unknown field") for name in unknown],
            )
        with unit_of_work(self.database, actor) as work:
            row: TaskRow = work.get(TaskRow, task_id, "task")
            check_version(row, expected_version, "task")
            before = snapshot(row, AUDITED)
            if "title" in changes:
                row.title = _title(changes["title"])
            if "instructions" in changes:
                row.instructions = changes["instructions"]
            if "checklist" in changes:
                row.checklist = _checklist(changes["checklist"])
            if "assignee" in changes:
                row.assignee = _assignee(changes["assignee"])
            if "due_at" in changes:
                row.due_at = require_aware(changes["due_at"], "due_at")
            if "status" in changes:
                target = parse_enum(TaskStatus, changes["status"], "status")
                if target != row.status:
                    check_task_transition(TaskStatus(row.status), target)
                    row.status = str(target)
                    row.completed_at = now() if target is TaskStatus.DONE else None
            old, new = diff(before, snapshot(row, AUDITED))
            if new:
                row.updated_at = now()
                action = "completed" if new.get("status") == TaskStatus.DONE else "updated"
                work.record("task", row.id, action, before=old, after=new)
            return row
