"""What was received against an invoice, as billing shows it (the PDF): the payments context
answers it (api.payments.received.received_on), handed to billing by the composition root,
because billing is what payments build on, never the other way round."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Received:
    when: datetime
    method: str
    amount: Decimal
    refunded: Decimal


# What was received against an invoice (its id), oldest first.
PaymentsOf = Callable[[Session, uuid.UUID], list[Received]]
