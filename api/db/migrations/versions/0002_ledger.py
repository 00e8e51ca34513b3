"""ledger: transactional outbox, indexer cursors, managed nonces

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import api.db.base
from api.db import rls

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STATUSES = ("pending", "signed", "sent", "confirmed", "failed")


def upgrade() -> None:
    op.create_table(
        "outbox_transactions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("subject_id", sa.String(length=200), nullable=True),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(*_STATUSES, name="outboxstatus", native_enum=False, length=16),
            nullable=False,
        ),
        sa.Column("sender", sa.String(length=42), nullable=True),
        sa.Column("nonce", sa.BigInteger(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("raw_tx", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("gas_used", sa.BigInteger(), nullable=True),
        sa.Column("created_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_transactions")),
        sa.UniqueConstraint(
            "idempotency_key", name=op.f("uq_outbox_transactions_idempotency_key")
        ),
        sa.UniqueConstraint("sender", "nonce", name="uq_outbox_transactions_sender_nonce"),
    )
    with op.batch_alter_table("outbox_transactions", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_transactions_status_next_attempt_at",
            ["status", "next_attempt_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_transactions_subject_id"), ["subject_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_transactions_tx_hash"), ["tx_hash"], unique=False
        )

    op.create_table(
        "chain_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_block", sa.BigInteger(), nullable=False),
        sa.Column("last_block_hash", sa.String(length=66), nullable=True),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_chain_cursors")),
    )
    op.create_table(
        "chain_nonces",
        sa.Column("sender", sa.String(length=42), nullable=False),
        sa.Column("next_nonce", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", api.db.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sender", name=op.f("pk_chain_nonces")),
    )

    rls.system_table("outbox_transactions")
    rls.system_table("chain_cursors")
    rls.system_table("chain_nonces")


def downgrade() -> None:
    op.drop_table("chain_nonces")
    op.drop_table("chain_cursors")
    with op.batch_alter_table("outbox_transactions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_transactions_tx_hash"))
        batch_op.drop_index(batch_op.f("ix_outbox_transactions_subject_id"))
        batch_op.drop_index("ix_outbox_transactions_status_next_attempt_at")
    op.drop_table("outbox_transactions")
