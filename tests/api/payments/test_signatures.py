"""The webhook signature (OHMS-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of
"<t>.<body>">), as the simulated provider signs and the webhook route verifies: tested once,
directly (no adapter involved), with the published HMAC computed independently."""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.composition import build_payment_provider
from api.db.session import make_engine, make_sessionmaker
from api.payments.signatures import (
    BadSignature,
    MalformedSignature,
    StaleTimestamp,
    sign,
    verify,
)
from api.settings import Settings

SECRET = b"whsec_test_secret"
BODY = b'{"id":"evt_1","type":"payment_intent.succeeded"}'
NOW = 1_767_000_000


def test_the_header_is_the_hmac_of_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET, b"1767000000." + BODY, hashlib.sha256).hexdigest()
    assert sign(SECRET, BODY, NOW) == f"t=1767000000,v1={expected}"
    assert verify(SECRET, BODY, sign(SECRET, BODY, NOW), now=NOW, tolerance=300) == NOW


def test_one_matching_signature_among_several_passes() -> None:
    good = sign(SECRET, BODY, NOW).split(",")[1]
    header = f"t={NOW},v1={'a' * 64},{good},v0=ignored"
    assert verify(SECRET, BODY, header, now=NOW, tolerance=300) == NOW


@pytest.mark.parametrize(("header", "now", "error"), [
    (sign(b"another secret", BODY, NOW), NOW, BadSignature),
    (sign(SECRET, BODY + b" ", NOW), NOW, BadSignature),
    (sign(SECRET, BODY, NOW - 301), NOW, StaleTimestamp),
    (sign(SECRET, BODY, NOW + 301), NOW, StaleTimestamp),
    ("", NOW, MalformedSignature),
    (f"t={NOW}", NOW, MalformedSignature),
    (f"v1={'0' * 64}", NOW, MalformedSignature),
    (f"t=-5,v1={'0' * 64}", NOW, MalformedSignature),
    (f"t={NOW},v1=XYZ", NOW, MalformedSignature),
    (f"t={NOW},t={NOW},v1={'0' * 64}", NOW, MalformedSignature),
    ("t" * 2000, NOW, MalformedSignature),
])
def test_refusals(header: str, now: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        verify(SECRET, BODY, header, now=now, tolerance=300)


def test_the_edges_of_the_tolerance_window_pass() -> None:
    for t in (NOW - 300, NOW + 300):
        assert verify(SECRET, BODY, sign(SECRET, BODY, t), now=NOW, tolerance=300) == t


def test_the_default_secret_is_kept_in_data_dir_and_shared(tmp_path: Path) -> None:
    """Made once in data_dir/secrets, so restarts and `--workers N` sign and verify alike;
    a configured secret is used as given."""
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    sessions = make_sessionmaker(make_engine(url))
    settings = Settings(data_dir=tmp_path, database_url=url)
    first, sender = build_payment_provider(settings, sessions)
    second, _ = build_payment_provider(settings, sessions)
    assert sender is not None and len(sender.secret) == 64
    assert first.secret == second.secret == sender.secret  # type: ignore[attr-defined]
    assert (tmp_path / "secrets" / "payment-webhook.key").stat().st_mode & 0o777 == 0o600
    given = Settings(data_dir=tmp_path, database_url=url,
                     payment_webhook_secret=SecretStr("configured"))
    _, sender = build_payment_provider(given, sessions)
    assert sender is not None and sender.secret == b"configured"
    assert sender.url == "http://127.0.0.1:8000/api/v1/payments/webhook"
    with pytest.raises(ValueError, match="unknown"):
        build_payment_provider(Settings(data_dir=tmp_path, database_url=url,
                                        payment_provider="acme"), sessions)
