"""Playbook catalogue routes: validate, save drafts, publish, read versions, and rehearse a version."""

from __future__ import annotations

import json
from typing import Final

from fastapi import APIRouter, Request, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from socflow.api.auth import Actor
from socflow.api.context import API_PREFIX, TrackerDep
from socflow.api.problems import location_path
from socflow.api.schemas_common import PageOut
from socflow.api.schemas_playbooks import (
    PlaybookOut,
    PublishIn,
    RehearsalOut,
    SourceIn,
    ValidationOut,
    VersionDetailOut,
    VersionOut,
)
from socflow.errors import Issue, MalformedInput, UnsupportedMediaType, ValidationFailed
from socflow.worker.catalogue import PlaybookCatalogue

router = APIRouter(prefix="/playbooks", tags=["playbooks"])

YAML_TYPES: Final = frozenset({"text/yaml", "application/yaml", "application/x-yaml", "text/x-yaml"})
_TEXT_SCHEMA: Final = {"type": "string", "description": "YAML text"}
_SOURCE_BODY: Final = {
    "requestBody": {
        "required": True,
        "content": {
            **{kind: {"schema": _TEXT_SCHEMA} for kind in sorted(YAML_TYPES)},
            "application/json": {"schema": SourceIn.model_json_schema()},
        },
    }
}


def _catalogue(tracker: TrackerDep) -> PlaybookCatalogue:
    return PlaybookCatalogue(tracker.database)


async def read_source(request: Request) -> str:
    """The YAML text of the body: raw as text/yaml (or a sibling type), or JSON `{"source": ...}`."""
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in YAML_TYPES and kind != "application/json":
        raise UnsupportedMediaType(
            'send YAML as text/yaml or application/x-yaml, or JSON {"source": ...}',
            issues=[Issue("header.Content-Type", "text/yaml, application/x-yaml or application/json")],
        )
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError:
        raise MalformedInput("the body is not UTF-8 text", issues=[Issue("body", "not UTF-8")]) from None
    if kind in YAML_TYPES:
        return text
    try:
        return SourceIn.model_validate(json.loads(text)).source
    except json.JSONDecodeError as exc:
        raise MalformedInput(
            f"the body is not JSON: {exc.msg} at line {exc.lineno}", issues=[Issue("body", "not JSON")]
        ) from None
    except ValidationError as exc:
        issues = [Issue(location_path(("body", *err["loc"])), err["msg"]) for err in exc.errors()]
        raise ValidationFailed("the body is not valid", issues=issues) from None


@router.get("")
def list_playbooks(tracker: TrackerDep) -> PageOut[PlaybookOut]:
    """Every playbook in the catalogue, by id (one page: catalogues are small)."""
    rows = _catalogue(tracker).list()
    return PageOut(items=[PlaybookOut.model_validate(row) for row in rows], next=None)


@router.post("", status_code=201, openapi_extra=_SOURCE_BODY)
async def save_draft(request: Request, actor: Actor, tracker: TrackerDep, response: Response) -> VersionOut:
    """Save a playbook as a new draft version (201); the same content again answers its version (200)."""
    text = await read_source(request)
    row, created = await run_in_threadpool(_catalogue(tracker).save, actor, text)
    if not created:
        response.status_code = 200
    response.headers["Location"] = f"{API_PREFIX}/playbooks/{row.playbook_id}/versions/{row.number}"
    return VersionOut.model_validate(row)


@router.post("/validate", openapi_extra=_SOURCE_BODY)
async def validate_playbook(request: Request, tracker: TrackerDep) -> ValidationOut:
    """Check a playbook without saving it: every issue with its path into the document."""
    text = await read_source(request)
    return ValidationOut.from_issues(await run_in_threadpool(_catalogue(tracker).validate, text))


@router.get("/{playbook_id}")
def get_playbook(playbook_id: str, tracker: TrackerDep) -> PlaybookOut:
    return PlaybookOut.model_validate(_catalogue(tracker).get(playbook_id))


@router.get("/{playbook_id}/versions")
def list_versions(playbook_id: str, tracker: TrackerDep) -> list[VersionOut]:
    """Every version, oldest first."""
    return [VersionOut.model_validate(row) for row in _catalogue(tracker).versions(playbook_id)]


@router.get("/{playbook_id}/versions/{number}")
def get_version(playbook_id: str, number: int, tracker: TrackerDep) -> VersionDetailOut:
    """One version with its source text, exactly as saved."""
    return VersionDetailOut.model_validate(_catalogue(tracker).version(playbook_id, number))


@router.post("/{playbook_id}/publish")
def publish(playbook_id: str, actor: Actor, tracker: TrackerDep, body: PublishIn | None = None) -> VersionOut:
    """Publish a version (default: the latest draft); the version published before is retired."""
    number = body.version if body is not None else None
    return VersionOut.model_validate(_catalogue(tracker).publish(actor, playbook_id, number))


@router.post("/{playbook_id}/versions/{number}/rehearse", openapi_extra=_SOURCE_BODY)
async def rehearse_version(
    playbook_id: str, number: int, request: Request, tracker: TrackerDep
) -> RehearsalOut:
    """Run test cases (the *.tests.yaml format) against one version; nothing is stored or executed."""
    text = await read_source(request)
    report = await run_in_threadpool(_catalogue(tracker).rehearse, playbook_id, number, text)
    return RehearsalOut.from_report(report)
