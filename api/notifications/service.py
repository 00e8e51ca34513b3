"""Notification use cases: an event becomes an inbox row and a queued email in the event's own
transaction; one's email preferences. Texts name the event and link to the portal, never a
reason, note, result or diagnosis."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.db.base import utcnow
from api.errors import Invalid
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
    NotificationKind.stock_below_reorder_point: EventText(
        "An item of your pharmacy's stock fell below its reorder point.",
        "Stock below reorder point", "#/stock"),
    NotificationKind.specimen_rejected: EventText(
        "A lab rejected the specimen of an order you placed: a new order is needed.",
        "Specimen rejected", "#/orders"),
    NotificationKind.invoice_issued: EventText(
        "An invoice was issued to you.", "New invoice", "#/bills"),
    NotificationKind.claim_adjudicated: EventText(
        "An insurer decided a claim on an invoice.", "Claim decided", "#/bills"),
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


# Kinds about an organisation's work, which patients never get; and kinds about one's own
# records, which only patients get.
STAFF_KINDS = frozenset({NotificationKind.stock_below_reorder_point,
                         NotificationKind.specimen_rejected})
PATIENT_KINDS = frozenset({NotificationKind.break_glass, NotificationKind.invoice_issued})


def kinds_for(*, patient: bool) -> list[NotificationKind]:
    """The kinds a person may receive, as their preferences list them."""
    other = STAFF_KINDS if patient else PATIENT_KINDS
    return [kind for kind in NotificationKind if kind not in other]


def email_preferences(session: Session, user_id: uuid.UUID, *,
                      kinds: Sequence[NotificationKind] = tuple(NotificationKind)
                      ) -> dict[NotificationKind, bool]:
    """Each of `kinds` and whether the person gets it by email (default: yes)."""
    chosen = dict(session.execute(
        select(NotificationPreference.kind, NotificationPreference.email)
        .where(NotificationPreference.user_id == user_id)).all())
    return {kind: bool(chosen.get(kind.value, True)) for kind in kinds}


def set_email_preferences(session: Session, user_id: uuid.UUID,
                          changes: Mapping[NotificationKind, bool], *,
                          kinds: Sequence[NotificationKind] = tuple(NotificationKind)
                          ) -> dict[NotificationKind, bool]:
    """Change the kinds named (each one of `kinds`, else 422); the others stay as they
    were."""
    foreign = sorted(kind.value for kind in changes if kind not in kinds)
    if foreign:
        raise Invalid(f"not a notification you receive: {', '.join(foreign)}")
    for kind, wanted in changes.items():
        row = session.get(NotificationPreference, (user_id, kind.value))
        if row is None:
            session.add(NotificationPreference(user_id=user_id, kind=kind.value,
                                               email=wanted, updated_at=utcnow()))
        else:
            row.email = wanted
            row.updated_at = utcnow()
    session.flush()
    return email_preferences(session, user_id, kinds=kinds)


def wants_email(session: Session, user_id: uuid.UUID, kind: str) -> bool:
    row = session.get(NotificationPreference, (user_id, kind))
    return row is None or row.email
