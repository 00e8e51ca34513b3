"""Outbox rows (transactions waiting to land on chain), the indexer's cursors and the
operator's managed nonces. System tables: only system context may touch them."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Enum, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, utcnow, uuid_pk


class OutboxStatus(enum.StrEnum):
    """Where an outbox transaction is: waiting, signed (hash and nonce fixed, maybe not yet
    broadcast), sent (the node has it), confirmed (mined, succeeded) or failed (will never
    apply: refused before sending, rejected for good, or reverted on chain)."""

    pending = "pending"
    signed = "signed"
    sent = "sent"
    confirmed = "confirmed"
    failed = "failed"


IN_FLIGHT = (OutboxStatus.signed, OutboxStatus.sent)
SETTLED = (OutboxStatus.confirmed, OutboxStatus.failed)


class OutboxTransaction(Base):
    """One chain transaction the service owes, written in the same database transaction as the
    business change that asks for it, then signed, sent and confirmed by the OutboxWorker."""

    __tablename__ = "outbox_transactions"
    __table_args__ = (
        # A nonce is spent once per sender; a bug handing it out twice fails loudly here.
        UniqueConstraint("sender", "nonce", name="uq_outbox_transactions_sender_nonce"),
        Index("ix_outbox_transactions_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    kind: Mapped[str] = mapped_column(String(64), nullable=False)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    subject_id: Mapped[str | None] = mapped_column(String(200), nullable=True, index=True)
    request: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    status: Mapped[OutboxStatus] = mapped_column(
        Enum(OutboxStatus, native_enum=False, length=16, validate_strings=True),
        default=OutboxStatus.pending,
        nullable=False,
    )
    # Set when a nonce is assigned: the operator account that signs.
    sender: Mapped[str | None] = mapped_column(String(42), nullable=True)
    nonce: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True, index=True)
    raw_tx: Mapped[str | None] = mapped_column(Text, nullable=True)
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    block_number: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    gas_used: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


class ChainCursor(Base):
    """How far one event indexer has read the chain: the last block whose events are applied,
    and that block's hash (to notice a reorganisation)."""

    __tablename__ = "chain_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_block: Mapped[int] = mapped_column(BigInteger, nullable=False)
    last_block_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
    # When the indexer last found nothing left to read up to the chain's (confirmed) head:
    # access decisions trust the mirror only while this is recent.
    caught_up_at: Mapped[datetime | None] = mapped_column(nullable=True)


class ChainNonce(Base):
    """The next nonce the outbox hands out for one sender: kept in the database so that every
    worker process shares it, and locked while a nonce is assigned."""

    __tablename__ = "chain_nonces"

    sender: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
