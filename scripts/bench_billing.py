"""Invoices generated from billable events, and the revenue and ageing reports over them,
against the same reports computed in Python over the exported rows, in the same run.

Starts what it needs itself: a throwaway data directory with a SQLite database by default
(--start-postgres or --database-url for PostgreSQL), migrated to the head. Then seeds the
database directly (bulk inserts): one hospital with a price list (consultations, lab tests,
imaging, drugs, each with its department and tax rate), --invoices patients (minimal account
rows, as the schema requires) and one billable event per patient (kinds and codes in turn,
service days spread over the past 180 days). Measured:

  invoices/s        `api.billing.charging.charge_pending(session, limit=--batch)`, the
                    charging worker's own function, in a fresh session per batch until no
                    event is left (each event becomes a charge on its patient's draft:
                    one draft per patient), then every draft issued through the invoices
                    service (its gapless numbering); invoices/s = invoices issued over the
                    time of both. Issue dates are then spread over the 180 days (the
                    service day plus 0-6 days, behind the service) and payments added to
                    two invoices in three (in full, or part), so balances and statuses vary.
  revenue report    `api.reports.service.revenue` by service over the 180 days, as the
                    route calls it, in the organisation's tenant session;
  ageing report     `api.reports.service.receivables` as of today (buckets and the 20
                    oldest invoices owed);
  baseline          the same two reports computed in Python: every row of the
                    organisation's charges (with their invoice's kind and status) and of its
                    invoices exported (SELECT of the needed columns), then aggregated in a
                    plain loop with Decimal; timed the same way (export + loop).

Each report runs --runs times after one discarded warm-up run (medians reported); the
Python baseline's results are checked equal to the reports'. The last line is one JSON object
with invoices_per_s, report_ms (the revenue and ageing medians summed), baseline_report_ms
(likewise) and the run's other figures.

    .venv/bin/python scripts/bench_billing.py [--invoices 100000] [--batch 500] [--runs 5]
        [--start-postgres | --database-url URL]
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, bindparam, select, update  # noqa: E402
from sqlalchemy.orm import Session, sessionmaker  # noqa: E402

from api.billing import charging, invoices  # noqa: E402
from api.billing.models import (  # noqa: E402
    PAYABLE,
    BillableEvent,
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PriceItem,
)
from api.db.migrate import upgrade  # noqa: E402
from api.db.session import (  # noqa: E402
    SYSTEM,
    TenantContext,
    make_engine,
    make_sessionmaker,
    session_scope,
)
from api.deps import Principal  # noqa: E402
from api.identity.models import User, UserRole  # noqa: E402
from api.identity.uhid import generate_uhid  # noqa: E402
from api.reports import service as reports  # noqa: E402
from api.roles.catalog import Role  # noqa: E402
from api.roles.service import permissions_of  # noqa: E402
from api.tenants.models import Organization, OrganizationKind  # noqa: E402
from scripts.bench_clinic import _writer  # noqa: E402
from scripts.services.postgres import postgres_cluster  # noqa: E402

T = TypeVar("T")
DAYS = 180
CHUNK = 5000
LOINC, RXNORM = "http://loinc.org", "http://www.nlm.nih.gov/research/umls/rxnorm"
CONSULTATION = "https://ohms.health/fhir/CodeSystem/consultation"
RADLEX = "http://radlex.org"
# (kind, system, code, display, department, price, tax rate)
PRICE_LIST = [
    ("consultation", CONSULTATION, "general", "Consultation, General practice",
     "General practice", "500.00", "0.18"),
    ("consultation", CONSULTATION, "394579002", "Consultation, Cardiology", "Cardiology",
     "1200.00", "0.18"),
    ("lab_order", LOINC, "718-7", "Hemoglobin [Mass/volume] in Blood", "Laboratory",
     "250.00", "0.05"),
    ("lab_order", LOINC, "2345-7", "Glucose [Mass/volume] in Serum or Plasma", "Laboratory",
     "180.50", "0.05"),
    ("imaging_order", RADLEX, "RPID16", "CT Head without contrast", "Radiology", "3499.99",
     "0.12"),
    ("dispense", RXNORM, "308191", "amoxicillin 500 MG Oral Capsule", "Pharmacy", "12.3750",
     "0.12"),
]


def seed(engine: Engine, *, patients: int) -> tuple[uuid.UUID, uuid.UUID]:
    """The hospital, its administrator, its price list, the patients and one pending
    billable event per patient: the hospital's id and the administrator's."""
    rng = random.Random(15)
    now = datetime.now(UTC)
    hospital, admin = uuid.uuid4(), uuid.uuid4()
    _writer(engine, Organization)([{"id": hospital, "name": "Bench Hospital",
                                    "kind": OrganizationKind.hospital, "is_active": True,
                                    "created_at": now}])
    uhids: set[str] = set()

    def uhid() -> str:
        while (value := generate_uhid()) in uhids:
            pass
        uhids.add(value)
        return value

    def account(n: int, email: str, org: uuid.UUID | None,
                user_id: uuid.UUID | None = None) -> dict[str, Any]:
        return {"id": user_id or uuid.uuid4(), "uhid": uhid(), "email": email,
                "full_name": f"Bench Person {n}", "date_of_birth": None,
                "organization_id": org, "password_hash": None, "is_active": True,
                "failed_logins": 0, "created_at": now}

    _writer(engine, User)([account(0, "bench.admin@example.org", hospital, admin)])
    _writer(engine, UserRole)([{"user_id": admin, "role": Role.org_admin.value,
                                "organization_id": hospital}])
    since = now.date() - timedelta(days=365)
    _writer(engine, PriceItem)([
        {"id": uuid.uuid4(), "organization_id": hospital, "code_system": system,
         "code": code, "display": display, "price_amount": Decimal(price),
         "price_currency": "INR", "tax_rate": Decimal(rate), "valid_from": since,
         "department": department, "created_by": admin, "created_at": now}
        for _kind, system, code, display, department, price, rate in PRICE_LIST])
    write_users, write_events = _writer(engine, User), _writer(engine, BillableEvent)
    for start in range(0, patients, CHUNK):
        people = [account(n, f"bench.patient.{n:06d}@example.org", None)
                  for n in range(start, min(start + CHUNK, patients))]
        write_users(people)
        events = []
        for n, person in enumerate(people, start):
            kind, system, code, display, department, _price, _rate = \
                PRICE_LIST[n % len(PRICE_LIST)]
            at = now - timedelta(days=rng.randrange(DAYS), minutes=rng.randrange(24 * 60))
            events.append({
                "id": uuid.uuid4(), "organization_id": hospital, "patient_id": person["id"],
                "patient_uhid": person["uhid"], "kind": kind, "source_id": uuid.uuid4(),
                "code_system": system, "code": code, "display": display,
                "quantity": rng.randint(1, 30) if kind == "dispense" else 1,
                "occurred_at": at, "department": department, "record_id": None,
                "status": "pending", "attempts": 0, "created_at": at, "charged_at": None})
        write_events(events)
    return hospital, admin


def charge_everything(factory: sessionmaker[Session], *, batch: int) -> int:
    """Run the charging worker's function, one fresh session per batch, until no pending
    event is left: the number of charges made."""
    made = 0
    while True:
        with session_scope(factory, SYSTEM) as session:
            n = charging.charge_pending(session, limit=batch)
        if n == 0:
            return made
        made += n


def issue_everything(factory: sessionmaker[Session], *, hospital: uuid.UUID,
                     admin: uuid.UUID, batch: int) -> int:
    """Issue every draft of the hospital through the invoices service's own function
    (`issue_invoice`: its checks and gapless numbering), `batch` invoices per transaction in
    the hospital's tenant session, as its administrator: the number issued."""
    roles = frozenset({Role.org_admin})
    principal = Principal(user_id=admin, uhid="", email="bench.admin@example.org",
                          organization_id=hospital, roles=roles,
                          permissions=permissions_of(roles, []), session_id=uuid.uuid4())
    with session_scope(factory, TenantContext(hospital)) as session:
        drafts = list(session.scalars(
            select(Invoice.id).where(Invoice.organization_id == hospital,
                                     Invoice.status == InvoiceStatus.draft.value)
            .order_by(Invoice.created_at, Invoice.id)))
    for start in range(0, len(drafts), batch):
        with session_scope(factory, TenantContext(hospital)) as session:
            for invoice_id in drafts[start:start + batch]:
                invoices.issue_invoice(session, principal=principal, invoice_id=invoice_id)
    return len(drafts)


def spread_and_pay(engine: Engine, factory: sessionmaker[Session], *,
                   hospital: uuid.UUID) -> None:
    """Issue dates spread over the 180 days (behind the service: the service day plus 0-6
    days, never in the future), and payments on two invoices in three (a third paid in full,
    a third in part), keeping the invoices' CHECKs (balance = total - paid - ...)."""
    rng = random.Random(42)
    today = datetime.now(UTC)
    with session_scope(factory, SYSTEM) as session:
        rows = session.execute(
            select(Invoice.id, Invoice.total, Charge.service_date)
            .join(Charge, Charge.invoice_id == Invoice.id)
            .where(Invoice.organization_id == hospital,
                   Invoice.status == InvoiceStatus.issued.value)).all()
    changes = []
    for n, (invoice_id, total, service_date) in enumerate(rows):
        issued = min(today, datetime.combine(service_date, datetime.min.time(), tzinfo=UTC)
                     + timedelta(days=rng.randrange(7), hours=rng.randrange(9, 18)))
        total = Decimal(total).quantize(Decimal("0.01"))
        paid = (total if n % 3 == 0 else
                (total / 3).quantize(Decimal("0.01")) if n % 3 == 1 else Decimal(0))
        status = (InvoiceStatus.paid if paid == total and paid else
                  InvoiceStatus.partly_paid if paid else InvoiceStatus.issued)
        changes.append({"row_id": invoice_id, "issued_at": issued, "paid_total": paid,
                        "balance": total - paid, "status": status.value})
    statement = (update(Invoice.__table__)  # type: ignore[arg-type]
                 .where(Invoice.__table__.c.id == bindparam("row_id"))
                 .values(issued_at=bindparam("issued_at"), paid_total=bindparam("paid_total"),
                         balance=bindparam("balance"), status=bindparam("status")))
    for start in range(0, len(changes), CHUNK):
        with session_scope(factory, SYSTEM) as session:
            session.connection().execute(statement, changes[start:start + CHUNK])


# --- the baseline: the same reports over the exported rows, in Python -----------------------


def revenue_in_python(session: Session, *, hospital: uuid.UUID,
                      period: reports.Period) -> list[reports.RevenueRow]:
    rows = session.execute(
        select(Charge.currency, Charge.code_system, Charge.code, Charge.description,
               Charge.net, Charge.tax, Charge.total, Charge.service_date, Invoice.kind,
               Invoice.status)
        .join(Invoice, Invoice.id == Charge.invoice_id)
        .where(Charge.organization_id == hospital)).all()
    earning = {s.value for s in reports.EARNING}
    groups: dict[tuple[str, str | None, str | None, str | None], list[Any]] = {}
    for currency, system, code, description, net, tax, total, day, kind, status in rows:
        if status not in earning or not period.start <= day <= period.end:
            continue
        key = (currency, system, code, description if code is None else None)
        group = groups.setdefault(key, [description, 0, Decimal(0), Decimal(0), Decimal(0)])
        sign = -1 if kind == InvoiceKind.credit_note.value else 1
        group[0] = max(group[0], description)
        group[1] += 0 if sign < 0 else 1
        group[2] += sign * Decimal(net)
        group[3] += sign * Decimal(tax)
        group[4] += sign * Decimal(total)
    cents = Decimal("0.01")
    out = [reports.RevenueRow(currency=currency, key=f"{system}|{code}" if code else None,
                              label=label, count=count, net=net.quantize(cents),
                              tax=tax.quantize(cents), total=total.quantize(cents))
           for (currency, system, code, _), (label, count, net, tax, total) in groups.items()]
    out.sort(key=lambda r: (r.currency, -r.total, r.label, r.key or ""))
    return out


def ageing_in_python(session: Session, *, hospital: uuid.UUID,
                     as_of: date) -> tuple[list[reports.BucketRow], list[str]]:
    rows = session.execute(
        select(Invoice.id, Invoice.number, Invoice.kind, Invoice.status, Invoice.currency,
               Invoice.issued_at, Invoice.balance)
        .where(Invoice.organization_id == hospital)).all()
    owing = {s.value for s in PAYABLE}
    sums: dict[tuple[str, int], list[Any]] = {}
    owed = []
    for invoice_id, number, kind, status, currency, issued_at, balance in rows:
        if kind != InvoiceKind.invoice.value or status not in owing or issued_at is None:
            continue
        age = (as_of - issued_at.date()).days
        if age < 0:
            continue
        n = 0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else 3
        acc = sums.setdefault((currency, n), [0, Decimal(0)])
        acc[0] += 1
        acc[1] += Decimal(balance)
        owed.append((issued_at, number or "", invoice_id))
    buckets = [reports.BucketRow(currency, bucket,
                                 *(lambda a: (a[0], a[1].quantize(Decimal("0.01"))))(
                                     sums.get((currency, n), [0, Decimal(0)])))
               for currency in sorted({c for c, _ in sums})
               for n, bucket in enumerate(reports.BUCKETS)]
    oldest = [number for _, number, _ in heapq.nsmallest(reports.OLDEST_SHOWN, owed)]
    return buckets, oldest


# --- measuring -------------------------------------------------------------------------------


def timed(runs: int, work: Callable[[], T]) -> tuple[float, T]:
    """The median of `runs` timings of `work` in milliseconds (after one discarded warm-up
    run), and its last result."""
    result = work()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = work()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), result


def in_session(factory: sessionmaker[Session], ctx: TenantContext,
               work: Callable[[Session], T]) -> Callable[[], T]:
    def run() -> T:
        with session_scope(factory, ctx) as session:
            return work(session)
    return run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    backend = parser.add_mutually_exclusive_group()
    backend.add_argument("--database-url",
                         help="run against this (empty) database, e.g. postgresql+psycopg://...; "
                              "default: a SQLite file in a temporary data directory")
    backend.add_argument("--start-postgres", action="store_true",
                         help="start a throwaway PostgreSQL cluster and run against it")
    parser.add_argument("--invoices", type=int, default=100_000,
                        help="patients, billable events and so invoices (default 100000)")
    parser.add_argument("--batch", type=int, default=500,
                        help="events charged per session (charge_pending's limit, default 500)")
    parser.add_argument("--runs", type=int, default=5,
                        help="timed runs of each report (default 5)")
    args = parser.parse_args(argv)
    if args.invoices < 1 or args.batch < 1 or args.runs < 1:
        parser.error("--invoices, --batch and --runs must be positive")

    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(
            tempfile.TemporaryDirectory(prefix="ohms-bench-billing-")))
        url: str | None = args.database_url
        if args.start_postgres:
            url = stack.enter_context(postgres_cluster()).create_database("ohms_bench")
        url = url or f"sqlite:///{(data_dir / 'ohms.sqlite3').resolve()}"
        database = "postgresql" if url.startswith("postgresql") else "sqlite"
        engine = make_engine(url)
        stack.callback(engine.dispose)
        factory = make_sessionmaker(engine)
        upgrade(engine)
        t0 = time.monotonic()
        hospital, admin = seed(engine, patients=args.invoices)
        seeded_in = time.monotonic() - t0
        print(f"OHMS billing benchmark: {database}; seeded {args.invoices} patients, "
              f"{len(PRICE_LIST)} prices and {args.invoices} billable events in "
              f"{seeded_in:.1f} s\n")

        load_before = os.getloadavg()[0]
        t0 = time.perf_counter()
        charges = charge_everything(factory, batch=args.batch)
        charged_in = time.perf_counter() - t0
        t0 = time.perf_counter()
        issued = issue_everything(factory, hospital=hospital, admin=admin, batch=args.batch)
        issued_in = time.perf_counter() - t0
        per_s = issued / (charged_in + issued_in) if issued else 0.0
        spread_and_pay(engine, factory, hospital=hospital)
        if database == "postgresql":
            with engine.connect() as c:
                c.exec_driver_sql("ANALYZE")
                c.commit()

        today = datetime.now(UTC).date()
        period = reports.Period(today - timedelta(days=DAYS), today)
        tenant = TenantContext(hospital)
        revenue_ms, revenue = timed(args.runs, in_session(factory, tenant, lambda s: (
            reports.revenue(s, organization_id=hospital, period=period,
                            by=reports.RevenueBy.service))))
        ageing_ms, ageing = timed(args.runs, in_session(factory, tenant, lambda s: (
            reports.receivables(s, organization_id=hospital, as_of=today))))
        base_revenue_ms, base_revenue = timed(args.runs, in_session(factory, tenant, lambda s: (
            revenue_in_python(s, hospital=hospital, period=period))))
        base_ageing_ms, (base_buckets, base_oldest) = timed(
            args.runs, in_session(factory, tenant, lambda s: (
                ageing_in_python(s, hospital=hospital, as_of=today))))
        load_after = os.getloadavg()[0]

    agree = (base_revenue == revenue.rows and base_buckets == ageing.buckets
             and base_oldest == [i.number for i in ageing.oldest])
    report_ms, baseline_ms = revenue_ms + ageing_ms, base_revenue_ms + base_ageing_ms
    total = sum((t.total for t in revenue.totals), Decimal(0))
    owed = sum((b.balance for b in ageing.buckets), Decimal(0))
    print(f"{'measure':<44}{'value':>14}{'baseline':>14}{'ratio':>8}")
    print(f"{'charges made (charge_pending, batches of ' + str(args.batch) + ')':<44}"
          f"{charges:>14}")
    print(f"{'charging (s)':<44}{charged_in:>14.1f}")
    print(f"{'issuing (s)':<44}{issued_in:>14.1f}")
    print(f"{'invoices/s (charged and issued)':<44}{per_s:>14.1f}")
    for name, value, base in (("revenue by service, median ms", revenue_ms, base_revenue_ms),
                              ("ageing as of today, median ms", ageing_ms, base_ageing_ms),
                              ("both reports, ms", report_ms, baseline_ms)):
        print(f"{name:<44}{value:>14.1f}{base:>14.1f}{value / base if base else 0:>8.2f}")
    print(f"\nrevenue over {DAYS} days: {len(revenue.rows)} services, total INR {total}; "
          f"owed INR {owed}; Python baseline gives the same results: {agree}")
    print(f"load average (1 min) on this machine: {load_before:.1f} before the measurements, "
          f"{load_after:.1f} after ({os.cpu_count()} cores)")
    print(json.dumps({
        "invoices_per_s": round(per_s, 1),
        "report_ms": round(report_ms, 2),
        "baseline_report_ms": round(baseline_ms, 2),
        "revenue_ms": round(revenue_ms, 2), "ageing_ms": round(ageing_ms, 2),
        "baseline_revenue_ms": round(base_revenue_ms, 2),
        "baseline_ageing_ms": round(base_ageing_ms, 2),
        "invoices": issued, "charges": charges, "charging_s": round(charged_in, 2),
        "issuing_s": round(issued_in, 2), "results_agree": agree, "database": database,
        "runs": args.runs, "load_avg_1m": round(max(load_before, load_after), 1),
    }))
    return 0 if agree and issued == args.invoices and report_ms <= baseline_ms else 1


if __name__ == "__main__":
    sys.exit(main())
