"""A throwaway PostgreSQL 15 cluster on loopback (initdb + pg_ctl), for tests and benchmarks.

PostgreSQL refuses to run as root, so as root the cluster runs as the `postgres` user.
The application connects as a non-superuser role that owns its database, so row-level
security applies to it (superusers bypass RLS).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.services._process import free_port

PG_BIN = Path(os.environ.get("OHMS_PG_BIN", "/usr/lib/postgresql/15/bin"))
APP_ROLE = "ohms_app"
APP_PASSWORD = "ohms_app"  # noqa: S105 - throwaway loopback cluster


@dataclass(frozen=True)
class PostgresCluster:
    host: str
    port: int
    socket_dir: str

    def url(self, database: str, *, user: str = APP_ROLE, password: str = APP_PASSWORD) -> str:
        return f"postgresql+psycopg://{user}:{password}@{self.host}:{self.port}/{database}"

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.host}:{self.port}/postgres"

    def create_database(self, name: str) -> str:
        """Create database `name` owned by the application role; return its URL."""
        self.psql(f'CREATE DATABASE "{name}" OWNER {APP_ROLE}')
        return self.url(name)

    def psql(self, sql: str, database: str = "postgres") -> str:
        out = subprocess.run(
            ["psql", "-X", "-q", "-t", "-A", "-h", self.host, "-p", str(self.port),
             "-U", "postgres", "-d", database, "-v", "ON_ERROR_STOP=1", "-c", sql],
            check=True, capture_output=True, text=True,
        )
        return out.stdout


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


@contextmanager
def postgres_cluster() -> Iterator[PostgresCluster]:
    """Start a fresh cluster in a temporary directory; stop and delete it on exit."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries not found in {PG_BIN}: run `make deps`")
    root = Path(tempfile.mkdtemp(prefix="ohms-pg-"))
    if os.geteuid() == 0:
        pw = pwd.getpwnam("postgres")
        os.chown(root, pw.pw_uid, pw.pw_gid)
    data, log = root / "data", root / "log"
    port = free_port()
    subprocess.run(
        _as_postgres([str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                      "-E", "UTF8", "--no-sync"]),
        check=True, capture_output=True,
    )
    subprocess.run(
        _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-w", "-o",
                      f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
                      "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
                      "start"]),
        check=True, capture_output=True,
    )
    cluster = PostgresCluster(host="127.0.0.1", port=port, socket_dir=str(root))
    try:
        cluster.psql(f"CREATE ROLE {APP_ROLE} LOGIN PASSWORD '{APP_PASSWORD}' NOSUPERUSER "
                     "NOBYPASSRLS CREATEDB")
        yield cluster
    finally:
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w",
                          "stop"]),
            check=False, capture_output=True,
        )
        shutil.rmtree(root, ignore_errors=True)
