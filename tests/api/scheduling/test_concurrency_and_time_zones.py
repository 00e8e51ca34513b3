"""No double booking under real concurrency (the database refuses the second appointment,
on SQLite and PostgreSQL), and bookings across a daylight-saving change."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from api.scheduling import service
from api.scheduling.models import ACTIVE_STATUSES, Appointment
from tests.api.conftest import Ohms, User
from tests.api.scheduling.factories import (
    PROBLEM,
    act,
    booked,
    clinic,
    make_schedule,
    slots,
)

RACERS = 50


def _race(ohms: Ohms, requests: list[tuple[User, str, dict[str, object]]]) -> list[httpx.Response]:
    """Send the requests at once, each from its own thread and HTTP client (each request on
    its own event loop, so the app serves them concurrently)."""
    barrier = threading.Barrier(len(requests))

    def send(request: tuple[User, str, dict[str, object]]) -> httpx.Response:
        user, url, body = request
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post(url, headers=user.headers, json=body)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def _active_at(ohms: Ohms, practitioner: User) -> list[tuple[str, str]]:
    with ohms.db() as s:
        rows = s.execute(select(Appointment.start_at, Appointment.status).where(
            Appointment.practitioner_id == uuid.UUID(practitioner.id),
            Appointment.status.in_([a.value for a in ACTIVE_STATUSES]))).all()
    return [(start.isoformat(), status) for start, status in rows]


@pytest.mark.parametrize("check_first", [True, False], ids=["checked", "database-only"])
def test_fifty_concurrent_bookings_of_one_slot_give_it_once(
        ohms: Ohms, check_first: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not check_first:
        # Blind the service's look for a taken slot: the database alone must refuse.
        monkeypatch.setattr(service, "_slot_state",
                            lambda *args, **kwargs: service.SlotState(False, False))
    c = clinic(ohms)
    make_schedule(ohms, c.physician, c.physician)
    patients = [ohms.register_patient() for _ in range(RACERS)]
    start = "2030-01-07T09:00:00Z"
    responses = _race(ohms, [(p, "/api/v1/appointments",
                              {"practitioner": c.physician.id, "start": start})
                             for p in patients])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * (RACERS - 1), statuses
    for r in responses:
        if r.status_code == 409:
            assert r.headers["content-type"].startswith(PROBLEM)
            assert "not free" in r.json()["detail"]
    assert _active_at(ohms, c.physician) == [("2030-01-07T09:00:00+00:00", "pending")]
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert winner["start"] == start


def test_concurrent_reschedules_into_one_slot_give_it_once(ohms: Ohms) -> None:
    c = clinic(ohms)
    make_schedule(ohms, c.physician, c.physician,
                  weekly_hours=[{"weekday": 0, "start": "00:00", "end": "23:30"}])
    movers = []
    for hour in range(10):
        patient = ohms.register_patient()
        movers.append((patient, booked(ohms, patient, c.physician,
                                       f"2030-01-07T{hour:02d}:00:00Z")["id"]))
    target = "2030-01-07T15:00:00Z"
    responses = _race(ohms, [(p, f"/api/v1/appointments/{aid}/reschedule", {"start": target})
                             for p, aid in movers])
    assert sorted(r.status_code for r in responses) == [200] + [409] * 9
    starts = [start for start, _ in _active_at(ohms, c.physician)]
    assert starts.count("2030-01-07T15:00:00+00:00") == 1 and len(starts) == 10


def test_booking_across_a_daylight_saving_change(ohms: Ohms) -> None:
    """New York clocks go forward on Sunday 10 March 2030: 09:00 local is 14:00 UTC on the
    Friday before and 13:00 UTC on the Monday after."""
    c = clinic(ohms)
    patient = ohms.register_patient()
    make_schedule(ohms, c.physician, c.physician, timezone="America/New_York",
                  slot_minutes=60, valid_from="2030-03-01")
    friday = slots(ohms, patient, c.physician, "2030-03-08T00:00:00Z", "2030-03-09T00:00:00Z")
    monday = slots(ohms, patient, c.physician, "2030-03-11T00:00:00Z", "2030-03-12T00:00:00Z")
    assert friday == ["2030-03-08T14:00:00Z", "2030-03-08T15:00:00Z", "2030-03-08T16:00:00Z"]
    assert monday == ["2030-03-11T13:00:00Z", "2030-03-11T14:00:00Z", "2030-03-11T15:00:00Z"]

    # Booked with local offsets, answered in UTC.
    before = booked(ohms, patient, c.physician, "2030-03-08T09:00:00-05:00")
    after = booked(ohms, patient, c.physician, "2030-03-11T09:00:00-04:00")
    assert (before["start"], before["end"]) == ("2030-03-08T14:00:00Z", "2030-03-08T15:00:00Z")
    assert (after["start"], after["end"]) == ("2030-03-11T13:00:00Z", "2030-03-11T14:00:00Z")
    # 09:00 UTC-5 on the Monday is 10:00 local there: a slot, but another one.
    r = act(ohms, patient, after["id"], "reschedule", {"start": "2030-03-11T09:00:00-05:00"})
    assert r.status_code == 200 and r.json()["start"] == "2030-03-11T14:00:00Z", r.text
    # Friday's 09:00 as the summer offset would have it (13:00 UTC) is before opening.
    r = act(ohms, patient, before["id"], "reschedule", {"start": "2030-03-08T09:00:00-04:00"})
    assert r.status_code == 422 and "not a slot" in r.json()["detail"], r.text


def test_the_database_itself_refuses_a_second_active_appointment_in_a_slot(ohms: Ohms) -> None:
    c = clinic(ohms)
    make_schedule(ohms, c.physician, c.physician)
    first = booked(ohms, ohms.register_patient(), c.physician, "2030-01-07T09:00:00Z")
    with ohms.db() as s:
        taken = s.get(Appointment, uuid.UUID(first["id"]))
        assert taken is not None
        fields = {k: getattr(taken, k) for k in (
            "organization_id", "practitioner_id", "patient_id", "schedule_id", "start_at",
            "end_at", "booked_by")}
    for status in ("pending", "booked", "arrived"):
        with pytest.raises(IntegrityError), ohms.db() as s:
            s.add(Appointment(**fields, status=status))
    if ohms.kind == "real":
        # PostgreSQL also refuses an overlapping time range that starts elsewhere.
        shifted = fields | {"start_at": fields["start_at"] + timedelta(minutes=15),
                            "end_at": fields["end_at"] + timedelta(minutes=15)}
        with pytest.raises(IntegrityError, match="ex_appointments_practitioner_overlap"), \
                ohms.db() as s:
            s.add(Appointment(**shifted, status="booked"))
    # Cancelled and past appointments do not hold the slot.
    with ohms.db() as s:
        s.add(Appointment(**fields, status="cancelled"))
        s.add(Appointment(**fields, status="noshow"))


def test_concurrent_bookings_of_a_room_give_it_once(ohms: Ohms) -> None:
    c = clinic(ohms)
    theatre = ohms.client.post("/api/v1/resources", headers=c.admin.headers,
                               json={"name": "Theatre", "kind": "room"}).json()["id"]
    r = ohms.client.post("/api/v1/schedules", headers=c.admin.headers, json={
        "resource": theatre, "timezone": "UTC", "slot_minutes": 60,
        "weekly_hours": [{"weekday": 0, "start": "08:00", "end": "12:00"}],
        "valid_from": "2029-01-01"})
    assert r.status_code == 201, r.text
    desks = [ohms.add_member(c.org, "helpdesk") for _ in range(4)]
    patients = [ohms.register_patient() for _ in range(12)]
    responses = _race(ohms, [(desks[i % 4], "/api/v1/appointments",
                              {"resource": theatre, "start": "2030-01-07T08:00:00Z",
                               "patient": p.uhid}) for i, p in enumerate(patients)])
    assert sorted(r.status_code for r in responses) == [201] + [409] * 11
