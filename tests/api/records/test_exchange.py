"""The record exchange end to end: a physician writes, the patient reads, a lab is refused
until the patient grants it kfrags, then refused again after revocation; and nothing the
service stores (database, blob store, keystore) holds any record's plaintext."""

from __future__ import annotations

import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import ipfshttpclient
import pytest
from sqlalchemy import MetaData, select

from api.audit.models import AccessLogEntry
from api.consent.models import Consent
from reencryption import CfragRejected, DecryptionFailed, decrypt_original
from reencryption.client import KeyHolder, SealedRecord
from tests.api.conftest import Ohms
from tests.api.consent.conftest import run_workers
from tests.api.records.conftest import (
    PROBLEM,
    ExchangeFlow,
    grant_with_kfrags,
    institution,
    keyed_patient,
    lab_result,
    marker,
    note,
    revoke,
    treatment_grant,
    write,
)


def denied_entries(ohms: Ohms, accessor_uhid: str, record_id: str) -> list[AccessLogEntry]:
    with ohms.db() as s:
        return list(s.scalars(select(AccessLogEntry).where(
            AccessLogEntry.accessor_uhid == accessor_uhid,
            AccessLogEntry.record == f"record:{record_id}",
            AccessLogEntry.outcome == "denied")))


def exchange_flow(ohms: Ohms) -> ExchangeFlow:
    hospital = institution(ohms, "hospital", "physician")
    lab = institution(ohms, "lab", "lab_technician")
    physician, tech = hospital.staff["physician"], lab.staff["lab_technician"]
    patient, patient_keys = keyed_patient(ohms)
    treatment_grant(ohms, patient, hospital.org_id)
    note_marker, lab_marker = marker("note"), marker("lab")

    # A physician of the treating hospital writes a note; it is encrypted to the patient.
    written = write(ohms, physician, patient.user.uhid, note(patient.user.uhid, note_marker))
    assert written["category"] == "document" and written["version"] == 1
    assert written["resource_type"] == "DocumentReference"
    lab_written = write(ohms, physician, patient.user.uhid,
                        lab_result(patient.user.uhid, lab_marker))
    assert lab_written["category"] == "lab"

    # The patient reads it and decrypts it on their side.
    own = ohms.client.get(f"/api/v1/records/{written['id']}", headers=patient.user.headers)
    assert own.status_code == 200, own.text
    assert "cfrags" not in own.json() and own.json()["cid"] == written["cid"]
    opened = json.loads(patient_keys.open_record(own.json()))
    assert opened["description"] == note_marker

    # The lab has no grant: refused, and the refusal is in the access log. Having no basis
    # to know the record exists, it is answered as an unknown record would be.
    refused = ohms.client.get(f"/api/v1/records/{written['id']}", headers=tech.headers)
    assert refused.status_code == 404 and refused.headers["content-type"] == PROBLEM
    assert note_marker not in refused.text
    assert len(denied_entries(ohms, tech.uhid, written["id"])) == 1

    # The patient grants the lab the note's category, with kfrags for the lab's key.
    consent = grant_with_kfrags(ohms, patient, patient_keys, lab)
    assert consent["has_kfrags"] is True
    shared = ohms.client.get(f"/api/v1/records/{written['id']}", headers=tech.headers)
    assert shared.status_code == 200, shared.text
    assert shared.json()["cfrags"] and shared.json()["verifying_key"] == \
        patient_keys.key_document()["verifying_key"]
    assert json.loads(lab.keys.open_record(shared.json()))["description"] == note_marker
    listed = ohms.client.get(f"/api/v1/patients/{patient.user.uhid}/records",
                             headers=tech.headers)
    assert listed.status_code == 200
    assert [r["id"] for r in listed.json()] == [written["id"]]  # not the lab result

    # The patient revokes: refused again, and the lab's kfrags are destroyed.
    revoke(ohms, patient, consent["id"])
    again = ohms.client.get(f"/api/v1/records/{written['id']}", headers=tech.headers)
    assert again.status_code == 403 and again.headers["content-type"] == PROBLEM
    assert len(denied_entries(ohms, tech.uhid, written["id"])) == 2
    with ohms.db() as s:
        stored = s.get(Consent, uuid.UUID(consent["id"]))
        assert stored is not None and stored.kfrags_sealed is None
    return ExchangeFlow(patient, patient_keys, hospital, lab, [note_marker, lab_marker],
                        written["id"], lab_written["id"], consent["id"])


def test_physician_writes_patient_reads_lab_shared_then_revoked(ohms: Ohms) -> None:
    flow = exchange_flow(ohms)
    # Granted reads were logged too, with the grant they relied on.
    with ohms.db() as s:
        granted = s.scalars(select(AccessLogEntry).where(
            AccessLogEntry.record == f"record:{flow.note_id}",
            AccessLogEntry.outcome == "granted")).all()
    assert {e.basis for e in granted} == {"owner", "grant"}


def _database_dump(ohms: Ohms) -> bytes:
    """Every column of every row of every table, as bytes."""
    meta = MetaData()
    meta.reflect(bind=ohms.container.engine)
    out = bytearray()
    with ohms.db() as s:
        for table in meta.sorted_tables:
            for row in s.execute(table.select()):
                for value in row:
                    out += value if isinstance(value, bytes) else str(value).encode()
                    out += b"\x00"
    return bytes(out)


def _files_under(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file())


def _ipfs_dump(api: str) -> bytes:
    with ipfshttpclient.Client(addr=api) as client:
        pins = client.pin.ls(type="recursive")["Keys"]
        return b"".join(client.cat(cid) for cid in pins)


def test_no_plaintext_at_rest_and_grantee_keys_open_only_what_was_granted(
        ohms: Ohms, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    flow = exchange_flow(ohms)
    settings = ohms.container.settings
    stored = _database_dump(ohms) + _files_under(Path(settings.data_dir))
    if settings.ipfs_api:
        stored += _ipfs_dump(settings.ipfs_api)
    assert flow.patient.user.uhid.encode() in stored  # the dump does see the data
    assert caplog.records  # the service's logging was captured
    for text in flow.markers:
        assert text not in caplog.text  # nor in any log line, at any level
        assert text.encode() not in stored
        assert text[4:].encode() not in stored  # the random part alone, neither

    # The lab holds no grant for the lab result (it was granted documents, then revoked):
    # for the lab it does not exist.
    tech = flow.lab.staff["lab_technician"]
    refused = ohms.client.get(f"/api/v1/records/{flow.lab_result_id}", headers=tech.headers)
    assert refused.status_code == 404
    # Even holding the ciphertext (a copy of what the patient fetched), the lab's secret key
    # does not open it, and the note's capsule fragments do not fit its capsule.
    own = ohms.client.get(f"/api/v1/records/{flow.lab_result_id}",
                          headers=flow.patient.user.headers).json()
    sealed = SealedRecord.from_api(own)
    with pytest.raises(DecryptionFailed):
        decrypt_original(flow.lab.keys.keys.encrypting_secret, sealed.capsule,
                         sealed.ciphertext)
    with pytest.raises(DecryptionFailed):
        flow.lab.keys.open_record(own)
    second = grant_with_kfrags(ohms, flow.patient, flow.patient_keys, flow.lab)
    shared_note = ohms.client.get(f"/api/v1/records/{flow.note_id}", headers=tech.headers)
    assert shared_note.status_code == 200
    forged = dict(own, cfrags=shared_note.json()["cfrags"],
                  verifying_key=shared_note.json()["verifying_key"])
    with pytest.raises(CfragRejected):
        flow.lab.keys.open_record(forged)
    # And another institution's key does not open what was re-encrypted for the lab.
    with pytest.raises((CfragRejected, DecryptionFailed)):
        KeyHolder.generate().open_record(shared_note.json())
    assert second["has_kfrags"]


def test_expired_grants_lose_their_kfrags(ohms: Ohms) -> None:
    lab = institution(ohms, "lab", "lab_technician")
    patient, keys = keyed_patient(ohms)
    written = write(ohms, patient.user, patient.user.uhid,
                    note(patient.user.uhid, marker("expiring")))
    consent = grant_with_kfrags(ohms, patient, keys, lab)
    tech = lab.staff["lab_technician"]
    assert ohms.client.get(f"/api/v1/records/{written['id']}",
                           headers=tech.headers).status_code == 200
    with ohms.db() as s:
        stored = s.get(Consent, uuid.UUID(consent["id"]))
        assert stored is not None
        stored.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    run_workers(ohms, rounds=1)
    with ohms.db() as s:
        stored = s.get(Consent, uuid.UUID(consent["id"]))
        assert stored is not None and stored.kfrags_sealed is None
        assert stored.status.value == "expired"
    assert ohms.client.get(f"/api/v1/records/{written['id']}",
                           headers=tech.headers).status_code == 403


def test_search_by_type_category_author_and_date(ohms: Ohms) -> None:
    hospital = institution(ohms, "hospital", "physician")
    physician = hospital.staff["physician"]
    patient, _ = keyed_patient(ohms)
    treatment_grant(ohms, patient, hospital.org_id)
    by_patient = write(ohms, patient.user, patient.user.uhid,
                       note(patient.user.uhid, marker("own")))
    by_doctor = write(ohms, physician, patient.user.uhid,
                      lab_result(patient.user.uhid, marker("lab")))
    url = f"/api/v1/patients/{patient.user.uhid}/records"

    def ids(**params: str) -> set[str]:
        r = ohms.client.get(url, headers=patient.user.headers, params=params)
        assert r.status_code == 200, r.text
        return {item["id"] for item in r.json()}

    assert ids() == {by_patient["id"], by_doctor["id"]}
    assert ids(type="Observation") == ids(category="lab") == {by_doctor["id"]}
    assert ids(author=physician.uhid) == {by_doctor["id"]}
    assert ids(since=(datetime.now(UTC) + timedelta(hours=1)).isoformat()) == set()
    assert ids(until=(datetime.now(UTC) + timedelta(hours=1)).isoformat()) == \
        {by_patient["id"], by_doctor["id"]}
    # A search is an access like any other: logged.
    with ohms.db() as s:
        searches = s.scalars(select(AccessLogEntry).where(
            AccessLogEntry.patient_uhid == patient.user.uhid,
            AccessLogEntry.action == "search")).all()
    assert len(searches) == 6
