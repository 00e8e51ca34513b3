"""The portal's account emails as people use them: "Forgot your password?" (the same answer
for any address, a mailed single-use link, a new password), confirming an email address
with its mailed link, and choosing which notifications come by email. The mails are the
.eml files the service writes in its data directory (the embedded mailer)."""

from __future__ import annotations

import re
import time
import uuid
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.test_portal import sign_in
from tests.test_cli import Login

SAME_ANSWER = "If an account has this address, we have sent a link to reset its password."
NEW_PASSWORD = "violet harbour tundra 91 lantern"
LINK = re.compile(r"https?://\S+")


def mail_dir(demo: Demo) -> Path:
    return demo.data_dir / "mail"


def mails_to(demo: Demo, address: str) -> list[tuple[Path, EmailMessage]]:
    found = []
    for path in sorted(mail_dir(demo).glob("*.eml")) if mail_dir(demo).is_dir() else []:
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(message, EmailMessage)
        if address in str(message["To"]):
            found.append((path, message))
    return found


def wait_for_mail(demo: Demo, address: str, subject: str, known: set[Path]) -> EmailMessage:
    """The first mail to `address` with `subject` not among `known` (the outbox worker sends
    within a few seconds)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for path, message in mails_to(demo, address):
            if path not in known and message["Subject"] == subject:
                return message
        time.sleep(0.25)
    raise AssertionError(f"no mail {subject!r} to {address} within 30 s")


def only_link(message: EmailMessage, fragment: str) -> str:
    """The message's one link (which must open `fragment`), as the hash to visit."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None and message.get_body(preferencelist=("html",)) is None
    body: str = part.get_content()
    links: list[str] = LINK.findall(body)
    assert len(links) == 1, body
    assert fragment in links[0], links[0]
    return "#" + links[0].split("#", 1)[1]


def open_forgot_password(page: Page, demo: Demo) -> None:
    page.goto(demo.base_url + "/", wait_until="networkidle")
    page.get_by_role("button", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()


def test_forgot_password_answers_alike_mails_one_link_and_sets_a_new_password(
        page: Page, demo: Demo) -> None:
    person = demo.logins["patient2@ohms.demo"]
    known = {path for path, _ in mails_to(demo, person.email)}

    # Nothing typed: told next to the field.
    open_forgot_password(page, demo)
    check_accessibility(page)
    screenshots(page, "account-forgot")
    page.get_by_role("button", name="Send me a reset link").click()
    email = page.get_by_test_id("forgot-form").get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_have_text("Type your email address.")

    # An address with no account and one with an account get the same words.
    email.fill("nobody-here@example.org")
    page.get_by_role("button", name="Send me a reset link").click()
    unknown_answer = page.get_by_test_id("reset-sent").inner_text()
    assert unknown_answer.startswith(SAME_ANSWER)
    check_accessibility(page)
    screenshots(page, "account-forgot-sent")
    page.get_by_role("button", name="Back to email and password").click()
    page.get_by_role("button", name="Forgot your password?").click()
    page.get_by_test_id("forgot-form").get_by_label("Email").fill(person.email)
    page.get_by_role("button", name="Send me a reset link").click()
    expect(page.get_by_test_id("reset-sent")).to_have_text(unknown_answer)

    # The mail holds the link and what happened, nothing about the person's health or account.
    message = wait_for_mail(demo, person.email, "OHMS: Reset your password", known)
    hash_ = only_link(message, "/#/reset-password?token=")
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "reset your OHMS password" in body
    for private in (person.uhid, demo.password, "Arjun"):
        assert private not in body
    assert not mails_to(demo, "nobody-here@example.org")

    # The link opens the page to choose a new password (signed out).
    page.goto(demo.base_url + "/" + hash_, wait_until="networkidle")
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "account-reset")
    form = page.get_by_test_id("reset-form")
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Type the new password again").fill(NEW_PASSWORD + "x")
    page.get_by_role("button", name="Save the new password").click()
    again = form.get_by_label("Type the new password again")
    expect(again).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert")).to_have_text("The two passwords are not the same.")
    # A password the service finds too easy to guess: its refusal next to the field.
    console(page).expect_failed_response(422)
    form.get_by_label("New password", exact=True).fill("aaaaaaaaaaaa")
    form.get_by_label("Type the new password again").fill("aaaaaaaaaaaa")
    page.get_by_role("button", name="Save the new password").click()
    expect(form.get_by_label("New password", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(form.get_by_role("alert")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "account-reset-refused")

    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    form.get_by_label("Type the new password again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password has been changed.")
    check_accessibility(page)
    page.get_by_role("button", name="Go to sign in").click()
    assert "token" not in page.url

    # The old password no longer works; the new one does.
    console(page).expect_failed_response(401)
    signin = page.get_by_test_id("signin-form")
    signin.get_by_label("Email").fill(person.email)
    signin.get_by_label("Password").fill(demo.password)
    page.get_by_role("button", name="Sign in").click()
    expect(signin.get_by_role("alert")).not_to_be_empty()
    signin.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("me-name")).to_have_text("Arjun Patient")

    # The link works once.
    page.goto(demo.base_url + "/" + hash_, wait_until="networkidle")
    form = page.get_by_test_id("reset-form")
    form.get_by_label("New password", exact=True).fill(NEW_PASSWORD + " again")
    form.get_by_label("Type the new password again").fill(NEW_PASSWORD + " again")
    page.get_by_role("button", name="Save the new password").click()
    expect(page.get_by_role("alert")).to_contain_text("This link is not valid")


def test_a_broken_reset_link_says_so_in_hindi_too(page: Page, demo: Demo) -> None:
    page.goto(demo.base_url + "/#/reset-password", wait_until="networkidle")
    expect(page.get_by_role("alert")).to_contain_text("This link is not valid")
    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", name="नया पासवर्ड चुनें")).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("यह लिंक मान्य नहीं है")
    check_accessibility(page)
    page.get_by_role("button", name="साइन इन पर जाएँ").click()
    expect(page.get_by_role("button", name="अपना पासवर्ड भूल गए?")).to_be_visible()


def test_email_choices_persist_and_a_new_link_confirms_the_address(
        page: Page, demo: Demo) -> None:
    # A new patient (the demo's accounts are confirmed): registration mails a link she
    # has not opened yet.
    email = f"new-{uuid.uuid4().hex[:8]}@example.org"
    with httpx.Client(base_url=demo.base_url, timeout=30) as client:
        registered = client.post("/api/v1/auth/register", json={
            "email": email, "password": demo.password, "full_name": "Nisha Verma",
            "date_of_birth": "1992-04-05"})
        assert registered.status_code == 201, registered.text
    person = Login("patient", email, registered.json()["uhid"])
    wait_for_mail(demo, email, "OHMS: Confirm your email address", set())  # registration's
    known = {path for path, _ in mails_to(demo, person.email)}
    sign_in(page, demo, person.email)
    expect(page.get_by_test_id("me-name")).to_have_text("Nisha Verma")
    page.get_by_role("link", name="Email notifications").click()
    expect(page.get_by_role("heading", name="Email notifications", level=1)).to_be_visible()
    unconfirmed = page.get_by_role("region", name="Your email address is not confirmed")
    expect(unconfirmed).to_contain_text(person.email)
    check_accessibility(page)
    screenshots(page, "account-notifications")

    # A choice saved is there after a reload.
    results = page.get_by_role("checkbox", name="New results are ready")
    before = results.is_checked()
    results.set_checked(not before)
    page.get_by_role("button", name="Save my choices").click()
    expect(page.get_by_role("status")).to_have_text("Your choices are saved.")
    page.reload(wait_until="networkidle")
    expect(page.get_by_role("checkbox", name="New results are ready")).to_be_checked(
        checked=not before)

    # A new confirmation link, mailed; opening it confirms the address.
    page.get_by_role("button", name="Send me a new confirmation link").click()
    expect(unconfirmed.get_by_role("status")).to_contain_text("A new link to confirm your email")
    message = wait_for_mail(demo, person.email, "OHMS: Confirm your email address", known)
    hash_ = only_link(message, "/#/confirm-email?token=")
    page.goto(demo.base_url + "/" + hash_, wait_until="networkidle")
    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "account-confirm-email")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("status")).to_have_text(
        "Your email address is confirmed. The notifications you choose can now reach you by email.")
    check_accessibility(page)
    page.get_by_role("button", name="Continue to the portal").click()
    assert "token" not in page.url
    page.get_by_role("link", name="Email notifications").click()
    expect(page.get_by_role("checkbox", name="New results are ready")).to_be_visible()
    expect(page.get_by_role("region", name="Your email address is not confirmed")).to_have_count(0)

    # The link works once.
    console(page).expect_failed_response(422)
    page.goto(demo.base_url + "/" + hash_, wait_until="networkidle")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("alert")).to_contain_text("This link is not valid")
