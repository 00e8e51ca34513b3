"""The pharmacy screens through the served demo, as the people who use them: the pharmacist
fills the demo patient's metformin prescription in part from the lot suggested (first expiry,
first out) and the rest from the second lot, a dispense over the prescription refused next
to its quantity; the stock falls below its reorder point and shows the alert; the patient
sees her prescription dispensed. The pharmacist orders metformin from MedSupply and sends
the order, the vendor accepts it, and the pharmacist receives part of it: the stock rises by
exactly the units received. In an open encounter the hospital physician prescribes from the
catalogue; the hospital keeps its own keys, so the portal says plainly that the service
could not check the allergies.

The tests run in file order and build on each other (one served demo per module)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.journeys import check_in_tomorrow, open_screen, sign_in, token_of

pytestmark = pytest.mark.xdist_group("tests/e2e/test_pharmacy.py")

PATIENT = "patient@ohms.demo"
PHARMACIST = "pharmacist@pharmacy.demo"
VENDOR = "vendor@vendor.demo"
PHYSICIAN = "physician@hospital.demo"
HELPDESK = "helpdesk@hospital.demo"
METFORMIN = "metformin hydrochloride 500 MG Oral Tablet"




def stock_item(page: Page, name: str) -> Locator:
    return page.get_by_test_id("stock-item").filter(
        has=page.get_by_role("heading", name=re.compile(re.escape(name))))


def on_hand(item: Locator) -> int:
    text = item.locator(".fact").filter(has_text="On hand").locator("dd").inner_text()
    return int(text)


def test_the_pharmacist_dispenses_from_two_lots_and_sees_the_reorder_alert(
        page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHARMACIST)
    open_screen(page, "Prescriptions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Prescriptions to dispense")
    rx = page.locator("li.rx-queue-item").filter(has_text=METFORMIN)
    expect(rx).to_have_count(1)
    expect(rx).to_contain_text("Priya Patient")
    expect(rx.locator(".fact").filter(has_text="Left to dispense")).to_contain_text("60")
    expect(rx.locator(".fact").filter(has_text="Suggested lot")).to_contain_text("MET-2403")
    # The hospital keeps its own keys: said plainly.
    expect(rx).to_contain_text("keeps its own keys")
    check_accessibility(page)
    screenshots(page, "pharmacy-queue")

    # More than the prescription: refused, next to the quantity.
    console(page).expect_failed_response(409)
    rx.get_by_label("Quantity to dispense").fill("61")
    rx.get_by_role("button", name="Dispense").click()
    expect(rx.get_by_role("alert")).to_be_visible()
    expect(rx.get_by_label("Quantity to dispense")).to_have_attribute("aria-invalid", "true")

    # Part of it from the suggested lot (chosen already).
    expect(rx.get_by_label("Lot")).to_have_value(re.compile(".+"))
    expect(rx.get_by_label("Lot").locator("option:checked")).to_contain_text("MET-2403")
    rx.get_by_label("Quantity to dispense").fill("30")
    rx.get_by_role("button", name="Dispense").click()
    expect(rx.get_by_role("status")).to_have_text("Dispensed 30; 0 left in lot MET-2403.")
    expect(rx.locator(".fact").filter(has_text="Left to dispense")).to_contain_text("30")
    # The first lot is empty: the next suggestion is the second one.
    expect(rx.locator(".fact").filter(has_text="Suggested lot")).to_contain_text("MET-2511")
    expect(rx.get_by_label("Lot").locator("option:checked")).to_contain_text("MET-2511")
    rx.get_by_label("Quantity to dispense").fill("30")
    rx.get_by_role("button", name="Dispense").click()
    # Filled: it leaves the queue.
    expect(page.get_by_text("No prescription is waiting.")).to_be_visible()

    open_screen(page, "Stock")
    item = stock_item(page, METFORMIN)
    expect(item.locator(".fact").filter(has_text="On hand")).to_contain_text("30")
    expect(item.get_by_text("Below reorder point")).to_be_visible()
    item.get_by_role("button", name=f"Lots of {METFORMIN}").click()
    expect(item.locator(".rx-lots li")).to_have_count(1)
    expect(item.locator(".rx-lots li")).to_contain_text("MET-2511")
    amoxicillin = stock_item(page, "amoxicillin 500 MG Oral Capsule")
    amoxicillin.get_by_role("button", name=re.compile("^Lots of amoxicillin")).click()
    # First expiry first.
    expect(amoxicillin.locator(".rx-lots li").first).to_contain_text("AMX-2401")
    expect(amoxicillin.locator(".rx-lots li").nth(1)).to_contain_text("AMX-2507")
    check_accessibility(page)
    screenshots(page, "pharmacy-stock")


def test_the_patient_sees_her_prescription_dispensed(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PATIENT)
    open_screen(page, "Prescriptions")
    expect(page.get_by_role("heading", level=1)).to_have_text("My prescriptions")
    mine = page.locator("li.item").filter(has_text=METFORMIN)
    expect(mine).to_contain_text("Completed")
    expect(mine.locator(".fact").filter(has_text="Dispensed")).to_contain_text("60 of 60")
    expect(mine.locator(".fact").filter(has_text="Pharmacy")).to_contain_text("Corner Pharmacy")
    check_accessibility(page)
    screenshots(page, "pharmacy-patient")
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("मेरे पर्चे")
    expect(mine).to_contain_text("पूरा")
    screenshots(page, "pharmacy-patient-hi")
    page.get_by_role("button", name="English").click()


def test_the_pharmacist_orders_from_medsupply_and_sends_it(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHARMACIST)
    open_screen(page, "Purchase orders")
    # A draft made by mistake is cancelled.
    page.get_by_label("Vendor").select_option(label="MedSupply Drug Vendors")
    page.get_by_label("Packs of Paracetamol 500 mg tablets").fill("5")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_text("Draft created.")).to_be_visible()
    mistake = page.get_by_test_id("purchase-order").first
    expect(mistake).to_contain_text("Paracetamol 500 mg tablets: 0 of 5 packs received")
    mistake.get_by_role("button", name="Cancel the order").click()
    expect(mistake).to_contain_text("Cancelled")
    expect(mistake.get_by_role("button")).to_have_count(0)

    page.get_by_label("Packs of Metformin 500 mg tablets").fill("3")
    page.get_by_role("button", name="Create the draft").click()
    expect(page.get_by_text("Draft created.")).to_be_visible()
    order = page.get_by_test_id("purchase-order").first
    expect(order).to_contain_text("MedSupply Drug Vendors")
    expect(order).to_contain_text("Draft")
    expect(order).to_contain_text("0 of 3 packs received")
    check_accessibility(page)
    order.get_by_role("button", name="Send to the vendor").click()
    expect(order).to_contain_text("Sent")
    expect(order.get_by_role("button", name="Send to the vendor")).to_have_count(0)
    screenshots(page, "pharmacy-purchase-order")


def test_the_vendor_accepts_the_order(page: Page, demo: Demo) -> None:
    sign_in(page, demo, VENDOR)
    open_screen(page, "Purchase orders")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders sent to you")
    order = page.get_by_test_id("purchase-order").first
    expect(order).to_contain_text("Corner Pharmacy")
    order.get_by_role("button", name="Accept the order").click()
    expect(order).to_contain_text("Accepted")
    check_accessibility(page)
    screenshots(page, "pharmacy-vendor-inbox")

    open_screen(page, "Catalogue")
    expect(page.get_by_role("heading", name=re.compile("^Amoxicillin 500 mg capsules"))
           ).to_be_visible()
    # A lot of amoxicillin is recalled: no pharmacy dispenses from it any more.
    page.get_by_label("Lot number to recall (Amoxicillin 500 mg capsules)").fill("AMX-2401")
    page.get_by_role("button", name="Recall the lot").first.click()
    expect(page.get_by_role("status").filter(has_text="recalled")).to_have_text(
        "Lot AMX-2401 recalled.")
    add = page.get_by_role("region", name="Add a product")
    add.get_by_label("Product name").fill("Amoxicillin 250 mg capsules")
    add.get_by_label("RxNorm code").fill("308182")
    add.get_by_label("Medication name").fill("amoxicillin 250 MG Oral Capsule")
    add.get_by_label("Strength").fill("250 mg")
    add.get_by_label("Form").fill("capsule")
    add.get_by_label("Units per pack").fill("100")
    add.get_by_label("Price of a pack").fill("300")
    add.get_by_role("button", name="Add the product").click()
    expect(add.get_by_role("status")).to_have_text("Product Amoxicillin 250 mg capsules added.")
    expect(page.get_by_role("heading", name=re.compile("^Amoxicillin 250 mg capsules"))
           ).to_be_visible()
    check_accessibility(page)
    screenshots(page, "pharmacy-vendor-catalogue")


def test_the_pharmacist_receives_part_of_it_and_the_stock_rises_by_as_much(
        page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHARMACIST)
    open_screen(page, "Stock")
    before = on_hand(stock_item(page, METFORMIN))

    open_screen(page, "Purchase orders")
    order = page.get_by_test_id("purchase-order").first
    expect(order).to_contain_text("Accepted")
    name = "Metformin 500 mg tablets"
    expiry = (datetime.now(UTC) + timedelta(days=730)).date().isoformat()
    order.get_by_label(f"Lot number of {name}").fill("MET-2611")
    order.get_by_label(f"Expiry of {name}").fill(expiry)
    order.get_by_label(f"Packs of {name} received").fill("1")
    order.get_by_role("button", name="Record the receipt").click()
    expect(order.get_by_role("status").filter(has_text="Received into stock.")).to_be_visible()
    expect(order).to_contain_text("Partly received")
    expect(order).to_contain_text("1 of 3 packs received")
    screenshots(page, "pharmacy-receipt")

    open_screen(page, "Stock")
    item = stock_item(page, METFORMIN)
    # One pack of 100 tablets.
    expect(item.locator(".fact").filter(has_text="On hand").locator("dd")).to_have_text(
        str(before + 100))
    expect(item.get_by_text("Below reorder point")).to_have_count(0)




def test_the_physician_prescribes_in_the_encounter(page: Page, demo: Demo) -> None:
    check_in_tomorrow(demo, patient=PATIENT, helpdesk=HELPDESK)
    sign_in(page, demo, PHYSICIAN)
    open_screen(page, "Calendar")
    page.get_by_role("button", name="Next day").click()
    arrived = page.get_by_test_id("appointment").filter(has_text="Checked in")
    arrived.get_by_role("button", name="Open the encounter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Encounter")
    patient = page.get_by_role("region", name="Patient", exact=True)
    patient.get_by_label("Patient's UHID").fill(demo.logins[PATIENT].uhid)
    patient.get_by_role("button", name="Find the patient").click()
    expect(patient).to_contain_text("Priya Patient")
    form = page.get_by_role("region", name="Prescribe a medication")
    expect(form).to_be_visible()
    form.get_by_label("Search the vendors' catalogue").fill("paracetamol")
    form.get_by_role("button", name="Search").click()
    form.get_by_role("button", name=re.compile("^Use Paracetamol 500 mg tablets")).click()
    expect(form.get_by_label("RxNorm code")).to_have_value("198440")
    form.get_by_label("Dosage (as the label reads)").fill("1 tablet up to 4 times a day for pain")
    form.get_by_label("Quantity per fill").fill("20")
    form.get_by_label("Pharmacy").select_option(label="Corner Pharmacy")
    form.get_by_role("button", name="Prescribe").click()
    done = form.get_by_role("status")
    expect(done).to_contain_text("Prescribed acetaminophen 500 MG Oral Tablet to Corner Pharmacy.")
    expect(done).to_contain_text("this institution keeps its own keys")
    check_accessibility(page)
    screenshots(page, "pharmacy-prescribe")


CLINIC = "Riverside Family Clinic"
CLINIC_PHYSICIAN = "physician@clinic.demo"


def test_a_keystore_tier_clinic_is_warned_of_the_allergy_and_overrides_it(
        page: Page, demo: Demo) -> None:
    """No demo institution is on the keystore tier, so the system administrator puts the
    clinic on it (its staff then read granted records opened by the service) and the patient
    grants it all her records: the service can check her penicillin allergy."""
    from tests.e2e.test_clinical import share, wallet_address
    from tests.e2e.test_portal import unlock_wallet

    with httpx.Client(base_url=demo.base_url) as client:
        admin = token_of(client, demo, "admin@ohms.demo")
        orgs = client.get("/api/v1/directory/organizations", headers=admin,
                          params={"limit": 200}).json()
        clinic = next(o["id"] for o in orgs if o["name"] == CLINIC)
        made = client.post(f"/api/v1/organizations/{clinic}/keys/custodial", headers=admin)
        assert made.status_code == 201, made.text

    sign_in(page, demo, PATIENT)
    unlock_wallet(page, demo, wallet_address(demo))
    share(page, organisation=CLINIC, what="All records",
          summary=re.compile(f"{CLINIC} may read all your records for treatment"))
    page.get_by_role("button", name="Sign out").click()

    # She books Dr. Chen Li tomorrow; the physician confirms and checks her in.
    with httpx.Client(base_url=demo.base_url) as client:
        patient = token_of(client, demo, PATIENT)
        doctor = token_of(client, demo, CLINIC_PHYSICIAN)
        found = client.get("/api/v1/directory/practitioners", headers=patient,
                           params={"q": "Chen"})
        assert found.status_code == 200 and found.json(), found.text
        practitioner = found.json()[0]["id"]
        day = (datetime.now(UTC) + timedelta(days=1)).replace(hour=0, minute=0, second=0,
                                                                 microsecond=0)
        slots = client.get("/api/v1/slots", headers=patient, params={
            "practitioner": practitioner, "start": day.isoformat(),
            "end": (day + timedelta(days=1)).isoformat()})
        assert slots.status_code == 200 and slots.json(), slots.text
        booked = client.post("/api/v1/appointments", headers=patient, json={
            "practitioner": practitioner, "start": slots.json()[0]["start"]})
        assert booked.status_code == 201, booked.text
        appointment = booked.json()["id"]
        if booked.json()["status"] != "booked":
            confirmed = client.post(f"/api/v1/appointments/{appointment}/confirm",
                                    headers=doctor)
            assert confirmed.status_code == 200, confirmed.text
        arrived = client.post(f"/api/v1/appointments/{appointment}/check-in", headers=doctor)
        assert arrived.status_code == 200, arrived.text

    console(page).expect_failed_response(409)  # the allergy warning
    sign_in(page, demo, CLINIC_PHYSICIAN)
    open_screen(page, "Calendar")
    page.get_by_role("button", name="Next day").click()
    arrived_item = page.get_by_test_id("appointment").filter(has_text="Checked in")
    arrived_item.get_by_role("button", name="Open the encounter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Encounter")
    found_patient = page.get_by_role("region", name="Patient", exact=True)
    found_patient.get_by_label("Patient's UHID").fill(demo.logins[PATIENT].uhid)
    found_patient.get_by_role("button", name="Find the patient").click()
    expect(found_patient).to_contain_text("Priya Patient")

    form = page.get_by_role("region", name="Prescribe a medication")
    form.get_by_label("Search the vendors' catalogue").fill("amoxicillin")
    form.get_by_role("button", name="Search").click()
    form.get_by_role("button", name=re.compile("^Use Amoxicillin 500 mg capsules")).click()
    form.get_by_label("Dosage (as the label reads)").fill("500 mg three times a day for 7 days")
    form.get_by_label("Quantity per fill").fill("21")
    form.get_by_label("Pharmacy").select_option(label="Corner Pharmacy")
    form.get_by_role("button", name="Prescribe").click()
    warning = form.get_by_role("alert").filter(has_text="Allergy warning")
    expect(warning).to_contain_text(
        "amoxicillin 500 MG Oral Capsule matches the patient's recorded allergy: Penicillin")
    expect(warning).not_to_contain_text("allergy_override_reason")
    check_accessibility(page)
    screenshots(page, "pharmacy-allergy-warning")
    override = form.get_by_role("button", name="Prescribe despite the allergy")
    override.click()
    reason = form.get_by_label("Reason to prescribe it anyway (required)")
    expect(reason).to_have_attribute("aria-invalid", "true")
    reason.fill("Tolerated amoxicillin last year under observation; rash history only")
    override.click()
    done = form.get_by_role("status")
    expect(done).to_contain_text("Prescribed amoxicillin 500 MG Oral Capsule to Corner Pharmacy.")
    expect(done).to_contain_text("you overrode it with a reason")
    expect(form.get_by_role("alert")).to_have_count(0)


def test_the_pharmacist_is_refused_the_recalled_lot_and_dispenses_from_the_next(
        page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHARMACIST)
    open_screen(page, "Prescriptions")
    rx = page.locator("li.rx-queue-item").filter(has_text="amoxicillin 500 MG Oral Capsule")
    # The recalled lot is not suggested; the next one is.
    expect(rx.locator(".fact").filter(has_text="Suggested lot")).to_contain_text("AMX-2507")
    lot = rx.get_by_label("Lot")
    # The stock's lots load after the queue: wait for them.
    expect(lot.locator("option").filter(has_text="AMX-2401")).to_have_count(1)
    recalled = next(o for o in lot.locator("option").all_inner_texts() if "AMX-2401" in o)
    assert "Recalled" in recalled
    console(page).expect_failed_response(409)
    lot.select_option(label=recalled)
    rx.get_by_label("Quantity to dispense").fill("21")
    rx.get_by_role("button", name="Dispense").click()
    expect(rx.get_by_role("alert")).to_contain_text("recalled")
    lot.select_option(label=next(o for o in lot.locator("option").all_inner_texts()
                                 if "AMX-2507" in o))
    rx.get_by_role("button", name="Dispense").click()
    expect(rx).to_have_count(0)  # filled: it leaves the queue
