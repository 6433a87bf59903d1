"""RFC 7807 problem responses: SocflowError by class, request validation, unknown routes, crashes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from http import HTTPStatus
from typing import Any, Final

from fastapi import FastAPI, Request, Response
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socflow.errors import Issue, SocflowError, Unauthorized
from socflow.logging import get_logger

PROBLEM_MEDIA_TYPE: Final = "application/problem+json"
WWW_AUTHENTICATE: Final = 'Bearer realm="socflow"'
# Server-side failures never show their message: it may name files, SQL or driver internals.
GENERIC_SERVER_DETAIL: Final = "the server could not complete the request; the failure was logged"
_HTTP_CODES: Final = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
}

log = get_logger("socflow.api")


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


def problem_type(code: str) -> str:
    """A stable URI per error code; clients match on it (or on `code`), never on the message."""
    return f"urn:socflow:problem:{code}"


def problem_response(
    status: int,
    code: str,
    detail: str,
    *,
    issues: Iterable[Issue] = (),
    details: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> ProblemResponse:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": code.replace("_", " ").capitalize(),
        "status": status,
        "detail": detail,
        "code": code,
    }
    issue_list = [issue.to_dict() for issue in issues]
    if issue_list:
        body["issues"] = issue_list
    if details:
        body["details"] = jsonable_encoder(dict(details))
    return ProblemResponse(body, status_code=status, headers=dict(headers) if headers else None)


def location_path(loc: Iterable[int | str]) -> str:
    """('body', 'observables', 0, 'type') -> 'body.observables[0].type'."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


async def _socflow_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, SocflowError):  # registered for SocflowError only
        raise exc
    if exc.http_status >= 500:
        log.error(
            "request_failed",
            code=exc.code,
            error=exc.message,
            method=request.method,
            path=request.url.path,
        )
        return problem_response(exc.http_status, exc.code, GENERIC_SERVER_DETAIL)
    headers = {"WWW-Authenticate": WWW_AUTHENTICATE} if isinstance(exc, Unauthorized) else None
    return problem_response(
        exc.http_status, exc.code, exc.message, issues=exc.issues, details=exc.details, headers=headers
    )


async def _validation_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, RequestValidationError):
        raise exc
    # Only the location and message of each error: the rejected input is never echoed back.
    issues = [Issue(location_path(error["loc"]), str(error["msg"])) for error in exc.errors()]
    summary = "; ".join(f"{issue.path}: {issue.message}" for issue in issues[:5])
    more = f" (and {len(issues) - 5} more)" if len(issues) > 5 else ""
    return problem_response(
        422, "validation_failed", f"the request is not valid: {summary}{more}", issues=issues
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    status = exc.status_code
    code = _HTTP_CODES.get(status, f"http_{status}")
    if status == 404:
        detail = f"there is nothing at {request.url.path}"
    elif status == 405:
        detail = f"{request.method} is not allowed on {request.url.path}"
    else:
        detail = str(exc.detail) if exc.detail else HTTPStatus(status).phrase
    return problem_response(status, code, detail, headers=exc.headers)


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(SocflowError, _socflow_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    _document_problem_media_type(app)


def _document_problem_media_type(app: FastAPI) -> None:
    """FastAPI files a response `model` under application/json; problems are served as problem+json."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        if PROBLEM_MEDIA_TYPE in content and "application/json" in content:
                            content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


class UnexpectedErrorMiddleware:
    """Turn an exception nobody handled into a generic 500 problem and one log line with the trace."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except ClientDisconnect:
            # The client went away (or the body limit cut it off and already answered 413).
            log.info("client_disconnected", method=scope.get("method"), path=scope.get("path"))
        except Exception:
            log.exception("unhandled_error", method=scope.get("method"), path=scope.get("path"))
            if started:
                raise
            response = problem_response(500, "internal_error", GENERIC_SERVER_DETAIL)
            await response(scope, receive, send)
