"""Accounts in the portal as people use them: a patient registers, makes a wallet in the browser,
publishes the keys derived from it, links it, and signs in with it (Sign-In with Ethereum); and
a person whose wallet is a browser extension (an EIP-1193 provider on `window.ethereum`, as
MetaMask gives one) links it and signs in with it."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from playwright.sync_api import Page, expect

from reencryption.client import KeyHolder
from tests.e2e.conftest import PHONE, Demo, check_accessibility, console, screenshots
from tests.e2e.test_portal import sign_in

NEW_PASSWORD = "lantern-meadow-quartz-71"
WALLET_PASSWORD = "harbour-violet-engine-38"

# A small EIP-1193 provider on window.ethereum whose every request is answered by Python
# (InjectedWallet.answer), where eth-account signs with the test key: what a wallet extension
# does, without one. Installed before the portal's own scripts run.
INJECTED_PROVIDER = """
(() => {
  const listeners = {};
  window.ethereum = {
    async request({ method, params }) {
      const answer = JSON.parse(await window.ohmsTestWallet(method, JSON.stringify(params ?? [])));
      if (answer.error) {
        const error = new Error(answer.error.message);
        error.code = answer.error.code;
        throw error;
      }
      return answer.result;
    },
    on(event, listener) { (listeners[event] ??= []).push(listener); },
    removeListener(event, listener) {
      listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
    },
  };
})();
"""


@dataclass
class InjectedWallet:
    """The Python side of the injected provider: one account, and what it was asked to sign."""

    account: LocalAccount
    chain_id: int = 31337
    signed_messages: list[str] = field(default_factory=list)
    typed_signatures: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def answer(self, method: str, params_json: str) -> str:
        params = json.loads(params_json)
        result: Any
        if method in ("eth_requestAccounts", "eth_accounts"):
            result = [self.account.address]
        elif method == "eth_chainId":
            result = hex(self.chain_id)
        elif method == "personal_sign":
            data, address = params
            assert address.lower() == self.account.address.lower()
            signable = encode_defunct(hexstr=data)
            self.signed_messages.append(bytes.fromhex(data.removeprefix("0x")).decode())
            result = "0x" + bytes(Account.sign_message(signable, self.account.key).signature).hex()
        elif method == "eth_signTypedData_v4":
            address, typed = params
            assert address.lower() == self.account.address.lower()
            typed = json.loads(typed) if isinstance(typed, str) else typed
            signature = "0x" + bytes(Account.sign_typed_data(
                self.account.key, full_message=typed).signature).hex()
            self.typed_signatures.append((typed, signature))
            result = signature
        else:
            return json.dumps({"error": {"code": 4200, "message": f"{method} is not supported"}})
        return json.dumps({"result": result})


def inject_wallet(page: Page, account: LocalAccount | None = None) -> InjectedWallet:
    """A browser wallet in this page (before it loads), signing with `account` (a new one by
    default)."""
    wallet = InjectedWallet(account or Account.create())
    page.expose_function("ohmsTestWallet", wallet.answer)
    page.add_init_script(INJECTED_PROVIDER)
    return wallet


def register(page: Page, demo: Demo, *, name: str, email: str,
             password: str = NEW_PASSWORD) -> str:
    """Register in the portal; returns the UHID it shows (the person is then signed in)."""
    page.goto(demo.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="Create an account").click()
    form = page.get_by_test_id("register-form")
    form.get_by_label("Full name").fill(name)
    form.get_by_label("Email").fill(email)
    form.get_by_label("Date of birth").fill("1990-05-17")
    form.get_by_label("Password", exact=True).fill(password)
    form.get_by_label("Type the password again").fill(password)
    form.get_by_role("button", name="Create my account").click()
    uhid = page.get_by_test_id("new-uhid")
    expect(uhid).to_have_text(re.compile(r"^\d{2}-\d{4}-\d{4}-\d{4}$"))
    return uhid.inner_text()


def api_token(demo: Demo, email: str, password: str | None = None) -> str:
    with httpx.Client(base_url=demo.base_url) as client:
        answer = client.post("/api/v1/auth/token", data={
            "username": email, "password": password or demo.password})
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token


def published_keys(demo: Demo, token: str) -> dict[str, str]:
    """What the service holds as the person's public keys (GET /api/v1/me/keys)."""
    with httpx.Client(base_url=demo.base_url) as client:
        answer = client.get("/api/v1/me/keys", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200, answer.text
        keys: dict[str, str] = answer.json()
        return keys


def publish_keys(page: Page) -> None:
    """Click "Publish my keys" and wait until the portal says they are published."""
    keys = page.get_by_test_id("wallet-keys")
    keys.get_by_role("button", name="Publish my keys").click()
    expect(keys.get_by_role("status")).to_contain_text("published", timeout=30_000)


def sign_out(page: Page) -> None:
    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("signin-form")).to_be_visible()


def test_registration_tells_each_problem_next_to_its_field(page: Page, demo: Demo) -> None:
    page.goto(demo.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="Create an account").click()
    form = page.get_by_test_id("register-form")
    expect(page.get_by_role("heading", name="Create an account")).to_be_visible()
    check_accessibility(page)
    form.get_by_role("button", name="Create my account").click()
    # Nothing sent: every empty field says so, and the cursor is in the first one.
    expect(form.get_by_role("alert")).to_have_count(5)
    expect(form.get_by_label("Full name")).to_be_focused()
    expect(form.get_by_label("Full name")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("Full name").fill("Meera Iyer")
    form.get_by_label("Email").fill("patient@ohms.demo")  # taken: the service says so
    form.get_by_label("Date of birth").fill("1991-02-03")
    form.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Type the password again").fill(NEW_PASSWORD + "x")
    form.get_by_role("button", name="Create my account").click()
    expect(form.get_by_role("alert")).to_have_text("The two passwords are not the same.")
    form.get_by_label("Type the password again").fill(NEW_PASSWORD)
    console(page).expect_failed_response(409)
    form.get_by_role("button", name="Create my account").click()
    email_error = form.get_by_role("alert")
    expect(email_error).to_contain_text("already exists")
    expect(form.get_by_label("Email")).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_label("Email")).to_have_attribute(
        "aria-describedby", re.compile(email_error.get_attribute("id") or "missing"))
    check_accessibility(page)
    screenshots(page, "register-problems")
    # The service's password rules too: long enough, but among the first guesses.
    console(page).expect_failed_response(422)
    form.get_by_label("Email").fill(f"meera.{uuid.uuid4().hex[:8]}@ohms.demo")
    form.get_by_label("Password", exact=True).fill("password1234")
    form.get_by_label("Type the password again").fill("password1234")
    form.get_by_role("button", name="Create my account").click()
    expect(form.get_by_role("alert")).to_contain_text("too easy to guess")
    expect(form.get_by_label("Password", exact=True)).to_have_attribute("aria-invalid", "true")


def test_a_patient_registers_makes_a_wallet_publishes_keys_and_signs_in_with_it(
        page: Page, demo: Demo, tmp_path: Path) -> None:
    email = f"asha.{uuid.uuid4().hex[:8]}@ohms.demo"
    uhid = register(page, demo, name="Asha Verma", email=email)
    check_accessibility(page)
    screenshots(page, "register-done")
    page.get_by_role("button", name="Go to my health records").click()
    expect(page.get_by_test_id("me-name")).to_have_text("Asha Verma")
    assert page.get_by_test_id("me-uhid").inner_text().endswith(uhid)

    panel = page.get_by_test_id("wallet")
    panel.get_by_role("button", name="Create a new wallet").click()
    panel.get_by_label("Choose a password for the wallet").fill("short")
    panel.get_by_label("Type the password again").fill("short")
    panel.get_by_role("button", name="Create the wallet").click()
    expect(panel.get_by_role("alert")).to_contain_text("at least 10 characters")
    check_accessibility(page)
    panel.get_by_label("Choose a password for the wallet").fill(WALLET_PASSWORD)
    panel.get_by_label("Type the password again").fill(WALLET_PASSWORD)
    panel.get_by_role("button", name="Create the wallet").click()
    address = panel.get_by_test_id("wallet-address")
    expect(address).to_have_text(re.compile(r"^0x[0-9a-fA-F]{40}$"), timeout=30_000)
    expect(panel.get_by_role("status").first).to_contain_text("Download the wallet file")

    # The file is a keystore v3 any Ethereum wallet imports: eth-account opens it.
    with page.expect_download() as download:
        panel.get_by_role("button", name="Download the wallet file").click()
    wallet_file = tmp_path / "wallet.json"
    download.value.save_as(wallet_file)
    assert download.value.suggested_filename.endswith(".json")
    key = Account.decrypt(wallet_file.read_text(), WALLET_PASSWORD)
    account = Account.from_key(key)
    assert account.address == address.inner_text()

    console(page).expect_failed_response(404)  # her keys are not published yet
    publish_keys(page)
    # The keys the browser derived are the ones the Python client derives from the same wallet.
    assert published_keys(demo, api_token(demo, email, NEW_PASSWORD)) == \
        KeyHolder.from_wallet_private_key(key).key_document()
    panel.get_by_role("button", name="Link this wallet to my account").click()
    expect(panel.get_by_test_id("wallet-link").get_by_role("status")).to_contain_text(
        "you can sign in with it")
    check_accessibility(page)
    screenshots(page, "wallet-created")

    sign_out(page)
    page.get_by_role("button", name="Use a wallet instead").click()
    siwe = page.get_by_test_id("siwe-form")
    expect(siwe.get_by_label("The wallet saved in this browser")).to_have_value(account.address)
    check_accessibility(page)
    screenshots(page, "siwe-signin")
    siwe.get_by_label("Wallet password").fill(WALLET_PASSWORD)
    siwe.get_by_role("button", name="Unlock and sign").click()
    expect(page.get_by_test_id("me-name")).to_have_text("Asha Verma", timeout=30_000)
    # The wallet that signed her in stays unlocked, and its keys are the published ones.
    expect(page.get_by_test_id("wallet-address")).to_have_text(account.address)
    page.get_by_role("button", name="Open my records").click()
    expect(page.get_by_test_id("wallet").get_by_role("status").last).to_contain_text(
        "open in this tab")
    expect(page.get_by_test_id("wallet-keys")).to_contain_text("already published")
    # Signing out forgets the key: the next person at this browser finds the wallet locked.
    sign_out(page)
    sign_in(page, demo, email, NEW_PASSWORD)
    expect(page.get_by_test_id("me-name")).to_have_text("Asha Verma")
    expect(page.get_by_test_id("wallet").get_by_role("button", name="Unlock saved wallet")) \
        .to_be_visible()


def test_a_wrong_wallet_password_is_told_on_the_wallet_sign_in(page: Page, demo: Demo) -> None:
    page.goto(demo.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="Use a wallet instead").click()
    siwe = page.get_by_test_id("siwe-form")
    siwe.get_by_label("Wallet file (keystore JSON)").set_input_files(str(demo.wallet_file))
    siwe.get_by_label("Wallet password").fill("not-the-password")
    siwe.get_by_role("button", name="Unlock the file and sign").click()
    expect(siwe.get_by_role("alert")).to_contain_text("does not open this wallet file",
                                                       timeout=30_000)
    expect(siwe.get_by_label("Wallet password")).to_have_attribute("aria-invalid", "true")
    # The demo patient's own wallet is linked to her account: it signs her in.
    siwe.get_by_label("Wallet password").fill(demo.password)
    siwe.get_by_role("button", name="Unlock the file and sign").click()
    expect(page.get_by_test_id("me-name")).to_have_text("Priya Patient", timeout=30_000)


def test_a_browser_wallet_is_refused_until_linked_then_signs_the_person_in(
        page: Page, demo: Demo) -> None:
    wallet = inject_wallet(page)
    page.goto(demo.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="Use a wallet instead").click()
    console(page).expect_failed_response(401)
    page.get_by_role("button", name="Sign with my browser wallet").click()
    expect(page.get_by_role("alert")).to_contain_text("No account is linked to this wallet")
    # What the wallet was asked to sign: the service's EIP-4361 message, for this site.
    message = wallet.signed_messages[-1]
    host = demo.base_url.split("://", 1)[1]
    assert message.startswith(f"{host} wants you to sign in with your Ethereum account:\n"
                              f"{wallet.account.address}\n")
    assert f"URI: {demo.base_url}" in message and "Nonce: " in message

    page.get_by_role("button", name="Back to email and password").click()
    sign_in(page, demo, "patient2@ohms.demo")
    expect(page.get_by_test_id("me-name")).to_have_text("Arjun Patient")
    panel = page.get_by_test_id("wallet")
    panel.get_by_role("button", name="Connect browser wallet").click()
    expect(panel.get_by_test_id("wallet-address")).to_have_text(wallet.account.address)
    panel.get_by_role("button", name="Link this wallet to my account").click()
    expect(panel.get_by_test_id("wallet-link").get_by_role("status")).to_contain_text(
        "you can sign in with it")
    check_accessibility(page)
    screenshots(page, "browser-wallet-linked")

    sign_out(page)
    page.get_by_role("button", name="Use a wallet instead").click()
    page.get_by_role("button", name="Sign with my browser wallet").click()
    expect(page.get_by_test_id("me-name")).to_have_text("Arjun Patient")


def test_registration_and_wallet_sign_in_read_in_hindi(page: Page, demo: Demo) -> None:
    page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    page.goto(demo.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="हिन्दी").click()
    page.get_by_role("button", name="खाता बनाएँ").click()
    expect(page.get_by_role("heading", name="खाता बनाएँ")).to_be_visible()
    page.get_by_role("button", name="मेरा खाता बनाएँ").click()
    expect(page.get_by_test_id("register-form").get_by_role("alert").first).to_have_text(
        "इसे भरें।")
    check_accessibility(page)
    screenshots(page, "register-hindi")
    page.get_by_role("button", name="ईमेल और पासवर्ड पर वापस जाएँ").click()
    page.get_by_role("button", name="इसके बजाय वॉलेट का उपयोग करें").click()
    expect(page.get_by_role("heading", name="वॉलेट से साइन इन करें")).to_be_visible()
    check_accessibility(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Sign in with a wallet")).to_be_visible()
