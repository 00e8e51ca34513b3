"""Claims from issued invoices and their adjudication, through the API on both backends: who
may submit, read and adjudicate (another party is told 404), the refusals (which change
nothing), the insurer's share settled against the invoice once, and the FHIR Claim and
ClaimResponse."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx
from fastapi.testclient import TestClient
from fhir.resources.R4B.claim import Claim as FhirClaim
from fhir.resources.R4B.claimresponse import ClaimResponse as FhirClaimResponse
from sqlalchemy import func, select

from api.insurance.models import Claim, Coverage
from api.insurance.service import coverage_pays
from api.payments.models import Payment
from tests.api.billing_helpers import PROBLEM, charge, issued_invoice, money
from tests.api.conftest import Ohms, User
from tests.api.insurance.factories import (
    Desk,
    Insurer,
    adjudicate,
    claim,
    coverage,
    day,
    desk,
    insurer,
    invoice_row,
    post_claim,
)

LOINC = "http://loinc.org"
# 590.00 (500.00 + 18 %) and 315.00 (300.00 + 5 %): 905.00 in all.
LINES = (
    {"description": "Consultation, general medicine", "quantity": 1, "unit_price": "500.00",
     "tax_rate": "0.18"},
    {"description": "Glucose [Moles/volume] in Blood", "quantity": 1, "unit_price": "300.00",
     "tax_rate": "0.05", "code": {"system": LOINC, "code": "15074-8",
                                  "display": "Glucose [Moles/volume] in Blood"}},
)
TOTAL = Decimal("905.00")


@dataclass
class Scene:
    patient: User
    hospital: Desk
    acme: Insurer
    coverage: dict[str, Any]
    invoice: dict[str, Any]


def scene(ohms: Ohms, **coverage_fields: Any) -> Scene:
    """A patient covered by an insurer (copay 100.00, co-insurance 20 %), and a hospital's
    issued invoice of 905.00 for them."""
    patient = ohms.register_patient()
    hospital, acme = desk(ohms), insurer(ohms)
    cov = coverage(ohms, hospital.helpdesk, patient, acme.org, **coverage_fields)
    return Scene(patient, hospital, acme, cov, issued_invoice(ohms, hospital.helpdesk, patient,
                                                              LINES))


def claim_count(ohms: Ohms) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(Claim)) or 0)


def insurer_payments(ohms: Ohms, claim_id: str) -> list[Payment]:
    with ohms.db() as s:
        return list(s.scalars(select(Payment).where(Payment.claim_id == uuid.UUID(claim_id))))


def claim_ids(ohms: Ohms, user: User, **params: str) -> set[str]:
    r = ohms.client.get("/api/v1/claims", headers=user.headers, params=params)
    assert r.status_code == 200, r.text
    return {c["id"] for c in r.json()}


def test_a_desk_claims_an_issued_invoice_and_the_refusals_change_nothing(ohms: Ohms) -> None:
    s = scene(ohms)
    before = claim_count(ohms)
    # A draft is not claimed; nor is an invoice of another organisation (404, whoever's
    # coverage); nor under another patient's coverage.
    draft = charge(ohms, s.hospital.helpdesk, s.patient)["invoice"]["id"]
    refused = post_claim(ohms, s.hospital.helpdesk, draft, s.coverage["id"])
    assert refused.status_code == 409 and "draft" in refused.json()["detail"]
    assert refused.headers["content-type"] == PROBLEM
    other = desk(ohms)
    assert post_claim(ohms, other.helpdesk, s.invoice["id"],
                      s.coverage["id"]).status_code == 404
    stranger = ohms.register_patient()
    theirs = coverage(ohms, stranger, stranger, s.acme.org)
    assert post_claim(ohms, s.hospital.helpdesk, s.invoice["id"],
                      theirs["id"]).status_code == 422
    assert post_claim(ohms, s.hospital.helpdesk, s.invoice["id"],
                      str(uuid.uuid4())).status_code == 422
    # Roles: neither the patient, nor a physician, nor the insurer submits.
    physician = ohms.add_member(s.hospital.org, "physician")
    for who in (s.patient, physician, s.acme.staff):
        assert post_claim(ohms, who, s.invoice["id"], s.coverage["id"]).status_code == 403
    bad = ohms.client.post("/api/v1/claims", headers=s.hospital.helpdesk.headers,
                           json={"invoice": s.invoice["id"]})
    assert bad.status_code == 422
    assert claim_count(ohms) == before

    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    assert made["status"] == "submitted" and made["insurer"] == s.acme.org
    assert made["total"] == money(TOTAL) and made["approved_amount"] is None
    assert [(i["sequence"], i["description"], i["code"], i["amount"]) for i in made["items"]] \
        == [(1, LINES[0]["description"], None, money("590.00")),
            (2, LINES[1]["description"], "15074-8", money("315.00"))]
    # One claim in play per invoice.
    again = post_claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    assert again.status_code == 409 and "in play" in again.json()["detail"]
    assert claim_count(ohms) == before + 1


def test_a_coverage_that_does_not_cover_the_service_dates_is_refused(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    hospital, acme = desk(ohms), insurer(ohms)
    lapsed = coverage(ohms, patient, patient, acme.org, valid_from=day(-60),
                      valid_to=day(-30))
    invoice = issued_invoice(ohms, hospital.helpdesk, patient)
    r = post_claim(ohms, hospital.helpdesk, invoice["id"], lapsed["id"])
    assert r.status_code == 409 and "validity" in r.json()["detail"], r.text
    # A service given inside the validity is claimable under it.
    old = issued_invoice(ohms, hospital.helpdesk, patient, [
        {"description": "Consultation", "quantity": 1, "unit_price": "500.00",
         "tax_rate": "0.18", "service_date": day(-45)}])
    assert post_claim(ohms, hospital.helpdesk, old["id"], lapsed["id"]).status_code == 201
    # A cancelled coverage covers nothing.
    with ohms.db() as s:
        row = s.get(Coverage, uuid.UUID(lapsed["id"]))
        assert row is not None
        row.active = False
    older = issued_invoice(ohms, hospital.helpdesk, patient, [
        {"description": "Consultation", "quantity": 1, "unit_price": "500.00",
         "tax_rate": "0.18", "service_date": day(-40)}])
    r = post_claim(ohms, hospital.helpdesk, older["id"], lapsed["id"])
    assert r.status_code == 409 and "cancelled" in r.json()["detail"]


def test_an_insurer_sees_only_the_claims_addressed_to_it(ohms: Ohms) -> None:
    s = scene(ohms)
    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    assert made["id"] in claim_ids(ohms, s.acme.staff)
    assert made["id"] in claim_ids(ohms, s.acme.staff, status="submitted")
    assert made["id"] not in claim_ids(ohms, s.acme.staff, status="approved")
    assert made["id"] in claim_ids(ohms, s.hospital.helpdesk)
    assert made["id"] in claim_ids(ohms, s.patient)

    rival, other_desk, other_patient = insurer(ohms), desk(ohms), ohms.register_patient()
    assert claim_ids(ohms, rival.staff) == set()
    for stranger in (rival.staff, other_desk.helpdesk, other_patient):
        assert made["id"] not in claim_ids(ohms, stranger)
        for path in ("", "/fhir", "/response/fhir"):
            r = ohms.client.get(f"/api/v1/claims/{made['id']}{path}", headers=stranger.headers)
            assert r.status_code == 404, (path, r.text)
    assert adjudicate(ohms, rival.staff, made["id"], outcome="approved").status_code == 404
    # The billing organisation may read its claim but not adjudicate it.
    assert adjudicate(ohms, s.hospital.helpdesk, made["id"],
                      outcome="approved").status_code == 403
    assert ohms.client.get(f"/api/v1/claims/{made['id']}",
                           headers=s.acme.staff.headers).json()["status"] == "submitted"
    assert invoice_row(ohms, s.invoice["id"]).insurer_total == 0


def test_approval_settles_what_the_coverage_pays_once(ohms: Ohms) -> None:
    s = scene(ohms)
    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    r = adjudicate(ohms, s.acme.staff, made["id"], outcome="approved")
    assert r.status_code == 200, r.text
    # (905.00 - 100.00) x (1 - 0.20) = 644.00; the patient owes 261.00.
    assert r.json()["status"] == "approved" and r.json()["approved_amount"] == money("644.00")
    after = invoice_row(ohms, s.invoice["id"])
    assert (after.status, after.insurer_total, after.paid_total, after.balance) == (
        "partly_paid", Decimal("644.00"), Decimal(0), Decimal("261.00"))
    listed = ohms.client.get("/api/v1/invoices", headers=s.patient.headers).json()
    assert {i["id"]: i["balance"] for i in listed}[s.invoice["id"]] == money("261.00")
    [payment] = insurer_payments(ohms, made["id"])
    assert (payment.method, Decimal(payment.amount)) == ("insurer", Decimal("644.00"))

    # Once: a second decision is refused and changes nothing.
    for outcome in ("approved", "denied"):
        again = adjudicate(ohms, s.acme.staff, made["id"], outcome=outcome, reason="again")
        assert again.status_code == 409, again.text
    assert invoice_row(ohms, s.invoice["id"]) == after
    assert len(insurer_payments(ohms, made["id"])) == 1
    # Approved, the invoice is in play: no second claim.
    assert post_claim(ohms, s.hospital.helpdesk, s.invoice["id"],
                      s.coverage["id"]).status_code == 409

    response = ohms.client.get(f"/api/v1/claims/{made['id']}/response/fhir",
                               headers=s.patient.headers)
    assert response.status_code == 200, response.text
    resource = FhirClaimResponse.model_validate_json(response.content)
    assert resource.outcome == "complete" and resource.request.reference == \
        f"Claim/{made['id']}"
    assert resource.payment.amount.value == Decimal("644.00")
    totals = {t.category.coding[0].code: t.amount.value for t in resource.total}
    assert totals == {"submitted": TOTAL, "benefit": Decimal("644.00")}
    assert b'"value":644.00' in response.content


def test_partial_approval_with_amounts_per_item(ohms: Ohms) -> None:
    s = scene(ohms)
    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    url = f"/api/v1/claims/{made['id']}/adjudication"
    before = invoice_row(ohms, s.invoice["id"])
    refusals: dict[str, dict[str, Any]] = {
        "no amount": {"outcome": "partial"},
        "the whole total": {"outcome": "partial", "approved_amount": money(TOTAL)},
        "items not summing": {"outcome": "partial", "approved_amount": money("400.00"),
                              "items": [{"sequence": 1, "approved_amount": money("300.00")}]},
        "item above its amount": {
            "outcome": "partial", "approved_amount": money("600.00"),
            "items": [{"sequence": 1, "approved_amount": money("600.00")}]},
        "no such item": {"outcome": "partial", "approved_amount": money("10.00"),
                         "items": [{"sequence": 9, "approved_amount": money("10.00")}]},
        "an item twice": {"outcome": "partial", "approved_amount": money("20.00"),
                          "items": [{"sequence": 1, "approved_amount": money("10.00")},
                                    {"sequence": 1, "approved_amount": money("10.00")}]},
        "another currency": {"outcome": "partial", "approved_amount": money("10.00", "USD")},
        "an amount as a float": {"outcome": "partial",
                                 "approved_amount": {"amount": 10.5, "currency": "INR"}},
        "an unknown outcome": {"outcome": "maybe"},
        "above the total": {"outcome": "approved", "approved_amount": money("905.01")},
    }
    for label, body in refusals.items():
        r = ohms.client.post(url, headers=s.acme.staff.headers, json=body)
        assert r.status_code == 422, (label, r.text)
        assert r.headers["content-type"] == PROBLEM
    assert invoice_row(ohms, s.invoice["id"]) == before
    assert ohms.client.get(f"/api/v1/claims/{made['id']}",
                           headers=s.acme.staff.headers).json()["status"] == "submitted"

    r = adjudicate(ohms, s.acme.staff, made["id"], outcome="partial",
                   approved_amount=money("400.00"), reason="Consultation capped by the plan",
                   items=[{"sequence": 1, "approved_amount": money("300.00")},
                          {"sequence": 2, "approved_amount": money("100.00")}])
    assert r.status_code == 200, r.text
    decided = r.json()
    assert decided["status"] == "partial" and decided["reason"] == \
        "Consultation capped by the plan"
    assert [i["approved_amount"] for i in decided["items"]] == [money("300.00"),
                                                                money("100.00")]
    after = invoice_row(ohms, s.invoice["id"])
    assert (after.insurer_total, after.balance) == (Decimal("400.00"), Decimal("505.00"))

    response = FhirClaimResponse.model_validate_json(ohms.client.get(
        f"/api/v1/claims/{made['id']}/response/fhir", headers=s.hospital.helpdesk.headers
    ).content)
    assert response.outcome == "partial"
    assert response.disposition == "Consultation capped by the plan"
    benefits = {item.itemSequence: {a.category.coding[0].code: a.amount.value
                                    for a in item.adjudication} for item in response.item}
    assert benefits == {1: {"submitted": Decimal("590.00"), "benefit": Decimal("300.00")},
                        2: {"submitted": Decimal("315.00"), "benefit": Decimal("100.00")}}
    assert response.payment.amount.value == Decimal("400.00")


def test_a_denial_states_its_reason_settles_nothing_and_allows_a_new_claim(ohms: Ohms) -> None:
    s = scene(ohms)
    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    before = invoice_row(ohms, s.invoice["id"])
    assert adjudicate(ohms, s.acme.staff, made["id"], outcome="denied").status_code == 422
    assert adjudicate(ohms, s.acme.staff, made["id"], outcome="denied", reason="No",
                      approved_amount=money("10.00")).status_code == 422
    r = adjudicate(ohms, s.acme.staff, made["id"], outcome="denied",
                   reason="The plan excludes this service")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "denied" and r.json()["approved_amount"] == money(0)
    assert invoice_row(ohms, s.invoice["id"]) == before
    assert insurer_payments(ohms, made["id"]) == []
    response = FhirClaimResponse.model_validate_json(ohms.client.get(
        f"/api/v1/claims/{made['id']}/response/fhir", headers=s.acme.staff.headers).content)
    assert response.disposition == "The plan excludes this service"
    assert response.payment.amount.value == 0
    assert made["id"] in claim_ids(ohms, s.acme.staff, status="denied")
    # After a denial the invoice may be claimed again.
    again = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    assert again["id"] != made["id"] and again["status"] == "submitted"


def test_an_approval_above_what_is_left_to_pay_is_refused(ohms: Ohms) -> None:
    s = scene(ohms)
    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    # The patient pays 500.00 at the desk meanwhile: 405.00 is left, below 644.00.
    paid = ohms.client.post(f"/api/v1/invoices/{s.invoice['id']}/payments",
                            headers={**s.hospital.helpdesk.headers,
                                     "Idempotency-Key": uuid.uuid4().hex},
                            json={"method": "cash", "amount": money("500.00")})
    assert paid.status_code == 201, paid.text
    before = invoice_row(ohms, s.invoice["id"])
    r = adjudicate(ohms, s.acme.staff, made["id"], outcome="approved")
    assert r.status_code == 409 and "balance" in r.json()["detail"], r.text
    assert invoice_row(ohms, s.invoice["id"]) == before
    assert ohms.client.get(f"/api/v1/claims/{made['id']}",
                           headers=s.acme.staff.headers).json()["status"] == "submitted"
    assert insurer_payments(ohms, made["id"]) == []
    # What is left can still be approved.
    r = adjudicate(ohms, s.acme.staff, made["id"], outcome="approved",
                   approved_amount=money("405.00"))
    assert r.status_code == 200, r.text
    after = invoice_row(ohms, s.invoice["id"])
    assert (after.status, after.balance, after.insurer_total) == ("paid", 0, Decimal("405.00"))


def _race(ohms: Ohms, requests: list[tuple[User, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send the requests at once, each from its own thread and client."""
    barrier = threading.Barrier(len(requests))

    def send(request: tuple[User, str, dict[str, Any]]) -> httpx.Response:
        user, url, body = request
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post(url, headers=user.headers, json=body)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def test_concurrent_submissions_and_adjudications_happen_once(ohms: Ohms) -> None:
    s = scene(ohms)
    racers = 6
    submitted = _race(ohms, [(s.hospital.helpdesk, "/api/v1/claims",
                              {"invoice": s.invoice["id"], "coverage": s.coverage["id"]})]
                      * racers)
    assert sorted(r.status_code for r in submitted) == [201] + [409] * (racers - 1), \
        [r.text for r in submitted]
    [made] = [r.json() for r in submitted if r.status_code == 201]
    decided = _race(ohms, [(s.acme.staff, f"/api/v1/claims/{made['id']}/adjudication",
                            {"outcome": "approved"})] * racers)
    assert sorted(r.status_code for r in decided) == [200] + [409] * (racers - 1), \
        [r.text for r in decided]
    after = invoice_row(ohms, s.invoice["id"])
    assert (after.insurer_total, after.balance) == (Decimal("644.00"), Decimal("261.00"))
    assert len(insurer_payments(ohms, made["id"])) == 1


def test_the_fhir_claim_carries_the_lines_and_totals(ohms: Ohms) -> None:
    s = scene(ohms)
    made = claim(ohms, s.hospital.helpdesk, s.invoice["id"], s.coverage["id"])
    r = ohms.client.get(f"/api/v1/claims/{made['id']}/fhir", headers=s.acme.staff.headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith(
        "application/fhir+json")
    resource = FhirClaim.model_validate_json(r.content)
    assert (resource.status, resource.use) == ("active", "claim")
    assert resource.type.coding[0].code == "institutional"
    assert resource.patient.identifier.value == s.patient.uhid
    assert resource.insurer.reference == f"Organization/{s.acme.org}"
    assert resource.provider.reference == f"Organization/{s.hospital.org}"
    assert resource.insurance[0].coverage.reference == f"Coverage/{s.coverage['id']}"
    assert resource.total.value == TOTAL and resource.total.currency == "INR"
    assert [(i.sequence, i.net.value) for i in resource.item] == [
        (1, Decimal("590.00")), (2, Decimal("315.00"))]
    assert resource.item[1].productOrService.coding[0].code == "15074-8"
    assert sum(i.net.value for i in resource.item) == resource.total.value
    assert b'"value":905.00' in r.content
    # No clinical content: service names and amounts only.
    assert resource.diagnosis is None and resource.procedure is None
    # The patient reads their claim too.
    assert ohms.client.get(f"/api/v1/claims/{made['id']}/fhir",
                           headers=s.patient.headers).status_code == 200
    # Before adjudication there is no response.
    assert ohms.client.get(f"/api/v1/claims/{made['id']}/response/fhir",
                           headers=s.acme.staff.headers).status_code == 404


def test_what_the_coverage_pays_is_rounded_once_half_up() -> None:
    plan = Coverage(copay_amount=Decimal("0.00"), coinsurance=Decimal("0.5"))
    assert coverage_pays(Decimal("100.05"), plan) == Decimal("50.03")
    plan = Coverage(copay_amount=Decimal("100.00"), coinsurance=Decimal("0.1234"))
    assert coverage_pays(Decimal("905.00"), plan) == Decimal("705.66")
    plan = Coverage(copay_amount=Decimal("1000.00"), coinsurance=Decimal("0.2"))
    assert coverage_pays(Decimal("905.00"), plan) == Decimal("0.00")
