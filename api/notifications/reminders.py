"""Appointment reminders: a background pass queues one for each confirmed appointment that
starts within the reminder window, exactly once (the email outbox's unique key names the
appointment and its start, so a moved appointment is reminded of again at its new time).

Which appointments are due is asked of the scheduling context through `DueAppointments`
(wired in api.background), so this context does not import scheduling, which imports it to
tell of its events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.notifications.models import NotificationKind, OutboundEmail
from api.notifications.service import notify_event


@dataclass(frozen=True)
class DueAppointment:
    id: uuid.UUID
    patient_id: uuid.UUID
    start_at: datetime


DueAppointments = Callable[[Session, datetime, datetime], Sequence[DueAppointment]]
"""The confirmed appointments starting after the first time and at or before the second."""


def reminder_key(appointment: DueAppointment) -> str:
    return (f"{NotificationKind.appointment_reminder.value}:{appointment.id}:"
            f"{appointment.start_at.isoformat()}")


class AppointmentReminders:
    """`run_once` queues the reminders now due; several processes may run it at once."""

    def __init__(self, sessions: sessionmaker[Session], due: DueAppointments, *,
                 before: timedelta, batch_size: int = 200,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self._sessions = sessions
        self._due = due
        self.before = before
        self.batch_size = batch_size
        self.clock = clock

    def run_once(self) -> int:
        now = self.clock()
        # Appointments of every organisation: the system session (api.system_sessions).
        with session_scope(self._sessions, SYSTEM) as session:
            due = [(a.id, a.patient_id, a.start_at, reminder_key(a))
                   for a in self._due(session, now, now + self.before)]
            keys = [key for *_, key in due]
            queued = set(session.scalars(select(OutboundEmail.dedupe_key).where(
                OutboundEmail.dedupe_key.in_(keys)))) if keys else set()
        done = 0
        for appointment_id, patient_id, start_at, key in due:
            if key in queued:
                continue
            if done >= self.batch_size:
                break
            # One unit of work each: a concurrent pass that queued the same reminder makes
            # this one fail on the unique key, and only this one is rolled back.
            try:
                with session_scope(self._sessions, SYSTEM) as session:
                    notify_event(session, user_id=patient_id,
                                 kind=NotificationKind.appointment_reminder,
                                 subject_id=str(appointment_id),
                                 inbox_text="You have an appointment at "
                                            f"{start_at:%Y-%m-%d %H:%M} UTC.",
                                 dedupe_key=key)
            except IntegrityError:
                continue
            done += 1
        return done
