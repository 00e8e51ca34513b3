"""The clinic portal as people use it: served by `ohms serve` at /, signed in to with the demo
accounts, on a desktop and on a phone, in headless Chromium."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import Page, expect

from api.middleware import PORTAL_CSP
from tests.e2e import journeys
from tests.e2e.conftest import PHONE, Demo, check_accessibility, console, screenshots


def sign_in(page: Page, demo: Demo, email: str, password: str | None = None) -> None:
    """Sign in without waiting for the signed-in header (these tests check what follows)."""
    journeys.sign_in(page, demo, email, password, wait=False)


def unlock_wallet(page: Page, demo: Demo, address: str) -> None:
    """Import the demo patient's wallet file into the built-in wallet and unlock it."""
    panel = page.get_by_role("region", name="Wallet", exact=True)
    panel.get_by_test_id("wallet-import").set_input_files(str(demo.wallet_file))
    panel.get_by_test_id("wallet-password").fill(demo.password)
    panel.get_by_role("button", name="Unlock").click()
    # The keystore's scrypt runs in the page: seconds on a loaded machine, not milliseconds.
    expect(panel.get_by_test_id("wallet-address")).to_contain_text(
        re.compile(address[2:10], re.IGNORECASE), timeout=30_000)


def test_the_portal_is_served_beside_the_api(demo: Demo) -> None:
    with httpx.Client(base_url=demo.base_url) as client:
        page = client.get("/")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert page.headers["content-security-policy"] == PORTAL_CSP
        assert page.headers["cache-control"] == "no-store"  # a new build is seen at once
        asset = re.search(r'src="(/assets/[^"]+\.js)"', page.text)
        assert asset, page.text
        script = client.get(asset.group(1))
        assert script.status_code == 200
        assert script.headers["cache-control"] == "public, max-age=31536000, immutable"
        assert script.headers["content-security-policy"] == PORTAL_CSP
        # The API keeps its own answers and its own policy (nothing of it runs as a page).
        missing = client.get("/api/v1/no-such-thing")
        assert missing.status_code == 404
        assert missing.headers["content-type"] == "application/problem+json"
        assert "script-src" not in client.get("/healthz").headers["content-security-policy"]
        assert client.get("/assets/no-such-file.js").status_code == 404


def test_a_patient_signs_in_and_sees_their_records_consents_and_accesses(
        page: Page, demo: Demo) -> None:
    patient = demo.logins["patient@ohms.demo"]
    sign_in(page, demo, patient.email)
    expect(page.get_by_test_id("me-name")).to_have_text("Priya Patient")
    uhid = page.get_by_test_id("me-uhid").inner_text()
    assert re.sub(r"\D", "", uhid) == patient.uhid
    records = page.get_by_role("region", name="Records", exact=True)
    expect(records.get_by_role("listitem").first).to_be_visible()
    assert "{" not in records.inner_text()  # shown as people read it, never as JSON
    for section in ("Consents", "Who accessed my records", "Notifications"):
        expect(page.get_by_role("region", name=section, exact=True)).to_be_visible()
    check_accessibility(page)
    screenshots(page, "patient")


def test_the_patient_view_fits_a_phone(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    sign_in(page, demo, "patient@ohms.demo")
    expect(page.get_by_role("region", name="Records", exact=True).get_by_role("listitem").first
           ).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px on a phone"
    screenshots(page, "patient-phone")


def test_a_wrong_password_is_told_and_nothing_opens(page: Page, demo: Demo) -> None:
    console(page).expect_failed_response(401)
    sign_in(page, demo, "patient@ohms.demo", password="not-the-password-1")
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text(re.compile("password", re.IGNORECASE))
    expect(page.get_by_test_id("me-name")).to_have_count(0)
    expect(page.get_by_test_id("signin-form")).to_be_visible()


def test_a_reload_keeps_the_session_and_signing_out_ends_it(page: Page, demo: Demo) -> None:
    """The refresh token is an httpOnly, SameSite=Strict cookie of the auth routes: no
    script of the page can read it, nothing secret is in web storage, and a reload signs
    in again through it; signing out ends it on the server."""
    sign_in(page, demo, "patient@ohms.demo")
    expect(page.get_by_test_id("me-name")).to_have_text("Priya Patient")
    page.reload(wait_until="networkidle")
    expect(page.get_by_test_id("me-name")).to_have_text("Priya Patient")
    cookie = next(c for c in page.context.cookies() if c["name"] == "ohms_refresh")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/api/v1/auth"
    assert "ohms_refresh" not in page.evaluate("document.cookie")
    stored = page.evaluate("JSON.stringify([Object.entries(localStorage), "
                           "Object.entries(sessionStorage)])")
    assert cookie["value"] not in stored and "eyJ" not in stored  # no token, no JWT
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("signin-form")).to_be_visible()
    # Signed out on the server: the cookie the browser held no longer works.
    with httpx.Client(base_url=demo.base_url) as client:
        r = client.post("/api/v1/auth/refresh", json={"refresh_token": cookie["value"]})
        assert r.status_code == 401, r.text
    page.reload(wait_until="networkidle")
    expect(page.get_by_test_id("signin-form")).to_be_visible()


def test_a_physician_finds_a_patient_by_uhid(page: Page, demo: Demo) -> None:
    patient = demo.logins["patient@ohms.demo"]
    # The hospital keeps its own keys: its chart asks the keystore tier once, and says so.
    console(page).expect_failed_response(409)
    sign_in(page, demo, "physician@hospital.demo")
    expect(page.get_by_test_id("me-name")).to_have_text("Dr. Farah Khan")
    finder = page.get_by_role("region", name="Find a patient")
    finder.get_by_label("Patient UHID").fill(patient.uhid)
    finder.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="Priya Patient")).to_be_visible()
    expect(page.get_by_role("region", name="Chart").get_by_role("note")).to_contain_text(
        "keeps its own keys")
    check_accessibility(page)
    screenshots(page, "physician-finds")
    console(page).expect_failed_response(422)  # a UHID whose check digit is wrong
    finder.get_by_label("Patient UHID").fill("12345678901234")
    finder.get_by_role("button", name="Find").click()
    expect(page.get_by_role("alert")).to_be_visible()


def test_the_patient_opens_her_records_with_her_wallet_file(page: Page, demo: Demo) -> None:
    """The built-in wallet: her keystore file and password unlock it in the page, it signs
    the key-derivation message, and Umbral (wasm) opens each record in the browser. Neither
    the wallet's key nor that signature is ever sent anywhere."""
    from eth_account import Account

    from reencryption.derivation import sign_key_derivation

    keystore = demo.wallet_file.read_text()
    wallet = Account.from_key(Account.decrypt(keystore, demo.password))
    signature = sign_key_derivation(wallet.key)  # what opens her records: never sent
    secrets = [wallet.key.hex().removeprefix("0x").lower(), signature.hex()[:64].lower()]
    sent: list[str] = []
    page.on("request", lambda r: sent.append(f"{r.url} {r.post_data or ''}".lower()))
    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet.address)
    page.get_by_role("button", name="Open my records").click()
    opened = page.get_by_role("region", name="Records", exact=True).get_by_test_id("record-open")
    expect(opened.filter(has_text="Hemoglobin A1c")).to_contain_text("6.4")
    expect(opened.filter(has_text="Penicillin")).to_contain_text(
        re.compile("high criticality", re.IGNORECASE))
    expect(opened.filter(has_text="Progress note")).to_contain_text("blood pressure")
    assert "{" not in page.get_by_role("region", name="Records", exact=True).inner_text()
    check_accessibility(page)
    screenshots(page, "patient-records-open")
    assert sent and not [r for r in sent if any(secret in r for secret in secrets)]


def test_a_physician_writes_vital_signs_and_an_allergy_for_the_patient(
        page: Page, demo: Demo) -> None:
    """Forms that make valid FHIR: the service accepts them (it validates them as FHIR R4),
    seals them to the patient, and they appear in the list at once."""
    patient = demo.logins["patient@ohms.demo"]
    console(page).expect_failed_response(409)  # the hospital keeps its own keys
    sign_in(page, demo, "physician@hospital.demo")
    finder = page.get_by_role("region", name="Find a patient")
    finder.get_by_label("Patient UHID").fill(patient.uhid)
    finder.get_by_role("button", name="Find").click()
    expect(page.get_by_role("heading", name="Priya Patient")).to_be_visible()
    records = page.get_by_role("region", name="Chart").get_by_role("listitem")
    expect(records.first).to_be_visible()
    before = records.count()
    write = page.get_by_role("region", name="Write for this patient")

    write.get_by_role("button", name="Vital signs").click()
    write.get_by_label("Heart rate (/min)").fill("400")
    write.get_by_role("button", name="Save").click()
    expect(write.get_by_role("alert")).to_be_visible()  # refused before anything is sent
    write.get_by_label("Heart rate (/min)").fill("72")
    write.get_by_label("Systolic (mm Hg)").fill("128")
    write.get_by_label("Diastolic (mm Hg)").fill("82")
    write.get_by_role("button", name="Save").click()
    expect(write.get_by_role("status")).to_contain_text("Saved")
    expect(records).to_have_count(before + 2)  # heart rate, blood pressure

    write.get_by_role("button", name="Allergy").click()
    write.get_by_label("Substance").fill("Latex")
    write.get_by_label("Criticality").select_option(label="High")
    write.get_by_role("button", name="Save").click()
    expect(write.get_by_role("status")).to_contain_text("Saved")
    expect(records).to_have_count(before + 3)
    screenshots(page, "physician-writes")


def test_the_sign_in_screen_passes_an_accessibility_check_in_both_languages(
        page: Page, demo: Demo) -> None:
    """axe-core (serious or critical violations fail) on the sign-in screen, in English and
    in Hindi, with the portal's CSP on; the choice of language outlives a reload."""
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(demo.base_url + "/", wait_until="networkidle")
    check_accessibility(page)
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    check_accessibility(page)
    screenshots(page, "signin-hindi")
    page.reload(wait_until="networkidle")
    expect(page.locator("html")).to_have_attribute("lang", "hi")
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_the_patient_shares_lab_results_then_revokes_the_grant(page: Page, demo: Demo) -> None:
    """Her wallet signs the grant the summary described, the chain records it (pending, then
    active), and her revocation ends it; the clinic's physician is refused afterwards."""
    from eth_account import Account

    wallet = Account.from_key(Account.decrypt(demo.wallet_file.read_text(), demo.password))
    clinic = "Riverside Family Clinic"
    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet.address)
    share = page.get_by_role("region", name="Share my records")
    who = share.get_by_role("combobox", name="Organisation")
    who.select_option(label=next(o for o in who.locator("option").all_inner_texts()
                                 if o.startswith(clinic)))
    share.get_by_role("combobox", name="What", exact=True).select_option(label="Lab results")
    summary = share.get_by_test_id("grant-summary")
    expect(summary).to_contain_text(clinic)
    expect(summary).to_contain_text(re.compile("lab results", re.IGNORECASE))
    share.get_by_role("button", name="Sign and share").click()
    expect(share.get_by_role("status")).to_contain_text("Shared")

    consents = page.get_by_role("region", name="Consents", exact=True)
    granted = consents.locator("li").filter(has_text=clinic)
    refresh = consents.get_by_role("button", name="Refresh")
    for _ in range(60):  # the indexer follows the chain in the background
        if "Active" in granted.inner_text():
            break
        refresh.click()
        page.wait_for_timeout(500)
    expect(granted).to_contain_text("Active")
    physician = demo.logins["physician@clinic.demo"]
    patient = demo.logins["patient@ohms.demo"]
    with httpx.Client(base_url=demo.base_url) as client:
        token = client.post("/api/v1/auth/token", data={
            "username": physician.email, "password": demo.password}).json()["access_token"]
        check = client.post("/api/v1/access/check", headers={"Authorization": f"Bearer {token}"},
                            json={"patient": patient.uhid, "scope": "category:lab",
                                  "purpose": "treatment"})
        assert check.json()["authorized"] is True, check.text

    granted.get_by_role("button", name="Revoke").click()
    granted.get_by_role("button", name="Confirm revoke").click()
    for _ in range(60):
        if "Revoked" in granted.inner_text():
            break
        refresh.click()
        page.wait_for_timeout(500)
    expect(granted).to_contain_text("Revoked")
    with httpx.Client(base_url=demo.base_url) as client:
        check = client.post("/api/v1/access/check", headers={"Authorization": f"Bearer {token}"},
                            json={"patient": patient.uhid, "scope": "category:lab",
                                  "purpose": "treatment"})
        assert check.json()["authorized"] is False, check.text
    screenshots(page, "patient-shares")


def test_the_patient_verifies_an_access_against_the_chain(page: Page, demo: Demo) -> None:
    """An entry of her access log, checked in the browser: its leaf recomputed from what it
    says, its Merkle proof folded to the batch root, and that root read from the chain
    (through the service's read-only RPC of its embedded chain)."""
    sign_in(page, demo, "patient@ohms.demo")
    log = page.get_by_role("region", name="Who accessed my records")
    verify = log.get_by_role("button", name="Verify").last  # the oldest shown: anchored first
    verified = log.get_by_test_id("verified")
    for _ in range(40):  # the batch closes within a second, then its anchor is mined
        verify.click()
        page.wait_for_timeout(1000)
        if verified.count():
            break
    expect(verified.first).to_contain_text("Verified on chain")
    screenshots(page, "patient-verifies")
