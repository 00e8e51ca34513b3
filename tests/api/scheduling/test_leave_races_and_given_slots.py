"""The database orders leave against concurrent bookings (no booking commits into a leave that
did not list it), on SQLite and PostgreSQL; a slot once given stays given unless cancelled
(fulfilled and no-show appointments keep it); the demo's people have confirmed addresses."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.demo import PEOPLE, seed_demo
from api.identity.models import User as Account
from api.notifications.models import EmailStatus, OutboundEmail
from api.notifications.outbox import EmailOutboxWorker
from api.scheduling import service
from api.scheduling.models import ACTIVE_STATUSES, Appointment
from tests.api.conftest import Ohms, User
from tests.api.scheduling.factories import (
    act,
    assert_problem,
    book,
    booked,
    clinic,
    make_schedule,
    set_start,
    slots,
)

DAY = "2030-01-14"  # a Monday
ALL_DAY = [{"weekday": 0, "start": "00:00", "end": "12:00"}]
LEAVE = {"start": f"{DAY}T00:00:00Z", "end": f"{DAY}T12:00:00Z", "reason": "conference"}
# Long enough for a request to reach the lock it waits on, on a loaded machine.
BLOCKED_FOR = 1.0


@pytest.fixture
def pool() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(max_workers=24) as executor:
        yield executor


def _send(ohms: Ohms, user: User, url: str, body: dict[str, Any]) -> httpx.Response:
    """A request on a client of its own (its own event loop: served concurrently)."""
    client = TestClient(ohms.client.app, raise_server_exceptions=False)
    return client.post(url, headers=user.headers, json=body)


def _active_in_leave(ohms: Ohms, practitioner: User) -> dict[str, bool]:
    """Active appointments of the practitioner inside LEAVE: id -> needs_rebooking."""
    with ohms.db() as s:
        rows = s.execute(select(Appointment.id, Appointment.needs_rebooking).where(
            Appointment.practitioner_id == uuid.UUID(practitioner.id),
            Appointment.status.in_([a.value for a in ACTIVE_STATUSES]),
            Appointment.start_at < datetime.fromisoformat(LEAVE["end"]),
            Appointment.end_at > datetime.fromisoformat(LEAVE["start"]))).all()
    return {str(a): bool(b) for a, b in rows}


def _held(monkeypatch: pytest.MonkeyPatch, name: str) -> tuple[threading.Event, threading.Event]:
    """Make `service.<name>` stop, once it has done its work and before its transaction
    commits, until released: (reached, release)."""
    reached, release = threading.Event(), threading.Event()
    original: Callable[..., Any] = getattr(service, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        reached.set()
        assert release.wait(timeout=60)
        return result

    monkeypatch.setattr(service, name, held)
    return reached, release


def _wait_blocked(future: Future[httpx.Response]) -> None:
    try:
        future.result(timeout=BLOCKED_FOR)
    except TimeoutError:
        return
    raise AssertionError(f"did not wait for the other transaction: {future.result().text}")


def test_a_leave_waits_for_a_booking_being_made_and_lists_it(
        ohms: Ohms, monkeypatch: pytest.MonkeyPatch, pool: ThreadPoolExecutor) -> None:
    c = clinic(ohms)
    schedule = make_schedule(ohms, c.admin, c.physician, weekly_hours=ALL_DAY)
    patient = ohms.register_patient()
    # The booking stops inside its transaction, its appointment written, not committed.
    reached, release = _held(monkeypatch, "_tell")
    booking = pool.submit(_send, ohms, patient, "/api/v1/appointments",
                          {"practitioner": c.physician.id, "start": f"{DAY}T09:00:00Z"})
    assert reached.wait(timeout=60)
    leave = pool.submit(_send, ohms, c.admin, f"/api/v1/schedules/{schedule}/exceptions", LEAVE)
    _wait_blocked(leave)
    release.set()
    assert booking.result(timeout=60).status_code == 201, booking.result().text
    added = leave.result(timeout=60)
    assert added.status_code == 201, added.text
    appointment = booking.result().json()["id"]
    assert [a["id"] for a in added.json()["affected"]] == [appointment]
    assert _active_in_leave(ohms, c.physician) == {appointment: True}


def test_a_booking_waits_for_a_leave_being_added_and_is_refused(
        ohms: Ohms, monkeypatch: pytest.MonkeyPatch, pool: ThreadPoolExecutor) -> None:
    c = clinic(ohms)
    schedule = make_schedule(ohms, c.admin, c.physician, weekly_hours=ALL_DAY)
    patient = ohms.register_patient()
    # The leave stops inside its transaction, written and listed, not committed.
    reached, release = _held(monkeypatch, "add_exception")
    leave = pool.submit(_send, ohms, c.admin, f"/api/v1/schedules/{schedule}/exceptions", LEAVE)
    assert reached.wait(timeout=60)
    booking = pool.submit(_send, ohms, patient, "/api/v1/appointments",
                          {"practitioner": c.physician.id, "start": f"{DAY}T09:00:00Z"})
    _wait_blocked(booking)
    release.set()
    added = leave.result(timeout=60)
    assert added.status_code == 201, added.text
    assert added.json()["affected"] == []
    assert_problem(booking.result(timeout=60), 422, "on leave")
    assert _active_in_leave(ohms, c.physician) == {}


def test_bookings_racing_a_leave_end_up_refused_or_listed_for_rebooking(
        ohms: Ohms, pool: ThreadPoolExecutor) -> None:
    """Many bookings of different slots and one leave over all of them, released together:
    whatever the order the database gives them, every appointment active inside the leave
    is in its `affected` list and marked for rebooking; every other booking was refused as
    on leave."""
    c = clinic(ohms)
    schedule = make_schedule(ohms, c.admin, c.physician, weekly_hours=ALL_DAY)
    racers = 16
    patients = [ohms.register_patient() for _ in range(racers)]
    start = datetime.fromisoformat(f"{DAY}T00:00:00+00:00")
    barrier = threading.Barrier(racers + 1)

    def racing(user: User, url: str, body: dict[str, Any]) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post(url, headers=user.headers, json=body)

    bookings = [pool.submit(racing, p, "/api/v1/appointments",
                            {"practitioner": c.physician.id,
                             "start": (start + timedelta(minutes=30 * i)).isoformat()})
                for i, p in enumerate(patients)]
    leave = pool.submit(racing, c.admin, f"/api/v1/schedules/{schedule}/exceptions", LEAVE)
    added = leave.result(timeout=300)
    assert added.status_code == 201, added.text
    answers = [b.result(timeout=300) for b in bookings]
    for answer in answers:
        assert answer.status_code in (201, 422), answer.text
        if answer.status_code == 422:
            assert "on leave" in answer.json()["detail"]
    made = {a.json()["id"] for a in answers if a.status_code == 201}
    affected = {a["id"] for a in added.json()["affected"]}
    assert affected == made
    assert _active_in_leave(ohms, c.physician) == dict.fromkeys(made, True)


def _fulfilled(ohms: Ohms, c: Any, patient: User, start: str) -> str:
    appointment = booked(ohms, patient, c.physician, start)["id"]
    assert act(ohms, c.physician, appointment, "confirm").status_code == 200
    checked_in = act(ohms, c.helpdesk, appointment, "check-in")
    assert checked_in.status_code == 200, checked_in.text
    finished = ohms.client.post(f"/api/v1/encounters/{checked_in.json()['encounter']}/finish",
                                headers=c.physician.headers)
    assert finished.status_code == 200, finished.text
    return appointment


def test_a_slot_once_given_stays_given_unless_cancelled(ohms: Ohms) -> None:
    """A visit that ended early (fulfilled) and a no-show keep their slot: it is not offered
    again and booking it is refused (409); a cancelled one gives it back."""
    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    patient, other = ohms.register_patient(), ohms.register_patient()
    day = "2030-01-21"  # a Monday

    _fulfilled(ohms, c, patient, f"{day}T09:00:00Z")

    missed = booked(ohms, patient, c.physician, f"{day}T09:30:00Z")["id"]
    set_start(ohms, missed, datetime.now(UTC) - timedelta(hours=1))  # it has begun
    assert act(ohms, c.helpdesk, missed, "no-show").json()["status"] == "noshow"
    set_start(ohms, missed, datetime.fromisoformat(f"{day}T09:30:00+00:00"))

    cancelled = booked(ohms, patient, c.physician, f"{day}T10:00:00Z")["id"]
    assert act(ohms, patient, cancelled, "cancel",
               {"reason": "patient_request"}).status_code == 200

    free = slots(ohms, other, c.physician, f"{day}T00:00:00Z", f"{day}T23:59:00Z")
    assert free == [f"{day}T10:00:00Z", f"{day}T10:30:00Z", f"{day}T11:00:00Z",
                    f"{day}T11:30:00Z"]
    for taken in ("09:00", "09:30"):
        assert_problem(book(ohms, other, c.physician, f"{day}T{taken}:00Z"), 409, "not free")
    assert booked(ohms, other, c.physician, f"{day}T10:00:00Z")["status"] == "pending"

    # Moving another appointment into a fulfilled slot is refused alike.
    mover = booked(ohms, other, c.physician, f"{day}T11:00:00Z")["id"]
    assert_problem(act(ohms, other, mover, "reschedule", {"start": f"{day}T09:00:00Z"}), 409)


def test_the_demo_people_have_confirmed_addresses_and_get_emails(fresh_ohms: Ohms) -> None:
    if fresh_ohms.kind == "real":
        pytest.skip("the demo seeding is the same on both backends (tests/test_cli.py seeds "
                    "it as `ohms seed-demo` does)")
    container = fresh_ohms.container
    seed_demo(container)
    with fresh_ohms.db() as s:
        accounts = {a.email: a for a in s.scalars(select(Account).where(
            Account.email.in_([email for email, *_ in PEOPLE])))}
    assert set(accounts) == {email for email, *_ in PEOPLE}
    assert all(a.email_confirmed_at is not None for a in accounts.values())

    # The demo's appointment told the patient and the physician; both emails go out.
    settings = container.settings
    assert settings.public_url is not None
    worker = EmailOutboxWorker(container.sessions, container.mailer,
                               public_url=settings.public_url, mail_from=settings.mail_from,
                               account_token=container.tokens.account_token)
    while worker.run_once() > 0:
        pass
    with fresh_ohms.db() as s:
        sent = {(row.user_id, row.status) for row in s.scalars(select(OutboundEmail))}
    for email in ("patient@ohms.demo", "physician@hospital.demo"):
        assert (accounts[email].id, EmailStatus.sent) in sent, email
    mailed = b"".join(p.read_bytes() for p in (settings.data_dir / "mail").glob("*.eml"))
    assert b"patient@ohms.demo" in mailed and b"Appointment requested" in mailed
