"""The billing screens through the served demo, as the people who use them: the hospital's
helpdesk adds a charge for Arjun, issues the invoice and takes part of it in cash (a payment
above the balance is refused next to its amount); Arjun opens the invoice, downloads its PDF
and pays the rest online on the simulated provider's checkout page, and sees it paid once the
provider's webhook settled it; he adds his insurance; the desk claims another invoice of his
from that insurance. The hospital's administrator (who may not read patients' details) opens
the bills by UHID and voids an invoice issued in error; a void after a payment made meanwhile
is refused next to its reason; the desk credits part of a line; the bills read in Hindi.

The tests run in file order and build on each other (one served demo per module). Arjun (the
second demo patient) has no seeded bills, so the amounts are exactly those made here."""

from __future__ import annotations

import io
import re

import httpx
import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.journeys import open_screen, sign_in, token_of

pytestmark = pytest.mark.xdist_group("tests/e2e/test_billing.py")

PATIENT = "patient2@ohms.demo"
HELPDESK = "helpdesk@hospital.demo"
ADMIN = "orgadmin@hospital.demo"
INSURER = "SecureLife Insurance"
# What the tests made, for the later ones (file order).
made: dict[str, str] = {}


def find_patient(page: Page, demo: Demo) -> None:
    page.get_by_label("Patient UHID").fill(demo.logins[PATIENT].uhid)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Bills of Arjun"))).to_be_visible()


def test_the_desk_charges_issues_and_takes_part_of_the_bill_in_cash(page: Page, demo: Demo) -> None:
    sign_in(page, demo, HELPDESK)
    open_screen(page, "Billing")
    expect(page.get_by_role("heading", level=1)).to_have_text("Billing")
    expect(page.get_by_role("heading", name="Services waiting for a price")).to_be_visible()
    check_accessibility(page)
    find_patient(page, demo)
    expect(page.get_by_text("No bills for this patient at your organisation yet.")).to_be_visible()

    charge = page.get_by_role("form", name="Add a charge")
    # The reason is required: said next to the form, nothing is sent.
    charge.get_by_label("Service", exact=True).fill("Physiotherapy session")
    charge.get_by_label("Quantity").fill("2")
    charge.get_by_label("Unit price (INR)").fill("750")
    charge.get_by_label("Tax rate (%)").fill("18")
    charge.get_by_role("button", name="Add charge").click()
    expect(charge.get_by_role("alert")).to_have_text("Enter why this charge is added by hand.")
    expect(charge.get_by_label("Reason for the charge")).to_have_attribute("aria-invalid", "true")
    charge.get_by_label("Reason for the charge").fill("Booked at the desk")
    charge.get_by_role("button", name="Add charge").click()

    invoice = page.locator("section.bill-details")
    expect(invoice.get_by_role("status").first).to_have_text("Charge added to the draft.")
    expect(invoice.get_by_role("heading", level=2)).to_have_text("Invoice Draft bill")
    row = invoice.get_by_role("row", name=re.compile("Physiotherapy session"))
    expect(row).to_contain_text("₹750.00")
    expect(row).to_contain_text("₹270.00")
    expect(row).to_contain_text("(18 %)")
    expect(row).to_contain_text("₹1,770.00")
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹1,770.00")

    invoice.get_by_role("button", name="Issue invoice").click()
    expect(invoice.get_by_text(re.compile(r"Issue this invoice for ₹1,770\.00\?"))).to_be_visible()
    invoice.get_by_role("button", name="Yes, issue it").click()
    issued = invoice.get_by_role("status").first
    expect(issued).to_have_text(re.compile(r"^Issued as INV-\d{4}-\d+\.$"))
    number = re.search(r"INV-\d{4}-\d+", issued.inner_text())
    assert number is not None
    made["number"] = number.group(0)
    expect(invoice.get_by_role("heading", level=2)).to_have_text(f"Invoice {made['number']}")
    expect(invoice.locator(".badge")).to_have_text("Issued")

    pay = invoice.get_by_role("form", name="Take payment")
    amount = pay.get_by_label("Amount (INR)")
    expect(amount).to_have_value("1770.00")
    # More than the balance: the service refuses it, shown at the amount.
    console(page).expect_failed_response(409)
    amount.fill("5000")
    pay.get_by_role("button", name="Take payment").click()
    expect(pay.get_by_role("alert")).to_contain_text("balance")
    expect(amount).to_have_attribute("aria-invalid", "true")
    expect(amount).to_have_attribute("aria-describedby", re.compile(".+"))
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹1,770.00")

    amount.fill("500")
    pay.get_by_role("button", name="Take payment").click()
    expect(invoice.get_by_role("status").first).to_have_text("Payment of ₹500.00 taken.")
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹1,270.00")
    expect(invoice.locator(".badge")).to_have_text("Partly paid")
    expect(invoice.locator(".bill-rows")).to_contain_text("Cash")
    # The next payment is prefilled with the new balance.
    next_payment = invoice.get_by_role("form", name="Take payment")
    expect(next_payment.get_by_label("Amount (INR)")).to_have_value("1270.00")
    check_accessibility(page)
    screenshots(page, "billing-desk-invoice")


def test_the_patient_downloads_the_pdf_and_pays_the_rest_online(page: Page, demo: Demo) -> None:
    number = made["number"]
    sign_in(page, demo, PATIENT)
    open_screen(page, "Bills")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your bills")
    item = page.locator("li.bill-item").filter(
        has=page.get_by_role("button", name=number, exact=True))
    expect(item).to_contain_text("City General Hospital")
    expect(item).to_contain_text("Partly paid")
    expect(item).to_contain_text("₹1,270.00")
    item.get_by_role("button", name=number, exact=True).click()

    invoice = page.locator("section.bill-details")
    expect(invoice.get_by_role("heading", level=2)).to_have_text(f"Invoice {number}")
    row = invoice.get_by_role("row", name=re.compile("Physiotherapy session"))
    expect(row).to_contain_text("₹1,770.00")
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹1,270.00")
    expect(invoice.locator(".bill-totals")).to_contain_text("Paid by you")
    check_accessibility(page)
    screenshots(page, "bills-invoice")

    with page.expect_download() as download:
        invoice.get_by_role("button", name="Download PDF").click()
    assert download.value.suggested_filename == f"{number}.pdf"
    path = download.value.path()
    pdf = path.read_bytes()
    assert pdf.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert number in text
    assert "Physiotherapy session" in text

    invoice.get_by_role("button", name="Pay ₹1,270.00 online").click()
    # The provider's own page (served by the simulated provider, not the portal).
    expect(page.get_by_role("heading", name="Simulated payment provider")).to_be_visible()
    expect(page.get_by_text("City General Hospital")).to_be_visible()
    screenshots(page, "bills-simulated-checkout")
    page.get_by_role("button", name="Pay 1270.00 INR").click()

    # Back in the portal, at the return address the payments code gave the provider: the
    # bills screen follows the payment until the provider's webhook has settled it.
    expect(page).to_have_url(re.compile(r"#/bills\?invoice=[0-9a-f-]{36}&intent=[0-9a-f-]{36}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Your bills")
    progress = page.locator("section.bill-progress")
    expect(progress.get_by_role("status")).to_have_text(
        "Paid: ₹1,270.00. Balance due now: ₹0.00.", timeout=60_000)
    invoice = page.locator("section.bill-details")
    expect(invoice.get_by_role("heading", level=2)).to_have_text(f"Invoice {number}")
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹0.00")
    expect(invoice.locator(".badge")).to_have_text("Paid")
    expect(invoice.locator(".bill-rows")).to_contain_text("Online")
    expect(invoice.get_by_role("button", name=re.compile("online"))).to_have_count(0)
    # Followed up once: the address no longer names the payment.
    expect(page).to_have_url(re.compile(r"#/bills$"))
    check_accessibility(page)
    screenshots(page, "bills-paid")


def test_the_patient_adds_insurance(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PATIENT)
    open_screen(page, "Bills")
    insurance = page.locator("section.bill-insurance")
    expect(insurance.get_by_text("No insurance recorded.")).to_be_visible()
    form = insurance.get_by_role("form", name="Add insurance")
    form.get_by_label("Insurer").select_option(label=INSURER)
    form.get_by_label("Member ID").fill("ARJ-2026-77")
    form.get_by_label("Plan").fill("Family Health Gold")
    form.get_by_label("Co-pay per claim (INR)").fill("100")
    form.get_by_label("Co-insurance (%)").fill("12.5")
    form.get_by_role("button", name="Add insurance").click()
    expect(form.get_by_role("status")).to_have_text(f"Insurance with {INSURER} added.")
    added = insurance.locator("li.item").filter(has_text="Family Health Gold")
    expect(added).to_contain_text(INSURER)
    expect(added).to_contain_text("ARJ-2026-77")
    expect(added).to_contain_text("12.5 %")
    expect(added).to_contain_text("₹100.00")
    expect(added).to_contain_text("Active")
    check_accessibility(page)
    screenshots(page, "bills-insurance")


def test_the_desk_claims_an_invoice_from_the_patients_insurance(page: Page, demo: Demo) -> None:
    # Another invoice of Arjun's, made and issued through the API (the screen for it is
    # tested above).
    with httpx.Client(base_url=demo.base_url) as client:
        desk = token_of(client, demo, HELPDESK)
        charged = client.post("/api/v1/charges", headers=desk, json={
            "patient": demo.logins[PATIENT].uhid, "description": "Dressing change",
            "quantity": 1, "unit_price": {"amount": "300.00", "currency": "INR"},
            "tax_rate": "0.05", "reason": "Done at the desk"})
        assert charged.status_code == 201, charged.text
        draft = charged.json()["invoice"]["id"]
        issued = client.post(f"/api/v1/invoices/{draft}/issue", headers=desk)
        assert issued.status_code == 200, issued.text
        number = issued.json()["number"]

    sign_in(page, demo, HELPDESK)
    open_screen(page, "Billing")
    find_patient(page, demo)
    page.get_by_role("button", name=number, exact=True).click()
    invoice = page.locator("section.bill-details")
    expect(invoice.get_by_role("heading", level=2)).to_have_text(f"Invoice {number}")
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹315.00")
    claim = invoice.get_by_role("region", name="Submit claim")
    claim.get_by_label("Patient's insurance").select_option(
        label=f"{INSURER} · Family Health Gold · ARJ-2026-77")
    claim.get_by_role("button", name="Submit claim").click()
    expect(claim.get_by_role("status")).to_have_text("Claim submitted. Status: Submitted.")
    expect(claim.get_by_role("list", name="Claims for this invoice")).to_contain_text("₹315.00")
    check_accessibility(page)
    screenshots(page, "billing-desk-claim")


def issued_invoice(client: httpx.Client, demo: Demo, headers: dict[str, str], *,
                   description: str, amount: str) -> dict[str, str]:
    """A manual charge for Arjun on a new draft, issued: the invoice's id and number."""
    charged = client.post("/api/v1/charges", headers=headers, json={
        "patient": demo.logins[PATIENT].uhid, "description": description, "quantity": 1,
        "unit_price": {"amount": amount, "currency": "INR"}, "tax_rate": "0",
        "reason": "Made for the test"})
    assert charged.status_code == 201, charged.text
    draft = charged.json()["invoice"]["id"]
    issued = client.post(f"/api/v1/invoices/{draft}/issue", headers=headers)
    assert issued.status_code == 200, issued.text
    return {"id": draft, "number": issued.json()["number"]}


def test_the_administrator_voids_an_invoice_and_a_void_after_a_payment_is_refused(
        page: Page, demo: Demo) -> None:
    with httpx.Client(base_url=demo.base_url) as client:
        admin = token_of(client, demo, ADMIN)
        wrong = issued_invoice(client, demo, admin, description="Duplicate entry", amount="50.00")
        paid = issued_invoice(client, demo, admin, description="Bandage", amount="80.00")
    made["credit"] = paid["number"]

    # The administrator may not read patients' details: the UHID alone opens their bills.
    sign_in(page, demo, ADMIN)
    open_screen(page, "Billing")
    page.get_by_label("Patient UHID").fill(demo.logins[PATIENT].uhid)
    page.get_by_role("button", name="Find", exact=True).click()
    expect(page.get_by_role("heading", name=re.compile(r"^Bills of \d{2}-\d{4}-"))).to_be_visible()

    page.get_by_role("button", name=wrong["number"], exact=True).click()
    invoice = page.locator("section.bill-details")
    expect(invoice.get_by_role("heading", level=2)).to_have_text(f"Invoice {wrong['number']}")
    invoice.get_by_text("Void", exact=True).click()
    void = invoice.get_by_role("form", name="Void")
    void.get_by_role("button", name=f"Void {wrong['number']}").click()
    expect(void.get_by_role("alert")).to_have_text("Enter the reason for voiding.")
    void.get_by_label("Reason for voiding").fill("Entered twice")
    void.get_by_role("button", name=f"Void {wrong['number']}").click()
    expect(invoice.get_by_role("status").first).to_have_text("The invoice is void.")
    expect(invoice.locator(".badge")).to_have_text("Void")
    expect(invoice.get_by_role("form", name="Take payment")).to_have_count(0)

    # The other one is paid at another desk while this screen shows it unpaid: the void is
    # refused, next to its reason, and nothing changes.
    page.get_by_role("button", name=paid["number"], exact=True).click()
    expect(invoice.get_by_role("heading", level=2)).to_have_text(f"Invoice {paid['number']}")
    with httpx.Client(base_url=demo.base_url) as client:
        taken = client.post(f"/api/v1/invoices/{paid['id']}/payments",
                            headers=token_of(client, demo, HELPDESK) | {
                                "Idempotency-Key": f"e2e-{paid['id']}"},
                            json={"method": "card", "reference": "AUTH-4471",
                                  "amount": {"amount": "30.00", "currency": "INR"}})
        assert taken.status_code == 201, taken.text
    console(page).expect_failed_response(409)
    invoice.get_by_text("Void", exact=True).click()
    void = invoice.get_by_role("form", name="Void")
    void.get_by_label("Reason for voiding").fill("Issued in error")
    void.get_by_role("button", name=f"Void {paid['number']}").click()
    expect(void.get_by_role("alert")).to_be_visible()
    expect(void.get_by_label("Reason for voiding")).to_have_attribute("aria-invalid", "true")
    # The invoice is read again: the payment made meanwhile shows, the refusal stays.
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹50.00")
    expect(invoice.locator(".bill-rows")).to_contain_text("Card")
    expect(void.get_by_role("alert")).to_contain_text("credit note")
    check_accessibility(page)
    screenshots(page, "billing-desk-void-refused")


def test_the_desk_credits_part_of_a_line(page: Page, demo: Demo) -> None:
    number = made["credit"]
    sign_in(page, demo, HELPDESK)
    open_screen(page, "Billing")
    find_patient(page, demo)
    page.get_by_role("button", name=number, exact=True).click()
    invoice = page.locator("section.bill-details")
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹50.00")
    expect(invoice.locator(".bill-rows")).to_contain_text("Card")
    invoice.get_by_text("Credit note", exact=True).click()
    credit = invoice.get_by_role("form", name="Credit note")
    credit.get_by_label("Reason for the credit").fill("Goodwill")
    credit.get_by_label("Amounts of some services").check()
    credit.get_by_label(re.compile(r"^Bandage \(up to ₹80\.00\)")).fill("20")
    credit.get_by_role("button", name="Write credit note").click()
    expect(invoice.get_by_role("status").first).to_have_text(
        re.compile(r"^Credit note CN-\d{4}-\d+ for ₹20\.00 written\.$"))
    expect(invoice.get_by_test_id("invoice-balance")).to_have_text("₹30.00")
    expect(invoice.locator(".bill-totals")).to_contain_text("Credited")
    expect(invoice.locator(".bill-rows").last).to_contain_text(re.compile(r"CN-\d{4}-\d+"))
    check_accessibility(page)


def test_the_bills_read_in_hindi(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PATIENT)
    page.get_by_role("button", name="हिन्दी").click()
    open_screen(page, "बिल")
    expect(page.get_by_role("heading", level=1)).to_have_text("आपके बिल")
    item = page.locator("li.bill-item").filter(
        has=page.get_by_role("button", name=made["number"], exact=True))
    expect(item).to_contain_text("भुगतान हो गया")
    expect(item).to_contain_text("₹1,770.00")
    expect(page.get_by_role("heading", name="आपका बीमा")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "bills-hindi")
