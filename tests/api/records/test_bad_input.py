"""Bad input to the record exchange gets a clear 4xx problem and changes nothing: malformed
JSON, invalid FHIR, a resource for another patient, oversize payloads, a tampered blob, and
forged or mismatched kfrags."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.audit.models import AccessLogEntry
from api.consent.models import Consent
from api.records.fhir import UHID_SYSTEM
from reencryption.client import KeyHolder
from storage import CachedBlobStore, LocalBlobStore
from tests.api.conftest import Ohms, start_ohms
from tests.api.records.conftest import (
    PROBLEM,
    institution,
    keyed_patient,
    lab_result,
    marker,
    note,
    record_count,
    submit_grant,
    treatment_grant,
    write,
)
from tests.conftest import DatabaseFactory


def _problem(r: Any, status: int) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM


def test_bad_records_are_refused_and_change_nothing(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    other, _ = keyed_patient(ohms)
    url = f"/api/v1/patients/{patient.user.uhid}/records"
    secret = marker("bad")
    before = record_count(ohms)
    good = note(patient.user.uhid, secret)
    cases: list[tuple[dict[str, Any], int]] = [
        ({"content": b'{"resourceType": "Observation", "status": '}, 422),  # malformed JSON
        ({"json": ["not", "a", "resource"]}, 422),
        ({"json": {"status": "final"}}, 422),  # no resourceType
        ({"json": {"resourceType": "Spaceship"}}, 422),
        ({"json": {"resourceType": "Observation", "status": "final",
                   "note": [{"text": secret}]}}, 422),  # no code: invalid FHIR
        ({"json": dict(good, unknownField=1)}, 422),
        ({"json": {"resourceType": "Bundle", "type": "collection"}}, 422),
        # Resources that name another patient, or name a patient in an uncheckable way.
        ({"json": dict(good, subject={"reference": f"Patient/{other.user.uhid}"})}, 422),
        ({"json": dict(good, subject={"reference": "Patient/12345"})}, 422),
        ({"json": dict(good, subject={"reference": "Group/7"})}, 422),
        ({"json": dict(good, subject={"identifier": {"system": UHID_SYSTEM,
                                                     "value": other.user.uhid}})}, 422),
        ({"json": {"resourceType": "Patient", "identifier": [
            {"system": UHID_SYSTEM, "value": other.user.uhid}]}}, 422),
        # Oversize: over the record limit (512 KiB), and over the request limit (1 MiB).
        ({"json": note(patient.user.uhid, "x" * 600_000)}, 413),
        ({"json": note(patient.user.uhid, "x" * 1_100_000)}, 413),
    ]
    for kwargs, status in cases:
        if "content" in kwargs:
            kwargs["headers"] = {**patient.user.headers, "Content-Type": "application/json"}
        else:
            kwargs["headers"] = patient.user.headers
        r = ohms.client.post(url, **kwargs)
        _problem(r, status)
        assert secret not in r.text
    assert record_count(ohms) == before
    # The same resource, well addressed, is accepted: by reference or by identifier.
    write(ohms, patient.user, patient.user.uhid, good)
    by_identifier = dict(good, subject={"identifier": {"system": UHID_SYSTEM,
                                                       "value": patient.user.uhid}})
    write(ohms, patient.user, patient.user.uhid, by_identifier)
    assert record_count(ohms) == before + 2


def test_writers_and_readers_without_standing_are_refused(ohms: Ohms) -> None:
    patient, _ = keyed_patient(ohms)
    stranger, _ = keyed_patient(ohms)
    hospital = institution(ohms, "hospital", "physician", "helpdesk")
    physician, desk = hospital.staff["physician"], hospital.staff["helpdesk"]
    url = f"/api/v1/patients/{patient.user.uhid}/records"
    resource = lab_result(patient.user.uhid, marker("lab"))
    before = record_count(ohms)
    _problem(ohms.client.post(url, headers=physician.headers, json=resource), 403)
    _problem(ohms.client.post(url, headers=stranger.user.headers, json=resource), 403)
    _problem(ohms.client.post(url, headers=desk.headers, json=resource), 403)
    _problem(ohms.client.post("/api/v1/patients/00000000000000/records",
                              headers=physician.headers, json=resource), 422)
    # A grant for another category does not let the hospital write lab results.
    treatment_grant(ohms, patient, hospital.org_id, scope="category:imaging")
    _problem(ohms.client.post(url, headers=physician.headers, json=resource), 403)
    assert record_count(ohms) == before
    with ohms.db() as s:
        denied_writes = s.scalar(select(func.count()).select_from(AccessLogEntry).where(
            AccessLogEntry.accessor_uhid == physician.uhid, AccessLogEntry.action == "write",
            AccessLogEntry.outcome == "denied"))
    assert denied_writes == 2

    written = write(ohms, patient.user, patient.user.uhid, resource)
    # Without any basis to know the record exists, it is answered as unknown (issue 10).
    _problem(ohms.client.get(f"/api/v1/records/{written['id']}",
                             headers=stranger.user.headers), 404)
    _problem(ohms.client.get("/api/v1/records/00000000-0000-0000-0000-000000000000",
                             headers=physician.headers), 404)
    assert ohms.client.get(f"/api/v1/patients/{patient.user.uhid}/records",
                           headers=stranger.user.headers).json() == []


def test_a_patient_without_keys_cannot_receive_records(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    r = ohms.client.post(f"/api/v1/patients/{patient.uhid}/records", headers=patient.headers,
                         json=note(patient.uhid, marker("nokeys")))
    _problem(r, 409)
    _problem(ohms.client.put("/api/v1/me/keys", headers=patient.headers,
                             json={"umbral_public_key": "02" + "00" * 32,
                                   "verifying_key": "02" + "00" * 32}), 422)


def test_versions_link_and_never_overwrite(ohms: Ohms) -> None:
    patient, keys = keyed_patient(ohms)
    first_text, second_text = marker("v1"), marker("v2")
    first = write(ohms, patient.user, patient.user.uhid, note(patient.user.uhid, first_text))
    r = ohms.client.put(f"/api/v1/records/{first['id']}", headers=patient.user.headers,
                        json=note(patient.user.uhid, second_text))
    assert r.status_code == 201, r.text
    second = r.json()
    assert second["version"] == 2 and second["previous_id"] == first["id"]
    # Superseded versions cannot be forked, nor can a version change its resource type.
    _problem(ohms.client.put(f"/api/v1/records/{first['id']}", headers=patient.user.headers,
                             json=note(patient.user.uhid, "fork")), 409)
    _problem(ohms.client.put(f"/api/v1/records/{second['id']}", headers=patient.user.headers,
                             json=lab_result(patient.user.uhid, "other type")), 422)
    for record, text in ((first, first_text), (second, second_text)):
        body = ohms.client.get(f"/api/v1/records/{record['id']}",
                               headers=patient.user.headers).json()
        assert text in keys.open_record(body).decode()
    listed = ohms.client.get(f"/api/v1/patients/{patient.user.uhid}/records",
                             headers=patient.user.headers).json()
    assert [(r["id"], r["version"]) for r in listed] == [(second["id"], 2)]


def test_forged_or_mismatched_kfrags_are_refused(ohms: Ohms) -> None:
    patient, keys = keyed_patient(ohms)
    lab = institution(ohms, "lab")
    hospital = institution(ohms, "hospital")
    lab_key = lab.keys.key_document()["umbral_public_key"]
    verifying = keys.key_document()["verifying_key"]
    impostor = KeyHolder.generate()
    cases = [
        (["bm90IGEga2ZyYWc="], verifying),  # base64, not a kfrag
        (["***"], verifying),  # not base64
        (impostor.grant_kfrags(lab_key), verifying),  # someone else's kfrags
        (impostor.grant_kfrags(lab_key), impostor.key_document()["verifying_key"]),
        # The patient's kfrags, but for the hospital's key, submitted for the lab.
        (keys.grant_kfrags(hospital.keys.key_document()["umbral_public_key"]), verifying),
        (keys.grant_kfrags(lab_key) * 2, verifying),  # repeated
    ]
    with ohms.db() as s:
        before = s.scalar(select(func.count()).select_from(Consent))
    for kfrags, verifying_key in cases:
        r = submit_grant(ohms, patient, lab.org_id, kfrags=kfrags, verifying_key=verifying_key)
        _problem(r, 422)
    with ohms.db() as s:
        assert s.scalar(select(func.count()).select_from(Consent)) == before
    # An organisation without published keys cannot receive kfrags either.
    keyless = ohms.create_org("lab")
    _problem(submit_grant(ohms, patient, keyless, kfrags=keys.grant_kfrags(lab_key),
                          verifying_key=verifying), 422)
    assert submit_grant(ohms, patient, lab.org_id, kfrags=keys.grant_kfrags(lab_key),
                        verifying_key=verifying).status_code == 201


def test_organisation_keys_are_published_by_its_admins_only(ohms: Ohms) -> None:
    lab = institution(ohms, "lab", "lab_technician")
    other = institution(ohms, "lab")
    doc = KeyHolder.generate().key_document()
    _problem(ohms.client.put(f"/api/v1/organizations/{lab.org_id}/keys",
                             headers=lab.staff["lab_technician"].headers, json=doc), 403)
    _problem(ohms.client.put(f"/api/v1/organizations/{lab.org_id}/keys",
                             headers=other.admin.headers, json=doc), 404)
    directory = ohms.client.get("/api/v1/directory/organizations",
                                headers=lab.admin.headers, params={"kind": "lab"})
    assert directory.status_code == 200
    shown = {e["id"]: e["umbral_public_key"] for e in directory.json()}
    assert shown.get(lab.org_id) == lab.keys.key_document()["umbral_public_key"]


@pytest.fixture
def local_store_ohms(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Ohms]:
    """An app on this backend's database and chain whose blobs are in a local directory,
    so a test can alter stored bytes behind the store's back."""
    yield from start_ohms(databases, tmp_path, ipfs_api=None)


def test_a_tampered_blob_is_not_served(local_store_ohms: Ohms) -> None:
    ohms = local_store_ohms
    patient, keys = keyed_patient(ohms)
    written = write(ohms, patient.user, patient.user.uhid, note(patient.user.uhid, "kept"))
    cached = ohms.container.blobs
    assert isinstance(cached, CachedBlobStore)
    store = cached.inner
    assert isinstance(store, LocalBlobStore)
    path = store.blob_path(written["cid"])
    original = path.read_bytes()
    path.write_bytes(bytes([original[0] ^ 1]) + original[1:])
    r = ohms.client.get(f"/api/v1/records/{written['id']}", headers=patient.user.headers)
    _problem(r, 502)
    assert "ciphertext" not in r.json()
    path.write_bytes(original)
    r = ohms.client.get(f"/api/v1/records/{written['id']}", headers=patient.user.headers)
    assert r.status_code == 200 and keys.open_record(r.json()) is not None
