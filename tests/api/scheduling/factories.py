"""Builders for scheduling tests: a clinic with its staff, schedules, bookings, and a look
behind the API at what the database holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import httpx
from sqlalchemy import func, select

from api.scheduling.models import Appointment, Schedule, ScheduleException
from reencryption.client import KeyHolder
from tests.api.conftest import Ohms, User

PROBLEM = "application/problem+json"
WEEKDAYS_9_TO_12 = [{"weekday": d, "start": "09:00", "end": "12:00"} for d in range(5)]


@dataclass
class Clinic:
    org: str
    admin: User
    helpdesk: User
    physician: User
    nurse: User


def clinic(ohms: Ohms, kind: str = "hospital") -> Clinic:
    org = ohms.create_org(kind)
    return Clinic(org=org, admin=ohms.add_member(org, "org_admin"),
                  helpdesk=ohms.add_member(org, "helpdesk"),
                  physician=ohms.add_member(org, "physician"),
                  nurse=ohms.add_member(org, "nurse"))


def make_schedule(ohms: Ohms, by: User, practitioner: User, *, timezone: str = "UTC",
                  slot_minutes: int = 30, weekly_hours: list[dict[str, Any]] | None = None,
                  valid_from: str = "2020-01-01", valid_to: str | None = None) -> str:
    r = post_schedule(ohms, by, practitioner.id, timezone=timezone, slot_minutes=slot_minutes,
                      weekly_hours=weekly_hours or WEEKDAYS_9_TO_12, valid_from=valid_from,
                      valid_to=valid_to)
    assert r.status_code == 201, r.text
    schedule_id: str = r.json()["id"]
    return schedule_id


def post_schedule(ohms: Ohms, by: User, practitioner_id: str, **body: Any) -> httpx.Response:
    body = {"timezone": "UTC", "slot_minutes": 30, "weekly_hours": WEEKDAYS_9_TO_12,
            "valid_from": "2020-01-01", **body}
    return ohms.client.post("/api/v1/schedules", headers=by.headers,
                            json={"practitioner": practitioner_id, **body})


def book(ohms: Ohms, by: User, practitioner: User, start: str,
         patient: User | None = None, reason: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"practitioner": practitioner.id, "start": start}
    if reason is not None:
        body["reason"] = reason
    if patient is not None:
        body["patient"] = patient.uhid
    return ohms.client.post("/api/v1/appointments", headers=by.headers, json=body)


def booked(ohms: Ohms, by: User, practitioner: User, start: str,
           patient: User | None = None) -> dict[str, Any]:
    r = book(ohms, by, practitioner, start, patient)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def act(ohms: Ohms, by: User, appointment_id: str, action: str,
        body: dict[str, Any] | None = None) -> httpx.Response:
    return ohms.client.post(f"/api/v1/appointments/{appointment_id}/{action}",
                            headers=by.headers, json=body)


def slots(ohms: Ohms, by: User, practitioner: User, start: str, end: str) -> list[str]:
    r = ohms.client.get("/api/v1/slots", headers=by.headers,
                        params={"practitioner": practitioner.id, "start": start, "end": end,
                                "limit": 200})
    assert r.status_code == 200, r.text
    return [s["start"] for s in r.json()]


def assert_problem(r: httpx.Response, status: int, detail: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    if detail is not None:
        assert detail in r.json()["detail"], r.json()


@dataclass(frozen=True)
class Snapshot:
    """What the database holds of a practitioner's scheduling rows."""

    schedules: int
    exceptions: int
    appointments: tuple[tuple[str, str, datetime, str | None], ...]


def snapshot(ohms: Ohms, practitioner: User) -> Snapshot:
    pid = uuid.UUID(practitioner.id)
    with ohms.db() as s:
        schedules = s.scalar(select(func.count()).select_from(Schedule)
                             .where(Schedule.practitioner_id == pid))
        exceptions = s.scalar(select(func.count()).select_from(ScheduleException)
                              .join(Schedule, Schedule.id == ScheduleException.schedule_id)
                              .where(Schedule.practitioner_id == pid))
        rows = s.execute(select(Appointment.id, Appointment.status, Appointment.start_at,
                                Appointment.cancel_reason)
                         .where(Appointment.practitioner_id == pid)
                         .order_by(Appointment.id)).all()
    return Snapshot(int(schedules or 0), int(exceptions or 0),
                    tuple((str(a), b, c, d) for a, b, c, d in rows))


def set_start(ohms: Ohms, appointment_id: str, start: datetime) -> None:
    """Move an appointment in time behind the API (to have one that has begun)."""
    with ohms.db() as s:
        a = s.get(Appointment, uuid.UUID(appointment_id))
        assert a is not None
        a.end_at = start + (a.end_at - a.start_at)
        a.start_at = start


FAR = date(2030, 1, 7)  # a Monday, safely in the future


def publish_keys(ohms: Ohms, user: User) -> KeyHolder:
    """Umbral keys for `user`, published (records, such as a booking's reason, are
    encrypted to them)."""
    keys = KeyHolder.generate()
    r = ohms.client.put("/api/v1/me/keys", headers=user.headers, json=keys.key_document())
    assert r.status_code == 200, r.text
    return keys
