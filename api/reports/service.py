"""The organisation's reports: revenue by service or department, receivables with ageing, and
claims by status and payer. The database computes each (GROUP BY, SUM, CASE: one
aggregate query per report, and the receivables' oldest invoices by the index on the
organisation, status and issue time). Every query names the caller's organisation itself,
whatever session it runs in; in a tenant session row-level security confines it besides.

What counts (agreed with the billing context):
- revenue: the lines (charges) of invoices issued, partly paid or paid (never drafts or
  voided invoices), dated by the line's service date, less the lines of credit notes (whose
  amounts are positive: they are subtracted here);
- receivables: the balance of invoices issued or partly paid, aged by the days from their
  issue to the report's date (0-30, 31-60, 61-90, over 90). The balance is today's: payments
  are not replayed to an earlier date, so `as_of` dates the ageing and hides invoices issued
  after it;
- claims: by status and insurer, with the claimed and approved totals, dated by submission.

Amounts are summed exactly, in minor units (see `_cents`), and answered as `Decimal`."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Integer, case, cast, func, literal, select
from sqlalchemy.orm import QueryableAttribute, Session

from api.billing.models import PAYABLE, Charge, Invoice, InvoiceKind, InvoiceStatus
from api.billing.money import CENTS
from api.errors import Invalid
from api.insurance.models import Claim
from api.tenants.models import Organization

# Invoices whose lines are revenue; the same statuses count a credit note's lines against it.
EARNING = (InvoiceStatus.issued, InvoiceStatus.partly_paid, InvoiceStatus.paid)
UNASSIGNED = "Unassigned"
OLDEST_SHOWN = 20
# Days a report may name (the years invoices are dated in, as the billing context accepts).
FIRST_YEAR, LAST_YEAR = 2000, 2199
# The longest period one report covers (ten years): a bound on what one request scans.
MAX_PERIOD = timedelta(days=3660)


class RevenueBy(enum.StrEnum):
    service = "service"
    department = "department"


class AgeBucket(enum.StrEnum):
    """Days from an invoice's issue to the report's date."""

    current = "0-30"
    days_31_60 = "31-60"
    days_61_90 = "61-90"
    over_90 = "over 90"


BUCKETS = tuple(AgeBucket)
# The first day of each bucket but the last, in days of age.
_BUCKET_STARTS = (30, 60, 90)


def _in_reach(day: date, name: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise Invalid(f"`{name}` must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return day


@dataclass(frozen=True)
class Period:
    start: date
    end: date   # inclusive

    @classmethod
    def of(cls, start: date | None, end: date | None, *, today: date) -> Period:
        """`start`..`end` (by default the month so far, or the month of `end`)."""
        end = _in_reach(end or today, "to")
        start = _in_reach(start or end.replace(day=1), "from")
        if start > end:
            raise Invalid("`from` must not be after `to`")
        if end - start > MAX_PERIOD:
            raise Invalid("a report covers at most ten years")
        return cls(start, end)


@dataclass(frozen=True)
class RevenueRow:
    currency: str
    key: str | None      # "system|code" or the department; None when there is none
    label: str
    count: int           # lines invoiced (credit notes' lines correct amounts, not counted)
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Amounts:
    currency: str
    count: int
    net: Decimal
    tax: Decimal
    total: Decimal


@dataclass(frozen=True)
class Revenue:
    by: RevenueBy
    period: Period
    rows: list[RevenueRow]
    totals: list[Amounts]


@dataclass(frozen=True)
class BucketRow:
    currency: str
    bucket: AgeBucket
    count: int
    balance: Decimal


@dataclass(frozen=True)
class OwedInvoice:
    id: uuid.UUID
    number: str
    patient_uhid: str
    issued_at: datetime
    age_days: int
    balance: Decimal
    currency: str


@dataclass(frozen=True)
class Receivables:
    as_of: date
    buckets: list[BucketRow]        # every bucket of every currency owed, zeros included
    oldest: list[OwedInvoice]


@dataclass(frozen=True)
class ClaimsRow:
    status: str
    insurer_id: uuid.UUID
    insurer_name: str
    currency: str
    count: int
    claimed: Decimal
    approved: Decimal


@dataclass(frozen=True)
class ClaimsReport:
    period: Period
    rows: list[ClaimsRow]


def _cents(session: Session, amount: Any) -> ColumnElement[Any]:
    """`amount` (a NUMERIC(14, 2) column or expression) in minor units, to be summed exactly.

    PostgreSQL's NUMERIC is decimal: its sums are exact as they are. SQLite has no decimal
    type: it keeps NUMERIC values as binary floats (REAL), so summing them adds up binary
    approximations (0.10 + 0.20 is 0.30000000000000004) and a sum of many amounts can be off
    by a cent. Each stored amount has two decimals, so amount x 100 rounded to the nearest
    whole number is exactly its number of cents; whole numbers sum exactly (64-bit integers,
    enough for 92 quadrillion rupees). Both backends then answer cents, read back as Decimal
    and divided by 100 in Python (`_money`)."""
    if session.get_bind().dialect.name == "sqlite":
        return cast(func.round(amount * 100), Integer)
    return amount * 100  # type: ignore[no-any-return]


def _money(cents: Any) -> Decimal:
    return (Decimal(cents or 0) / 100).quantize(CENTS)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


def revenue(session: Session, *, organization_id: uuid.UUID, period: Period,
            by: RevenueBy) -> Revenue:
    """Revenue of the organisation's invoices by service (code, or description when a manual
    line has no code) or by department, per currency, over the lines' service dates."""
    credit_note = Invoice.kind == InvoiceKind.credit_note.value
    sign = case((credit_note, -1), else_=1)
    keys: list[ColumnElement[Any] | QueryableAttribute[Any]]
    if by is RevenueBy.service:
        # A coded service is one row whatever its description; an uncoded manual line is
        # grouped by its description.
        uncoded = case((Charge.code.is_(None), Charge.description), else_=literal(None))
        keys = [Charge.code_system, Charge.code, uncoded]
        label: ColumnElement[Any] = func.max(Charge.description)
    else:
        keys = [Charge.department]
        label = func.coalesce(Charge.department, UNASSIGNED)
    query = (
        select(Charge.currency, *keys, label,
               func.sum(case((credit_note, 0), else_=1)),
               func.sum(sign * _cents(session, Charge.net)),
               func.sum(sign * _cents(session, Charge.tax)))
        .join(Invoice, Invoice.id == Charge.invoice_id)
        .where(Charge.organization_id == organization_id,
               Invoice.organization_id == organization_id,
               Charge.service_date >= period.start, Charge.service_date <= period.end,
               Invoice.status.in_([s.value for s in EARNING]))
        .group_by(Charge.currency, *keys))
    rows: list[RevenueRow] = []
    for record in session.execute(query):
        currency, *key_values, name, count, net, tax = record
        if by is RevenueBy.service:
            system, code, _ = key_values
            key = f"{system}|{code}" if code is not None else None
        else:
            key = key_values[0]
        # A line's total is its net and tax (a CHECK of the charges): summed once, not twice.
        rows.append(RevenueRow(currency=currency, key=key, label=name, count=int(count or 0),
                               net=_money(net), tax=_money(tax),
                               total=_money(net) + _money(tax)))
    rows.sort(key=lambda r: (r.currency, -r.total, r.label, r.key or ""))
    return Revenue(by=by, period=period, rows=rows, totals=_totals(rows))


def _totals(rows: Sequence[RevenueRow]) -> list[Amounts]:
    totals: dict[str, Amounts] = {}
    for row in rows:
        was = totals.get(row.currency, Amounts(row.currency, 0, Decimal(0), Decimal(0),
                                               Decimal(0)))
        totals[row.currency] = Amounts(row.currency, was.count + row.count,
                                       was.net + row.net, was.tax + row.tax,
                                       was.total + row.total)
    return [totals[c] for c in sorted(totals)]


def _owed(organization_id: uuid.UUID, as_of: date) -> list[ColumnElement[bool]]:
    """The organisation's invoices with something owed, issued by the end of `as_of`."""
    return [Invoice.organization_id == organization_id,
            Invoice.kind == InvoiceKind.invoice.value,
            Invoice.status.in_([s.value for s in PAYABLE]),
            Invoice.issued_at < _day_start(as_of + timedelta(days=1))]


def receivables(session: Session, *, organization_id: uuid.UUID, as_of: date) -> Receivables:
    """What patients owe the organisation, per currency and age bucket, and the oldest
    invoices owed."""
    _in_reach(as_of, "as_of")
    # An invoice issued on day D is `as_of - D` days old: it is in the first bucket when
    # issued on or after the day `as_of - 30`, and so on (bounds computed here, so the query
    # needs no date arithmetic, which SQLite and PostgreSQL spell differently).
    bucket = case(*((Invoice.issued_at >= _day_start(as_of - timedelta(days=days)), n)
                    for n, days in enumerate(_BUCKET_STARTS)),
                  else_=len(_BUCKET_STARTS))
    owed = _owed(organization_id, as_of)
    totals = session.execute(
        select(Invoice.currency, bucket, func.count(),
               func.sum(_cents(session, Invoice.balance)))
        .where(*owed).group_by(Invoice.currency, bucket))
    found = {(currency, int(n)): (int(count), _money(cents))
             for currency, n, count, cents in totals}
    buckets = [BucketRow(currency, b, *found.get((currency, n), (0, Decimal("0.00"))))
               for currency in sorted({c for c, _ in found})
               for n, b in enumerate(BUCKETS)]
    oldest: list[OwedInvoice] = []
    for row in session.execute(
            select(Invoice.id, Invoice.number, Invoice.patient_uhid, Invoice.issued_at,
                   Invoice.balance, Invoice.currency)
            .where(*owed).order_by(Invoice.issued_at, Invoice.number).limit(OLDEST_SHOWN)):
        issued: datetime = row.issued_at  # not null: the query's condition
        oldest.append(OwedInvoice(
            id=row.id, number=row.number or "", patient_uhid=row.patient_uhid,
            issued_at=issued,
            age_days=(as_of - issued.date()).days,
            balance=Decimal(row.balance).quantize(CENTS), currency=row.currency))
    return Receivables(as_of=as_of, buckets=buckets, oldest=oldest)


def claims(session: Session, *, organization_id: uuid.UUID, period: Period) -> ClaimsReport:
    """The organisation's claims submitted in `period`, by status and insurer (per currency):
    how many, the amount claimed and the amount approved."""
    query = (
        select(Claim.status, Claim.insurer_id, Organization.name, Claim.currency,
               func.count(), func.sum(_cents(session, Claim.total)),
               func.sum(_cents(session, func.coalesce(Claim.approved_amount, 0))))
        .join(Organization, Organization.id == Claim.insurer_id)
        .where(Claim.organization_id == organization_id,
               Claim.submitted_at >= _day_start(period.start),
               Claim.submitted_at < _day_start(period.end + timedelta(days=1)))
        .group_by(Claim.status, Claim.insurer_id, Organization.name, Claim.currency))
    rows = [ClaimsRow(status=status, insurer_id=insurer, insurer_name=name, currency=currency,
                      count=int(count), claimed=_money(claimed), approved=_money(approved))
            for status, insurer, name, currency, count, claimed, approved
            in session.execute(query)]
    rows.sort(key=lambda r: (r.status, r.insurer_name, r.currency))
    return ClaimsReport(period=period, rows=rows)
