"""Durable writes of the access gate's log entries, committed in groups.

Every entry is committed before the caller goes on (what was granted is logged before anything
is handed over), in a transaction of its own, apart from the caller's unit of work (a refused
request still leaves its trace). Entries that arrive together share one transaction: the first
writer to find no commit under way commits everything waiting, the others wait for the commit
that holds their entry (group commit). Under concurrency that is one commit, and one connection,
for many entries instead of one each; alone, it costs what a plain commit does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, Table, insert
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from api.audit.models import AccessLogEntry
from api.db.session import SYSTEM, make_sessionmaker, session_scope
from api.errors import Unavailable

log = logging.getLogger("ohms.access.journal")
_TABLE: Table = AccessLogEntry.__table__  # type: ignore[assignment]
_COLUMNS = tuple(attr.key for attr in sa_inspect(AccessLogEntry).column_attrs)


@dataclass(eq=False)
class _Ticket:
    entry: AccessLogEntry
    committing: bool = False  # this writer commits the next group
    done: bool = False
    failed: bool = False


class AccessJournal:
    """Commits access-log entries in groups of at most `max_group` through `engine` (its own:
    a group's commit must not wait for connections that the writers waiting on it hold); a
    writer waits at most `wait_seconds` for its group to start (then 503, nothing written for
    it)."""

    def __init__(self, engine: Engine, *, max_group: int = 256,
                 wait_seconds: float = 10.0) -> None:
        self._engine = engine
        self._sessions = make_sessionmaker(engine)
        self._max_group = max_group
        self._wait_seconds = wait_seconds
        self._changed = threading.Condition()
        self._waiting: list[_Ticket] = []
        self._busy = False

    def write(self, entry: AccessLogEntry) -> None:
        """Return once `entry` is committed; Unavailable when it could not be."""
        ticket = _Ticket(entry)
        deadline = time.monotonic() + self._wait_seconds
        with self._changed:
            self._waiting.append(ticket)
            if not self._busy:
                self._busy = ticket.committing = True
            while not (ticket.done or ticket.committing):
                remaining = deadline - time.monotonic()
                if remaining <= 0 and ticket in self._waiting:
                    self._waiting.remove(ticket)
                    raise Unavailable("the access log is not keeping up; try again shortly")
                # Once in a group being committed, the outcome is waited for, whatever it is.
                self._changed.wait(max(remaining, 0.05))
            if not ticket.done:
                group = self._waiting[:self._max_group]
                del self._waiting[:self._max_group]
        if not ticket.done:
            self._commit(group)
        if ticket.failed:
            raise Unavailable("the access log could not be written; nothing was handed over")

    def close(self) -> None:
        self._engine.dispose()

    def _commit(self, group: Sequence[_Ticket]) -> None:
        failed = False
        rows = [{k: getattr(t.entry, k) for k in _COLUMNS} for t in group]
        for attempt in (1, 2):
            try:
                with session_scope(self._sessions, SYSTEM) as session:
                    # One executemany of plain rows: the entries are complete when written
                    # and never change, so the unit of work's bookkeeping would be wasted.
                    session.execute(insert(_TABLE), rows)
                break
            except DBAPIError as exc:
                # A connection the database dropped (a restart): nothing was committed, and
                # the pool has let its connections go; once more on a new one.
                if exc.connection_invalidated and attempt == 1:
                    continue
                failed = True
            except SQLAlchemyError:
                failed = True
            log.error("access-log entries not written",
                      extra={"entries": len(group), "attempts": attempt})
            break
        with self._changed:
            for t in group:
                t.done, t.failed = True, failed
            if self._waiting:
                self._waiting[0].committing = True  # the next group's committer
            else:
                self._busy = False
            self._changed.notify_all()
