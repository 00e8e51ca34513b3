"""HTTP routes of payments: the desk's cash and card payments and refunds (tenant session),
a patient's online payment intents and the provider's webhook (system session: a patient is
of no organisation, and the provider is no one's tenant; reasons in sessions.py), and the
embedded simulated provider's own pages (its checkout, and the customer paying there)."""

from __future__ import annotations

import base64
import hashlib
import html
import time
import uuid
from decimal import Decimal
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request, status
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from api.deps import ContainerDep, Principal, SystemDB, TenantDB, public, require
from api.errors import BadRequest, NotFound, problem_responses
from api.idempotency import REPLAYED_HEADER, IdempotencyKey, checked_key
from api.paging import Page
from api.payments import service
from api.payments.models import IntentStatus, Payment, PaymentIntent, PaymentMethod, Refund
from api.payments.provider import WebhookRejected
from api.payments.schemas import (
    IntentCreate,
    IntentOut,
    MoneyOut,
    PaymentCreate,
    PaymentOut,
    RefundCreate,
    RefundOut,
    WebhookReceived,
)
from api.payments.signatures import SIGNATURE_HEADER
from api.payments.simulator import SimulatedProvider

router = APIRouter(tags=["payments"])
ERRORS = problem_responses(400, 401, 403, 404, 409, 422)
def _money(amount: Decimal, currency: str) -> MoneyOut:
    return MoneyOut(amount=service.money(amount), currency=currency)


def _payment_out(payment: Payment) -> PaymentOut:
    return PaymentOut(id=payment.id, invoice=payment.invoice_id, method=payment.method,
                      amount=_money(payment.amount, payment.currency),
                      refunded=_money(payment.refunded_amount, payment.currency),
                      reference=payment.reference, created_at=payment.created_at)


def _refund_out(refund: Refund, invoice_id: uuid.UUID) -> RefundOut:
    return RefundOut(id=refund.id, payment=refund.payment_id, invoice=invoice_id,
                     amount=_money(refund.amount, refund.currency), reason=refund.reason,
                     created_at=refund.created_at)


def _intent_out(intent: PaymentIntent) -> IntentOut:
    return IntentOut(id=intent.id, invoice=intent.invoice_id,
                     amount=_money(intent.amount, intent.currency),
                     status=IntentStatus(intent.status), checkout_url=intent.checkout_url,
                     created_at=intent.created_at, succeeded_at=intent.succeeded_at)


def _replayed(response: Response, recorded: service.Recorded) -> None:
    if recorded.replayed:
        response.headers[REPLAYED_HEADER] = "true"


# --- the desk ---------------------------------------------------------------------------------


@router.post("/invoices/{invoice_id}/payments", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def collect_payment(
    invoice_id: uuid.UUID, body: PaymentCreate, response: Response,
    principal: Annotated[Principal, Depends(require("payment:collect"))], db: TenantDB,
    idempotency_key: IdempotencyKey = None,
) -> PaymentOut:
    """A cash or card payment at the desk. More than the balance, or an invoice that is not
    issued or partly paid, is 409. The same Idempotency-Key again answers the first payment
    (201, header `Idempotent-Replayed: true`) and takes nothing; with another body, 422."""
    key = checked_key(idempotency_key, required=True)
    assert key is not None
    recorded = service.collect_payment(
        db, principal=principal, invoice_id=invoice_id, idempotency_key=key,
        method=PaymentMethod(body.method), amount=body.amount.amount,
        currency=body.amount.currency, reference=body.reference)
    _replayed(response, recorded)
    return _payment_out(recorded.row)


@router.get("/invoices/{invoice_id}/payments", responses=ERRORS)
def list_payments(
    invoice_id: uuid.UUID, principal: Annotated[Principal, Depends(require("billing:read"))],
    db: SystemDB, page: Page,
) -> list[PaymentOut]:
    """The payments of an invoice (a patient's own, or the organisation's), oldest first."""
    return [_payment_out(p) for p in service.list_payments(db, principal=principal,
                                                            invoice_id=invoice_id, page=page)]


@router.post("/payments/{payment_id}/refunds", status_code=status.HTTP_201_CREATED,
             responses={**ERRORS, **problem_responses(503)})
def refund_payment(
    payment_id: uuid.UUID, body: RefundCreate, response: Response, container: ContainerDep,
    principal: Annotated[Principal, Depends(require("payment:collect"))], db: TenantDB,
    idempotency_key: IdempotencyKey = None,
) -> RefundOut:
    """Refund (part of) a payment: at most what was paid and not yet refunded (409 beyond);
    the amount is owed again on the invoice. An online payment is refunded through the
    payment provider (503 when it cannot be reached: the same request again finishes it)."""
    key = checked_key(idempotency_key, required=True)
    assert key is not None
    recorded = service.refund_payment(
        db, provider=container.payment_provider, principal=principal, payment_id=payment_id,
        idempotency_key=key, amount=body.amount.amount, currency=body.amount.currency,
        reason=body.reason)
    _replayed(response, recorded)
    payment = db.get(Payment, recorded.row.payment_id)
    assert payment is not None
    return _refund_out(recorded.row, payment.invoice_id)


# --- online payments --------------------------------------------------------------------------


@router.post("/invoices/{invoice_id}/payment-intents", status_code=status.HTTP_201_CREATED,
             responses={**ERRORS, **problem_responses(503)})
def create_intent(
    invoice_id: uuid.UUID, response: Response, container: ContainerDep,
    principal: Annotated[Principal, Depends(require("payment:pay"))], db: SystemDB,
    body: IntentCreate | None = None, idempotency_key: IdempotencyKey = None,
) -> IntentOut:
    """Pay your own issued invoice online: an intent for the whole balance (or `amount`, at
    most the balance), paid on the provider's page at `checkout_url`; poll
    GET /payment-intents/{id} after the checkout."""
    key = checked_key(idempotency_key, required=False)
    amount = body.amount if body is not None else None
    assert container.settings.public_url is not None
    recorded = service.create_intent(
        db, provider=container.payment_provider, principal=principal, invoice_id=invoice_id,
        idempotency_key=key, amount=amount.amount if amount else None,
        currency=amount.currency if amount else None,
        public_url=container.settings.public_url)
    _replayed(response, recorded)
    return _intent_out(recorded.row)


@router.get("/payment-intents/{intent_id}", responses=ERRORS)
def get_intent(
    intent_id: uuid.UUID, principal: Annotated[Principal, Depends(require("payment:pay"))],
    db: SystemDB,
) -> IntentOut:
    """One of your payment intents: `succeeded` once the provider confirmed the payment."""
    return _intent_out(service.get_intent(db, principal=principal, intent_id=intent_id))


async def raw_body(request: Request) -> bytes:
    """The webhook's body exactly as signed (never parsed before it is verified)."""
    return await request.body()


@router.post("/payments/webhook", responses=problem_responses(400, 422, 503),
             dependencies=[Depends(public)])
def payment_webhook(
    container: ContainerDep, db: SystemDB, body: Annotated[bytes, Depends(raw_body)],
    signature: Annotated[str | None, Header(alias=SIGNATURE_HEADER, max_length=1000,
                                            description="t=<unix seconds>,v1=<hex HMAC>")]
    = None,
) -> WebhookReceived:
    """The payment provider's signed events (`payment_intent.succeeded` settles the
    invoice). A bad signature, a timestamp outside the tolerance window or a malformed body
    is 400 and changes nothing; an event received before answers 200 and changes nothing;
    any failure is 5xx, so the provider delivers it again."""
    provider = container.payment_provider
    try:
        event = provider.verify_webhook(body, signature or "", int(time.time()))
    except WebhookRejected as exc:
        raise BadRequest(str(exc)) from None
    duplicate = service.receive_webhook(db, provider=provider, event=event)
    return WebhookReceived(duplicate=duplicate)


# --- the simulated provider's own pages -------------------------------------------------------


def _simulator(container: ContainerDep) -> SimulatedProvider:
    provider = container.payment_provider
    if not isinstance(provider, SimulatedProvider):
        raise NotFound("the simulated payment provider is not in use")
    return provider


Simulator = Annotated[SimulatedProvider, Depends(_simulator)]
# Its own page: no script at all, a style of its own, the form posting to this origin only.
CHECKOUT_CSP = ("default-src 'none'; style-src 'sha256-{style}'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'")
CHECKOUT_STYLE = ("body{font-family:system-ui,sans-serif;max-width:28rem;margin:3rem auto;"
                  "padding:0 1rem}button{font-size:1.1rem;padding:.5rem 2rem}")


def _style_hash() -> str:
    return base64.b64encode(hashlib.sha256(CHECKOUT_STYLE.encode()).digest()).decode()


@router.get("/payment-simulator/checkout/{intent_ref}", response_class=HTMLResponse,
            responses=problem_responses(404), dependencies=[Depends(public)])
def simulated_checkout(intent_ref: str, simulator: Simulator) -> HTMLResponse:
    """The simulated provider's checkout page (the provider's, not OHMS's): the amount, the
    merchant and a Pay button."""
    view = simulator.checkout(intent_ref)
    if view is None:
        raise NotFound("no such payment")
    e = html.escape
    action = e(f"/api/v1/payment-simulator/intents/{view.id}/succeed")
    paid = view.status != "requires_payment"
    form = ("<p>This payment is complete.</p>" if paid else
            f'<form method="post" action="{action}"><button type="submit">Pay '
            f"{e(f'{view.amount:.2f}')} {e(view.currency)}</button></form>")
    page = (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        f"<title>Checkout - simulated payment provider</title><style>{CHECKOUT_STYLE}</style>"
        "</head><body><main><h1>Simulated payment provider</h1>"
        f"<p>Merchant: <strong>{e(view.merchant)}</strong></p>"
        f"<p>{e(view.description)}</p>"
        f"<p>Amount: <strong>{e(f'{view.amount:.2f}')} {e(view.currency)}</strong></p>"
        f"{form}<p><small>No card is charged: this provider only simulates payments."
        "</small></p></main></body></html>")
    return HTMLResponse(page, headers={
        "Content-Security-Policy": CHECKOUT_CSP.format(style=_style_hash())})


@router.post("/payment-simulator/intents/{intent_ref}/succeed",
             responses={**problem_responses(404),
                        303: {"description": "A form post: back to the merchant's page"}},
             dependencies=[Depends(public)])
def simulated_succeed(intent_ref: str, request: Request, simulator: Simulator) -> Response:
    """Plays the customer paying at the checkout: the intent succeeds once (a second call
    changes nothing) and the provider's signed webhook is queued for delivery. A form post
    (the checkout's button) is sent back to the merchant's return URL (303)."""
    done = simulator.succeed(intent_ref)
    if done is None:
        raise NotFound("no such payment")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type in ("application/x-www-form-urlencoded", "multipart/form-data") \
            and done.return_url:
        return RedirectResponse(done.return_url, status_code=status.HTTP_303_SEE_OTHER)
    return JSONResponse({"id": intent_ref, "status": "succeeded", "changed": done.changed})
