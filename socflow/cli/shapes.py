"""JSON shapes of alerts, cases and their parts for `--json` (the same field names as the HTTP API)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import typer

from socflow.cases.alerts import alert_tags
from socflow.cases.case_service import case_tags
from socflow.storage.tables import (
    AlertRow,
    AuditEntryRow,
    CaseObservableRow,
    CaseRow,
    CommentRow,
    TaskRow,
)


def print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def alert_dict(row: AlertRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "source": row.source,
        "source_ref": row.source_ref,
        "title": row.title,
        "description": row.description,
        "severity": row.severity,
        "status": row.status,
        "tlp": row.tlp,
        "pap": row.pap,
        "tags": alert_tags(row),
        "observables": [
            {
                "id": link.observable.id,
                "type": link.observable.type,
                "value": link.observable.value,
                "ioc": link.observable.ioc,
            }
            for link in row.observable_links
        ],
        "event_refs": list(row.event_refs),
        "count": row.count,
        "first_seen": iso(row.first_seen),
        "last_seen": iso(row.last_seen),
        "case_id": row.case_id,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "version": row.version,
    }


def case_dict(row: CaseRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "severity": row.severity,
        "priority": row.priority,
        "tier": row.tier,
        "assignee": row.assignee,
        "status": row.status,
        "resolution": row.resolution,
        "tlp": row.tlp,
        "pap": row.pap,
        "tags": case_tags(row),
        "merged_into_id": row.merged_into_id,
        "created_by": row.created_by,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
        "incident_confirmed_at": iso(row.incident_confirmed_at),
        "closed_at": iso(row.closed_at),
        "version": row.version,
    }


def task_dict(row: TaskRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "position": row.position,
        "title": row.title,
        "instructions": row.instructions,
        "checklist": list(row.checklist),
        "assignee": row.assignee,
        "status": row.status,
        "due_at": iso(row.due_at),
        "completed_at": iso(row.completed_at),
        "version": row.version,
    }


def comment_dict(row: CommentRow) -> dict[str, Any]:
    return {"id": row.id, "author": row.author, "body": row.body, "created_at": iso(row.created_at)}


def entry_dict(row: AuditEntryRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "object_type": row.object_type,
        "object_id": row.object_id,
        "action": row.action,
        "before": json.loads(row.before),
        "after": json.loads(row.after),
        "hash": row.hash,
    }


def observable_dict(link: CaseObservableRow, other_cases: int) -> dict[str, Any]:
    observable = link.observable
    return {
        "id": observable.id,
        "type": observable.type,
        "value": observable.value,
        "ioc": observable.ioc,
        "sightings": observable.sightings,
        "other_cases": other_cases,
        "added_by": link.added_by,
        "added_at": iso(link.added_at),
    }


def page_dict(items: Iterable[dict[str, Any]], next_cursor: str | None) -> dict[str, Any]:
    return {"items": list(items), "next": next_cursor}


@dataclass(frozen=True)
class CaseView:
    """Everything `case show` prints about one case."""

    case: CaseRow
    tasks: list[TaskRow]
    observables: list[tuple[CaseObservableRow, int]]
    alerts: list[AlertRow]
    comments: list[CommentRow]
    timeline: list[AuditEntryRow]

    def to_dict(self) -> dict[str, Any]:
        return {
            "case": case_dict(self.case),
            "tasks": [task_dict(task) for task in self.tasks],
            "observables": [observable_dict(link, others) for link, others in self.observables],
            "alerts": [alert_dict(alert) for alert in self.alerts],
            "comments": [comment_dict(comment) for comment in self.comments],
            "timeline": [entry_dict(entry) for entry in self.timeline],
        }
