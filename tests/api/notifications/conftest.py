"""An app per backend for the notification tests, and a look at the mail it sends: the
embedded backend writes .eml files (FileMailer), the real one talks to a real SMTP server
on loopback (aiosmtpd)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from api.background import confirmed_appointments_starting
from api.db.base import utcnow
from api.notifications.mail import Mailer, SmtpMailer
from api.notifications.models import Notification, OutboundEmail
from api.notifications.outbox import EmailOutboxWorker
from api.notifications.reminders import AppointmentReminders
from scripts.services.smtp import SmtpServer
from tests.api.conftest import Ohms, User, start_ohms
from tests.conftest import DatabaseFactory

_TOKEN = re.compile(r"token=([A-Za-z0-9_-]+)")


@dataclass
class MailApp:
    ohms: Ohms
    smtp: SmtpServer | None  # the real backend's mail server; None: .eml files

    @property
    def mail_dir(self) -> Path:
        return Path(self.ohms.container.settings.data_dir) / "mail"

    @property
    def public_url(self) -> str:
        url = self.ohms.container.settings.public_url
        assert url is not None
        return url

    def raw_messages(self) -> list[bytes]:
        if self.smtp is not None:
            return [r.raw for r in self.smtp.received]
        if not self.mail_dir.exists():
            return []
        return [p.read_bytes() for p in sorted(self.mail_dir.glob("*.eml"))]

    def messages_to(self, address: str) -> list[EmailMessage]:
        found = []
        for raw in self.raw_messages():
            message = message_from_bytes(raw, policy=policy.default)
            assert isinstance(message, EmailMessage)
            if address.lower() in str(message["To"]).lower():
                found.append(message)
        return found

    def raw_to(self, address: str) -> list[bytes]:
        return [raw for raw in self.raw_messages() if address.lower().encode() in raw.lower()]

    def run_task(self, name: str) -> int:
        tasks = dict(self.ohms.client.app.state.workers.tasks)  # type: ignore[attr-defined]
        done: int = tasks[name]()
        return done

    def deliver(self) -> None:
        """What the background worker does in a pass: reminders, then the email outbox."""
        self.run_task("appointment-reminders")
        while self.run_task("email-outbox") > 0:
            pass

    def worker(self, mailer: Mailer | None = None, *,
               clock: Callable[[], datetime] = utcnow, **options: Any) -> EmailOutboxWorker:
        """An email outbox worker of this app (another process's, as far as the database
        goes), sending through `mailer` (default: the app's own)."""
        container = self.ohms.container
        return EmailOutboxWorker(
            container.sessions, mailer or container.mailer, public_url=self.public_url,
            mail_from=container.settings.mail_from,
            account_token=container.tokens.account_token, clock=clock, **options)

    def reminders(self, *, clock: datetime) -> AppointmentReminders:
        """The reminder pass as the worker runs it, at the time `clock` says."""
        return AppointmentReminders(
            self.ohms.container.sessions, confirmed_appointments_starting,
            before=timedelta(minutes=self.ohms.container.settings.reminder_before_minutes),
            clock=lambda: clock)

    def inbox(self, user: User) -> list[Notification]:
        with self.ohms.db() as s:
            return list(s.scalars(select(Notification)
                                  .where(Notification.user_id == uuid.UUID(user.id))
                                  .order_by(Notification.created_at)))

    def outbox(self, user: User) -> list[OutboundEmail]:
        with self.ohms.db() as s:
            return list(s.scalars(select(OutboundEmail)
                                  .where(OutboundEmail.user_id == uuid.UUID(user.id))
                                  .order_by(OutboundEmail.created_at)))

    def token_in(self, message: EmailMessage) -> str:
        found = _TOKEN.search(body_of(message))
        assert found is not None, body_of(message)
        return found.group(1)

    def confirmed_patient(self) -> User:
        """A registered patient who opened the confirmation link mailed to them."""
        patient = self.ohms.register_patient()
        self.deliver()
        (message,) = self.messages_to(patient.email)
        r = self.ohms.client.post("/api/v1/auth/email/confirm",
                                  json={"token": self.token_in(message)})
        assert r.status_code == 204, r.text
        return patient


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content: str = part.get_content()  # type: ignore[attr-defined]
    return content


def smtp_mailer(server: SmtpServer) -> SmtpMailer:
    return SmtpMailer(server.url, timeout=5)


@pytest.fixture(scope="session")
def mail_app(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory,
             request: pytest.FixtureRequest) -> Iterator[MailApp]:
    overrides: dict[str, Any] = {
        # Every test asks from the one test client; the per-client limit is tested with a
        # small one of its own (the per-address limit is the default).
        "rate_limit_account_mail_per_client": "100000/minute",
    }
    server: SmtpServer | None = None
    if databases.kind == "real":
        server = request.getfixturevalue("mail_server")
        overrides |= {"smtp_url": SecretStr(server.url), "smtp_timeout_seconds": 5.0}
    for ohms in start_ohms(databases, tmp_path_factory.mktemp(f"mail-{databases.kind}"),
                           **overrides):
        yield MailApp(ohms, server)


@pytest.fixture
def mail(mail_app: MailApp, mail_server: SmtpServer) -> Iterator[MailApp]:
    """The app, with its mail server running again after a test that stopped it."""
    yield mail_app
    mail_server.start()
