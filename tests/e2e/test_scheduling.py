"""The scheduling screens through the served demo, as the people who use them: the patient
finds the hospital physician and books a slot and shares records with the hospital for the
visit, signed in her wallet, the physician confirms it, the helpdesk checks
her in, the physician writes in the encounter, finishes it and books a follow-up, the patient
sees the statuses, and the organisation's administrator adds leave over a booked appointment.

The tests run in file order and build on each other (one served demo per module)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import Demo, check_accessibility, console, screenshots
from tests.e2e.journeys import open_screen, sign_in

# The tests follow one visit from booking to follow-up, in order, on one served demo.
pytestmark = pytest.mark.xdist_group("tests/e2e/test_scheduling.py")

PATIENT = "patient@ohms.demo"
PHYSICIAN = "physician@hospital.demo"
HELPDESK = "helpdesk@hospital.demo"
ORG_ADMIN = "orgadmin@hospital.demo"




def pick_slot(area: Locator, day_index: int) -> None:
    """The `day_index`-th day of the picker (0 is today), then its first free time."""
    area.get_by_role("group", name="Choose a day").get_by_role("button").nth(day_index).click()
    times = area.get_by_role("group", name=re.compile("^Free times on"))
    first = times.get_by_role("button", name=re.compile("^Choose ")).first
    expect(first).to_be_visible()
    first.click()
    expect(area.get_by_text(re.compile("^Chosen time:"))).to_be_visible()


def tomorrows(page: Page) -> Locator:
    page.get_by_role("button", name="Next day").click()
    return page.get_by_test_id("appointment")


def test_the_patient_finds_the_hospital_physician_books_a_slot_and_shares_records(
        page: Page, demo: Demo) -> None:
    sign_in(page, demo, PATIENT)
    open_screen(page, "Appointments")
    finder = page.get_by_role("region", name="Find a doctor")
    doctors = finder.get_by_test_id("doctor")
    expect(doctors.first).to_be_visible()
    finder.get_by_label("Doctor's name").fill("Farah")
    finder.get_by_role("button", name="Find").click()
    expect(doctors).to_have_count(1)
    expect(doctors.first).to_contain_text("Dr. Farah Khan")
    expect(doctors.first).to_contain_text("Internal medicine")
    expect(doctors.first).to_contain_text("City General Hospital")
    expect(doctors.first).to_contain_text("Next free time")
    # The seeded appointment shows among hers before she books another.
    mine = page.get_by_role("region", name="My appointments")
    expect(mine.get_by_test_id("appointment").first).to_contain_text("Confirmed")
    check_accessibility(page)
    screenshots(page, "scheduling-patient-find")

    doctors.first.get_by_role("button", name="Choose a time with Dr. Farah Khan").click()
    booking = page.get_by_role("region", name="Book with Dr. Farah Khan")
    pick_slot(booking, 1)  # tomorrow: the demo physicians work every day
    booking.get_by_label("Reason for the visit (optional)").fill("Cough for two weeks")
    expect(booking.get_by_text(re.compile("stored only encrypted"))).to_be_visible()
    check_accessibility(page)
    screenshots(page, "scheduling-patient-book")
    booking.get_by_role("button", name="Book this time").click()

    booked = page.get_by_role("region", name="Appointment requested")
    expect(booked).to_contain_text("Dr. Farah Khan")
    expect(mine.get_by_test_id("appointment").filter(
        has_text="Waiting for the clinic to confirm")).to_have_count(1)

    # Then, in place, she shares records with the hospital for the visit.
    grant = booked.get_by_test_id("booking-grant")
    submit = grant.get_by_role("button", name="Sign and share with City General Hospital")
    expect(submit).to_be_disabled()  # nothing is signed before the wallet is unlocked

    # A fresh browser holds no wallet: she unlocks her wallet file where she books.
    wallet = grant.get_by_role("form", name="Unlock your wallet to sign")
    wallet.get_by_label("Wallet file (keystore JSON)").set_input_files(str(demo.wallet_file))
    wallet.get_by_label("Wallet password").fill(demo.password)
    wallet.get_by_role("button", name="Unlock", exact=True).click()
    expect(submit).to_be_enabled(timeout=30_000)  # scrypt runs in the page

    categories = grant.get_by_role("group", name="What they may read")
    for name in ("Allergies", "Conditions", "Medications"):
        categories.get_by_label(name, exact=True).uncheck()
    submit.click()
    expect(categories.get_by_role("alert")).to_have_text("Choose at least one kind of record.")
    categories.get_by_label("Lab results", exact=True).check()
    categories.get_by_label("Conditions", exact=True).check()
    until = grant.get_by_label("Until (inclusive)")
    expect(until).not_to_have_value("")  # a week after the visit unless she chooses
    expect(grant.get_by_test_id("booking-grant-summary")).to_contain_text(
        "City General Hospital may read your lab results, your conditions for your treatment")
    check_accessibility(page)
    screenshots(page, "scheduling-patient-grant")

    submit.click()
    expect(grant.get_by_role("status")).to_contain_text(
        "Shared with City General Hospital: 2 grant(s)", timeout=90_000)
    outcomes = grant.get_by_role("list", name="Grants signed").get_by_role("listitem")
    expect(outcomes).to_have_count(2)
    # The second is signed once the first is on the chain (the registry's nonce is in order).
    expect(outcomes.filter(has_text="Lab results")).to_contain_text("Active")
    screenshots(page, "scheduling-patient-granted")

    # The grants are hers like any other: listed on her health screen, revocable there.
    open_screen(page, "My health")
    consents = page.get_by_role("region", name="Consents", exact=True)
    hospital = consents.get_by_role("listitem").filter(has_text="City General Hospital")
    expect(hospital.filter(has_text="All lab results")).to_have_count(1)
    expect(hospital.filter(has_text="All conditions")).to_have_count(1)


def test_the_physician_confirms_it_in_the_calendar(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHYSICIAN)
    open_screen(page, "Calendar")
    expect(page.get_by_role("heading", level=1)).to_have_text("Calendar")
    appointments = tomorrows(page)
    pending = appointments.filter(has_text="Waiting for the clinic to confirm")
    expect(pending).to_have_count(1)
    check_accessibility(page)
    pending.get_by_role("button", name="Confirm").click()
    expect(appointments.filter(has_text="Confirmed")).to_have_count(1)
    page.get_by_role("button", name="Week", exact=True).click()
    expect(page.get_by_test_id("appointment").first).to_be_visible()
    check_accessibility(page)
    screenshots(page, "scheduling-calendar-week")


def test_the_helpdesk_checks_the_patient_in_and_books_a_walk_in(page: Page, demo: Demo) -> None:
    console(page).expect_failed_response(422)  # a reason for a patient without keys
    sign_in(page, demo, HELPDESK)
    open_screen(page, "Bookings")
    day = page.get_by_role("region", name="Today's appointments")
    expect(day).to_be_visible()
    check_accessibility(page)
    appointments = tomorrows(page)
    confirmed = appointments.filter(has_text="Confirmed")
    expect(confirmed).to_have_count(1)
    expect(confirmed).to_contain_text("Dr. Farah Khan")
    confirmed.get_by_role("button", name="Check in").click()
    expect(appointments.filter(has_text="Checked in")).to_have_count(1)

    walk_in = page.get_by_role("region", name="Book for a walk-in patient")
    walk_in.get_by_label("Patient's UHID").fill(demo.logins["patient2@ohms.demo"].uhid)
    walk_in.get_by_role("button", name="Find the patient").click()
    expect(walk_in).to_contain_text("Booking for Arjun Patient")
    walk_in.get_by_label("Practitioner").select_option(label="Dr. Farah Khan · Internal medicine")
    pick_slot(walk_in, 3)
    # Arjun has published no keys: a reason cannot be encrypted to him, so nothing is booked.
    reason = walk_in.get_by_label("Reason for the visit (optional)")
    reason.fill("Sprained ankle")
    walk_in.get_by_role("button", name="Book this time for Arjun Patient").click()
    expect(walk_in.get_by_role("alert")).to_contain_text("has not published encryption keys")
    reason.fill("")
    walk_in.get_by_role("button", name="Book this time for Arjun Patient").click()
    expect(walk_in.get_by_role("status").filter(has_text="Booked for")).to_contain_text(
        "Booked for Arjun Patient")
    check_accessibility(page)
    screenshots(page, "scheduling-helpdesk")


def test_the_physician_writes_in_the_encounter_finishes_it_and_books_a_follow_up(
        page: Page, demo: Demo) -> None:
    console(page).expect_failed_response(409)  # the hospital keeps its own keys
    sign_in(page, demo, PHYSICIAN)
    open_screen(page, "Calendar")
    arrived = tomorrows(page).filter(has_text="Checked in")
    arrived.get_by_role("button", name="Open the encounter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Encounter")
    patient = page.get_by_role("region", name="Patient", exact=True)
    patient.get_by_label("Patient's UHID").fill(demo.logins[PATIENT].uhid)
    patient.get_by_role("button", name="Find the patient").click()
    expect(patient).to_contain_text("Priya Patient")

    write = page.get_by_role("region", name="Write for this patient")
    write.get_by_role("textbox", name="Note").fill("Seen in clinic: cough settling, no fever.")
    write.get_by_role("button", name="Save").click()
    expect(write.get_by_role("status")).to_contain_text("Saved")
    check_accessibility(page)
    screenshots(page, "scheduling-encounter")

    finish = page.get_by_role("region", name="Finish the encounter")
    finish.get_by_role("button", name="Finish the encounter").click()
    expect(finish.get_by_role("status")).to_have_text("The encounter is finished.")

    follow = page.get_by_role("region", name="Book a follow-up")
    pick_slot(follow, 5)
    follow.get_by_role("button", name="Book the follow-up").click()
    expect(follow.get_by_role("status")).to_contain_text("Follow-up booked for")
    screenshots(page, "scheduling-encounter-done")


def test_the_patient_sees_her_appointments_statuses(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PATIENT)
    open_screen(page, "Appointments")
    mine = page.get_by_role("region", name="My appointments")
    items = mine.get_by_test_id("appointment")
    expect(items.filter(has_text="Visit done")).to_have_count(1)
    expect(items.filter(has_text="Follow-up visit")).to_have_count(1)
    expect(items.filter(has_text="Confirmed")).to_have_count(2)  # the seeded one, the follow-up
    # Each coming visit offers sharing with its clinic in place, as the booking did.
    follow_up = items.filter(has_text="Follow-up visit")
    follow_up.get_by_role("button", name="Share my records with City General Hospital").click()
    expect(follow_up.get_by_role("form", name="Unlock your wallet to sign")).to_be_visible()
    expect(follow_up.get_by_role("button", name="Sign and share with City General Hospital")) \
        .to_be_disabled()
    check_accessibility(page)
    screenshots(page, "scheduling-patient-statuses")

    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("अपॉइंटमेंट")
    expect(page.get_by_role("region", name="मेरे अपॉइंटमेंट")
           .get_by_test_id("appointment").filter(has_text="मुलाक़ात पूरी")).to_have_count(1)
    check_accessibility(page)
    screenshots(page, "scheduling-patient-hindi")


def test_the_org_admin_adds_leave_over_booked_appointments(page: Page, demo: Demo) -> None:
    console(page).expect_failed_response(422)  # the overlapping schedule, refused
    sign_in(page, demo, ORG_ADMIN)
    open_screen(page, "Schedules")
    page.get_by_label("Practitioner").select_option(label="Dr. Farah Khan")
    schedules = page.get_by_role("region", name="Schedules of Dr. Farah Khan")
    expect(schedules).to_contain_text("Asia/Kolkata")

    # The browser's zone differs from the schedule's: the service refuses the overlap, and
    # the refusal shows next to the weekly hours.
    new = page.get_by_role("region", name="New weekly schedule for Dr. Farah Khan")
    new.get_by_role("button", name="Save the schedule").click()
    hours = new.get_by_role("group", name="Weekly hours")
    expect(hours.get_by_role("alert")).to_contain_text("overlap")
    check_accessibility(page)

    schedules.get_by_role("button", name="Add leave").click()
    today = datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    schedules.get_by_label("Leave starts").fill(today.strftime("%Y-%m-%dT%H:%M"))
    until = today + timedelta(days=10)
    schedules.get_by_label("Leave ends").fill(until.strftime("%Y-%m-%dT%H:%M"))
    schedules.get_by_label("Reason").fill("Conference")
    schedules.get_by_role("button", name="Save the leave").click()
    added = schedules.get_by_test_id("leave-added")
    rebook = added.get_by_role("heading", name=re.compile(r"^Appointments to rebook: \d+"))
    expect(rebook).to_be_visible()
    expect(added.get_by_test_id("appointment").first).to_contain_text("needs a new time")
    check_accessibility(page)
    screenshots(page, "scheduling-leave")
