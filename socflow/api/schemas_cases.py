"""Case schemas: creation, edits, lifecycle actions (transition, assign, escalate, merge) and the view."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, field_validator

from socflow.api.schemas_common import (
    Instant,
    Name,
    Order,
    PageParams,
    Reason,
    RequestModel,
    ResponseModel,
    Tag,
    Text,
    Timestamp,
    Title,
    Version,
    refuse_null,
)
from socflow.api.schemas_observables import ObservableIn
from socflow.cases.case_service import CaseInput, case_tags
from socflow.cases.listing import ListQuery, SortField
from socflow.model.lifecycle import CaseStatus, Resolution
from socflow.model.severity import PAP, TLP, Severity
from socflow.storage.tables import CaseRow

Priority = Annotated[int, Field(ge=1, le=4, description="1 is the highest.")]
Tier = Annotated[int, Field(ge=1, le=3)]
Ids = Annotated[list[Name], Field(min_length=1, max_length=500)]


class CaseIn(RequestModel):
    title: Title
    severity: Severity = Severity.MEDIUM
    description: Text = ""
    priority: Priority | None = Field(default=None, description="Derived from severity when left out.")
    tier: Tier = 1
    assignee: Name | None = None
    tlp: TLP = TLP.AMBER
    pap: PAP = PAP.AMBER
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    observables: list[ObservableIn] = Field(default_factory=list, max_length=1000)

    def to_input(self) -> CaseInput:
        return CaseInput(
            title=self.title,
            severity=self.severity,
            description=self.description,
            priority=self.priority,
            tier=self.tier,
            assignee=self.assignee,
            tlp=self.tlp,
            pap=self.pap,
            tags=tuple(self.tags),
            observables=tuple(item.to_input() for item in self.observables),
        )


class CasePatch(RequestModel):
    """Descriptive fields only: status, tier and assignee change through their own actions."""

    title: Title | None = None
    description: Text | None = None
    severity: Severity | None = None
    priority: Priority | None = None
    tlp: TLP | None = None
    pap: PAP | None = None
    add_tags: list[Tag] = Field(default_factory=list, max_length=100)
    remove_tags: list[Tag] = Field(default_factory=list, max_length=100)
    version: Version | None = None

    _not_null = field_validator("title", "description", "severity", "priority", "tlp", "pap")(refuse_null)

    def changes(self) -> dict[str, Any]:
        fields = {"title", "description", "severity", "priority", "tlp", "pap"}
        return {name: getattr(self, name) for name in self.model_fields_set & fields}


class TransitionIn(RequestModel):
    to: CaseStatus
    reason: Reason = ""
    resolution: Resolution | None = Field(default=None, description="Only when moving to closed.")
    version: Version | None = None


class AssignIn(RequestModel):
    assignee: Name | None = Field(description="null leaves the case unassigned.")
    version: Version | None = None


class EscalateIn(RequestModel):
    tier: Tier
    reason: Annotated[Reason, Field(min_length=1)]
    assignee: Name | None = None
    version: Version | None = None


class MergeIn(RequestModel):
    case_ids: Ids = Field(description="Cases folded into this one; each is closed as a duplicate.")
    reason: Reason = ""


class AttachIn(RequestModel):
    alert_ids: Ids


class CaseSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SEVERITY = "severity"
    PRIORITY = "priority"


class CaseListParams(PageParams):
    status: list[CaseStatus] = Field(default_factory=list, description="Repeat for several.")
    severity: list[Severity] = Field(default_factory=list, description="Repeat for several.")
    tag: Tag | None = None
    assignee: str | None = Field(default=None, max_length=200, description="Empty: unassigned cases.")
    tier: Tier | None = None
    created_from: Instant | None = Field(default=None, description="Created at or after.")
    created_to: Instant | None = Field(default=None, description="Created before.")
    sort: CaseSort = CaseSort.CREATED_AT
    order: Order = "desc"

    def to_list_query(self) -> ListQuery:
        extra: dict[str, Any] = {}
        if self.assignee is not None:
            extra["assignee"] = self.assignee
        if self.tier is not None:
            extra["tier"] = self.tier
        return ListQuery(
            status=[str(status) for status in self.status],
            severity=list(self.severity),
            tag=self.tag,
            created_from=self.created_from,
            created_to=self.created_to,
            sort=SortField(self.sort),
            descending=self.order == "desc",
            limit=self.limit,
            cursor=self.cursor,
            extra=extra,
        )


class CaseOut(ResponseModel):
    id: str
    title: str
    description: str
    severity: Severity
    priority: int
    tier: int
    assignee: str | None
    status: CaseStatus
    resolution: Resolution | None
    tags: list[str]
    tlp: TLP
    pap: PAP
    merged_into_id: str | None
    created_by: str
    created_at: Timestamp
    updated_at: Timestamp
    incident_confirmed_at: Timestamp | None
    closed_at: Timestamp | None
    version: int

    @classmethod
    def from_row(cls, row: CaseRow) -> CaseOut:
        return cls(
            id=row.id,
            title=row.title,
            description=row.description,
            severity=Severity(row.severity),
            priority=row.priority,
            tier=row.tier,
            assignee=row.assignee,
            status=CaseStatus(row.status),
            resolution=Resolution(row.resolution) if row.resolution else None,
            tags=case_tags(row),
            tlp=TLP(row.tlp),
            pap=PAP(row.pap),
            merged_into_id=row.merged_into_id,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            incident_confirmed_at=row.incident_confirmed_at,
            closed_at=row.closed_at,
            version=row.version,
        )
