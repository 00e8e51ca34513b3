"""Every refusal is a clear problem+json and changes nothing: past, off-hours and on-leave
slots, taken slots, overlapping hours, other organisations' practitioners, roles that may not
book or confirm; another tenant's objects answer 404."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import column, func, select, table, text
from sqlalchemy.exc import ProgrammingError

from api.db.session import TenantContext, session_scope
from tests.api.conftest import Ohms
from tests.api.scheduling.factories import (
    WEEKDAYS_9_TO_12,
    act,
    assert_problem,
    book,
    booked,
    clinic,
    make_schedule,
    post_schedule,
    snapshot,
)

DAY = "2030-01-07"  # a Monday


def _last_weekday_morning() -> str:
    """09:00 UTC of the latest weekday before today: a slot of the schedule, in the past."""
    day = datetime.now(UTC).date() - timedelta(days=1)
    while day.weekday() > 4:
        day -= timedelta(days=1)
    return f"{day.isoformat()}T09:00:00Z"


@pytest.mark.parametrize(("start", "status", "detail"), [
    ("past", 422, "in the past"),
    (f"{DAY}T13:00:00Z", 422, "not a slot"),   # after hours
    (f"{DAY}T09:10:00Z", 422, "not a slot"),   # off the grid
    ("2030-01-05T09:00:00Z", 422, "not a slot"),  # a Saturday
    ("2019-12-31T09:00:00Z", 422, "in the past"),  # before the schedule, and past
    ("2031-01-06T09:00:00Z", 422, "not a slot"),  # after valid_to
    (f"{DAY}T10:00:00Z", 422, "on leave"),
    (f"{DAY}T11:00:00Z", 409, "not free"),
])
def test_a_slot_that_cannot_be_booked_is_refused_and_nothing_changes(
        ohms: Ohms, start: str, status: int, detail: str) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    schedule = make_schedule(ohms, c.physician, c.physician, valid_to="2030-12-31")
    r = ohms.client.post(f"/api/v1/schedules/{schedule}/exceptions",
                         headers=c.physician.headers,
                         json={"start": f"{DAY}T10:00:00Z", "end": f"{DAY}T10:30:00Z",
                               "reason": "leave"})
    assert r.status_code == 201, r.text
    booked(ohms, ohms.register_patient(), c.physician, f"{DAY}T11:00:00Z")
    before = snapshot(ohms, c.physician)
    r = book(ohms, patient, c.physician, _last_weekday_morning() if start == "past" else start)
    assert_problem(r, status, detail)
    assert snapshot(ohms, c.physician) == before
    assert ohms.client.get("/api/v1/appointments", headers=patient.headers).json() == []


def test_rescheduling_into_a_taken_slot_is_refused_and_nothing_changes(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.physician, c.physician)
    mine = booked(ohms, patient, c.physician, f"{DAY}T09:00:00Z")
    booked(ohms, ohms.register_patient(), c.physician, f"{DAY}T09:30:00Z")
    before = snapshot(ohms, c.physician)
    assert_problem(act(ohms, patient, mine["id"], "reschedule",
                       {"start": f"{DAY}T09:30:00Z"}), 409, "not free")
    assert_problem(act(ohms, patient, mine["id"], "reschedule",
                       {"start": f"{DAY}T12:00:00Z"}), 422, "not a slot")
    assert snapshot(ohms, c.physician) == before


@pytest.mark.parametrize(("changes", "detail"), [
    ({"weekly_hours": [{"weekday": 0, "start": "09:00", "end": "12:00"},
                       {"weekday": 0, "start": "11:30", "end": "14:00"}]}, "overlap"),
    ({"timezone": "Narnia/Cair_Paravel"}, "IANA"),
    ({"weekly_hours": [{"weekday": 0, "start": "12:00", "end": "09:00"}]}, "end before"),
    ({"valid_from": "2030-02-01", "valid_to": "2030-01-01"}, "valid_to"),
])
def test_schedules_that_cannot_make_slots_are_refused(ohms: Ohms, changes: dict[str, object],
                                                      detail: str) -> None:
    c = clinic(ohms)
    r = post_schedule(ohms, c.admin, c.physician.id, **changes)
    assert_problem(r, 422, detail)
    assert snapshot(ohms, c.physician).schedules == 0


def test_malformed_schedules_are_refused_with_field_errors(ohms: Ohms) -> None:
    c = clinic(ohms)
    for body in ({"slot_minutes": 0}, {"weekly_hours": []},
                 {"weekly_hours": [{"weekday": 7, "start": "09:00", "end": "12:00"}]},
                 {"weekly_hours": [{"weekday": 1, "start": "9am", "end": "12:00"}]}):
        r = post_schedule(ohms, c.admin, c.physician.id, **body)
        assert_problem(r, 422)
        assert r.json()["errors"], body
    assert snapshot(ohms, c.physician).schedules == 0


def test_a_second_schedule_overlapping_the_first_is_refused(ohms: Ohms) -> None:
    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician, valid_to="2030-06-30")
    r = post_schedule(ohms, c.admin, c.physician.id, valid_from="2030-06-01",
                      weekly_hours=[{"weekday": 2, "start": "11:00", "end": "13:00"}])
    assert_problem(r, 422, "overlap")
    # Afternoons beside the mornings, or mornings after the first ends, are fine.
    make_schedule(ohms, c.admin, c.physician, valid_from="2030-06-01",
                  weekly_hours=[{"weekday": 2, "start": "13:00", "end": "15:00"}])
    make_schedule(ohms, c.admin, c.physician, valid_from="2030-07-01")
    assert snapshot(ohms, c.physician).schedules == 3


def test_schedules_only_for_ones_own_organisations_practitioners(ohms: Ohms) -> None:
    a, b = clinic(ohms), clinic(ohms)
    for by in (b.admin, b.helpdesk, b.physician):
        assert_problem(post_schedule(ohms, by, a.physician.id), 404, "no such practitioner")
    # Not a practitioner, or another practitioner's hours set by a colleague.
    assert_problem(post_schedule(ohms, a.admin, a.helpdesk.id), 422, "not a practitioner")
    assert_problem(post_schedule(ohms, a.nurse, a.physician.id), 403)
    patient = ohms.register_patient()
    assert_problem(post_schedule(ohms, patient, a.physician.id), 403)
    assert snapshot(ohms, a.physician).schedules == 0


def test_roles_that_cannot_book_are_refused(ohms: Ohms) -> None:
    c, other = clinic(ohms), clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.admin, c.physician)
    before = snapshot(ohms, c.physician)
    # Physicians, nurses and administrators do not book for patients (the helpdesk does).
    for by in (c.physician, c.nurse, c.admin):
        assert_problem(book(ohms, by, c.physician, f"{DAY}T09:00:00Z", patient), 403)
    # Another organisation's helpdesk books only with its own practitioners.
    assert_problem(book(ohms, other.helpdesk, c.physician, f"{DAY}T09:00:00Z", patient), 404)
    # The helpdesk names the patient; a patient books only for themself.
    assert_problem(book(ohms, c.helpdesk, c.physician, f"{DAY}T09:00:00Z"), 422, "UHID")
    assert_problem(book(ohms, patient, c.physician, f"{DAY}T09:00:00Z",
                        ohms.register_patient()), 403)
    # A staff member is no patient to book for.
    assert_problem(book(ohms, c.helpdesk, c.physician, f"{DAY}T09:00:00Z", c.nurse), 404)
    assert snapshot(ohms, c.physician) == before


def test_confirm_and_the_rest_only_by_the_practitioners_organisation(ohms: Ohms) -> None:
    c, other = clinic(ohms), clinic(ohms)
    patient, stranger = ohms.register_patient(), ohms.register_patient()
    schedule = make_schedule(ohms, c.admin, c.physician)
    appointment = booked(ohms, patient, c.physician, f"{DAY}T09:00:00Z")
    aid = appointment["id"]
    before = snapshot(ohms, c.physician)

    # Another organisation's staff: the appointment does not exist for them.
    for by in (other.helpdesk, other.admin, other.physician):
        for action, body in (("confirm", None), ("decline", {"reason": "other"}),
                             ("cancel", {"reason": "other"}), ("check-in", None),
                             ("no-show", None), ("reschedule", {"start": f"{DAY}T10:00:00Z"})):
            assert_problem(act(ohms, by, aid, action, body), 404)
    assert_problem(ohms.client.post(f"/api/v1/schedules/{schedule}/exceptions",
                                    headers=other.admin.headers,
                                    json={"start": f"{DAY}T09:00:00Z",
                                          "end": f"{DAY}T12:00:00Z", "reason": "x"}), 404)
    assert aid not in {a["id"] for a in ohms.client.get(
        "/api/v1/appointments", headers=other.helpdesk.headers).json()}
    # Another patient, likewise.
    assert_problem(act(ohms, stranger, aid, "cancel", {"reason": "other"}), 404)
    assert_problem(act(ohms, stranger, aid, "reschedule", {"start": f"{DAY}T10:00:00Z"}), 404)
    assert ohms.client.get("/api/v1/appointments", headers=stranger.headers).json() == []
    # The patient does not confirm their own booking; a nurse who is not the practitioner
    # neither.
    assert_problem(act(ohms, patient, aid, "confirm"), 403)
    assert_problem(act(ohms, c.nurse, aid, "confirm"), 403)
    # Not booked yet: no check-in.
    assert_problem(act(ohms, c.helpdesk, aid, "check-in"), 409)
    assert snapshot(ohms, c.physician) == before

    # Encounters likewise.
    act(ohms, c.physician, aid, "confirm")
    encounter = act(ohms, c.nurse, aid, "check-in").json()["encounter"]
    assert_problem(ohms.client.post(f"/api/v1/encounters/{encounter}/finish",
                                    headers=other.physician.headers), 404)
    assert_problem(ohms.client.post(f"/api/v1/encounters/{encounter}/follow-up",
                                    headers=other.physician.headers,
                                    json={"start": f"{DAY}T10:00:00Z"}), 404)
    assert_problem(ohms.client.post(f"/api/v1/encounters/{encounter}/finish",
                                    headers=patient.headers), 403)


def test_slots_and_input_edges(ohms: Ohms) -> None:
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.admin, c.physician, weekly_hours=WEEKDAYS_9_TO_12)
    url = "/api/v1/slots"
    for params in ({"practitioner": c.physician.id, "start": f"{DAY}T00:00:00",
                    "end": f"{DAY}T23:00:00Z"},  # no offset
                   {"practitioner": c.physician.id, "start": f"{DAY}T12:00:00Z",
                    "end": f"{DAY}T00:00:00Z"},
                   {"practitioner": c.physician.id, "start": "2030-01-01T00:00:00Z",
                    "end": "2030-03-01T00:00:00Z"}):
        assert_problem(ohms.client.get(url, headers=patient.headers, params=params), 422)
    assert_problem(ohms.client.get(url, headers=patient.headers, params={
        "practitioner": patient.id, "start": f"{DAY}T00:00:00Z",
        "end": f"{DAY}T23:00:00Z"}), 404)
    # Booking with a time without an offset, or an unknown field.
    r = ohms.client.post("/api/v1/appointments", headers=patient.headers,
                         json={"practitioner": c.physician.id, "start": f"{DAY}T09:00:00"})
    assert_problem(r, 422)
    r = ohms.client.post("/api/v1/appointments", headers=patient.headers,
                         json={"practitioner": c.physician.id, "start": f"{DAY}T09:00:00Z",
                               "status": "booked"})
    assert_problem(r, 422)
    # Times far outside the service's years, control characters in text.
    for body in ({"start": "9999-12-31T23:00:00-14:00"}, {"start": "0001-01-01T00:00:00+14:00"},
                 {"start": f"{DAY}T09:00:00Z", "reason": "chest\u0000pain"},
                 {"start": f"{DAY}T09:00:00Z", "reason": "   "},
                 {"start": f"{DAY}T09:00:00Z", "patient": "not-a-uhid"}):
        r = ohms.client.post("/api/v1/appointments", headers=patient.headers,
                             json={"practitioner": c.physician.id, **body})
        assert_problem(r, 422)
    assert_problem(ohms.client.get(url, headers=patient.headers, params={
        "practitioner": c.physician.id, "start": "9999-12-31T00:00:00Z",
        "end": "9999-12-31T23:59:59-14:00"}), 422)
    assert_problem(ohms.client.get("/api/v1/directory/practitioners", headers=patient.headers,
                                   params={"q": "a\u0000b"}), 422)
    assert_problem(ohms.client.get("/api/v1/appointments", headers=patient.headers,
                                   params={"start": "0001-01-01T00:00:00+14:00"}), 422)
    assert_problem(post_schedule(ohms, c.admin, c.physician.id, valid_from="0001-01-01"), 422)
    assert_problem(post_schedule(ohms, c.admin, c.physician.id, valid_to="9999-12-31"), 422)
    assert snapshot(ohms, c.physician).appointments == ()
    # A patient's UHID in any spelling is theirs.
    spaced = " ".join([patient.uhid[:4], patient.uhid[4:8], patient.uhid[8:]])
    r = ohms.client.post("/api/v1/appointments", headers=patient.headers,
                         json={"practitioner": c.physician.id, "start": f"{DAY}T09:00:00Z",
                               "patient": spaced})
    assert r.status_code == 201, r.text


# SQLite has no row-level security: PostgreSQL only (the HTTP-level 404s above run on both).
@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_another_tenants_scheduling_rows_are_out_of_reach_in_the_database(ohms: Ohms) -> None:
    a, b = clinic(ohms), clinic(ohms)
    patient = ohms.register_patient()
    schedule = make_schedule(ohms, a.physician, a.physician)
    appointment = booked(ohms, patient, a.physician, f"{DAY}T09:00:00Z")
    act(ohms, a.physician, appointment["id"], "confirm")
    act(ohms, a.helpdesk, appointment["id"], "check-in")
    ohms.client.put(f"/api/v1/practitioners/{a.physician.id}/profile",
                    headers=a.physician.headers, json={"specialty": "Dermatology"})
    ohms.client.post(f"/api/v1/schedules/{schedule}/exceptions", headers=a.physician.headers,
                     json={"start": f"{DAY}T11:00:00Z", "end": f"{DAY}T12:00:00Z",
                           "reason": "leave"})
    tables = ("practitioner_profiles", "schedules", "schedule_exceptions", "appointments",
              "encounters")
    rows = {name: table(name, column("organization_id")) for name in tables}
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(a.org))) as s:
        for name, t in rows.items():
            assert s.scalar(select(func.count()).select_from(t)) == 1, name
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(b.org))) as s:
        for name, t in rows.items():
            assert s.scalar(select(func.count()).select_from(t).where(
                t.c.organization_id == uuid.UUID(a.org))) == 0, name
        moved = s.execute(text("UPDATE appointments SET status = 'cancelled' "
                               "WHERE organization_id = :a"), {"a": a.org})
        assert moved.rowcount == 0  # type: ignore[attr-defined]
    with pytest.raises(ProgrammingError, match="row-level security"), \
            session_scope(ohms.container.sessions, TenantContext(uuid.UUID(b.org))) as s:
        s.execute(text("INSERT INTO schedules (id, organization_id, practitioner_id, timezone, "
                       "slot_minutes, weekly_hours, valid_from, created_by, created_at) VALUES "
                       "(:id, :a, :p, 'UTC', 30, '[]', '2030-01-01', :p, now())"),
                  {"id": uuid.uuid4(), "a": a.org, "p": a.physician.id})
