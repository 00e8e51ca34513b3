"""The email outbox against a real SMTP server on loopback (both database backends): the
server stopped while reminders are due loses nothing, and each email goes out exactly once
after it is back; concurrent workers never send a row twice; a crash between the server's
acceptance and the mark resends with the same Message-ID; refusals end a row, never the
queue."""

from __future__ import annotations

import contextlib
import os
import threading
import uuid
from collections import Counter
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from api.db.base import utcnow
from api.notifications.mail import FileMailer
from api.notifications.models import EmailStatus, NotificationKind, OutboundEmail
from api.notifications.outbox import EmailOutboxWorker
from api.notifications.service import notify_event
from scripts.services.smtp import SmtpServer
from tests.api.conftest import User
from tests.api.notifications.conftest import MailApp, smtp_mailer
from tests.api.scheduling.factories import act, booked, clinic, make_schedule


class Clock:
    """The worker's time, moved by the test (backoff and leases are read from it)."""

    def __init__(self) -> None:
        self.now = utcnow()

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)

    def catch_up(self) -> None:
        """At least the real time (rows queued since are due)."""
        self.now = max(self.now, utcnow())


def _rows(mail: MailApp, user: User, kind: str | None = None) -> list[OutboundEmail]:
    return [r for r in mail.outbox(user) if kind is None or r.kind == kind]


def _drain(worker: EmailOutboxWorker) -> None:
    while worker.run_once() > 0:
        pass


def _queue_events(mail: MailApp, user: User, count: int) -> None:
    with mail.ohms.db() as s:
        for _ in range(count):
            notify_event(s, user_id=uuid.UUID(user.id), kind=NotificationKind.results_ready,
                         subject_id=str(uuid.uuid4()))


def test_mail_server_down_while_reminders_are_due_loses_nothing_and_sends_each_once(
        mail: MailApp, mail_server: SmtpServer) -> None:
    ohms = mail.ohms
    patient = mail.confirmed_patient()
    c = clinic(ohms)
    make_schedule(ohms, c.admin, c.physician)
    day = "2031-03-03"  # a Monday
    for hour in ("09:00", "09:30", "10:00"):
        appointment = booked(ohms, patient, c.physician, f"{day}T{hour}:00Z")["id"]
        assert act(ohms, c.physician, appointment, "confirm").status_code == 200
    clock = Clock()
    worker = mail.worker(smtp_mailer(mail_server), clock=clock)
    clock.catch_up()
    _drain(worker)  # the requests and confirmations, sent while the server is up
    before = len(mail_server.to(patient.email))

    mail_server.stop()
    reminders = mail.reminders(clock=datetime.fromisoformat(f"{day}T08:00:00+00:00"))
    assert reminders.run_once() == 3
    clock.catch_up()
    assert worker.run_once() == 0
    queued = _rows(mail, patient, "appointment_reminder")
    assert len(queued) == 3
    assert all(r.status is EmailStatus.pending and r.attempts == 1 and r.claim is None
               and r.next_attempt_at > clock.now and "unavailable" in (r.last_error or "")
               for r in queued), [(r.status, r.attempts, r.last_error) for r in queued]
    # Backing off: a pass right away tries nothing; later passes keep failing, more slowly.
    assert worker.run_once() == 0
    assert {r.attempts for r in _rows(mail, patient, "appointment_reminder")} == {1}
    waits = []
    for _ in range(4):
        clock.advance(seconds=3600)
        assert worker.run_once() == 0
        rows = _rows(mail, patient, "appointment_reminder")
        waits.append(min(r.next_attempt_at for r in rows) - clock.now)
        assert all(r.status is EmailStatus.pending for r in rows)
    assert waits == sorted(waits) and waits[-1] > waits[0], waits
    assert reminders.run_once() == 0  # the sweep queues no more while they wait

    mail_server.start()
    assert worker.run_once() == 0  # still backing off: nothing is tried early
    clock.advance(seconds=3600)
    _drain(worker)
    _drain(worker)
    rows = _rows(mail, patient, "appointment_reminder")
    assert all(r.status is EmailStatus.sent and r.sent_at is not None for r in rows)
    received = mail_server.to(patient.email)[before:]
    counts = Counter(r.message_id for r in received)
    assert len(counts) == 3 and set(counts.values()) == {1}, counts
    assert counts.keys() == {worker.message_id(r.id) for r in rows}
    assert all(r.message["Subject"] == "OHMS: Appointment reminder" for r in received)


def test_two_workers_at_once_never_send_a_row_twice(mail: MailApp,
                                                    mail_server: SmtpServer) -> None:
    patient = mail.confirmed_patient()
    _queue_events(mail, patient, 24)
    workers = [mail.worker(smtp_mailer(mail_server), batch_size=5) for _ in range(2)]
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(worker: EmailOutboxWorker) -> None:
        try:
            start.wait()
            _drain(worker)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    rows = _rows(mail, patient, "results_ready")
    assert len(rows) == 24 and {r.status for r in rows} == {EmailStatus.sent}
    counts = Counter(r.message_id for r in mail_server.to(patient.email)
                     if r.message["Subject"] == "OHMS: New results in your records")
    assert len(counts) == 24 and set(counts.values()) == {1}, counts


def test_a_crash_after_sending_resends_once_with_the_same_message_id(
        mail: MailApp, mail_server: SmtpServer) -> None:
    patient = mail.confirmed_patient()
    _queue_events(mail, patient, 1)
    clock = Clock()
    crashed = mail.worker(smtp_mailer(mail_server), clock=clock, lease_seconds=60)
    clock.catch_up()

    def crash(*_: object, **__: object) -> bool:
        raise SystemExit("the process died before marking the row sent")

    crashed._finish = crash  # type: ignore[method-assign]
    with contextlib.suppress(SystemExit):
        crashed.run_once()
    (row,) = _rows(mail, patient, "results_ready")
    assert row.status is EmailStatus.pending and row.claim is not None
    other = mail.worker(smtp_mailer(mail_server), clock=clock)
    assert other.run_once() == 0  # leased: not another worker's to send yet
    clock.advance(seconds=61)
    assert other.run_once() == 1
    _drain(other)
    (row,) = _rows(mail, patient, "results_ready")
    assert row.status is EmailStatus.sent
    ids = [r.message_id for r in mail_server.to(patient.email)
           if r.message["Subject"] == "OHMS: New results in your records"]
    assert ids == [other.message_id(row.id)] * 2  # resent, recognisably the same message


def test_a_refused_recipient_fails_its_row_and_the_queue_goes_on(
        mail: MailApp, mail_server: SmtpServer) -> None:
    refused, deferred, fine = (mail.confirmed_patient() for _ in range(3))
    mail_server.refuse(refused.email)
    mail_server.defer(deferred.email)
    for user in (refused, deferred, fine):
        _queue_events(mail, user, 1)
    clock = Clock()
    worker = mail.worker(smtp_mailer(mail_server), clock=clock, max_attempts=3)
    clock.catch_up()
    for _ in range(4):
        worker.run_once()
        clock.advance(seconds=3600)
    (row,) = _rows(mail, refused, "results_ready")
    assert row.status is EmailStatus.failed and "550" in (row.last_error or "")
    (row,) = _rows(mail, deferred, "results_ready")
    assert row.status is EmailStatus.failed and row.attempts == 3
    (row,) = _rows(mail, fine, "results_ready")
    assert row.status is EmailStatus.sent
    mail_server.defer(deferred.email, on=False)


def test_a_mail_file_is_seen_under_its_name_only_when_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The file adapter's reader (a person, a test, a mail importer) lists `*.eml`: while a
    message is being written it is not among them, and it appears under one name only. A
    browser test once read a message at its temporary name and again at its own."""
    message = EmailMessage()
    message["Message-ID"] = "<row-1@ohms.test>"
    message["Subject"] = "OHMS: Confirm your email address"
    message.set_content("x" * 100_000)
    seen_while_writing: list[list[str]] = []
    real_replace = os.replace

    def replace(src: str, dst: Path) -> None:  # the moment before the rename
        seen_while_writing.append(sorted(p.name for p in tmp_path.glob("*.eml")))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    FileMailer(tmp_path).send(message)
    FileMailer(tmp_path).send(message)  # sent again (a resend after a crash)
    assert seen_while_writing == [[], ["row-1_ohms.test.eml"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["row-1_ohms.test.eml"]
