"""Invoices: manual charges gathered on a draft, issuing with numbers that have no gaps,
voiding, credit notes, and what an invoice's reader (its organisation's staff, its patient)
may see of it.

Exactly once and without gaps, by the database:
- one draft per organisation, patient and currency (partial UNIQUE index): a new draft is an
  INSERT ... ON CONFLICT DO NOTHING, then the draft is selected;
- a line joins a draft only while it is one (conditional UPDATE of its totals on
  status = 'draft', before the line is inserted; a draft issued meanwhile means a new draft);
- a number is the counter row's `UPDATE ... SET last = last + 1 RETURNING last` in the
  transaction that issues the invoice (conditional UPDATE on status = 'draft'): when the
  invoice was not a draft any more, the transaction rolls back and the number is given back;
- voiding and crediting are conditional UPDATEs of the invoice (api/billing/settlement.take
  for a credit), so the invoice's CHECKs keep balance = total - paid - insurer - credited.

Credit notes' lines and totals are POSITIVE amounts (the reports subtract credit notes)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Numeric, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.billing.models import (
    Charge,
    Invoice,
    InvoiceCounter,
    InvoiceKind,
    InvoiceStatus,
)
from api.billing.money import line_amounts, round_money
from api.billing.received import PaymentsOf, Received
from api.billing.settlement import Settled, take
from api.db.base import utcnow
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.idempotency import flush_or_replay, request_hash
from api.identity.models import User
from api.identity.service import get_by_uhid
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.paging import PageRequest
from api.roles.catalog import Role
from api.tenants.models import Organization

INVOICE_SERIES = "INV"
CREDIT_NOTE_SERIES = "CN"
# A charge that finds its draft issued under it tries a new draft; more than this is a bug.
DRAFT_ATTEMPTS = 5


@dataclass(frozen=True)
class ManualLine:
    description: str
    quantity: int
    unit_price: Decimal
    currency: str
    tax_rate: Decimal
    reason: str
    code_system: str | None = None
    code: str | None = None
    department: str | None = None
    service_date: date | None = None


@dataclass(frozen=True)
class CreditLine:
    charge_id: uuid.UUID
    amount: Decimal
    currency: str


@dataclass(frozen=True)
class Party:
    """What an invoice names besides itself: its patient and its organisation."""

    patient_uhid: str
    patient_name: str
    organization_name: str
    organization_address: str | None


def _insert(session: Session) -> type[postgresql.Insert] | type[sqlite.Insert]:
    return (postgresql.Insert if session.get_bind().dialect.name == "postgresql"
            else sqlite.Insert)


def billing_org(principal: Principal) -> uuid.UUID:
    if principal.organization_id is None:
        raise Forbidden("invoices are written by an organisation's staff")
    return principal.organization_id


# --- readers ----------------------------------------------------------------------------------


def patient_by_uhid(session: Session, uhid: str) -> User:
    """The active patient with this UHID (system session: patients are of no organisation)."""
    user = get_by_uhid(session, uhid)
    if Role.patient.value not in user.role_names or not user.is_active:
        raise NotFound("no patient has this UHID")
    return user


def parties(session: Session, invoices: Sequence[Invoice], *,
            with_names: bool = False) -> dict[uuid.UUID, Party]:
    """Invoice id -> its patient and organisation. The UHID is the invoice's own; the
    patient's name (`with_names`, for the PDF) is read from their account, which only the
    system session reaches."""
    org_ids = {i.organization_id for i in invoices}
    names: dict[uuid.UUID, str] = {}
    patient_ids = {i.patient_id for i in invoices}
    if with_names and patient_ids:
        names = dict(session.execute(select(User.id, User.full_name)
                                     .where(User.id.in_(patient_ids))).all())
    orgs = {row.id: (row.name, row.address) for row in session.execute(
        select(Organization.id, Organization.name, Organization.address)
        .where(Organization.id.in_(org_ids)))} if org_ids else {}
    found = {}
    for invoice in invoices:
        org_name, address = orgs.get(invoice.organization_id, ("", None))
        found[invoice.id] = Party(patient_uhid=invoice.patient_uhid,
                                  patient_name=names.get(invoice.patient_id, ""),
                                  organization_name=org_name, organization_address=address)
    return found


def lines_of(session: Session, invoice_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list[Charge]]:
    found: dict[uuid.UUID, list[Charge]] = defaultdict(list)
    if invoice_ids:
        for charge in session.scalars(
                select(Charge).where(Charge.invoice_id.in_(list(invoice_ids)))
                .order_by(Charge.created_at, Charge.id)):
            found[charge.invoice_id].append(charge)
    return found


def _readable(principal: Principal) -> list[ColumnElement[bool]]:
    """What confines a reader to their invoices: an organisation's staff, their
    organisation's (drafts too); anyone of no organisation (a patient), their own issued
    ones. Read in the system session (a patient is of no organisation), so these conditions
    are the whole of the confinement."""
    if principal.organization_id is not None:
        return [Invoice.organization_id == principal.organization_id]
    return [Invoice.patient_id == principal.user_id,
            Invoice.status != InvoiceStatus.draft.value]


def readable_invoice(session: Session, *, principal: Principal,
                     invoice_id: uuid.UUID) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id,
                                                   *_readable(principal)))
    if invoice is None:
        raise NotFound("no such invoice")
    return invoice


def list_invoices(session: Session, *, principal: Principal, patient_uhid: str | None,
                  status: InvoiceStatus | None, kind: InvoiceKind | None,
                  page: PageRequest) -> list[Invoice]:
    query = select(Invoice).where(*_readable(principal))
    if patient_uhid is not None:
        try:
            patient = get_by_uhid(session, patient_uhid)
        except NotFound:
            return []
        query = query.where(Invoice.patient_id == patient.id)
    if status is not None:
        query = query.where(Invoice.status == status.value)
    if kind is not None:
        query = query.where(Invoice.kind == kind.value)
    return list(session.scalars(query.order_by(Invoice.created_at.desc(), Invoice.id)
                                .limit(page.limit).offset(page.offset)))


def _own_invoice(session: Session, org_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
    invoice = session.scalar(select(Invoice).where(Invoice.id == invoice_id,
                                                   Invoice.organization_id == org_id)
                             .execution_options(populate_existing=True))
    if invoice is None:
        raise NotFound("no such invoice")
    return invoice


# --- manual charges ---------------------------------------------------------------------------


def _draft_id(session: Session, *, org_id: uuid.UUID, patient_id: uuid.UUID,
              patient_uhid: str, currency: str) -> uuid.UUID | None:
    now = utcnow()
    session.execute(
        _insert(session)(Invoice).values(
            id=uuid.uuid4(), organization_id=org_id, patient_id=patient_id,
            patient_uhid=patient_uhid, kind=InvoiceKind.invoice.value,
            status=InvoiceStatus.draft.value,
            currency=currency, net_total=0, tax_total=0, total=0, paid_total=0,
            insurer_total=0, credited_total=0, balance=0, created_at=now, updated_at=now)
        .on_conflict_do_nothing(index_elements=["organization_id", "patient_id", "currency"],
                                # Literal SQL: a bound parameter here does not match the
                                # partial index's predicate on PostgreSQL.
                                index_where=text("status = 'draft'")))
    return session.scalar(select(Invoice.id).where(
        Invoice.organization_id == org_id, Invoice.patient_id == patient_id,
        Invoice.currency == currency, Invoice.status == InvoiceStatus.draft.value))


@dataclass(frozen=True)
class Charged:
    charge: Charge
    invoice: Invoice
    # The first answer of an Idempotency-Key, given again: nothing was added this time.
    replayed: bool = False


def _charge_replay(session: Session, org_id: uuid.UUID, key: str | None,
                   digest: str) -> Charged | None:
    if key is None:
        return None
    first = session.scalar(select(Charge).where(Charge.organization_id == org_id,
                                                Charge.idempotency_key == key))
    if first is None:
        return None
    if first.request_hash != digest:
        raise Invalid("this Idempotency-Key was used for another charge: use a new key")
    invoice = session.get(Invoice, first.invoice_id)
    assert invoice is not None  # a foreign key
    return Charged(first, invoice, replayed=True)


def _grown(column: ColumnElement[Decimal] | Any, amount: Decimal) -> ColumnElement[Decimal]:
    # Kept to the cent: SQLite adds NUMERIC as binary floats.
    return func.round(column + amount, 2, type_=Numeric(14, 2))


def add_manual_charge(session: Session, *, principal: Principal, patient_id: uuid.UUID,
                      patient_uhid: str, line: ManualLine,
                      idempotency_key: str | None = None) -> Charged:
    """A staff member's charge with its reason, on the organisation's draft for the patient
    and currency (made if none); the draft's totals grow by the line in this transaction.
    Once per `idempotency_key`: a retry answers the first charge and adds nothing."""
    org_id = billing_org(principal)
    digest = request_hash(patient=patient_id, line=line)
    first = _charge_replay(session, org_id, idempotency_key, digest)
    if first is not None:
        return first
    amounts = line_amounts(line.unit_price, line.quantity, line.tax_rate)
    for _ in range(DRAFT_ATTEMPTS):
        draft_id = _draft_id(session, org_id=org_id, patient_id=patient_id,
                             patient_uhid=patient_uhid,
                             currency=line.currency)
        if draft_id is None:
            continue  # issued between the insert and the select: a new draft
        draft = session.execute(
            update(Invoice)
            .where(Invoice.id == draft_id, Invoice.status == InvoiceStatus.draft.value)
            .values(net_total=_grown(Invoice.net_total, amounts.net),
                    tax_total=_grown(Invoice.tax_total, amounts.tax),
                    total=_grown(Invoice.total, amounts.total),
                    balance=_grown(Invoice.balance, amounts.total), updated_at=utcnow())
            .returning(Invoice)
            .execution_options(synchronize_session=False, populate_existing=True)
        ).scalar_one_or_none()
        if draft is not None:
            break
    else:
        raise Conflict("the patient's draft invoice kept being issued; try again")
    charge = Charge(
        id=uuid.uuid4(), organization_id=org_id, patient_id=patient_id, invoice_id=draft.id,
        code_system=line.code_system, code=line.code, description=line.description,
        department=line.department, quantity=line.quantity, unit_price=line.unit_price,
        tax_rate=line.tax_rate, net=amounts.net, tax=amounts.tax, total=amounts.total,
        currency=line.currency, service_date=line.service_date or datetime.now(UTC).date(),
        manual_reason=line.reason, idempotency_key=idempotency_key, request_hash=digest,
        created_by=principal.user_id, created_at=utcnow())
    session.add(charge)
    # The same key at the same moment: that request's charge, and nothing added here.
    replay = flush_or_replay(
        session, lambda: _charge_replay(session, org_id, idempotency_key, digest))
    return replay if replay is not None else Charged(charge, draft)


# --- numbering ----------------------------------------------------------------------------------


def _next_number(session: Session, *, org_id: uuid.UUID, series: str,
                 year: int) -> tuple[int, str]:
    """The series' next number, taken in the caller's transaction: a rollback gives it back.
    The counter row's lock holds other issuers of the series until this one commits."""
    session.execute(
        _insert(session)(InvoiceCounter)
        .values(organization_id=org_id, series=series, year=year, last=0)
        .on_conflict_do_nothing(index_elements=["organization_id", "series", "year"]))
    sequence = session.execute(
        update(InvoiceCounter)
        .where(InvoiceCounter.organization_id == org_id, InvoiceCounter.series == series,
               InvoiceCounter.year == year)
        .values(last=InvoiceCounter.last + 1)
        .returning(InvoiceCounter.last)
        .execution_options(synchronize_session=False)).scalar_one()
    return sequence, f"{series}-{year}-{sequence:06d}"


def issue_invoice(session: Session, *, principal: Principal, invoice_id: uuid.UUID) -> Invoice:
    """Number a draft of the caller's organisation that has lines and issue it (404 when not
    its invoice, 409 when empty or not a draft)."""
    org_id = billing_org(principal)
    invoice = _own_invoice(session, org_id, invoice_id)
    if invoice.status != InvoiceStatus.draft.value:
        raise Conflict("the invoice is already issued")
    has_lines = session.scalar(select(func.count()).select_from(Charge)
                               .where(Charge.invoice_id == invoice.id))
    if not has_lines:
        raise Conflict("the draft has no lines: add a charge first")
    now = utcnow()
    sequence, number = _next_number(session, org_id=org_id, series=INVOICE_SERIES,
                                    year=now.year)
    issued = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice.id, Invoice.organization_id == org_id,
               Invoice.status == InvoiceStatus.draft.value)
        .values(status=InvoiceStatus.issued.value, number=number, year=now.year,
                sequence=sequence, issued_at=now, issued_by=principal.user_id, updated_at=now)
        .returning(Invoice)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalar_one_or_none()
    if issued is None:
        # Issued by someone else meanwhile: the exception rolls back, returning the number.
        raise Conflict("the invoice is already issued")
    # The patient is told (inbox, and by email as they chose: the event's name and a link,
    # never the services or amounts).
    notify_event(session, user_id=issued.patient_id, kind=NotificationKind.invoice_issued,
                 subject_id=str(issued.id))
    return issued


# --- voiding and credit notes --------------------------------------------------------------------


def void_invoice(session: Session, *, principal: Principal, invoice_id: uuid.UUID,
                 reason: str) -> Invoice:
    """Void an issued invoice on which nothing was paid, settled or credited; it keeps its
    number and lines. Anything else is corrected by a credit note (409)."""
    org_id = billing_org(principal)
    now = utcnow()
    voided = session.execute(
        update(Invoice)
        .where(Invoice.id == invoice_id, Invoice.organization_id == org_id,
               Invoice.kind == InvoiceKind.invoice.value,
               Invoice.status == InvoiceStatus.issued.value,
               Invoice.paid_total == 0, Invoice.insurer_total == 0,
               Invoice.credited_total == 0)
        .values(status=InvoiceStatus.void.value, balance=0, reason=reason, voided_at=now,
                updated_at=now)
        .returning(Invoice)
        .execution_options(synchronize_session=False, populate_existing=True)
    ).scalar_one_or_none()
    if voided is not None:
        return voided
    invoice = _own_invoice(session, org_id, invoice_id)
    if invoice.kind != InvoiceKind.invoice.value:
        raise Conflict("a credit note cannot be voided")
    if invoice.status == InvoiceStatus.draft.value:
        raise Conflict("a draft is not issued: there is nothing to void")
    if invoice.status == InvoiceStatus.void.value:
        raise Conflict("the invoice is already void")
    raise Conflict("something was paid, settled or credited on this invoice: write a "
                   "credit note instead")


def _credited_so_far(session: Session, charge_ids: Sequence[uuid.UUID]
                     ) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    """Charge id -> (net, tax) credited by earlier credit notes."""
    rows = session.execute(
        select(Charge.credit_of_id, func.coalesce(func.sum(Charge.net), 0),
               func.coalesce(func.sum(Charge.tax), 0))
        .where(Charge.credit_of_id.in_(list(charge_ids)))
        .group_by(Charge.credit_of_id)).all()
    return {row[0]: (Decimal(row[1]), Decimal(row[2])) for row in rows if row[0] is not None}


@dataclass(frozen=True)
class _Credit:
    line: Charge
    net: Decimal
    tax: Decimal


def _credits(session: Session, invoice: Invoice,
             requested: Sequence[CreditLine] | None) -> list[_Credit]:
    lines = {c.id: c for c in session.scalars(
        select(Charge).where(Charge.invoice_id == invoice.id)
        .order_by(Charge.created_at, Charge.id))}
    before = _credited_so_far(session, list(lines))
    credits = []
    if requested is None:
        for line in lines.values():
            net_before, tax_before = before.get(line.id, (Decimal(0), Decimal(0)))
            net, tax = Decimal(line.net) - net_before, Decimal(line.tax) - tax_before
            if net + tax > 0:
                credits.append(_Credit(line=line, net=net, tax=tax))
        if not credits:
            raise Conflict("every line of the invoice is credited already")
        return credits
    seen: set[uuid.UUID] = set()
    for wanted in requested:
        named = lines.get(wanted.charge_id)
        if named is None:
            raise Invalid("a credited line is not a line of this invoice")
        line = named
        if wanted.charge_id in seen:
            raise Invalid("a line is named twice")
        seen.add(wanted.charge_id)
        if wanted.currency != invoice.currency:
            raise Invalid(f"the invoice is in {invoice.currency}")
        if wanted.amount <= 0:
            raise Invalid("a credited amount must be above zero")
        net_before, tax_before = before.get(line.id, (Decimal(0), Decimal(0)))
        net_left, tax_left = Decimal(line.net) - net_before, Decimal(line.tax) - tax_before
        left = net_left + tax_left
        if wanted.amount > left:
            raise Invalid(f"a line has {left:.2f} {invoice.currency} left to credit")
        if wanted.amount == left:
            credits.append(_Credit(line=line, net=net_left, tax=tax_left))
            continue
        # Part of a line: its tax in the line's proportion, rounded once (the money rule).
        total = Decimal(line.total)
        tax = round_money(wanted.amount * Decimal(line.tax) / total) if total else Decimal(0)
        tax = min(tax, tax_left)
        net = wanted.amount - tax
        if net > net_left:  # earlier credits took the net first: the rest is tax
            net, tax = net_left, wanted.amount - net_left
        credits.append(_Credit(line=line, net=net, tax=tax))
    return credits


def _credit_replay(session: Session, org_id: uuid.UUID, key: str | None,
                   digest: str) -> Invoice | None:
    if key is None:
        return None
    first = session.scalar(select(Invoice).where(Invoice.organization_id == org_id,
                                                 Invoice.idempotency_key == key))
    if first is not None and first.request_hash != digest:
        raise Invalid("this Idempotency-Key was used for another credit note: use a new key")
    return first


def credit_invoice(session: Session, *, principal: Principal, invoice_id: uuid.UUID,
                   reason: str, lines: Sequence[CreditLine] | None,
                   idempotency_key: str | None = None) -> tuple[Invoice, bool]:
    """A credit note of an issued invoice, numbered in its own series: its lines credit the
    invoice's (all of what is left of every line, or the amounts asked), and the invoice's
    balance falls by its total in this transaction (409 when above the balance). Once per
    `idempotency_key`: a retry answers the first note (True: replayed) and credits nothing."""
    org_id = billing_org(principal)
    digest = request_hash(invoice=invoice_id, reason=reason,
                          lines=None if lines is None else list(lines))
    first = _credit_replay(session, org_id, idempotency_key, digest)
    if first is not None:
        return first, True
    invoice = _own_invoice(session, org_id, invoice_id)
    if invoice.kind != InvoiceKind.invoice.value:
        raise Conflict("a credit note cannot be credited")
    if invoice.status == InvoiceStatus.draft.value:
        raise Conflict("a draft is not issued: change its charges instead")
    if invoice.status == InvoiceStatus.void.value:
        raise Conflict("the invoice is void")
    credits = _credits(session, invoice, lines)
    amount = sum((c.net + c.tax for c in credits), start=Decimal(0))
    if take(session, invoice_id=invoice.id, amount=amount, settled=Settled.credited) is None:
        raise Conflict(f"the credit ({amount:.2f} {invoice.currency}) is above the balance "
                       "left to pay: refund the payment first")
    # The conditional UPDATE locks the invoice, so concurrent credit notes of it are counted
    # one after the other: read the lines again under the lock, in case one credited them.
    credits = _credits(session, invoice, lines)
    if sum((c.net + c.tax for c in credits), start=Decimal(0)) != amount:
        raise Conflict("the invoice was credited meanwhile; try again")
    now = utcnow()
    sequence, number = _next_number(session, org_id=org_id, series=CREDIT_NOTE_SERIES,
                                    year=now.year)
    net = sum((c.net for c in credits), start=Decimal(0))
    tax = sum((c.tax for c in credits), start=Decimal(0))
    note = Invoice(
        id=uuid.uuid4(), organization_id=org_id, patient_id=invoice.patient_id,
        patient_uhid=invoice.patient_uhid, kind=InvoiceKind.credit_note.value,
        status=InvoiceStatus.issued.value,
        currency=invoice.currency, number=number, year=now.year, sequence=sequence,
        credit_of_id=invoice.id, net_total=net, tax_total=tax, total=net + tax,
        paid_total=0, insurer_total=0, credited_total=0, balance=0, issued_at=now,
        issued_by=principal.user_id, reason=reason, idempotency_key=idempotency_key,
        request_hash=digest, created_at=now, updated_at=now)
    session.add(note)
    # The same key at the same moment: that request's note, and nothing credited here.
    replay = flush_or_replay(
        session, lambda: _credit_replay(session, org_id, idempotency_key, digest))
    if replay is not None:
        return replay, True
    for credit in credits:
        line = credit.line
        whole = (credit.net == Decimal(line.net) and credit.tax == Decimal(line.tax))
        session.add(Charge(
            id=uuid.uuid4(), organization_id=org_id, patient_id=invoice.patient_id,
            invoice_id=note.id, credit_of_id=line.id, price_item_id=line.price_item_id,
            code_system=line.code_system, code=line.code, description=line.description,
            department=line.department, quantity=line.quantity if whole else 1,
            unit_price=line.unit_price if whole else credit.net, tax_rate=line.tax_rate,
            net=credit.net, tax=credit.tax, total=credit.net + credit.tax,
            currency=invoice.currency, service_date=line.service_date,
            manual_reason=reason, created_by=principal.user_id, created_at=now))
    session.flush()
    return note, False


# --- what the PDF shows besides the invoice ------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    """An invoice's payments (with what was refunded of each), its credit notes, and the
    number of the invoice a credit note credits."""

    payments: list[Received]
    credit_notes: list[Invoice]
    credit_of_number: str | None


def statement(session: Session, invoice: Invoice, payments_of: PaymentsOf) -> Statement:
    payments = payments_of(session, invoice.id)
    notes = list(session.scalars(select(Invoice).where(Invoice.credit_of_id == invoice.id)
                                 .order_by(Invoice.issued_at, Invoice.id)))
    credit_of = (session.scalar(select(Invoice.number)
                                .where(Invoice.id == invoice.credit_of_id))
                 if invoice.credit_of_id else None)
    return Statement(payments=payments, credit_notes=notes, credit_of_number=credit_of)
