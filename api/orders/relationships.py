"""The treating relationship orders create, as the access gate asks it
(api.access.gate.TreatingRelationship); api.composition registers it with every gate.

`OrderResults` (basis `order`, DESIGN.md): an active order lets the clinicians (author roles)
of its performing organisation write that order's results for its patient, and only those:
the write names the order (`order:<id>`) and is of the order's category (`lab` or
`imaging`); the order is active (not completed, not revoked) and its specimen not rejected.
It lets nothing else be written and nothing be read: reading the patient's earlier records
still needs the patient's grant.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.access.gate import ORDER, Accessor, Subject
from api.orders.models import Order, OrderStatus, SpecimenStatus
from api.roles.catalog import AUTHOR_ROLES
from api.tenants.models import Organization

ORDER_REFERENCE = "order:"


def order_reference(order_id: uuid.UUID) -> str:
    return f"{ORDER_REFERENCE}{order_id}"


def _named_orders(subject: Subject) -> list[uuid.UUID]:
    named = []
    for reference in subject.references:
        if reference.startswith(ORDER_REFERENCE):
            try:
                named.append(uuid.UUID(reference.removeprefix(ORDER_REFERENCE)))
            except ValueError:
                continue
    return named


@dataclass(frozen=True)
class OrderResults:
    """The performing organisation's clinicians write the results of an active order for
    its patient (see the module's docstring)."""

    basis: str = ORDER

    def lets_write(self, session: Session, *, author: Accessor, subject: Subject) -> bool:
        org = author.organization_id
        named = _named_orders(subject)
        if org is None or not author.roles & AUTHOR_ROLES or not named:
            return False
        categories = [s.removeprefix("category:") for s in subject.scopes
                      if s.startswith("category:")]
        return bool(session.scalar(select(exists().where(
            Order.id.in_(named),
            Order.performer_org_id == org,
            Order.patient_id == subject.patient.id,
            Order.category.in_(categories),
            Order.status == OrderStatus.active.value,
            (Order.specimen_status.is_(None))
            | (Order.specimen_status != SpecimenStatus.rejected.value),
            exists().where(Organization.id == org, Organization.is_active.is_(True)),
        ))))
