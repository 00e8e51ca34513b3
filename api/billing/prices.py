"""An organisation's price list: a price per service code, versioned by the day it comes into
force (a new version is a new row), and the billable events still waiting for one. Every
function works in the caller's tenant session and names the caller's organisation in its
queries (row-level security confines them again on PostgreSQL)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.billing.models import BillableEvent, BillableEventStatus, PriceItem
from api.db.base import utcnow
from api.deps import Principal
from api.errors import Conflict, Forbidden
from api.paging import PageRequest


@dataclass(frozen=True)
class ServiceCode:
    system: str
    code: str
    display: str


def _organization_of(principal: Principal) -> uuid.UUID:
    if principal.organization_id is None:
        raise Forbidden("a price list is an organisation's: sign in as its staff")
    return principal.organization_id


def today_utc() -> date:
    return utcnow().date()


def add_price(session: Session, *, principal: Principal, code: ServiceCode, amount: Decimal,
              currency: str, tax_rate: Decimal, valid_from: date | None,
              department: str | None) -> PriceItem:
    """A price for `code` in force from `valid_from` (today, UTC, if None): 409 when the
    organisation already has a version of the code from that day. The organisation's events
    of the code waiting for a price go back to the charging worker."""
    org = _organization_of(principal)
    day = valid_from or today_utc()
    version = (PriceItem.organization_id == org, PriceItem.code_system == code.system,
               PriceItem.code == code.code)
    if session.scalar(select(PriceItem.id).where(*version, PriceItem.valid_from == day)):
        raise Conflict(f"{code.code} already has a price from {day.isoformat()}: a new "
                       "version starts on another day")
    item = PriceItem(id=uuid.uuid4(), organization_id=org, code_system=code.system,
                     code=code.code, display=code.display, price_amount=amount,
                     price_currency=currency, tax_rate=tax_rate, valid_from=day,
                     department=department, created_by=principal.user_id,
                     created_at=utcnow())
    session.add(item)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"{code.code} was given a price from {day.isoformat()} at the same "
                       "moment") from None
    # Pending ones too: on PostgreSQL this waits for a worker holding one of them, so an
    # event it is about to mark unpriced (having read the list before this price) is
    # picked up again once it has.
    session.execute(
        update(BillableEvent)
        .where(BillableEvent.organization_id == org, BillableEvent.code_system == code.system,
               BillableEvent.code == code.code,
               BillableEvent.status.in_([BillableEventStatus.unpriced.value,
                                         BillableEventStatus.pending.value]))
        .values(status=BillableEventStatus.pending.value)
        .execution_options(synchronize_session=False))
    return item


def list_prices(session: Session, *, principal: Principal, system: str | None,
                code: str | None, on: date | None, page: PageRequest) -> list[PriceItem]:
    """Every version of one code (`code`, newest first), or the version of each of the
    organisation's codes in force on `on` (today, UTC), by code."""
    org = _organization_of(principal)
    query = select(PriceItem).where(PriceItem.organization_id == org)
    if system is not None:
        query = query.where(PriceItem.code_system == system)
    if code is not None:
        query = query.where(PriceItem.code == code).order_by(
            PriceItem.code_system, PriceItem.valid_from.desc(), PriceItem.id)
    else:
        latest = (select(PriceItem.code_system, PriceItem.code,
                         func.max(PriceItem.valid_from).label("valid_from"))
                  .where(PriceItem.organization_id == org,
                         PriceItem.valid_from <= (on or today_utc()))
                  .group_by(PriceItem.code_system, PriceItem.code).subquery())
        query = query.join(latest, and_(PriceItem.code_system == latest.c.code_system,
                                        PriceItem.code == latest.c.code,
                                        PriceItem.valid_from == latest.c.valid_from)) \
            .order_by(PriceItem.code_system, PriceItem.code)
    return list(session.scalars(query.limit(page.limit).offset(page.offset)))


def list_billable_events(session: Session, *, principal: Principal,
                         status: BillableEventStatus,
                         page: PageRequest) -> list[BillableEvent]:
    """The organisation's billable events in `status` (the unpriced ones are what the desk
    must price), oldest first."""
    if principal.organization_id is None:
        raise Forbidden("billable events are an organisation's: sign in as its staff")
    return list(session.scalars(
        select(BillableEvent)
        .where(BillableEvent.organization_id == principal.organization_id,
               BillableEvent.status == status.value)
        .order_by(BillableEvent.occurred_at, BillableEvent.id)
        .limit(page.limit).offset(page.offset)))
