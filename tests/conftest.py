"""Backends for the whole suite: every API test runs on the embedded defaults (SQLite, the
in-process dev chain) and on the real ones (PostgreSQL: a throwaway cluster this session
starts, or OHMS_TEST_DATABASE_URL; a Hardhat node, or OHMS_TEST_CHAIN_RPC_URL; an IPFS
node, or OHMS_TEST_IPFS_API; an SMTP server on loopback for the email tests)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.services.hardhat import ChainNode, hardhat_node
from scripts.services.ipfs import ipfs_node
from scripts.services.postgres import postgres_cluster
from scripts.services.smtp import SmtpServer, smtp_server


@dataclass
class DatabaseServer:
    """Makes and drops throwaway databases on a PostgreSQL server, as the application role."""

    url: str  # a URL of any database on the server, as a non-superuser role with CREATEDB

    def _admin_engine(self):  # type: ignore[no-untyped-def]
        return create_engine(make_url(self.url).set(database="postgres"),
                             isolation_level="AUTOCOMMIT")

    def create(self) -> str:
        name = f"ohms_test_{uuid.uuid4().hex[:12]}"
        engine = self._admin_engine()
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine.dispose()
        return make_url(self.url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        engine = self._admin_engine()
        with engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[DatabaseServer]:
    given = os.environ.get("OHMS_TEST_DATABASE_URL")
    if given:
        yield DatabaseServer(given)
        return
    with postgres_cluster() as cluster:
        yield DatabaseServer(cluster.url("postgres"))


@pytest.fixture(scope="session")
def chain_node() -> Iterator[ChainNode]:
    """A Hardhat JSON-RPC node for the session (or OHMS_TEST_CHAIN_RPC_URL's)."""
    with hardhat_node() as node:
        yield node


@pytest.fixture(scope="session")
def ipfs_api() -> Iterator[str]:
    """RPC API multiaddr of an offline IPFS node for the session (or OHMS_TEST_IPFS_API's)."""
    with ipfs_node() as address:
        yield address


@pytest.fixture(scope="session")
def mail_server() -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on loopback for the session; a test may stop it (its
    port then refuses connections) and must start it again."""
    with smtp_server() as server:
        yield server


@dataclass
class DatabaseFactory:
    """Fresh, empty databases of one backend kind."""

    kind: str
    tmp: Path
    server: DatabaseServer | None
    stack: ExitStack
    chain_node: ChainNode | None = None
    ipfs_api: str | None = None

    def new(self) -> str:
        if self.kind == "embedded":
            return f"sqlite:///{self.tmp / f'ohms-{uuid.uuid4().hex[:8]}.sqlite3'}"
        assert self.server is not None
        url = self.server.create()
        self.stack.callback(self.server.drop, url)
        return url


@pytest.fixture(scope="session", params=["embedded", "real"])
def databases(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DatabaseFactory]:
    real = request.param == "real"
    server = request.getfixturevalue("postgres_server") if real else None
    node = request.getfixturevalue("chain_node") if real else None
    ipfs = request.getfixturevalue("ipfs_api") if real else None
    with ExitStack() as stack:
        yield DatabaseFactory(kind=request.param, tmp=tmp_path_factory.mktemp(request.param),
                              server=server, stack=stack, chain_node=node, ipfs_api=ipfs)


@pytest.fixture(scope="session")
def orthanc_processes() -> Iterator[list[object]]:
    """Two Orthanc servers (institutions A and B) this session starts and may stop and
    restart (fault tests); requested by the imaging tests on the real backend only."""
    from scripts.services.orthanc import orthanc_server

    with ExitStack() as stack:
        yield [stack.enter_context(orthanc_server()) for _ in range(2)]


FUZZ_MODULE = "tests/api/test_schema_fuzz.py"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Work units for `pytest -n 2 --dist loadgroup` (make test): each file runs on one worker
    (its module- and session-scoped servers start once), except the schema fuzz, the longest
    run by far, whose two backends are two units that start first, one on each worker."""
    # On the controller `-n` is set; xdist's workers (which report the groups with the items
    # they collect) have `workerinput` instead.
    if not getattr(config.option, "numprocesses", None) and not hasattr(config, "workerinput"):
        return
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path == FUZZ_MODULE:
            kind = "real" if "[real" in item.nodeid else "embedded"
            item.add_marker(pytest.mark.xdist_group(f"fuzz-{kind}"))
        else:
            item.add_marker(pytest.mark.xdist_group(path))
    items.sort(key=lambda item: not item.nodeid.startswith(FUZZ_MODULE))
