"""Moving an issued invoice's balance: a payment, an insurer's settlement or a credit takes
from it; a refund gives back. Each is one conditional UPDATE, so concurrent payments are
decided by the database: an UPDATE that would take the balance below zero matches no row
(and the invoice's CHECKs refuse it even if a caller got the condition wrong). The caller
records the payment, settlement or credit in the same transaction."""

from __future__ import annotations

import enum
import uuid
from decimal import Decimal

from sqlalchemy import case, update
from sqlalchemy.orm import Session

from api.billing.models import PAYABLE, Invoice, InvoiceStatus
from api.db.base import utcnow


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
               Invoice.balance >= amount)
        .values({settled.value: column + amount, "balance": left,
                 "status": case((left == 0, InvoiceStatus.paid.value),
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
               column >= amount)
        .values({settled.value: column - amount, "balance": Invoice.balance + amount,
                 "status": case((others == 0, InvoiceStatus.issued.value),
                                else_=InvoiceStatus.partly_paid.value),
                 "updated_at": utcnow()})
        .returning(Invoice)
        .execution_options(synchronize_session=False))
    return result.scalar_one_or_none()
