"""schemathesis over the whole OpenAPI schema, signed in as each demo role (and anonymous):
no server error, and every response matches the schema the API publishes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.demo import DEMO_PASSWORD, PEOPLE, seed_demo
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


@schema.parametrize()
@settings(max_examples=5, deadline=None, derandomize=True,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(
    case: schemathesis.Case, demo_ohms: tuple[Ohms, dict[str, tuple[str, str]]]
) -> None:
    """Each generated request is sent once per role, and once without credentials."""
    ohms, logins = demo_ohms
    for role in [*ROLES, "anonymous"]:
        headers = {}
        if role != "anonymous":
            email, password = logins[role]
            headers["Authorization"] = f"Bearer {token_for(ohms, role, email, password)}"
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        if case.operation.path == "/api/v1/auth/logout" and response.status_code == 204:
            _tokens.pop((ohms.kind, role), None)  # that sign-in has ended; sign in again
