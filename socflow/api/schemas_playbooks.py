"""Playbook catalogue schemas: catalogue entries, versions (with source), validation and rehearsal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, StringConstraints

from socflow.api.schemas_common import ProblemIssue, RequestModel, ResponseModel
from socflow.errors import Issue
from socflow.playbooks.rehearse import RehearsalReport
from socflow.worker.catalogue import MAX_SOURCE_CHARS

Source = Annotated[str, StringConstraints(min_length=1, max_length=MAX_SOURCE_CHARS)]


class SourceIn(RequestModel):
    """A YAML document wrapped in JSON, for clients that only send JSON."""

    source: Source = Field(description="The YAML text, exactly as it should be stored.")


class PublishIn(RequestModel):
    version: int | None = Field(
        default=None, ge=1, description="The version number; default the latest draft."
    )


class PlaybookOut(ResponseModel):
    id: str
    name: str
    description: str
    owner: str
    tags: list[str]
    kind: str
    published_version_id: str | None
    created_at: datetime
    updated_at: datetime


class VersionOut(ResponseModel):
    id: str = Field(description="The version id (`id@version:digest`) a run records.")
    playbook_id: str
    number: int
    version: int = Field(description="The document's own `version` field.")
    status: str
    content_hash: str
    created_by: str
    created_at: datetime
    published_by: str | None
    published_at: datetime | None


class VersionDetailOut(VersionOut):
    source: str = Field(validation_alias="source_text")


class ValidationOut(BaseModel):
    valid: bool
    issues: list[ProblemIssue]

    @classmethod
    def from_issues(cls, issues: list[Issue]) -> ValidationOut:
        return cls(valid=not issues, issues=[ProblemIssue(**issue.to_dict()) for issue in issues])


class CaseResultOut(BaseModel):
    name: str
    passed: bool
    failures: list[str]
    path: list[str]
    status: str
    outcome: str | None
    edges: list[str]


class RehearsalOut(BaseModel):
    passed: bool
    edge_count: int
    uncovered: list[str] = Field(description="Edges of the graph that no case went through.")
    cases: list[CaseResultOut]

    @classmethod
    def from_report(cls, report: RehearsalReport) -> RehearsalOut:
        cases: list[dict[str, Any]] = [vars(case) for case in report.cases]
        return cls(
            passed=report.passed,
            edge_count=report.edge_count,
            uncovered=list(report.uncovered),
            cases=[CaseResultOut(**case) for case in cases],
        )
