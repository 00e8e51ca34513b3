"""What accounts need by email: confirming the address after registration, and resetting a
forgotten password through a single-use link that expires, asked for with the same answer
whether or not the address has an account, and rate-limited."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from api.db.base import utcnow
from api.identity.models import AccountToken, User
from api.identity.throttling import AttemptLimiter
from tests.api.conftest import PASSWORD
from tests.api.notifications.conftest import MailApp, body_of

NEW_PASSWORD = "Another-Quiet-Lantern-42"


def _reset(mail: MailApp, email: str) -> tuple[int, dict[str, object]]:
    r = mail.ohms.client.post("/api/v1/auth/password-reset", json={"email": email})
    return r.status_code, r.json()


def _reset_link_token(mail: MailApp, email: str, *, besides: tuple[str, ...] = ()) -> str:
    """The token of the one reset email sent to `email` besides those of `besides`."""
    mail.deliver()
    messages = [m for m in mail.messages_to(email)
                if m["Subject"] == "OHMS: Reset your password"]
    for message in messages:
        assert f"{mail.public_url}/#/reset-password?token=" in body_of(message)
    (token,) = {mail.token_in(m) for m in messages} - set(besides)
    return token


def test_the_registration_mails_a_link_that_confirms_the_address_once(mail: MailApp) -> None:
    ohms = mail.ohms
    patient = ohms.register_patient()
    mail.deliver()
    (message,) = mail.messages_to(patient.email)
    assert message["Subject"] == "OHMS: Confirm your email address"
    assert f"{mail.public_url}/#/confirm-email?token=" in body_of(message)
    token = mail.token_in(message)
    # Only the token's hash is stored.
    with ohms.db() as s:
        stored = s.scalars(select(AccountToken).where(
            AccountToken.user_id == uuid.UUID(patient.id))).one()
        assert token not in (stored.token_hash, str(stored.id))
    # Signing in works before confirming.
    assert ohms.login(patient.email, PASSWORD).status_code == 200

    assert ohms.client.post("/api/v1/auth/email/confirm",
                            json={"token": "not-a-token"}).status_code == 422
    r = ohms.client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert r.status_code == 204, r.text
    again = ohms.client.post("/api/v1/auth/email/confirm", json={"token": token})
    assert again.status_code == 422, again.text
    prefs = ohms.client.get("/api/v1/me/notification-preferences", headers=patient.headers)
    assert prefs.json()["email_address_confirmed"] is True
    # Confirmed: asking for another link is refused.
    r = ohms.client.post("/api/v1/me/email/confirmation", headers=patient.headers)
    assert r.status_code == 409, r.text


def test_a_new_confirmation_link_replaces_the_old_one(mail: MailApp) -> None:
    ohms = mail.ohms
    patient = ohms.register_patient()
    mail.deliver()
    (first,) = mail.messages_to(patient.email)
    r = ohms.client.post("/api/v1/me/email/confirmation", headers=patient.headers)
    assert r.status_code == 202, r.text
    mail.deliver()
    second = mail.messages_to(patient.email)
    assert len(second) == 2
    old, new = mail.token_in(first), mail.token_in(
        next(m for m in second if mail.token_in(m) != mail.token_in(first)))
    assert ohms.client.post("/api/v1/auth/email/confirm",
                            json={"token": old}).status_code == 422
    assert ohms.client.post("/api/v1/auth/email/confirm",
                            json={"token": new}).status_code == 204


def test_a_password_reset_answers_alike_for_unknown_addresses_and_works_once(
        mail: MailApp) -> None:
    ohms = mail.ohms
    patient = ohms.register_patient()
    other_session = ohms.signed_in(type(patient)(**{**patient.__dict__}))
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"

    known_answer, unknown_answer = _reset(mail, patient.email), _reset(mail, unknown)
    assert known_answer == unknown_answer
    assert known_answer[0] == 202
    mail.deliver()
    assert mail.messages_to(unknown) == []
    token = _reset_link_token(mail, patient.email)

    # The registration's strength rules apply; a refusal leaves the link usable.
    weak = ohms.client.post("/api/v1/auth/password-reset/confirm",
                            json={"token": token, "new_password": "password1"})
    assert weak.status_code == 422, weak.text
    r = ohms.client.post("/api/v1/auth/password-reset/confirm",
                         json={"token": token, "new_password": NEW_PASSWORD})
    assert r.status_code == 204, r.text
    # Once only.
    again = ohms.client.post("/api/v1/auth/password-reset/confirm",
                             json={"token": token, "new_password": NEW_PASSWORD + "x"})
    assert again.status_code == 422, again.text
    # Every earlier sign-in has ended; the new password works, the old one not.
    for user in (patient, other_session):
        assert ohms.client.get("/api/v1/me", headers=user.headers).status_code == 401
        assert ohms.client.post("/api/v1/auth/refresh",
                                json={"refresh_token": user.refresh}).status_code == 401
    assert ohms.login(patient.email, PASSWORD).status_code == 401
    assert ohms.login(patient.email, NEW_PASSWORD).status_code == 200
    # Opening the mailed link proved the address.
    with ohms.db() as s:
        user = s.get(User, uuid.UUID(patient.id))
        assert user is not None and user.email_confirmed_at is not None


def test_a_reset_link_expires_and_a_newer_one_replaces_it(mail: MailApp) -> None:
    ohms = mail.ohms
    patient = ohms.register_patient()
    assert _reset(mail, patient.email)[0] == 202
    first = _reset_link_token(mail, patient.email)
    assert _reset(mail, patient.email)[0] == 202
    second = _reset_link_token(mail, patient.email, besides=(first,))
    r = ohms.client.post("/api/v1/auth/password-reset/confirm",
                         json={"token": first, "new_password": NEW_PASSWORD})
    assert r.status_code == 422, r.text
    ttl = ohms.container.settings.password_reset_ttl_minutes
    with ohms.db() as s:
        for row in s.scalars(select(AccountToken).where(
                AccountToken.user_id == uuid.UUID(patient.id),
                AccountToken.purpose == "password_reset", AccountToken.used_at.is_(None))):
            row.expires_at = utcnow() - timedelta(seconds=1)
            assert row.expires_at - row.created_at < timedelta(minutes=ttl)
    r = ohms.client.post("/api/v1/auth/password-reset/confirm",
                         json={"token": second, "new_password": NEW_PASSWORD})
    assert r.status_code == 422, r.text
    assert ohms.login(patient.email, PASSWORD).status_code == 200


def test_reset_requests_are_rate_limited_per_address_and_per_client(
        mail: MailApp, monkeypatch: pytest.MonkeyPatch) -> None:
    ohms = mail.ohms
    patient = ohms.register_patient()
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@example.com"
    per_address = int(ohms.container.settings.rate_limit_account_mail_per_address.split("/")[0])
    for address in (patient.email, unknown):  # limited alike, known or not
        for _ in range(per_address):
            assert _reset(mail, address)[0] == 202
        status, body = _reset(mail, address)
        assert status == 429, body
    r = ohms.client.post("/api/v1/auth/password-reset", json={"email": unknown})
    assert int(r.headers["Retry-After"]) > 0

    monkeypatch.setattr(ohms.container, "attempts", AttemptLimiter(
        sign_in_per_client="1000/minute", sign_in_per_account="1000/minute",
        registration_per_client="1000/minute", siwe_nonce_per_client="1000/minute",
        account_mail_per_client="2/minute", account_mail_per_address="1000/minute"))
    answers = [_reset(mail, f"x-{uuid.uuid4().hex[:8]}@example.com")[0] for _ in range(3)]
    assert answers == [202, 202, 429]
