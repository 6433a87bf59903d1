"""Promoting alerts to cases, attaching alerts to cases, and merging duplicate cases."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update

from socflow.cases.alerts import alert_tags
from socflow.cases.case_service import CaseInput, audit_view, new_case_row
from socflow.cases.observables import ObservableInput
from socflow.cases.uow import UnitOfWork, now, unit_of_work
from socflow.errors import Conflict, Issue, ValidationFailed
from socflow.model.lifecycle import AlertStatus, CaseStatus, Resolution
from socflow.model.observable import ObservableType
from socflow.model.severity import PAP, TLP, Severity
from socflow.storage.db import Database
from socflow.storage.tables import (
    AlertRow,
    CaseObservableRow,
    CaseRow,
    CaseTagRow,
    CommentRow,
    EvidenceRow,
    TaskRow,
)


def _alert_observables(alert: AlertRow) -> list[ObservableInput]:
    return [
        ObservableInput(ObservableType(link.observable.type), link.observable.value, link.observable.ioc)
        for link in alert.observable_links
    ]


def _link_alert(work: UnitOfWork, alert: AlertRow, case: CaseRow) -> None:
    if alert.case_id is not None and alert.case_id != case.id:
        raise Conflict(
            f"alert {alert.id!r} already belongs to case {alert.case_id!r}",
            details={"case_id": alert.case_id},
        )
    before = {"case_id": alert.case_id, "status": alert.status}
    alert.case_id = case.id
    if alert.status == AlertStatus.NEW:
        alert.status = str(AlertStatus.IN_PROGRESS)
    alert.updated_at = now()
    work.record("alert", alert.id, "linked_to_case", before, {"case_id": case.id, "status": alert.status})
    known = {link.observable_id for link in case.observable_links}
    for link in alert.observable_links:
        if link.observable_id not in known:
            case.observable_links.append(
                CaseObservableRow(
                    observable_id=link.observable_id, observable=link.observable, added_by=work.actor
                )
            )
            known.add(link.observable_id)
            work.record("case", case.id, "observable_added", after={"observable_id": link.observable_id})
    case.updated_at = now()
    work.record("case", case.id, "alert_attached", after={"alert_id": alert.id})


class LinkingService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def promote(
        self, actor: str, alert_id: str, *, title: str | None = None, assignee: str | None = None
    ) -> CaseRow:
        """Open a new case from an alert: its title, severity, labels, tags and observables carry over."""
        with unit_of_work(self.database, actor) as work:
            alert: AlertRow = work.get(AlertRow, alert_id, "alert")
            if alert.case_id is not None:
                raise Conflict(f"alert {alert_id!r} already belongs to case {alert.case_id!r}")
            case = new_case_row(
                work,
                CaseInput(
                    title=title or alert.title,
                    severity=Severity(alert.severity),
                    description=alert.description,
                    assignee=assignee,
                    tlp=TLP(alert.tlp),
                    pap=PAP(alert.pap),
                    tags=alert_tags(alert),
                ),
            )
            work.session.flush()
            _link_alert(work, alert, case)
            return case

    def attach(self, actor: str, alert_ids: Sequence[str], case_id: str) -> CaseRow:
        """Attach alerts to an existing case; their observables join the case."""
        if not alert_ids:
            raise ValidationFailed(
                "name at least one alert", issues=[Issue("alert_ids", "must not be empty")]
            )
        with unit_of_work(self.database, actor) as work:
            case: CaseRow = work.get(CaseRow, case_id, "case")
            if case.merged_into_id:
                raise ValidationFailed(
                    f"case {case_id!r} was merged into {case.merged_into_id!r}",
                    issues=[Issue("case_id", "merged")],
                )
            for alert_id in alert_ids:
                _link_alert(work, work.get(AlertRow, alert_id, "alert"), case)
            return case

    def merge(self, actor: str, survivor_id: str, merged_ids: Sequence[str], reason: str = "") -> CaseRow:
        """Fold cases into the survivor: alerts, observables, tasks, comments and evidence move over;
        each merged case is closed as a duplicate and points to the survivor."""
        if not merged_ids:
            raise ValidationFailed(
                "name at least one case to merge", issues=[Issue("case_ids", "must not be empty")]
            )
        if survivor_id in merged_ids:
            raise ValidationFailed(
                "a case cannot be merged into itself", issues=[Issue("case_ids", "contains survivor")]
            )
        with unit_of_work(self.database, actor) as work:
            survivor: CaseRow = work.get(CaseRow, survivor_id, "case")
            if survivor.merged_into_id:
                raise ValidationFailed(
                    f"case {survivor_id!r} was itself merged into {survivor.merged_into_id!r}",
                    issues=[Issue("survivor", "merged")],
                )
            for merged_id in dict.fromkeys(merged_ids):
                self._fold(work, survivor, work.get(CaseRow, merged_id, "case"), reason)
            survivor.updated_at = now()
            return survivor

    def _fold(self, work: UnitOfWork, survivor: CaseRow, merged: CaseRow, reason: str) -> None:
        if merged.merged_into_id:
            raise Conflict(f"case {merged.id!r} was already merged into {merged.merged_into_id!r}")
        session = work.session
        moved: dict[str, list[str]] = {}
        for model, key, kind in (
            (AlertRow, "alerts", "alert"),
            (TaskRow, "tasks", "task"),
            (CommentRow, "comments", "comment"),
            (EvidenceRow, "evidence", "evidence"),
        ):
            ids = list(session.execute(select(model.id).where(model.case_id == merged.id)).scalars())
            if ids:
                session.execute(
                    update(model).where(model.case_id == merged.id).values(case_id=survivor.id),
                    execution_options={"synchronize_session": False},
                )
                moved[key] = ids
            for object_id in ids:  # each object's own history shows the move, not only the survivor's
                work.record(
                    kind, object_id, "moved_to_case", {"case_id": merged.id}, {"case_id": survivor.id}
                )
        known = {link.observable_id for link in survivor.observable_links}
        for link in merged.observable_links:
            if link.observable_id not in known:
                survivor.observable_links.append(
                    CaseObservableRow(
                        observable_id=link.observable_id, observable=link.observable, added_by=work.actor
                    )
                )
                known.add(link.observable_id)
        moved["observables"] = [link.observable_id for link in merged.observable_links]
        survivor_tags = {tag.tag for tag in survivor.tag_rows}
        survivor.tag_rows.extend(CaseTagRow(tag=t.tag) for t in merged.tag_rows if t.tag not in survivor_tags)
        before = audit_view(merged)
        merged.merged_into_id = survivor.id
        merged.status, merged.resolution = str(CaseStatus.CLOSED), str(Resolution.DUPLICATE)
        merged.closed_at = merged.updated_at = now()
        after = audit_view(merged)
        work.record(
            "case",
            merged.id,
            "merged_into",
            {k: before[k] for k in ("status", "resolution", "merged_into_id")},
            {
                "status": after["status"],
                "resolution": after["resolution"],
                "merged_into_id": survivor.id,
                "reason": reason,
            },
        )
        work.record(
            "case", survivor.id, "merged_from", after={"case_id": merged.id, "moved": moved, "reason": reason}
        )
