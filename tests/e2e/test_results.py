"""The lab and radiology screens as their staff use them: a lab technician writes a lab result;
a radiologist uploads a DICOM study (progress of the bytes sent, then the server's phases),
sees its images and writes the report; the patient then sees both in her own timeline."""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from playwright.sync_api import Page, expect

from pacs_bridge.synthetic import ct_study
from tests.e2e.conftest import Demo, check_accessibility, screenshots
from tests.e2e.test_portal import sign_in, unlock_wallet

PATIENT = "patient@ohms.demo"


def find_patient(page: Page, uhid: str) -> None:
    finder = page.get_by_test_id("find-patient")
    finder.get_by_label("Patient UHID").fill(uhid)
    finder.get_by_role("button", name="Find").click()
    expect(page.get_by_test_id("patient-card")).to_contain_text("Priya Patient")


def test_the_lab_technician_writes_a_lab_result_and_sees_it_listed(page: Page, demo: Demo) -> None:
    # The demo seeds Priya Patient's treatment grant of her lab records (`category:lab`) to
    # Precision Diagnostics Lab (api/demo.py), so its technician may write lab results for
    # her: no grant needs creating here.
    sign_in(page, demo, "labtech@lab.demo")
    expect(page.get_by_role("heading", level=1, name="Results")).to_be_visible()
    find_patient(page, demo.logins[PATIENT].uhid)
    check_accessibility(page)

    form = page.get_by_test_id("lab-result")
    form.get_by_role("button", name="Save result").click()  # refused before anything is sent
    expect(form.get_by_role("alert")).to_contain_text("Choose the test")
    form.get_by_label("Test", exact=True).select_option(label="Haemoglobin (LOINC 718-7)")
    # The test's usual range is filled in; the interpretation follows the typed value.
    expect(form.get_by_label("Lowest normal")).to_have_value("12")
    expect(form.get_by_label("Highest normal")).to_have_value("16")
    form.get_by_label("Result (g/dL)").fill("10.2")
    expect(form.get_by_test_id("lab-interpretation")).to_have_text("Interpretation: Low")
    form.get_by_role("button", name="Save result").click()
    expect(form.get_by_role("status")).to_have_text("Saved: Haemoglobin 10.2 g/dL (Low)")
    expect(form.get_by_label("Result (g/dL)")).to_have_count(0)  # the form starts again

    records = page.get_by_test_id("records")
    mine = records.locator("li", has_text="Written by you")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Lab")
    check_accessibility(page)
    screenshots(page, "results-lab")

    # The same screen in Hindi: every word from the catalogue, still accessible.
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1, name="जाँच परिणाम")).to_be_visible()
    expect(form.get_by_role("heading", name="लैब परिणाम लिखें")).to_be_visible()
    expect(records.locator("li", has_text="लिखने वाले: आप")).to_have_count(1)
    check_accessibility(page)
    screenshots(page, "results-lab-hi")
    page.get_by_role("button", name="English").click()


def test_the_radiologist_uploads_a_study_and_reports_and_the_patient_sees_both(
        page: Page, demo: Demo, tmp_path: Path) -> None:
    from eth_account import Account

    uhid = demo.logins[PATIENT].uhid
    # A new study for her (pydicom, via the synthetic CT maker): every instance carries her
    # UHID as PatientID, as the upload requires. Clearview Radiology Centre holds her
    # seeded treatment grant for imaging (api/demo.py). Its description is this run's own,
    # so a rerun of this test (tests/e2e/conftest.py) finds the study it uploaded itself.
    description = f"CT abdomen {secrets.token_hex(3)}"
    files = []
    for n, data in enumerate(ct_study(uhid, 6, series=1, rows=192, columns=192, phantom=True,
                                      patient_name="Patient^Priya", description=description)):
        path = tmp_path / f"slice-{n:02d}.dcm"
        path.write_bytes(data)
        files.append(str(path))

    sign_in(page, demo, "radiologist@radiology.demo")
    expect(page.get_by_role("heading", level=1, name="Imaging")).to_be_visible()
    find_patient(page, uhid)
    studies = page.get_by_test_id("studies")
    expect(studies.locator(".results-study").first).to_contain_text("CT")  # the seeded chest CT
    before = studies.locator(".results-study").count()
    check_accessibility(page)

    upload = page.get_by_test_id("study-upload")
    upload.get_by_label("DICOM files or ZIP").set_input_files(files)
    expect(upload).to_contain_text("6 file(s) chosen")
    upload.get_by_role("button", name="Upload").click()
    bar = upload.get_by_role("progressbar")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "100")
    expect(upload.get_by_role("status")).to_contain_text(
        "Study uploaded: 6 image(s) in 1 series", timeout=60_000)
    steps = upload.get_by_role("list", name="Upload steps").get_by_role("listitem")
    expect(steps).to_have_text([re.compile(rf"{step}\s*Done") for step in (
        "Sending the files", "Checking the DICOM files", "Storing in your DICOM store",
        "Packing the study archive", "Encrypting the archive for the patient",
        "Filing the study in the patient's record")])

    # The new study is listed first, with its images (fetched with the bearer token).
    expect(studies.locator(".results-study")).to_have_count(before + 1)
    study = studies.locator(".results-study").first
    expect(study).to_contain_text("Images6")
    images = study.get_by_role("img", name=re.compile(r"CT scan, image \d of 6"))
    expect(images).to_have_count(4)
    for i in range(4):
        expect(images.nth(i)).to_have_attribute("src", re.compile(r"^blob:"))
        assert images.nth(i).evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    study.get_by_role("button", name="Show 6 images").click()
    expect(images).to_have_count(6)

    # The report: the conclusion is required, then it is filed and linked to the study.
    study.get_by_role("button", name="File report").click()
    expect(study.get_by_role("alert")).to_have_text("Write the conclusion.")
    study.get_by_label("Findings (optional)").fill("Liver, spleen and kidneys unremarkable.")
    study.get_by_label("Conclusion").fill("No abnormality of the abdomen.")
    study.get_by_role("button", name="File report").click()
    expect(study.get_by_role("status").last).to_have_text("Report filed in the patient's record")
    expect(study.get_by_test_id("study-report")).to_contain_text("A report was filed on")
    check_accessibility(page)
    screenshots(page, "results-radiology")

    # The patient: her wallet opens her records, among them the study and its report.
    page.get_by_role("button", name="Sign out").click()
    wallet = Account.from_key(Account.decrypt(demo.wallet_file.read_text(), demo.password))
    sign_in(page, demo, PATIENT)
    unlock_wallet(page, demo, wallet.address)
    page.get_by_role("button", name="Open my records").click()
    records = page.get_by_test_id("records")
    mine = records.get_by_test_id("study").filter(has_text=description)
    expect(mine).to_have_count(1, timeout=30_000)
    expect(mine).to_contain_text("CT scan")
    expect(mine.get_by_test_id("study-report")).to_contain_text(
        "Report: No abnormality of the abdomen.")
    her_images = mine.get_by_role("img", name=re.compile(r"CT scan, image \d of 6"))
    expect(her_images).to_have_count(4)
    assert her_images.first.evaluate("img => img.decode().then(() => img.naturalWidth)") > 0
    # The report is a record of its own too, read as she reads it.
    expect(records.get_by_test_id("record-open").filter(has_text="Imaging report")).to_contain_text(
        "Liver, spleen and kidneys unremarkable.")
    assert "{" not in records.inner_text()
    check_accessibility(page)
    screenshots(page, "results-patient-study")
