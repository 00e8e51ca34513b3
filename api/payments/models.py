"""Rows of the payments context: payments of an invoice (cash and card at the desk, online
through a payment provider, an insurer's settlement), their refunds, the online payment
intents, the webhook events received, and the embedded simulated provider's own state.

Exactly once, by the database: a desk payment or refund per idempotency key (UNIQUE), an
online payment per intent (UNIQUE intent_id), a webhook event per provider event id (its
primary key); the invoice's balance is moved by a conditional UPDATE that the invoice's
CHECKs guard (api/billing/models.py)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.billing.models import MONEY, one_of
from api.db.base import Base, created_at_column, uuid_pk


class PaymentMethod(enum.StrEnum):
    cash = "cash"
    card = "card"          # a card terminal at the desk
    online = "online"      # through the payment provider's checkout
    insurer = "insurer"    # an insurer's settlement of an adjudicated claim


class Payment(Base):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint(one_of("method", PaymentMethod), name="method"),
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount",
                        name="refunded_within_amount"),
        UniqueConstraint("organization_id", "idempotency_key",
                         name="uq_payments_idempotency_key"),
        UniqueConstraint("intent_id", name="uq_payments_intent_id"),
        UniqueConstraint("claim_id", name="uq_payments_claim_id"),
        Index("ix_payments_invoice", "invoice_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), nullable=False)
    method: Mapped[str] = mapped_column(String(16), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    refunded_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    # The desk's Idempotency-Key; a hash of what it was first sent with, to refuse reuse.
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    intent_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("payment_intents.id"))
    claim_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("claims.id"))
    # A card terminal's authorisation code or a receipt number; never card data.
    reference: Mapped[str | None] = mapped_column(String(100))
    received_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class Refund(Base):
    __tablename__ = "refunds"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("payment_id", "idempotency_key", name="uq_refunds_idempotency_key"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    payment_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("payments.id"), nullable=False,
                                                  index=True)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    # The provider's refund id, for an online payment.
    provider_ref: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class IntentStatus(enum.StrEnum):
    requires_payment = "requires_payment"
    succeeded = "succeeded"
    cancelled = "cancelled"


class PaymentIntent(Base):
    """A patient's online payment of (part of) an invoice, as the provider knows it."""

    __tablename__ = "payment_intents"
    __table_args__ = (
        CheckConstraint(one_of("status", IntentStatus), name="status"),
        CheckConstraint("amount > 0", name="amount_positive"),
        UniqueConstraint("provider", "provider_ref", name="uq_payment_intents_provider_ref"),
        UniqueConstraint("patient_id", "idempotency_key",
                         name="uq_payment_intents_idempotency_key"),
        Index("ix_payment_intents_invoice", "invoice_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False,
                                        default=IntentStatus.requires_payment.value)
    provider: Mapped[str] = mapped_column(String(32), nullable=False)
    provider_ref: Mapped[str] = mapped_column(String(100), nullable=False)
    checkout_url: Mapped[str] = mapped_column(String(500), nullable=False)
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = created_at_column()
    succeeded_at: Mapped[datetime | None] = mapped_column()


class WebhookEvent(Base):
    """A provider's webhook event, recorded once by its id: a second delivery finds it."""

    __tablename__ = "payment_webhook_events"

    provider: Mapped[str] = mapped_column(String(32), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    type: Mapped[str] = mapped_column(String(64), nullable=False)
    received_at: Mapped[datetime] = created_at_column()


class SimulatedIntent(Base):
    """The embedded simulated provider's own record of an intent (what a real provider keeps
    on its side): OHMS's payments code reaches it only through the provider port."""

    __tablename__ = "simulated_provider_intents"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)   # "pi_sim_..."
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    status: Mapped[str] = mapped_column(String(24), nullable=False)
    refunded_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    # What the merchant attached (its intent and invoice ids), sent back in the webhook.
    metadata_json: Mapped[str] = mapped_column(Text, nullable=False)
    return_url: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = created_at_column()


class SimulatedWebhook(Base):
    """A webhook event of the simulated provider, delivered until the merchant answers 2xx
    (retried with backoff by the background worker), as real providers do."""

    __tablename__ = "simulated_provider_webhooks"
    __table_args__ = (Index("ix_simulated_provider_webhooks_due", "delivered_at",
                            "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(100), primary_key=True)   # "evt_sim_..."
    body: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_attempt_at: Mapped[datetime] = created_at_column()
    delivered_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = created_at_column()
