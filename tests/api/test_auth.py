"""Password sign-in, lockout, access tokens (expired, forged, revoked) and refresh rotation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from api.identity.models import User as UserRow
from api.identity.tokens import AUDIENCE
from tests.api.conftest import PASSWORD, Ohms, start_ohms
from tests.conftest import DatabaseFactory

PROBLEM = "application/problem+json"


def assert_problem(r, status: int) -> None:  # type: ignore[no-untyped-def]
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == status
    assert "Traceback" not in r.text


def test_sign_in_with_email_or_uhid(ohms: Ohms) -> None:
    p = ohms.register_patient()
    by_email = ohms.login(p.email.upper(), PASSWORD)
    assert by_email.status_code == 200
    assert by_email.json()["token_type"] == "bearer"
    assert set(by_email.json()) >= {"access_token", "refresh_token", "token_type"}
    grouped = f"{p.uhid[:2]}-{p.uhid[2:6]}-{p.uhid[6:10]}-{p.uhid[10:]}"
    for username in (p.uhid, grouped):
        r = ohms.login(username, PASSWORD)
        assert r.status_code == 200, r.text
        me = ohms.client.get("/api/v1/me",
                             headers={"Authorization": f"Bearer {r.json()['access_token']}"})
        assert me.json()["uhid"] == p.uhid and me.json()["email"] == p.email


def test_mistyped_uhid_is_refused_clearly(ohms: Ohms) -> None:
    p = ohms.register_patient()
    wrong_digit = p.uhid[:5] + str((int(p.uhid[5]) + 1) % 10) + p.uhid[6:]
    swapped = p.uhid[:7] + p.uhid[8] + p.uhid[7] + p.uhid[9:]
    for typo in {wrong_digit, swapped} - {p.uhid}:
        r = ohms.login(typo, PASSWORD)
        assert_problem(r, 422)
        assert "mistyped" in r.json()["detail"]
        lookup = ohms.client.get(f"/api/v1/patients/{typo}", headers=ohms.admin.headers)
        assert_problem(lookup, 422)


def test_wrong_password_is_401_without_saying_which_part(ohms: Ohms) -> None:
    p = ohms.register_patient()
    wrong = ohms.login(p.email, "Wrong-Password-123")
    unknown = ohms.login(f"nobody-{uuid.uuid4().hex[:6]}@example.com", "Wrong-Password-123")
    assert_problem(wrong, 401)
    assert_problem(unknown, 401)
    assert wrong.json()["detail"] == unknown.json()["detail"]


@pytest.fixture
def quick_lock(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Ohms]:
    yield from start_ohms(databases, tmp_path, lockout_threshold=3, lockout_base_seconds=60)


def _locked_for(ohms: Ohms, email: str) -> float:
    with ohms.db() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == email))
        assert row is not None and row.locked_until is not None
        until = row.locked_until.replace(tzinfo=row.locked_until.tzinfo or UTC)
        return (until - datetime.now(UTC)).total_seconds()


def _unlock(ohms: Ohms, email: str) -> None:
    with ohms.db() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == email))
        assert row is not None
        row.locked_until = datetime.now(UTC) - timedelta(seconds=1)


def test_repeated_failures_lock_the_account(quick_lock: Ohms) -> None:
    ohms = quick_lock
    p = ohms.register_patient()
    for _ in range(3):
        assert ohms.login(p.email, "Wrong-Password-123").status_code == 401
    locked = ohms.login(p.email, PASSWORD)  # even the right password is refused now
    assert_problem(locked, 401)
    assert 0 < _locked_for(ohms, p.email) <= 60
    with ohms.db() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == p.email))
        assert row is not None and row.failed_logins == 3
    # The lock grows with each further failure once it has passed.
    _unlock(ohms, p.email)
    assert ohms.login(p.email, "Wrong-Password-123").status_code == 401
    assert_problem(ohms.login(p.email, PASSWORD), 401)
    assert 60 < _locked_for(ohms, p.email) <= 121
    _unlock(ohms, p.email)
    assert ohms.login(p.email, PASSWORD).status_code == 200
    with ohms.db() as s:
        row = s.scalar(select(UserRow).where(UserRow.email == p.email))
        assert row is not None and row.failed_logins == 0


def test_locked_and_unknown_accounts_answer_alike_after_the_same_hashing(
        quick_lock: Ohms, monkeypatch: pytest.MonkeyPatch) -> None:
    ohms = quick_lock
    p = ohms.register_patient()
    for _ in range(3):
        ohms.login(p.email, "Wrong-Password-123")
    # Count the argon2 verifications each sign-in really runs (the real hasher still runs).
    verified: list[str] = []
    real_verify = PasswordHasher.verify

    def counting_verify(self: PasswordHasher, hash: str | bytes, password: str | bytes) -> bool:
        verified.append("verify")
        return real_verify(self, hash, password)

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    answers = {}
    for what, username in (("locked", p.email),
                           ("unknown", f"nobody-{uuid.uuid4().hex[:6]}@example.com")):
        verified.clear()
        answers[what] = ohms.login(username, PASSWORD)
        assert verified == ["verify"], what
    locked, unknown = answers["locked"], answers["unknown"]
    assert_problem(locked, 401)
    assert_problem(unknown, 401)
    assert locked.json() == unknown.json()
    compared = ("content-type", "www-authenticate", "retry-after", "content-length")
    assert {h: locked.headers.get(h) for h in compared} == \
        {h: unknown.headers.get(h) for h in compared}
    assert "retry-after" not in locked.headers


def _claims(ohms: Ohms, token: str) -> dict:  # type: ignore[type-arg]
    return jwt.decode(token, options={"verify_signature": False})


def test_expired_forged_and_malformed_tokens_are_401(ohms: Ohms) -> None:
    p = ohms.register_patient()
    claims = _claims(ohms, p.token)
    secret = ohms.container.settings.jwt_secret.get_secret_value()  # type: ignore[union-attr]
    now = datetime.now(UTC)
    past = now - timedelta(hours=2)
    expired = jwt.encode({**claims, "iat": past, "nbf": past, "exp": now - timedelta(hours=1)},
                         secret, algorithm="HS256")
    forged = jwt.encode(claims, "another-secret-of-enough-length-123456", algorithm="HS256")
    elevated = jwt.encode({**claims, "sub": str(uuid.uuid4())}, "wrong" * 10, algorithm="HS256")
    unsigned = jwt.encode(claims, None, algorithm="none")  # type: ignore[arg-type]
    wrong_audience = jwt.encode({**claims, "aud": "someone-else"}, secret, algorithm="HS256")
    for token in (expired, forged, elevated, unsigned, wrong_audience, "garbage", ""):
        r = ohms.client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert_problem(r, 401)
        assert r.headers.get("www-authenticate") == "Bearer"
    r = ohms.client.get("/api/v1/me", headers={"Authorization": f"Bearer {expired}"})
    assert "expired" in r.json()["detail"]
    assert claims["aud"] == AUDIENCE
    assert ohms.client.get("/api/v1/me", headers=p.headers).status_code == 200


def test_logout_revokes_access_and_refresh_tokens(ohms: Ohms) -> None:
    p = ohms.register_patient()
    other_device = ohms.login(p.email, PASSWORD).json()
    r = ohms.client.post("/api/v1/auth/logout", headers=p.headers)
    assert r.status_code == 204
    assert_problem(ohms.client.get("/api/v1/me", headers=p.headers), 401)
    assert_problem(ohms.client.post("/api/v1/auth/refresh", json={"refresh_token": p.refresh}), 401)
    # Another sign-in of the same person is untouched.
    other = {"Authorization": f"Bearer {other_device['access_token']}"}
    assert ohms.client.get("/api/v1/me", headers=other).status_code == 200


def test_refresh_rotates_and_reuse_revokes_the_family(ohms: Ohms) -> None:
    p = ohms.register_patient()
    first = ohms.client.post("/api/v1/auth/refresh", json={"refresh_token": p.refresh})
    assert first.status_code == 200
    rotated = first.json()
    assert rotated["refresh_token"] != p.refresh
    new_headers = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert ohms.client.get("/api/v1/me", headers=new_headers).status_code == 200
    # The spent token is presented again (stolen and replayed): the whole family ends.
    replay = ohms.client.post("/api/v1/auth/refresh", json={"refresh_token": p.refresh})
    assert_problem(replay, 401)
    assert "already used" in replay.json()["detail"]
    assert_problem(ohms.client.get("/api/v1/me", headers=new_headers), 401)
    assert_problem(ohms.client.post("/api/v1/auth/refresh",
                                    json={"refresh_token": rotated["refresh_token"]}), 401)
    assert_problem(ohms.client.post("/api/v1/auth/refresh",
                                    json={"refresh_token": "not-a-token"}), 401)


def test_password_change_ends_other_sessions(ohms: Ohms) -> None:
    p = ohms.register_patient()
    other = ohms.login(p.email, PASSWORD).json()
    wrong = ohms.client.post("/api/v1/me/password", headers=p.headers, json={
        "current_password": "Not-The-Password-1", "new_password": "Brand-New-Secret-42x"})
    assert_problem(wrong, 422)
    weak = ohms.client.post("/api/v1/me/password", headers=p.headers, json={
        "current_password": PASSWORD, "new_password": "password1234"})
    assert_problem(weak, 422)
    assert ohms.login(p.email, PASSWORD).status_code == 200  # nothing changed so far
    ok = ohms.client.post("/api/v1/me/password", headers=p.headers, json={
        "current_password": PASSWORD, "new_password": "Brand-New-Secret-42x"})
    assert ok.status_code == 204
    assert ohms.client.get("/api/v1/me", headers=p.headers).status_code == 200
    assert_problem(ohms.client.get(
        "/api/v1/me", headers={"Authorization": f"Bearer {other['access_token']}"}), 401)
    assert_problem(ohms.login(p.email, PASSWORD), 401)
    assert ohms.login(p.email, "Brand-New-Secret-42x").status_code == 200
