"""The event indexer: mirrors the OHMS contracts' events into the database, once each, only
after they are buried under `confirmations` blocks, resuming from a cursor kept in the database.

Each batch of blocks is one database transaction: the handlers' writes and the cursor move
commit together, so a crash neither skips nor repeats a batch. Handlers must still be
idempotent (keyed by grant id, batch number or transaction hash and log index): a rewind after
a reorganisation replays blocks.

Reorganisations: before reading on, the stored hash of the cursor's block is compared with the
chain's. When they differ, the cursor rewinds `confirmations + 1` blocks (never before the
deployment) and those blocks are read again. With `confirmations` at least the depth of any
reorganisation the network has, indexed events are final and the rewind is a safety net; events
of blocks that vanished are not undone.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.chain_gateway import ChainGateway
from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.errors import Unavailable
from api.ledger.models import ChainCursor
from chain import Chain, ChainEvent, ChainNotFound, ChainUnavailable

log = logging.getLogger("ohms.ledger.indexer")

EventHandler = Callable[[Session, ChainEvent], None]


class EventIndexer:
    """Reads the contracts' events in order and hands each to the handler of its name
    (`ConsentGranted`, `ConsentRevoked`, `BreakGlassAccess`, `BatchAnchored`, ...); events with
    no handler are passed over."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        chain_gateway: ChainGateway,
        *,
        confirmations: int,
        cursor_name: str = "ohms",
        handlers: Mapping[str, EventHandler],
        batch_blocks: int = 2000,
        heartbeat_seconds: float = 0.0,
    ) -> None:
        if confirmations < 0:
            raise ValueError("confirmations cannot be negative")
        if batch_blocks < 1:
            raise ValueError("batch_blocks must be at least 1")
        self._sessions = sessions
        self._gateway = chain_gateway
        self.confirmations = confirmations
        self.cursor_name = cursor_name
        # An idle pass (nothing new up to the confirmed head, no reorganisation) writes the
        # caught-up heartbeat only when the stored one is older than this: a read instead of a
        # write on every poll (on SQLite, every write waits for the one writer's lock).
        self.heartbeat_seconds = heartbeat_seconds
        self._handlers = dict(handlers)
        self.batch_blocks = batch_blocks

    def run_once(self) -> int:
        """Index every confirmed block not indexed yet; the number of events handled. A node
        that does not answer ends the pass with the cursor where the last commit left it; a
        handler's exception rolls its batch back (cursor included) and propagates."""
        handled = 0
        try:
            chain = self._gateway.ready()
            self._ensure_cursor(chain)
            while True:
                count, more = self._index_next_batch(chain)
                handled += count
                if not more:
                    return handled
        except (ChainUnavailable, Unavailable):
            log.warning("chain unavailable, indexing paused", extra={"cursor": self.cursor_name})
            return handled

    def caught_up_at(self, session: Session) -> datetime | None:
        """When this indexer last had read everything up to the chain's confirmed head."""
        return session.scalar(select(ChainCursor.caught_up_at)
                              .where(ChainCursor.name == self.cursor_name))

    def cursor(self) -> ChainCursor | None:
        """The stored cursor (a detached copy), None before the first pass."""
        with session_scope(self._sessions, SYSTEM) as session:
            return session.get(ChainCursor, self.cursor_name)

    def _idle(self, chain: Chain) -> bool:
        """Nothing to index and a heartbeat fresh enough: checked without a write."""
        if self.heartbeat_seconds <= 0:
            return False
        with session_scope(self._sessions, SYSTEM) as session:
            cursor = session.get(ChainCursor, self.cursor_name)
            if cursor is None or cursor.caught_up_at is None:
                return False
            if utcnow() - cursor.caught_up_at > timedelta(seconds=self.heartbeat_seconds):
                return False
            start = max(cursor.last_block + 1, chain.deployment.block_number)
            if chain.block_number() - self.confirmations >= start:
                return False
            return not self._reorganised(chain, cursor)

    def _index_next_batch(self, chain: Chain) -> tuple[int, bool]:
        if self._idle(chain):
            return 0, False
        with session_scope(self._sessions, SYSTEM) as session:
            # Locked so that indexers in several threads or processes take turns on one cursor:
            # SELECT ... FOR UPDATE on PostgreSQL; on SQLite, which has no row locks, a write as
            # the transaction's first statement takes the database's write lock instead.
            if session.get_bind().dialect.name == "sqlite":
                session.execute(update(ChainCursor).where(ChainCursor.name == self.cursor_name)
                                .values(updated_at=utcnow()))
            cursor = session.execute(
                select(ChainCursor).where(ChainCursor.name == self.cursor_name).with_for_update()
            ).scalar_one()
            first_block = chain.deployment.block_number
            if self._reorganised(chain, cursor):
                rewound = max(cursor.last_block - (self.confirmations + 1), first_block - 1)
                log.warning("chain reorganisation detected, rewinding",
                            extra={"cursor": self.cursor_name, "from_block": cursor.last_block,
                                   "to_block": rewound})
                cursor.last_block = rewound
                cursor.last_block_hash = self._hash_or_none(chain, rewound, first_block)
            start = max(cursor.last_block + 1, first_block)
            safe_head = chain.block_number() - self.confirmations
            end = min(safe_head, start + self.batch_blocks - 1)
            if end < start:
                cursor.caught_up_at = utcnow()
                return 0, False
            events = chain.events(start, end)
            handled = 0
            for event in events:
                handler = self._handlers.get(event.name)
                if handler is None:
                    continue
                handler(session, event)
                handled += 1
            end_hash = chain.block_hash(end)
            cursor.last_block = end
            cursor.last_block_hash = end_hash
            cursor.updated_at = utcnow()
            if end >= safe_head:
                cursor.caught_up_at = cursor.updated_at
        if handled:
            log.info("chain events indexed",
                     extra={"cursor": self.cursor_name, "events": handled,
                            "from_block": start, "to_block": end})
        return handled, end < safe_head

    def _ensure_cursor(self, chain: Chain) -> None:
        """Make the cursor row (just before the deployment's block) when there is none, in a
        transaction of its own: a row that exists can be locked, a missing one cannot."""
        with session_scope(self._sessions, SYSTEM) as session:
            if session.get(ChainCursor, self.cursor_name) is not None:
                return
        try:
            with session_scope(self._sessions, SYSTEM) as session:
                session.add(ChainCursor(name=self.cursor_name,
                                        last_block=chain.deployment.block_number - 1,
                                        last_block_hash=None))
        except IntegrityError:
            pass  # another indexer made it first

    @staticmethod
    def _reorganised(chain: Chain, cursor: ChainCursor) -> bool:
        if cursor.last_block_hash is None:
            return False
        try:
            return chain.block_hash(cursor.last_block) != cursor.last_block_hash
        except ChainNotFound:
            # The block is gone altogether: the chain is now shorter than where we were.
            return True

    @staticmethod
    def _hash_or_none(chain: Chain, block: int, first_block: int) -> str | None:
        if block < first_block:
            return None
        try:
            return chain.block_hash(block)
        except ChainNotFound:
            return None
