"""The signature of payment webhooks, one module for both sides: the simulated provider signs
with it and the webhook route verifies with it, so the simulator signs exactly as a real
adapter expects.

Header `OHMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, keyed with
the secret the provider and OHMS share (Stripe's scheme): the timestamp is signed with the
body, so a captured delivery cannot be replayed outside the tolerance window, and a header
may carry several `v1` entries (one per secret while a secret is being rotated)."""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "OHMS-Signature"
SCHEME = "v1"
# A header is a few short entries; anything longer is not one of ours.
MAX_HEADER_LENGTH = 1000


class WebhookRejected(Exception):
    """A webhook that must change nothing; the message says why (no secret, no body)."""


class MalformedSignature(WebhookRejected):
    pass


class BadSignature(WebhookRejected):
    pass


class StaleTimestamp(WebhookRejected):
    """Signed outside the tolerance window: too old (a replay) or in the future."""


def _digest(secret: bytes, timestamp: int, body: bytes) -> str:
    return hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256).hexdigest()


def sign(secret: bytes, body: bytes, timestamp: int) -> str:
    """The header value for `body` sent at `timestamp` (unix seconds)."""
    return f"t={timestamp},{SCHEME}={_digest(secret, timestamp, body)}"


def _parse(header: str) -> tuple[int, list[str]]:
    if not header or len(header) > MAX_HEADER_LENGTH:
        raise MalformedSignature("the signature header is missing or too long")
    timestamp: int | None = None
    signatures: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise MalformedSignature("the signature header is not t=...,v1=...")
        if key == "t":
            if timestamp is not None or not value.isascii() or not value.isdigit() \
                    or len(value) > 12:
                raise MalformedSignature("the signature's timestamp is not unix seconds")
            timestamp = int(value)
        elif key == SCHEME:
            if len(value) != 64 or not value.isascii() \
                    or any(c not in "0123456789abcdef" for c in value):
                raise MalformedSignature("a v1 signature is not 64 lowercase hex digits")
            signatures.append(value)
        # Other schemes (a future v2, a test-mode v0) are ignored, as providers advise.
    if timestamp is None or not signatures:
        raise MalformedSignature("the signature header needs t= and at least one v1=")
    return timestamp, signatures


def verify(secret: bytes, body: bytes, header: str, *, now: int, tolerance: int) -> int:
    """Check `header` against `body`; the signed timestamp, or WebhookRejected."""
    timestamp, signatures = _parse(header)
    expected = _digest(secret, timestamp, body)
    # Every entry is compared (constant time each), so timing tells nothing of which matched.
    matched = False
    for candidate in signatures:
        matched |= hmac.compare_digest(expected, candidate)
    if not matched:
        raise BadSignature("no signature matches the body")
    if abs(now - timestamp) > tolerance:
        raise StaleTimestamp("the signature's timestamp is outside the tolerance window")
    return timestamp
