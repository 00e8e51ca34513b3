"""Rate limits on sign-in (per client address and per account, known or not), registration
and SIWE nonces (per client address): 429 problem+json with Retry-After over them."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, Ohms, start_ohms
from tests.conftest import DatabaseFactory

PROBLEM = "application/problem+json"
LIMITS = {
    "rate_limit_sign_in_per_client": "6/minute",
    "rate_limit_sign_in_per_account": "3/minute",
    "rate_limit_registration_per_client": "2/minute",
    "rate_limit_siwe_nonce_per_client": "2/minute",
}
_hosts = itertools.count(1)


@pytest.fixture(scope="module")
def limited(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[Ohms]:
    yield from start_ohms(databases, tmp_path_factory.mktemp("limited"), **LIMITS)


def client_from_new_address(ohms: Ohms) -> TestClient:
    """A client of the same app from an address no other request came from."""
    return TestClient(ohms.client.app, raise_server_exceptions=False,
                      client=(f"198.51.100.{next(_hosts)}", 50000))


def sign_in(client: TestClient, username: str, password: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password})


def register(client: TestClient, email: str) -> httpx.Response:
    return client.post("/api/v1/auth/register", json={
        "email": email, "password": PASSWORD, "full_name": "Asha Rao",
        "date_of_birth": "1988-07-01"})


def assert_too_many(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"] == PROBLEM
    assert 1 <= int(r.headers["Retry-After"]) <= 60
    assert r.json()["status"] == 429


def test_sign_in_is_limited_per_account_known_or_not(limited: Ohms) -> None:
    known = f"known-{uuid.uuid4().hex[:8]}@example.com"
    assert register(client_from_new_address(limited), known).status_code == 201
    unknown = f"unknown-{uuid.uuid4().hex[:8]}@example.com"
    refusals = {}
    for account in (known, unknown):
        # Each attempt from another address: only the account's own limit applies.
        for _ in range(3):
            r = sign_in(client_from_new_address(limited), account, "Wrong-Password-123")
            assert r.status_code == 401, r.text
        # Another spelling of the same address counts for the same account; even the right
        # password waits.
        refusals[account] = sign_in(client_from_new_address(limited), account.upper(), PASSWORD)
        assert_too_many(refusals[account])
    assert refusals[known].json() == refusals[unknown].json()


def test_sign_in_is_limited_per_client_across_accounts(limited: Ohms) -> None:
    sprayer = client_from_new_address(limited)
    for _ in range(6):
        r = sign_in(sprayer, f"u-{uuid.uuid4().hex[:8]}@example.com", "Wrong-Password-123")
        assert r.status_code == 401, r.text
    assert_too_many(sign_in(sprayer, f"u-{uuid.uuid4().hex[:8]}@example.com", PASSWORD))
    other = sign_in(client_from_new_address(limited), f"u-{uuid.uuid4().hex[:8]}@example.com",
                    "Wrong-Password-123")
    assert other.status_code == 401


def test_registration_is_limited_per_client(limited: Ohms) -> None:
    client = client_from_new_address(limited)
    for _ in range(2):
        assert register(client, f"r-{uuid.uuid4().hex[:8]}@example.com").status_code == 201
    refused_email = f"r-{uuid.uuid4().hex[:8]}@example.com"
    assert_too_many(register(client, refused_email))
    assert sign_in(client_from_new_address(limited), refused_email, PASSWORD).status_code == 401
    assert register(client_from_new_address(limited),
                    f"r-{uuid.uuid4().hex[:8]}@example.com").status_code == 201


def test_siwe_nonces_are_limited_per_client(limited: Ohms) -> None:
    client = client_from_new_address(limited)
    for _ in range(2):
        assert client.post("/api/v1/auth/siwe/nonce").status_code == 200
    assert_too_many(client.post("/api/v1/auth/siwe/nonce"))
    assert client_from_new_address(limited).post("/api/v1/auth/siwe/nonce").status_code == 200


def test_wallet_sign_in_is_limited_like_password_sign_in(limited: Ohms) -> None:
    client = client_from_new_address(limited)
    attempt = {"message": "not a sign-in message", "signature": "0x" + "11" * 65}
    answers = [client.post("/api/v1/auth/siwe/verify", json=attempt) for _ in range(6)]
    # Refused as malformed (400) until the client's sign-in limit, then 429.
    assert [r.status_code for r in answers[:3]] == [400, 400, 400]
    assert_too_many(answers[-1])
