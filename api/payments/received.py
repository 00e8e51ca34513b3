"""The payments' answer to billing's question of what an invoice received (api.billing.received),
kept apart from the service so the composition root can hand it over without importing the
request-handling modules."""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.billing.received import Received
from api.payments.models import Payment


def received_on(session: Session, invoice_id: uuid.UUID) -> list[Received]:
    """What was received against an invoice (desk, online, insurers), oldest first, with what
    was refunded of each."""
    return [Received(when=p.created_at, method=p.method, amount=Decimal(p.amount),
                     refunded=Decimal(p.refunded_amount))
            for p in session.scalars(select(Payment).where(Payment.invoice_id == invoice_id)
                                     .order_by(Payment.created_at, Payment.id))]
