"""schemathesis over the whole OpenAPI schema, signed in as each demo role (and anonymous):
no server error, and every response matches the schema the API publishes. Each generated
JSON body is also sent twice more, made hostile: once with a value nested 100,000 levels
deep, once with every string holding an unpaired surrogate; both must be refused with a
4xx problem+json, never a server error."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from fastapi.routing import APIRoute
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.demo import DEMO_PASSWORD, PEOPLE, seed_demo
from api.deps import RequirePermission
from api.roles.catalog import DEFAULT_PERMISSIONS, Role
from tests.api.conftest import Ohms, start_ohms
from tests.conftest import DatabaseFactory

ROLES = sorted({role.value for _, _, role, _ in PEOPLE})
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance,
          status_code_conformance]


@pytest.fixture(scope="session")
def demo_ohms(
    databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Ohms, dict[str, tuple[str, str]]]]:
    """An app with the demo tenants; the email and password of one demo user per role."""
    for ohms in start_ohms(databases, tmp_path_factory.mktemp("fuzz")):
        logins = {}
        for login in seed_demo(ohms.container):
            logins.setdefault(login.role, (login.email, DEMO_PASSWORD))
        yield ohms, logins


@pytest.fixture
def api_schema(demo_ohms: tuple[Ohms, dict[str, tuple[str, str]]]) -> schemathesis.Schema:
    return schemathesis.openapi.from_asgi("/openapi.json", demo_ohms[0].client.app)


schema = schemathesis.pytest.from_fixture("api_schema")
_tokens: dict[tuple[str, str], str] = {}


def token_for(ohms: Ohms, role: str, email: str, password: str) -> str:
    key = (ohms.kind, role)
    if key not in _tokens:
        r = ohms.login(email, password)
        assert r.status_code == 200, r.text
        _tokens[key] = r.json()["access_token"]
    return _tokens[key]


_permissions: dict[tuple[str, str], str | None] = {}


def permission_of(ohms: Ohms, method: str, path: str) -> str | None:
    """The permission an operation requires (None: signed in, or public)."""
    if not _permissions:
        for route in ohms.client.app.routes:
            if not isinstance(route, APIRoute):
                continue
            needed = next((d.call.permission for d in route.dependant.dependencies
                           if isinstance(d.call, RequirePermission)), None)
            for m in route.methods:
                _permissions[(m.upper(), route.path)] = needed
    return _permissions.get((method.upper(), path))


def roles_to_try(ohms: Ohms, case: schemathesis.Case) -> list[str]:
    """A request the schema allows: every role that holds the operation's permission (each
    may take another path through it), one that does not (its refusal must match the schema
    too; the others' refusals are the same 403), and anonymous. Routes open to anyone signed
    in: every role.

    A request the schema forbids (schemathesis's negative cases, three in four of all) is
    refused by validation before the operation's own code runs, whichever holder sends it
    (the role without permission and anonymous are refused before validation, as they are
    with every valid request). So it is sent once, as one holder taken in turn: each holder
    still meets invalid input, including the few the application accepts as valid and
    answers on a role's own path, without the same refusal asked for by every role."""
    needed = permission_of(ohms, case.method, case.operation.path)
    if needed is None:
        holders = list(ROLES)
        others = ["anonymous"]
    else:
        holders = [r for r in ROLES if needed in DEFAULT_PERMISSIONS[Role(r)]]
        others = [*[r for r in ROLES if r not in holders][:1], "anonymous"]
    if case.meta is not None and case.meta.generation.mode is GenerationMode.NEGATIVE:
        _negatives[case.operation.label] = turn = _negatives.get(case.operation.label, -1) + 1
        return [(holders or others)[turn % len(holders or others)]]
    return [*holders, *others]


_negatives: dict[str, int] = {}


DEEP_VALUE = "[" * 100_000 + "]" * 100_000


def _with_lone_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value[:1] + "\ud800" + value[1:]
    if isinstance(value, dict):
        return {_with_lone_surrogates(k): _with_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_lone_surrogates(v) for v in value]
    return value


def _text(value: Any) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else str(value)


def hostile_bodies(body: Any) -> list[bytes]:
    """The generated body nested deep (in its first property, or whole) and with lone
    surrogates in every string (or as itself, when it has none)."""
    if isinstance(body, dict) and body:
        first = next(iter(body))
        deep = json.dumps({**body, first: "DEEP"}, default=_text).replace(
            '"DEEP"', DEEP_VALUE, 1)
    else:
        deep = DEEP_VALUE
    # ensure_ascii (the default) writes each surrogate as a \ud800 escape.
    surrogates = json.dumps(_with_lone_surrogates(body), default=_text)
    if "\\ud800" not in surrogates:
        surrogates = json.dumps({"value": "\ud800", "body": body}, default=_text)
    return [deep.encode(), surrogates.encode()]


def send_hostile_bodies(ohms: Ohms, case: schemathesis.Case, headers: dict[str, str]) -> None:
    if case.media_type is None or "json" not in case.media_type:
        return
    for content in hostile_bodies(case.body):
        response = ohms.client.request(
            case.method, case.formatted_path, params=case.query, content=content,
            headers={**headers, "Content-Type": "application/json"})
        assert 400 <= response.status_code < 500, (
            case.method, case.operation.path, response.status_code, response.text[:300])
        assert response.headers["content-type"] == "application/problem+json"


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(
    case: schemathesis.Case, demo_ohms: tuple[Ohms, dict[str, tuple[str, str]]]
) -> None:
    """Each generated request is sent as the roles `roles_to_try` picks; its hostile variants
    once, as the first role the operation let through (the deepest path)."""
    ohms, logins = demo_ohms
    admitted: dict[str, str] | None = None
    for role in roles_to_try(ohms, case):
        headers = {}
        if role != "anonymous":
            email, password = logins[role]
            headers["Authorization"] = f"Bearer {token_for(ohms, role, email, password)}"
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if admitted is None and response.status_code not in (401, 403):
            admitted = headers
        if case.operation.path == "/api/v1/auth/logout" and response.status_code == 204:
            _tokens.pop((ohms.kind, role), None)  # that sign-in has ended; sign in again
            admitted = {}
    send_hostile_bodies(ohms, case, admitted or {})
