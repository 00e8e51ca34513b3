"""The service's background work: the outbox sender, the chain event indexer (the grants and
anchors mirror), the audit batcher, consent reconciliation, appointment reminders and the
email outbox, run in one worker loop."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.service import AuditBatcher, on_batch_anchored
from api.billing.charging import charge_pending
from api.composition import Container
from api.consent import service as consent
from api.db.session import SYSTEM, session_scope
from api.ledger.workers import BackgroundWorkers, build_workers
from api.notifications.outbox import EmailOutboxWorker
from api.notifications.reminders import AppointmentReminders, DueAppointment
from api.scheduling.models import Appointment, AppointmentStatus


def confirmed_appointments_starting(session: Session, after: datetime,
                                    until: datetime) -> list[DueAppointment]:
    """Scheduling's answer to the reminders' question (every organisation's appointments:
    the reminder pass runs in the system session)."""
    return [DueAppointment(id=a.id, patient_id=a.patient_id, start_at=a.start_at)
            for a in session.scalars(
                select(Appointment)
                .where(Appointment.status == AppointmentStatus.booked.value,
                       Appointment.start_at > after, Appointment.start_at <= until)
                .order_by(Appointment.start_at, Appointment.id))]


def attach_background(container: Container) -> BackgroundWorkers:
    """Build the workers, give the container its indexer, and return the loop (not started)."""
    settings = container.settings
    batcher = AuditBatcher(container.sessions, container.chain,
                           max_entries=settings.audit_batch_max_entries,
                           max_seconds=settings.audit_batch_max_seconds)

    def reconcile() -> int:
        with session_scope(container.sessions, SYSTEM) as session:
            return consent.reconcile_rejected(session) + consent.expire_consents(session)

    def charge_events() -> int:
        # Every organisation's events: the charging worker is platform machinery.
        with session_scope(container.sessions, SYSTEM) as session:
            return charge_pending(session)

    reminders = AppointmentReminders(
        container.sessions, confirmed_appointments_starting,
        before=timedelta(minutes=settings.reminder_before_minutes))
    assert settings.public_url is not None
    emails = EmailOutboxWorker(
        container.sessions, container.mailer, public_url=settings.public_url,
        mail_from=settings.mail_from, account_token=container.tokens.account_token,
        max_attempts=settings.mail_max_attempts,
        # Above the SMTP timeout of each step of a conversation, so no lease ends mid-send.
        lease_seconds=max(300.0, settings.smtp_timeout_seconds * 10))

    return build_workers(
        container,
        [("audit-batcher", batcher.run_once), ("consent-reconcile", reconcile),
         # Reminders first: one queued in a pass is sent in the same pass.
         ("appointment-reminders", reminders.run_once), ("email-outbox", emails.run_once),
         ("payment-simulator-webhooks", container.deliver_payment_webhooks),
         ("billing-charges", charge_events)],
        # An anchor the batcher queues is sent at once.
        wakes={"audit-batcher": ["outbox"]},
        event_handlers={
            "ConsentGranted": consent.on_consent_granted,
            "ConsentRevoked": consent.on_consent_revoked,
            "BatchAnchored": on_batch_anchored,
        },
    )
