"""Input that reached the chain code or the date library and came back as server errors
(security review, finding 4): each now answers 4xx problem+json where it enters, and changes
nothing."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from api.consent.models import BreakGlassAccess
from tests.api.conftest import Ohms
from tests.api.consent.conftest import patient_with_wallet, sign, typed_data
from tests.api.consent.test_consent import PROBLEM, counts

BAD_SCOPES = ["record:x;y", "record:<script>", "record:" + "a" * 129, "category:lab extra",
              "record:", "category:"]


def post_typed_data(ohms: Ohms, headers: dict[str, str], grantee: str,
                    **changes: Any) -> Any:
    body = {"grantee": grantee, "scope": "category:lab", "purpose": "treatment",
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(), **changes}
    return ohms.client.post("/api/v1/consents/typed-data", headers=headers, json=body)


@pytest.mark.parametrize("scope", BAD_SCOPES)
def test_typed_data_refuses_scopes_the_chain_would_refuse(ohms: Ohms, scope: str) -> None:
    lab = ohms.create_org("lab")
    patient = patient_with_wallet(ohms)
    r = post_typed_data(ohms, patient.user.headers, lab, scope=scope)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert "scope" in r.json()["detail"]


def test_typed_data_refuses_dates_the_chain_cannot_hold(ohms: Ohms) -> None:
    lab = ohms.create_org("lab")
    patient = patient_with_wallet(ohms)
    for changes in ({"data_from": "1900-01-01T00:00:00Z"},
                    {"data_to": "1969-12-31T23:59:59Z"},
                    {"data_from": "1900-01-01T00:00:00Z", "data_to": "2000-01-01T00:00:00Z"}):
        r = post_typed_data(ohms, patient.user.headers, lab, **changes)
        assert r.status_code == 422, (changes, r.text)
        assert r.headers["content-type"] == PROBLEM
        assert "1970-01-01" in r.json()["detail"]
    # A record's date range from 1970 on is fine.
    ok = post_typed_data(ohms, patient.user.headers, lab, data_from="1970-01-01T00:00:00Z")
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize("field", ["expiry", "dataFrom", "dataTo"])
def test_grants_with_times_past_year_9999_are_refused(ohms: Ohms, field: str) -> None:
    lab = ohms.create_org("lab")
    patient = patient_with_wallet(ohms)
    data = copy.deepcopy(typed_data(ohms, patient, lab))
    data["message"][field] = 253402300810  # 10000-01-01T00:00:10Z
    if field == "dataFrom":
        data["message"]["dataTo"] = 0
    before = counts(ohms)
    r = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                         json={"typed_data": data, "signature": sign(patient.wallet, data)})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert counts(ohms) == before


@pytest.mark.parametrize("scope", BAD_SCOPES)
def test_break_glass_with_a_malformed_scope_is_invalid_not_unavailable(
    ohms: Ohms, scope: str,
) -> None:
    doctor = ohms.add_member(ohms.create_org("hospital"), "physician")
    patient = ohms.register_patient()
    with ohms.db() as s:
        before = s.scalar(select(func.count()).select_from(BreakGlassAccess))
    r = ohms.client.post("/api/v1/break-glass", headers=doctor.headers, json={
        "patient": patient.uhid, "scope": scope,
        "reason": "unconscious on arrival, allergies unknown"})
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    with ohms.db() as s:
        assert s.scalar(select(func.count()).select_from(BreakGlassAccess)) == before


def test_access_check_with_a_malformed_scope_is_invalid(ohms: Ohms) -> None:
    tech = ohms.add_member(ohms.create_org("lab"), "lab_technician")
    patient = ohms.register_patient()
    r = ohms.client.post("/api/v1/access/check", headers=tech.headers, json={
        "patient": patient.uhid, "scope": "record:<script>", "purpose": "treatment"})
    assert r.status_code == 422, r.text


@pytest.mark.parametrize("body", [
    b'{"grantee": "\\ud800", "scope": "category:lab", "purpose": "treatment", '
    b'"expires_at": "2030-01-01T00:00:00Z"}',
    b'{"grantee": "x", "scope": "category:lab\\udfff", "purpose": "treatment", '
    b'"expires_at": "2030-01-01T00:00:00Z"}',
])
def test_lone_surrogates_are_refused_before_anything_reads_them(ohms: Ohms,
                                                                 body: bytes) -> None:
    patient = patient_with_wallet(ohms)
    r = ohms.client.post("/api/v1/consents/typed-data", content=body, headers={
        **patient.user.headers, "Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == PROBLEM
    assert "unpaired surrogate" in r.json()["detail"]
    # A well-formed pair (an emoji) is text like any other.
    r = ohms.client.post("/api/v1/auth/register", content=(
        b'{"email": "emoji-' + patient.user.uhid.encode() + b'@example.com", '
        b'"password": "a long and unusual passphrase 42", '
        b'"full_name": "Smile \\ud83d\\ude00", "date_of_birth": "1990-01-01"}'),
        headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
