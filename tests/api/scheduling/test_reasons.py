"""Why a patient comes is clinical content (DESIGN.md): the reason given at booking is written
as the patient's encrypted FHIR Appointment record, through the access gate, and the
appointment keeps only the record's id; no plaintext reason is in the database or any
answer. Cancellations, declines and moves carry a code, never free text."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import func, select

from api.audit.models import AccessLogEntry
from api.records.models import Record
from api.scheduling.models import Appointment
from tests.api.conftest import Ohms, User
from tests.api.scheduling.factories import (
    act,
    assert_problem,
    book,
    booked,
    clinic,
    make_schedule,
    publish_keys,
    snapshot,
)

DAY = "2030-01-07"  # a Monday


def marker() -> str:
    return f"REASON{uuid.uuid4().hex}"


def _row_text(ohms: Ohms, appointment_id: str) -> str:
    """Every column of the appointment's row, as text."""
    with ohms.db() as s:
        row = s.get(Appointment, uuid.UUID(appointment_id))
        assert row is not None
        return " ".join(str(getattr(row, c.key)) for c in Appointment.__table__.columns)


def _entries(ohms: Ohms, patient: User) -> list[AccessLogEntry]:
    with ohms.db() as s:
        return list(s.scalars(select(AccessLogEntry)
                              .where(AccessLogEntry.patient_uhid == patient.uhid)
                              .order_by(AccessLogEntry.at)))


def _records(ohms: Ohms) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(Record)) or 0)


def _everything_listed(ohms: Ohms, *users: User) -> str:
    return " ".join(json.dumps(ohms.client.get("/api/v1/appointments",
                                               headers=u.headers).json()) for u in users)


def test_a_patients_reason_is_their_encrypted_record_and_nowhere_in_plain_text(
        ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    keys = publish_keys(ohms, patient)
    make_schedule(ohms, c.admin, c.physician)
    reason = marker()
    r = book(ohms, patient, c.physician, f"{DAY}T09:00:00Z", reason=reason)
    assert r.status_code == 201, r.text
    appointment: dict[str, Any] = r.json()
    assert "reason" not in appointment and reason not in r.text
    record_id = appointment["reason_record"]
    assert record_id is not None

    # The row keeps the record's id only; the record is the patient's, written by them.
    assert reason not in _row_text(ohms, appointment["id"])
    with ohms.db() as s:
        record = s.get(Record, uuid.UUID(record_id))
        assert record is not None
        assert str(record.patient_id) == patient.id and str(record.author_id) == patient.id
        assert record.resource_type == "Appointment" and record.author_org_id is None
    # The patient opens it: a FHIR Appointment about this appointment.
    own = ohms.client.get(f"/api/v1/records/{record_id}", headers=patient.headers)
    assert own.status_code == 200, own.text
    opened = json.loads(keys.open_record(own.json()))
    assert opened["resourceType"] == "Appointment"
    assert opened["reasonCode"] == [{"text": reason}]
    assert opened["identifier"][0]["value"] == appointment["id"]
    assert opened["start"] == f"{DAY}T09:00:00Z" and opened["status"] == "pending"
    assert {"actor": {"reference": f"Patient/{patient.uhid}"}, "status": "accepted"} in \
        opened["participant"]

    # The clinic sees that there is a reason, not what it is (the patient's grant is needed).
    assert reason not in _everything_listed(ohms, patient, c.helpdesk, c.physician)
    r = ohms.client.get(f"/api/v1/records/{record_id}", headers=c.physician.headers)
    assert r.status_code in (403, 404), r.text
    assert _entries(ohms, patient)[-1].outcome == "denied"


def test_the_helpdesk_writes_the_reason_under_the_booking_logged_as_appointment(
        ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    publish_keys(ohms, patient)
    make_schedule(ohms, c.admin, c.physician)
    reason = marker()
    r = book(ohms, c.helpdesk, c.physician, f"{DAY}T10:00:00Z", patient=patient, reason=reason)
    assert r.status_code == 201, r.text
    record_id = r.json()["reason_record"]
    with ohms.db() as s:
        record = s.get(Record, uuid.UUID(record_id))
        assert record is not None
        assert str(record.author_id) == c.helpdesk.id and str(record.author_org_id) == c.org
    entry = _entries(ohms, patient)[-1]
    assert (entry.action, entry.outcome, entry.basis) == ("write", "granted", "appointment")
    assert str(entry.accessor_id) == c.helpdesk.id and str(entry.accessor_org_id) == c.org
    assert reason not in _row_text(ohms, r.json()["id"])

    # The booking is the basis for that one write, nothing else: the helpdesk writes no
    # other record for the patient, and reads none.
    other = ohms.client.post(f"/api/v1/patients/{patient.uhid}/records",
                             headers=c.helpdesk.headers, json={
                                 "resourceType": "Appointment", "status": "booked",
                                 "participant": [{"status": "accepted", "actor": {
                                     "reference": f"Patient/{patient.uhid}"}}]})
    assert other.status_code == 403, other.text
    assert ohms.client.get(f"/api/v1/records/{record_id}",
                           headers=c.helpdesk.headers).status_code == 403


def test_a_reason_without_the_patients_keys_is_refused_and_nothing_changes(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()  # no keys published
    make_schedule(ohms, c.admin, c.physician)
    before, records, entries = snapshot(ohms, c.physician), _records(ohms), \
        len(_entries(ohms, patient))
    for by, whom in ((patient, None), (c.helpdesk, patient)):
        r = book(ohms, by, c.physician, f"{DAY}T09:00:00Z", patient=whom, reason=marker())
        assert_problem(r, 422, "publishes their Umbral public keys")
    assert snapshot(ohms, c.physician) == before
    assert _records(ohms) == records and len(_entries(ohms, patient)) == entries
    # Without a reason the booking goes through.
    appointment = booked(ohms, patient, c.physician, f"{DAY}T09:00:00Z")
    assert appointment["reason_record"] is None


def test_a_follow_ups_reason_is_written_under_the_encounter(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    publish_keys(ohms, patient)
    make_schedule(ohms, c.admin, c.physician)
    first = booked(ohms, patient, c.physician, f"{DAY}T09:00:00Z")
    act(ohms, c.physician, first["id"], "confirm")
    encounter = act(ohms, c.helpdesk, first["id"], "check-in").json()["encounter"]
    reason = marker()
    r = ohms.client.post(f"/api/v1/encounters/{encounter}/follow-up",
                         headers=c.physician.headers,
                         json={"start": "2030-01-14T09:00:00Z", "reason": reason})
    assert r.status_code == 201, r.text
    assert r.json()["reason_record"] is not None and reason not in r.text
    entry = _entries(ohms, patient)[-1]
    assert (entry.action, entry.outcome, entry.basis) == ("write", "granted", "encounter")
    assert reason not in _row_text(ohms, r.json()["id"])


def test_cancel_decline_and_reschedule_take_a_code_not_free_text(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.admin, c.physician)
    first = booked(ohms, patient, c.physician, f"{DAY}T09:00:00Z")
    second = booked(ohms, patient, c.physician, f"{DAY}T09:30:00Z")
    before = snapshot(ohms, c.physician)
    for by, aid, action, body in (
            (patient, first["id"], "cancel", {"reason": "chest pain again"}),
            (patient, first["id"], "cancel", {"reason": "other", "note": "chest pain"}),
            (patient, first["id"], "cancel", {}),
            (c.helpdesk, second["id"], "decline", {"reason": "the doctor is ill"}),
            (patient, first["id"], "reschedule", {"start": f"{DAY}T10:00:00Z",
                                                  "reason": "feeling better"})):
        assert_problem(act(ohms, by, aid, action, body), 422)
    assert snapshot(ohms, c.physician) == before

    r = act(ohms, patient, first["id"], "reschedule", {"start": f"{DAY}T10:00:00Z"})
    assert r.status_code == 200 and r.json()["reschedule_reason"] is None, r.text
    r = act(ohms, c.helpdesk, second["id"], "decline", {"reason": "practitioner_unavailable"})
    assert r.json()["cancel_reason"] == "practitioner_unavailable", r.text
    r = act(ohms, patient, first["id"], "cancel", {"reason": "other"})
    assert r.json()["cancel_reason"] == "other", r.text
