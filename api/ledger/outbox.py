"""The transactional outbox: a chain transaction is a row written in the same database
transaction as the business change that asks for it; the OutboxWorker later signs it with a
nonce the database hands out, sends it, and follows it until it is mined.

A row moves pending -> signed -> sent -> confirmed, or ends failed. The rules that keep a
transaction from being lost or applied twice:

- Signing and the nonce assignment commit together, before anything is sent; afterwards the row
  is only ever re-sent with the same raw bytes, so a crash (before or after sending) resends a
  transaction whose hash and nonce are fixed, and a nonce is spent once.
- A row gets one signature in its life. The single exception is a nonce proven taken by
  another transaction (the node says "nonce too low" and our hash has no receipt): ours can
  then never be mined, so the row goes back to pending for a fresh nonce.
- A node that does not answer never fails a row: it is deferred with exponential backoff.
  `max_attempts` bounds only retries of a node's rejections (fees, funds, gas limit).
- A request that would revert is caught by a pre-flight call before it spends a nonce (only
  when none of the sender's transactions is in flight: a request may depend on one of them,
  and then it is sent and a revert, if any, is read from its receipt).
- A nonce whose transaction failed before the node accepted it is handed out again: to the
  next row when it was the last one assigned, otherwise through a zero-value self-transfer
  signed with it, so later nonces waiting behind the gap go through.
- With nothing of a sender's in flight, the chain's pending nonce is the truth (the operator
  key may have been used outside the outbox, for example by the contract deployment).

This assumes one consistent node behind the RPC URL (a load balancer whose nodes lag each
other could report a nonce as used before the receipt of our transaction is visible).
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.chain_gateway import ChainGateway
from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.errors import Unavailable
from api.ledger.models import IN_FLIGHT, ChainNonce, OutboxStatus, OutboxTransaction
from chain import (
    Chain,
    ChainError,
    ChainReverted,
    ChainUnavailable,
    NonceTooLow,
    Receipt,
    TransactionRejected,
    TransactionRequest,
)

log = logging.getLogger("ohms.ledger.outbox")

FILLER_KIND = "nonce.filler"
SELF_TRANSFER_GAS = 21_000
_ERROR_LENGTH = 200
# Nodes word a nonce ahead of the account differently: Hardhat "Nonce too high. Expected nonce
# to be 2 but got 3", eth-tester "Invalid transaction nonce: Expected 2, but got 3".
_NONCE_EXPECTED = re.compile(r"[Ee]xpected (?:nonce to be )?(\d+),? but got (\d+)")

SettlementHook = Callable[[Session, OutboxTransaction, Receipt | None], None]
"""Called in the transaction that marks a row confirmed or failed (the receipt is None when it
failed without being mined), so a business change that follows from it commits with it."""


def enqueue(
    session: Session,
    *,
    kind: str,
    request: TransactionRequest,
    idempotency_key: str,
    subject_id: str | None = None,
) -> OutboxTransaction:
    """Queue `request` in the caller's transaction; the same key returns the row queued before.

    Nothing is committed here: the row lands with the caller's business change or not at all.
    Two callers racing with one key make the second unit of work fail on the unique key (and
    roll back whole); a retry then finds the first row.
    """
    if not kind or len(kind) > 64:
        raise ValueError("outbox kind must be 1-64 characters")
    if not idempotency_key or len(idempotency_key) > 200:
        raise ValueError("idempotency key must be 1-200 characters")
    if "data" not in request or "gas" not in request:
        raise ValueError("a transaction request needs data and gas")
    existing = outbox_status(session, idempotency_key)
    if existing is not None:
        return existing
    row = OutboxTransaction(
        kind=kind,
        idempotency_key=idempotency_key,
        subject_id=subject_id,
        request=dict(request),
        status=OutboxStatus.pending,
        attempts=0,
        next_attempt_at=utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def outbox_status(session: Session, idempotency_key: str) -> OutboxTransaction | None:
    """The outbox row queued under `idempotency_key`, if any."""
    return session.execute(
        select(OutboxTransaction).where(OutboxTransaction.idempotency_key == idempotency_key)
    ).scalar_one_or_none()


def outbox_by_tx_hash(session: Session, tx_hash: str) -> OutboxTransaction | None:
    """The outbox row whose current signature has hash `tx_hash` (an indexed event's
    transaction leads back to the business object through its `subject_id`)."""
    return session.execute(
        select(OutboxTransaction).where(OutboxTransaction.tx_hash == tx_hash.lower())
    ).scalar_one_or_none()


class OutboxWorker:
    """Signs, sends and follows the due outbox rows; `run_once` is one pass, safe to run from
    several processes at once (nonces are assigned under a database lock)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        chain_gateway: ChainGateway,
        *,
        max_attempts: int,
        base_backoff: float = 1.0,
        max_backoff: float = 60.0,
        batch_size: int = 100,
        on_settled: Mapping[str, SettlementHook] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self._sessions = sessions
        self._gateway = chain_gateway
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.batch_size = batch_size
        self._on_settled = dict(on_settled or {})
        self._clock = clock

    # The pass

    def run_once(self) -> int:
        """Advance every due row as far as it goes now; the number of rows whose status
        changed. A node that stops answering ends the pass and defers the rows not reached."""
        due = self._due_row_ids()
        if not due:
            return 0
        try:
            self._gateway.ready()
        except Unavailable:
            self._defer(due, "chain unavailable")
            return 0
        changed = 0
        for index, row_id in enumerate(due):
            try:
                before, after = self._advance(row_id)
            except ChainUnavailable:
                log.warning("chain unavailable, outbox deferred",
                            extra={"deferred": len(due) - index})
                self._defer(due[index:], "chain unavailable")
                break
            except Exception as exc:  # noqa: BLE001 - one broken row must not stall the others
                log.error("outbox row could not be advanced",
                          extra={"outbox_id": str(row_id), "error_type": type(exc).__name__})
                self._defer([row_id], f"internal error: {type(exc).__name__}")
                continue
            changed += before != after
        return changed

    def _advance(self, row_id: uuid.UUID) -> tuple[OutboxStatus | None, OutboxStatus | None]:
        before = self._status(row_id)
        if before == OutboxStatus.pending:
            after = self.assign_and_sign(row_id)
            if after == OutboxStatus.signed:
                after = self.broadcast(row_id)
        elif before in IN_FLIGHT:
            after = self.broadcast(row_id)
        else:
            after = before
        return before, after

    def _due_row_ids(self) -> list[uuid.UUID]:
        """In-flight rows first, by nonce (a lower nonce must land before a higher one), then
        pending rows in the order they were queued."""
        now = self._clock()
        with self._scope() as session:
            in_flight = session.execute(
                select(OutboxTransaction.id)
                .where(OutboxTransaction.status.in_(IN_FLIGHT),
                       OutboxTransaction.next_attempt_at <= now)
                .order_by(OutboxTransaction.nonce, OutboxTransaction.created_at)
                .limit(self.batch_size)
            ).scalars().all()
            pending = session.execute(
                select(OutboxTransaction.id)
                .where(OutboxTransaction.status == OutboxStatus.pending,
                       OutboxTransaction.next_attempt_at <= now)
                .order_by(OutboxTransaction.created_at, OutboxTransaction.id)
                .limit(max(self.batch_size - len(in_flight), 0))
            ).scalars().all()
        return [*in_flight, *pending]

    # Steps (public so that tests and tools can stop between them, as a crash would)

    def assign_and_sign(self, row_id: uuid.UUID) -> OutboxStatus | None:
        """Pre-flight a pending row, then give it the sender's next nonce and sign it, both
        committed before anything is sent. Returns the row's status afterwards."""
        chain = self._chain()
        row = self._load(row_id)
        if row is None or row.status != OutboxStatus.pending:
            return row.status if row else None
        request = _request(row)
        if not self._sender_has_in_flight(chain.operator_address):
            try:
                chain.simulate(request)
            except ChainReverted as reverted:
                return self._fail(row_id, reverted.error_name, before_sending=True)
            except ChainUnavailable:
                raise
            except ChainError as refused:
                return self._fail(row_id, f"refused: {refused}", before_sending=True)
        try:
            with self._scope() as session:
                counter = self._lock_nonce(session, chain)
                locked = self._locked_row(session, row_id)
                if locked is None or locked.status != OutboxStatus.pending:
                    return locked.status if locked else None
                signed = chain.sign_transaction(request, counter.next_nonce)
                locked.status = OutboxStatus.signed
                locked.sender = chain.operator_address
                locked.nonce = signed.nonce
                locked.tx_hash = signed.tx_hash.lower()
                locked.raw_tx = signed.raw.hex()
                locked.last_error = None
                locked.next_attempt_at = self._clock()
                counter.next_nonce = signed.nonce + 1
        except ChainUnavailable:
            raise
        except ChainError as refused:
            # Nothing was committed: the nonce is still the next one to hand out.
            return self._fail(row_id, f"refused: {refused}", before_sending=True)
        log.info("outbox transaction signed",
                 extra={"outbox_id": str(row_id), "kind": row.kind, "nonce": signed.nonce,
                        "tx_hash": signed.tx_hash})
        return OutboxStatus.signed

    def broadcast(self, row_id: uuid.UUID) -> OutboxStatus | None:
        """Send a signed row's raw bytes (again, after a crash or a dropped transaction) and
        settle it when its receipt is there. Returns the row's status afterwards."""
        chain = self._chain()
        row = self._load(row_id)
        if row is None or row.status not in IN_FLIGHT:
            return row.status if row else None
        assert row.tx_hash is not None and row.raw_tx is not None
        receipt = chain.receipt(row.tx_hash)
        if receipt is not None:
            return self._settle(chain, row_id, receipt)
        try:
            chain.send_raw_transaction(bytes.fromhex(row.raw_tx))
        except NonceTooLow as known:
            receipt = chain.receipt(row.tx_hash)
            if receipt is not None:
                return self._settle(chain, row_id, receipt)
            if _already_known(known):
                return self._mark_sent(row_id)
            return self._requeue_taken_nonce(chain, row_id)
        except TransactionRejected as rejected:
            if _nonce_ahead(rejected):
                # An earlier nonce has not landed yet: wait for it, this row did nothing wrong.
                self._defer([row_id], "waiting for an earlier nonce")
                return row.status
            return self._rejected(chain, row_id, rejected)
        status = self._mark_sent(row_id)
        receipt = chain.receipt(row.tx_hash)
        if receipt is not None:
            return self._settle(chain, row_id, receipt)
        return status

    # Outcomes

    def _settle(self, chain: Chain, row_id: uuid.UUID, receipt: Receipt) -> OutboxStatus | None:
        reason = None
        if not receipt.succeeded:
            # A status-0 receipt carries no reason; replaying it may need the node (and raise
            # ChainUnavailable, leaving the row in flight for the next pass).
            try:
                reason = chain.explain_failure(receipt.tx_hash).error_name
            except ChainUnavailable:
                raise
            except ChainError:
                reason = "unknown"
        with self._scope() as session:
            row = self._locked_row(session, row_id)
            if row is None or row.status not in IN_FLIGHT:
                return row.status if row else None
            row.block_number = receipt.block_number
            row.gas_used = receipt.gas_used
            if receipt.succeeded:
                row.status = OutboxStatus.confirmed
                row.last_error = None
            else:
                row.status = OutboxStatus.failed
                row.last_error = reason
            self._run_hook(session, row, receipt)
            status = row.status
            extra = {"outbox_id": str(row_id), "kind": row.kind, "tx_hash": receipt.tx_hash,
                     "block_number": receipt.block_number}
        if status == OutboxStatus.confirmed:
            log.info("outbox transaction confirmed", extra=extra)
        else:
            log.warning("outbox transaction reverted", extra={**extra, "error": reason})
        return status

    def _fail(self, row_id: uuid.UUID, reason: str, *, before_sending: bool) -> OutboxStatus | None:
        with self._scope() as session:
            row = self._locked_row(session, row_id)
            if row is None or row.settled:
                return row.status if row else None
            if before_sending and row.status != OutboxStatus.pending:
                return row.status
            row.status = OutboxStatus.failed
            row.last_error = _short(reason)
            self._run_hook(session, row, None)
            kind = row.kind
        log.warning("outbox transaction failed before sending",
                    extra={"outbox_id": str(row_id), "kind": kind, "error": _short(reason)})
        return OutboxStatus.failed

    def _mark_sent(self, row_id: uuid.UUID) -> OutboxStatus | None:
        with self._scope() as session:
            row = self._locked_row(session, row_id)
            if row is None:
                return None
            if row.status == OutboxStatus.signed:
                row.status = OutboxStatus.sent
                row.last_error = None
            return row.status

    def _requeue_taken_nonce(self, chain: Chain, row_id: uuid.UUID) -> OutboxStatus | None:
        """Our nonce was spent by another transaction, so our signature can never be mined:
        back to pending for a fresh nonce (the only time a row is signed twice)."""
        with self._scope() as session:
            counter = self._lock_nonce(session, chain)
            row = self._locked_row(session, row_id)
            if row is None or row.status not in IN_FLIGHT:
                return row.status if row else None
            if row.sender == chain.operator_address:
                counter.next_nonce = max(counter.next_nonce, chain.pending_nonce())
            row.status = OutboxStatus.pending
            row.sender = row.nonce = row.tx_hash = row.raw_tx = None
            row.last_error = "nonce used by another transaction"
        log.warning("outbox nonce taken by another transaction, re-queued",
                    extra={"outbox_id": str(row_id)})
        return OutboxStatus.pending

    def _rejected(
        self, chain: Chain, row_id: uuid.UUID, rejected: TransactionRejected
    ) -> OutboxStatus | None:
        """The node refused our bytes (fees, funds, gas limit): retry them with backoff; after
        `max_attempts` the row fails and its nonce, never accepted, is handed out again."""
        with self._scope() as session:
            counter = self._lock_nonce(session, chain)
            row = self._locked_row(session, row_id)
            if row is None or row.status not in IN_FLIGHT:
                return row.status if row else None
            row.attempts += 1
            row.last_error = _short(f"rejected: {rejected}")
            if row.attempts < self.max_attempts:
                row.next_attempt_at = self._clock() + self._backoff(row.attempts)
                return row.status
            released = row.nonce
            row.status = OutboxStatus.failed
            row.nonce = row.tx_hash = row.raw_tx = None
            if released is not None and row.sender == chain.operator_address:
                self._release_nonce(session, chain, counter, released)
            self._run_hook(session, row, None)
            kind = row.kind
        log.warning("outbox transaction rejected for good",
                    extra={"outbox_id": str(row_id), "kind": kind, "nonce": released})
        return OutboxStatus.failed

    def _release_nonce(
        self, session: Session, chain: Chain, counter: ChainNonce, nonce: int
    ) -> None:
        if counter.next_nonce == nonce + 1:
            counter.next_nonce = nonce
            return
        # Later nonces are already out and wait behind this one: fill it now rather than wait
        # for new work to come and take it.
        filler: TransactionRequest = {
            "to": chain.operator_address, "data": "0x", "gas": SELF_TRANSFER_GAS, "value": 0,
        }
        signed = chain.sign_transaction(filler, nonce)
        session.add(OutboxTransaction(
            kind=FILLER_KIND,
            idempotency_key=f"{FILLER_KIND}:{chain.operator_address}:{nonce}:{uuid.uuid4().hex}",
            request=dict(filler),
            status=OutboxStatus.signed,
            sender=chain.operator_address,
            nonce=nonce,
            tx_hash=signed.tx_hash.lower(),
            raw_tx=signed.raw.hex(),
            attempts=0,
            next_attempt_at=self._clock(),
        ))

    def _defer(self, row_ids: Iterable[uuid.UUID], reason: str) -> None:
        now = self._clock()
        with self._scope() as session:
            for row in session.execute(
                select(OutboxTransaction).where(OutboxTransaction.id.in_(list(row_ids)))
            ).scalars():
                if row.settled:
                    continue
                row.attempts += 1
                row.next_attempt_at = now + self._backoff(row.attempts)
                row.last_error = _short(reason)

    def _backoff(self, attempts: int) -> timedelta:
        exponent = min(max(attempts - 1, 0), 32)
        return timedelta(seconds=min(self.max_backoff, self.base_backoff * 2**exponent))

    def _run_hook(self, session: Session, row: OutboxTransaction, receipt: Receipt | None) -> None:
        hook = self._on_settled.get(row.kind)
        if hook is not None:
            hook(session, row, receipt)

    # Database and chain plumbing

    def _scope(self) -> AbstractContextManager[Session]:
        return session_scope(self._sessions, SYSTEM)

    def _chain(self) -> Chain:
        try:
            return self._gateway.ready()
        except Unavailable as exc:
            raise ChainUnavailable(exc.detail) from exc

    def _status(self, row_id: uuid.UUID) -> OutboxStatus | None:
        row = self._load(row_id)
        return row.status if row else None

    def _load(self, row_id: uuid.UUID) -> OutboxTransaction | None:
        with self._scope() as session:
            return session.get(OutboxTransaction, row_id)

    @staticmethod
    def _locked_row(session: Session, row_id: uuid.UUID) -> OutboxTransaction | None:
        """The row, locked until the session commits, so that of two workers deciding its next
        state only one does (and a settlement hook runs once). SQLite has no row locks: a
        write first takes the database's write lock instead."""
        if session.get_bind().dialect.name == "sqlite":
            session.execute(update(OutboxTransaction).where(OutboxTransaction.id == row_id)
                            .values(updated_at=utcnow()))
        return session.execute(
            select(OutboxTransaction).where(OutboxTransaction.id == row_id).with_for_update()
        ).scalar_one_or_none()

    def _sender_has_in_flight(self, sender: str) -> bool:
        with self._scope() as session:
            return bool(session.execute(select(exists().where(
                OutboxTransaction.sender == sender, OutboxTransaction.status.in_(IN_FLIGHT)
            ))).scalar())

    def _lock_nonce(self, session: Session, chain: Chain) -> ChainNonce:
        """The sender's nonce counter, locked until the session commits: SELECT ... FOR UPDATE
        on PostgreSQL. SQLite has no row locks; a write as the transaction's first statement
        takes the database's write lock instead, which serialises nonce assignment just the
        same. Made from the chain's pending nonce when unknown, and re-read from it while
        nothing of the sender's is in flight (the key may have been used elsewhere)."""
        sender = chain.operator_address
        if session.get_bind().dialect.name == "sqlite":
            session.execute(
                update(ChainNonce).where(ChainNonce.sender == sender).values(updated_at=utcnow())
            )
        counter = session.execute(
            select(ChainNonce).where(ChainNonce.sender == sender).with_for_update()
        ).scalar_one_or_none()
        in_flight = session.execute(select(exists().where(
            OutboxTransaction.sender == sender, OutboxTransaction.status.in_(IN_FLIGHT)
        ))).scalar()
        if counter is None:
            counter = ChainNonce(sender=sender, next_nonce=chain.pending_nonce())
            session.add(counter)
            session.flush()
        elif not in_flight:
            counter.next_nonce = chain.pending_nonce()
        return counter


def _request(row: OutboxTransaction) -> TransactionRequest:
    return cast(TransactionRequest, dict(row.request))


def _already_known(error: NonceTooLow) -> bool:
    message = str(error).lower()
    return "already known" in message or "known transaction" in message


def _nonce_ahead(error: TransactionRejected) -> bool:
    message = str(error)
    if "nonce too high" in message.lower():
        return True
    expected = _NONCE_EXPECTED.search(message)
    return expected is not None and int(expected.group(2)) > int(expected.group(1))


def _short(text: str) -> str:
    return text if len(text) <= _ERROR_LENGTH else text[: _ERROR_LENGTH - 3] + "..."
