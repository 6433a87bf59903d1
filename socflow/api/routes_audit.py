"""Audit route: verify the journal's hash chain end to end and report the first break, if any."""

from __future__ import annotations

from fastapi import APIRouter

from socflow.api.context import TrackerDep
from socflow.api.schemas_audit import AuditVerifyOut
from socflow.storage import audit

router = APIRouter(prefix="/audit", tags=["audit"])


@router.get("/verify")
def verify_audit(tracker: TrackerDep) -> AuditVerifyOut:
    """Recompute every entry's hash in order; `ok` is false and `first_break` says where it failed."""
    return AuditVerifyOut.from_report(audit.verify(tracker.database))
