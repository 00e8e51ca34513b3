"""Notification use cases: an event becomes an inbox row and a queued email in the event's own
transaction; one's email preferences. Texts name the event and link to the portal, never a
reason, note, result or diagnosis."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.base import utcnow
from api.notifications.models import (
    AccountMailKind,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboundEmail,
)


@dataclass(frozen=True)
class EventText:
    """What the inbox says and the email's subject, and the portal screen both lead to."""

    inbox: str
    subject: str
    link_path: str


EVENT_TEXTS: dict[NotificationKind, EventText] = {
    NotificationKind.appointment_requested: EventText(
        "An appointment was requested.", "Appointment requested", "#/appointments"),
    NotificationKind.appointment_confirmed: EventText(
        "Your appointment was confirmed.", "Appointment confirmed", "#/appointments"),
    NotificationKind.appointment_declined: EventText(
        "An appointment request was declined.", "Appointment declined", "#/appointments"),
    NotificationKind.appointment_rescheduled: EventText(
        "An appointment was moved to another time.", "Appointment rescheduled",
        "#/appointments"),
    NotificationKind.appointment_cancelled: EventText(
        "An appointment was cancelled.", "Appointment cancelled", "#/appointments"),
    NotificationKind.appointment_reminder: EventText(
        "You have an appointment coming up.", "Appointment reminder", "#/appointments"),
    NotificationKind.results_ready: EventText(
        "New results were added to your records.", "New results in your records", "#/records"),
    NotificationKind.break_glass: EventText(
        "Your records were opened in an emergency (break-glass). The access is recorded on "
        "chain.", "Emergency access to your records", "#/access-log"),
}

ACCOUNT_SUBJECTS: dict[AccountMailKind, str] = {
    AccountMailKind.email_confirmation: "Confirm your email address",
    AccountMailKind.password_reset: "Reset your password",
}


def queue_email(session: Session, *, user_id: uuid.UUID, kind: str, subject_id: str | None,
                link_path: str | None, dedupe_key: str | None = None) -> OutboundEmail:
    """An outbox row in the caller's transaction (nothing is committed here)."""
    row = OutboundEmail(
        id=uuid.uuid4(), user_id=user_id, kind=kind, subject_id=subject_id,
        link_path=link_path, dedupe_key=dedupe_key or f"{kind}:{uuid.uuid4()}",
        attempts=0, next_attempt_at=utcnow())
    session.add(row)
    return row


def notify_event(session: Session, *, user_id: uuid.UUID, kind: NotificationKind,
                 subject_id: str | None, inbox_text: str | None = None,
                 dedupe_key: str | None = None) -> Notification:
    """The event's inbox row (always) and its email (queued; whether it goes out is decided
    when it is sent: only to a confirmed address, and only a kind the person wants by email,
    as their choice stands then). Both commit with the caller's business change or not at
    all. `inbox_text` may add operational detail (a time, an organisation's name) to the
    inbox; the email has only the event's name and the link."""
    text = EVENT_TEXTS[kind]
    note = Notification(id=uuid.uuid4(), user_id=user_id, kind=kind.value,
                        message=inbox_text or text.inbox, subject_id=subject_id)
    session.add(note)
    queue_email(session, user_id=user_id, kind=kind.value, subject_id=subject_id,
                link_path=text.link_path, dedupe_key=dedupe_key)
    return note


def email_preferences(session: Session, user_id: uuid.UUID) -> dict[NotificationKind, bool]:
    """Every notification kind and whether the person gets it by email (default: yes)."""
    chosen = dict(session.execute(
        select(NotificationPreference.kind, NotificationPreference.email)
        .where(NotificationPreference.user_id == user_id)).all())
    return {kind: bool(chosen.get(kind.value, True)) for kind in NotificationKind}


def set_email_preferences(session: Session, user_id: uuid.UUID,
                          changes: Mapping[NotificationKind, bool]
                          ) -> dict[NotificationKind, bool]:
    """Change the kinds named; the others stay as they were."""
    for kind, wanted in changes.items():
        row = session.get(NotificationPreference, (user_id, kind.value))
        if row is None:
            session.add(NotificationPreference(user_id=user_id, kind=kind.value,
                                               email=wanted, updated_at=utcnow()))
        else:
            row.email = wanted
            row.updated_at = utcnow()
    session.flush()
    return email_preferences(session, user_id)


def wants_email(session: Session, user_id: uuid.UUID, kind: str) -> bool:
    row = session.get(NotificationPreference, (user_id, kind))
    return row is None or row.email
