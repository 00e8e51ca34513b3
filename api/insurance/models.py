"""Rows of the insurance context: a patient's coverage with an insurer, and claims built from
invoices, addressed to the insurer, with their items and adjudication.

A coverage belongs to its patient (of no organisation): a system-only table, read through
the insurance service (the patient, the helpdesk of an organisation billing them, the
insurer). A claim and its items are visible to their two parties only, the billing
organisation and the insurer (row-level security). One claim in play per invoice (a
partial UNIQUE index: a denied claim does not block a new one)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from api.billing.models import MONEY, RATE, one_of
from api.db.base import Base, created_at_column, uuid_pk


class Coverage(Base):
    __tablename__ = "coverages"
    __table_args__ = (
        CheckConstraint("valid_to >= valid_from", name="valid_period"),
        CheckConstraint("copay_amount >= 0", name="copay_not_negative"),
        CheckConstraint("coinsurance >= 0 AND coinsurance <= 1", name="coinsurance_range"),
        Index("ix_coverages_patient", "patient_id"),
        Index("ix_coverages_insurer_member", "insurer_id", "member_id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                  nullable=False)
    member_id: Mapped[str] = mapped_column(String(64), nullable=False)
    plan: Mapped[str] = mapped_column(String(100), nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date] = mapped_column(Date, nullable=False)
    # Paid by the patient per claim before the insurer's share, then the patient's fraction
    # of the rest (0.2000 is 20 %).
    copay_amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    copay_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    coinsurance: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class ClaimStatus(enum.StrEnum):
    submitted = "submitted"    # in the insurer's queue
    approved = "approved"      # in full (less the patient's share)
    partial = "partial"        # partly approved, with amounts per item
    denied = "denied"          # with a reason


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        CheckConstraint(one_of("status", ClaimStatus), name="status"),
        CheckConstraint("approved_amount IS NULL OR "
                        "(approved_amount >= 0 AND approved_amount <= total)",
                        name="approved_within_total"),
        CheckConstraint("(status = 'submitted') = (adjudicated_at IS NULL)",
                        name="adjudicated_once"),
        Index("uq_claims_one_in_play_per_invoice", "invoice_id", unique=True,
              sqlite_where=text("status != 'denied'"),
              postgresql_where=text("status != 'denied'")),
        Index("ix_claims_insurer_status", "insurer_id", "status", "submitted_at"),
        Index("ix_claims_org_status", "organization_id", "status", "submitted_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                  nullable=False)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), nullable=False)
    coverage_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("coverages.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=ClaimStatus.submitted.value)
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    approved_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    # The insurer's reason for a denial or a partial approval (never clinical detail).
    reason: Mapped[str | None] = mapped_column(String(500))
    submitted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = created_at_column()
    adjudicated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    adjudicated_at: Mapped[datetime | None] = mapped_column()


class ClaimItem(Base):
    """A line of a claim, copied from the invoice's charge; the parties' columns repeat the
    claim's so row-level security confines the items as it does the claim."""

    __tablename__ = "claim_items"
    __table_args__ = (
        CheckConstraint("approved_amount IS NULL OR "
                        "(approved_amount >= 0 AND approved_amount <= amount)",
                        name="approved_within_amount"),
        Index("ix_claim_items_claim", "claim_id", "sequence", unique=True),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    claim_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("claims.id"), nullable=False)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    insurer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                  nullable=False)
    sequence: Mapped[int] = mapped_column(Integer, nullable=False)
    charge_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("charges.id"), nullable=False)
    code_system: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    approved_amount: Mapped[Decimal | None] = mapped_column(MONEY)
    record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
