"""Evidence routes: streamed multipart uploads into the content-addressed store, metadata, downloads."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import IO, Final

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from socflow.api.auth import Actor
from socflow.api.context import API_PREFIX, SettingsDep, TrackerDep
from socflow.api.schemas_common import PageOut
from socflow.api.schemas_evidence import EvidenceOut
from socflow.errors import Issue, ValidationFailed

router = APIRouter(tags=["evidence"])

UPLOAD_PATH: Final = re.compile(re.escape(API_PREFIX) + r"/cases/[^/]+/evidence$")
CHUNK_BYTES: Final = 1 << 16
MAX_DESCRIPTION: Final = 100_000
# Evidence is often hostile (phishing pages, malware): always a download, never rendered or sniffed.
_DOWNLOAD_HEADERS: Final = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cache-Control": "no-store",
}


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK_BYTES):
        yield chunk


_UPLOAD_BODY: Final = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "format": "binary", "description": "The evidence file."},
                    "description": {"type": "string", "maxLength": MAX_DESCRIPTION},
                },
            }
        }
    },
}


def _upload_fields(form: FormData) -> tuple[UploadFile, str]:
    upload, description = form.get("file"), form.get("description", "")
    issues = []
    if not isinstance(upload, UploadFile):
        issues.append(Issue("body.file", "a file part named 'file' is required"))
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        issues.append(Issue("body.description", f"text of at most {MAX_DESCRIPTION} characters"))
    unknown = sorted(set(form.keys()) - {"file", "description"})
    issues.extend(Issue(f"body.{name}", "Extra inputs are not permitted") for name in unknown)
    if issues or not isinstance(upload, UploadFile) or not isinstance(description, str):
        raise ValidationFailed("the upload is not valid", issues=issues)
    return upload, description


@router.post("/cases/{case_id}/evidence", status_code=201, openapi_extra={"requestBody": _UPLOAD_BODY})
async def upload_evidence(
    case_id: str,
    request: Request,
    actor: Actor,
    tracker: TrackerDep,
    settings: SettingsDep,
    response: Response,
) -> EvidenceOut:
    """Attach a file (multipart `file`, optional `description`), hashed as it streams to the store."""
    # The form is read here, after authentication, rather than as a parameter: FastAPI reads declared
    # bodies before it runs dependencies, which would let anyone make the server spool a large upload.
    async with request.form(max_files=1, max_fields=1) as form:
        upload, description = _upload_fields(form)
        row = await run_in_threadpool(
            tracker.notes.add_evidence,
            actor,
            case_id,
            filename=upload.filename or "",
            content_type=upload.content_type or "application/octet-stream",
            chunks=_chunks(upload.file),
            max_bytes=settings.max_upload_bytes,
            description=description,
        )
    response.headers["Location"] = f"{API_PREFIX}/evidence/{row.id}"
    return EvidenceOut.model_validate(row)


@router.get("/cases/{case_id}/evidence")
def list_evidence(case_id: str, tracker: TrackerDep) -> PageOut[EvidenceOut]:
    return PageOut(items=[EvidenceOut.model_validate(row) for row in tracker.notes.evidence(case_id)])


@router.get("/evidence/{evidence_id}")
def get_evidence(evidence_id: str, tracker: TrackerDep) -> EvidenceOut:
    row, _ = tracker.notes.evidence_file(evidence_id)
    return EvidenceOut.model_validate(row)


@router.get(
    "/evidence/{evidence_id}/content",
    response_class=FileResponse,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The file"}},
)
def download_evidence(evidence_id: str, tracker: TrackerDep) -> FileResponse:
    """The file as an attachment; its SHA-256 is in the X-Evidence-SHA256 header and the metadata."""
    row, path = tracker.notes.evidence_file(evidence_id)
    return FileResponse(
        path,
        media_type="application/octet-stream",
        filename=row.filename,
        content_disposition_type="attachment",
        headers={**_DOWNLOAD_HEADERS, "X-Evidence-SHA256": row.sha256},
    )
