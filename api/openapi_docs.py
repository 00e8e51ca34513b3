"""Documents, on every operation, the problem responses it can give (derived from the route:
its access requirement, its parameters and body), so clients and schemathesis know them."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from api.deps import PublicRoute, RequirePermission
from api.errors import problem_responses


def _any(dependant: Dependant, kind: str) -> bool:
    """Whether the dependant or any of its sub-dependencies takes parameters of `kind`."""
    return bool(getattr(dependant, kind)) or any(_any(d, kind)
                                                 for d in dependant.dependencies)


def _statuses(route: APIRoute) -> set[int]:
    dependant = route.dependant
    statuses: set[int] = set()
    calls = [d.call for d in dependant.dependencies]
    if not any(isinstance(c, PublicRoute) for c in calls):
        statuses.add(401)
    if any(isinstance(c, RequirePermission) for c in calls):
        statuses.add(403)
    # Parameters of sub-dependencies (paging, for one) count as the route's own.
    if _any(dependant, "path_params"):
        statuses |= {404, 422}
    if _any(dependant, "query_params") or _any(dependant, "body_params"):
        statuses.add(422)
    if _any(dependant, "body_params"):
        statuses |= {400, 413}
    return statuses


def document_problem_responses(router: APIRouter) -> None:
    """Call before the router is included in the app."""
    for route in router.routes:
        if not isinstance(route, APIRoute):
            continue
        for status, spec in problem_responses(*sorted(_statuses(route))).items():
            route.responses.setdefault(status, spec)
