"""Rooms and equipment, and practitioners' directory profiles, through the served demo: the
hospital's helpdesk adds an operating room, publishes its weekly hours and books it for a
walk-in patient; the physician edits her own directory profile and a patient finds it; the
organisation's administrator edits a colleague's.

The tests run in file order and build on each other (one served demo per module)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import Demo, check_accessibility, screenshots
from tests.e2e.journeys import open_screen, sign_in
from tests.e2e.test_scheduling import pick_slot

pytestmark = pytest.mark.xdist_group("tests/e2e/test_resources.py")

HELPDESK = "helpdesk@hospital.demo"
PHYSICIAN = "physician@hospital.demo"
ORG_ADMIN = "orgadmin@hospital.demo"
PATIENT = "patient@ohms.demo"
ROOM = "Operating room 2"
SAVED = "Saved. Patients see it in the directory now."


def test_the_helpdesk_adds_a_room_and_publishes_its_hours(page: Page, demo: Demo) -> None:
    sign_in(page, demo, HELPDESK)
    open_screen(page, "Schedules")
    resources = page.get_by_role("region", name="Rooms and equipment")
    expect(resources.get_by_role("heading", name="Rooms and equipment")).to_be_visible()
    # The helpdesk may not edit practitioners' profiles: only the schedule shows for them.
    page.get_by_label("Practitioner, room or equipment").select_option(label="Dr. Farah Khan")
    expect(page.get_by_role("region", name="Schedules of Dr. Farah Khan")).to_be_visible()
    expect(page.get_by_test_id("profile")).to_have_count(0)

    add = resources.get_by_role("form", name="Add a room or equipment")
    add.get_by_role("button", name="Add it").click()
    expect(add.get_by_role("alert")).to_have_text("Give a name.")
    add.get_by_label("Name").fill(ROOM)
    add.get_by_role("button", name="Add it").click()
    expect(add.get_by_role("status")).to_contain_text(f"{ROOM} is added")
    add.get_by_label("Name").fill("MRI scanner")
    add.get_by_label("Equipment").check()
    add.get_by_role("button", name="Add it").click()
    expect(resources.get_by_role("listitem").filter(has_text="MRI scanner")).to_contain_text(
        "Equipment")
    check_accessibility(page)
    screenshots(page, "resources-list")

    resources.get_by_role("button", name=f"Weekly hours of {ROOM}").click()
    schedules = page.get_by_role("region", name=f"Schedules of {ROOM}")
    expect(schedules).to_contain_text("No schedule yet")
    new = page.get_by_role("region", name=f"New weekly schedule for {ROOM}")
    hours = new.get_by_role("group", name="Weekly hours")
    # Every day of the week, so that tomorrow is open whatever day today is.
    for _ in range(2):
        hours.get_by_role("button", name="Add hours").click()
    last_row = hours.get_by_role("group", name="Hours, row 7")
    last_row.get_by_label("Day", exact=True).select_option(index=6)
    new.get_by_label("Slot length (minutes)").fill("60")
    new.get_by_role("button", name="Save the schedule").click()
    expect(new.get_by_role("status")).to_have_text("The schedule is saved.")
    listed = page.get_by_role("region", name=f"Schedules of {ROOM}")
    expect(listed).not_to_contain_text("No schedule yet")
    expect(listed).to_contain_text("60 minutes")
    check_accessibility(page)
    screenshots(page, "resources-schedule")


def test_the_helpdesk_books_the_room_for_a_walk_in_patient(page: Page, demo: Demo) -> None:
    sign_in(page, demo, HELPDESK)
    open_screen(page, "Bookings")
    walk_in = page.get_by_role("region", name="Book for a walk-in patient")
    walk_in.get_by_label("Patient's UHID").fill(demo.logins["patient2@ohms.demo"].uhid)
    walk_in.get_by_role("button", name="Find the patient").click()
    expect(walk_in).to_contain_text("Booking for Arjun Patient")
    walk_in.get_by_role("group", name="What to book").get_by_label("A room or equipment").check()
    walk_in.get_by_label("Room or equipment", exact=True).select_option(label=f"{ROOM} · Room")
    pick_slot(walk_in, 1)
    check_accessibility(page)
    screenshots(page, "resources-book")
    walk_in.get_by_role("button", name="Book this time for Arjun Patient").click()
    expect(walk_in.get_by_role("status").filter(has_text="Booked for")).to_contain_text(
        "Booked for Arjun Patient")

    # The clinic's day list names the room, not "a practitioner".
    page.get_by_role("button", name="Next day").click()
    booked = page.get_by_test_id("appointment").filter(has_text=ROOM)
    expect(booked).to_have_count(1)
    expect(booked).to_contain_text("Arjun Patient")
    expect(booked).to_contain_text("Waiting for the clinic to confirm")
    booked.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("appointment").filter(has_text=ROOM)).to_contain_text("Confirmed")
    check_accessibility(page)
    screenshots(page, "resources-booked")


def test_the_physician_edits_her_directory_profile(page: Page, demo: Demo) -> None:
    sign_in(page, demo, PHYSICIAN)
    open_screen(page, "Schedules")
    profile = page.get_by_role("region", name="Directory profile of Dr. Farah Khan")
    expect(profile.get_by_label("Specialty", exact=True)).to_have_value("Internal medicine")
    expect(profile.get_by_label("Languages spoken")).to_have_value("en, hi")
    preview = profile.get_by_role("group", name="What the directory shows")
    expect(preview).to_contain_text("Hindi")

    profile.get_by_label("SNOMED CT code (optional)").fill("12")
    profile.get_by_label("Languages spoken").fill("en, hi, Marathi")
    profile.get_by_role("button", name="Save the profile").click()
    code = profile.get_by_label("SNOMED CT code (optional)")
    expect(code).to_have_attribute("aria-invalid", "true")
    expect(profile.get_by_role("alert").filter(has_text="6 to 18 digits")).to_be_visible()
    expect(profile.get_by_role("alert").filter(has_text="language codes")).to_be_visible()

    code.fill("419192003")
    profile.get_by_label("Languages spoken").fill("en, hi, mr")
    profile.get_by_label("Consultation fee (optional)").fill("650")
    profile.get_by_label("Currency (ISO code)").fill("IN1")
    profile.get_by_role("button", name="Save the profile").click()
    expect(profile.get_by_role("alert")).to_contain_text("three letters")
    profile.get_by_label("Currency (ISO code)").fill("INR")
    unsaved = profile.get_by_role("group", name="What the directory will show once saved")
    expect(unsaved).to_contain_text("Marathi")
    expect(unsaved).to_contain_text("650")
    check_accessibility(page)
    screenshots(page, "profile-edit")
    profile.get_by_role("button", name="Save the profile").click()
    expect(profile.get_by_role("status")).to_have_text(SAVED)
    expect(profile.get_by_role("group", name="What the directory shows")).to_contain_text("Marathi")
    screenshots(page, "profile-saved")

    # A patient finds what the preview showed.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, demo, PATIENT)
    open_screen(page, "Appointments")
    finder = page.get_by_role("region", name="Find a doctor")
    finder.get_by_label("Doctor's name").fill("Farah")
    finder.get_by_role("button", name="Find").click()
    doctor = finder.get_by_test_id("doctor")
    expect(doctor).to_have_count(1)
    expect(doctor).to_contain_text("Marathi")
    expect(doctor).to_contain_text(re.compile(r"650"))


def test_the_org_admin_edits_a_colleagues_profile(page: Page, demo: Demo) -> None:
    sign_in(page, demo, ORG_ADMIN)
    open_screen(page, "Schedules")
    page.get_by_label("Practitioner, room or equipment").select_option(label="Nia Nurse")
    profile = page.get_by_role("region", name="Directory profile of Nia Nurse")
    expect(profile).to_contain_text("Patients do not find this practitioner yet")
    profile.get_by_label("Specialty", exact=True).fill("Nursing care")
    profile.get_by_label("Languages spoken").fill("en, hi")
    profile.get_by_role("button", name="Save the profile").click()
    expect(profile.get_by_role("status")).to_have_text(SAVED)
    expect(profile.get_by_role("group", name="What the directory shows")).to_contain_text(
        "Nursing care")
    check_accessibility(page)
    screenshots(page, "profile-org-admin")

    page.get_by_role("button", name="हिन्दी").click()
    expect(page.get_by_role("region", name="कमरे और उपकरण")).to_contain_text(ROOM)
    expect(page.get_by_role("region", name="Nia Nurse की निर्देशिका प्रोफ़ाइल")).to_be_visible()
    check_accessibility(page)
    screenshots(page, "profile-hindi")
