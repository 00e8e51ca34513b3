"""Builders for the payments tests: a hospital with its desk and a patient with an issued
invoice, desk payments and refunds through the API, the simulated provider's webhooks
delivered through the app (a real HTTP request through the ASGI app), and a snapshot of
everything a payment can change, to show that a refusal changed nothing."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.billing.models import Invoice
from api.payments.models import (
    Payment,
    PaymentIntent,
    Refund,
    SimulatedIntent,
    SimulatedWebhook,
    WebhookEvent,
)
from api.payments.signatures import SIGNATURE_HEADER, sign
from api.payments.simulator import SimulatedWebhookDelivery
from tests.api.billing_helpers import PROBLEM, issued_invoice, money
from tests.api.conftest import Ohms, User

__all__ = ["PROBLEM", "money"]
WEBHOOK = "/api/v1/payments/webhook"


@dataclass
class Desk:
    org: str
    helpdesk: User
    nurse: User
    patient: User
    invoice: dict[str, Any]

    @property
    def invoice_id(self) -> str:
        return str(self.invoice["id"])


def desk(ohms: Ohms, lines: list[dict[str, Any]] | None = None,
         org_name: str | None = None) -> Desk:
    """A new hospital, its helpdesk and a nurse, and a new patient's issued invoice (one
    consultation: 500.00 + 18 % tax = 590.00 INR unless `lines` say otherwise)."""
    org = ohms.create_org("hospital", name=org_name)
    helpdesk = ohms.add_member(org, "helpdesk")
    nurse = ohms.add_member(org, "nurse")
    patient = ohms.register_patient()
    invoice = (issued_invoice(ohms, helpdesk, patient, lines) if lines
               else issued_invoice(ohms, helpdesk, patient))
    return Desk(org=org, helpdesk=helpdesk, nurse=nurse, patient=patient, invoice=invoice)


def pay(ohms: Ohms, by: User, invoice_id: str, amount: str | dict[str, str], *,
        method: str = "cash", key: str | None = None, reference: str | None = None,
        client: TestClient | None = None, **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"method": method,
                            "amount": money(amount) if isinstance(amount, str) else amount,
                            **extra}
    if reference is not None:
        body["reference"] = reference
    headers = {**by.headers, "Idempotency-Key": key or str(uuid.uuid4())}
    return (client or ohms.client).post(f"/api/v1/invoices/{invoice_id}/payments",
                                        headers=headers, json=body)


def refund(ohms: Ohms, by: User, payment_id: str, amount: str, *, key: str | None = None,
           reason: str = "returned at the desk") -> httpx.Response:
    return ohms.client.post(f"/api/v1/payments/{payment_id}/refunds",
                            headers={**by.headers, "Idempotency-Key": key or str(uuid.uuid4())},
                            json={"amount": money(amount), "reason": reason})


def invoice_of(ohms: Ohms, by: User, invoice_id: str) -> dict[str, Any]:
    r = ohms.client.get(f"/api/v1/invoices/{invoice_id}", headers=by.headers)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def intend(ohms: Ohms, patient: User, invoice_id: str, amount: str | None = None,
           key: str | None = None) -> httpx.Response:
    headers = {**patient.headers, **({"Idempotency-Key": key} if key else {})}
    return ohms.client.post(f"/api/v1/invoices/{invoice_id}/payment-intents", headers=headers,
                            json={"amount": money(amount)} if amount else None)


def through_app(ohms: Ohms) -> SimulatedWebhookDelivery:
    """The simulated provider's webhook sender, delivering through the app's test client."""
    sender = ohms.container.payment_webhooks
    assert sender is not None

    def deliver(url: str, body: bytes, headers: dict[str, str]) -> int:
        return ohms.client.post(urlsplit(url).path, content=body, headers=headers).status_code

    return SimulatedWebhookDelivery(ohms.container.sessions, secret=sender.secret,
                                    url=sender.url, deliver=deliver)


def secret(ohms: Ohms) -> bytes:
    sender = ohms.container.payment_webhooks
    assert sender is not None
    return sender.secret


def events_of(ohms: Ohms, intent_ref: str) -> list[tuple[str, str]]:
    """The simulated provider's queued events about `intent_ref`: (id, body)."""
    with ohms.db() as db:
        rows = db.execute(select(SimulatedWebhook.id, SimulatedWebhook.body)).all()
    return [(i, b) for i, b in rows
            if json.loads(b)["data"]["object"].get("id") == intent_ref
            or json.loads(b)["data"]["object"].get("payment_intent") == intent_ref]


def post_webhook(ohms: Ohms, body: bytes, *, key: bytes | None = None,
                 timestamp: int | None = None, header: str | None = None) -> httpx.Response:
    if header is None:
        header = sign(key if key is not None else secret(ohms), body,
                      timestamp if timestamp is not None else int(time.time()))
    return ohms.client.post(WEBHOOK, content=body,
                            headers={"Content-Type": "application/json",
                                     SIGNATURE_HEADER: header})


@dataclass(frozen=True)
class Snapshot:
    invoice: tuple[Any, ...]
    payments: tuple[tuple[Any, ...], ...]
    refunds: tuple[tuple[Any, ...], ...]
    intents: tuple[tuple[Any, ...], ...]
    webhook_events: tuple[tuple[Any, ...], ...]
    simulated: tuple[tuple[Any, ...], ...]


def snapshot(ohms: Ohms, invoice_id: str, event_ids: tuple[str, ...] = ()) -> Snapshot:
    """What a payment, refund or webhook of `invoice_id` can change (looked at behind the
    API), and the webhook-event rows of `event_ids`."""
    iid = uuid.UUID(invoice_id)
    with ohms.db() as db:
        inv = db.get(Invoice, iid)
        assert inv is not None
        payments = db.execute(select(Payment.id, Payment.method, Payment.amount,
                                     Payment.refunded_amount)
                              .where(Payment.invoice_id == iid).order_by(Payment.id)).all()
        refunds = db.execute(select(Refund.id, Refund.amount, Refund.provider_ref)
                             .join(Payment, Payment.id == Refund.payment_id)
                             .where(Payment.invoice_id == iid).order_by(Refund.id)).all()
        intents = db.execute(select(PaymentIntent.id, PaymentIntent.status)
                             .where(PaymentIntent.invoice_id == iid)
                             .order_by(PaymentIntent.id)).all()
        events = db.execute(select(WebhookEvent.event_id, WebhookEvent.type)
                            .where(WebhookEvent.event_id.in_(event_ids))
                            .order_by(WebhookEvent.event_id)).all() if event_ids else []
        simulated = db.execute(select(SimulatedIntent.id, SimulatedIntent.status,
                                      SimulatedIntent.refunded_amount)
                               .where(SimulatedIntent.id.in_([str(i.id) for i in intents]))
                               .order_by(SimulatedIntent.id)).all()
        return Snapshot(
            invoice=(inv.status, Decimal(inv.balance), Decimal(inv.paid_total),
                     inv.updated_at),
            payments=tuple(tuple(p) for p in payments),
            refunds=tuple(tuple(r) for r in refunds),
            intents=tuple(tuple(i) for i in intents),
            webhook_events=tuple(tuple(e) for e in events),
            simulated=tuple(tuple(s) for s in simulated))


def webhook_event_count(ohms: Ohms) -> int:
    with ohms.db() as db:
        return int(db.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


def assert_problem(r: httpx.Response, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
