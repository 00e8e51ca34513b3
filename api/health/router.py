"""`/healthz` says the process is up; `/readyz` checks every configured backend."""

from __future__ import annotations

import logging

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from api.deps import ContainerDep, public

router = APIRouter(tags=["health"])
log = logging.getLogger("ohms.health")


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    checks: dict[str, str]


@router.get("/healthz", dependencies=[Depends(public)])
def healthz() -> Health:
    return Health(status="ok")


@router.get("/readyz", dependencies=[Depends(public)],
            responses={503: {"model": Readiness, "description": "A backend is unreachable"}})
def readyz(container: ContainerDep) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in container.readiness.items():
        try:
            check()
            checks[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
            log.warning("readiness check failed", extra={"backend": name,
                                                         "error": type(exc).__name__})
            checks[name] = "unavailable"
    ready = all(v == "ok" for v in checks.values())
    body = Readiness(status="ok" if ready else "unavailable", checks=checks)
    return JSONResponse(body.model_dump(), status_code=200 if ready else 503)
