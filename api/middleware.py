"""Request-level middleware: size limits and one access-log line per request (no payloads)."""

from __future__ import annotations

import logging
import re
import time
from collections import Counter
from collections.abc import Callable

import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import DomainError, problem_response

log = logging.getLogger("ohms.access")


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` with 413, counting streamed bytes too."""

    def __init__(self, app: ASGIApp, max_bytes: int,
                 path_limits: dict[str, int] | None = None) -> None:
        self.app = app
        self.max_bytes = max_bytes
        # Routes that take larger bodies (regex of the path -> their limit).
        self.path_limits = [(re.compile(p), n) for p, n in (path_limits or {}).items()]

    def _limit(self, path: str) -> int:
        return next((n for p, n in self.path_limits if p.match(path)), self.max_bytes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self._limit(scope.get("path", ""))
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await problem_response(413, detail="the request body is too large",
                                   type_slug="payload-too-large")(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_bytes:
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _TooLarge:
            await problem_response(413, detail="the request body is too large",
                                   type_slug="payload-too-large")(scope, receive, send)


class _TooLarge(HTTPException):
    """Raised from `receive`; an HTTPException so FastAPI's body parsing re-raises it as is."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="the request body is too large")


class UploadGate:
    """Authorise a large upload before its body is read, and bound each user's concurrent
    uploads.

    A web framework parses (and spools to disk) a multipart body before route dependencies
    run, so without this anyone could make the service write gigabytes to disk. For POSTs
    to `path_pattern`, `authorise(bearer token or None)` runs first (in a thread; it raises
    a DomainError to refuse, or returns the caller's key); a caller with `max_per_user`
    uploads in flight gets 429.
    """

    def __init__(self, app: ASGIApp, *, path_pattern: str,
                 authorise: Callable[[str | None], str], max_per_user: int) -> None:
        self.app = app
        self.pattern = re.compile(path_pattern)
        self.authorise = authorise
        self.max_per_user = max_per_user
        self.active: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (scope["type"] != "http" or scope["method"] != "POST"
                or not self.pattern.match(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = header.partition(" ")
        try:
            key = await anyio.to_thread.run_sync(
                self.authorise, token.strip() if scheme.lower() == "bearer" else None)
        except DomainError as exc:
            await problem_response(exc.status, detail=exc.detail, type_slug=exc.type_slug,
                                   headers=exc.headers or None)(scope, receive, send)
            return
        if self.active[key] >= self.max_per_user:
            await problem_response(
                429, detail=f"at most {self.max_per_user} uploads of yours at a time; wait "
                            "for one to finish", type_slug="too-many-uploads",
                headers={"Retry-After": "30"})(scope, receive, send)
            return
        self.active[key] += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.active[key] -= 1
            if not self.active[key]:
                del self.active[key]


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            # The route template, not the raw path: paths can hold UHIDs.
            route = scope.get("route")
            log.info("request", extra={
                "method": scope["method"],
                "route": getattr(route, "path", "unmatched"),
                "status": status,
                "duration_ms": round((time.perf_counter() - start) * 1000, 2),
            })
