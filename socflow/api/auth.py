"""Who is calling: the bearer token check and the actor every change is recorded under (roles go here)."""

from __future__ import annotations

import hmac
import re
from typing import Annotated, Final

from fastapi import Depends, Header
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from socflow.api.context import ContextDep
from socflow.errors import Issue, Unauthorized, ValidationFailed

ACTOR_HEADER: Final = "X-Socflow-Actor"
ACTOR_PREFIX: Final = "api:"
BOOTSTRAP_ACTOR: Final = "bootstrap-token"
_ACTOR_NAME: Final = re.compile(r"[A-Za-z0-9._@-]{1,100}")

# auto_error=False: a missing or malformed header is answered by our own 401 problem, not FastAPI's.
_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="The API token (SOCFLOW_API_TOKEN, or the one generated in the data directory).",
)


async def authenticate(
    context: ContextDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request unless it carries `Authorization: Bearer <the API token>`."""
    if credentials is None:
        raise Unauthorized("this endpoint needs an 'Authorization: Bearer <token>' header")
    presented = credentials.credentials.encode("utf-8")
    if not hmac.compare_digest(presented, context.token):
        raise Unauthorized("the bearer token is not valid")


async def current_actor(
    _: Annotated[None, Depends(authenticate)],
    actor: Annotated[
        str | None,
        Header(
            alias=ACTOR_HEADER,
            description="Who is acting (1-100 of letters, digits, '._@-'); recorded as 'api:<name>'.",
        ),
    ] = None,
) -> str:
    """The actor recorded in the audit journal: 'api:' + the X-Socflow-Actor header, else the token's."""
    if actor is None:
        return ACTOR_PREFIX + BOOTSTRAP_ACTOR
    if not _ACTOR_NAME.fullmatch(actor):
        path = f"header.{ACTOR_HEADER}"
        raise ValidationFailed(
            f"{ACTOR_HEADER} must be 1 to 100 letters, digits or '._@-'",
            issues=[Issue(path, "1 to 100 letters, digits or '._@-'")],
        )
    return ACTOR_PREFIX + actor


Actor = Annotated[str, Depends(current_actor)]
