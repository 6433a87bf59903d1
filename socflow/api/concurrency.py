"""Optimistic concurrency at the edge: `version` in a body or `If-Match`, and an ETag on each object."""

from __future__ import annotations

import re
from typing import Annotated, Final

from fastapi import Depends, Header, Response

from socflow.errors import Issue, ValidationFailed

_ETAG: Final = re.compile(r'(?:W/)?"?([0-9]{1,18})"?')
_PATH: Final = "header.If-Match"


async def if_match_header(
    value: Annotated[
        str | None,
        Header(
            alias="If-Match",
            description="The version the change was made against (as in the ETag); stale gives 409.",
        ),
    ] = None,
) -> str | None:
    return value


IfMatch = Annotated[str | None, Depends(if_match_header)]


def expected_version(body_version: int | None, if_match: str | None) -> int | None:
    """The version the caller last saw, from the body or the If-Match header (they must agree)."""
    header_version: int | None = None
    if if_match is not None and if_match.strip() != "*":
        match = _ETAG.fullmatch(if_match.strip())
        if match is None:
            raise ValidationFailed(
                'If-Match must be one version, e.g. If-Match: "3"',
                issues=[Issue(_PATH, "one version number, as sent in the ETag")],
            )
        header_version = int(match.group(1))
    if body_version is not None and header_version is not None and body_version != header_version:
        raise ValidationFailed(
            f"If-Match names version {header_version} but the body names version {body_version}",
            issues=[Issue(_PATH, "disagrees with body.version")],
        )
    return body_version if body_version is not None else header_version


def set_etag(response: Response, version: int) -> None:
    response.headers["ETag"] = f'"{version}"'
