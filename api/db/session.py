"""Engines and sessions. Each session carries a tenant context that PostgreSQL enforces with
row-level security: every transaction begins by setting `ohms.org_id` / `ohms.rls_bypass`."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker
from sqlalchemy.pool import NullPool

from api.db.sqlite_writer import TurnTakingConnection

TENANT_KEY = "ohms.tenant"


@dataclass(frozen=True)
class TenantContext:
    """Whose rows a session may see. `bypass` is for system work (login, system admins)."""

    organization_id: uuid.UUID | None
    bypass: bool = False


SYSTEM = TenantContext(organization_id=None, bypass=True)


def make_engine(url: str, *, echo: bool = False, pool_size: int = 10,
                max_overflow: int = 20) -> Engine:
    """An engine whose pool holds `pool_size` connections (and `max_overflow` more at peaks):
    one per request being served, so about the server's thread count."""
    kwargs: dict[str, Any] = {"echo": echo, "future": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if ":memory:" in url:
            kwargs["poolclass"] = NullPool
        else:
            # Writers take turns on a lock beside the file instead of polling SQLite's lock.
            kwargs["connect_args"]["factory"] = TurnTakingConnection
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = max_overflow
    else:
        # No ping before each checkout (a round trip each time, two in a grantee read): a
        # connection the server dropped fails its request with 503 (api.errors), the pool
        # then lets every older connection go, and the next request connects afresh; the
        # access journal tries such a commit once more. Connections are renewed every half
        # hour, before idle timeouts of the server or of a proxy in between can cut them.
        kwargs["pool_recycle"] = 1800
        kwargs["pool_size"] = pool_size
        kwargs["max_overflow"] = max_overflow
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _apply_tenant(session: Session, _tx: SessionTransaction, connection: Connection) -> None:
    if connection.dialect.name != "postgresql":
        return
    ctx: TenantContext = session.info.get(TENANT_KEY, TenantContext(None))
    connection.execute(
        text("SELECT set_config('ohms.org_id', :org, true), "
             "set_config('ohms.rls_bypass', :bypass, true)"),
        {"org": str(ctx.organization_id) if ctx.organization_id else "",
         "bypass": "on" if ctx.bypass else "off"},
    )


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    event.listen(factory, "after_begin", _apply_tenant)
    return factory


@contextmanager
def session_scope(factory: sessionmaker[Session], ctx: TenantContext) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error."""
    session = factory(info={TENANT_KEY: ctx})
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@asynccontextmanager
async def session_scope_off_loop(factory: sessionmaker[Session],
                                 ctx: TenantContext) -> AsyncIterator[Session]:
    """`session_scope` for an async dependency whose session sync code uses (in the thread
    pool): made on the event loop (no I/O), committed or rolled back in the thread pool,
    and only closed when it never began a transaction (no I/O either)."""
    from starlette.concurrency import run_in_threadpool

    session = factory(info={TENANT_KEY: ctx})
    try:
        yield session
    except BaseException:
        await run_in_threadpool(_end, session, commit=False)
        raise
    if _nothing_to_end(session):
        session.close()
    else:
        await run_in_threadpool(_end, session, commit=True)


@contextmanager
def committed_here(session: Session) -> Iterator[None]:
    """The writes of a request and their commit, here in the thread that made its checks,
    before the response is made: the database's locks (on SQLite the single writer's, which
    every other write waits for; on PostgreSQL the rows' a contended write updates) are held
    from the first write to the commit only, not across a hop back to the event loop and
    into the thread pool again for the request's session to end. A failure rolls everything
    back, and the request fails as a whole (nothing was answered yet)."""
    try:
        yield
        session.commit()
    except BaseException:
        session.rollback()
        raise


def _nothing_to_end(session: Session) -> bool:
    """Whether closing `session` does no I/O: it never began a transaction, or (SQLite) it
    only read, so its driver began none (pysqlite begins one before the first write only)."""
    if session.new or session.dirty or session.deleted:
        return False
    if not session.in_transaction():
        return True
    connection = session.connection()  # the transaction's own: no new connection
    if connection.dialect.name != "sqlite":
        return False
    dbapi = connection.connection.dbapi_connection
    return dbapi is not None and not dbapi.in_transaction


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
