"""Manual charges gather on one draft; issuing numbers invoices without gaps, even when 20
desks issue at once; voiding and credit notes keep every invoice's totals consistent; a
patient sees only their own issued invoices, another organisation's invoice answers 404, and
refusals change nothing. Both backends (SQLite; PostgreSQL with row-level security)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.billing.models import Charge, Invoice, InvoiceCounter
from api.billing.settlement import Settled, give_back, take
from tests.api.billing_helpers import (
    PROBLEM,
    billing_org,
    charge,
    issue,
    issued_invoice,
    money,
    post_charge,
)
from tests.api.conftest import Ohms, User

YEAR = datetime.now(UTC).year
RACERS = 20
LAB_TEST = {"description": "Complete blood count", "quantity": 3, "unit_price": "12.3450",
            "tax_rate": "0.05", "code": {"system": "http://loinc.org", "code": "58410-2",
                                          "display": "CBC panel"}}


def amount(m: dict[str, str]) -> Decimal:
    assert set(m) == {"amount", "currency"}
    return Decimal(m["amount"])


def row_counts(ohms: Ohms, org: str) -> tuple[int, int, int]:
    """Invoices, charges and counter rows of an organisation, behind the API."""
    org_id = uuid.UUID(org)
    with ohms.db() as s:
        return (s.scalar(select(func.count()).select_from(Invoice)
                         .where(Invoice.organization_id == org_id)) or 0,
                s.scalar(select(func.count()).select_from(Charge)
                         .where(Charge.organization_id == org_id)) or 0,
                s.scalar(select(func.coalesce(func.sum(InvoiceCounter.last), 0))
                         .where(InvoiceCounter.organization_id == org_id)) or 0)


def settle(ohms: Ohms, invoice_id: str, value: str, settled: Settled = Settled.paid) -> None:
    """What a payment (or insurer's settlement) does to the invoice: the payments context's
    conditional UPDATE (api/billing/settlement.py)."""
    with ohms.db() as s:
        assert take(s, invoice_id=uuid.UUID(invoice_id), amount=Decimal(value),
                    settled=settled) is not None


def get(ohms: Ohms, user: User, invoice_id: str) -> httpx.Response:
    return ohms.client.get(f"/api/v1/invoices/{invoice_id}", headers=user.headers)


def credit(ohms: Ohms, user: User, invoice_id: str, **body: Any) -> httpx.Response:
    return ohms.client.post(f"/api/v1/invoices/{invoice_id}/credit-notes", headers=user.headers,
                            json={"reason": "charged in error", **body})


def void(ohms: Ohms, user: User, invoice_id: str) -> httpx.Response:
    return ohms.client.post(f"/api/v1/invoices/{invoice_id}/void", headers=user.headers,
                            json={"reason": "issued to the wrong patient"})


def consistent(inv: dict[str, Any]) -> None:
    """The invoice's own arithmetic, as answered."""
    assert amount(inv["total"]) == amount(inv["net_total"]) + amount(inv["tax_total"])
    assert amount(inv["total"]) == sum(amount(line["amount"]) for line in inv["lines"])
    if inv["kind"] == "invoice" and inv["status"] not in ("draft", "void"):
        assert amount(inv["balance"]) == (amount(inv["total"]) - amount(inv["paid_total"])
                                          - amount(inv["insurer_total"])
                                          - amount(inv["credited_total"]))


# --- charges and drafts ------------------------------------------------------------------------


def test_manual_charges_gather_on_one_draft_rounded_once_per_line(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    first = charge(ohms, b.desk, patient, reason="walk-in consultation")
    second = charge(ohms, b.desk, patient, **LAB_TEST)
    assert first["amount"] == money("590.00") and first["tax"] == money("90.00")
    # 12.3450 x 3 = 37.035 -> 37.04; 5 % of 37.04 = 1.852 -> 1.85 (half up, once per line).
    assert second["net"] == money("37.04") and second["tax"] == money("1.85")
    assert second["amount"] == money("38.89")
    assert second["code"]["code"] == "58410-2" and second["manual_reason"] == "manual charge"
    draft = second["invoice"]
    assert draft["id"] == first["invoice"]["id"]
    assert draft["status"] == "draft" and draft["number"] is None
    assert draft["patient"] == patient.uhid
    assert draft["organization"] == {"id": b.org, "name": b.name}
    assert draft["total"] == money("628.89") and draft["balance"] == money("628.89")
    assert draft["net_total"] == money("537.04") and draft["tax_total"] == money("91.85")
    assert [line["description"] for line in draft["lines"]] == [
        "Consultation, general medicine", "Complete blood count"]
    consistent(draft)
    # Another currency is another draft.
    usd = charge(ohms, b.desk, patient, unit_price=money("20.00", "USD"), tax_rate="0")
    assert usd["invoice"]["id"] != draft["id"] and usd["invoice"]["currency"] == "USD"

    # The desk sees the drafts; the patient does not (a draft is not owed yet).
    listed = ohms.client.get("/api/v1/invoices", headers=b.desk.headers,
                             params={"patient": patient.uhid, "status": "draft"})
    assert listed.status_code == 200
    assert {i["id"] for i in listed.json()} == {draft["id"], usd["invoice"]["id"]}
    mine = ohms.client.get("/api/v1/invoices", headers=patient.headers)
    assert mine.status_code == 200 and mine.json() == []
    assert get(ohms, patient, draft["id"]).status_code == 404


def test_concurrent_charges_for_one_patient_make_one_draft(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    barrier = threading.Barrier(8)

    def add(_: int) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post("/api/v1/charges", headers=b.desk.headers, json={
            "patient": patient.uhid, "description": "Dressing", "quantity": 1,
            "unit_price": money("100.00"), "tax_rate": "0.12", "reason": "ward dressing"})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(add, range(8)))
    assert [r.status_code for r in answers] == [201] * 8, [r.text for r in answers]
    assert len({r.json()["invoice"]["id"] for r in answers}) == 1
    draft = get(ohms, b.desk, answers[0].json()["invoice"]["id"]).json()
    assert len(draft["lines"]) == 8 and draft["total"] == money("896.00")
    consistent(draft)


def test_a_retried_charge_with_its_idempotency_key_adds_nothing(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    key = f"charge-{uuid.uuid4()}"
    body = {"patient": patient.uhid, "description": "Dressing", "quantity": 1,
            "unit_price": money("100.00"), "tax_rate": "0.12", "reason": "ward dressing"}
    barrier = threading.Barrier(6)

    def add(_: int) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post("/api/v1/charges", json=body,
                           headers={**b.desk.headers, "Idempotency-Key": key})

    # The same key sent six times at once: one charge, the others answer it again.
    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = list(pool.map(add, range(6)))
    assert [r.status_code for r in answers] == [201] * 6, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(1 for r in answers if "idempotent-replayed" not in r.headers) == 1
    draft = get(ohms, b.desk, answers[0].json()["invoice"]["id"]).json()
    assert len(draft["lines"]) == 1 and draft["total"] == money("112.00")
    # A retry later: the same answer, nothing added.
    again = ohms.client.post("/api/v1/charges", json=body,
                             headers={**b.desk.headers, "Idempotency-Key": key})
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == answers[0].json()["id"]
    # The key reused for another charge: refused, nothing added; a malformed key: 400.
    other = ohms.client.post("/api/v1/charges", json={**body, "quantity": 2},
                             headers={**b.desk.headers, "Idempotency-Key": key})
    assert other.status_code == 422 and other.headers["content-type"] == PROBLEM
    bad = ohms.client.post("/api/v1/charges", json=body,
                           headers={**b.desk.headers, "Idempotency-Key": "no spaces"})
    assert bad.status_code == 400 and bad.headers["content-type"] == PROBLEM
    after = get(ohms, b.desk, draft["id"]).json()
    assert len(after["lines"]) == 1 and after["total"] == money("112.00")


# --- issuing --------------------------------------------------------------------------------------


def test_issue_numbers_the_draft_and_refuses_twice_or_empty(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    first = issued_invoice(ohms, b.desk, patient, [{"description": "X-ray chest",
                                                    "quantity": 1, "unit_price": "800.00",
                                                    "tax_rate": "0.18"}])
    assert first["number"] == f"INV-{YEAR}-000001" and first["status"] == "issued"
    assert first["issued_at"] and first["total"] == money("944.00")
    consistent(first)
    again = issue(ohms, b.desk, first["id"])
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM

    # An empty draft (as the charging worker might leave one) cannot be issued: no number
    # is used up.
    empty = uuid.uuid4()
    nobody = ohms.register_patient()
    with ohms.db() as s:
        s.add(Invoice(id=empty, organization_id=uuid.UUID(b.org),
                      patient_id=uuid.UUID(nobody.id), patient_uhid=nobody.uhid,
                      currency="INR"))
    refused = issue(ohms, b.desk, str(empty))
    assert refused.status_code == 409 and "no lines" in refused.json()["detail"]
    second = issued_invoice(ohms, b.desk, ohms.register_patient())
    assert second["number"] == f"INV-{YEAR}-000002"
    # Unknown invoice: 404.
    assert issue(ohms, b.desk, str(uuid.uuid4())).status_code == 404
    # Drafts of the patient now go on a new draft, never on the issued invoice.
    later = charge(ohms, b.desk, patient)
    assert later["invoice"]["id"] != first["id"] and later["invoice"]["status"] == "draft"
    assert get(ohms, b.desk, first["id"]).json()["total"] == money("944.00")


def test_concurrent_issuing_numbers_without_gaps(ohms: Ohms) -> None:
    """20 drafts of 20 patients issued by 20 threads at once: exactly 1..20. Then 20 threads
    issue one draft: one wins, the others' numbers are given back (the next is 22)."""
    b = billing_org(ohms)
    drafts = [charge(ohms, b.desk, ohms.register_patient())["invoice"]["id"]
              for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)

    def race(invoice_id: str) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post(f"/api/v1/invoices/{invoice_id}/issue", headers=b.desk.headers)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(race, drafts))
    assert [r.status_code for r in answers] == [200] * RACERS, [r.text for r in answers]
    numbers = sorted(r.json()["number"] for r in answers)
    assert numbers == [f"INV-{YEAR}-{n:06d}" for n in range(1, RACERS + 1)]

    contested = charge(ohms, b.desk, ohms.register_patient())["invoice"]["id"]
    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(race, [contested] * RACERS))
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] + [409] * (RACERS - 1), [r.text for r in answers]
    won = next(r.json() for r in answers if r.status_code == 200)
    assert won["number"] == f"INV-{YEAR}-{RACERS + 1:06d}"
    after = issued_invoice(ohms, b.desk, ohms.register_patient())
    assert after["number"] == f"INV-{YEAR}-{RACERS + 2:06d}"
    with ohms.db() as s:
        issued = s.scalars(select(Invoice.sequence).where(
            Invoice.organization_id == uuid.UUID(b.org), Invoice.number.is_not(None))).all()
    assert sorted(issued) == list(range(1, RACERS + 3))


def test_each_organisation_numbers_its_own_invoices(ohms: Ohms) -> None:
    one, two = billing_org(ohms), billing_org(ohms, "clinic")
    patient = ohms.register_patient()
    assert issued_invoice(ohms, one.desk, patient)["number"] == f"INV-{YEAR}-000001"
    assert issued_invoice(ohms, two.desk, patient)["number"] == f"INV-{YEAR}-000001"
    assert issued_invoice(ohms, one.desk, patient)["number"] == f"INV-{YEAR}-000002"


# --- voiding -------------------------------------------------------------------------------------


def test_void_keeps_number_and_lines_and_only_before_anything_is_paid(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    inv = issued_invoice(ohms, b.desk, patient, [{"description": "Consultation",
                                                  "quantity": 1, "unit_price": "500.00",
                                                  "tax_rate": "0.18"}, LAB_TEST])
    voided = void(ohms, b.desk, inv["id"])
    assert voided.status_code == 200, voided.text
    body = voided.json()
    assert body["status"] == "void" and body["balance"] == money("0.00")
    assert body["number"] == inv["number"] and body["lines"] == inv["lines"]
    assert body["total"] == inv["total"] and body["reason"] == "issued to the wrong patient"
    again = void(ohms, b.desk, inv["id"])
    assert again.status_code == 409 and "already void" in again.json()["detail"]
    assert credit(ohms, b.desk, inv["id"]).status_code == 409

    # A draft has nothing to void; a paid-on invoice is corrected by a credit note.
    draft = charge(ohms, b.desk, patient)["invoice"]
    assert void(ohms, b.desk, draft["id"]).status_code == 409
    paid = issued_invoice(ohms, b.desk, ohms.register_patient())
    settle(ohms, paid["id"], "100.00")
    refused = void(ohms, b.desk, paid["id"])
    assert refused.status_code == 409 and "credit note" in refused.json()["detail"]
    after = get(ohms, b.desk, paid["id"]).json()
    assert after["status"] == "partly_paid" and after["balance"] == money("490.00")
    # The voided invoice still counts in the numbering: the next is the next number.
    assert issued_invoice(ohms, b.desk, ohms.register_patient())["number"] == (
        f"INV-{YEAR}-000003")


# --- credit notes ---------------------------------------------------------------------------------


def test_credit_notes_keep_the_totals_consistent(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    inv = issued_invoice(ohms, b.desk, patient, [{"description": "Consultation",
                                                  "quantity": 1, "unit_price": "500.00",
                                                  "tax_rate": "0.18"}, LAB_TEST])
    consult, lab = inv["lines"]
    settle(ohms, inv["id"], "100.00")

    # Part of the consultation: 118.00, its tax in the line's proportion (90/590).
    r = credit(ohms, b.desk, inv["id"], lines=[{"charge": consult["id"],
                                                "amount": money("118.00")}])
    assert r.status_code == 201, r.text
    note = r.json()
    assert note["kind"] == "credit_note" and note["credit_of"] == inv["id"]
    assert note["number"] == f"CN-{YEAR}-000001" and note["status"] == "issued"
    assert note["total"] == money("118.00") and note["tax_total"] == money("18.00")
    assert note["net_total"] == money("100.00") and note["balance"] == money("0.00")
    assert [(line["credit_of"], line["amount"]) for line in note["lines"]] == [
        (consult["id"], money("118.00"))]
    consistent(note)
    after = get(ohms, b.desk, inv["id"]).json()
    assert after["total"] == inv["total"]            # an issued invoice is never edited
    assert after["credited_total"] == money("118.00")
    assert after["balance"] == money("410.89")       # 628.89 - 100.00 - 118.00
    consistent(after)

    # More than a line has left: 422; more than the balance: 409 (refund first). Nothing
    # changes either way.
    before = row_counts(ohms, b.org)
    over_line = credit(ohms, b.desk, inv["id"], lines=[{"charge": lab["id"],
                                                        "amount": money("38.90")}])
    assert over_line.status_code == 422 and over_line.headers["content-type"] == PROBLEM
    whole = credit(ohms, b.desk, inv["id"])    # 510.89 left on the lines > 410.89 owed
    assert whole.status_code == 409 and "refund" in whole.json()["detail"]
    for bad in ([{"charge": str(uuid.uuid4()), "amount": money("1.00")}],
                [{"charge": lab["id"], "amount": money("1.00", "USD")}],
                [{"charge": lab["id"], "amount": money("0.00")}],
                [{"charge": lab["id"], "amount": money("1.00")}] * 2):
        assert credit(ohms, b.desk, inv["id"], lines=bad).status_code == 422, bad
    assert row_counts(ohms, b.org) == before
    assert get(ohms, b.desk, inv["id"]).json() == after

    # The payment refunded, the rest of every line is credited by default.
    with ohms.db() as s:
        assert give_back(s, invoice_id=uuid.UUID(inv["id"]), amount=Decimal("100.00"),
                         settled=Settled.paid) is not None
    rest = credit(ohms, b.desk, inv["id"])
    assert rest.status_code == 201, rest.text
    assert rest.json()["number"] == f"CN-{YEAR}-000002"
    assert rest.json()["total"] == money("510.89")
    assert {line["credit_of"]: line["amount"] for line in rest.json()["lines"]} == {
        consult["id"]: money("472.00"), lab["id"]: money("38.89")}
    final = get(ohms, b.desk, inv["id"]).json()
    assert final["balance"] == money("0.00") and final["credited_total"] == inv["total"]
    consistent(final)
    nothing_left = credit(ohms, b.desk, inv["id"])
    assert nothing_left.status_code == 409
    # A credit note is not itself credited or voided.
    assert credit(ohms, b.desk, note["id"]).status_code == 409
    assert void(ohms, b.desk, note["id"]).status_code == 409
    # The patient sees the credit notes with the invoice.
    mine = ohms.client.get("/api/v1/invoices", headers=patient.headers).json()
    assert {i["number"] for i in mine} == {inv["number"], note["number"],
                                           rest.json()["number"]}


def test_a_retried_credit_note_with_its_idempotency_key_credits_once(ohms: Ohms) -> None:
    b = billing_org(ohms)
    inv = issued_invoice(ohms, b.desk, ohms.register_patient(), [LAB_TEST])
    [line] = inv["lines"]
    key = f"credit-{uuid.uuid4()}"
    body = {"reason": "charged in error",
            "lines": [{"charge": line["id"], "amount": money("10.00")}]}

    def post(json: dict[str, Any], client: TestClient | None = None) -> httpx.Response:
        return (client or ohms.client).post(
            f"/api/v1/invoices/{inv['id']}/credit-notes", json=json,
            headers={**b.desk.headers, "Idempotency-Key": key})

    barrier = threading.Barrier(4)

    def race(_: int) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return post(body, client)

    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(race, range(4)))
    assert [r.status_code for r in answers] == [201] * 4, [r.text for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(1 for r in answers if "idempotent-replayed" not in r.headers) == 1
    again = post(body)
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    other = post({**body, "reason": "another reason"})
    assert other.status_code == 422 and other.headers["content-type"] == PROBLEM
    after = get(ohms, b.desk, inv["id"]).json()
    assert after["credited_total"] == money("10.00")
    consistent(after)


def test_sum_of_invoices_less_credit_notes_is_what_is_owed_and_paid(ohms: Ohms) -> None:
    """Across an organisation's invoices, after payments, an insurer's settlement, a void and
    credit notes: invoiced - credited = owed + paid + settled (void invoices count nothing)."""
    b = billing_org(ohms)
    made = [issued_invoice(ohms, b.desk, ohms.register_patient(), [
        {"description": "Consultation", "quantity": 1, "unit_price": "500.00",
         "tax_rate": "0.18"}, LAB_TEST]) for _ in range(4)]
    settle(ohms, made[0]["id"], "628.89")                       # paid in full
    settle(ohms, made[1]["id"], "300.00", Settled.insurer)      # insurer's part
    settle(ohms, made[1]["id"], "28.89")
    assert void(ohms, b.desk, made[2]["id"]).status_code == 200
    assert credit(ohms, b.desk, made[3]["id"], lines=[
        {"charge": made[3]["lines"][1]["id"], "amount": money("10.00")}]).status_code == 201
    assert credit(ohms, b.desk, made[1]["id"], lines=[
        {"charge": made[1]["lines"][0]["id"], "amount": money("59.00")}]).status_code == 201
    listed = ohms.client.get("/api/v1/invoices", headers=b.desk.headers,
                             params={"limit": 200}).json()
    invoices = [i for i in listed if i["kind"] == "invoice" and i["status"] != "void"]
    notes = [i for i in listed if i["kind"] == "credit_note"]
    invoiced = sum(amount(i["total"]) for i in invoices)
    credited = sum(amount(n["total"]) for n in notes)
    owed = sum(amount(i["balance"]) for i in invoices)
    paid = sum(amount(i["paid_total"]) + amount(i["insurer_total"]) for i in invoices)
    assert invoiced - credited == owed + paid
    assert credited == sum(amount(i["credited_total"]) for i in invoices) == Decimal("69.00")
    for i in listed:
        consistent(i)


def test_concurrent_credit_notes_of_one_line_credit_it_once(ohms: Ohms) -> None:
    """8 desks credit the same line in full at once: one credit note, the others refused
    (the balance would have allowed several), and the numbering has no gap."""
    b = billing_org(ohms)
    inv = issued_invoice(ohms, b.desk, ohms.register_patient(), [
        {"description": "Consultation", "quantity": 1, "unit_price": "500.00",
         "tax_rate": "0.18"}, LAB_TEST])
    lab = inv["lines"][1]
    barrier = threading.Barrier(8)

    def race(_: int) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post(f"/api/v1/invoices/{inv['id']}/credit-notes",
                           headers=b.desk.headers, json={"reason": "not done", "lines": [
                               {"charge": lab["id"], "amount": money("38.89")}]})

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(race, range(8)))
    codes = sorted(r.status_code for r in answers)
    assert codes.count(201) == 1 and set(codes) <= {201, 409, 422}, [r.text for r in answers]
    after = get(ohms, b.desk, inv["id"]).json()
    assert after["credited_total"] == money("38.89") and after["balance"] == money("590.00")
    consistent(after)
    next_note = credit(ohms, b.desk, inv["id"], lines=[
        {"charge": inv["lines"][0]["id"], "amount": money("10.00")}])
    assert next_note.json()["number"] == f"CN-{YEAR}-000002"


# --- who sees what ----------------------------------------------------------------------------


def test_a_patient_sees_only_their_own_issued_invoices(ohms: Ohms) -> None:
    b = billing_org(ohms)
    alice, bob = ohms.register_patient(), ohms.register_patient()
    hers = issued_invoice(ohms, b.desk, alice)
    his = issued_invoice(ohms, b.desk, bob)
    charge(ohms, b.desk, alice)            # a draft: not hers to see yet
    mine = ohms.client.get("/api/v1/invoices", headers=alice.headers)
    assert mine.status_code == 200
    assert [i["id"] for i in mine.json()] == [hers["id"]]
    assert mine.json()[0]["patient"] == alice.uhid
    assert get(ohms, alice, hers["id"]).json()["number"] == hers["number"]
    assert get(ohms, alice, his["id"]).status_code == 404
    # Asking for another patient's invoices finds none.
    other = ohms.client.get("/api/v1/invoices", headers=alice.headers,
                            params={"patient": bob.uhid})
    assert other.status_code == 200 and other.json() == []
    # A patient charges, issues, voids and credits nothing.
    assert post_charge(ohms, alice, alice).status_code == 403
    assert issue(ohms, alice, hers["id"]).status_code == 403
    assert void(ohms, alice, hers["id"]).status_code == 403
    assert credit(ohms, alice, hers["id"]).status_code == 403


def test_another_organisations_invoice_answers_404_and_changes_nothing(ohms: Ohms) -> None:
    ours, theirs = billing_org(ohms), billing_org(ohms)
    patient = ohms.register_patient()
    inv = issued_invoice(ohms, ours.desk, patient)
    draft = charge(ohms, ours.desk, ohms.register_patient())["invoice"]
    before = row_counts(ohms, ours.org)
    for user in (theirs.desk, theirs.admin):
        assert get(ohms, user, inv["id"]).status_code == 404
        assert issue(ohms, user, draft["id"]).status_code == 404
        assert void(ohms, user, inv["id"]).status_code == 404
        assert credit(ohms, user, inv["id"]).status_code == 404
        assert credit(ohms, user, inv["id"], lines=[
            {"charge": inv["lines"][0]["id"], "amount": money("1.00")}]).status_code == 404
        pdf = ohms.client.get(f"/api/v1/invoices/{inv['id']}/pdf", headers=user.headers)
        assert pdf.status_code == 404 and pdf.headers["content-type"] == PROBLEM
        listed = ohms.client.get("/api/v1/invoices", headers=user.headers,
                                 params={"patient": patient.uhid})
        assert listed.status_code == 200 and listed.json() == []
    assert row_counts(ohms, ours.org) == before
    assert get(ohms, ours.desk, inv["id"]).json()["status"] == "issued"
    assert get(ohms, ours.desk, draft["id"]).json()["status"] == "draft"


def test_staff_without_billing_write_are_refused(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    inv = issued_invoice(ohms, b.desk, patient)
    draft = charge(ohms, b.desk, ohms.register_patient())["invoice"]
    physician = ohms.add_member(b.org, "physician")
    before = row_counts(ohms, b.org)
    for user in (physician, ohms.add_member(b.org, "nurse")):
        r = post_charge(ohms, user, patient)
        assert r.status_code == 403 and r.headers["content-type"] == PROBLEM
        assert issue(ohms, user, draft["id"]).status_code == 403
        assert void(ohms, user, inv["id"]).status_code == 403
        assert credit(ohms, user, inv["id"]).status_code == 403
        # Nor do they read the invoices (no billing:read).
        assert get(ohms, user, inv["id"]).status_code == 403
        assert ohms.client.get("/api/v1/invoices", headers=user.headers).status_code == 403
    assert ohms.client.post("/api/v1/charges", json={}).status_code == 401
    assert row_counts(ohms, b.org) == before
    # The organisation's administrator bills too (billing:write).
    assert charge(ohms, b.admin, patient)["invoice"]["status"] == "draft"


def test_bad_input_is_422_and_changes_nothing(ohms: Ohms) -> None:
    b = billing_org(ohms)
    patient = ohms.register_patient()
    charge(ohms, b.desk, patient)
    before = row_counts(ohms, b.org)
    bad_lines: list[dict[str, Any]] = [
        {"unit_price": {"amount": 500.0, "currency": "INR"}},     # a float
        {"unit_price": {"amount": "-1.00", "currency": "INR"}},
        {"unit_price": {"amount": "1.00001", "currency": "INR"}},
        {"unit_price": {"amount": "NaN", "currency": "INR"}},
        {"unit_price": {"amount": "1.00", "currency": "inr"}},
        {"unit_price": {"amount": "1.00", "currency": "INR", "fx": "1"}},
        {"quantity": 0}, {"quantity": -2}, {"quantity": 1.5}, {"quantity": "2"},
        {"tax_rate": "1.00"}, {"tax_rate": "-0.01"}, {"tax_rate": 0.18},
        {"tax_rate": "0.123456"},
        {"reason": ""}, {"reason": "   "}, {"reason": "x" * 501}, {"reason": "a\u202eb"},
        {"description": ""}, {"description": "x" * 201},
        {"code": {"system": "not a uri", "code": "1", "display": "x"}},
        {"service_date": "1899-01-01"}, {"surprise": True},
    ]
    for fields in bad_lines:
        r = post_charge(ohms, b.desk, patient, **fields)
        assert r.status_code == 422, (fields, r.text)
        assert r.headers["content-type"] == PROBLEM
    missing = ohms.client.post("/api/v1/charges", headers=b.desk.headers, json={
        "patient": patient.uhid, "description": "x", "quantity": 1,
        "unit_price": money("1.00"), "tax_rate": "0"})          # no reason
    assert missing.status_code == 422
    assert post_charge(ohms, b.desk, "not-a-uhid").status_code == 422
    unknown = post_charge(ohms, b.desk, "99999999999999")
    assert unknown.status_code in (404, 422)
    staff = post_charge(ohms, b.desk, b.desk.uhid)              # not a patient
    assert staff.status_code == 404
    inv_id = charge(ohms, b.desk, patient)["invoice"]["id"]
    before = row_counts(ohms, b.org)
    for body in ({}, {"reason": ""}, {"reason": "x", "lines": []},
                 {"reason": "x", "lines": [{"charge": "nope", "amount": money("1.00")}]}):
        r = ohms.client.post(f"/api/v1/invoices/{inv_id}/credit-notes",
                             headers=b.desk.headers, json=body)
        assert r.status_code == 422, (body, r.text)
    assert ohms.client.post(f"/api/v1/invoices/{inv_id}/void", headers=b.desk.headers,
                            json={}).status_code == 422
    assert ohms.client.post("/api/v1/invoices/not-an-id/issue",
                            headers=b.desk.headers).status_code == 422
    assert ohms.client.get("/api/v1/invoices", headers=b.desk.headers,
                           params={"status": "lost"}).status_code == 422
    assert row_counts(ohms, b.org) == before
