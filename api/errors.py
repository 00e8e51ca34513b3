"""Domain errors and their one translation into RFC 9457 problem+json responses."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("ohms.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"


class Problem(BaseModel):
    """RFC 9457 problem details, as every error response of this API."""

    type: str = Field(default="about:blank", description="URI identifying the problem type")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[dict[str, Any]] | None = Field(
        default=None, description="Field errors, for validation problems"
    )


class DomainError(Exception):
    """Base of the errors services raise; each maps to one HTTP status."""

    status: int = 400
    type_slug: str = "bad-request"

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers or {}


class Invalid(DomainError):
    status = 422
    type_slug = "invalid"


class BadRequest(DomainError):
    status = 400
    type_slug = "bad-request"


class Unauthenticated(DomainError):
    status = 401
    type_slug = "unauthenticated"

    def __init__(self, detail: str = "Authentication required", *,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"} | (headers or {}))


class Forbidden(DomainError):
    status = 403
    type_slug = "forbidden"


class NotFound(DomainError):
    status = 404
    type_slug = "not-found"


class Conflict(DomainError):
    status = 409
    type_slug = "conflict"


class PayloadTooLarge(DomainError):
    status = 413
    type_slug = "payload-too-large"


class TooManyAttempts(DomainError):
    status = 429
    type_slug = "too-many-attempts"

    def __init__(self, detail: str, retry_after: int) -> None:
        super().__init__(detail, headers={"Retry-After": str(max(1, retry_after))})


class Unavailable(DomainError):
    status = 503
    type_slug = "unavailable"


def problem_response(
    status: int,
    *,
    detail: str | None = None,
    type_slug: str | None = None,
    instance: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    problem = Problem(
        type=f"https://ohms.dev/problems/{type_slug}" if type_slug else "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=instance,
        errors=errors,
    )
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _safe_validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Echoing the rejected input back could leak clinical payloads or passwords: keep
    # only where and why.
    return [
        {"loc": [str(p) for p in err.get("loc", ())], "msg": str(err.get("msg", "")),
         "type": str(err.get("type", ""))}
        for err in exc.errors()
    ]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return problem_response(
            exc.status, detail=exc.detail, type_slug=exc.type_slug,
            instance=request.url.path, headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(
            422, detail="The request is not valid", type_slug="invalid",
            instance=request.url.path, errors=_safe_validation_errors(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(
            exc.status_code, detail=detail, instance=request.url.path,
            headers=dict(exc.headers or {}),
        )

    @app.exception_handler(DBAPIError)
    async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
        # A lost or refused connection (the database restarting, down, or out of
        # connections): 503, nothing committed. The pool drops its connections and the next
        # request connects afresh. Anything else from the database is a bug: 500.
        if exc.connection_invalidated or isinstance(exc, OperationalError | InterfaceError):
            log.warning("database unavailable", extra={"error_type": type(exc.orig).__name__})
            return problem_response(
                503, detail="The database is unavailable; try again shortly",
                type_slug="unavailable", instance=request.url.path,
                headers={"Retry-After": "1"})
        return await _unexpected(request, exc)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unhandled error", exc_info=(type(exc), exc, exc.__traceback__))
        return problem_response(
            500, detail="An unexpected error occurred", type_slug="internal",
            instance=request.url.path,
        )


# Documented on every route so clients (and schemathesis) know the error shape.
_PROBLEM_CONTENT = {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    return {
        s: {"model": Problem, "description": HTTPStatus(s).phrase, "content": _PROBLEM_CONTENT}
        for s in statuses
    }
