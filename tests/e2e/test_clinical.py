"""Clinicians' charts opened through the keystore tier, notes written for the patient and read
by her, a single record shared with a clinic, and the patient's and clinician's screens in
Hindi: the served portal in headless Chromium, as people use it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.test_portal import sign_in, unlock_wallet

CLINIC = "Riverside Family Clinic"


def token_of(demo: Demo, email: str) -> str:
    with httpx.Client(base_url=demo.base_url) as client:
        r = client.post("/api/v1/auth/token", data={"username": email, "password": demo.password})
        assert r.status_code == 200, r.text
        token: str = r.json()["access_token"]
        return token


def api_get(demo: Demo, email: str, path: str) -> httpx.Response:
    with httpx.Client(base_url=demo.base_url) as client:
        return client.get(path, headers={"Authorization": f"Bearer {token_of(demo, email)}"})


@pytest.fixture(scope="module")
def clinic_keystore_tier(demo: Demo) -> Iterator[str]:
    """The clinic on the keystore tier: the service makes and keeps its Umbral keys (what its
    administrator does once; the demo clinic has no administrator, so the system's does)."""
    with httpx.Client(base_url=demo.base_url) as client:
        headers = {"Authorization": f"Bearer {token_of(demo, 'admin@ohms.demo')}"}
        orgs = client.get("/api/v1/directory/organizations", headers=headers,
                          params={"limit": 200}).json()
        clinic = next(o["id"] for o in orgs if o["name"] == CLINIC)
        made = client.post(f"/api/v1/organizations/{clinic}/keys/custodial", headers=headers)
        assert made.status_code == 201, made.text
    yield clinic


def the_patients_records(demo: Demo) -> list[dict[str, object]]:
    uhid = demo.logins["patient@ohms.demo"].uhid
    r = api_get(demo, "patient@ohms.demo", f"/api/v1/patients/{uhid}/records")
    assert r.status_code == 200, r.text
    records: list[dict[str, object]] = r.json()
    return records


def share(page: Page, *, organisation: str, what: str, record: re.Pattern[str] | None = None,
          summary: re.Pattern[str]) -> None:
    """Fill in "Share my records", read the summary, sign, and wait until the chain has it."""
    panel = page.get_by_role("region", name="Share my records")
    panel.get_by_role("radio", name="An organisation").check()
    who = panel.get_by_role("combobox", name="Organisation")
    who.select_option(label=next(o for o in who.locator("option").all_inner_texts()
                                 if o.startswith(organisation)))
    panel.get_by_role("combobox", name="What", exact=True).select_option(label=what)
    if record is not None:
        which = panel.get_by_role("combobox", name="Which record")
        which.select_option(label=next(o for o in which.locator("option").all_inner_texts()
                                       if record.search(o)))
    expect(panel.get_by_test_id("grant-summary")).to_contain_text(summary)
    panel.get_by_role("button", name="Sign and share").click()
    expect(panel.get_by_role("status")).to_contain_text("Shared")
    consents = page.get_by_role("region", name="Consents", exact=True)
    granted = consents.locator("li").filter(has_text=organisation).first
    refresh = consents.get_by_role("button", name="Refresh")
    for _ in range(60):  # the indexer follows the chain in the background
        if "Active" in granted.inner_text():
            break
        refresh.click()
        page.wait_for_timeout(500)
    expect(granted).to_contain_text("Active")


def open_chart(page: Page, demo: Demo) -> Locator:
    patient = demo.logins["patient@ohms.demo"]
    finder = page.get_by_role("region", name="Find a patient")
    finder.get_by_label("Patient UHID").fill(patient.uhid)
    finder.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="Priya Patient")).to_be_visible()
    return page.get_by_role("region", name="Chart")


def wallet_address(demo: Demo) -> str:
    from eth_account import Account

    address: str = Account.from_key(
        Account.decrypt(demo.wallet_file.read_text(), demo.password)).address
    return address


def test_the_clinic_opens_the_one_record_the_patient_shared_and_no_other(
        page: Page, demo: Demo, clinic_keystore_tier: str) -> None:
    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet_address(demo))
    share(page, organisation=CLINIC, what="One record…", record=re.compile(r"^Lab result"),
          summary=re.compile(r"may read one of your records \(Lab result of .+\) and its later "
                             r"versions for treatment until the end of"))
    screenshots(page, "clinical-share-one-record")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, demo, "physician@clinic.demo")
    chart = open_chart(page, demo)
    opened = chart.get_by_test_id("record-open")
    expect(opened).to_have_count(1)
    expect(opened).to_contain_text("Hemoglobin A1c")
    expect(opened).to_contain_text("6.4")
    expect(chart.get_by_test_id("chart-counts")).to_have_text("Opened: 1. Could not be opened: 0.")
    assert "{" not in chart.inner_text()  # as people read it, never as JSON
    check_accessibility(page)
    screenshots(page, "clinical-clinic-one-record")

    # Another record of hers (the progress note) is not the clinic's to open.
    records = the_patients_records(demo)
    lab = next(r for r in records if r["category"] == "lab")
    note = next(r for r in records if r["resource_type"] == "DocumentReference")
    assert api_get(demo, "physician@clinic.demo",
                   f"/api/v1/records/{lab['id']}/resource").status_code == 200
    refused = api_get(demo, "physician@clinic.demo", f"/api/v1/records/{note['id']}/resource")
    assert refused.status_code in (403, 404), refused.text
    assert "blood pressure" not in refused.text


def test_a_hospital_physician_writes_a_note_the_clinic_opens_and_the_patient_reads(
        page: Page, demo: Demo, clinic_keystore_tier: str) -> None:
    """The hospital keeps its own keys (its chart says so, once), yet writes under the
    patient's grant; the clinic, granted all records on the keystore tier, reads everything
    opened, the new note included; the patient opens the note with her wallet."""
    text = "Clinical e2e: started on a lower dose of amlodipine; review in four weeks."
    console(page).expect_failed_response(409)  # the hospital's keys are its own: told once
    sign_in(page, demo, "physician@hospital.demo")
    chart = open_chart(page, demo)
    expect(chart.get_by_role("note")).to_contain_text("keeps its own keys")
    expect(chart.get_by_test_id("record-open")).to_have_count(0)
    write = page.get_by_role("region", name="Write for this patient")
    write.get_by_role("button", name="Note").click()
    write.get_by_label("Note", exact=True).fill(text)
    write.get_by_role("button", name="Save").click()
    expect(write.get_by_role("status")).to_contain_text("Saved")
    screenshots(page, "clinical-hospital-writes")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet_address(demo))
    share(page, organisation=CLINIC, what="All records",
          summary=re.compile(f"{CLINIC} may read all your records for treatment"))
    page.get_by_role("button", name="Open my records").click()
    mine = page.get_by_role("region", name="Records", exact=True).get_by_test_id("record-open")
    expect(mine.filter(has_text="amlodipine")).to_contain_text("review in four weeks")
    page.get_by_role("button", name="Sign out").click()

    sign_in(page, demo, "physician@clinic.demo")
    chart = open_chart(page, demo)
    total = len(the_patients_records(demo))
    expect(chart.get_by_test_id("chart-counts")).to_have_text(
        f"Opened: {total}. Could not be opened: 0.")
    expect(chart.get_by_test_id("record-open").filter(has_text="amlodipine")).to_be_visible()
    expect(chart.get_by_test_id("record-open").filter(has_text="Penicillin")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "clinical-clinic-chart")


def test_the_patient_and_clinician_screens_read_in_hindi(page: Page, demo: Demo) -> None:
    sign_in(page, demo, "patient@ohms.demo")
    expect(page.get_by_role("region", name="Records", exact=True).get_by_role("listitem").first
           ).to_be_visible()
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    expect(page.get_by_role("heading", level=1)).to_have_text("मेरे स्वास्थ्य रिकॉर्ड")
    expect(page.get_by_role("heading", name="मेरे रिकॉर्ड साझा करें")).to_be_visible()
    share_hi = page.get_by_role("region", name="मेरे रिकॉर्ड साझा करें")
    expect(share_hi.get_by_role("combobox", name="क्या", exact=True)).to_be_visible()
    check_accessibility(page)
    screenshots(page, "clinical-patient-hindi")
    page.get_by_role("button", name="English").click()
    page.get_by_role("button", name="Sign out").click()

    console(page).expect_failed_response(409)  # the hospital keeps its own keys
    sign_in(page, demo, "physician@hospital.demo")
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("मरीज़")
    finder = page.get_by_role("region", name="मरीज़ खोजें")
    finder.get_by_label("मरीज़ का UHID").fill(demo.logins["patient@ohms.demo"].uhid)
    finder.get_by_role("button", name="खोजें").click()
    chart = page.get_by_role("region", name="चार्ट")
    expect(chart.get_by_role("note")).to_contain_text("अपनी कुंजियाँ स्वयं रखता है")
    write = page.get_by_role("region", name="इस मरीज़ के लिए लिखें")
    write.get_by_role("button", name="जीवन संकेत").click()
    write.get_by_label("हृदय गति (/मिनट)").fill("400")
    write.get_by_role("button", name="सहेजें").click()
    expect(write.get_by_role("alert")).to_contain_text("हृदय गति 20 और 300 /min के बीच")
    check_accessibility(page)
    screenshots(page, "clinical-physician-hindi")
    page.get_by_role("button", name="English").click()


def test_the_patient_shares_with_a_person_by_uhid_and_is_told_why_not(
        page: Page, demo: Demo) -> None:
    """A person is a grantee by UHID: the summary names them and what they could do; the demo's
    physicians have no wallet to receive a grant, which the service says and the page shows."""
    physician = demo.logins["physician@clinic.demo"]
    console(page).expect_failed_response(422)
    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet_address(demo))
    panel = page.get_by_role("region", name="Share my records")
    panel.get_by_role("radio", name="A person (by UHID)").check()
    panel.get_by_label("Their UHID").fill(physician.uhid)
    panel.get_by_role("combobox", name="What", exact=True).select_option(label="Allergies")
    summary = panel.get_by_test_id("grant-summary")
    digits = physician.uhid
    uhid = f"{digits[:2]}-{digits[2:6]}-{digits[6:10]}-{digits[10:]}"
    expect(summary).to_contain_text(f"The person with UHID {uhid} may read your allergies")
    expect(summary).to_contain_text("cannot open your encrypted records")
    panel.get_by_role("button", name="Sign and share").click()
    expect(panel.get_by_role("alert")).to_contain_text("no wallet address")
    check_accessibility(page)
