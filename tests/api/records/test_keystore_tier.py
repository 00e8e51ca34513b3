"""The institutions' convenience tier: Umbral keys held in the service's sealed keystore,
granted records served decrypted to the institution's staff, with the same consent check and
access log as any read; the tier never opens what was not granted."""

from __future__ import annotations

from tests.api.conftest import Ohms
from tests.api.consent.conftest import run_workers
from tests.api.records.conftest import (
    institution,
    keyed_patient,
    marker,
    note,
    revoke,
    submit_grant,
    treatment_grant,
    write,
)

PROBLEM = "application/problem+json"


def test_keystore_tier_reads_granted_records_only(ohms: Ohms) -> None:
    patient, patient_keys = keyed_patient(ohms)
    hospital = institution(ohms, "hospital", "physician")
    clinic = ohms.create_org("clinic")
    admin = ohms.add_member(clinic, "org_admin")
    nurse = ohms.add_member(clinic, "nurse", by=admin)

    # Only the organisation's admin makes the keys, once; nobody else's organisation.
    assert ohms.client.post(f"/api/v1/organizations/{clinic}/keys/custodial",
                            headers=nurse.headers).status_code == 403
    assert ohms.client.post(f"/api/v1/organizations/{hospital.org_id}/keys/custodial",
                            headers=admin.headers).status_code == 404
    made = ohms.client.post(f"/api/v1/organizations/{clinic}/keys/custodial",
                            headers=admin.headers)
    assert made.status_code == 201, made.text
    clinic_key = made.json()["umbral_public_key"]
    again = ohms.client.post(f"/api/v1/organizations/{clinic}/keys/custodial",
                             headers=admin.headers)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    listed = ohms.client.get("/api/v1/directory/organizations", params={"kind": "clinic"},
                             headers=patient.user.headers).json()
    assert {e["umbral_public_key"] for e in listed if e["id"] == clinic} == {clinic_key}

    treatment_grant(ohms, patient, hospital.org_id)
    text = marker("keystore-tier")
    record = write(ohms, hospital.staff["physician"], patient.user.uhid,
                   note(patient.user.uhid, text))
    url = f"/api/v1/records/{record['id']}/resource"
    denied = ohms.client.get(url, headers=nurse.headers)
    assert denied.status_code == 404 and text not in denied.text  # not told it exists

    r = submit_grant(ohms, patient, clinic, kfrags=patient_keys.grant_kfrags(clinic_key),
                     verifying_key=patient_keys.key_document()["verifying_key"])
    assert r.status_code == 201, r.text
    run_workers(ohms)
    opened = ohms.client.get(url, headers=nurse.headers)
    assert opened.status_code == 200, opened.text
    assert opened.json()["resourceType"] == "DocumentReference"
    assert opened.json()["description"] == text

    # Institutions holding their own keys decrypt on their side: the tier refuses them.
    own = ohms.client.get(url, headers=hospital.staff["physician"].headers)
    assert own.status_code == 409
    # So does the patient, whose keys the service never holds.
    assert ohms.client.get(url, headers=patient.user.headers).status_code == 409

    revoke(ohms, patient, r.json()["id"])
    after = ohms.client.get(url, headers=nurse.headers)
    assert after.status_code == 403 and text not in after.text
    history = ohms.client.get("/api/v1/audit/entries", headers=patient.user.headers).json()
    nurse_reads = [e for e in history if e["accessor"] == nurse.uhid
                   and e["record"] == f"record:{record['id']}"]
    assert sorted(e["outcome"] for e in nurse_reads) == ["denied", "denied", "granted"]
