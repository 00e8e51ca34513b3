"""One visit from first hours to follow-up, through the portal, on the real backends:
PostgreSQL, the Hardhat node, IPFS and a real SMTP server (tests/e2e/conftest.py `real_demo`).

A new physician of City General Hospital confirms her email address with the mailed link
and publishes her weekly hours; the demo patient finds her, books with a reason and, from the
booking screen, grants the hospital treatment access signed in her wallet; the physician
confirms; both are told in their inbox and by an email that holds no clinical text; the
front desk checks the patient in; the physician writes a note and a diagnosis in the
encounter, finishes it and books a follow-up; the patient reads the note, decrypted in her
browser."""

from __future__ import annotations

import re
import secrets
import time
import uuid
from email.message import EmailMessage

import httpx
from playwright.sync_api import Page, expect

from scripts.services.smtp import SmtpServer
from tests.e2e.conftest import RealDemo, check_accessibility, console, screenshots
from tests.e2e.journeys import open_screen, sign_in
from tests.e2e.test_account_email import only_link
from tests.e2e.test_portal import unlock_wallet
from tests.e2e.test_scheduling import pick_slot, tomorrows

PATIENT = "patient@ohms.demo"
HOSPITAL_ADMIN = "orgadmin@hospital.demo"
HELPDESK = "helpdesk@hospital.demo"
PASSWORD = "Visit-Passw0rd-2026!"



def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_test_id("signin-form")).to_be_visible()


def new_physician(demo: RealDemo) -> tuple[str, str]:
    """A physician the hospital's administrator adds (setup through the API): her email and
    name."""
    email = f"dr-rao-{uuid.uuid4().hex[:8]}@hospital.demo"
    name = f"Dr. Meera Rao {secrets.token_hex(2)}"
    with httpx.Client(base_url=demo.base_url, timeout=30) as client:
        token = client.post("/api/v1/auth/token", data={
            "username": HOSPITAL_ADMIN, "password": demo.password}).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = client.get("/api/v1/me", headers=headers).json()
        created = client.post(f"/api/v1/organizations/{me['organization']['id']}/members",
                              headers=headers, json={"email": email, "full_name": name,
                                                     "role": "physician",
                                                     "password": PASSWORD})
        assert created.status_code == 201, created.text
    return email, name


def mails(server: SmtpServer, address: str) -> list[EmailMessage]:
    return [r.message for r in server.to(address)]


def wait_for_mail(server: SmtpServer, address: str, subject: str, seen: int) -> EmailMessage:
    """The first mail to `address` with `subject` after the first `seen` ones (the outbox
    worker sends within seconds)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        for message in mails(server, address)[seen:]:
            if subject.lower() in str(message["Subject"]).lower():
                return message
        time.sleep(0.5)
    raise AssertionError(f"no mail {subject!r} to {address} within 60 s")


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    text: str = part.get_content()
    return text


def test_a_visit_on_postgresql_the_chain_ipfs_and_smtp(page: Page, real_demo: RealDemo) -> None:
    demo = real_demo
    assert demo.mail is not None
    server = demo.mail
    patient = demo.logins[PATIENT]
    reason = f"Wheezing at night {secrets.token_hex(3)}"
    note = f"Mild asthma, inhaler technique reviewed {secrets.token_hex(3)}."
    diagnosis = "Asthma"

    # The new physician confirms her address with the mailed link, then publishes her hours:
    # the weekdays' default and the weekend's mornings, so tomorrow is always bookable.
    email, name = new_physician(demo)
    sign_in(page, demo, email, PASSWORD)
    page.get_by_role("link", name="Email notifications").click()
    seen = len(mails(server, email))
    page.get_by_role("button", name="Send me a new confirmation link").click()
    link = only_link(wait_for_mail(server, email, "Confirm your email address", seen),
                     "/#/confirm-email?token=")
    page.goto(demo.base_url + "/" + link, wait_until="networkidle")
    page.get_by_role("button", name="Confirm my email address").click()
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed.")
    page.get_by_role("button", name="Continue to the portal").click()

    open_screen(page, "Schedules")
    new = page.get_by_role("region", name=f"New weekly schedule for {name}")
    for weekday in ("Saturday", "Sunday"):
        new.get_by_role("button", name="Add hours").click()
        row = new.get_by_role("group", name=re.compile(r"^Hours, row \d+$")).last
        row.get_by_label("Day", exact=True).select_option(label=weekday)
    new.get_by_role("button", name="Save the schedule").click()
    expect(new.get_by_role("status")).to_contain_text("The schedule is saved.")
    check_accessibility(page)
    screenshots(page, "visit-real-hours")
    sign_out(page)

    # The patient finds her, books with a reason and grants the hospital treatment access
    # from the booking screen, signed in her wallet.
    sign_in(page, demo, PATIENT)
    open_screen(page, "Appointments")
    finder = page.get_by_role("region", name="Find a doctor")
    finder.get_by_label("Doctor's name").fill(name)
    finder.get_by_role("button", name="Find").click()
    doctors = finder.get_by_test_id("doctor")
    expect(doctors).to_have_count(1)
    expect(doctors.first).to_contain_text("City General Hospital")
    doctors.first.get_by_role("button", name=f"Choose a time with {name}").click()
    booking = page.get_by_role("region", name=f"Book with {name}")
    pick_slot(booking, 1)  # tomorrow: her hours cover every day
    booking.get_by_label("Reason for the visit (optional)").fill(reason)
    booking.get_by_role("button", name="Book this time").click()
    booked = page.get_by_role("region", name="Appointment requested")
    expect(booked).to_contain_text(name)
    grant_from_the_booking_screen(page, demo)
    screenshots(page, "visit-real-booked")
    sign_out(page)

    # The physician confirms; she was told of the request in her inbox and by email.
    sign_in(page, demo, email, PASSWORD)
    requested = wait_for_mail(server, email, "appointment", 0)
    open_screen(page, "Notifications")
    inbox = page.get_by_test_id("notification")
    expect(inbox.filter(has_text="Appointment requested")).to_have_count(1)
    check_accessibility(page)
    screenshots(page, "visit-real-inbox")
    open_screen(page, "Calendar")
    appointments = tomorrows(page)
    pending = appointments.filter(has_text="Waiting for the clinic to confirm")
    expect(pending).to_have_count(1)
    pending.get_by_role("button", name="Confirm").click()
    expect(appointments.filter(has_text="Confirmed")).to_have_count(1)
    sign_out(page)

    # The patient's inbox and email tell her it is confirmed; no email holds the reason.
    confirmed = wait_for_mail(server, patient.email, "confirmed", 0)
    for message in (requested, confirmed, *mails(server, patient.email), *mails(server, email)):
        text = body_of(message) + str(message["Subject"])
        assert reason not in text and "Wheezing" not in text, text
        assert demo.base_url in text or "/#/" in text, text

    # The front desk checks her in.
    sign_in(page, demo, HELPDESK)
    open_screen(page, "Bookings")
    appointments = tomorrows(page).filter(has_text=name)
    expect(appointments.filter(has_text="Confirmed")).to_have_count(1)
    appointments.filter(has_text="Confirmed").get_by_role("button", name="Check in").click()
    expect(appointments.filter(has_text="Checked in")).to_have_count(1)
    sign_out(page)

    # The physician writes a note and a diagnosis in the encounter, finishes it and books a
    # follow-up.
    sign_in(page, demo, email, PASSWORD)
    console(page).expect_failed_response(409)  # the hospital keeps its own keys
    open_screen(page, "Calendar")
    arrived = tomorrows(page).filter(has_text="Checked in")
    arrived.get_by_role("button", name="Open the encounter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Encounter")
    found = page.get_by_role("region", name="Patient", exact=True)
    found.get_by_label("Patient's UHID").fill(patient.uhid)
    found.get_by_role("button", name="Find the patient").click()
    expect(found).to_contain_text("Priya Patient")
    write = page.get_by_role("region", name="Write for this patient")
    write.get_by_role("button", name="Note").click()
    write.get_by_label("Note", exact=True).fill(note)
    write.get_by_role("button", name="Save").click()
    expect(write.get_by_role("status")).to_contain_text("Saved")
    write.get_by_role("button", name="Diagnosis").click()
    write.get_by_label("Diagnosis", exact=True).fill(diagnosis)
    write.get_by_role("button", name="Save").click()
    saved = page.get_by_role("status").filter(has_text="Saved in this encounter: 2.")
    expect(saved).to_be_visible()
    finish = page.get_by_role("region", name="Finish the encounter")
    finish.get_by_role("button", name="Finish the encounter").click()
    expect(finish.get_by_role("status")).to_have_text("The encounter is finished.")
    follow = page.get_by_role("region", name="Book a follow-up")
    pick_slot(follow, 5)
    follow.get_by_role("button", name="Book the follow-up").click()
    expect(follow.get_by_role("status")).to_contain_text("Follow-up booked for")
    check_accessibility(page)
    screenshots(page, "visit-real-encounter")
    sign_out(page)

    # The patient reads the note and the diagnosis, decrypted in her browser.
    from eth_account import Account

    wallet = Account.from_key(Account.decrypt(demo.wallet_file.read_text(), demo.password))
    sign_in(page, demo, PATIENT)
    unlock_wallet(page, demo, wallet.address)
    page.get_by_role("button", name="Open my records").click()
    opened = page.get_by_role("region", name="Records", exact=True).get_by_test_id("record-open")
    expect(opened.filter(has_text=note)).to_have_count(1, timeout=30_000)
    expect(opened.filter(has_text=diagnosis).first).to_be_visible()
    open_screen(page, "Appointments")
    mine = page.get_by_role("region", name="My appointments").get_by_test_id("appointment")
    expect(mine.filter(has_text=name).filter(has_text="Visit done")).to_have_count(1)
    expect(mine.filter(has_text=name).filter(has_text="Follow-up visit")).to_have_count(1)
    screenshots(page, "visit-real-patient")


def grant_from_the_booking_screen(page: Page, demo: RealDemo) -> None:
    """In place, after booking: she unlocks her wallet file and signs treatment grants to the
    hospital for the categories offered (allergies, conditions, medications), each submitted
    to the chain; then her health screen lists them."""
    booked = page.get_by_role("region", name="Appointment requested")
    grant = booked.get_by_test_id("booking-grant")
    submit = grant.get_by_role("button", name="Sign and share with City General Hospital")
    wallet = grant.get_by_role("form", name="Unlock your wallet to sign")
    wallet.get_by_label("Wallet file (keystore JSON)").set_input_files(str(demo.wallet_file))
    wallet.get_by_label("Wallet password").fill(demo.password)
    wallet.get_by_role("button", name="Unlock", exact=True).click()
    expect(submit).to_be_enabled(timeout=30_000)
    expect(grant.get_by_test_id("booking-grant-summary")).to_contain_text(
        "City General Hospital may read your allergies")
    submit.click()
    expect(grant.get_by_role("status")).to_contain_text(
        "Shared with City General Hospital: 3 grant(s)", timeout=120_000)
    outcomes = grant.get_by_role("list", name="Grants signed").get_by_role("listitem")
    expect(outcomes).to_have_count(3)
    open_screen(page, "My health")
    consents = page.get_by_role("region", name="Consents", exact=True)
    hospital = consents.get_by_role("listitem").filter(has_text="City General Hospital")
    for category in ("All allergies", "All conditions", "All medications"):
        expect(hospital.filter(has_text=category).first).to_be_visible()
