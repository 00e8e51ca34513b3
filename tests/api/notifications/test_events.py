"""Each event lands in the person's inbox and, to a confirmed address whose owner wants that
kind by email, as an email naming the event with a link to the portal: no reason, note,
result or other clinical text of the event is ever in it."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from api.notifications.models import EmailStatus, NotificationKind
from tests.api.billing_helpers import CONSULTATION, issued_invoice
from tests.api.insurance.factories import adjudicate, claim, coverage, insurer
from tests.api.notifications.conftest import MailApp, body_of
from tests.api.records.conftest import lab_result
from tests.api.scheduling.factories import act, book, booked, clinic, make_schedule, publish_keys

SUBJECTS = {
    NotificationKind.appointment_requested: "OHMS: Appointment requested",
    NotificationKind.appointment_confirmed: "OHMS: Appointment confirmed",
    NotificationKind.appointment_declined: "OHMS: Appointment declined",
    NotificationKind.appointment_rescheduled: "OHMS: Appointment rescheduled",
    NotificationKind.appointment_cancelled: "OHMS: Appointment cancelled",
    NotificationKind.appointment_reminder: "OHMS: Appointment reminder",
    NotificationKind.results_ready: "OHMS: New results in your records",
    NotificationKind.break_glass: "OHMS: Emergency access to your records",
    NotificationKind.invoice_issued: "OHMS: New invoice",
    NotificationKind.claim_adjudicated: "OHMS: Claim decided",
}


# What a patient is never told: kinds about an organisation's work (its stock, its orders'
# specimens).
STAFF_ONLY = {NotificationKind.stock_below_reorder_point, NotificationKind.specimen_rejected}


def marker(label: str) -> str:
    return f"CLINICAL{label.upper()}{uuid.uuid4().hex}"


def test_every_event_kind_reaches_the_inbox_and_the_email_without_clinical_text(
        mail: MailApp) -> None:
    ohms = mail.ohms
    patient = mail.confirmed_patient()
    publish_keys(ohms, patient)
    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    day = "2030-02-04"  # a Monday
    secrets = [marker("reason"), marker("result"), marker("emergency")]

    # Requested (with a reason: clinical content), confirmed, moved by the clinic.
    r = book(ohms, patient, c.physician, f"{day}T09:00:00Z", reason=secrets[0])
    assert r.status_code == 201, r.text
    first = r.json()["id"]
    assert act(ohms, c.physician, first, "confirm").status_code == 200
    moved = act(ohms, c.helpdesk, first, "reschedule",
                {"start": f"{day}T09:30:00Z", "reason": "practitioner_unavailable"})
    assert moved.status_code == 200, moved.text
    # Declined; cancelled by the patient.
    second = booked(ohms, patient, c.physician, f"{day}T10:00:00Z")["id"]
    assert act(ohms, c.physician, second, "decline",
               {"reason": "practitioner_unavailable"}).status_code == 200
    assert act(ohms, patient, first, "cancel", {"reason": "patient_request"}).status_code == 200
    # A confirmed one, reminded of the day before, then a visit with a lab result.
    third = booked(ohms, patient, c.physician, f"{day}T11:00:00Z")["id"]
    assert act(ohms, c.physician, third, "confirm").status_code == 200
    reminders = mail.reminders(clock=datetime.fromisoformat(f"{day}T10:00:00+00:00"))
    assert reminders.run_once() >= 1
    assert reminders.run_once() == 0  # queued once
    check_in = act(ohms, c.helpdesk, third, "check-in")
    assert check_in.status_code == 200, check_in.text
    r = ohms.client.post(f"/api/v1/patients/{patient.uhid}/records",
                         headers=c.physician.headers, json=lab_result(patient.uhid, secrets[1]))
    assert r.status_code == 201, r.text
    # An emergency read of the patient's records.
    r = ohms.client.post("/api/v1/break-glass", headers=c.nurse.headers,
                         json={"patient": patient.uhid, "reason": secrets[2]})
    assert r.status_code == 201, r.text
    # The desk bills the visit; the patient's insurer decides a claim on it.
    invoice = issued_invoice(ohms, c.helpdesk, patient, [
        {**CONSULTATION, "description": "Consultation, general medicine"}])
    payer = insurer(ohms)
    covered = coverage(ohms, patient, patient, payer.org)
    submitted = claim(ohms, c.helpdesk, invoice["id"], covered["id"])
    decided = adjudicate(ohms, payer.staff, submitted["id"], outcome="denied",
                         reason="not covered by the plan")
    assert decided.status_code == 200, decided.text

    mail.deliver()

    inbox_kinds = [n.kind for n in mail.inbox(patient)]
    assert set(inbox_kinds) == {k.value for k in set(NotificationKind) - STAFF_ONLY}, inbox_kinds
    messages = mail.messages_to(patient.email)
    by_subject: dict[str, int] = {}
    for message in messages:
        by_subject[str(message["Subject"])] = by_subject.get(str(message["Subject"]), 0) + 1
        assert patient.email in str(message["To"])
        body = body_of(message)
        assert f"{mail.public_url}/#/" in body, body
    for kind, subject in SUBJECTS.items():
        assert by_subject.get(subject), (kind, by_subject)
    # One email per inbox row (after the confirmation email itself).
    assert len(messages) == len(inbox_kinds) + 1
    # Nothing of what the event was about: not the reason, the result, the emergency, nor
    # the lab test's name or value.
    for raw in mail.raw_to(patient.email):
        for text in [*secrets, "Glucose", "5.4", "mmol", "Consultation", "590.00",
                     "not covered"]:
            assert text.encode() not in raw, text
    # The practitioner is told in the inbox of what the patient asked for or changed.
    practitioner_kinds = {n.kind for n in mail.inbox(c.physician)}
    assert {"appointment_requested", "appointment_cancelled"} <= practitioner_kinds
    # Message-IDs are the outbox rows' own.
    ids = {str(m["Message-ID"]) for m in messages}
    rows = {mail.worker().message_id(row.id) for row in mail.outbox(patient)
            if row.status is EmailStatus.sent}
    assert ids == rows


def test_kinds_turned_off_still_reach_the_inbox_but_not_the_email(mail: MailApp) -> None:
    ohms = mail.ohms
    patient = mail.confirmed_patient()
    got = ohms.client.get("/api/v1/me/notification-preferences", headers=patient.headers)
    assert got.status_code == 200, got.text
    assert got.json()["email_address_confirmed"] is True
    assert all(got.json()["email"].values())
    put = ohms.client.put("/api/v1/me/notification-preferences", headers=patient.headers,
                          json={"email": {"appointment_confirmed": False}})
    assert put.status_code == 200, put.text
    assert put.json()["email"]["appointment_confirmed"] is False
    assert put.json()["email"]["appointment_requested"] is True
    # An unknown kind is refused and changes nothing.
    bad = ohms.client.put("/api/v1/me/notification-preferences", headers=patient.headers,
                          json={"email": {"lab_values": False}})
    assert bad.status_code == 422, bad.text
    assert ohms.client.get("/api/v1/me/notification-preferences",
                           headers=patient.headers).json() == put.json()

    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    appointment = booked(ohms, patient, c.physician, "2030-02-05T09:00:00Z")["id"]
    assert act(ohms, c.physician, appointment, "confirm").status_code == 200
    mail.deliver()

    assert {"appointment_requested", "appointment_confirmed"} <= \
        {n.kind for n in mail.inbox(patient)}
    subjects = [str(m["Subject"]) for m in mail.messages_to(patient.email)]
    assert SUBJECTS[NotificationKind.appointment_requested] in subjects
    assert SUBJECTS[NotificationKind.appointment_confirmed] not in subjects
    statuses = {row.kind: row.status for row in mail.outbox(patient)}
    assert statuses["appointment_confirmed"] is EmailStatus.skipped


def test_each_person_chooses_among_the_kinds_that_concern_them(mail: MailApp) -> None:
    """A patient is never told of a pharmacy's stock, staff never of emergency access to
    their own records: neither lists the other's kinds, and choosing one is refused."""
    ohms = mail.ohms
    patient = mail.confirmed_patient()
    pharmacy = ohms.create_org("pharmacy")
    pharmacist = ohms.add_member(pharmacy, "pharmacist")
    for who, theirs, not_theirs in ((patient, "break_glass", "stock_below_reorder_point"),
                                    (pharmacist, "stock_below_reorder_point", "break_glass")):
        got = ohms.client.get("/api/v1/me/notification-preferences", headers=who.headers)
        assert got.status_code == 200, got.text
        assert theirs in got.json()["email"] and not_theirs not in got.json()["email"]
        bad = ohms.client.put("/api/v1/me/notification-preferences", headers=who.headers,
                              json={"email": {not_theirs: False, theirs: False}})
        assert bad.status_code == 422, bad.text
        assert bad.headers["content-type"].startswith("application/problem+json")
        assert not_theirs in bad.json()["detail"]
        assert ohms.client.get("/api/v1/me/notification-preferences",
                               headers=who.headers).json() == got.json()


def test_an_unconfirmed_address_gets_no_notification_emails(mail: MailApp) -> None:
    ohms = mail.ohms
    patient = ohms.register_patient()  # the confirmation link is mailed, never opened
    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    appointment = booked(ohms, patient, c.physician, "2030-02-06T09:00:00Z")["id"]
    assert act(ohms, c.physician, appointment, "confirm").status_code == 200
    mail.deliver()

    assert {"appointment_requested", "appointment_confirmed"} <= \
        {n.kind for n in mail.inbox(patient)}
    subjects = [str(m["Subject"]) for m in mail.messages_to(patient.email)]
    assert subjects == ["OHMS: Confirm your email address"]
    prefs = ohms.client.get("/api/v1/me/notification-preferences", headers=patient.headers)
    assert prefs.json()["email_address_confirmed"] is False


def test_a_reminder_is_queued_once_per_appointment_and_again_after_a_move(
        mail: MailApp) -> None:
    ohms = mail.ohms
    patient = mail.confirmed_patient()
    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    day = "2030-02-07"
    appointment = booked(ohms, patient, c.physician, f"{day}T11:00:00Z")["id"]
    # A pending request is not reminded of; a confirmed one is, within the window only.
    early = mail.reminders(clock=datetime.fromisoformat(f"{day}T11:00:00+00:00")
                           - timedelta(minutes=1441))
    sweep = mail.reminders(clock=datetime.fromisoformat(f"{day}T09:00:00+00:00"))
    sweep.run_once()
    assert act(ohms, c.physician, appointment, "confirm").status_code == 200
    early.run_once()
    assert "appointment_reminder" not in {n.kind for n in mail.inbox(patient)}
    sweep.run_once()
    sweep.run_once()
    assert [n.kind for n in mail.inbox(patient)].count("appointment_reminder") == 1
    # Moved by the clinic: reminded of the new time too.
    assert act(ohms, c.helpdesk, appointment, "reschedule",
               {"start": f"{day}T11:30:00Z"}).status_code == 200
    sweep.run_once()
    sweep.run_once()
    assert [n.kind for n in mail.inbox(patient)].count("appointment_reminder") == 2
    mail.deliver()
    subjects = [str(m["Subject"]) for m in mail.messages_to(patient.email)]
    assert subjects.count(SUBJECTS[NotificationKind.appointment_reminder]) == 2
