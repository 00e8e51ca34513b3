"""Helpers for record exchange tests: parties with Umbral keys, FHIR resources with unique
marker strings, grants that carry kfrags, and the whole write/share/revoke flow."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.records.models import Record
from reencryption.client import KeyHolder
from tests.api.conftest import Ohms, User, start_ohms
from tests.api.consent.conftest import WalletPatient, patient_with_wallet, run_workers, sign
from tests.api.consent.conftest import typed_data as grant_typed_data
from tests.conftest import DatabaseFactory

PROBLEM = "application/problem+json"


@pytest.fixture(scope="session")
def ohms(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ohms]:
    """The record tests drive the background work themselves, round by round."""
    yield from start_ohms(databases, tmp_path_factory.mktemp(f"records-{databases.kind}"),
                          audit_batch_max_seconds=3600)


def marker(label: str) -> str:
    """A string that appears nowhere but in one record's plaintext."""
    return f"MARK{label.upper()}{uuid.uuid4().hex}"


def note(patient_uhid: str, text: str) -> dict[str, Any]:
    """A clinical note (category `document`)."""
    return {"resourceType": "DocumentReference", "status": "current",
            "subject": {"reference": f"Patient/{patient_uhid}"},
            "description": text,
            "content": [{"attachment": {"contentType": "text/plain", "title": text}}]}


def lab_result(patient_uhid: str, text: str) -> dict[str, Any]:
    """A laboratory observation (category `lab`)."""
    return {"resourceType": "Observation", "status": "final",
            "category": [{"coding": [{
                "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                "code": "laboratory"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "2339-0"}],
                     "text": "Glucose"},
            "subject": {"reference": f"Patient/{patient_uhid}"},
            "valueQuantity": {"value": 5.4, "unit": "mmol/L"},
            "note": [{"text": text}]}


@dataclass
class Party:
    """A person (or an organisation's member) with Umbral keys kept on its side."""

    user: User
    keys: KeyHolder = field(default_factory=KeyHolder.generate)


@dataclass
class Institution:
    org_id: str
    admin: User
    keys: KeyHolder
    staff: dict[str, User]


def keyed_patient(ohms: Ohms) -> tuple[WalletPatient, KeyHolder]:
    """A patient with a wallet and Umbral keys derived from it, published."""
    patient = patient_with_wallet(ohms)
    keys = KeyHolder.from_wallet_private_key(bytes(patient.wallet.key))
    r = ohms.client.put("/api/v1/me/keys", headers=patient.user.headers,
                        json=keys.key_document())
    assert r.status_code == 200, r.text
    return patient, keys


def institution(ohms: Ohms, kind: str, *roles: str) -> Institution:
    org = ohms.create_org(kind)
    admin = ohms.add_member(org, "org_admin")
    keys = KeyHolder.generate()
    r = ohms.client.put(f"/api/v1/organizations/{org}/keys", headers=admin.headers,
                        json=keys.key_document())
    assert r.status_code == 200, r.text
    return Institution(org, admin, keys, {role: ohms.add_member(org, role, by=admin)
                                          for role in roles})


def submit_grant(ohms: Ohms, patient: WalletPatient, grantee: str, *,
                 kfrags: list[str] | None = None, verifying_key: str | None = None,
                 scope: str = "category:document") -> httpx.Response:
    data = grant_typed_data(ohms, patient, grantee, scope=scope)
    body: dict[str, Any] = {"typed_data": data, "signature": sign(patient.wallet, data)}
    if kfrags is not None:
        body |= {"kfrags": kfrags, "verifying_key": verifying_key}
    r: httpx.Response = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                                         json=body)
    return r


def grant_with_kfrags(ohms: Ohms, patient: WalletPatient, patient_keys: KeyHolder,
                      to: Institution, scope: str = "category:document") -> dict[str, Any]:
    umbral_public_key = to.keys.key_document()["umbral_public_key"]
    r = submit_grant(ohms, patient, to.org_id, scope=scope,
                     kfrags=patient_keys.grant_kfrags(umbral_public_key),
                     verifying_key=patient_keys.key_document()["verifying_key"])
    assert r.status_code == 201, r.text
    run_workers(ohms)
    body: dict[str, Any] = r.json()
    return body


def revoke(ohms: Ohms, patient: WalletPatient, consent_id: str) -> None:
    rev = ohms.client.post(f"/api/v1/consents/{consent_id}/revocation/typed-data",
                           headers=patient.user.headers)
    assert rev.status_code == 200, rev.text
    done = ohms.client.post(f"/api/v1/consents/{consent_id}/revocation",
                            headers=patient.user.headers,
                            json={"typed_data": rev.json(),
                                  "signature": sign(patient.wallet, rev.json())})
    assert done.status_code == 200 and done.json()["status"] == "revoked", done.text
    run_workers(ohms)


def record_count(ohms: Ohms) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(Record)) or 0)


def write(ohms: Ohms, author: User, patient_uhid: str,
          resource: dict[str, Any]) -> dict[str, Any]:
    r = ohms.client.post(f"/api/v1/patients/{patient_uhid}/records", headers=author.headers,
                         json=resource)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@dataclass
class ExchangeFlow:
    """What the issue's end-to-end flow leaves behind."""

    patient: WalletPatient
    patient_keys: KeyHolder
    hospital: Institution
    lab: Institution
    markers: list[str]
    note_id: str
    lab_result_id: str
    lab_consent_id: str


def treatment_grant(ohms: Ohms, patient: WalletPatient, org: str,
                    scope: str = "category:all") -> dict[str, Any]:
    """A grant without kfrags: lets the organisation's clinicians write, not read."""
    r = submit_grant(ohms, patient, org, scope=scope)
    assert r.status_code == 201, r.text
    run_workers(ohms)
    body: dict[str, Any] = r.json()
    return body
