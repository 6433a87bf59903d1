"""Evidence schemas: the metadata of a file attached to a case (the bytes are served separately)."""

from __future__ import annotations

from pydantic import Field

from socflow.api.schemas_common import ResponseModel, Timestamp


class EvidenceOut(ResponseModel):
    id: str
    case_id: str
    filename: str
    content_type: str = Field(description="As declared by the uploader; downloads are octet-stream.")
    sha256: str
    size: int
    description: str
    added_by: str
    added_at: Timestamp
