"""Task and comment schemas: tasks with a checklist and their own lifecycle, and case comments."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

from socflow.api.schemas_common import (
    Instant,
    Name,
    RequestModel,
    ResponseModel,
    Text,
    Timestamp,
    Title,
    Version,
    refuse_null,
)
from socflow.cases.tasks import ChecklistItem, TaskInput
from socflow.model.lifecycle import TaskStatus

CommentBody = Annotated[str, StringConstraints(min_length=1, max_length=100_000)]


class ChecklistItemModel(RequestModel):
    text: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    done: bool = False

    def to_item(self) -> ChecklistItem:
        return ChecklistItem(self.text, self.done)


Checklist = Annotated[list[ChecklistItemModel], Field(max_length=200)]


class TaskIn(RequestModel):
    title: Title
    instructions: Text = ""
    checklist: Checklist = Field(default_factory=list)
    assignee: Name | None = None
    due_at: Instant | None = None

    def to_input(self) -> TaskInput:
        return TaskInput(
            title=self.title,
            instructions=self.instructions,
            checklist=tuple(item.to_item() for item in self.checklist),
            assignee=self.assignee,
            due_at=self.due_at,
        )


class TaskPatch(RequestModel):
    """Fields left out keep their value; `assignee` and `due_at` may be set to null to clear them."""

    title: Title | None = None
    instructions: Text | None = None
    checklist: Checklist | None = None
    assignee: Name | None = None
    due_at: Instant | None = None
    status: TaskStatus | None = None
    version: Version | None = None

    _not_null = field_validator("title", "instructions", "checklist", "status")(refuse_null)

    def changes(self) -> dict[str, Any]:
        changes: dict[str, Any] = {}
        for name in self.model_fields_set - {"version"}:
            changes[name] = getattr(self, name)
        if self.checklist is not None:
            changes["checklist"] = [item.to_item() for item in self.checklist]
        return changes


class ChecklistItemOut(ResponseModel):
    text: str
    done: bool


class TaskOut(ResponseModel):
    id: str
    case_id: str
    position: int
    title: str
    instructions: str
    checklist: list[ChecklistItemOut]
    assignee: str | None
    status: TaskStatus
    due_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp
    completed_at: Timestamp | None
    version: int


class CommentIn(RequestModel):
    body: CommentBody


class CommentOut(ResponseModel):
    id: str
    case_id: str
    author: str
    body: str
    created_at: Timestamp
