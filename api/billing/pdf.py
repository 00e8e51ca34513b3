"""An invoice (or credit note) as a PDF for its patient: the organisation's name and address,
the number and date, the patient's UHID and name, the lines (service names only: no
clinical detail), totals, payments, insurer settlements, credits and the balance due.

Made with fpdf2's core fonts, which hold Latin-1 only: amounts are written with their
currency code ("INR 590.00"), and other characters of names are spelt without accents or
replaced."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from fpdf import FPDF
from fpdf.enums import Align, XPos, YPos
from fpdf.fonts import FontFace

from api.billing.models import InvoiceKind, InvoiceStatus
from api.billing.money import CENTS


@dataclass(frozen=True)
class PdfLine:
    description: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal
    tax: Decimal
    amount: Decimal


@dataclass(frozen=True)
class PdfPayment:
    when: datetime
    method: str
    amount: Decimal   # what was received
    refunded: Decimal


@dataclass(frozen=True)
class PdfCredit:
    number: str
    when: datetime | None
    amount: Decimal


@dataclass(frozen=True)
class InvoiceDocument:
    kind: str
    status: str
    number: str
    issued_at: datetime | None
    currency: str
    organization_name: str
    organization_address: str | None
    patient_uhid: str
    patient_name: str
    lines: Sequence[PdfLine]
    net_total: Decimal
    tax_total: Decimal
    total: Decimal
    paid_total: Decimal
    insurer_total: Decimal
    credited_total: Decimal
    balance: Decimal
    payments: Sequence[PdfPayment]
    credits: Sequence[PdfCredit]
    credit_of_number: str | None = None


# Punctuation outside Latin-1 that service names use (the consultation's en dash).
_PLAIN = {"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
          "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2026": "...",
          "\u20b9": "INR "}


def latin1(text: str) -> str:
    """`text` in the core fonts' Latin-1: accents kept where Latin-1 has them, else dropped
    (NFKD), dashes and quotes made plain, anything else a question mark."""
    out = []
    for char in unicodedata.normalize("NFC", text):
        if ord(char) < 256:
            out.append(char)
            continue
        if char in _PLAIN:
            out.append(_PLAIN[char])
            continue
        plain = "".join(c for c in unicodedata.normalize("NFKD", char) if ord(c) < 128)
        out.append(plain or "?")
    return "".join(out)


def _money(amount: Decimal, currency: str) -> str:
    return f"{currency} {Decimal(amount).quantize(CENTS):,.2f}"


def _rate(rate: Decimal) -> str:
    percent = (Decimal(rate) * 100).normalize()
    return f"{percent:f} %"


def _day(when: datetime | None) -> str:
    return when.date().isoformat() if when else ""


def render(doc: InvoiceDocument) -> bytes:
    pdf = FPDF(format="A4")
    pdf.set_title(latin1(doc.number))
    pdf.set_author(latin1(doc.organization_name))
    pdf.set_creator("OHMS")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: float = 10, style: str = "", align: Align = Align.L) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, 5, latin1(text), align=align, new_x=XPos.LMARGIN,
                       new_y=YPos.NEXT)

    line(doc.organization_name, size=16, style="B")
    if doc.organization_address:
        line(doc.organization_address)
    pdf.ln(4)
    title = "CREDIT NOTE" if doc.kind == InvoiceKind.credit_note.value else "INVOICE"
    if doc.status == InvoiceStatus.void.value:
        title += " (VOID)"
    line(title, size=14, style="B")
    line(f"Number: {doc.number}")
    line(f"Date: {_day(doc.issued_at)}")
    if doc.credit_of_number:
        line(f"Credits invoice: {doc.credit_of_number}")
    line(f"Patient: {doc.patient_name} (UHID {doc.patient_uhid})")
    line(f"Currency: {doc.currency}")
    pdf.ln(4)

    pdf.set_font("Helvetica", size=9)
    right = FontFace(emphasis="BOLD")
    with pdf.table(col_widths=(70, 14, 28, 18, 26, 30), text_align=(
            "LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT", "RIGHT"), headings_style=right,
            line_height=5) as table:
        table.row(["Service", "Qty", "Unit price", "Tax rate", "Tax", "Amount"])
        for item in doc.lines:
            table.row([latin1(item.description), str(item.quantity),
                       _money(item.unit_price, doc.currency), _rate(item.tax_rate),
                       _money(item.tax, doc.currency), _money(item.amount, doc.currency)])
    pdf.ln(4)

    def figure(label: str, amount: Decimal, *, bold: bool = False) -> None:
        pdf.set_font("Helvetica", style="B" if bold else "", size=10)
        pdf.cell(width - 45, 6, label, align=Align.R)
        pdf.cell(45, 6, _money(amount, doc.currency), align=Align.R, new_x=XPos.LMARGIN,
                 new_y=YPos.NEXT)

    figure("Net total", doc.net_total)
    figure("Tax total", doc.tax_total)
    figure("Total", doc.total, bold=True)

    if doc.kind == InvoiceKind.invoice.value:
        patient_payments = [p for p in doc.payments if p.method != "insurer"]
        insurer_payments = [p for p in doc.payments if p.method == "insurer"]
        if patient_payments:
            pdf.ln(3)
            line("Payments", style="B")
            for p in patient_payments:
                refunded = (f", refunded {_money(p.refunded, doc.currency)}"
                            if p.refunded else "")
                line(f"{_day(p.when)}  {p.method}  {_money(p.amount, doc.currency)}"
                     f"{refunded}")
        if insurer_payments:
            pdf.ln(3)
            line("Insurer settlement", style="B")
            for p in insurer_payments:
                line(f"{_day(p.when)}  {_money(p.amount - p.refunded, doc.currency)}")
        if doc.credits:
            pdf.ln(3)
            line("Credit notes", style="B")
            for c in doc.credits:
                line(f"{_day(c.when)}  {c.number}  {_money(c.amount, doc.currency)}")
        pdf.ln(3)
        figure("Paid (less refunds)", doc.paid_total)
        figure("Settled by insurer", doc.insurer_total)
        figure("Credited", doc.credited_total)
        figure("Balance due", doc.balance, bold=True)
    return bytes(pdf.output())
