"""The charging worker: turns pending billable events into charges on the patient's draft
invoice at the organisation, at the price in force on the day the service was given.

Exactly once, whatever runs it twice or at the same time, by the database: a batch claims its
events with one conditional UPDATE (on PostgreSQL `FOR UPDATE SKIP LOCKED`, so two workers
never take the same event; on SQLite the UPDATE takes the database's write lock, and a second
worker's claim sees the first one's outcome); UNIQUE(charges.event_id) turns any second
charge of an event into nothing (INSERT ... ON CONFLICT DO NOTHING), and only the charges
inserted are added to their invoices; the one open draft per organisation, patient and
currency is decided by its partial UNIQUE index (INSERT ... ON CONFLICT DO NOTHING, then
SELECT), and the drafts are locked before they grow, so an invoice issued meanwhile is never
added to (its charges go on a new draft).

Set-based: a batch is a handful of statements whatever its size (claim, prices, drafts,
charges, totals, events), and is committed on its own."""

from __future__ import annotations

import bisect
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Numeric,
    Row,
    Table,
    func,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DataError, IntegrityError
from sqlalchemy.orm import Session

from api.billing.models import (
    BillableEvent,
    BillableEventStatus,
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PriceItem,
)
from api.billing.money import line_amounts
from api.db.base import utcnow
from api.identity.models import User

log = logging.getLogger("ohms.billing.charging")

BATCH = 500
# A draft issued between its INSERT and its lock is replaced; more than this in one batch
# means something else is wrong.
_DRAFT_ROUNDS = 5

_EVENTS = cast(Table, BillableEvent.__table__)
_INVOICES = cast(Table, Invoice.__table__)
_CHARGES = cast(Table, Charge.__table__)


@dataclass(frozen=True)
class _Price:
    id: uuid.UUID
    display: str
    amount: Decimal
    currency: str
    tax_rate: Decimal
    valid_from: date
    department: str | None


DraftKey = tuple[uuid.UUID, uuid.UUID, str]  # organisation, patient, currency


def charge_pending(session: Session, *, limit: int = 500) -> int:
    """Charge up to `limit` pending events (oldest first), in batches committed one by one;
    events with no price in force on their day become `unpriced` (a price added for their
    code sends them back). Returns the charges made."""
    charged = seen = 0
    while seen < limit:
        size = min(limit - seen, BATCH)
        claimed = _claim(session, size)
        try:
            if claimed:
                charged += _charge(session, claimed)
            session.commit()
        except (DataError, IntegrityError):
            session.rollback()
            charged += _charge_one_by_one(session, [e.id for e in claimed])
        seen += len(claimed)
        if len(claimed) < size:
            break
    return charged


def _charge_one_by_one(session: Session, event_ids: list[uuid.UUID]) -> int:
    """A batch the database refused (a line too large for its columns, say): its events
    one at a time, so one bad event does not hold up the rest. One still refused alone is
    set aside as `unpriced` (its price is what is wrong), for the desk to see."""
    charged = 0
    for event_id in event_ids:
        try:
            claimed = _claim(session, 1, event_id)
            charged += _charge(session, claimed) if claimed else 0
            session.commit()
        except (DataError, IntegrityError):
            session.rollback()
            log.warning("billable event not charged: the database refused its charge",
                        extra={"event_id": str(event_id)})
            session.execute(update(_EVENTS).where(
                _EVENTS.c.id == event_id,
                _EVENTS.c.status == BillableEventStatus.pending.value)
                .values(status=BillableEventStatus.unpriced.value,
                        attempts=_EVENTS.c.attempts + 1))
            session.commit()
    return charged


def _insert(session: Session) -> Any:
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert)


def _claim(session: Session, size: int,
           event_id: uuid.UUID | None = None) -> Sequence[Row[Any]]:
    """Take `size` pending events (their attempts counted), or the one `event_id` if still
    pending: locked until the commit on PostgreSQL, skipping those another worker holds;
    under the write lock on SQLite."""
    pending = select(_EVENTS.c.id).where(_EVENTS.c.status == BillableEventStatus.pending.value)
    if event_id is not None:
        pending = pending.where(_EVENTS.c.id == event_id)
    pending = pending.order_by(_EVENTS.c.created_at, _EVENTS.c.id).limit(size) \
        .with_for_update(skip_locked=True)
    return session.execute(
        update(_EVENTS).where(_EVENTS.c.id.in_(pending.scalar_subquery()),
                              _EVENTS.c.status == BillableEventStatus.pending.value)
        .values(attempts=_EVENTS.c.attempts + 1)
        .returning(_EVENTS.c.id, _EVENTS.c.organization_id, _EVENTS.c.patient_id,
                   _EVENTS.c.code_system, _EVENTS.c.code, _EVENTS.c.quantity,
                   _EVENTS.c.occurred_at, _EVENTS.c.department, _EVENTS.c.record_id)
    ).all()


def _prices(session: Session, events: Iterable[Row[Any]]
            ) -> dict[tuple[uuid.UUID, str, str], tuple[list[date], list[_Price]]]:
    """Every version of the events' codes at their organisations, by valid_from."""
    keys = sorted({(e.organization_id, e.code_system, e.code) for e in events})
    found: dict[tuple[uuid.UUID, str, str], tuple[list[date], list[_Price]]] = {}
    rows = session.execute(
        select(PriceItem.id, PriceItem.organization_id, PriceItem.code_system, PriceItem.code,
               PriceItem.display, PriceItem.price_amount, PriceItem.price_currency,
               PriceItem.tax_rate, PriceItem.valid_from, PriceItem.department)
        .where(tuple_(PriceItem.organization_id, PriceItem.code_system,
                      PriceItem.code).in_(keys))
        .order_by(PriceItem.valid_from)).all()
    for r in rows:
        days, versions = found.setdefault((r.organization_id, r.code_system, r.code), ([], []))
        days.append(r.valid_from)
        versions.append(_Price(r.id, r.display, Decimal(r.price_amount), r.price_currency,
                               Decimal(r.tax_rate), r.valid_from, r.department))
    return found


def _in_force(versions: tuple[list[date], list[_Price]] | None, day: date) -> _Price | None:
    """The version with the latest valid_from on or before `day`."""
    if versions is None:
        return None
    days, prices = versions
    at = bisect.bisect_right(days, day)
    return prices[at - 1] if at else None


def _service_day(occurred_at: datetime) -> date:
    return occurred_at.date()  # stored and read back in UTC


def _charge(session: Session, events: Sequence[Row[Any]]) -> int:
    prices = _prices(session, events)
    priced: list[tuple[Row[Any], _Price]] = []
    unpriced: list[uuid.UUID] = []
    for e in events:
        price = _in_force(prices.get((e.organization_id, e.code_system, e.code)),
                          _service_day(e.occurred_at))
        if price is None:
            unpriced.append(e.id)
        else:
            priced.append((e, price))
    now = utcnow()
    if unpriced:
        session.execute(update(_EVENTS).where(_EVENTS.c.id.in_(unpriced))
                        .values(status=BillableEventStatus.unpriced.value))
    if not priced:
        return 0
    drafts = _drafts(session, {(e.organization_id, e.patient_id, p.currency)
                               for e, p in priced}, now)
    rows = []
    for e, p in priced:
        amounts = line_amounts(p.amount, e.quantity, p.tax_rate)
        rows.append({
            "id": uuid.uuid4(), "organization_id": e.organization_id,
            "patient_id": e.patient_id,
            "invoice_id": drafts[(e.organization_id, e.patient_id, p.currency)],
            "event_id": e.id, "price_item_id": p.id,
            "code_system": e.code_system, "code": e.code, "description": p.display,
            "department": p.department or e.department, "quantity": e.quantity,
            "unit_price": p.amount, "tax_rate": p.tax_rate, "net": amounts.net,
            "tax": amounts.tax, "total": amounts.total, "currency": p.currency,
            "service_date": _service_day(e.occurred_at), "record_id": e.record_id,
            "created_at": now})
    # One statement compiled once, its rows sent as multi-row VALUES (insertmanyvalues).
    made = session.execute(
        _insert(session)(_CHARGES).on_conflict_do_nothing(index_elements=["event_id"])
        .returning(_CHARGES.c.id, _CHARGES.c.invoice_id), rows).all()
    if made:
        # The drafts grow by the lines just inserted (not by a charge an event already had),
        # each sum found through the charges' invoice index whatever the planner's
        # statistics; a draft's balance is its total (the invoice's CHECK).
        new_lines = [r.id for r in made]

        def added(column: Column[Decimal]) -> ColumnElement[Decimal]:
            return (select(func.sum(column))
                    .where(_CHARGES.c.invoice_id == _INVOICES.c.id,
                           _CHARGES.c.id.in_(new_lines))
                    .scalar_subquery())

        session.execute(
            update(_INVOICES)
            .where(_INVOICES.c.id.in_({r.invoice_id for r in made}),
                   _INVOICES.c.status == InvoiceStatus.draft.value)
            .values(net_total=_cents(_INVOICES.c.net_total + added(_CHARGES.c.net)),
                    tax_total=_cents(_INVOICES.c.tax_total + added(_CHARGES.c.tax)),
                    total=_cents(_INVOICES.c.total + added(_CHARGES.c.total)),
                    balance=_cents(_INVOICES.c.balance + added(_CHARGES.c.total)),
                    updated_at=now))
    session.execute(update(_EVENTS).where(_EVENTS.c.id.in_([e.id for e, _ in priced]))
                    .values(status=BillableEventStatus.charged.value, charged_at=now))
    return len(made)


def _cents(amount: ColumnElement[Decimal]) -> ColumnElement[Decimal]:
    """A sum kept to the cent: exact on PostgreSQL already; on SQLite, which adds NUMERIC as
    binary floats, it keeps float noise from building up over the lines."""
    return func.round(amount, 2, type_=Numeric(14, 2))


def _drafts(session: Session, keys: set[DraftKey], now: datetime) -> dict[DraftKey, uuid.UUID]:
    """The open draft of each organisation, patient and currency (made where there is none),
    locked for this batch (on PostgreSQL; SQLite's write lock is held already)."""
    found: dict[DraftKey, uuid.UUID] = {}
    insert = _insert(session)
    missing = sorted(keys)
    uhids = dict(session.execute(select(User.id, User.uhid)
                                 .where(User.id.in_({k[1] for k in keys}))).all())
    for _ in range(_DRAFT_ROUNDS):
        # In one order, so two workers making drafts for the same patients wait, never
        # deadlock; the partial UNIQUE index decides which of them makes each.
        session.execute(insert(_INVOICES).on_conflict_do_nothing(), [
            {"id": uuid.uuid4(), "organization_id": org, "patient_id": patient,
             "patient_uhid": uhids[patient], "kind": InvoiceKind.invoice.value,
             "status": InvoiceStatus.draft.value,
             "currency": currency, "net_total": 0, "tax_total": 0, "total": 0,
             "paid_total": 0, "insurer_total": 0, "credited_total": 0, "balance": 0,
             "created_at": now, "updated_at": now}
            for org, patient, currency in missing])
        # By patient (an index on both backends; a tuple IN scans every draft on SQLite).
        wanted = set(missing)
        for r in session.execute(
                select(_INVOICES.c.id, _INVOICES.c.organization_id, _INVOICES.c.patient_id,
                       _INVOICES.c.currency)
                .where(_INVOICES.c.status == InvoiceStatus.draft.value,
                       _INVOICES.c.patient_id.in_({k[1] for k in missing}),
                       _INVOICES.c.organization_id.in_({k[0] for k in missing}))
                .order_by(_INVOICES.c.id).with_for_update()):
            key = (r.organization_id, r.patient_id, r.currency)
            if key in wanted:
                found[key] = r.id
        # A draft issued between its INSERT and its lock: make another.
        missing = sorted(keys - found.keys())
        if not missing:
            return found
    raise RuntimeError("drafts kept being issued while the charging worker made them")
