"""The email outbox worker: sends the queued emails (api.notifications.models.OutboundEmail)
through the Mailer, retrying with backoff while the mail server is down.

How an email is neither lost nor sent twice:

- A row is written in the same database transaction as the event it tells of, so an event
  that commits has its email queued, and one rolled back has none.
- A worker claims due rows with a conditional update (pending, and no other worker's lease
  running) that sets a lease and a claim token, and commits the claim before it sends
  (renewing the lease, conditionally again, just before each message);
  on PostgreSQL the candidates are selected `FOR UPDATE SKIP LOCKED`, so concurrent workers
  (`ohms serve --workers N`) take different rows without waiting for each other. The claim
  is not held open across the SMTP conversation (on SQLite it would keep every writer of the
  service waiting while the mail server answers): the lease (well above the SMTP timeout)
  keeps the row this worker's while it sends.
- After the server took the message, the row is marked sent, conditionally on the claim.
  Claimed rows that go to no one (a closed account, an unconfirmed address, a kind the
  person does not want by email) are settled as skipped together, conditionally on the
  claim too, in one write right after the claim.
- A server that cannot be reached never fails a row: it stays pending with exponential
  backoff, for as long as the outage lasts. Only a message the server refuses (5xx), or
  defers (4xx) `max_attempts` times, ends failed.
- A crash (or a lost connection to the database) between the server's acceptance and the
  mark leaves the row claimed; once its lease ends it is sent again, with the same
  Message-ID (`<row id@domain>`, and for the file adapter the same file), so a resend is
  recognisable and the .eml store keeps one copy. That window is the only way a message is
  sent twice.

The address and the text are made at sending time from the recipient's account: no address
or message body is stored, and an account token's link is derived from its id.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from api.db.base import utcnow
from api.db.session import SYSTEM, session_scope
from api.identity.models import AccountToken, User
from api.notifications.mail import MailDeferred, Mailer, MailRejected
from api.notifications.models import (
    AccountMailKind,
    EmailStatus,
    NotificationKind,
    NotificationPreference,
    OutboundEmail,
)
from api.notifications.service import ACCOUNT_SUBJECTS, EVENT_TEXTS, wants_email

log = logging.getLogger("ohms.notifications.outbox")

ACCOUNT_LINKS: dict[AccountMailKind, str] = {
    AccountMailKind.email_confirmation: "#/confirm-email?token=",
    AccountMailKind.password_reset: "#/reset-password?token=",
}
ACCOUNT_KINDS = frozenset(kind.value for kind in AccountMailKind)
_ERROR_LENGTH = 200


@dataclass(frozen=True)
class Outgoing:
    """A claimed row made into a message, or the reason it is not sent (`skip`)."""

    message: EmailMessage | None
    skip: str | None = None


class EmailOutboxWorker:
    """`run_once` sends the due emails; safe to run in several processes at once."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        mailer: Mailer,
        *,
        public_url: str,
        mail_from: str,
        account_token: Callable[[uuid.UUID], str],
        max_attempts: int = 10,
        base_backoff: float = 2.0,
        max_backoff: float = 600.0,
        lease_seconds: float = 300.0,
        batch_size: int = 50,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self.mailer = mailer
        self.public_url = public_url.rstrip("/")
        self.mail_from = mail_from
        self._account_token = account_token
        self.max_attempts = max_attempts
        self.base_backoff = base_backoff
        self.max_backoff = max_backoff
        self.lease = timedelta(seconds=lease_seconds)
        self.batch_size = batch_size
        self.clock = clock
        domain = parseaddr(mail_from)[1].rpartition("@")[2]
        self._id_domain = domain or "ohms.invalid"

    def message_id(self, row_id: uuid.UUID) -> str:
        return f"<{row_id}@{self._id_domain}>"

    # The pass

    def run_once(self) -> int:
        """Claim due rows and send them; the number of rows settled (sent, skipped, failed).
        A mail server that cannot be reached ends the pass: the rows claimed and not yet
        tried are deferred as the one tried was."""
        token = secrets.token_hex(16)
        claimed = self._claim(token)
        if not claimed:
            return 0
        sendable = self._skip_unsendable(claimed, token)
        settled = len(claimed) - len(sendable)
        for index, row_id in enumerate(sendable):
            try:
                outgoing = self._prepare(row_id, token)
                if outgoing is None:  # the claim was lost (lease over): another worker's
                    continue
                if outgoing.message is None:
                    self._finish(row_id, token, EmailStatus.skipped, outgoing.skip)
                    settled += 1
                    continue
                self.mailer.send(outgoing.message)
            except MailDeferred as exc:
                self._defer(row_id, token, str(exc), counts=not exc.server_down)
                if exc.server_down:
                    log.warning("mail server unavailable, emails deferred",
                                extra={"deferred": len(sendable) - index})
                    for rest in sendable[index + 1:]:
                        self._defer(rest, token, str(exc), counts=False)
                    break
                continue
            except MailRejected as exc:
                self._finish(row_id, token, EmailStatus.failed, str(exc))
                settled += 1
                continue
            except Exception as exc:  # noqa: BLE001 - one broken row must not stall others
                log.error("email could not be sent",
                          extra={"email_id": str(row_id), "error_type": type(exc).__name__})
                self._defer(row_id, token, f"internal error: {type(exc).__name__}",
                            counts=True)
                continue
            if self._finish(row_id, token, EmailStatus.sent, None):
                settled += 1
            else:
                log.warning("email sent after its lease ended", extra={"email_id": str(row_id)})
        return settled

    # Claims

    def _claim(self, token: str) -> list[uuid.UUID]:
        now = self.clock()
        due = (OutboundEmail.status == EmailStatus.pending,
               OutboundEmail.next_attempt_at <= now,
               or_(OutboundEmail.lease_until.is_(None), OutboundEmail.lease_until <= now))
        with session_scope(self._sessions, SYSTEM) as session:
            query = (select(OutboundEmail.id).where(*due)
                     .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
                     .limit(self.batch_size))
            if session.get_bind().dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            candidates = list(session.scalars(query))
            if not candidates:
                return []
            # Conditional: a row another worker claimed since the select is not taken.
            session.execute(update(OutboundEmail)
                            .where(OutboundEmail.id.in_(candidates), *due)
                            .values(lease_until=now + self.lease, claim=token)
                            .execution_options(synchronize_session=False))
            return list(session.scalars(
                select(OutboundEmail.id).where(OutboundEmail.id.in_(candidates),
                                               OutboundEmail.claim == token)
                .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)))

    def _skip_unsendable(self, claimed: list[uuid.UUID], token: str) -> list[uuid.UUID]:
        """Settle as skipped, in one transaction, the claimed notification emails that go
        to no one (a closed account, an unconfirmed address, a kind not wanted by email,
        as things stand now); the others, in order, to be sent one by one. A write per
        batch, not two per row: on SQLite every write waits for the one writer's lock,
        which the service's requests wait for too."""
        with session_scope(self._sessions, SYSTEM) as session:
            rows = session.execute(
                select(OutboundEmail.id, OutboundEmail.user_id, OutboundEmail.kind,
                       User.is_active, User.email_confirmed_at)
                .outerjoin(User, User.id == OutboundEmail.user_id)
                .where(OutboundEmail.id.in_(claimed))).all()
            unwanted = set(session.execute(
                select(NotificationPreference.user_id, NotificationPreference.kind)
                .where(NotificationPreference.user_id.in_({row.user_id for row in rows}),
                       NotificationPreference.email.is_(False))).all())
            skips: dict[str, list[uuid.UUID]] = {}
            for row in rows:
                reason = None
                if not row.is_active:  # also no account at all (the outer join's None)
                    reason = "the account is closed"
                elif row.kind in ACCOUNT_KINDS:
                    continue  # its link is checked when the message is made
                elif row.email_confirmed_at is None:
                    reason = "the address is not confirmed"
                elif (row.user_id, row.kind) in unwanted:
                    reason = "the person does not want this kind by email"
                if reason is not None:
                    skips.setdefault(reason, []).append(row.id)
            for reason, ids in skips.items():
                session.execute(
                    update(OutboundEmail)
                    .where(OutboundEmail.id.in_(ids), OutboundEmail.claim == token,
                           OutboundEmail.status == EmailStatus.pending)
                    .values(status=EmailStatus.skipped, lease_until=None, claim=None,
                            last_error=reason, attempts=OutboundEmail.attempts + 1)
                    .execution_options(synchronize_session=False))
        skipped = {row_id for ids in skips.values() for row_id in ids}
        return [row_id for row_id in claimed if row_id not in skipped]

    def _finish(self, row_id: uuid.UUID, token: str, status: EmailStatus,
                error: str | None) -> bool:
        with session_scope(self._sessions, SYSTEM) as session:
            done = session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == row_id, OutboundEmail.claim == token,
                       OutboundEmail.status == EmailStatus.pending)
                .values(status=status, lease_until=None, claim=None,
                        sent_at=self.clock() if status is EmailStatus.sent else None,
                        last_error=error[:_ERROR_LENGTH] if error else None,
                        attempts=OutboundEmail.attempts + 1)
                .execution_options(synchronize_session=False))
            return bool(done.rowcount == 1)  # type: ignore[attr-defined]

    def _defer(self, row_id: uuid.UUID, token: str, error: str, *, counts: bool) -> None:
        """Back to the queue with backoff; a message deferred by the server (4xx)
        `max_attempts` times ends failed, an unreachable server never fails it."""
        with session_scope(self._sessions, SYSTEM) as session:
            row = session.get(OutboundEmail, row_id)
            if row is None or row.claim != token or row.status != EmailStatus.pending:
                return
            row.attempts += 1
            row.lease_until = None
            row.claim = None
            row.last_error = error[:_ERROR_LENGTH]
            if counts and row.attempts >= self.max_attempts:
                row.status = EmailStatus.failed
                return
            delay = min(self.base_backoff * 2 ** min(row.attempts - 1, 30), self.max_backoff)
            row.next_attempt_at = self.clock() + timedelta(seconds=delay)

    # Messages

    def _prepare(self, row_id: uuid.UUID, token: str) -> Outgoing | None:
        """The message of a row still this worker's, whose lease is renewed for the send (a
        slow server late in a batch never lets a lease end mid-send); None when the lease
        already ended (another worker may have it now)."""
        now = self.clock()
        with session_scope(self._sessions, SYSTEM) as session:
            renewed = session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == row_id, OutboundEmail.claim == token,
                       OutboundEmail.status == EmailStatus.pending,
                       OutboundEmail.lease_until > now)
                .values(lease_until=now + self.lease)
                .execution_options(synchronize_session=False))
            if renewed.rowcount != 1:  # type: ignore[attr-defined]
                return None
            row = session.get(OutboundEmail, row_id)
            assert row is not None
            user = session.get(User, row.user_id)
            if user is None or not user.is_active:
                return Outgoing(None, "the account is closed")
            if row.kind in ACCOUNT_KINDS:
                return self._account_message(session, row, user)
            kind = NotificationKind(row.kind)
            if user.email_confirmed_at is None:
                return Outgoing(None, "the address is not confirmed")
            if not wants_email(session, user.id, row.kind):
                return Outgoing(None, "the person does not want this kind by email")
            text = EVENT_TEXTS[kind]
            link = f"{self.public_url}/{row.link_path or text.link_path}"
            body = (f"{text.inbox}\n\nOpen the portal to see it:\n{link}\n\n"
                    "For your privacy this email says no more. You can choose which "
                    f"notifications you get by email in the portal:\n"
                    f"{self.public_url}/#/settings/notifications\n")
            return Outgoing(self._message(row, user, text.subject, body))

    def _account_message(self, session: Session, row: OutboundEmail,
                         user: User) -> Outgoing:
        kind = AccountMailKind(row.kind)
        account_token = session.get(AccountToken, uuid.UUID(row.subject_id or ""))
        if account_token is None or account_token.used_at is not None \
                or account_token.expires_at <= self.clock():
            return Outgoing(None, "the link has expired or was replaced")
        link = (f"{self.public_url}/{ACCOUNT_LINKS[kind]}"
                f"{self._account_token(account_token.id)}")
        minutes = max(1, int((account_token.expires_at - self.clock()).total_seconds() // 60))
        if kind is AccountMailKind.email_confirmation:
            body = (f"Confirm that this is your email address for OHMS:\n{link}\n\n"
                    f"The link works once, for {minutes} minutes. If you did not register, "
                    "ignore this email.\n")
        else:
            body = (f"Someone asked to reset your OHMS password. To choose a new one:\n{link}"
                    f"\n\nThe link works once, for {minutes} minutes; your other sign-ins "
                    "end when you use it. If you did not ask, ignore this email: your "
                    "password stays as it is.\n")
        return Outgoing(self._message(row, user, ACCOUNT_SUBJECTS[kind], body))

    def _message(self, row: OutboundEmail, user: User, subject: str,
                 body: str) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.mail_from
        message["To"] = Address(display_name=user.full_name, addr_spec=user.email)
        message["Subject"] = f"OHMS: {subject}"
        message["Date"] = format_datetime(self.clock())
        message["Message-ID"] = self.message_id(row.id)
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(body)
        return message
