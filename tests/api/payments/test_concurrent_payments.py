"""Concurrent payments of one invoice, decided by the database on both backends: 20 desk
payments of 30 % of the total each never overpay it (three succeed, the rest are 409, the
balance stays what is left); the same Idempotency-Key sent 10 times at once makes one
payment."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.billing.models import Invoice
from api.payments.models import Payment
from tests.api.conftest import Ohms
from tests.api.payments.factories import desk, invoice_of, money, pay

RACERS = 20


def race(ohms: Ohms, n: int, send: Callable[[TestClient, int], httpx.Response]
         ) -> list[httpx.Response]:
    """`send` n times from n threads (a client each), released together."""
    barrier = threading.Barrier(n)

    def one(i: int) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return send(client, i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(one, range(n)))


def test_twenty_concurrent_payments_never_overpay(ohms: Ohms) -> None:
    d = desk(ohms)  # 590.00
    share = "177.00"  # 30 % of the total: three fit, the fourth would overpay
    answers = race(ohms, RACERS, lambda client, i: pay(
        ohms, d.helpdesk, d.invoice_id, share, key=f"race-{uuid.uuid4()}", client=client))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * 3 + [409] * (RACERS - 3), \
        [r.text for r in answers if r.status_code not in (201, 409)]
    assert all(r.headers["content-type"].startswith("application/problem+json")
               for r in answers if r.status_code == 409)
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("partly_paid", money("59.00"), money("531.00"))
    with ohms.db() as db:
        iid = uuid.UUID(d.invoice_id)
        paid = db.scalar(select(func.sum(Payment.amount)).where(Payment.invoice_id == iid))
        count = db.scalar(select(func.count()).select_from(Payment)
                          .where(Payment.invoice_id == iid))
        invoice = db.get(Invoice, iid)
        assert invoice is not None
        assert Decimal(paid) == Decimal("531.00") and count == 3
        assert Decimal(invoice.balance) == Decimal(invoice.total) - Decimal(paid) >= 0


def test_one_idempotency_key_sent_at_once_makes_one_payment(ohms: Ohms) -> None:
    d = desk(ohms)
    key = f"same-{uuid.uuid4()}"
    answers = race(ohms, 10, lambda client, i: pay(
        ohms, d.helpdesk, d.invoice_id, "100.00", key=key, client=client))
    assert [r.status_code for r in answers] == [201] * 10, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(1 for r in answers if "idempotent-replayed" not in r.headers) == 1
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["balance"], after["paid_total"]) == (money("490.00"), money("100.00"))
    with ohms.db() as db:
        assert db.scalar(select(func.count()).select_from(Payment)
                         .where(Payment.invoice_id == uuid.UUID(d.invoice_id))) == 1


def test_the_webhook_racing_desk_payments_never_overpays(ohms: Ohms) -> None:
    """The provider's webhook for the whole balance arrives while five desk payments of
    30 % each are made: whatever the order, the balance stays >= 0, every payment is either
    taken or refused (409), and what the online payment could not settle is refunded."""
    from api.payments.models import PaymentMethod
    from tests.api.payments.factories import events_of, intend, post_webhook

    d = desk(ohms)
    intent = intend(ohms, d.patient, d.invoice_id).json()
    r = ohms.client.post(f"/api/v1/payment-simulator/intents/{intent['id']}/succeed")
    assert r.status_code == 200
    [(_, body)] = events_of(ohms, intent["id"])

    def send(client: TestClient, i: int) -> httpx.Response:
        if i == 0:
            return post_webhook(ohms, body.encode())
        return pay(ohms, d.helpdesk, d.invoice_id, "177.00", key=f"r-{uuid.uuid4()}",
                   client=client)

    answers = race(ohms, 6, send)
    assert answers[0].status_code == 200, answers[0].text
    assert all(r.status_code in (201, 409) for r in answers[1:]), [r.text for r in answers]
    with ohms.db() as db:
        iid = uuid.UUID(d.invoice_id)
        invoice = db.get(Invoice, iid)
        assert invoice is not None
        rows = db.scalars(select(Payment).where(Payment.invoice_id == iid)).all()
        kept = sum((Decimal(p.amount) - Decimal(p.refunded_amount) for p in rows), Decimal(0))
        assert Decimal(invoice.paid_total) == kept <= Decimal(invoice.total)
        assert Decimal(invoice.balance) == Decimal(invoice.total) - kept >= 0
        online = [p for p in rows if p.method == PaymentMethod.online.value]
        assert len(online) == 1 and Decimal(online[0].amount) == Decimal("590.00")
    desk_taken = sum(1 for r in answers[1:] if r.status_code == 201)
    # Either the webhook came first (it took all; every desk payment was refused) or the
    # desk took some first and the online payment's excess was refunded.
    assert Decimal(online[0].refunded_amount) == Decimal("177.00") * desk_taken
