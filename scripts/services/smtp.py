"""A real SMTP server on loopback (aiosmtpd, in a thread of this process) that keeps what it
receives, for the email outbox's tests: it can be stopped (connections refused) and started
again on the same port, and made to refuse recipients (5xx) or defer them (4xx)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from scripts.services._process import free_port


@dataclass(frozen=True)
class Received:
    """One message as the server took it."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Mailbox:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    defer: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such mailbox"
        if address.lower() in self.defer:
            return "451 4.3.0 try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session,
                          envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        with self.lock:
            self.received.append(Received(str(envelope.mail_from),
                                          tuple(envelope.rcpt_tos), raw))
        return "250 Message accepted for delivery"


class SmtpServer:
    """`url` is what OHMS_SMTP_URL would be. `stop()` closes the port; `start()` opens it
    again (same port, same mailbox)."""

    def __init__(self, port: int | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port or free_port()
        self._mailbox = _Mailbox()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    def start(self) -> None:
        if self._controller is not None:
            return
        controller = Controller(self._mailbox, hostname=self.host, port=self.port,
                                ready_timeout=10)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    @property
    def received(self) -> list[Received]:
        with self._mailbox.lock:
            return list(self._mailbox.received)

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address.lower() in (a.lower() for a in r.rcpt_tos)]

    def refuse(self, address: str) -> None:
        self._mailbox.refuse.add(address.lower())

    def defer(self, address: str, on: bool = True) -> None:
        (self._mailbox.defer.add if on else self._mailbox.defer.discard)(address.lower())

    def __enter__(self) -> SmtpServer:
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A running server on a free loopback port, stopped on exit."""
    with SmtpServer() as server:
        yield server
