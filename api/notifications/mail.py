"""The Mailer port and its adapters: .eml files in the data directory (the embedded default)
and an SMTP server (smtp:// or smtps:// URL, optional STARTTLS)."""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit


class MailDeferred(Exception):
    """The message was not taken now; try again later. `server_down` when the server could
    not be reached at all (never counts against the attempts of a message)."""

    def __init__(self, reason: str, *, server_down: bool) -> None:
        super().__init__(reason)
        self.server_down = server_down


class MailRejected(Exception):
    """The server refused the message for good (5xx: no such mailbox, policy)."""


class Mailer(Protocol):
    """Hands one message over for delivery. Raises MailDeferred or MailRejected. Sending the
    same message (same Message-ID) twice is harmless for the file adapter, and recognisable
    for a mail server or a reader."""

    def send(self, message: EmailMessage) -> None: ...


def _message_file_name(message: EmailMessage) -> str:
    message_id = str(message["Message-ID"] or "").strip("<>")
    safe = "".join(c if c.isalnum() or c in "-._" else "_" for c in message_id)
    if not safe:
        raise ValueError("a message to write needs a Message-ID")
    return f"{safe}.eml"


class FileMailer:
    """Writes each message as an RFC 5322 file `<Message-ID>.eml` in `directory`, atomically
    (a temporary file renamed into place): a message sent again replaces its own file. The
    temporary file's name does not end in `.eml`, so a reader of `*.eml` never sees a message
    before it is whole, nor one message under two names."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def send(self, message: EmailMessage) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".part")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(bytes(message))
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, self.directory / _message_file_name(message))
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise MailDeferred(f"the mail directory is not writable: {type(exc).__name__}",
                               server_down=True) from None


class SmtpMailer:
    """Sends through an SMTP server: `smtp://[user:pass@]host[:port]` (STARTTLS when
    `starttls`), or `smtps://` for TLS from the first byte. A connection per message."""

    def __init__(self, url: str, *, starttls: bool = False, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError("OHMS_SMTP_URL must look like smtp://user:pass@host:port")
        self.implicit_tls = parts.scheme == "smtps"
        self.host = parts.hostname
        self.port = parts.port or (465 if self.implicit_tls else 587)
        self.username = unquote(parts.username) if parts.username else None
        self.password = unquote(parts.password) if parts.password else None
        self.starttls = starttls
        self.timeout = timeout

    def _connect(self) -> smtplib.SMTP:
        if self.implicit_tls:
            return smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.starttls:
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, message: EmailMessage) -> None:
        try:
            with self._connect() as smtp:
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(500 <= code < 600 for code in codes):
                raise MailRejected(f"recipient refused ({codes[0]})") from None
            raise MailDeferred(f"recipient deferred ({codes[0] if codes else '?'})",
                               server_down=False) from None
        except smtplib.SMTPAuthenticationError as exc:
            # The service's configuration, not the message: kept until it is fixed.
            raise MailDeferred(f"mail server refused the login ({exc.smtp_code})",
                               server_down=True) from None
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                raise MailRejected(f"message refused ({exc.smtp_code})") from None
            raise MailDeferred(f"message deferred ({exc.smtp_code})",
                               server_down=False) from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailDeferred(f"mail server unavailable: {type(exc).__name__}",
                               server_down=True) from None
