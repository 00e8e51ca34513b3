"""The auditor's and the administrators' screens of the portal, used as people do: the hospital
auditor searches the access log and verifies an entry against the chain in the browser; an
organisation administrator changes a role's permissions (the member feels it on their next
request), adds a member and deactivates them; the system administrator creates an
organisation."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from playwright.sync_api import Browser, Page, expect

from tests.e2e import journeys
from tests.e2e.conftest import Demo, check_accessibility, console, screenshots

HASH = re.compile(r"^0x[0-9a-f]{64}$", re.IGNORECASE)
NURSE_READS_PATIENTS = "Nurse: Look up a patient's demographics by UHID"


def dashed(uhid: str) -> str:
    """A UHID as the portal shows it: 12-3456-7890-1234."""
    return f"{uhid[:2]}-{uhid[2:6]}-{uhid[6:10]}-{uhid[10:]}"


def local_input(at: datetime) -> str:
    """The value of an <input type="datetime-local"> for a wall time (to the minute)."""
    return at.strftime("%Y-%m-%dT%H:%M")


def sign_in(page: Page, demo: Demo, email: str, password: str | None = None) -> None:
    """Sign in without waiting for the signed-in header (these tests check what follows)."""
    journeys.sign_in(page, demo, email, password, wait=False)


def signed_in(page: Page, demo: Demo, email: str, name: str, password: str | None = None) -> None:
    sign_in(page, demo, email, password)
    expect(page.get_by_test_id("me-name")).to_have_text(name)


def open_screen(page: Page, name: str) -> None:
    page.get_by_role("navigation").get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def token(client: httpx.Client, demo: Demo, email: str) -> dict[str, str]:
    r = client.post("/api/v1/auth/token", data={"username": email, "password": demo.password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@contextmanager
def second_person(browser: Browser) -> Iterator[Page]:
    """Another person's browser (its own storage), beside the test's page."""
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def wait_until_anchored(client: httpx.Client, auth: dict[str, str], entry_id: str
                        ) -> dict[str, Any]:
    """The entry's proof once its batch root is on chain (batches close within a second in
    the demo fixture, then the anchor is mined): polled with a deadline."""
    deadline = time.monotonic() + 60
    while True:
        r = client.get(f"/api/v1/audit/entries/{entry_id}/proof", headers=auth)
        proof: dict[str, Any] = r.json()
        if r.status_code == 200 and proof["anchored"]:
            return proof
        assert time.monotonic() < deadline, f"entry {entry_id} was not anchored: {r.text}"
        time.sleep(0.25)


def test_the_hospital_auditor_searches_the_log_and_verifies_an_entry_on_chain(
        page: Page, demo: Demo) -> None:
    patient = demo.logins["patient@ohms.demo"]
    with httpx.Client(base_url=demo.base_url) as client:
        # The hospital's physician looks at her records: an access the hospital's auditor sees.
        physician = token(client, demo, "physician@hospital.demo")
        r = client.get(f"/api/v1/patients/{patient.uhid}/records", headers=physician)
        assert r.status_code == 200, r.text
        auditor = token(client, demo, "auditor@hospital.demo")
        newest = client.get("/api/v1/audit/entries", headers=auditor,
                            params={"patient": patient.uhid, "limit": 1}).json()
        assert newest, "the hospital's auditor sees no access to the demo patient"
        # Batches close in order: once the newest is anchored, every older one is too.
        proof = wait_until_anchored(client, auditor, newest[0]["id"])

    signed_in(page, demo, "auditor@hospital.demo", "Ada Auditor")
    expect(page.get_by_role("heading", name="Access log", level=1)).to_be_visible()
    search = page.get_by_test_id("audit-search")
    search.get_by_label("Patient UHID").fill("12-34")
    search.get_by_role("button", name="Search").click()
    expect(search.get_by_role("alert")).to_contain_text("14 digits")  # refused before sending

    search.get_by_label("Patient UHID").fill(patient.uhid)
    search.get_by_label("Outcome").select_option(label="Granted")
    search.get_by_role("button", name="Search").click()
    results = page.get_by_test_id("audit-entries")
    expect(results.get_by_role("heading")).to_contain_text("Entries for patient")
    entry = results.get_by_test_id("audit-entry").first
    expect(entry).to_contain_text("Granted")
    expect(entry).to_contain_text("City General Hospital")
    assert re.sub(r"\D", "", entry.get_by_text(re.compile(r"^UHID \d")).last.inner_text()) \
        == patient.uhid

    entry.get_by_role("button", name="Verify").click()
    expect(entry.get_by_test_id("verified")).to_have_text("Verified on chain")
    leaf = entry.get_by_test_id("proof-leaf").inner_text()
    root = entry.get_by_test_id("proof-root").inner_text()
    assert HASH.match(leaf) and HASH.match(root)
    assert leaf.lower() == proof["leaf"].lower() and root.lower() == proof["root"].lower()
    assert entry.get_by_test_id("chain-root").inner_text().lower() == root.lower()
    siblings = entry.get_by_test_id("proof-siblings").locator("li").all_inner_texts()
    assert [s.lower() for s in siblings] == [s.lower() for s in proof["proof"]]
    expect(entry.get_by_test_id("proof-batch")).to_have_text(str(proof["batch"]))
    expect(entry.get_by_test_id("proof-contract")).to_have_text(
        re.compile(proof["contract"], re.IGNORECASE))

    entry.get_by_role("button", name="Show as FHIR AuditEvent").click()
    expect(entry.get_by_role("region", name=re.compile("^FHIR AuditEvent of"))).to_contain_text(
        '"resourceType": "AuditEvent"')
    check_accessibility(page)
    screenshots(page, "auditor-verifies")

    # Narrowed by who looked, why, and when.
    physician_uhid = demo.logins["physician@hospital.demo"].uhid
    search.get_by_role("button", name="Clear").click()
    expect(search.get_by_label("Patient UHID")).to_have_value("")
    expect(search.get_by_label("Outcome")).to_have_value("")
    expect(results.get_by_role("heading")).to_have_text("Entries")
    search.get_by_label("Accessor UHID").fill(physician_uhid)
    search.get_by_label("Purpose").select_option(label="Treatment")
    search.get_by_role("button", name="Search").click()
    expect(results.get_by_role("heading")).to_have_text(
        f"Entries by accessor {dashed(physician_uhid)}; for treatment")
    listed = results.get_by_test_id("audit-entry")
    expect(listed.first).to_be_visible()
    for item in listed.all():
        expect(item).to_contain_text(f"UHID {dashed(physician_uhid)} at City General Hospital")
        expect(item).to_contain_text("Treatment")

    # A range around now holds the physician's access; one in 2000 holds nothing. The times
    # are wall times of the browser's zone: two days either side of now covers any zone.
    now = datetime.now(UTC).replace(tzinfo=None)
    search.get_by_label("From", exact=True).fill(local_input(now - timedelta(days=2)))
    search.get_by_label("To", exact=True).fill(local_input(now + timedelta(days=2)))
    search.get_by_role("button", name="Search").click()
    expect(results.get_by_role("heading")).to_contain_text(" until ")
    expect(listed.first).to_contain_text(f"UHID {dashed(physician_uhid)}")
    search.get_by_label("From", exact=True).fill("2000-01-01T00:00")
    search.get_by_label("To", exact=True).fill("2000-01-02T00:00")
    search.get_by_role("button", name="Search").click()
    expect(results.get_by_text("No entries match this search.")).to_be_visible()
    expect(listed).to_have_count(0)

    # A `to` before `from` is refused next to "To", and nothing is asked of the service.
    searches: list[str] = []
    page.on("request", lambda r: searches.append(r.url)
            if urlsplit(r.url).path == "/api/v1/audit/entries" else None)
    search.get_by_label("From", exact=True).fill("2026-01-02T00:00")
    search.get_by_label("To", exact=True).fill("2026-01-01T00:00")
    search.get_by_role("button", name="Search").click()
    to_field = search.get_by_label("To", exact=True)
    expect(to_field).to_have_attribute("aria-invalid", "true")
    alert = search.get_by_role("alert")
    expect(alert).to_have_text("“To” must be later than “From”.")
    assert alert.get_attribute("id") in (to_field.get_attribute("aria-describedby") or "").split()
    expect(search.get_by_label("From", exact=True)).not_to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    screenshots(page, "auditor-filters")
    page.wait_for_timeout(300)
    assert searches == [], f"a refused search was sent: {searches}"

    search.get_by_role("button", name="Clear").click()
    for label in ("Patient UHID", "Accessor UHID", "Purpose", "Outcome", "From", "To"):
        expect(search.get_by_label(label, exact=True)).to_have_value("")
    expect(search.get_by_role("alert")).to_have_count(0)
    expect(results.get_by_role("heading")).to_have_text("Entries")
    expect(listed.first).to_be_visible()


@contextmanager
def rewritten_entry(demo: Demo, proof: dict[str, Any], purpose: str) -> Iterator[None]:
    """What someone with the database could do: rewrite an entry's purpose, its leaf and its
    batch's root so that they agree again. Only the root on chain still tells. Undone after."""
    from api.audit.entries import document_leaf
    from chain.merkle import MerkleTree

    old_leaf, old_root = proof["leaf"], proof["root"]
    new_leaf = document_leaf(proof["entry"] | {"purpose": purpose})
    db = sqlite3.connect(demo.data_dir / "ohms.sqlite3", timeout=30)
    try:
        leaves = [row[0] for row in db.execute(
            "SELECT leaf FROM access_log_entries WHERE batch = ?", (proof["batch"],))]
        rewritten = [new_leaf if leaf == old_leaf else leaf for leaf in leaves]
        new_root = "0x" + MerkleTree.build([bytes.fromhex(x[2:]) for x in rewritten]).root.hex()
        with db:
            db.execute("UPDATE access_log_entries SET purpose = ?, leaf = ? WHERE leaf = ?",
                       (purpose, new_leaf, old_leaf))
            db.execute("UPDATE audit_batches SET root = ? WHERE number = ?",
                       (new_root, proof["batch"]))
        yield
    finally:
        with db:
            db.execute("UPDATE access_log_entries SET purpose = ?, leaf = ? WHERE leaf = ?",
                       (proof["entry"]["purpose"], old_leaf, new_leaf))
            db.execute("UPDATE audit_batches SET root = ? WHERE number = ?",
                       (old_root, proof["batch"]))
        db.close()


def test_a_rewritten_entry_is_found_out_by_the_root_on_chain(page: Page, demo: Demo) -> None:
    patient = demo.logins["patient@ohms.demo"]
    with httpx.Client(base_url=demo.base_url) as client:
        physician = token(client, demo, "physician@hospital.demo")
        assert client.get(f"/api/v1/patients/{patient.uhid}/records",
                          headers=physician).status_code == 200
        auditor = token(client, demo, "auditor@hospital.demo")
        newest = client.get("/api/v1/audit/entries", headers=auditor,
                            params={"patient": patient.uhid, "limit": 1}).json()
        proof = wait_until_anchored(client, auditor, newest[0]["id"])
    with rewritten_entry(demo, proof, purpose="research"):
        signed_in(page, demo, "auditor@hospital.demo", "Ada Auditor")
        search = page.get_by_test_id("audit-search")
        search.get_by_label("Patient UHID").fill(patient.uhid)
        search.get_by_role("button", name="Search").click()
        entry = page.get_by_test_id("audit-entries").get_by_test_id("audit-entry").first
        expect(entry).to_contain_text("Research")
        entry.get_by_role("button", name="Verify").click()
        expect(entry.get_by_role("alert")).to_have_text(
            "Tampered: the chain holds another root for this batch")
        expect(entry.get_by_test_id("verified")).to_have_count(0)
        chain_root = entry.get_by_test_id("chain-root").inner_text()
        assert chain_root.lower() == proof["root"].lower()  # the root anchored before
        assert entry.get_by_test_id("proof-root").inner_text().lower() != chain_root.lower()
        screenshots(page, "auditor-finds-tampering")


def test_an_org_admin_takes_a_permission_from_a_role_and_the_member_loses_the_screen(
        page: Page, demo: Demo, browser: Browser) -> None:
    with httpx.Client(base_url=demo.base_url) as client:
        admin = token(client, demo, "orgadmin@hospital.demo")
        me = client.get("/api/v1/me", headers=admin).json()
        org = me["organization"]["id"]
        roles = client.get(f"/api/v1/organizations/{org}/roles", headers=admin).json()
        nurse_before = next(r["permissions"] for r in roles if r["role"] == "nurse")
        admin_before = next(r["permissions"] for r in roles if r["role"] == "org_admin")
    assert "patient:read" in nurse_before
    try:
        with second_person(browser) as nurse:
            signed_in(nurse, demo, "nurse@hospital.demo", "Nia Nurse")
            expect(nurse.get_by_test_id("find-patient")).to_be_visible()

            signed_in(page, demo, "orgadmin@hospital.demo", "Olivia Admin")
            open_screen(page, "Roles and permissions")
            matrix = page.get_by_test_id("roles")
            save_nurse = matrix.get_by_role("button", name="Save Nurse")
            expect(save_nurse).to_be_disabled()  # nothing changed yet
            check_accessibility(page)
            matrix.get_by_label(NURSE_READS_PATIENTS).uncheck()
            save_nurse.click()
            expect(matrix.get_by_test_id("save-nurse").get_by_role("status")).to_have_text("Saved")

            nurse.reload(wait_until="networkidle")
            expect(nurse.get_by_test_id("me-name")).to_have_text("Nia Nurse")
            expect(nurse.get_by_test_id("find-patient")).to_have_count(0)

            # The service's lockout guard, in words next to the role it refused.
            console(page).expect_failed_response(422)
            admin_updates = ("Organisation administrator: "
                             "Change the permissions of the organisation's roles")
            matrix.get_by_label(admin_updates).uncheck()
            matrix.get_by_role("button", name="Save Organisation administrator").click()
            expect(matrix.get_by_test_id("save-org_admin").get_by_role("alert")).to_contain_text(
                "role:update")
            matrix.get_by_label(admin_updates).check()

            matrix.get_by_label(NURSE_READS_PATIENTS).check()
            save_nurse.click()
            expect(matrix.get_by_test_id("save-nurse").get_by_role("status")).to_have_text("Saved")
            screenshots(page, "org-admin-roles")
            nurse.reload(wait_until="networkidle")
            expect(nurse.get_by_test_id("find-patient")).to_be_visible()
    finally:
        # Leave the demo as it was for the other tests of this module's server.
        with httpx.Client(base_url=demo.base_url) as client:
            admin = token(client, demo, "orgadmin@hospital.demo")
            for role, perms in (("nurse", nurse_before), ("org_admin", admin_before)):
                r = client.put(f"/api/v1/organizations/{org}/roles/{role}/permissions",
                               headers=admin, json={"permissions": perms})
                assert r.status_code == 200, r.text


def test_an_org_admin_adds_a_member_and_a_deactivated_member_cannot_sign_in(
        page: Page, demo: Demo, browser: Browser) -> None:
    name = "Noor Newhire"
    email = f"noor.{uuid.uuid4().hex[:8]}@hospital.demo"
    password = "Quiet-Harbour-Lantern-42"
    signed_in(page, demo, "orgadmin@hospital.demo", "Olivia Admin")
    open_screen(page, "Members")
    form = page.get_by_test_id("add-member")
    form.get_by_role("button", name="Add member").click()  # nothing filled in: told per field
    expect(form.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert").filter(has_text="at least one role")).to_be_visible()

    form.get_by_label("Full name").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("Initial password").fill("password")
    form.get_by_label("Nurse").check()
    console(page).expect_failed_response(422)  # the service refuses a weak password
    form.get_by_role("button", name="Add member").click()
    expect(form.get_by_label("Initial password")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert")).to_contain_text(re.compile("password", re.IGNORECASE))
    check_accessibility(page)

    form.get_by_label("Initial password").fill(password)
    form.get_by_role("button", name="Add member").click()
    expect(form.get_by_role("status")).to_contain_text(f"Added {name}")
    member = page.get_by_test_id("members").get_by_test_id("member").filter(has_text=email)
    expect(member).to_contain_text("Nurse")
    expect(member).to_contain_text("Active")

    with second_person(browser) as newcomer:
        signed_in(newcomer, demo, email, name, password)
        expect(newcomer.get_by_test_id("find-patient")).to_be_visible()

        member.get_by_role("button", name="Deactivate").click()
        expect(member.get_by_role("group")).to_contain_text(f"Deactivate {name}?")
        member.get_by_role("button", name="Confirm deactivate").click()
        expect(member).to_contain_text("Deactivated")
        expect(member.get_by_role("button", name="Reactivate")).to_be_visible()
        screenshots(page, "org-admin-members")

        # Signed out at their next request, and refused when signing in again.
        newcomer.reload(wait_until="networkidle")
        expect(newcomer.get_by_test_id("signin-form")).to_be_visible()
        sign_in(newcomer, demo, email, password)
        expect(newcomer.get_by_role("alert")).to_be_visible()
        expect(newcomer.get_by_test_id("me-name")).to_have_count(0)


def test_the_system_admin_creates_an_organisation_and_deactivates_it(
        page: Page, demo: Demo) -> None:
    name = f"Lakeside Clinic {uuid.uuid4().hex[:6]}"
    signed_in(page, demo, "admin@ohms.demo", "Sam System")
    open_screen(page, "Organisations")
    listed = page.get_by_test_id("organisations")
    hospital = listed.get_by_test_id("organisation").filter(has_text="City General Hospital")
    expect(hospital).to_contain_text("Hospital")
    form = page.get_by_test_id("create-organisation")
    form.get_by_role("button", name="Create organisation").click()
    expect(form.get_by_label("Kind")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Kind").select_option(label="Clinic")
    form.get_by_role("button", name="Create organisation").click()
    expect(form.get_by_role("status")).to_contain_text(f"Created {name}")
    created = listed.get_by_test_id("organisation").filter(has_text=name)
    expect(created).to_contain_text("Clinic")
    expect(created).to_contain_text("Active")
    check_accessibility(page)
    screenshots(page, "system-admin-organisations")

    created.get_by_role("button", name="Deactivate").click()
    created.get_by_role("button", name="Confirm deactivate").click()
    expect(created).to_contain_text("Deactivated")
    created.get_by_role("button", name="Reactivate").click()
    created.get_by_role("button", name="Confirm reactivate").click()
    expect(created).to_contain_text("Active")

    # The same screen in Hindi passes the same check.
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("संगठन")
    expect(created).to_contain_text("क्लिनिक")
    check_accessibility(page)
    screenshots(page, "system-admin-organisations-hindi")
