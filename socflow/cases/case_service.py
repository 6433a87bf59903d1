"""Cases: creation, edits, NIST lifecycle moves, tiers and assignment, observables, and the timeline."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from socflow.cases.listing import ListQuery, SortField, apply_common, sort_column
from socflow.cases.observables import ObservableInput, case_counts, parse_observables, sight
from socflow.cases.uow import (
    UnitOfWork,
    check_version,
    diff,
    fetch,
    now,
    parse_enum,
    snapshot,
    unit_of_work,
)
from socflow.errors import Issue, ValidationFailed
from socflow.model.ids import new_id
from socflow.model.lifecycle import INCIDENT_STATUSES, CaseStatus, Resolution, check_case_transition
from socflow.model.severity import PAP, TLP, Severity
from socflow.model.tags import clean_tags
from socflow.storage import audit
from socflow.storage.db import Database
from socflow.storage.pagination import Page, paginate
from socflow.storage.tables import AuditEntryRow, CaseObservableRow, CaseRow, CaseTagRow, CommentRow, TaskRow

AUDITED = (
    "title",
    "description",
    "severity",
    "priority",
    "tier",
    "assignee",
    "status",
    "resolution",
    "tlp",
    "pap",
    "merged_into_id",
    "tags",
)
MIN_TIER, MAX_TIER = 1, 3
_PRIORITY_FOR: dict[Severity, int] = {
    Severity.CRITICAL: 1,
    Severity.HIGH: 2,
    Severity.MEDIUM: 3,
    Severity.LOW: 4,
    Severity.INFORMATIONAL: 4,
}


@dataclass(frozen=True)
class CaseInput:
    title: str
    severity: Severity = Severity.MEDIUM
    description: str = ""
    priority: int | None = None
    tier: int = MIN_TIER
    assignee: str | None = None
    tlp: TLP = TLP.AMBER
    pap: PAP = PAP.AMBER
    tags: Sequence[str] = ()
    observables: Sequence[ObservableInput] = ()


def case_tags(row: CaseRow) -> list[str]:
    return sorted(tag.tag for tag in row.tag_rows)


def audit_view(row: CaseRow) -> dict[str, Any]:
    view = snapshot(row, tuple(name for name in AUDITED if name != "tags"))
    view["tags"] = case_tags(row)
    return view


def check_title(title: str) -> None:
    if not isinstance(title, str) or not title.strip() or len(title) > 500:
        raise ValidationFailed(
            "title must be 1 to 500 characters", issues=[Issue("title", "1 to 500 characters")]
        )


def check_tier(tier: int, path: str = "tier") -> None:
    if not isinstance(tier, int) or isinstance(tier, bool) or not MIN_TIER <= tier <= MAX_TIER:
        raise ValidationFailed(f"{path} must be 1, 2 or 3", issues=[Issue(path, "1, 2 or 3")])


def check_assignee(assignee: str | None) -> None:
    if assignee is not None and (not assignee.strip() or len(assignee) > 200):
        raise ValidationFailed("assignee must be 1 to 200 characters", issues=[Issue("assignee", "1 to 200")])


def check_priority(priority: int) -> None:
    if not isinstance(priority, int) or isinstance(priority, bool) or not 1 <= priority <= 4:
        raise ValidationFailed("priority must be 1 (highest) to 4", issues=[Issue("priority", "1 to 4")])


def link_case_observables(work: UnitOfWork, row: CaseRow, items: Sequence[ObservableInput]) -> None:
    linked = {link.observable_id for link in row.observable_links}
    for item in sorted(items, key=lambda entry: (entry.type, entry.value)):  # one lock order: no deadlock
        observable = sight(work, item)
        if observable.id not in linked:
            row.observable_links.append(
                CaseObservableRow(observable_id=observable.id, observable=observable, added_by=work.actor)
            )
            linked.add(observable.id)
            work.record("case", row.id, "observable_added", after={"observable_id": observable.id})


def new_case_row(work: UnitOfWork, data: CaseInput) -> CaseRow:
    """Validate `data` and add a new case row (with its audit entry) to the unit of work."""
    check_title(data.title)
    check_tier(data.tier)
    check_assignee(data.assignee)  # the column holds 200 characters; PostgreSQL would refuse more late
    priority = data.priority if data.priority is not None else _PRIORITY_FOR[data.severity]
    check_priority(priority)
    stamp = now()
    row = CaseRow(
        id=new_id("case"),
        title=data.title,
        description=data.description,
        severity=str(data.severity),
        severity_rank=data.severity.rank,
        priority=priority,
        tier=data.tier,
        assignee=data.assignee,
        status=str(CaseStatus.NEW),
        tlp=str(data.tlp),
        pap=str(data.pap),
        resolution=None,
        merged_into_id=None,
        created_by=work.actor,
        created_at=stamp,
        updated_at=stamp,
        incident_confirmed_at=None,
        closed_at=None,
        tag_rows=[CaseTagRow(tag=t) for t in clean_tags(list(data.tags))],
        observable_links=[],  # set, not defaulted: the returned row is read after its session
    )
    work.session.add(row)
    work.record("case", row.id, "created", after=audit_view(row))
    link_case_observables(work, row, parse_observables(data.observables))
    return row


class CaseService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def create(self, actor: str, data: CaseInput) -> CaseRow:
        with unit_of_work(self.database, actor) as work:
            return new_case_row(work, data)

    def get(self, case_id: str) -> CaseRow:
        with self.database.session(write=False) as session:
            row: CaseRow = fetch(session, CaseRow, case_id, "case")
            return row

    def search(self, query: ListQuery) -> Page[CaseRow]:
        stmt = apply_common(
            select(CaseRow),
            query,
            status_column=CaseRow.status,
            severity_column=CaseRow.severity_rank,
            created_column=CaseRow.created_at,
            tag_table=CaseTagRow,
            tag_owner_column=CaseTagRow.case_id,
            id_column=CaseRow.id,
        )
        if "assignee" in query.extra:
            assignee = query.extra["assignee"]
            stmt = stmt.where(
                CaseRow.assignee.is_(None) if assignee in ("", None) else CaseRow.assignee == assignee
            )
        if tier := query.extra.get("tier"):
            stmt = stmt.where(CaseRow.tier == tier)
        column = sort_column(
            query,
            {
                SortField.CREATED_AT: CaseRow.created_at,
                SortField.UPDATED_AT: CaseRow.updated_at,
                SortField.SEVERITY: CaseRow.severity_rank,
                SortField.PRIORITY: CaseRow.priority,
            },
            "case",
        )
        with self.database.session(write=False) as session:
            return paginate(
                session,
                stmt,
                sort_name=str(query.sort),
                sort_column=column,
                id_column=CaseRow.id,
                descending=query.descending,
                limit=query.limit,
                cursor=query.cursor,
            )

    def update(
        self,
        actor: str,
        case_id: str,
        *,
        changes: dict[str, Any],
        add_tags: Sequence[str] = (),
        remove_tags: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> CaseRow:
        """Edit descriptive fields (title, description, severity, priority, tlp, pap) and tags."""
        allowed = {"title", "description", "severity", "priority", "tlp", "pap"}
        unknown = sorted(set(changes) - allowed)
        if unknown:
            raise ValidationFailed(
                f"these fields cannot be edited here: {', '.join(unknown)}",
                issues=[Issue(name, "use the lifecycle, assign or escalate actions") for name in unknown],
            )
        with unit_of_work(self.database, actor) as work:
            row: CaseRow = work.get(CaseRow, case_id, "case")
            check_version(row, expected_version, "case")
            before = audit_view(row)
            if "title" in changes:
                check_title(changes["title"])
                row.title = changes["title"]
            if "description" in changes:
                row.description = changes["description"]
            if "severity" in changes:
                severity = parse_enum(Severity, changes["severity"], "severity")
                row.severity, row.severity_rank = str(severity), severity.rank
            if "priority" in changes:
                check_priority(changes["priority"])
                row.priority = changes["priority"]
            if "tlp" in changes:
                row.tlp = str(parse_enum(TLP, changes["tlp"], "tlp"))
            if "pap" in changes:
                row.pap = str(parse_enum(PAP, changes["pap"], "pap"))
            drop = set(clean_tags(list(remove_tags), "remove_tags"))
            row.tag_rows = [tag for tag in row.tag_rows if tag.tag not in drop]
            known = set(case_tags(row))
            row.tag_rows.extend(
                CaseTagRow(tag=t) for t in clean_tags(list(add_tags), "add_tags") if t not in known
            )
            self._touch(work, row, before, "updated")
            return row

    def _touch(
        self, work: UnitOfWork, row: CaseRow, before: dict[str, Any], action: str, **extra: Any
    ) -> None:
        old, new = diff(before, audit_view(row))
        if new or extra:
            row.updated_at = now()
            work.record("case", row.id, action, before=old, after={**new, **extra})

    def transition(
        self,
        actor: str,
        case_id: str,
        to: CaseStatus,
        *,
        reason: str = "",
        resolution: Resolution | None = None,
        expected_version: int | None = None,
    ) -> CaseRow:
        """Move the case along its lifecycle; an illegal move names the status and the allowed moves."""
        with unit_of_work(self.database, actor) as work:
            row: CaseRow = work.get(CaseRow, case_id, "case")
            check_version(row, expected_version, "case")
            if row.merged_into_id is not None:
                raise ValidationFailed(
                    f"case {case_id!r} was merged into {row.merged_into_id!r}; work on that case",
                    issues=[Issue("case", "merged")],
                )
            before = audit_view(row)
            row.resolution = check_case_transition(CaseStatus(row.status), to, resolution)
            row.status = str(to)
            stamp = now()
            if to in INCIDENT_STATUSES and row.incident_confirmed_at is None:
                row.incident_confirmed_at = stamp
            row.closed_at = stamp if to == CaseStatus.CLOSED else None
            self._touch(work, row, before, "transitioned", reason=reason)
            return row

    def assign(
        self, actor: str, case_id: str, assignee: str | None, *, expected_version: int | None = None
    ) -> CaseRow:
        check_assignee(assignee)
        with unit_of_work(self.database, actor) as work:
            row: CaseRow = work.get(CaseRow, case_id, "case")
            check_version(row, expected_version, "case")
            before = audit_view(row)
            row.assignee = assignee.strip() if assignee else None
            self._touch(work, row, before, "assigned" if before["assignee"] is None else "reassigned")
            return row

    def escalate(
        self,
        actor: str,
        case_id: str,
        tier: int,
        *,
        reason: str,
        assignee: str | None = None,
        expected_version: int | None = None,
    ) -> CaseRow:
        """Move the case to another tier (up: escalation, down: de-escalation), optionally reassigning it."""
        check_tier(tier)
        if not reason.strip():
            raise ValidationFailed(
                "a tier change needs a reason", issues=[Issue("reason", "must not be empty")]
            )
        with unit_of_work(self.database, actor) as work:
            row: CaseRow = work.get(CaseRow, case_id, "case")
            check_version(row, expected_version, "case")
            if tier == row.tier:
                raise ValidationFailed(
                    f"case {case_id!r} is already at tier {tier}", issues=[Issue("tier", "unchanged")]
                )
            before = audit_view(row)
            action = "escalated" if tier > row.tier else "deescalated"
            row.tier = tier
            if assignee is not None:
                row.assignee = assignee or None
            self._touch(work, row, before, action, reason=reason)
            return row

    def add_observables(self, actor: str, case_id: str, items: Sequence[ObservableInput]) -> CaseRow:
        parsed = parse_observables(items)
        with unit_of_work(self.database, actor) as work:
            row: CaseRow = work.get(CaseRow, case_id, "case")
            link_case_observables(work, row, parsed)
            row.updated_at = now()
            return row

    def remove_observable(self, actor: str, case_id: str, observable_id: str) -> CaseRow:
        with unit_of_work(self.database, actor) as work:
            row: CaseRow = work.get(CaseRow, case_id, "case")
            kept = [link for link in row.observable_links if link.observable_id != observable_id]
            if len(kept) == len(row.observable_links):
                raise ValidationFailed(
                    f"observable {observable_id!r} is not linked to case {case_id!r}",
                    issues=[Issue("observable_id", "not linked")],
                )
            row.observable_links = kept
            row.updated_at = now()
            work.record("case", row.id, "observable_removed", before={"observable_id": observable_id})
            return row

    def observables(self, case_id: str) -> list[tuple[CaseObservableRow, int]]:
        """The case's observables, each with how many *other* cases also contain it."""
        with self.database.session(write=False) as session:
            row: CaseRow = fetch(session, CaseRow, case_id, "case")
            links = list(row.observable_links)
            counts = case_counts(session, [link.observable_id for link in links])
            return [(link, counts.get(link.observable_id, 1) - 1) for link in links]

    def timeline(self, case_id: str) -> list[AuditEntryRow]:
        """Every journal entry about the case, its tasks and its comments, oldest first."""
        with self.database.session(write=False) as session:
            fetch(session, CaseRow, case_id, "case")
            task_ids = session.execute(select(TaskRow.id).where(TaskRow.case_id == case_id)).scalars()
            comment_ids = session.execute(
                select(CommentRow.id).where(CommentRow.case_id == case_id)
            ).scalars()
            refs = [
                ("case", case_id),
                *(("task", t) for t in task_ids),
                *(("comment", c) for c in comment_ids),
            ]
            return audit.entries_for_many(session, refs)
