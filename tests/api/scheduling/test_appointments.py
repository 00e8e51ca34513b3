"""Schedules, slots and the life of an appointment through the API, on both backends: book,
confirm, check in (an encounter opens), finish (fulfilled), follow-up; reschedule and cancel
with a kept reason code; no-shows; leave over booked appointments; the directory."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from api.scheduling.models import Encounter
from tests.api.conftest import Ohms
from tests.api.scheduling.factories import (
    act,
    assert_problem,
    booked,
    clinic,
    make_schedule,
    set_start,
    slots,
)

DAY = "2030-01-07"  # a Monday


def test_book_confirm_check_in_finish_and_follow_up(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.physician, c.physician)  # the practitioner sets their own hours
    free = slots(ohms, patient, c.physician, f"{DAY}T00:00:00Z", f"{DAY}T23:59:00Z")
    assert free == [f"{DAY}T09:00:00Z", f"{DAY}T09:30:00Z", f"{DAY}T10:00:00Z",
                    f"{DAY}T10:30:00Z", f"{DAY}T11:00:00Z", f"{DAY}T11:30:00Z"]

    # Any offset is accepted; the answer is in UTC.
    appointment = booked(ohms, patient, c.physician, "2030-01-07T10:00:00+01:00")
    assert appointment["status"] == "pending"
    assert appointment["start"] == f"{DAY}T09:00:00Z" and appointment["end"] == \
        f"{DAY}T09:30:00Z"
    assert appointment["patient"] == patient.id
    assert appointment["organization"] == c.org
    assert f"{DAY}T09:00:00Z" not in slots(ohms, patient, c.physician, f"{DAY}T00:00:00Z",
                                            f"{DAY}T23:59:00Z")

    r = act(ohms, c.physician, appointment["id"], "confirm")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "booked"
    assert_problem(act(ohms, c.physician, appointment["id"], "confirm"), 409)

    mine = ohms.client.get("/api/v1/appointments", headers=patient.headers).json()
    assert [(a["id"], a["status"]) for a in mine] == [(appointment["id"], "booked")]
    practitioners = ohms.client.get("/api/v1/appointments", headers=c.physician.headers).json()
    assert appointment["id"] in {a["id"] for a in practitioners}
    # The clinic knows who is coming (it cannot read the patient's account itself).
    theirs = next(a for a in practitioners if a["id"] == appointment["id"])
    assert theirs["patient_uhid"] == patient.uhid and theirs["patient_name"] == "Pat Tester"

    r = act(ohms, c.helpdesk, appointment["id"], "check-in")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "arrived"
    encounter_id = r.json()["encounter"]
    with ohms.db() as s:
        encounter = s.get(Encounter, uuid.UUID(encounter_id))
        assert encounter is not None
        assert str(encounter.appointment_id) == appointment["id"]
        assert str(encounter.patient_id) == patient.id
        assert str(encounter.organization_id) == c.org
        assert str(encounter.practitioner_id) == c.physician.id
        assert encounter.started_at is not None and encounter.finished_at is None

    # A follow-up booked by the practitioner from the encounter, with themself: booked.
    r = ohms.client.post(f"/api/v1/encounters/{encounter_id}/follow-up",
                         headers=c.physician.headers, json={"start": "2030-01-14T09:00:00Z"})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "booked" and r.json()["follow_up_of"] == encounter_id
    assert r.json()["patient"] == patient.id

    # Only the encounter's practitioner finishes it.
    r = ohms.client.post(f"/api/v1/encounters/{encounter_id}/finish", headers=c.nurse.headers)
    assert_problem(r, 403)
    r = ohms.client.post(f"/api/v1/encounters/{encounter_id}/finish",
                         headers=c.physician.headers)
    assert r.status_code == 200, r.text
    assert r.json()["finished_at"] is not None and r.json()["id"] == encounter_id
    r = ohms.client.post(f"/api/v1/encounters/{encounter_id}/finish",
                         headers=c.physician.headers)
    assert_problem(r, 409)
    mine = {a["id"]: a for a in
            ohms.client.get("/api/v1/appointments", headers=patient.headers).json()}
    assert mine[appointment["id"]]["status"] == "fulfilled"
    assert mine[appointment["id"]]["encounter"] == encounter_id


def test_helpdesk_books_for_a_patient_who_reschedules_and_cancels_with_a_reason(
        ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.helpdesk, c.physician)  # the front desk sets the hours
    appointment = booked(ohms, c.helpdesk, c.physician, f"{DAY}T11:00:00Z", patient=patient)
    assert appointment["status"] == "pending" and appointment["patient"] == patient.id
    assert act(ohms, c.admin, appointment["id"], "confirm").json()["status"] == "booked"

    # The helpdesk sees the organisation's appointments; the patient their own.
    listed = ohms.client.get("/api/v1/appointments", headers=c.helpdesk.headers).json()
    assert appointment["id"] in {a["id"] for a in listed}

    r = act(ohms, patient, appointment["id"], "reschedule",
            {"start": f"{DAY}T11:30:00Z", "reason": "patient_request"})
    assert r.status_code == 200, r.text
    # Moved by the patient: the clinic confirms again.
    assert r.json()["start"] == f"{DAY}T11:30:00Z" and r.json()["status"] == "pending"
    assert r.json()["reschedule_reason"] == "patient_request"
    free = slots(ohms, patient, c.physician, f"{DAY}T11:00:00Z", f"{DAY}T12:00:00Z")
    assert free == [f"{DAY}T11:00:00Z"]

    r = act(ohms, patient, appointment["id"], "cancel", {"reason": "patient_request"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled" and r.json()["cancel_reason"] == "patient_request"
    # The slot is free again; the cancelled appointment is kept, with its reason.
    assert f"{DAY}T11:30:00Z" in slots(ohms, patient, c.physician, f"{DAY}T11:00:00Z",
                                        f"{DAY}T12:00:00Z")
    assert_problem(act(ohms, patient, appointment["id"], "cancel", {"reason": "other"}), 409)
    again = booked(ohms, ohms.register_patient(), c.physician, f"{DAY}T11:30:00Z")
    assert again["status"] == "pending"


def test_the_clinic_declines_and_cancels_and_records_no_shows(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.admin, c.physician)
    first = booked(ohms, patient, c.physician, f"{DAY}T09:00:00Z")
    r = act(ohms, c.helpdesk, first["id"], "decline", {"reason": "practitioner_unavailable"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "cancelled"
    assert r.json()["cancel_reason"] == "practitioner_unavailable"

    second = booked(ohms, patient, c.physician, f"{DAY}T09:30:00Z")
    r = act(ohms, c.helpdesk, second["id"], "cancel", {"reason": "clinic_closed"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text

    third = booked(ohms, patient, c.physician, f"{DAY}T10:00:00Z")
    act(ohms, c.physician, third["id"], "confirm")
    assert_problem(act(ohms, c.helpdesk, third["id"], "no-show"), 409, "not started")
    set_start(ohms, third["id"], datetime.now(UTC) - timedelta(hours=2))
    r = act(ohms, c.helpdesk, third["id"], "no-show")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "noshow"


def test_leave_over_booked_appointments_lists_them_and_keeps_them(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    schedule = make_schedule(ohms, c.physician, c.physician)
    inside = booked(ohms, patient, c.physician, f"{DAY}T10:00:00Z")
    act(ohms, c.physician, inside["id"], "confirm")
    outside = booked(ohms, patient, c.physician, f"{DAY}T11:30:00Z")

    r = ohms.client.post(f"/api/v1/schedules/{schedule}/exceptions", headers=c.helpdesk.headers,
                         json={"start": f"{DAY}T09:45:00+00:00",
                               "end": "2030-01-07T12:30:00+01:00", "reason": "leave"})
    assert r.status_code == 201, r.text
    assert r.json()["id"]
    assert [a["id"] for a in r.json()["affected"]] == [inside["id"]]
    assert r.json()["affected"][0]["needs_rebooking"] is True
    # Kept as they were, marked for rebooking; the leave's slots are no longer offered.
    mine = {a["id"]: a for a in
            ohms.client.get("/api/v1/appointments", headers=patient.headers).json()}
    assert mine[inside["id"]]["status"] == "booked" and mine[inside["id"]]["needs_rebooking"]
    assert not mine[outside["id"]]["needs_rebooking"]
    # 09:45-11:30 UTC takes 09:30 to 11:00; 11:30 is the other appointment's.
    assert slots(ohms, patient, c.physician, f"{DAY}T00:00:00Z", f"{DAY}T23:59:00Z") == \
        [f"{DAY}T09:00:00Z"]
    # The clinic moves the patient to a free slot: no longer to rebook.
    r = act(ohms, c.helpdesk, inside["id"], "reschedule", {"start": f"{DAY}T09:00:00Z"})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "booked" and not r.json()["needs_rebooking"]


def test_the_directory_finds_practitioners_with_their_next_free_slot(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    tag = uuid.uuid4().hex[:8]
    r = ohms.client.put(f"/api/v1/practitioners/{c.physician.id}/profile",
                        headers=c.physician.headers,
                        json={"specialty_code": "394579002", "specialty": f"Cardiology {tag}",
                              "languages": ["en", "hi"],
                              "fee": {"amount": "45.50", "currency": "GBP"}})
    assert r.status_code == 200, r.text
    assert r.json()["fee"] == {"amount": "45.50", "currency": "GBP"}
    assert r.json()["next_free_slot"] is None  # no schedule yet
    make_schedule(ohms, c.physician, c.physician, weekly_hours=[
        {"weekday": d, "start": "00:00", "end": "23:30"} for d in range(7)])

    for params in ({"specialty": f"cardiology {tag}"}, {"specialty": "394579002",
                                                       "organization": c.org},
                   {"q": "physician tester", "organization": c.org}):
        found = ohms.client.get("/api/v1/directory/practitioners", headers=patient.headers,
                                params=params)
        assert found.status_code == 200, found.text
        entries = [e for e in found.json() if e["id"] == c.physician.id]
        assert entries, params
        entry = entries[0]
        assert entry["name"] == "Physician Tester" and entry["organization"] == c.org
        assert entry["specialty"] == f"Cardiology {tag}" and entry["languages"] == ["en", "hi"]
        next_free = datetime.fromisoformat(entry["next_free_slot"])
        assert datetime.now(UTC) < next_free < datetime.now(UTC) + timedelta(hours=1)
    elsewhere = ohms.client.get("/api/v1/directory/practitioners", headers=patient.headers,
                                params={"specialty": f"cardiology {tag}",
                                        "organization": ohms.create_org("clinic")})
    assert elsewhere.json() == []

    # Only the practitioner or their organisation's administrators change the profile.
    assert_problem(ohms.client.put(f"/api/v1/practitioners/{c.physician.id}/profile",
                                   headers=c.helpdesk.headers, json={}), 403)
    r = ohms.client.put(f"/api/v1/practitioners/{c.physician.id}/profile",
                        headers=c.admin.headers, json={"specialty": "Cardiology"})
    assert r.status_code == 200 and r.json()["fee"] is None, r.text


def test_rooms_and_equipment_are_booked_by_the_same_engine(ohms: Ohms) -> None:
    c, other = clinic(ohms), clinic(ohms)
    patient = ohms.register_patient()
    r = ohms.client.post("/api/v1/resources", headers=c.helpdesk.headers,
                         json={"name": "Theatre 1", "kind": "room"})
    assert r.status_code == 201, r.text
    theatre = r.json()["id"]
    assert r.json()["organization"] == c.org and r.json()["kind"] == "room"
    assert_problem(ohms.client.post("/api/v1/resources", headers=c.physician.headers,
                                    json={"name": "Scanner", "kind": "equipment"}), 403)
    assert [x["id"] for x in ohms.client.get("/api/v1/resources",
                                             headers=c.nurse.headers).json()] == [theatre]
    assert ohms.client.get("/api/v1/resources", headers=other.helpdesk.headers).json() == []

    # Its hours, in Los Angeles, set by the front desk only.
    hours = [{"weekday": 0, "start": "08:00", "end": "12:00"}]
    body = {"resource": theatre, "timezone": "America/Los_Angeles", "slot_minutes": 120,
            "weekly_hours": hours, "valid_from": "2029-01-01"}
    assert_problem(ohms.client.post("/api/v1/schedules", headers=c.physician.headers,
                                    json=body), 403)
    assert_problem(ohms.client.post("/api/v1/schedules", headers=other.admin.headers,
                                    json=body), 404)
    assert_problem(ohms.client.post("/api/v1/schedules", headers=c.admin.headers,
                                    json={**body, "practitioner": c.physician.id}), 422)
    r = ohms.client.post("/api/v1/schedules", headers=c.admin.headers, json=body)
    assert r.status_code == 201, r.text
    schedule = r.json()["id"]
    assert r.json()["resource"] == theatre and r.json()["practitioner"] is None

    params = {"resource": theatre, "start": f"{DAY}T00:00:00Z", "end": f"{DAY}T23:59:00Z"}
    r = ohms.client.get("/api/v1/slots", headers=c.helpdesk.headers, params=params)
    assert r.status_code == 200, r.text
    assert [(s["start"], s["end"], s["resource"]) for s in r.json()] == [
        (f"{DAY}T16:00:00Z", f"{DAY}T18:00:00Z", theatre),
        (f"{DAY}T18:00:00Z", f"{DAY}T20:00:00Z", theatre)]
    for outsider in (other.helpdesk, patient):
        assert_problem(ohms.client.get("/api/v1/slots", headers=outsider.headers,
                                       params=params), 404)

    # The physician's own slot at the same time is another owner's: no conflict.
    make_schedule(ohms, c.physician, c.physician,
                  weekly_hours=[{"weekday": 0, "start": "16:00", "end": "18:00"}])
    booked(ohms, patient, c.physician, f"{DAY}T16:00:00Z")
    room = {"resource": theatre, "start": "2030-01-07T08:00:00-08:00", "patient": patient.uhid}
    r = ohms.client.post("/api/v1/appointments", headers=c.helpdesk.headers, json=room)
    assert r.status_code == 201, r.text
    booking = r.json()
    assert booking["resource"] == theatre and booking["practitioner"] is None
    assert booking["start"] == f"{DAY}T16:00:00Z" and booking["status"] == "pending"
    assert_problem(ohms.client.post("/api/v1/appointments", headers=c.helpdesk.headers,
                                    json={**room, "patient": ohms.register_patient().uhid}),
                   409, "not free")
    assert_problem(ohms.client.post("/api/v1/appointments", headers=patient.headers,
                                    json={"resource": theatre,
                                          "start": f"{DAY}T18:00:00Z"}), 403)
    assert_problem(ohms.client.post("/api/v1/appointments", headers=other.helpdesk.headers,
                                    json={**room, "start": f"{DAY}T18:00:00Z"}), 404)

    # Confirmed by the front desk (there is no practitioner); no encounter of its own.
    assert_problem(act(ohms, c.physician, booking["id"], "confirm"), 403)
    assert act(ohms, c.helpdesk, booking["id"], "confirm").json()["status"] == "booked"
    assert_problem(act(ohms, c.helpdesk, booking["id"], "check-in"), 409, "no encounter")
    # Maintenance over it lists it for rebooking.
    r = ohms.client.post(f"/api/v1/schedules/{schedule}/exceptions", headers=c.admin.headers,
                         json={"start": f"{DAY}T15:00:00Z", "end": f"{DAY}T17:00:00Z",
                               "reason": "maintenance"})
    assert r.status_code == 201, r.text
    assert [a["id"] for a in r.json()["affected"]] == [booking["id"]]
    r = act(ohms, c.helpdesk, booking["id"], "reschedule", {"start": f"{DAY}T18:00:00Z"})
    assert r.status_code == 200 and r.json()["status"] == "booked", r.text
    mine = ohms.client.get("/api/v1/appointments", headers=patient.headers).json()
    assert {a["id"] for a in mine} >= {booking["id"]}
    listed = ohms.client.get("/api/v1/schedules", headers=c.helpdesk.headers,
                             params={"resource": theatre}).json()
    assert [(x["id"], x["timezone"], x["weekly_hours"]) for x in listed] == \
        [(schedule, "America/Los_Angeles", hours)]
    assert ohms.client.get("/api/v1/schedules", headers=other.helpdesk.headers,
                           params={"resource": theatre}).json() == []
