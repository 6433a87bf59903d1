"""The playbook catalogue: immutable versions, one published at a time, drafts tested beside it."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from socflow.cases.uow import fetch, now, unit_of_work
from socflow.errors import Conflict, Issue, NotFound, ValidationFailed
from socflow.playbooks.compile import compile_playbook, version_id
from socflow.playbooks.graph import Graph
from socflow.playbooks.rehearse import RehearsalReport, load_cases, rehearse
from socflow.playbooks.spec import AnyPlaybook
from socflow.playbooks.validate import ActionSignature, load_playbook
from socflow.storage.db import Database
from socflow.storage.tables_playbooks import PlaybookRow, PlaybookVersionRow

OBJECT_TYPE: Final = "playbook"
MAX_PLAYBOOK_ID: Final = 40  # the size of playbooks.id and of the audit journal's object_id
MAX_SOURCE_CHARS: Final = 1_000_000

KnownActions = Mapping[str, ActionSignature] | None


class VersionStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"


# Publishing is the only move; a retired version may be published again (a rollback).
PUBLISHABLE: Final = frozenset({VersionStatus.DRAFT, VersionStatus.RETIRED})


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse(text: str, known_actions: KnownActions = None) -> AnyPlaybook:
    """The validated playbook, or ValidationFailed with every issue (catalogue limits included)."""
    if len(text) > MAX_SOURCE_CHARS:
        raise ValidationFailed(
            "the playbook is too large", issues=[Issue("", f"at most {MAX_SOURCE_CHARS} characters")]
        )
    playbook = load_playbook(text, known_actions)
    if len(playbook.id) > MAX_PLAYBOOK_ID:
        raise ValidationFailed(
            f"a catalogued playbook id is at most {MAX_PLAYBOOK_ID} characters",
            issues=[Issue("id", f"at most {MAX_PLAYBOOK_ID} characters")],
        )
    return playbook


def issues_of(text: str, known_actions: KnownActions = None) -> list[Issue]:
    """Every problem of a playbook text; empty when it would be accepted as a draft."""
    try:
        parse(text, known_actions)
    except ValidationFailed as exc:
        return list(exc.issues) or [Issue("", exc.message)]
    return []


def _metadata(playbook: AnyPlaybook) -> dict[str, Any]:
    return {
        "name": playbook.name,
        "description": playbook.description,
        "owner": playbook.owner,
        "tags": list(playbook.tags),
        "kind": playbook.kind,
    }


def _version_fields(row: PlaybookVersionRow) -> dict[str, Any]:
    return {"version_id": row.id, "number": row.number, "version": row.version, "status": row.status}


class PlaybookCatalogue:
    """Saves drafts, publishes versions, and hands out the published graph; every change is journaled."""

    def __init__(self, database: Database, known_actions: KnownActions = None) -> None:
        self.database = database
        self.known_actions = known_actions

    def validate(self, text: str, known_actions: KnownActions = None) -> list[Issue]:
        return issues_of(text, known_actions if known_actions is not None else self.known_actions)

    def save_draft(self, actor: str, text: str) -> PlaybookVersionRow:
        """Store the text as a new draft version; the same playbook content again returns its version."""
        return self.save(actor, text)[0]

    def save(self, actor: str, text: str) -> tuple[PlaybookVersionRow, bool]:
        """`save_draft`, also telling whether the version is new (False: that content was saved before).

        The same content is the same parsed document (its version id): a change to comments or layout
        alone is not a new version.
        """
        playbook = parse(text, self.known_actions)
        vid = version_id(playbook)
        with unit_of_work(self.database, actor) as work:
            existing = work.session.get(PlaybookVersionRow, vid)
            if existing is not None:
                return existing, False
            row = work.session.get(PlaybookRow, playbook.id, with_for_update=True)
            at = now()
            if row is None:
                row = PlaybookRow(id=playbook.id, created_at=at, updated_at=at, **_metadata(playbook))
                work.session.add(row)
                work.record(OBJECT_TYPE, row.id, "created", after=_metadata(playbook))
            elif row.published_version_id is None:
                row.name, row.description, row.owner = playbook.name, playbook.description, playbook.owner
                row.tags, row.kind, row.updated_at = list(playbook.tags), playbook.kind, at
            version = PlaybookVersionRow(
                id=vid,
                playbook_id=playbook.id,
                version=playbook.version,
                number=_last_number(work.session, playbook.id) + 1,
                status=VersionStatus.DRAFT.value,
                source_text=text,
                content_hash=content_hash(text),
                created_by=work.actor,
                created_at=at,
            )
            work.session.add(version)
            work.record(OBJECT_TYPE, playbook.id, "draft_saved", after=_version_fields(version))
            return version, True

    def publish(self, actor: str, playbook_id: str, number: int | None = None) -> PlaybookVersionRow:
        """Publish version `number` (default: the latest draft); the one published before is retired."""
        with unit_of_work(self.database, actor) as work:
            row: PlaybookRow = fetch(work.session, PlaybookRow, playbook_id, "playbook", lock=True)
            target = self._target(work.session, playbook_id, number)
            if target.status == VersionStatus.PUBLISHED:
                return target
            if target.status not in PUBLISHABLE:
                raise Conflict(f"version {target.number} is {target.status} and cannot be published")
            before = {"published_version_id": row.published_version_id}
            at = now()
            if row.published_version_id is not None:
                previous = work.session.get(PlaybookVersionRow, row.published_version_id)
                if previous is not None:
                    previous.status = VersionStatus.RETIRED.value
            target.status = VersionStatus.PUBLISHED.value
            target.published_by, target.published_at = work.actor, at
            playbook = parse(target.source_text)
            for name, value in _metadata(playbook).items():
                setattr(row, name, value)
            row.published_version_id, row.updated_at = target.id, at
            after = {"published_version_id": target.id, "number": target.number, "version": target.version}
            work.record(OBJECT_TYPE, playbook_id, "published", before=before, after=after)
            return target

    def _target(self, session: Session, playbook_id: str, number: int | None) -> PlaybookVersionRow:
        if number is not None:
            return _version(session, playbook_id, number)
        query = (
            select(PlaybookVersionRow)
            .where(
                PlaybookVersionRow.playbook_id == playbook_id,
                PlaybookVersionRow.status == VersionStatus.DRAFT.value,
            )
            .order_by(PlaybookVersionRow.number.desc())
            .limit(1)
        )
        draft = session.scalars(query).first()
        if draft is None:
            raise Conflict(f"playbook {playbook_id!r} has no draft to publish; name a version to publish")
        return draft

    def get(self, playbook_id: str) -> PlaybookRow:
        with self.database.session(write=False) as session:
            row: PlaybookRow = fetch(session, PlaybookRow, playbook_id, "playbook")
            return row

    def list(self) -> list[PlaybookRow]:
        with self.database.session(write=False) as session:
            return list(session.scalars(select(PlaybookRow).order_by(PlaybookRow.id)))

    def versions(self, playbook_id: str) -> builtins.list[PlaybookVersionRow]:
        """Every version of the playbook, oldest first (404 when the playbook does not exist)."""
        with self.database.session(write=False) as session:
            fetch(session, PlaybookRow, playbook_id, "playbook")
            query = (
                select(PlaybookVersionRow)
                .where(PlaybookVersionRow.playbook_id == playbook_id)
                .order_by(PlaybookVersionRow.number)
            )
            return list(session.scalars(query))

    def version(self, playbook_id: str, number: int) -> PlaybookVersionRow:
        with self.database.session(write=False) as session:
            return _version(session, playbook_id, number)

    def source(self, playbook_id: str, number: int) -> str:
        return self.version(playbook_id, number).source_text

    def graph(self, playbook_id: str, number: int) -> Graph:
        return graph_of(self.version(playbook_id, number))

    def published_version(self, playbook_id: str) -> PlaybookVersionRow:
        with self.database.session(write=False) as session:
            row: PlaybookRow = fetch(session, PlaybookRow, playbook_id, "playbook")
            published = row.published_version_id
            found = session.get(PlaybookVersionRow, published) if published is not None else None
            if found is None:
                raise NotFound(
                    f"playbook {playbook_id!r} has no published version",
                    details={"object": "playbook_version", "playbook": playbook_id},
                )
            return found

    def published_graph(self, playbook_id: str) -> Graph:
        """The Graph a new run uses; its `version_id` is the version the run records."""
        return graph_of(self.published_version(playbook_id))

    def rehearse(self, playbook_id: str, number: int, cases_text: str) -> RehearsalReport:
        """Run the test cases against one version (a draft or the published one); nothing is stored."""
        graph = self.graph(playbook_id, number)
        return rehearse(graph, load_cases(cases_text).cases)


_GRAPHS: dict[str, Graph] = {}
_MAX_GRAPHS: Final = 256


def graph_of(row: PlaybookVersionRow) -> Graph:
    """Compiled once per version (a version never changes), so a run start skips parsing too."""
    cached = _GRAPHS.get(row.id)
    if cached is not None:
        return cached
    graph = compile_playbook(parse(row.source_text))
    if len(_GRAPHS) >= _MAX_GRAPHS:
        _GRAPHS.clear()
    _GRAPHS[row.id] = graph
    return graph


def _last_number(session: Session, playbook_id: str) -> int:
    query = select(func.max(PlaybookVersionRow.number)).where(PlaybookVersionRow.playbook_id == playbook_id)
    return session.scalar(query) or 0


def _version(session: Session, playbook_id: str, number: int) -> PlaybookVersionRow:
    query = select(PlaybookVersionRow).where(
        PlaybookVersionRow.playbook_id == playbook_id, PlaybookVersionRow.number == number
    )
    found = session.scalars(query).first()
    if found is None:
        fetch(session, PlaybookRow, playbook_id, "playbook")
        raise NotFound(
            f"playbook {playbook_id!r} has no version {number}",
            details={"object": "playbook_version", "playbook": playbook_id, "number": number},
        )
    return found
