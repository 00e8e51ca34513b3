"""Rows of the billing context: an organisation's price list, the billable events the
workflows report, the charges made from them (or added by staff), and invoices with their
numbering. Every row belongs to the organisation that bills (row-level security: tenant).

Money is NUMERIC with its ISO 4217 currency beside it, never a float. The rule for rounding
(api/billing/money.py): each line's net and tax are rounded once, half up, to the currency's
minor unit; an invoice's totals are the sums of its lines, never rounded again.

What must not go wrong under concurrent requests is guarded by the database:
- an event is charged at most once (UNIQUE charges.event_id) and reported at most once
  (UNIQUE billable_events(kind, source_id));
- one open draft per organisation, patient and currency (partial UNIQUE index);
- invoice numbers have no gaps (a counter row per organisation, series and year, moved in
  the transaction that issues the invoice, so a rolled-back issue gives its number back);
- an invoice's balance never goes below zero and always equals its total less what was
  paid, settled by insurers and credited (CHECKs), so a payment is a conditional UPDATE."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk

# Amounts (two decimals, the minor unit of the currencies OHMS bills in); unit prices may
# carry four (a tablet's price), rates four (0.1800 is 18 %).
MONEY = Numeric(14, 2)
UNIT_PRICE = Numeric(14, 4)
RATE = Numeric(6, 4)


def one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


class PriceItem(Base):
    """The price of one service code at an organisation from `valid_from` on: a new version is
    a new row with a later `valid_from`; a charge takes the version in force on the day the
    service was given."""

    __tablename__ = "price_items"
    __table_args__ = (
        UniqueConstraint("organization_id", "code_system", "code", "valid_from",
                         name="uq_price_items_version"),
        CheckConstraint("price_amount >= 0", name="price_not_negative"),
        CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate_range"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    code_system: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    display: Mapped[str] = mapped_column(String(200), nullable=False)
    price_amount: Mapped[Decimal] = mapped_column(UNIT_PRICE, nullable=False)
    price_currency: Mapped[str] = mapped_column(String(3), nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    # Where revenue is reported (Laboratory, Radiology, Pharmacy, a specialty); optional.
    department: Mapped[str | None] = mapped_column(String(100))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()


class BillableEventKind(enum.StrEnum):
    consultation = "consultation"    # a fulfilled appointment (the encounter finished)
    lab_order = "lab_order"          # a completed lab order (its results filed)
    imaging_order = "imaging_order"  # a reported imaging order
    dispense = "dispense"            # a dispense of a prescription
    bed_day = "bed_day"              # inpatient care (when it comes)


class BillableEventStatus(enum.StrEnum):
    pending = "pending"      # not charged yet
    charged = "charged"      # its charge exists
    unpriced = "unpriced"    # no price in force for its code: listed for the desk, retried


class BillableEvent(Base):
    """What a workflow reports as billable, in the same transaction as the work itself (the
    billing context's intake). The charging worker turns each into one charge."""

    __tablename__ = "billable_events"
    __table_args__ = (
        UniqueConstraint("kind", "source_id", name="uq_billable_events_source"),
        CheckConstraint(one_of("kind", BillableEventKind), name="kind"),
        CheckConstraint(one_of("status", BillableEventStatus), name="status"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_billable_events_status_created", "status", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    # Who, as the workflow knew them, for the desk (staff cannot read patients' accounts).
    patient_uhid: Mapped[str | None] = mapped_column(String(14))
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    # The appointment, order or dispense (or bed-day) the event reports.
    source_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    code_system: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    display: Mapped[str] = mapped_column(String(200), nullable=False)
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    occurred_at: Mapped[datetime] = mapped_column(nullable=False)
    department: Mapped[str | None] = mapped_column(String(100))
    # The patient's record that documents the service (a result, a dispense), offered to an
    # insurer as a claim's supporting information (read through the access gate).
    record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=BillableEventStatus.pending.value)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = created_at_column()
    charged_at: Mapped[datetime | None] = mapped_column()


class InvoiceKind(enum.StrEnum):
    invoice = "invoice"
    credit_note = "credit_note"


class InvoiceStatus(enum.StrEnum):
    draft = "draft"              # charges gather; no number, not shown as owed
    issued = "issued"            # numbered; nothing paid yet
    partly_paid = "partly_paid"
    paid = "paid"                # balance zero
    void = "void"                # issued in error before anything was paid; kept, numbered


# What payments, settlements and credits may be applied to.
PAYABLE = (InvoiceStatus.issued, InvoiceStatus.partly_paid)


class Invoice(Base):
    """An invoice of an organisation to a patient, in one currency, or a credit note
    correcting an issued invoice (`credit_of_id`). Totals are kept as lines are added; once
    issued, nothing but payments, settlements, credits and voiding changes it."""

    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(one_of("kind", InvoiceKind), name="kind"),
        CheckConstraint(one_of("status", InvoiceStatus), name="status"),
        CheckConstraint("balance >= 0", name="balance_not_negative"),
        CheckConstraint("paid_total >= 0 AND insurer_total >= 0 AND credited_total >= 0",
                        name="settled_not_negative"),
        # The balance is what is left: kept by every UPDATE, checked by the database (in
        # cents: SQLite computes NUMERIC as binary floats).
        CheckConstraint("status = 'void' OR kind = 'credit_note' OR "
                        "round(balance * 100) = round(total * 100) - round(paid_total * 100) "
                        "- round(insurer_total * 100) - round(credited_total * 100)",
                        name="balance_is_what_is_left"),
        CheckConstraint("(status = 'draft') = (number IS NULL)", name="numbered_once_issued"),
        CheckConstraint("kind = 'invoice' OR credit_of_id IS NOT NULL",
                        name="credit_note_credits_an_invoice"),
        UniqueConstraint("organization_id", "number", name="uq_invoices_number"),
        # A credit note once per the desk's Idempotency-Key (a retry credits nothing more).
        UniqueConstraint("organization_id", "idempotency_key",
                         name="uq_invoices_idempotency_key"),
        Index("uq_invoices_one_draft", "organization_id", "patient_id", "currency",
              unique=True, sqlite_where=text("status = 'draft'"),
              postgresql_where=text("status = 'draft'")),
        Index("ix_invoices_org_status_issued", "organization_id", "status", "issued_at"),
        Index("ix_invoices_patient", "patient_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    # The patient's UHID as the invoice names them (patients' accounts are out of a tenant
    # session's reach, so the desk's routes and the reports read it here, under row-level
    # security, as orders do).
    patient_uhid: Mapped[str] = mapped_column(String(32), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False,
                                      default=InvoiceKind.invoice.value)
    status: Mapped[str] = mapped_column(String(16), nullable=False,
                                        default=InvoiceStatus.draft.value)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    # "INV-2026-000042" or "CN-2026-000003": series, year and sequence, given at issue.
    number: Mapped[str | None] = mapped_column(String(32))
    year: Mapped[int | None] = mapped_column(Integer)
    sequence: Mapped[int | None] = mapped_column(Integer)
    credit_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("invoices.id"))
    net_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    tax_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    # Paid by the patient (desk and online, less refunds), settled by insurers, credited.
    paid_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    insurer_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    credited_total: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    balance: Mapped[Decimal] = mapped_column(MONEY, nullable=False, default=Decimal(0))
    issued_at: Mapped[datetime | None] = mapped_column()
    issued_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    # A credit note's or a void's reason (free text of the desk, never clinical).
    reason: Mapped[str | None] = mapped_column(String(500))
    voided_at: Mapped[datetime | None] = mapped_column()
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class InvoiceCounter(Base):
    """The last number given in a series ("INV", "CN") of an organisation in a year."""

    __tablename__ = "invoice_counters"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), primary_key=True)
    series: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, nullable=False, default=0)


class Charge(Base):
    """One line of an invoice: a service given to the patient at the price in force that day,
    made from a billable event (exactly once: UNIQUE event_id), added by staff with a reason,
    or a credit note's line crediting an issued one (`credit_of_id`, negative amounts)."""

    __tablename__ = "charges"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("tax_rate >= 0 AND tax_rate < 1", name="tax_rate_range"),
        # In cents: SQLite computes NUMERIC as binary floats (346.5 + 41.58 is not 388.08
        # there); exact on PostgreSQL either way.
        CheckConstraint("round(total * 100) = round(net * 100) + round(tax * 100)",
                        name="total_is_net_and_tax"),
        CheckConstraint("event_id IS NOT NULL OR manual_reason IS NOT NULL "
                        "OR credit_of_id IS NOT NULL", name="has_a_source"),
        UniqueConstraint("event_id", name="uq_charges_event_id"),
        # A manual charge once per the desk's Idempotency-Key (a retry adds nothing).
        UniqueConstraint("organization_id", "idempotency_key",
                         name="uq_charges_idempotency_key"),
        Index("ix_charges_invoice", "invoice_id"),
        Index("ix_charges_org_service_date", "organization_id", "service_date"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    invoice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invoices.id"), nullable=False)
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("billable_events.id"))
    credit_of_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("charges.id"))
    price_item_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("price_items.id"))
    code_system: Mapped[str | None] = mapped_column(String(200))
    code: Mapped[str | None] = mapped_column(String(64))
    # The service's name, the only thing an invoice says of the care given.
    description: Mapped[str] = mapped_column(String(200), nullable=False)
    department: Mapped[str | None] = mapped_column(String(100))
    quantity: Mapped[int] = mapped_column(Integer, nullable=False)
    unit_price: Mapped[Decimal] = mapped_column(UNIT_PRICE, nullable=False)
    tax_rate: Mapped[Decimal] = mapped_column(RATE, nullable=False)
    net: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    tax: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    total: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    currency: Mapped[str] = mapped_column(String(3), nullable=False)
    service_date: Mapped[date] = mapped_column(Date, nullable=False)
    record_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"))
    manual_reason: Mapped[str | None] = mapped_column(String(500))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str | None] = mapped_column(String(64))
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = created_at_column()
