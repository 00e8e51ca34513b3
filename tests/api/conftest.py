"""An OHMS app per backend, with helpers that act as its users through HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy.orm import Session

from api.composition import Container, build_container
from api.db.migrate import upgrade
from api.db.session import SYSTEM, session_scope
from api.main import create_app
from api.settings import Settings
from chain import RpcChain
from scripts.services.hardhat import ChainNode
from tests.conftest import DatabaseFactory

ADMIN_EMAIL = "root@example.com"
PASSWORD = "Correct-Horse-Battery-9"


def make_settings(database_url: str, data_dir: Path, **overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "database_url": database_url,
        "data_dir": data_dir,
        "jwt_secret": SecretStr("x" * 48),
        # Cheaper argon2 keeps the suite fast; the cost itself is measured by bench_auth.
        "argon2_time_cost": 1,
        "argon2_memory_kib": 1024,
        "argon2_parallelism": 1,
        "bootstrap_admin_email": ADMIN_EMAIL,
        "bootstrap_admin_password": SecretStr(PASSWORD),
        "public_url": "http://testserver",
        "log_level": "WARNING",
        # Tests drive the background work themselves (app.state.workers.run_all_once()).
        "run_workers": False,
        # Every test signs people in from the one test client address; the limits themselves
        # are tested with small ones (tests/api/test_rate_limits.py).
        "rate_limit_sign_in_per_client": "100000/minute",
        "rate_limit_sign_in_per_account": "100000/minute",
        "rate_limit_registration_per_client": "100000/minute",
        "rate_limit_siwe_nonce_per_client": "100000/minute",
    }
    base.update(overrides)
    return Settings(**base)


@dataclass
class User:
    id: str
    uhid: str
    email: str
    password: str
    token: str = ""
    refresh: str = ""
    organization_id: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Ohms:
    """A running app and the people who use it."""

    client: TestClient
    container: Container
    kind: str
    _admin: User | None = field(default=None)

    def db(self) -> AbstractContextManager[Session]:
        """A system-context unit of work, to look behind the API (RLS bypassed)."""
        return session_scope(self.container.sessions, SYSTEM)

    def login(self, username: str, password: str) -> httpx.Response:
        return self.client.post("/api/v1/auth/token",
                                data={"username": username, "password": password})

    def signed_in(self, user: User) -> User:
        r = self.login(user.email, user.password)
        assert r.status_code == 200, r.text
        user.token, user.refresh = r.json()["access_token"], r.json()["refresh_token"]
        return user

    @property
    def admin(self) -> User:
        if self._admin is None:
            self._admin = self.signed_in(User(id="", uhid="", email=ADMIN_EMAIL,
                                               password=PASSWORD))
        return self._admin

    def register_patient(self, **overrides: Any) -> User:
        body = {"email": f"p-{uuid.uuid4().hex[:10]}@example.com", "password": PASSWORD,
                "full_name": "Pat Tester", "date_of_birth": "1990-02-03", **overrides}
        r = self.client.post("/api/v1/auth/register", json=body)
        assert r.status_code == 201, r.text
        return self.signed_in(User(id=r.json()["id"], uhid=r.json()["uhid"],
                                   email=body["email"], password=body["password"]))

    def create_org(self, kind: str = "hospital", name: str | None = None) -> str:
        r = self.client.post("/api/v1/organizations", headers=self.admin.headers,
                             json={"name": name or f"{kind} {uuid.uuid4().hex[:6]}",
                                   "kind": kind})
        assert r.status_code == 201, r.text
        org_id: str = r.json()["id"]
        return org_id

    def add_member(self, org_id: str, role: str, by: User | None = None) -> User:
        email = f"{role}-{uuid.uuid4().hex[:10]}@example.com"
        r = self.client.post(f"/api/v1/organizations/{org_id}/members",
                             headers=(by or self.admin).headers,
                             json={"email": email, "full_name": f"{role.title()} Tester",
                                   "role": role, "password": PASSWORD})
        assert r.status_code == 201, r.text
        return self.signed_in(User(id=r.json()["id"], uhid=r.json()["uhid"], email=email,
                                   password=PASSWORD, organization_id=org_id))


def funded_operator_key(node: ChainNode) -> str:
    """A new account with ether, so each app's outbox owns its nonces on the shared node."""
    account = Account.create()
    faucet = RpcChain(node.rpc_url, node.private_keys[0])
    try:
        faucet.execute({"to": account.address, "data": "0x", "gas": 21_000, "value": 10**19})
    finally:
        faucet.close()
    return "0x" + account.key.hex().removeprefix("0x")


def start_ohms(databases: DatabaseFactory, tmp: Path, **overrides: Any) -> Iterator[Ohms]:
    if databases.chain_node is not None:
        overrides.setdefault("chain_rpc_url", databases.chain_node.rpc_url)
        overrides.setdefault("chain_private_key",
                             SecretStr(funded_operator_key(databases.chain_node)))
    if databases.ipfs_api is not None:
        overrides.setdefault("ipfs_api", databases.ipfs_api)
    settings = make_settings(databases.new(), tmp, **overrides)
    container = build_container(settings)
    upgrade(container.engine)
    app = create_app(settings, container)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Ohms(client=client, container=container, kind=databases.kind)
    container.close()


@pytest.fixture(scope="session")
def ohms(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ohms]:
    """One app per backend for the session; tests make their own tenants and people."""
    yield from start_ohms(databases, tmp_path_factory.mktemp(f"data-{databases.kind}"))


@pytest.fixture
def fresh_ohms(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Ohms]:
    """An app on an empty database, for tests of first-start behaviour."""
    yield from start_ohms(databases, tmp_path)
