"""Online payment through the embedded simulated provider: the patient's intent, the
provider's checkout page, the customer paying there, the provider's signed webhook delivered
by its worker through the app, and the invoice settled once. A second delivery, a forged
signature, a stale or future timestamp change nothing; a webhook arriving after the desk took
part of the balance never overpays (the excess is refunded through the provider). Both
backends."""

from __future__ import annotations

import json
import time
import uuid
from decimal import Decimal

from sqlalchemy import select

from api.payments.models import Payment, Refund, SimulatedIntent, SimulatedWebhook
from api.payments.signatures import sign
from tests.api.conftest import Ohms
from tests.api.payments.factories import (
    assert_problem,
    desk,
    events_of,
    intend,
    invoice_of,
    money,
    pay,
    post_webhook,
    refund,
    secret,
    snapshot,
    through_app,
    webhook_event_count,
)

SIMULATOR = "/api/v1/payment-simulator"


def test_the_patient_pays_online_through_the_simulated_checkout(ohms: Ohms) -> None:
    d = desk(ohms, org_name=f"Care & <b>Cure</b> <script>x()</script> {uuid.uuid4().hex[:6]}")
    r = intend(ohms, d.patient, d.invoice_id)
    assert r.status_code == 201, r.text
    intent = r.json()
    assert (intent["amount"], intent["status"], intent["invoice"]) == \
        (money("590.00"), "requires_payment", d.invoice_id)
    assert intent["checkout_url"] == f"http://testserver{SIMULATOR}/checkout/{intent['id']}"

    # The provider's own page: the amount, the merchant, a Pay button posting to the
    # provider; no script, everything escaped, a policy of its own.
    page = ohms.client.get(intent["checkout_url"])
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "590.00 INR" in page.text and "<script" not in page.text
    assert f'action="{SIMULATOR}/intents/{intent["id"]}/succeed"' in page.text
    assert d.invoice["number"] in page.text
    assert "Care &amp; &lt;b&gt;Cure&lt;/b&gt; &lt;script&gt;" in page.text
    csp = page.headers["content-security-policy"]
    assert "form-action 'self'" in csp and "script-src" not in csp
    assert_problem(ohms.client.get(f"{SIMULATOR}/checkout/{uuid.uuid4()}"), 404)

    # Not paid yet: the patient polls.
    polled = ohms.client.get(f"/api/v1/payment-intents/{intent['id']}", headers=d.patient.headers)
    assert polled.status_code == 200 and polled.json()["status"] == "requires_payment"

    # The customer pays (the checkout's form): 303 back to the merchant's return URL.
    paid = ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed",
                            data={"pay": "1"}, follow_redirects=False)
    assert paid.status_code == 303, paid.text
    assert paid.headers["location"] == (
        f"http://testserver/#/bills?invoice={d.invoice_id}&intent={intent['id']}")
    # A second click changes nothing at the provider (one event queued).
    again = ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed")
    assert again.status_code == 200 and again.json()["changed"] is False
    [(event_id, body)] = events_of(ohms, intent["id"])
    event = json.loads(body)
    assert event["type"] == "payment_intent.succeeded"
    assert event["data"]["object"]["amount"] == "590.00"
    assert event["data"]["object"]["metadata"]["invoice_id"] == d.invoice_id
    # Nothing is settled before the webhook arrives.
    assert invoice_of(ohms, d.patient, d.invoice_id)["status"] == "issued"

    # The provider's worker delivers the signed webhook: the invoice is paid.
    sender = through_app(ohms)
    assert sender.run_once() >= 1
    after = invoice_of(ohms, d.patient, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("paid", money("0.00"), money("590.00"))
    polled = ohms.client.get(f"/api/v1/payment-intents/{intent['id']}",
                             headers=d.patient.headers).json()
    assert polled["status"] == "succeeded" and polled["succeeded_at"]
    listed = ohms.client.get(f"/api/v1/invoices/{d.invoice_id}/payments",
                             headers=d.helpdesk.headers).json()
    assert [(p["method"], p["amount"]["amount"], p["refunded"]["amount"]) for p in listed] == \
        [("online", "590.00", "0.00")]
    with ohms.db() as db:
        row = db.get(SimulatedWebhook, event_id)
        assert row is not None and row.delivered_at is not None and row.attempts == 1

    # A second delivery of the same event (signed afresh): 200, nothing changes.
    settled = snapshot(ohms, d.invoice_id, (event_id,))
    count = webhook_event_count(ohms)
    r = post_webhook(ohms, body.encode())
    assert r.status_code == 200 and r.json()["duplicate"] is True
    assert snapshot(ohms, d.invoice_id, (event_id,)) == settled
    assert webhook_event_count(ohms) == count


def test_forged_stale_future_and_malformed_webhooks_change_nothing(ohms: Ohms) -> None:
    d = desk(ohms)
    intent = intend(ohms, d.patient, d.invoice_id).json()
    assert ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed").status_code == 200
    [(event_id, body)] = events_of(ohms, intent["id"])
    raw = body.encode()
    before = snapshot(ohms, d.invoice_id, (event_id,))
    count = webhook_event_count(ohms)
    now = int(time.time())
    tolerance = ohms.container.settings.payment_webhook_tolerance_seconds
    forged_amount = raw.replace(b'"590.00"', b'"5.00"')
    attempts = [
        post_webhook(ohms, raw, key=b"not the shared secret"),        # forged signature
        post_webhook(ohms, forged_amount, header=sign(secret(ohms), raw, now)),  # body changed
        post_webhook(ohms, raw, timestamp=now - tolerance - 5),        # stale: a replay
        post_webhook(ohms, raw, timestamp=now + tolerance + 5),        # from the future
        post_webhook(ohms, raw, header=""),                            # no signature
        post_webhook(ohms, raw, header=f"t={now}"),                    # malformed
        post_webhook(ohms, raw, header=f"t=abc,v1={'0' * 64}"),
        post_webhook(ohms, raw, header="v1=" + sign(secret(ohms), raw, now).split("v1=")[1]),
        post_webhook(ohms, b"not json"),                               # signed, not an event
        post_webhook(ohms, json.dumps({"id": "evt_x", "type": "payment_intent.succeeded",
                                       "data": {}}).encode()),
    ]
    for r in attempts:
        assert_problem(r, 400)
    assert snapshot(ohms, d.invoice_id, (event_id,)) == before
    assert before.webhook_events == () and before.invoice[0] == "issued"
    assert webhook_event_count(ohms) == count

    # The genuine delivery still settles it.
    assert post_webhook(ohms, raw).status_code == 200
    assert invoice_of(ohms, d.patient, d.invoice_id)["status"] == "paid"


def test_a_webhook_after_the_desk_took_part_of_the_balance_never_overpays(ohms: Ohms) -> None:
    d = desk(ohms)
    intent = intend(ohms, d.patient, d.invoice_id).json()  # the whole 590.00
    # Meanwhile the patient pays 300.00 cash at the desk.
    assert pay(ohms, d.helpdesk, d.invoice_id, "300.00").status_code == 201
    assert ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed").status_code == 200
    through_app(ohms).run_once()

    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("paid", money("0.00"), money("590.00"))
    with ohms.db() as db:
        online = db.scalar(select(Payment).where(Payment.intent_id == uuid.UUID(intent["id"])))
        assert online is not None
        assert (Decimal(online.amount), Decimal(online.refunded_amount)) == \
            (Decimal("590.00"), Decimal("300.00"))  # 290.00 settled, 300.00 too much
        [excess] = db.scalars(select(Refund).where(Refund.payment_id == online.id)).all()
        assert Decimal(excess.amount) == Decimal("300.00") and excess.provider_ref
        # The provider gave the excess back to the customer.
        sim = db.get(SimulatedIntent, intent["id"])
        assert sim is not None and Decimal(sim.refunded_amount) == Decimal("300.00")


def test_a_webhook_after_the_desk_took_everything_refunds_it_all(ohms: Ohms) -> None:
    d = desk(ohms)
    intent = intend(ohms, d.patient, d.invoice_id).json()
    assert pay(ohms, d.helpdesk, d.invoice_id, "590.00").status_code == 201
    assert ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed").status_code == 200
    through_app(ohms).run_once()
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["paid_total"]) == ("paid", money("590.00"))
    with ohms.db() as db:
        online = db.scalar(select(Payment).where(Payment.intent_id == uuid.UUID(intent["id"])))
        assert online is not None and Decimal(online.refunded_amount) == Decimal("590.00")
        sim = db.get(SimulatedIntent, intent["id"])
        assert sim is not None and Decimal(sim.refunded_amount) == Decimal("590.00")


def test_a_part_payment_online_and_its_refund_through_the_provider(ohms: Ohms) -> None:
    d = desk(ohms)
    r = intend(ohms, d.patient, d.invoice_id, "90.00", key="pay-part-1")
    assert r.status_code == 201, r.text
    intent = r.json()
    # The same key: the same intent; with another amount: refused.
    again = intend(ohms, d.patient, d.invoice_id, "90.00", key="pay-part-1")
    assert again.status_code == 201 and again.json()["id"] == intent["id"]
    assert_problem(intend(ohms, d.patient, d.invoice_id, "91.00", key="pay-part-1"), 422)
    assert ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed").status_code == 200
    through_app(ohms).run_once()
    after = invoice_of(ohms, d.patient, d.invoice_id)
    assert (after["status"], after["balance"]) == ("partly_paid", money("500.00"))

    [online] = ohms.client.get(f"/api/v1/invoices/{d.invoice_id}/payments",
                               headers=d.helpdesk.headers).json()
    r = refund(ohms, d.helpdesk, online["id"], "40.00")
    assert r.status_code == 201, r.text
    assert invoice_of(ohms, d.patient, d.invoice_id)["balance"] == money("540.00")
    with ohms.db() as db:
        sim = db.get(SimulatedIntent, intent["id"])
        assert sim is not None and Decimal(sim.refunded_amount) == Decimal("40.00")
        row = db.get(Refund, uuid.UUID(r.json()["id"]))
        assert row is not None and row.provider_ref


def test_intents_are_the_patients_own(ohms: Ohms) -> None:
    d = desk(ohms)
    other = desk(ohms)
    before = snapshot(ohms, d.invoice_id)
    # Another patient: 404; the desk (no payment:pay): 403; no sign-in: 401.
    assert_problem(intend(ohms, other.patient, d.invoice_id), 404)
    assert_problem(intend(ohms, d.helpdesk, d.invoice_id), 403)
    assert_problem(ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/payment-intents"), 401)
    # More than the balance, another currency, a float, zero: refused.
    assert_problem(intend(ohms, d.patient, d.invoice_id, "590.01"), 409)
    for bad in ({"amount": "10.00", "currency": "USD"}, {"amount": 10.0, "currency": "INR"},
                {"amount": "0.00", "currency": "INR"}, {"amount": "-1.00", "currency": "INR"}):
        r = ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/payment-intents",
                             headers=d.patient.headers, json={"amount": bad})
        assert_problem(r, 422)
    assert snapshot(ohms, d.invoice_id) == before
    # An intent is read by its patient only.
    mine = intend(ohms, d.patient, d.invoice_id).json()
    assert_problem(ohms.client.get(f"/api/v1/payment-intents/{mine['id']}",
                                   headers=other.patient.headers), 404)
    assert_problem(ohms.client.get(f"/api/v1/payment-intents/{mine['id']}",
                                   headers=d.helpdesk.headers), 403)
    # A paid invoice takes no intent.
    assert pay(ohms, d.helpdesk, d.invoice_id, "590.00").status_code == 201
    assert_problem(intend(ohms, d.patient, d.invoice_id), 409)
    # The simulator's succeed for an unknown intent: 404.
    assert_problem(ohms.client.post(f"{SIMULATOR}/intents/{uuid.uuid4()}/succeed"), 404)


def test_the_worker_retries_until_the_merchant_answers(ohms: Ohms) -> None:
    d = desk(ohms)
    intent = intend(ohms, d.patient, d.invoice_id).json()
    assert ohms.client.post(f"{SIMULATOR}/intents/{intent['id']}/succeed").status_code == 200
    [(event_id, _)] = events_of(ohms, intent["id"])
    app_sender = through_app(ohms)

    def down(url: str, body: bytes, headers: dict[str, str]) -> int:
        raise ConnectionError("merchant unreachable")

    from api.payments.simulator import SimulatedWebhookDelivery

    failing = SimulatedWebhookDelivery(ohms.container.sessions, secret=app_sender.secret,
                                       url=app_sender.url, deliver=down)
    failing.run_once()
    with ohms.db() as db:
        row = db.get(SimulatedWebhook, event_id)
        assert row is not None and row.delivered_at is None and row.attempts == 1
        due = row.next_attempt_at
    assert invoice_of(ohms, d.patient, d.invoice_id)["status"] == "issued"
    # Not due yet (backoff): nothing is sent; once due, it is delivered, signed afresh.
    with ohms.db() as db:
        db.execute(SimulatedWebhook.__table__.update()
                   .where(SimulatedWebhook.id == event_id)
                   .values(next_attempt_at=due.replace(year=2000)))
    app_sender.run_once()
    assert invoice_of(ohms, d.patient, d.invoice_id)["status"] == "paid"
