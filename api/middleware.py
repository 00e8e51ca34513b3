"""Request-level middleware: size and JSON nesting limits, security headers, and one access-log
line per request (no payloads)."""

from __future__ import annotations

import json
import logging
import re
import time
from collections import Counter
from collections.abc import Callable
from urllib.parse import urlsplit

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


# Far deeper than a FHIR resource or any API body needs; bounded so that no parser recurses
# far, whatever the interpreter's recursion limit is.
MAX_JSON_DEPTH = 64
# A JSON string (unrolled, possessive: linear time; an unterminated one runs to the end of
# the body, so the scan never restarts inside it) or a bracket.
_JSON_TOKENS = re.compile(rb'"[^"\\]*+(?:\\.[^"\\]*+)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)
_FORM_TYPES = (b"multipart/form-data", b"application/x-www-form-urlencoded")


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def json_body_problem(body: bytes, max_depth: int) -> str | None:
    """Why `body` may not reach a JSON parser, or None: arrays and objects nested deeper than
    `max_depth`, or a string escaping an unpaired UTF-16 surrogate (not Unicode text: it
    cannot be stored or encoded, RFC 8259 section 8.2).

    Brackets inside strings do not count; the scan is linear and never recurses. Otherwise
    malformed JSON is left for the parser to refuse."""
    depth = 0
    for match in _JSON_TOKENS.finditer(body):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > max_depth:
                return f"the JSON body nests deeper than {max_depth} levels"
        elif token in (b"]", b"}"):
            depth -= 1
        elif _SURROGATE_ESCAPE.search(token) and _has_lone_surrogate(token):
            return ("a string in the JSON body holds an unpaired surrogate (\\ud800-\\udfff), "
                    "which is not Unicode text")
    return None


def _has_lone_surrogate(token: bytes) -> bool:
    try:
        text = json.loads(token)  # one string: escaped pairs become one code point
    except ValueError:
        return False  # malformed: the parser refuses it
    return isinstance(text, str) and any("\ud800" <= c <= "\udfff" for c in text)


class JsonBodyGuard:
    """Refuse, with 400 and before anything parses them, request bodies nested deeper than
    `max_depth` or holding unpaired surrogates (see `json_body_problem`).

    FastAPI parses a body as JSON whatever its declared type (and routes may call
    `request.json()`), so every body but a form is checked. Bodies are already bounded by
    BodySizeLimit (which must wrap this middleware); the checked body is replayed to the app.
    """

    def __init__(self, app: ASGIApp, *, max_depth: int = MAX_JSON_DEPTH,
                 skip_path_pattern: str | None = None) -> None:
        self.app = app
        self.max_depth = max_depth
        self.skip = re.compile(skip_path_pattern) if skip_path_pattern else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        content_type = dict(scope["headers"]).get(b"content-type", b"").lower()
        if content_type.startswith(_FORM_TYPES) or (
                self.skip is not None and self.skip.match(scope.get("path", ""))):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away: let the app see the disconnect.
                await self.app(scope, _replay([], message), send)
                return
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        body = b"".join(chunks)
        problem = json_body_problem(body, self.max_depth)
        if problem is not None:
            await problem_response(400, detail=problem, type_slug="malformed-json")(
                scope, receive, send)
            return
        await self.app(scope, _replay([body], None, receive), send)


def _replay(bodies: list[bytes], last: Message | None,
            then: Receive | None = None) -> Receive:
    """A `receive` that hands out the buffered body once, then defers to `then` (for the
    disconnect message) or repeats `last`."""
    pending: list[Message] = [{"type": "http.request", "body": b, "more_body": False}
                              for b in bodies]
    if last is not None:
        pending.append(last)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        if then is not None:
            return await then()
        assert last is not None
        return last

    return receive


# The API serves JSON only: nothing of it may run as a page, be framed or be sniffed.
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# The clinic portal: its own scripts and styles only (none inline), WebAssembly compiled from
# its own files (Umbral), calls to this origin only.
PORTAL_CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
              "img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
              "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def portal_csp(chain_public_rpc_url: str | None) -> str:
    """The portal's CSP, letting it also read the chain node browsers are pointed at."""
    if not chain_public_rpc_url:
        return PORTAL_CSP
    parts = urlsplit(chain_public_rpc_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("chain_public_rpc_url must be an http(s) URL")
    return PORTAL_CSP.replace("connect-src 'self'",
                              f"connect-src 'self' {parts.scheme}://{parts.netloc}")
# The interactive API docs (Swagger UI from the installed package, one inline bootstrap script).
DOCS_CSP = ("default-src 'none'; script-src 'self' 'unsafe-inline'; "
            "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'none'")


class SecurityHeaders:
    """Set the browser security headers on every response, and `Cache-Control: no-store`
    where a response may carry a token or personal data (every API response)."""

    def __init__(self, app: ASGIApp, *, docs_paths: tuple[str, ...] = (),
                 portal_pages: tuple[str, ...] = (), portal_prefix: str | None = None,
                 portal_policy: str = PORTAL_CSP) -> None:
        self.app = app
        self.portal_policy = portal_policy
        self.docs_paths = docs_paths
        self.portal_pages = portal_pages  # exact paths of the portal's pages
        self.portal_prefix = portal_prefix  # its built assets

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        csp = DOCS_CSP if path.startswith(self.docs_paths) else API_CSP
        if path in self.portal_pages or (self.portal_prefix is not None
                                         and path.startswith(self.portal_prefix)):
            csp = self.portal_policy

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])
                           if k.lower() != b"server"]
                present = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"content-security-policy", csp.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"no-referrer"),
                    (b"cross-origin-opener-policy", b"same-origin"),
                    (b"cross-origin-resource-policy", b"same-origin"),
                    (b"cache-control", b"no-store"),
                ):
                    if name not in present:
                        headers.append((name, value))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)


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
