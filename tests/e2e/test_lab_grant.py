"""A lab's view follows the patient's consent: a lab the patient never granted sees none of
her records; she grants it her lab results in the portal and its technician sees them; she
revokes, and the technician is refused again. Two browsers, as two people."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import DESKTOP, Demo, check_accessibility, screenshots
from tests.e2e.test_clinical import share, token_of
from tests.e2e.test_portal import sign_in, unlock_wallet

LAB = "Northside Pathology Lab"


@pytest.fixture(scope="module")
def new_lab(demo: Demo) -> Iterator[str]:
    """A second lab, on the keystore tier, with one technician; the patient has never
    granted it anything. Returns the technician's email."""
    email = f"tech-{uuid.uuid4().hex[:8]}@northside.demo"
    with httpx.Client(base_url=demo.base_url) as client:
        admin = {"Authorization": f"Bearer {token_of(demo, 'admin@ohms.demo')}"}
        org = client.post("/api/v1/organizations", headers=admin, json={"name": LAB, "kind": "lab"})
        assert org.status_code == 201, org.text
        org_id = org.json()["id"]
        member = client.post(f"/api/v1/organizations/{org_id}/members", headers=admin, json={
            "email": email, "full_name": "Nikhil Northside", "role": "lab_technician",
            "password": demo.password})
        assert member.status_code == 201, member.text
        keys = client.post(f"/api/v1/organizations/{org_id}/keys/custodial", headers=admin)
        assert keys.status_code == 201, keys.text
    yield email


def look_up(page: Page, uhid: str) -> None:
    finder = page.get_by_test_id("find-patient")
    finder.get_by_label("Patient UHID").fill(uhid)
    finder.get_by_role("button", name="Find").click()
    expect(page.get_by_test_id("patient-card")).to_contain_text("Priya Patient")


def test_the_lab_sees_the_lab_results_only_while_the_patient_grants_them(
        page: Page, browser: Browser, demo: Demo, new_lab: str) -> None:
    uhid = demo.logins["patient@ohms.demo"].uhid
    context = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    lab = context.new_page()
    lab_errors: list[str] = []
    lab.on("console", lambda m: lab_errors.append(m.text) if m.type == "error" else None)
    try:
        # Before any grant: the records the lab's access covers are none.
        sign_in(lab, demo, new_lab)
        expect(lab.get_by_role("heading", level=1, name="Results")).to_be_visible()
        look_up(lab, uhid)
        records = lab.get_by_role("region", name="Records")
        expect(records.get_by_text("No records yet.")).to_be_visible()
        expect(records.locator("li")).to_have_count(0)
        check_accessibility(lab)
        screenshots(lab, "lab-before-grant")

        # She shares her lab results with this lab from her wallet.
        sign_in(page, demo, "patient@ohms.demo")
        from eth_account import Account

        wallet = Account.from_key(Account.decrypt(demo.wallet_file.read_text(), demo.password))
        unlock_wallet(page, demo, wallet.address)
        share(page, organisation=LAB, what="Lab results",
              summary=re.compile("lab results", re.IGNORECASE))

        # The lab's next look lists them (lab results only: not her notes or allergies).
        look_up(lab, uhid)
        listed = records.locator("li")
        expect(listed.first).to_be_visible()
        texts = listed.all_inner_texts()
        assert texts and all(re.search("lab", t, re.IGNORECASE) for t in texts), texts
        check_accessibility(lab)
        screenshots(lab, "lab-granted")

        # She revokes; the lab's next look is refused again.
        consents = page.get_by_role("region", name="Consents", exact=True)
        granted = consents.locator("li").filter(has_text=LAB).first
        granted.get_by_role("button", name="Revoke").click()
        granted.get_by_role("button", name="Confirm revoke").click()
        expect(granted).to_contain_text(re.compile("Revok"))
        look_up(lab, uhid)
        expect(records.get_by_text("No records yet.")).to_be_visible()
        expect(records.locator("li")).to_have_count(0)
    finally:
        context.close()
    assert lab_errors == []

