"""SQLite's writers take turns in order instead of polling for its lock.

SQLite has one writer at a time. A connection that finds the write lock taken waits in
SQLite's busy handler, which sleeps 1, 2, 5 ... then 100 ms between attempts: when the
writer commits, the lock often stays free while every waiter sleeps, and a waiter may miss
its turn many times (writes of 2 server processes with 16 threads each waited up to 1.2 s
at a p50 of 65 ms). Here each write transaction first takes the database's writer lock: a
lock of the process (threads queue on it) and then an exclusive `flock` of a file beside
the database (processes queue on it, and the kernel wakes the next one when it is let go).
The SQLite lock underneath is untouched, so nothing that was safe becomes unsafe; at worst
(a write that began some other way, such as after a SAVEPOINT) a writer waits in SQLite's
busy handler as before.

A transaction takes the lock just before pysqlite begins it (its first INSERT, UPDATE,
DELETE or REPLACE: reads before it run outside any transaction) and lets it go when it
commits or rolls back. A thread that writes through a second connection while its first
holds the lock waits 30 s and fails with "database is locked", as it would in SQLite's
busy handler without this module.
"""

from __future__ import annotations

import fcntl
import os
import re
import sqlite3
import threading
from typing import Any

# pysqlite's own test for the statements it begins a transaction before.
_BEGINS_TRANSACTION = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE)\b", re.IGNORECASE)
# How long a thread waits for another thread of its process (SQLite's busy timeout, too).
WAIT_SECONDS = 30.0


class WriterLock:
    """One database file's writer lock within one process. Held by a connection, not a
    thread: a session may commit in another thread of the pool than the one that wrote."""

    def __init__(self, path: str) -> None:
        self._threads = threading.Lock()
        self._fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT, 0o600)

    def acquire(self) -> None:
        if not self._threads.acquire(timeout=WAIT_SECONDS):
            raise sqlite3.OperationalError("database is locked")
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX)
        except BaseException:
            self._threads.release()
            raise

    def release(self) -> None:
        try:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._threads.release()


_locks: dict[tuple[int, str], WriterLock] = {}
_locks_guard = threading.Lock()


def writer_lock(path: str) -> WriterLock:
    """The process's lock of the database at `path` (one per process: a forked or spawned
    server process opens its own lock file description)."""
    key = (os.getpid(), os.path.realpath(path))
    with _locks_guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = WriterLock(key[1])
        return lock


class _Cursor(sqlite3.Cursor):
    connection: TurnTakingConnection

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:
        self.connection.before_statement(sql)
        try:
            super().execute(sql, parameters)
        finally:
            self.connection.after_statement()
        return self

    def executemany(self, sql: str, seq_of_parameters: Any, /) -> _Cursor:
        self.connection.before_statement(sql)
        try:
            super().executemany(sql, seq_of_parameters)
        finally:
            self.connection.after_statement()
        return self


    def executescript(self, sql_script: str, /) -> _Cursor:
        self.connection.commit()  # as pysqlite does first, but letting the lock go too
        super().executescript(sql_script)
        return self


class TurnTakingConnection(sqlite3.Connection):
    """A pysqlite connection whose write transactions hold their database's writer lock."""

    def __init__(self, database: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._writer = writer_lock(database)
        self._holding = False

    def cursor(self, factory: Any = _Cursor) -> Any:
        return super().cursor(factory)

    def before_statement(self, sql: str) -> None:
        if (not self._holding and not self.in_transaction
                and self.isolation_level is not None and _BEGINS_TRANSACTION.match(sql)):
            self._writer.acquire()
            self._holding = True

    def after_statement(self) -> None:
        if self._holding and not self.in_transaction:  # failed before it began, or autocommit
            self._let_go()

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._let_go()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._let_go()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._let_go()

    def _let_go(self) -> None:
        if self._holding:
            self._holding = False
            self._writer.release()
