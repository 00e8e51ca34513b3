"""HTTP routes of charges, invoices and credit notes.

Every answer names the invoice's patient by UHID, and patients are of no organisation: their
accounts are out of a tenant session's reach, so these routes work in the system session
(api/billing/sessions.py), the service confining every statement to the caller's
organisation (the desk) or to the patient's own issued invoices."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.orm import Session

from api.billing import invoices as service
from api.billing.models import Charge, Invoice, InvoiceKind, InvoiceStatus
from api.billing.money import CENTS
from api.billing.pdf import InvoiceDocument, PdfCredit, PdfLine, PdfPayment, render
from api.billing.schemas import (
    ChargeCreate,
    ChargeOut,
    Coding,
    CreditNoteCreate,
    InvoiceOut,
    LineOut,
    Money,
    OrganizationRef,
    UnitPrice,
    VoidIn,
)
from api.deps import ContainerDep, Principal, SystemDB, TenantDB, require
from api.errors import Conflict, problem_responses
from api.idempotency import REPLAYED_HEADER, IdempotencyKey, checked_key
from api.paging import Page

router = APIRouter(tags=["billing"])
ERRORS = problem_responses(401, 403, 404, 409, 422)
UNIT_PLACES = Decimal("0.0001")


def _money(amount: Decimal, currency: str) -> Money:
    # Two decimals as stored (SQLite hands NUMERIC back without its scale).
    return Money.model_construct(amount=Decimal(amount).quantize(CENTS), currency=currency)


def _unit_price(amount: Decimal, currency: str) -> UnitPrice:
    exact = Decimal(amount).quantize(UNIT_PLACES)
    cents = exact.quantize(CENTS)
    return UnitPrice.model_construct(amount=cents if cents == exact else exact,
                                     currency=currency)


def _line_out(charge: Charge) -> LineOut:
    code = (Coding.model_construct(system=charge.code_system, code=charge.code,
                                   display=charge.description)
            if charge.code_system and charge.code else None)
    return LineOut(
        id=charge.id, description=charge.description, code=code,
        department=charge.department, service_date=charge.service_date,
        quantity=charge.quantity, unit_price=_unit_price(charge.unit_price, charge.currency),
        tax_rate=Decimal(charge.tax_rate).quantize(UNIT_PLACES).normalize(),
        net=_money(charge.net, charge.currency), tax=_money(charge.tax, charge.currency),
        amount=_money(charge.total, charge.currency), credit_of=charge.credit_of_id,
        manual_reason=charge.manual_reason)


def _invoice_out(invoice: Invoice, lines: list[Charge], party: service.Party) -> InvoiceOut:
    c = invoice.currency
    return InvoiceOut(
        id=invoice.id, kind=InvoiceKind(invoice.kind), number=invoice.number,
        status=InvoiceStatus(invoice.status), currency=c, patient=party.patient_uhid,
        organization=OrganizationRef(id=invoice.organization_id,
                                     name=party.organization_name),
        lines=[_line_out(line) for line in lines],
        net_total=_money(invoice.net_total, c), tax_total=_money(invoice.tax_total, c),
        total=_money(invoice.total, c), paid_total=_money(invoice.paid_total, c),
        insurer_total=_money(invoice.insurer_total, c),
        credited_total=_money(invoice.credited_total, c), balance=_money(invoice.balance, c),
        issued_at=invoice.issued_at, credit_of=invoice.credit_of_id, reason=invoice.reason,
        created_at=invoice.created_at)


def _answer(db: Session, invoice: Invoice) -> InvoiceOut:
    return _invoice_out(invoice, service.lines_of(db, [invoice.id])[invoice.id],
                        service.parties(db, [invoice])[invoice.id])


@router.post("/charges", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def add_charge(
    body: ChargeCreate, response: Response,
    principal: Annotated[Principal, Depends(require("billing:write"))], db: SystemDB,
    idempotency_key: IdempotencyKey = None,
) -> ChargeOut:
    """A manual charge with its reason, on your organisation's draft invoice for the patient
    and currency (made if there is none). The line's net and tax are each rounded once, half
    up, to the cent. With an `Idempotency-Key`, a retry answers the first charge (201, header
    `Idempotent-Replayed: true`) and adds nothing; the key with another body is 422."""
    key = checked_key(idempotency_key, required=False, what="charge")
    patient = service.patient_by_uhid(db, body.patient)
    charged = service.add_manual_charge(db, principal=principal, patient_id=patient.id,
                                        patient_uhid=patient.uhid, idempotency_key=key,
                                        line=service.ManualLine(
        description=body.description, quantity=body.quantity,
        unit_price=body.unit_price.amount, currency=body.unit_price.currency,
        tax_rate=body.tax_rate, reason=body.reason,
        code_system=body.code.system if body.code else None,
        code=body.code.code if body.code else None, department=body.department,
        service_date=body.service_date))
    if charged.replayed:
        response.headers[REPLAYED_HEADER] = "true"
    invoice = _answer(db, charged.invoice)
    return ChargeOut(**_line_out(charged.charge).model_dump(), invoice=invoice)


@router.get("/invoices", responses=ERRORS)
def list_invoices(
    principal: Annotated[Principal, Depends(require("billing:read"))], db: SystemDB,
    page: Page,
    patient: Annotated[str | None, Query(min_length=1, max_length=32,
                                         description="The patient's UHID")] = None,
    status: InvoiceStatus | None = None,
    kind: InvoiceKind | None = None,
) -> list[InvoiceOut]:
    """Your own issued invoices (a patient), or your organisation's, drafts included
    (billing staff); newest first."""
    found = service.list_invoices(db, principal=principal, patient_uhid=patient,
                                  status=status, kind=kind, page=page)
    lines = service.lines_of(db, [i.id for i in found])
    named = service.parties(db, found)
    return [_invoice_out(i, lines[i.id], named[i.id]) for i in found]


@router.get("/invoices/{invoice_id}", responses=ERRORS)
def get_invoice(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("billing:read"))], db: SystemDB,
) -> InvoiceOut:
    invoice = service.readable_invoice(db, principal=principal, invoice_id=invoice_id)
    return _answer(db, invoice)


@router.post("/invoices/{invoice_id}/issue", responses=ERRORS)
def issue_invoice(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("billing:write"))], db: TenantDB,
) -> InvoiceOut:
    """Number a draft (INV-<year>-<sequence>, without gaps) and issue it; from then on it is
    corrected only by a credit note. 409 when it has no lines or is issued already."""
    invoice = service.issue_invoice(db, principal=principal, invoice_id=invoice_id)
    return _answer(db, invoice)


@router.post("/invoices/{invoice_id}/void", responses=ERRORS)
def void_invoice(
    invoice_id: uuid.UUID, body: VoidIn,
    principal: Annotated[Principal, Depends(require("billing:write"))], db: TenantDB,
) -> InvoiceOut:
    """Void an invoice issued in error, before anything was paid, settled or credited on it
    (409 otherwise: write a credit note). It keeps its number and lines."""
    invoice = service.void_invoice(db, principal=principal, invoice_id=invoice_id,
                                   reason=body.reason)
    return _answer(db, invoice)


@router.post("/invoices/{invoice_id}/credit-notes", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def credit_invoice(
    invoice_id: uuid.UUID, body: CreditNoteCreate, response: Response,
    principal: Annotated[Principal, Depends(require("billing:write"))], db: TenantDB,
    idempotency_key: IdempotencyKey = None,
) -> InvoiceOut:
    """A credit note (CN-<year>-<sequence>) of an issued invoice: `lines` credits part of
    named lines (their tax in proportion); left out, what is left of every line. The
    invoice's balance falls by the credit: 409 when the credit is above the balance (refund
    the payment first), 422 when a line is credited for more than is left of it. With an
    `Idempotency-Key`, a retry answers the first note (header `Idempotent-Replayed: true`)
    and credits nothing more."""
    key = checked_key(idempotency_key, required=False, what="credit note")
    lines = None if body.lines is None else [
        service.CreditLine(charge_id=line.charge, amount=line.amount.amount,
                           currency=line.amount.currency) for line in body.lines]
    note, replayed = service.credit_invoice(db, principal=principal, invoice_id=invoice_id,
                                            reason=body.reason, lines=lines,
                                            idempotency_key=key)
    if replayed:
        response.headers[REPLAYED_HEADER] = "true"
    return _answer(db, note)


@router.get("/invoices/{invoice_id}/pdf", response_class=Response, responses={
    **ERRORS, 200: {"content": {"application/pdf": {}}, "description": "The invoice as PDF"}})
def invoice_pdf(
    invoice_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("billing:read"))], db: SystemDB,
    container: ContainerDep,
) -> Response:
    """The issued invoice (or credit note) as a PDF: your own (a patient), or your
    organisation's. A draft has none (409)."""
    invoice = service.readable_invoice(db, principal=principal, invoice_id=invoice_id)
    if invoice.status == InvoiceStatus.draft.value or invoice.number is None:
        raise Conflict("a draft has no PDF: issue it first")
    party = service.parties(db, [invoice], with_names=True)[invoice.id]
    facts = service.statement(db, invoice, container.invoice_payments)
    document = InvoiceDocument(
        kind=invoice.kind, status=invoice.status, number=invoice.number,
        issued_at=invoice.issued_at, currency=invoice.currency,
        organization_name=party.organization_name,
        organization_address=party.organization_address, patient_uhid=party.patient_uhid,
        patient_name=party.patient_name,
        lines=[PdfLine(description=c.description, quantity=c.quantity,
                       unit_price=Decimal(c.unit_price), tax_rate=Decimal(c.tax_rate),
                       tax=Decimal(c.tax), amount=Decimal(c.total))
               for c in service.lines_of(db, [invoice.id])[invoice.id]],
        net_total=Decimal(invoice.net_total), tax_total=Decimal(invoice.tax_total),
        total=Decimal(invoice.total), paid_total=Decimal(invoice.paid_total),
        insurer_total=Decimal(invoice.insurer_total),
        credited_total=Decimal(invoice.credited_total), balance=Decimal(invoice.balance),
        payments=[PdfPayment(when=p.when, method=p.method, amount=p.amount,
                             refunded=p.refunded) for p in facts.payments],
        credits=[PdfCredit(number=n.number or "", when=n.issued_at, amount=Decimal(n.total))
                 for n in facts.credit_notes],
        credit_of_number=facts.credit_of_number)
    return Response(render(document), media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{invoice.number}.pdf"',
        "Cache-Control": "no-store"})
