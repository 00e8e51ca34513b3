"""Patient self-registration: UHIDs, duplicates, password rules, malformed input."""

from __future__ import annotations

import itertools
import uuid

from sqlalchemy import func, select
from stdnum import verhoeff

from api.identity.models import User
from tests.api.conftest import PASSWORD, Ohms

PROBLEM = "application/problem+json"


def count_users(ohms: Ohms) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(User)) or 0)


def test_registration_gives_a_checked_uhid(ohms: Ohms) -> None:
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    r = ohms.client.post("/api/v1/auth/register", json={
        "email": email, "password": PASSWORD, "full_name": "Asha Rao",
        "date_of_birth": "1988-07-01"})
    assert r.status_code == 201
    body = r.json()
    assert set(body) >= {"id", "uhid"}
    assert len(body["uhid"]) == 14 and body["uhid"].isdigit()
    assert verhoeff.is_valid(body["uhid"])
    assert body["uhid_display"].replace("-", "") == body["uhid"]
    me = ohms.client.get("/api/v1/me", headers={
        "Authorization": "Bearer " + ohms.login(email, PASSWORD).json()["access_token"]})
    assert me.json()["roles"] == ["patient"] and me.json()["organization"] is None


def test_uhids_are_unique_and_not_sequential(ohms: Ohms) -> None:
    uhids = [int(ohms.register_patient().uhid) for _ in range(4)]
    assert len(set(uhids)) == 4
    gaps = {b - a for a, b in itertools.pairwise(uhids)}
    assert not gaps & {1, 10}


def test_duplicate_email_is_409_and_changes_nothing(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    before = count_users(ohms)
    assert before > 0
    r = ohms.client.post("/api/v1/auth/register", json={
        "email": patient.email.upper(), "password": PASSWORD, "full_name": "Someone Else",
        "date_of_birth": "1970-01-01"})
    assert r.status_code == 409
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 409 and r.json()["title"] == "Conflict"
    assert count_users(ohms) == before


def test_weak_passwords_are_refused(ohms: Ohms) -> None:
    before = count_users(ohms)
    for weak in ["short1!", "password1234", "aaaaaaaaaaaa", "qwertyuiop12", "Welcome12345"]:
        r = ohms.client.post("/api/v1/auth/register", json={
            "email": f"weak-{uuid.uuid4().hex[:6]}@example.com", "password": weak,
            "full_name": "Asha Rao", "date_of_birth": "1988-07-01"})
        assert r.status_code == 422, weak
        assert r.headers["content-type"] == PROBLEM
        assert weak not in r.text
    assert count_users(ohms) == before


def test_malformed_and_invalid_bodies_are_problem_json(ohms: Ohms) -> None:
    before = count_users(ohms)
    cases = [
        ("{not json", {"content-type": "application/json"}),
        ('{"email": "not-an-email", "password": "x", "full_name": "A", '
         '"date_of_birth": "1990-01-01"}', {"content-type": "application/json"}),
        ('{"email": "a@example.com", "password": "Correct-Horse-Battery-9", '
         '"full_name": "A", "date_of_birth": "2999-01-01"}', {"content-type": "application/json"}),
        ('{"email": "a@example.com", "password": "Correct-Horse-Battery-9", '
         '"full_name": "A", "date_of_birth": "1990-01-01", "roles": ["system_admin"]}',
         {"content-type": "application/json"}),
    ]
    for raw, headers in cases:
        r = ohms.client.post("/api/v1/auth/register", content=raw, headers=headers)
        assert r.status_code == 422, raw
        assert r.headers["content-type"] == PROBLEM
        problem = r.json()
        assert problem["status"] == 422 and "title" in problem
        assert "Correct-Horse" not in r.text and "Traceback" not in r.text
    assert count_users(ohms) == before


def _register(ohms: Ohms, email: str, full_name: str = "Asha Rao"):  # type: ignore[no-untyped-def]
    return ohms.client.post("/api/v1/auth/register", json={
        "email": email, "password": PASSWORD, "full_name": full_name,
        "date_of_birth": "1988-07-01"})


def test_full_width_email_is_the_same_account(ohms: Ohms) -> None:
    local = f"maria{uuid.uuid4().hex[:8]}"
    assert _register(ohms, f"{local}@example.org").status_code == 201
    # The same address in full-width letters (and a full-width @) folds onto the first one.
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isalnum() else c for c in local)
    dup = _register(ohms, f"{full_width}\uff20Example.org")
    assert dup.status_code == 409 and dup.headers["content-type"] == PROBLEM
    # Either form signs in.
    for username in (f"{local}@example.org", f"{full_width}@example.org"):
        assert ohms.login(username, PASSWORD).status_code == 200, username


def test_lookalike_emails_are_refused(ohms: Ohms) -> None:
    before = count_users(ohms)
    tag = str(uuid.uuid4().int)[:8]  # digits: no script of their own
    for lookalike in (f"\u0430dmin{tag}@example.org",      # Cyrillic a, then Latin
                      f"p\u0430yp\u0430l{tag}@example.org",  # Cyrillic a inside Latin
                      f"\u0430\u043e\u0440{tag}@example.org",  # Cyrillic look-alikes and digits
                      f"admin{tag}@ex\u0430mple.org"):        # Cyrillic a in the domain
        r = _register(ohms, lookalike)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, lookalike
        assert "Traceback" not in r.text
    assert count_users(ohms) == before
    # Addresses in one non-Latin script that do not pass for Latin ones are fine.
    assert _register(ohms, f"\u0430\u0434\u043c\u0438\u043d{tag}@example.org").status_code == 201


def test_names_with_control_characters_are_refused(ohms: Ohms) -> None:
    before = count_users(ohms)
    for bad in ("Asha\x00Rao", "Asha \u202eoaR", "Asha\u2067Rao\u2069", "Asha\u200eRao",
                "Asha\tRao", "\ufeffAsha"):
        r = _register(ohms, f"n-{uuid.uuid4().hex[:8]}@example.com", full_name=bad)
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, repr(bad)
    assert count_users(ohms) == before
    accented = _register(ohms, f"n-{uuid.uuid4().hex[:8]}@example.com",
                         full_name="Zoë Ñúñez-Ōta")
    assert accented.status_code == 201, accented.text
