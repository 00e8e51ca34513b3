"""Moving an issued invoice's balance: a payment, an insurer's settlement or a credit takes
from it; a refund gives back. Each is one conditional UPDATE, so concurrent payments are
decided by the database: an UPDATE that would take the balance below zero matches no row
(and the invoice's CHECKs refuse it even if a caller got the condition wrong). The caller
records the payment, settlement or credit in the same transaction."""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, case, func, update
from sqlalchemy.orm import Session

from api.billing.models import PAYABLE, Invoice, InvoiceStatus
from api.db.base import utcnow


def _cents(amount: Any) -> ColumnElement[Decimal]:
    """An amount in whole cents. SQLite does NUMERIC arithmetic in binary floats (1109.96 -
    800.00 - 309.96 is not 0 there), so every comparison and every stored result is made in
    cents or rounded to them; on PostgreSQL, exact already, this changes nothing."""
    return func.round(amount * 100)


def _money(amount: ColumnElement[Decimal]) -> ColumnElement[Decimal]:
    return func.round(amount, 2, type_=Numeric(14, 2))


class Settled(enum.StrEnum):
    """Which part of the invoice an amount settles."""

    paid = "paid_total"           # by the patient: desk and online payments, less refunds
    insurer = "insurer_total"     # an insurer's settlement of an adjudicated claim
    credited = "credited_total"   # a credit note


def take(session: Session, *, invoice_id: uuid.UUID, amount: Decimal,
         settled: Settled) -> Invoice | None:
    """Take `amount` (> 0) from the balance of a payable invoice; None when the invoice is not
    payable or its balance is below `amount` (nothing changed)."""
    column = getattr(Invoice, settled.value)
    left = Invoice.balance - amount
    result = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.status.in_([s.value for s in PAYABLE]),
               _cents(Invoice.balance) >= _cents(amount))
        .values({settled.value: _money(column + amount), "balance": _money(left),
                 "status": case((_cents(left) == 0, InvoiceStatus.paid.value),
                                else_=InvoiceStatus.partly_paid.value),
                 "updated_at": utcnow()})
        .returning(Invoice)
        .execution_options(synchronize_session=False))
    return result.scalar_one_or_none()


def give_back(session: Session, *, invoice_id: uuid.UUID, amount: Decimal,
              settled: Settled) -> Invoice | None:
    """Give `amount` (> 0) back to the balance (a refund): None when less than `amount` was
    settled that way (nothing changed)."""
    column = getattr(Invoice, settled.value)
    others = sum((getattr(Invoice, s.value) for s in Settled if s is not settled),
                 start=column - amount)
    result = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id,
               Invoice.status.in_([*(s.value for s in PAYABLE), InvoiceStatus.paid.value]),
               _cents(column) >= _cents(amount))
        .values({settled.value: _money(column - amount),
                 "balance": _money(Invoice.balance + amount),
                 "status": case((_cents(others) == 0, InvoiceStatus.issued.value),
                                else_=InvoiceStatus.partly_paid.value),
                 "updated_at": utcnow()})
        .returning(Invoice)
        .execution_options(synchronize_session=False))
    return result.scalar_one_or_none()
