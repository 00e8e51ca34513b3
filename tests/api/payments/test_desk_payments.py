"""Cash and card at the desk: an invoice goes partly paid, then paid; the same
Idempotency-Key answers the same payment and takes nothing again; refunds give the amount
back to the balance, never more than was paid. Every refusal is problem+json and changes
nothing. Both backends."""

from __future__ import annotations

import uuid

import pytest

from tests.api.conftest import Ohms
from tests.api.payments.factories import (
    assert_problem,
    desk,
    invoice_of,
    money,
    pay,
    refund,
    snapshot,
)


def test_cash_then_card_pays_the_invoice(ohms: Ohms) -> None:
    d = desk(ohms)
    assert d.invoice["status"] == "issued" and d.invoice["balance"] == money("590.00")

    r = pay(ohms, d.helpdesk, d.invoice_id, "200.00", method="cash")
    assert r.status_code == 201, r.text
    cash = r.json()
    assert (cash["method"], cash["amount"], cash["refunded"], cash["invoice"]) == \
        ("cash", money("200.00"), money("0.00"), d.invoice_id)
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("partly_paid", money("390.00"), money("200.00"))

    r = pay(ohms, d.helpdesk, d.invoice_id, "390.00", method="card", reference="AUTH 123456")
    assert r.status_code == 201, r.text
    assert r.json()["reference"] == "AUTH 123456"
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("paid", money("0.00"), money("590.00"))

    # Both parties see the payments: the desk, and the patient (their own invoice).
    for who in (d.helpdesk, d.patient):
        listed = ohms.client.get(f"/api/v1/invoices/{d.invoice_id}/payments",
                                 headers=who.headers)
        assert listed.status_code == 200, listed.text
        assert [(p["method"], p["amount"]["amount"]) for p in listed.json()] == \
            [("cash", "200.00"), ("card", "390.00")]
    # A paid invoice takes nothing more.
    before = snapshot(ohms, d.invoice_id)
    assert_problem(pay(ohms, d.helpdesk, d.invoice_id, "0.01"), 409)
    assert snapshot(ohms, d.invoice_id) == before


def test_more_than_the_balance_is_refused(ohms: Ohms) -> None:
    d = desk(ohms)
    before = snapshot(ohms, d.invoice_id)
    assert_problem(pay(ohms, d.helpdesk, d.invoice_id, "590.01"), 409)
    assert snapshot(ohms, d.invoice_id) == before


def test_the_same_idempotency_key_answers_the_same_payment(ohms: Ohms) -> None:
    d = desk(ohms)
    key = str(uuid.uuid4())
    first = pay(ohms, d.helpdesk, d.invoice_id, "100.00", key=key)
    assert first.status_code == 201 and "idempotent-replayed" not in first.headers
    once = snapshot(ohms, d.invoice_id)
    again = pay(ohms, d.helpdesk, d.invoice_id, "100.00", key=key)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert snapshot(ohms, d.invoice_id) == once
    # The same key with another body: refused, nothing new.
    for changed in ({"amount": "120.00"}, {"method": "card"}):
        r = pay(ohms, d.helpdesk, d.invoice_id, changed.get("amount", "100.00"), key=key,
                method=changed.get("method", "cash"))
        assert_problem(r, 422)
    assert snapshot(ohms, d.invoice_id) == once
    assert once.invoice[:3] == ("partly_paid", 490, 100)


def test_an_idempotency_key_is_required_and_well_formed(ohms: Ohms) -> None:
    d = desk(ohms)
    before = snapshot(ohms, d.invoice_id)
    body = {"method": "cash", "amount": money("10.00")}
    r = ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/payments",
                         headers=d.helpdesk.headers, json=body)
    assert_problem(r, 400)
    for bad in ("", " spaces ", "x" * 201, "key/with/slash", "k;ey"):
        r = ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/payments",
                             headers={**d.helpdesk.headers, "Idempotency-Key": bad}, json=body)
        assert r.status_code in (400, 422), (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert snapshot(ohms, d.invoice_id) == before


@pytest.mark.parametrize("amount", [
    500.0,                                     # a JSON number: a float on the way
    {"amount": "590.00", "currency": "USD"},   # not the invoice's currency
    {"amount": "-5.00", "currency": "INR"},
    {"amount": "0.00", "currency": "INR"},
    {"amount": "1.001", "currency": "INR"},    # below the minor unit
    {"amount": "NaN", "currency": "INR"},
    {"amount": "10.00", "currency": "inr"},
    {"amount": 10, "currency": "INR"},
])
def test_bad_amounts_are_refused_and_change_nothing(ohms: Ohms, amount: object) -> None:
    d = desk(ohms)
    before = snapshot(ohms, d.invoice_id)
    body = {"method": "cash", "amount": amount}
    r = ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/payments",
                         headers={**d.helpdesk.headers, "Idempotency-Key": str(uuid.uuid4())},
                         json=body)
    assert_problem(r, 422)
    assert snapshot(ohms, d.invoice_id) == before


def test_bad_bodies_are_refused_and_change_nothing(ohms: Ohms) -> None:
    d = desk(ohms)
    before = snapshot(ohms, d.invoice_id)
    for extra in ({"method": "online"}, {"method": "insurer"}, {"method": "cheque"},
                  {"reference": "4111 1111 1111 1111"}, {"reference": "4111111111111111"},
                  {"reference": "5500-0000-0000-0004"}, {"reference": ""},
                  {"unknown": "field"}):
        r = pay(ohms, d.helpdesk, d.invoice_id, "10.00", method="card", **extra) \
            if "method" not in extra else pay(ohms, d.helpdesk, d.invoice_id, "10.00", **extra)
        assert_problem(r, 422)
    assert snapshot(ohms, d.invoice_id) == before


def test_only_the_invoices_own_desk_takes_payments(ohms: Ohms) -> None:
    d = desk(ohms)
    other = desk(ohms)
    before = snapshot(ohms, d.invoice_id)
    # Another organisation's desk: 404 (the invoice is not theirs to know of).
    assert_problem(pay(ohms, other.helpdesk, d.invoice_id, "10.00"), 404)
    assert_problem(ohms.client.get(f"/api/v1/invoices/{d.invoice_id}/payments",
                                   headers=other.helpdesk.headers), 404)
    # A nurse of the same organisation: no payment:collect.
    assert_problem(pay(ohms, d.nurse, d.invoice_id, "10.00"), 403)
    # A patient pays online, not at the desk; and never reads another patient's payments.
    assert_problem(pay(ohms, d.patient, d.invoice_id, "10.00"), 403)
    assert_problem(ohms.client.get(f"/api/v1/invoices/{d.invoice_id}/payments",
                                   headers=other.patient.headers), 404)
    # Unknown invoice, and no sign-in.
    assert_problem(pay(ohms, d.helpdesk, str(uuid.uuid4()), "10.00"), 404)
    r = ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/payments",
                         headers={"Idempotency-Key": "k1"},
                         json={"method": "cash", "amount": money("10.00")})
    assert_problem(r, 401)
    assert snapshot(ohms, d.invoice_id) == before


def test_a_draft_or_void_invoice_takes_no_payment(ohms: Ohms) -> None:
    d = desk(ohms)
    r = ohms.client.post(f"/api/v1/invoices/{d.invoice_id}/void", headers=d.helpdesk.headers,
                         json={"reason": "issued in error"})
    assert r.status_code == 200, r.text
    before = snapshot(ohms, d.invoice_id)
    assert_problem(pay(ohms, d.helpdesk, d.invoice_id, "10.00"), 409)
    assert snapshot(ohms, d.invoice_id) == before
    # A draft (a charge not yet issued).
    r = ohms.client.post("/api/v1/charges", headers=d.helpdesk.headers, json={
        "patient": d.patient.uhid, "description": "Dressing", "quantity": 1,
        "unit_price": money("50.00"), "tax_rate": "0.00", "reason": "manual charge"})
    assert r.status_code == 201, r.text
    draft = r.json()["invoice"]
    assert draft["status"] == "draft"
    before = snapshot(ohms, draft["id"])
    assert_problem(pay(ohms, d.helpdesk, draft["id"], "10.00"), 409)
    assert snapshot(ohms, draft["id"]) == before


def test_refunds_give_back_to_the_balance_never_more_than_paid(ohms: Ohms) -> None:
    d = desk(ohms)
    paid = pay(ohms, d.helpdesk, d.invoice_id, "590.00", method="card", reference="A1B2C3")
    assert paid.status_code == 201, paid.text
    payment = paid.json()["id"]
    assert invoice_of(ohms, d.helpdesk, d.invoice_id)["status"] == "paid"

    key = str(uuid.uuid4())
    r = refund(ohms, d.helpdesk, payment, "90.00", key=key)
    assert r.status_code == 201, r.text
    assert (r.json()["amount"], r.json()["payment"], r.json()["invoice"]) == \
        (money("90.00"), payment, d.invoice_id)
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("partly_paid", money("90.00"), money("500.00"))
    once = snapshot(ohms, d.invoice_id)
    # The same key: the same refund, nothing again; with another amount: refused.
    again = refund(ohms, d.helpdesk, payment, "90.00", key=key)
    assert again.status_code == 201 and again.json()["id"] == r.json()["id"]
    assert_problem(refund(ohms, d.helpdesk, payment, "91.00", key=key), 422)
    # More than what is left of the payment (500.00): refused.
    assert_problem(refund(ohms, d.helpdesk, payment, "500.01"), 409)
    # Another organisation's desk, a nurse, bad amounts.
    other = desk(ohms)
    assert_problem(refund(ohms, other.helpdesk, payment, "1.00"), 404)
    assert_problem(refund(ohms, d.nurse, payment, "1.00"), 403)
    for bad in ({"amount": "1.00", "currency": "USD"}, {"amount": "0.00", "currency": "INR"},
                {"amount": 1.0, "currency": "INR"}):
        r = ohms.client.post(f"/api/v1/payments/{payment}/refunds",
                             headers={**d.helpdesk.headers, "Idempotency-Key": "bad-1"},
                             json={"amount": bad, "reason": "x"})
        assert_problem(r, 422)
    assert snapshot(ohms, d.invoice_id) == once

    # The rest of the payment: the invoice is owed in full again.
    r = refund(ohms, d.helpdesk, payment, "500.00")
    assert r.status_code == 201, r.text
    after = invoice_of(ohms, d.helpdesk, d.invoice_id)
    assert (after["status"], after["balance"], after["paid_total"]) == \
        ("issued", money("590.00"), money("0.00"))
    listed = ohms.client.get(f"/api/v1/invoices/{d.invoice_id}/payments",
                             headers=d.helpdesk.headers).json()
    assert listed[0]["refunded"] == money("590.00")
