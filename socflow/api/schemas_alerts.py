"""Alert schemas: intake (upsert), edits, status moves, promotion, listing filters and the alert view."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import Field, StringConstraints, field_validator

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
from socflow.api.schemas_observables import ObservableIn, ObservableRef
from socflow.cases.alerts import AlertInput, alert_tags
from socflow.cases.listing import ListQuery, SortField
from socflow.model.lifecycle import AlertStatus
from socflow.model.severity import PAP, TLP, Severity
from socflow.storage.tables import AlertRow

EventRef = Annotated[str, StringConstraints(min_length=1, max_length=500)]


class AlertIn(RequestModel):
    """An alert from a source; the same (source, source_ref) again updates it and counts it."""

    source: Name
    source_ref: Name
    title: Title
    severity: Severity
    description: Text = ""
    tlp: TLP = TLP.AMBER
    pap: PAP = PAP.AMBER
    tags: list[Tag] = Field(default_factory=list, max_length=100)
    observables: list[ObservableIn] = Field(default_factory=list, max_length=1000)
    event_refs: list[EventRef] = Field(default_factory=list, max_length=1000)
    first_seen: Instant | None = None
    last_seen: Instant | None = None

    def to_input(self) -> AlertInput:
        return AlertInput(
            source=self.source,
            source_ref=self.source_ref,
            title=self.title,
            severity=self.severity,
            description=self.description,
            tlp=self.tlp,
            pap=self.pap,
            tags=tuple(self.tags),
            observables=tuple(item.to_input() for item in self.observables),
            event_refs=tuple(self.event_refs),
            first_seen=self.first_seen,
            last_seen=self.last_seen,
        )


class AlertPatch(RequestModel):
    title: Title | None = None
    description: Text | None = None
    severity: Severity | None = None
    tlp: TLP | None = None
    pap: PAP | None = None
    add_tags: list[Tag] = Field(default_factory=list, max_length=100)
    remove_tags: list[Tag] = Field(default_factory=list, max_length=100)
    version: Version | None = None

    _not_null = field_validator("title", "description", "severity", "tlp", "pap")(refuse_null)


class AlertStatusIn(RequestModel):
    to: AlertStatus
    reason: Reason = ""
    version: Version | None = None


class PromoteIn(RequestModel):
    title: Title | None = None
    assignee: Name | None = None


class AlertSort(StrEnum):
    CREATED_AT = "created_at"
    UPDATED_AT = "updated_at"
    SEVERITY = "severity"
    LAST_SEEN = "last_seen"


class AlertPageParams(PageParams):
    """Order and page through alerts (the alerts of one case use just these)."""

    sort: AlertSort = AlertSort.CREATED_AT
    order: Order = "desc"

    def list_query(self, **filters: Any) -> ListQuery:
        return ListQuery(
            sort=SortField(self.sort),
            descending=self.order == "desc",
            limit=self.limit,
            cursor=self.cursor,
            **filters,
        )


class AlertListParams(AlertPageParams):
    status: list[AlertStatus] = Field(default_factory=list, description="Repeat for several.")
    severity: list[Severity] = Field(default_factory=list, description="Repeat for several.")
    tag: Tag | None = None
    source: Name | None = None
    case_id: Name | None = None
    created_from: Instant | None = Field(default=None, description="Created at or after.")
    created_to: Instant | None = Field(default=None, description="Created before.")

    def to_list_query(self) -> ListQuery:
        extra = {name: value for name in ("source", "case_id") if (value := getattr(self, name))}
        return self.list_query(
            status=[str(status) for status in self.status],
            severity=list(self.severity),
            tag=self.tag,
            created_from=self.created_from,
            created_to=self.created_to,
            extra=extra,
        )


class AlertOut(ResponseModel):
    id: str
    source: str
    source_ref: str
    title: str
    description: str
    severity: Severity
    status: AlertStatus
    tlp: TLP
    pap: PAP
    tags: list[str]
    observables: list[ObservableRef]
    event_refs: list[str]
    count: int = Field(description="How many times the source sent this alert.")
    first_seen: Timestamp
    last_seen: Timestamp
    case_id: str | None
    created_at: Timestamp
    updated_at: Timestamp
    version: int

    @classmethod
    def from_row(cls, row: AlertRow) -> AlertOut:
        return cls(
            id=row.id,
            source=row.source,
            source_ref=row.source_ref,
            title=row.title,
            description=row.description,
            severity=Severity(row.severity),
            status=AlertStatus(row.status),
            tlp=TLP(row.tlp),
            pap=PAP(row.pap),
            tags=alert_tags(row),
            observables=[ObservableRef.model_validate(link.observable) for link in row.observable_links],
            event_refs=[str(ref) for ref in row.event_refs],
            count=row.count,
            first_seen=row.first_seen,
            last_seen=row.last_seen,
            case_id=row.case_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
            version=row.version,
        )
