"""Request body limits as pure ASGI middleware: refused by Content-Length up front, or while counting."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from socflow.api.problems import problem_response

# A multipart upload carries boundaries and part headers around the file; the file itself is held
# to the exact upload limit by the evidence service while it streams to disk.
MULTIPART_OVERHEAD = 64 * 1024


@dataclass(frozen=True)
class RouteLimit:
    """A route whose body may be larger (or smaller) than the default, e.g. evidence uploads."""

    method: str
    path: re.Pattern[str]
    max_bytes: int


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


class BodyLimitMiddleware:
    """Answer 413 when a request body exceeds its route's limit, without reading past the limit."""

    def __init__(self, app: ASGIApp, *, max_bytes: int, routes: Sequence[RouteLimit] = ()) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.routes = tuple(routes)

    def limit_for(self, method: str, path: str) -> int:
        for route in self.routes:
            if route.method == method and route.path.search(path):
                return route.max_bytes
        return self.max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, limit)
            return
        received, exceeded, answered, started = 0, False, False, False

        async def counting_receive() -> Message:
            nonlocal received, exceeded, answered
            if exceeded:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Answer now, then make the app see a client that went away: whatever it sends
                    # afterwards (its "could not read the body" error) is dropped by guarded_send.
                    exceeded = True
                    if not started:
                        answered = True
                        await self._refuse(scope, receive, send, limit)
                    return {"type": "http.disconnect"}
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started
            if answered:
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        await self.app(scope, counting_receive, guarded_send)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response = problem_response(
            413,
            "payload_too_large",
            f"the request body is larger than the limit of {limit} bytes for this endpoint",
            details={"limit_bytes": limit},
        )
        await response(scope, receive, send)
