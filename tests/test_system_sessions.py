"""Tenant sessions by default: the system session (row-level security bypassed) is opened only
where api/system_sessions.py lists a reason, by routes and by modules alike."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from fastapi import APIRouter, Depends

from api.benchmark_routes import router as benchmark_router
from api.deps import SystemDB, TenantDB, authenticate, system_db, tenant_db
from api.main import ROUTERS
from api.system_sessions import (
    SYSTEM_SESSION_MODULES,
    SYSTEM_SESSION_ROUTES,
    check_routes,
    route_keys,
)

ROOT = Path(__file__).resolve().parents[1]
ALL_ROUTERS = [*ROUTERS, (benchmark_router, "")]


def test_every_route_that_opens_the_system_session_is_listed_with_a_reason() -> None:
    opened = route_keys(ALL_ROUTERS, system_db, besides=(authenticate, tenant_db))
    assert opened - SYSTEM_SESSION_ROUTES.keys() == set(), "unlisted system-session routes"
    # No stale entries: a route moved to its tenant session leaves the list.
    assert SYSTEM_SESSION_ROUTES.keys() - opened == set(), "listed routes that no longer open it"
    assert all(len(reason) > 30 for reason in SYSTEM_SESSION_ROUTES.values())


def test_tenant_owned_routes_use_the_tenant_session() -> None:
    tenant = route_keys(ALL_ROUTERS, tenant_db)
    # Members, roles, organisation settings, an organisation's keys and uploads.
    for key in ["GET /api/v1/organizations/{organization_id}/members",
                "PUT /api/v1/organizations/{organization_id}/roles/{role}/permissions",
                "PUT /api/v1/organizations/{organization_id}/keys",
                "POST /api/v1/organizations/{organization_id}/keys/custodial",
                "GET /api/v1/imaging/uploads"]:
        assert key in tenant, key
    assert not tenant & route_keys(ALL_ROUTERS, system_db, besides=(authenticate, tenant_db))


def test_an_app_with_an_unlisted_system_session_route_is_refused() -> None:
    router = APIRouter()

    @router.get("/sneaky")
    def sneaky(db: SystemDB) -> None:  # pragma: no cover - never served
        return None

    @router.get("/tenant")
    def fine(db: TenantDB) -> None:  # pragma: no cover - never served
        return None

    @router.get("/nested", dependencies=[Depends(sneaky)])
    def nested() -> None:  # pragma: no cover - never served
        return None

    with pytest.raises(RuntimeError, match=r"GET /x/nested, GET /x/sneaky"):
        check_routes([*ALL_ROUTERS, (router, "/x")], system_db, besides=(authenticate, tenant_db))
    check_routes(ALL_ROUTERS, system_db, besides=(authenticate, tenant_db))  # today's routes pass


def _opens_system_session(tree: ast.AST) -> bool:
    """Whether the module calls session_scope(..., SYSTEM) (or depends on system_db)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "session_scope" \
                and any(isinstance(a, ast.Name) and a.id == "SYSTEM" for a in node.args):
            return True
    return False


def test_only_listed_modules_open_the_system_session_themselves() -> None:
    opening = set()
    for path in sorted((ROOT / "api").rglob("*.py")):
        if _opens_system_session(ast.parse(path.read_text(encoding="utf-8"))):
            opening.add(".".join(path.relative_to(ROOT).with_suffix("").parts))
    assert opening, "the scan found nothing: it no longer recognises the calls"
    assert opening - SYSTEM_SESSION_MODULES.keys() == set(), "unlisted system-session code"
    assert SYSTEM_SESSION_MODULES.keys() - opening == set(), "listed modules that no longer do"
