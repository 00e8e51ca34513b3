"""A person's notifications (the in-app inbox), the email outbox and which emails each person
wants. The text names events, never clinical content."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.db.base import Base, created_at_column, utcnow, uuid_pk
from api.identity.models import AccountTokenPurpose

# Emails an account needs (not notifications: no preference turns them off), one per kind of
# mailed link.
AccountMailKind = AccountTokenPurpose


class NotificationKind(enum.StrEnum):
    """What happened. Each event lands in the inbox; by email too when the person wants it."""

    appointment_requested = "appointment_requested"
    appointment_confirmed = "appointment_confirmed"
    appointment_declined = "appointment_declined"
    appointment_rescheduled = "appointment_rescheduled"
    appointment_cancelled = "appointment_cancelled"
    appointment_reminder = "appointment_reminder"
    results_ready = "results_ready"
    break_glass = "break_glass"
    # To a pharmacy's staff: an item's stock fell below its reorder point (no patient data).
    stock_below_reorder_point = "stock_below_reorder_point"
    # To the ordering physician: a lab rejected an order's specimen (a new order is needed).
    specimen_rejected = "specimen_rejected"
    # To a patient: an organisation issued them an invoice (its amount stays in the portal).
    invoice_issued = "invoice_issued"
    # To the patient and the desk that submitted it: an insurer decided a claim.
    claim_adjudicated = "claim_adjudicated"


class EmailStatus(enum.StrEnum):
    """pending (queued or deferred), sent, skipped (the person has no confirmed address or
    does not want this kind by email) or failed (the mail server refused it for good)."""

    pending = "pending"
    sent = "sent"
    skipped = "skipped"
    failed = "failed"


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    message: Mapped[str] = mapped_column(String(500), nullable=False)
    subject_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)


class OutboundEmail(Base):
    """One email the service owes, written in the same transaction as the event it tells of
    and sent later by api.notifications.outbox.EmailOutboxWorker. It holds no address and no
    text: both are made when it is sent, from the recipient's account and the kind."""

    __tablename__ = "email_outbox"
    __table_args__ = (
        Index("ix_email_outbox_status_next_attempt_at", "status", "next_attempt_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    # One row per event; a reminder's key names its appointment and start, so a sweep that
    # runs twice (or in two processes) queues it once.
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    # The appointment, record, access or account token the email is about (opaque id).
    subject_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    # The portal screen the email links to ("#/appointments"); none for account mails,
    # whose link carries a token made when the email is sent.
    link_path: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[EmailStatus] = mapped_column(
        Enum(EmailStatus, native_enum=False, length=16, validate_strings=True),
        default=EmailStatus.pending, nullable=False)
    attempts: Mapped[int] = mapped_column(default=0, nullable=False)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
    # A worker's claim: the row is its own until the lease ends (see the outbox module).
    lease_until: Mapped[datetime | None] = mapped_column(nullable=True)
    claim: Mapped[str | None] = mapped_column(String(32), nullable=True)
    last_error: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()


class NotificationPreference(Base):
    """Whether a person wants one kind of notification by email (in the inbox: always).
    No row means yes."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    email: Mapped[bool] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = created_at_column()


def notify(session: Session, *, user_id: uuid.UUID, kind: str, message: str,
           subject_id: str | None = None) -> Notification:
    """An inbox row only; api.notifications.service.notify_event also queues the email."""
    note = Notification(user_id=user_id, kind=kind, message=message, subject_id=subject_id)
    session.add(note)
    return note
