"""Liveness without authentication: the process answers and the database is reachable."""

from __future__ import annotations

from fastapi import APIRouter, Response
from sqlalchemy import select

from socflow.api.context import TrackerDep
from socflow.api.schemas_audit import HealthOut
from socflow.errors import SocflowError
from socflow.logging import get_logger

router = APIRouter(tags=["health"])
log = get_logger("socflow.api")


@router.get("/healthz", responses={503: {"model": HealthOut, "description": "The database is unreachable"}})
def healthz(tracker: TrackerDep, response: Response) -> HealthOut:
    try:
        with tracker.database.session(write=False) as session:
            session.execute(select(1))
    except SocflowError as exc:
        log.warning("health_check_failed", code=exc.code, error=exc.message)
        response.status_code = 503
        return HealthOut(status="unavailable", database="unreachable")
    return HealthOut(status="ok", database="reachable")
