"""The portal and the Python client (reencryption.client, reencryption.exchange_client) are two
ends of one record exchange: the same wallet signature gives the same Umbral keys in both; key
fragments made in the browser serve a grantee reading with the Python client; a record written
with the Python client opens in the browser; and clinical text is shown as text, never run."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
from eth_account import Account
from playwright.sync_api import Dialog, Page, expect

from reencryption.client import KeyHolder
from reencryption.derivation import key_derivation_typed_data
from reencryption.exchange_client import ExchangeClient
from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.test_accounts import (
    NEW_PASSWORD,
    api_token,
    inject_wallet,
    publish_keys,
    published_keys,
)
from tests.e2e.test_portal import sign_in, unlock_wallet

CLINIC = "Riverside Family Clinic"
XSS_IMG = "<img src=x onerror=alert(1)>"
XSS_SCRIPT = "<script>alert(2)</script>"


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _demo_wallet(demo: Demo) -> Any:
    return Account.from_key(Account.decrypt(demo.wallet_file.read_text(), demo.password))


def _organization_id(demo: Demo, token: str, name: str) -> str:
    with httpx.Client(base_url=demo.base_url) as client:
        entries = client.get("/api/v1/directory/organizations", headers=_auth(token),
                             params={"limit": 200}).json()
    return str(next(e["id"] for e in entries if e["name"] == name))


def _open_patient_records(page: Page, demo: Demo) -> None:
    """The demo patient signs in, unlocks her wallet file and opens her records."""
    wallet = _demo_wallet(demo)
    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet.address)
    page.get_by_role("button", name="Open my records").click()
    expect(page.get_by_test_id("wallet").get_by_role("status").last).to_contain_text(
        "open in this tab", timeout=30_000)


def _write_as_hospital_physician(demo: Demo, resource: dict[str, Any]) -> dict[str, Any]:
    """The hospital's physician writes a record for the demo patient with the Python client
    (the hospital holds her treatment grant for every category)."""
    patient = demo.logins["patient@ohms.demo"]
    token = api_token(demo, "physician@hospital.demo")
    with ExchangeClient(demo.base_url, token, KeyHolder.generate()) as client:
        return client.upload_record(patient.uhid, resource)


def test_the_same_wallet_signature_gives_the_same_umbral_keys_in_browser_and_python(
        page: Page, demo: Demo) -> None:
    """A browser wallet (here answered by eth-account) signs the key derivation message once;
    the keys the portal derives from that signature and publishes are the ones the Python
    client derives from the very same signature."""
    wallet = inject_wallet(page)
    email = f"ravi.{uuid.uuid4().hex[:8]}@ohms.demo"
    with httpx.Client(base_url=demo.base_url) as client:
        made = client.post("/api/v1/auth/register", json={
            "email": email, "password": NEW_PASSWORD, "full_name": "Ravi Menon",
            "date_of_birth": "1979-08-23"})
        assert made.status_code == 201, made.text
    sign_in(page, demo, email, NEW_PASSWORD)
    expect(page.get_by_test_id("me-name")).to_have_text("Ravi Menon")
    panel = page.get_by_test_id("wallet")
    panel.get_by_role("button", name="Connect browser wallet").click()
    expect(panel.get_by_test_id("wallet-address")).to_have_text(wallet.account.address)
    console(page).expect_failed_response(404)  # no keys published yet
    publish_keys(page)

    [(typed, signature)] = wallet.typed_signatures
    # The browser asked for exactly the EIP-712 message reencryption/derivation.py defines.
    expected = key_derivation_typed_data(wallet.account.address)
    assert typed["domain"] == expected["domain"]
    assert typed["primaryType"] == expected["primaryType"]
    assert typed["types"] == expected["types"]
    # (viem writes the address in lower case and the uint as a string: the same EIP-712 value.)
    assert {**typed["message"], "keyVersion": int(typed["message"]["keyVersion"]),
            "account": typed["message"]["account"].lower()} == \
        {**expected["message"], "account": wallet.account.address.lower()}
    from_signature = KeyHolder.from_wallet_signature(signature, wallet.account.address)
    assert published_keys(demo, api_token(demo, email, NEW_PASSWORD)) == \
        from_signature.key_document()
    # And a wallet signs deterministically: the Python client's own signature agrees too.
    assert KeyHolder.from_wallet_private_key(wallet.account.key).key_document() == \
        from_signature.key_document()


def test_kfrags_made_in_the_browser_serve_a_grantee_reading_with_the_python_client(
        page: Page, demo: Demo) -> None:
    """The clinic holds its own keys (the Python client made them; only the public half is
    published). The patient shares her lab results with it in the portal, which makes the
    key fragments in the browser; the service accepts them and re-encrypts for the clinic,
    whose physician decrypts with the Python client to the FHIR the patient wrote down."""
    clinic_keys = KeyHolder.generate()
    admin = api_token(demo, "admin@ohms.demo")
    clinic_id = _organization_id(demo, admin, CLINIC)
    with httpx.Client(base_url=demo.base_url) as client:
        put = client.put(f"/api/v1/organizations/{clinic_id}/keys", headers=_auth(admin),
                         json=clinic_keys.key_document())
        assert put.status_code == 200, put.text

    wallet = _demo_wallet(demo)
    sign_in(page, demo, "patient@ohms.demo")
    unlock_wallet(page, demo, wallet.address)
    share = page.get_by_test_id("grant")
    organisation = share.get_by_label("Organisation", exact=True)
    organisation.select_option(label=next(
        o for o in organisation.locator("option").all_inner_texts() if o.startswith(CLINIC)))
    share.get_by_label("What", exact=True).select_option(label="Lab results")
    share.get_by_role("button", name="Sign and share").click()
    expect(share.get_by_role("status")).to_contain_text("Shared", timeout=30_000)
    consents = page.get_by_test_id("consents")
    granted = consents.locator("li").filter(has_text=CLINIC)
    refresh = consents.get_by_role("button", name="Refresh")
    for _ in range(60):  # the indexer follows the chain in the background
        if "Active" in granted.inner_text():
            break
        refresh.click()
        page.wait_for_timeout(500)
    expect(granted).to_contain_text("Active")

    patient = demo.logins["patient@ohms.demo"]
    physician = api_token(demo, "physician@clinic.demo")
    with ExchangeClient(demo.base_url, physician, clinic_keys) as clinic:
        lab = clinic.list_records(patient.uhid, category="lab")
        assert lab, "the clinic sees none of her lab results"
        sealed = clinic.fetch_record(lab[0]["id"])
        assert sealed["cfrags"], "the record was not re-encrypted for the clinic"
        read_by_clinic = clinic.read_record(lab[0]["id"])
    patient_keys = KeyHolder.from_wallet_private_key(wallet.key)
    with ExchangeClient(demo.base_url, api_token(demo, "patient@ohms.demo"),
                        patient_keys) as own:
        read_by_patient = own.read_record(lab[0]["id"])
    assert read_by_clinic == read_by_patient
    resource = json.loads(read_by_clinic)
    assert resource["resourceType"] == "Observation"
    assert resource["code"]["coding"][0]["display"] == "Hemoglobin A1c"
    assert resource["valueQuantity"]["value"] == 6.4


def test_a_record_written_with_the_python_client_opens_in_the_browser(
        page: Page, demo: Demo) -> None:
    patient = demo.logins["patient@ohms.demo"]
    written = _write_as_hospital_physician(demo, {
        "resourceType": "Observation", "status": "final",
        "subject": {"reference": f"Patient/{patient.uhid}"},
        "category": [{"coding": [{
            "system": "http://terminology.hl7.org/CodeSystem/observation-category",
            "code": "laboratory"}]}],
        "code": {"coding": [{"system": "http://loinc.org", "code": "2160-0",
                             "display": "Creatinine [Mass/volume] in Serum or Plasma"}]},
        "valueQuantity": {"value": 0.93, "unit": "mg/dL"}})
    assert written["resource_type"] == "Observation"
    _open_patient_records(page, demo)
    opened = page.get_by_test_id("records").get_by_test_id("record-open")
    expect(opened.filter(has_text="Creatinine")).to_contain_text("0.93 mg/dL")
    check_accessibility(page)


def test_clinical_text_with_markup_is_shown_as_text_and_never_runs(
        page: Page, demo: Demo) -> None:
    """A note whose text holds an <img onerror> and a <script>, written through the API by the
    Python client: the patient's browser shows those characters and runs nothing."""
    patient = demo.logins["patient@ohms.demo"]
    note = f"Reviewed at the desk {XSS_IMG} then {XSS_SCRIPT} end of note."
    _write_as_hospital_physician(demo, {
        "resourceType": "DocumentReference", "status": "current",
        "subject": {"reference": f"Patient/{patient.uhid}"},
        "type": {"text": f"Desk note {XSS_SCRIPT}"},
        "description": note,
        "content": [{"attachment": {"contentType": "text/plain", "title": XSS_IMG}}]})
    dialogs: list[str] = []

    def record_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record_dialog)
    _open_patient_records(page, demo)
    shown = page.get_by_test_id("records").get_by_test_id("record-open").filter(
        has_text="Reviewed at the desk")
    expect(shown).to_contain_text(note)
    expect(shown).to_contain_text(f"Desk note {XSS_SCRIPT}")
    assert page.locator('img[src="x"]').count() == 0
    assert page.evaluate(
        "[...document.scripts].filter(s => s.textContent.includes('alert(')).length") == 0
    assert re.search(r"alert\(\d\)", page.title()) is None
    screenshots(page, "clinical-text-as-text")
    assert dialogs == []
