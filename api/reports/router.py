"""HTTP routes of the reports context: the organisation's administrators read its revenue,
receivables and claims, as JSON or as CSV (`?format=csv`, or `Accept: text/csv`). Every
route works in the caller's tenant session (row-level security), and the service names the
caller's organisation in every query too."""

from __future__ import annotations

import enum
import uuid
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Response

from api.deps import Principal, TenantDB, require
from api.errors import Forbidden, problem_responses
from api.reports import csv_export, service
from api.reports.schemas import (
    BucketOut,
    ClaimsReportOut,
    ClaimsRowOut,
    Money,
    OwedInvoiceOut,
    ReceivablesOut,
    RevenueOut,
    RevenueRowOut,
    RevenueTotalOut,
)

router = APIRouter(tags=["reports"])
ERRORS = problem_responses(401, 403, 422)
REPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    **ERRORS, 200: {"content": {"text/csv": {}},
                    "description": "The report (JSON, or CSV with `format=csv`)"}}


class ReportFormat(enum.StrEnum):
    json = "json"
    csv = "csv"


FormatQuery = Annotated[ReportFormat | None, Query(
    alias="format", description="`csv` for a CSV file (or send `Accept: text/csv`)")]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]
FromQuery = Annotated[date | None, Query(alias="from", description="First day (default: "
                                         "the first of the month of `to`)")]
ToQuery = Annotated[date | None, Query(alias="to", description="Last day, included "
                                       "(default: today)")]


def _organization(principal: Principal) -> uuid.UUID:
    if principal.organization_id is None:
        raise Forbidden("reports are an organisation's")
    return principal.organization_id


def _today() -> date:
    return datetime.now(UTC).date()


def _money(amount: Decimal, currency: str) -> Money:
    return Money.model_construct(amount=amount, currency=currency)


def _wants_csv(fmt: ReportFormat | None, accept: str | None) -> bool:
    if fmt is not None:
        return fmt is ReportFormat.csv
    return accept is not None and "text/csv" in accept.lower()


def _csv(body: str, filename: str) -> Response:
    return Response(body, media_type=csv_export.MEDIA_TYPE, headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})


@router.get("/reports/revenue", response_model=RevenueOut, responses=REPORT_RESPONSES)
def revenue_report(
    principal: Annotated[Principal, Depends(require("report:read"))], db: TenantDB,
    start: FromQuery = None, end: ToQuery = None,
    by: Annotated[service.RevenueBy, Query(description="Rows per service or department")]
    = service.RevenueBy.service,
    fmt: FormatQuery = None, accept: AcceptHeader = None,
) -> RevenueOut | Response:
    """Revenue of your organisation's invoices (issued, partly paid or paid; credit notes
    subtracted) by the lines' service dates, per service or department and currency."""
    period = service.Period.of(start, end, today=_today())
    report = service.revenue(db, organization_id=_organization(principal), period=period,
                             by=by)
    out = RevenueOut(
        by=report.by, from_=period.start, to=period.end,
        rows=[RevenueRowOut(key=r.key, label=r.label, currency=r.currency, count=r.count,
                            net=_money(r.net, r.currency), tax=_money(r.tax, r.currency),
                            total=_money(r.total, r.currency)) for r in report.rows],
        totals=[RevenueTotalOut(currency=t.currency, count=t.count,
                                net=_money(t.net, t.currency), tax=_money(t.tax, t.currency),
                                total=_money(t.total, t.currency)) for t in report.totals])
    if _wants_csv(fmt, accept):
        return _csv(csv_export.revenue_csv(out),
                    f"revenue-by-{by.value}-{period.start}-to-{period.end}.csv")
    return out


@router.get("/reports/receivables", response_model=ReceivablesOut,
            responses=REPORT_RESPONSES)
def receivables_report(
    principal: Annotated[Principal, Depends(require("report:read"))], db: TenantDB,
    as_of: Annotated[date | None, Query(description="Age invoices as of this day "
                                        "(default: today)")] = None,
    fmt: FormatQuery = None, accept: AcceptHeader = None,
) -> ReceivablesOut | Response:
    """What patients owe your organisation (invoices issued or partly paid), per currency
    and age since issue (0-30, 31-60, 61-90, over 90 days), and the 20 oldest invoices."""
    day = as_of or _today()
    report = service.receivables(db, organization_id=_organization(principal), as_of=day)
    out = ReceivablesOut(
        as_of=report.as_of,
        buckets=[BucketOut(bucket=b.bucket, currency=b.currency, count=b.count,
                           balance=_money(b.balance, b.currency)) for b in report.buckets],
        oldest=[OwedInvoiceOut(id=i.id, number=i.number, patient=i.patient_uhid,
                               issued_at=i.issued_at, age_days=i.age_days,
                               balance=_money(i.balance, i.currency))
                for i in report.oldest])
    if _wants_csv(fmt, accept):
        return _csv(csv_export.receivables_csv(out), f"receivables-as-of-{day}.csv")
    return out


@router.get("/reports/claims", response_model=ClaimsReportOut, responses=REPORT_RESPONSES)
def claims_report(
    principal: Annotated[Principal, Depends(require("report:read"))], db: TenantDB,
    start: FromQuery = None, end: ToQuery = None,
    fmt: FormatQuery = None, accept: AcceptHeader = None,
) -> ClaimsReportOut | Response:
    """Your organisation's claims submitted in the period, by status and insurer (per
    currency): how many, the amount claimed and the amount approved."""
    period = service.Period.of(start, end, today=_today())
    report = service.claims(db, organization_id=_organization(principal), period=period)
    out = ClaimsReportOut(
        from_=period.start, to=period.end,
        rows=[ClaimsRowOut(status=r.status, insurer=r.insurer_id, insurer_name=r.insurer_name,
                           currency=r.currency, count=r.count,
                           claimed=_money(r.claimed, r.currency),
                           approved=_money(r.approved, r.currency)) for r in report.rows])
    if _wants_csv(fmt, accept):
        return _csv(csv_export.claims_csv(out),
                    f"claims-{period.start}-to-{period.end}.csv")
    return out
