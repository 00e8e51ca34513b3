"""The invoice PDF: what the patient downloads names the organisation (name and address),
the invoice (number, date), the patient (UHID, name), the lines with their taxes, the totals,
payments less refunds, the insurer's settlement, credits and the balance due, and nothing
clinical beyond the service names. Text extracted with pypdf."""

from __future__ import annotations

import io
import re
import uuid
from datetime import UTC, datetime
from decimal import Decimal

import httpx
from pypdf import PdfReader

from api.billing.settlement import Settled, take
from tests.api.billing_helpers import PROBLEM, billing_org, charge, issued_invoice, money
from tests.api.conftest import Ohms, User

YEAR = datetime.now(UTC).year
# What a desk might type as a charge's reason: never printed on the invoice.
CLINICAL_REASON = "suspected dengue, platelets 40000, HIV status pending"
LINES = [
    {"description": "Consultation, cardiology", "quantity": 1, "unit_price": "500.00",
     "tax_rate": "0.18", "reason": CLINICAL_REASON},
    {"description": "Lipid panel", "quantity": 2, "unit_price": "249.50", "tax_rate": "0.05",
     "code": {"system": "http://loinc.org", "code": "57698-3", "display": "Lipid panel"},
     "reason": CLINICAL_REASON},
]


def pdf_of(ohms: Ohms, user: User, invoice_id: str) -> httpx.Response:
    return ohms.client.get(f"/api/v1/invoices/{invoice_id}/pdf", headers=user.headers)


def text_of(response: httpx.Response) -> str:
    reader = PdfReader(io.BytesIO(response.content))
    return re.sub(r"[ \t]+", " ", "\n".join(page.extract_text() for page in reader.pages))


def test_the_patient_downloads_their_invoice_with_its_figures(ohms: Ohms) -> None:
    b = billing_org(ohms, address="14 Residency Road, Bengaluru 560025")
    patient = ohms.register_patient(full_name="Asha Verma")
    inv = issued_invoice(ohms, b.desk, patient, LINES)
    # 500.00 + 90.00 tax; 499.00 + 24.95 tax: 1,113.95 in all.
    assert inv["total"] == money("1113.95")
    paid = ohms.client.post(f"/api/v1/invoices/{inv['id']}/payments",
                            headers={**b.desk.headers, "Idempotency-Key": uuid.uuid4().hex},
                            json={"method": "cash", "amount": money("300.00")})
    assert paid.status_code == 201, paid.text
    refunded = ohms.client.post(f"/api/v1/payments/{paid.json()['id']}/refunds",
                                headers={**b.desk.headers,
                                         "Idempotency-Key": uuid.uuid4().hex},
                                json={"amount": money("50.00"), "reason": "overcharged"})
    assert refunded.status_code == 201, refunded.text
    with ohms.db() as s:
        assert take(s, invoice_id=uuid.UUID(inv["id"]), amount=Decimal("400.00"),
                    settled=Settled.insurer) is not None
    note = ohms.client.post(f"/api/v1/invoices/{inv['id']}/credit-notes",
                            headers=b.desk.headers,
                            json={"reason": "discount", "lines": [
                                {"charge": inv["lines"][1]["id"], "amount": money("20.00")}]})
    assert note.status_code == 201, note.text

    r = pdf_of(ohms, patient, inv["id"])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"] == f'attachment; filename="{inv["number"]}.pdf"'
    assert r.content.startswith(b"%PDF-")
    text = text_of(r)
    for expected in (b.name, "14 Residency Road, Bengaluru 560025", inv["number"],
                     inv["issued_at"][:10], patient.uhid, "Asha Verma",
                     "Consultation, cardiology", "Lipid panel", "18 %", "5 %",
                     "INR 500.00", "INR 90.00", "INR 590.00", "INR 249.50", "INR 24.95",
                     "INR 523.95", "INR 999.00", "INR 114.95", "INR 1,113.95",
                     "cash", "INR 300.00", "refunded INR 50.00", "INR 250.00",
                     "INR 400.00", note.json()["number"], "INR 20.00",
                     # 1113.95 - 250.00 paid - 400.00 insurer - 20.00 credited
                     "Balance due", "INR 443.95"):
        assert expected in text, (expected, text)
    assert amount_after(ohms, b.desk, inv["id"]) == Decimal("443.95")
    for secret in ("dengue", "platelets", "HIV", "57698-3", CLINICAL_REASON):
        assert secret not in text
    # The desk downloads it too.
    staff = pdf_of(ohms, b.desk, inv["id"])
    assert staff.status_code == 200 and text_of(staff) == text
    # The credit note has its own PDF.
    cn = pdf_of(ohms, patient, note.json()["id"])
    assert cn.status_code == 200
    assert "CREDIT NOTE" in text_of(cn) and inv["number"] in text_of(cn)


def amount_after(ohms: Ohms, user: User, invoice_id: str) -> Decimal:
    r = ohms.client.get(f"/api/v1/invoices/{invoice_id}", headers=user.headers)
    return Decimal(r.json()["balance"]["amount"])


def test_names_outside_latin1_are_spelt_not_refused(ohms: Ohms) -> None:
    b = billing_org(ohms, address="Rue de l'Hôpital 3, Genève")
    patient = ohms.register_patient(full_name="Zoë Ñandú आशा")
    inv = issued_invoice(ohms, b.desk, patient, [{"description": "Échographie \u2013 abdomen",
                                                  "quantity": 1, "unit_price": "1000.00",
                                                  "tax_rate": "0"}])
    r = pdf_of(ohms, patient, inv["id"])
    assert r.status_code == 200, r.text
    text = text_of(r)
    assert "Zoë Ñandú" in text and "Rue de l'Hôpital 3, Genève" in text
    assert "Échographie - abdomen" in text and "INR 1,000.00" in text


def test_no_pdf_for_a_draft_another_patient_or_another_organisation(ohms: Ohms) -> None:
    b, other = billing_org(ohms), billing_org(ohms)
    alice, bob = ohms.register_patient(), ohms.register_patient()
    inv = issued_invoice(ohms, b.desk, alice)
    draft = charge(ohms, b.desk, bob)["invoice"]
    refused = pdf_of(ohms, b.desk, draft["id"])
    assert refused.status_code == 409 and refused.headers["content-type"] == PROBLEM
    assert pdf_of(ohms, bob, draft["id"]).status_code == 404    # not his to see yet
    assert pdf_of(ohms, bob, inv["id"]).status_code == 404
    assert pdf_of(ohms, other.desk, inv["id"]).status_code == 404
    assert pdf_of(ohms, b.desk, str(uuid.uuid4())).status_code == 404
    nurse = ohms.add_member(b.org, "nurse")
    assert pdf_of(ohms, nurse, inv["id"]).status_code == 403
    assert ohms.client.get(f"/api/v1/invoices/{inv['id']}/pdf").status_code == 401
    # A void invoice keeps its PDF, marked void.
    assert ohms.client.post(f"/api/v1/invoices/{inv['id']}/void", headers=b.desk.headers,
                            json={"reason": "wrong patient"}).status_code == 200
    void = pdf_of(ohms, alice, inv["id"])
    assert void.status_code == 200 and "INVOICE (VOID)" in text_of(void)


def test_the_organisations_address_is_kept_and_changed_by_its_administrator(
        ohms: Ohms) -> None:
    b = billing_org(ohms, address="1 Old Street, Pune")
    org = ohms.client.get(f"/api/v1/organizations/{b.org}", headers=b.admin.headers)
    assert org.status_code == 200 and org.json()["address"] == "1 Old Street, Pune"
    for bad in ("line one\nline two", "", "x" * 501, "a\u202eb"):
        r = ohms.client.patch(f"/api/v1/organizations/{b.org}", headers=b.admin.headers,
                              json={"address": bad})
        assert r.status_code == 422, bad
    moved = ohms.client.patch(f"/api/v1/organizations/{b.org}", headers=b.admin.headers,
                              json={"address": "  22 New Road, Pune 411001 "})
    assert moved.status_code == 200 and moved.json()["address"] == "22 New Road, Pune 411001"
    patient = ohms.register_patient()
    inv = issued_invoice(ohms, b.desk, patient)
    text = text_of(pdf_of(ohms, patient, inv["id"]))
    assert "22 New Road, Pune 411001" in text and "Old Street" not in text
    # The desk cannot change it (organization:update is the administrator's).
    assert ohms.client.patch(f"/api/v1/organizations/{b.org}", headers=b.desk.headers,
                             json={"address": "elsewhere"}).status_code == 403
