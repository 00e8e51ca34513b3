"""The orders screens through the served demo, as the people who use them: in an open
encounter the hospital physician orders an HbA1c at Precision Diagnostics Lab; the lab
technician finds it on the work list, steps the sample through and files the result against
the order; the order then shows completed to the physician and to the patient. Refusals show
next to their cause (an order without a reason, a result without a value).

The tests run in file order and build on each other (one served demo per module)."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from pacs_bridge.synthetic import ct_study
from tests.e2e.conftest import Demo, check_accessibility, screenshots
from tests.e2e.journeys import check_in_tomorrow, open_screen, sign_in, token_of

# The tests follow one order from the encounter to its result, in order, on one served demo.
pytestmark = pytest.mark.xdist_group("tests/e2e/test_orders.py")

PATIENT = "patient@ohms.demo"
PHYSICIAN = "physician@hospital.demo"
HELPDESK = "helpdesk@hospital.demo"
LABTECH = "labtech@lab.demo"
RADIOLOGIST = "radiologist@radiology.demo"
LAB = "Precision Diagnostics Lab"
RADIOLOGY = "Clearview Radiology Centre"
HBA1C = "Hemoglobin A1c/Hemoglobin.total in Blood"






def the_order(area: Locator | Page) -> Locator:
    return area.get_by_test_id("order").filter(has_text=HBA1C)


def test_the_physician_orders_an_hba1c_in_the_encounter(page: Page, demo: Demo) -> None:
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

    panel = page.get_by_role("region", name="Order a test")
    expect(panel.get_by_role("radio", name="Lab test")).to_be_checked()
    expect(panel.get_by_text("stored only encrypted")).to_be_visible()
    panel.get_by_label("Laboratory").select_option(label=f"{LAB} (lab)")
    panel.get_by_label("Test", exact=True).select_option(label="HbA1c · LOINC 4548-4")
    panel.get_by_role("radio", name="Stat").check()
    # Without a reason nothing is sent: the refusal sits under the form, the field marked.
    panel.get_by_role("button", name="Place the order").click()
    expect(panel.get_by_role("alert")).to_have_text("Enter the reason for the test.")
    reason = panel.get_by_label("Reason for the test")
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(reason).to_be_focused()
    reason.fill("Type 2 diabetes: three-monthly control")
    panel.get_by_role("button", name="Place the order").click()
    expect(panel.get_by_role("status").filter(has_text="Ordered:")).to_have_text(
        f"Ordered: HbA1c at {LAB}.")
    placed = the_order(panel)
    expect(placed).to_have_count(1)
    expect(placed).to_contain_text("Open")
    expect(placed).to_contain_text("Stat")
    expect(placed).to_contain_text(LAB)
    check_accessibility(page)
    screenshots(page, "orders-encounter")

    # Imaging goes to a radiology centre: the performers follow the kind of test.
    panel.get_by_role("radio", name="Imaging").check()
    panel.get_by_label("Radiology centre").select_option(label=f"{RADIOLOGY} (radiology centre)")
    panel.get_by_label("Test", exact=True).select_option(
        label="Chest X-ray, 2 views · LOINC 36643-5")
    panel.get_by_label("Reason for the test").fill("Cough for three weeks")
    panel.get_by_role("button", name="Place the order").click()
    expect(panel.get_by_role("status").filter(has_text="Ordered:")).to_have_text(
        f"Ordered: Chest X-ray, 2 views at {RADIOLOGY}.")
    expect(panel.get_by_test_id("order")).to_have_count(2)


def test_the_lab_steps_the_sample_and_files_the_result(page: Page, demo: Demo) -> None:
    sign_in(page, demo, LABTECH)
    open_screen(page, "Work list")
    expect(page.get_by_role("heading", level=1)).to_have_text("Work list")
    order = the_order(page).filter(has_text="Priya Patient")
    expect(order).to_have_count(1)
    expect(order).to_contain_text("Stat")
    check_accessibility(page)
    expect(order.get_by_text("once the sample is received")).to_be_visible()
    order.get_by_role("button", name="Sample collected").click()
    expect(order).to_contain_text("Collected")
    order.get_by_role("button", name="Sample received").click()
    expect(order).to_contain_text("Received at the lab")
    order.get_by_role("button", name="Testing started").click()
    expect(order).to_contain_text("In progress")

    result = order.get_by_role("form", name="Result: HbA1c")
    value = result.get_by_label("Result (%)")
    # No value: refused in the form, next to the field, nothing sent.
    result.get_by_role("button", name="File the result").click()
    expect(result.get_by_role("alert")).to_have_text("Enter the result.")
    expect(value).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    screenshots(page, "orders-worklist")
    value.fill("6.8")
    result.get_by_role("button", name="File the result").click()
    expect(order.get_by_text("Result filed: the order is completed.")).to_be_visible()
    expect(order).to_contain_text("Completed")
    expect(order).to_contain_text("Resulted")


def test_the_radiology_centre_reports_the_chest_x_ray(
        page: Page, demo: Demo, tmp_path: Path) -> None:
    uhid = demo.logins[PATIENT].uhid
    sign_in(page, demo, RADIOLOGIST)
    open_screen(page, "Work list")
    order = page.get_by_test_id("order").filter(has_text="XR Chest 2 Views")
    expect(order).to_have_count(1)
    expect(order).to_contain_text("Priya Patient")
    # The study is uploaded on the results screen, for this patient, against the order: the
    # link opens it with her found and the upload filed under the order.
    upload = order.get_by_role("link", name="Results and studies")
    expect(upload).to_have_attribute("href", re.compile(rf"^#/results\?uhid={uhid}&order="))
    upload.click()
    expect(page.get_by_role("heading", level=1, name="Imaging")).to_be_visible()
    expect(page.get_by_role("heading", name="Priya Patient")).to_be_visible()
    form = page.get_by_test_id("study-upload")
    expect(form.get_by_role("note")).to_contain_text("filed against the order")
    files = []
    for n, data in enumerate(ct_study(uhid, 2, series=1, rows=64, columns=64,
                                      patient_name="Patient^Priya", description="XR chest")):
        path = tmp_path / f"slice-{n}.dcm"
        path.write_bytes(data)
        files.append(str(path))
    form.get_by_label("DICOM files or ZIP").set_input_files(files)
    form.get_by_role("button", name="Upload").click()
    expect(form.get_by_role("status")).to_contain_text("Study uploaded", timeout=60_000)
    with httpx.Client(base_url=demo.base_url) as client:
        mine = client.get("/api/v1/orders", headers=token_of(client, demo, RADIOLOGIST)).json()
    linked = [o for o in mine if o["code"]["code"] == "36643-5"]
    assert len(linked) == 1 and linked[0]["study_record"], linked

    open_screen(page, "Work list")
    report = order.get_by_role("form", name="Report: Chest X-ray, 2 views")
    report.get_by_role("button", name="File the report").click()
    expect(report.get_by_role("alert")).to_be_visible()
    expect(report.get_by_label("Conclusion")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    report.get_by_label("Conclusion").fill("No active lung disease.")
    report.get_by_role("button", name="File the report").click()
    expect(order.get_by_text("Result filed: the order is completed.")).to_be_visible()


def test_the_physician_sees_the_order_completed(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHYSICIAN)
    open_screen(page, "Orders")
    expect(page.get_by_role("heading", level=1)).to_have_text("Orders")
    order = the_order(page)
    expect(order).to_have_count(1)
    expect(order).to_contain_text("Completed")
    expect(order).to_contain_text("Priya Patient")
    expect(order).to_contain_text(LAB)
    check_accessibility(page)


def test_the_patient_sees_her_order_completed(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PATIENT)
    open_screen(page, "My orders")
    expect(page.get_by_role("heading", level=1)).to_have_text("My orders")
    order = the_order(page)
    expect(order).to_have_count(1)
    expect(order).to_contain_text("Completed")
    expect(order).to_contain_text(LAB)
    page.get_by_label("Show").select_option(label="Open")
    expect(page.get_by_text("No tests have been ordered for you.")).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Show").select_option(label="Completed")
    expect(the_order(page)).to_have_count(1)
    screenshots(page, "orders-patient")
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("मेरे ऑर्डर")
    expect(the_order(page)).to_contain_text("पूरा हुआ")
    check_accessibility(page)
    screenshots(page, "orders-patient-hi")
