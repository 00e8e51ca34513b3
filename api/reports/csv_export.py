"""The reports as CSV files (RFC 4180, UTF-8), for spreadsheets.

Labels come from staff input (service descriptions, department and insurer names): a cell
that starts with `=`, `+`, `-` or `@` (or a tab or carriage return, which some spreadsheets
skip before reading a formula) is a formula to Excel, LibreOffice and Google Sheets, so such
a text cell is written with a leading single quote, as OWASP advises against CSV injection.
Amounts and counts are written by this module from numbers (a negative net, after credits,
stays a number)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from api.reports.schemas import ClaimsReportOut, ReceivablesOut, RevenueOut

MEDIA_TYPE = "text/csv; charset=utf-8"
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Cell = str | int | Decimal | None


def text_cell(value: str | None) -> str:
    """A text cell that a spreadsheet shows as text, never evaluates."""
    if value is None:
        return ""
    return "'" + value if value.startswith(_FORMULA_STARTS) else value


def _number(value: int | Decimal) -> str:
    return str(value)


def _write(blocks: Iterable[tuple[Sequence[str], Iterable[Sequence[Cell]]]]) -> str:
    """Blocks of rows, each under its header, separated by an empty line."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    for n, (header, rows) in enumerate(blocks):
        if n:
            writer.writerow([])
        writer.writerow(header)
        writer.writerows(rows)
    return out.getvalue()


def revenue_csv(report: RevenueOut) -> str:
    """One row per service (or department) and currency, then one total row per currency
    (label "Total", no key)."""
    rows: list[list[Cell]] = [
        [text_cell(r.key), text_cell(r.label), r.currency, _number(r.count),
         _number(r.net.amount), _number(r.tax.amount), _number(r.total.amount)]
        for r in report.rows]
    rows += [["", "Total", t.currency, _number(t.count), _number(t.net.amount),
              _number(t.tax.amount), _number(t.total.amount)] for t in report.totals]
    return _write([(("key", "label", "currency", "count", "net", "tax", "total"), rows)])


def receivables_csv(report: ReceivablesOut) -> str:
    """The buckets, then (after an empty line) the oldest invoices owed."""
    buckets = [[b.bucket.value, b.currency, _number(b.count), _number(b.balance.amount)]
               for b in report.buckets]
    oldest = [[text_cell(i.number), text_cell(i.patient), i.issued_at.date().isoformat(),
               _number(i.age_days), i.balance.currency, _number(i.balance.amount)]
              for i in report.oldest]
    return _write([(("bucket", "currency", "count", "balance"), buckets),
                   (("number", "patient", "issued_on", "age_days", "currency", "balance"),
                    oldest)])


def claims_csv(report: ClaimsReportOut) -> str:
    rows = [[r.status, text_cell(r.insurer_name), str(r.insurer), r.currency,
             _number(r.count), _number(r.claimed.amount), _number(r.approved.amount)]
            for r in report.rows]
    return _write([(("status", "insurer_name", "insurer", "currency", "count", "claimed",
                     "approved"), rows)])
