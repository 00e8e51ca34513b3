"""Imaging end to end: a radiology centre uploads a CT study (into its PACS, filed as the
patient's ImagingStudy record with an encrypted archive); the patient grants a hospital on
the keystore tier; the hospital pulls the study into its own PACS byte for byte; others are
refused, and so is the hospital after revocation. Bad input leaves nothing stored; a pull
into a stopped PACS is 503 and works once it is back."""

from __future__ import annotations

import io
import json
import sqlite3
import time
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pydicom
import pytest
from eth_account import Account
from sqlalchemy import func, select, text

from api.audit.models import AccessLogEntry
from api.imaging.models import ImagingStudy
from api.imaging.service import open_and_import
from api.records.models import Record
from pacs_bridge import LocalFolderDicomStore
from pacs_bridge.synthetic import ct_instance, ct_study
from reencryption import ReencryptionError
from reencryption.client import KeyHolder
from reencryption.exchange_client import ExchangeClient, ExchangeError
from storage import compute_cid
from tests.api.consent.conftest import WalletPatient, link_wallet, run_workers
from tests.api.imaging.conftest import MAX_STUDY_BYTES, Imaging, upload
from tests.api.records.conftest import (
    PROBLEM,
    Institution,
    grant_with_kfrags,
    keyed_patient,
    revoke,
    submit_grant,
    treatment_grant,
)


def counts(imaging: Imaging) -> tuple[int, int]:
    with imaging.ohms.db() as s:
        return (int(s.scalar(select(func.count()).select_from(Record)) or 0),
                int(s.scalar(select(func.count()).select_from(ImagingStudy)) or 0))


def grant_custodial(imaging: Imaging, patient: WalletPatient, keys: Any, to: Institution,
                    purpose_scope: str = "category:imaging") -> dict[str, Any]:
    r = submit_grant(imaging.ohms, patient, to.org_id, scope=purpose_scope,
                     kfrags=keys.grant_kfrags(imaging.umbral_keys[to.org_id]),
                     verifying_key=keys.key_document()["verifying_key"])
    assert r.status_code == 201, r.text
    run_workers(imaging.ohms)
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture
def centre(imaging: Imaging) -> Institution:
    return imaging.site("radiology", "radiologist", orthanc=0)


def test_upload_pull_byte_identical_refusals_and_revocation(imaging: Imaging,
                                                            centre: Institution) -> None:
    ohms = imaging.ohms
    hospital = imaging.site("hospital", "physician", orthanc=1, custodial=True)
    outsider = imaging.site("hospital", "physician", custodial=True)
    patient, keys, uhid = imaging_patient(ohms, centre)
    originals = ct_study(uhid, 5, series=2)

    r = upload(ohms, centre.staff["radiologist"], uhid,
               [(f"i{n}.dcm", d) for n, d in enumerate(originals)])
    assert r.status_code == 201, r.text
    up = r.json()
    assert up["instance_count"] == 5 and up["series_count"] == 2
    assert len(up["manifest_digest"]) == 64

    # The ImagingStudy record: the patient opens it and finds the study UID and digest.
    own = ohms.client.get(f"/api/v1/records/{up['record_id']}", headers=patient.user.headers)
    resource = json.loads(keys.open_record(own.json()))
    assert resource["resourceType"] == "ImagingStudy" and resource["numberOfInstances"] == 5
    assert resource["identifier"][0]["value"] == f"urn:oid:{up['study_instance_uid']}"
    assert resource["extension"][0]["valueString"] == up["manifest_digest"]
    # The patient can open the archive with their own key: the envelope, then the
    # encrypted stream from its content URL.
    mine = ohms.client.get(f"/api/v1/imaging/studies/{up['id']}/archive",
                           headers=patient.user.headers)
    assert mine.status_code == 200, mine.text
    envelope = mine.json()
    assert envelope["format"] == "ohms-stream-aes256gcm" and envelope["cid"] == up["archive_cid"]
    content = ohms.client.get(envelope["content_url"], headers=patient.user.headers)
    assert content.status_code == 200
    assert len(content.content) == envelope["size"]
    assert compute_cid(content.content) == envelope["cid"]
    assert all(o[-4096:] not in content.content for o in originals)  # encrypted
    archive = b"".join(keys.open_stream(envelope, [content.content]))
    with zipfile.ZipFile(io.BytesIO(archive)) as z:
        assert sorted(z.read(n) for n in z.namelist()) == sorted(originals)

    # The radiologist's report: a DiagnosticReport filed about the study (subject, RAD
    # section and the ImagingStudy reference filled in), then listed with the study.
    report_body = {"resourceType": "DiagnosticReport", "status": "final",
                   "code": {"text": "CT chest"}, "conclusion": "No acute findings"}
    rep = ohms.client.post(f"/api/v1/imaging/studies/{up['id']}/reports",
                           headers=centre.staff["radiologist"].headers, json=report_body)
    assert rep.status_code == 201, rep.text
    assert rep.json()["category"] == "imaging"
    assert rep.json()["resource_type"] == "DiagnosticReport"
    opened = json.loads(keys.open_record(ohms.client.get(
        f"/api/v1/records/{rep.json()['id']}", headers=patient.user.headers).json()))
    assert opened["imagingStudy"] == [{"reference": f"ImagingStudy/{up['record_id']}"}]
    assert opened["subject"]["reference"] == f"Patient/{uhid}"
    bad_link = ohms.client.post(
        f"/api/v1/imaging/studies/{up['id']}/reports",
        headers=centre.staff["radiologist"].headers,
        json={**report_body, "imagingStudy": [{"reference": f"ImagingStudy/{uuid.uuid4()}"}]})
    assert bad_link.status_code == 422 and bad_link.headers["content-type"] == PROBLEM

    # Viewers: the study's series and instances, and its report.
    detail = ohms.client.get(f"/api/v1/imaging/studies/{up['id']}",
                             headers=centre.staff["radiologist"].headers)
    assert detail.status_code == 200, detail.text
    assert detail.json()["modalities"] == ["CT"] and len(detail.json()["series"]) == 2
    assert sum(len(s["instances"]) for s in detail.json()["series"]) == 5
    assert [r["record_id"] for r in detail.json()["reports"]] == [rep.json()["id"]]
    listed = ohms.client.get(f"/api/v1/patients/{uhid}/imaging/studies",
                             headers=patient.user.headers)
    assert [s["id"] for s in listed.json()] == [up["id"]]

    # The centre's staff see previews and thumbnails from their PACS.
    sop = detail.json()["series"][0]["instances"][0]
    png = ohms.client.get(f"/api/v1/imaging/studies/{up['id']}/instances/{sop}/preview.png",
                          headers=centre.staff["radiologist"].headers)
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    thumb = ohms.client.get(f"/api/v1/imaging/studies/{up['id']}/instances/{sop}/preview.png",
                            params={"size": 32}, headers=centre.staff["radiologist"].headers)
    assert thumb.status_code == 200 and max(png_size(thumb.content)) <= 32
    assert max(png_size(thumb.content)) < max(png_size(png.content))

    pull = f"/api/v1/imaging/studies/{up['id']}/pull"
    physician = hospital.staff["physician"]
    # Without a grant (nor having uploaded it) the study is not known to exist: 404.
    denied = ohms.client.post(pull, headers=physician.headers)
    assert denied.status_code == 404 and denied.headers["content-type"] == PROBLEM
    hospital_view = ohms.client.get(f"/api/v1/patients/{uhid}/imaging/studies",
                                    headers=physician.headers)
    assert hospital_view.status_code == 200 and hospital_view.json() == []
    assert ohms.client.get(f"/api/v1/imaging/studies/{up['id']}",
                           headers=physician.headers).status_code == 404
    consent = grant_custodial(imaging, patient, keys, hospital)
    assert [s["id"] for s in ohms.client.get(f"/api/v1/patients/{uhid}/imaging/studies",
                                             headers=physician.headers).json()] == [up["id"]]

    pulled = ohms.client.post(pull, headers=physician.headers)
    assert pulled.status_code == 200, pulled.text
    assert len(pulled.json()["instances"]) == 5
    received = imaging.store_of(hospital)
    by_sop = {d: d for d in originals}
    for item in pulled.json()["instances"]:
        assert received.get_instance(item["sop_instance_uid"]) in by_sop
    assert sorted(received.get_instance(i["sop_instance_uid"])
                  for i in pulled.json()["instances"]) == sorted(originals)
    # A grantee previews from its own PACS after the pull.
    own_png = ohms.client.get(
        f"/api/v1/imaging/studies/{up['id']}/instances/{sop}/preview.png",
        headers=physician.headers)
    assert own_png.status_code == 200 and own_png.content.startswith(b"\x89PNG")

    # A third institution without a grant is refused, and nothing lands in its store.
    third = ohms.client.post(pull, headers=outsider.staff["physician"].headers)
    assert third.status_code == 404
    assert not imaging.store_of(outsider).list_studies(uhid)
    assert ohms.client.get(f"/api/v1/imaging/studies/{up['id']}/deidentified.zip",
                           headers=physician.headers).status_code == 403

    revoke(ohms, patient, consent["id"])
    again = ohms.client.post(pull, headers=physician.headers)
    assert again.status_code == 403

    # Every pull, granted or refused, is an access-log entry of the study's record (the
    # first one is the patient's own).
    assert pulls(imaging, up["record_id"]) == [
        ("None", "granted"), (hospital.org_id, "denied"), (hospital.org_id, "granted"),
        (outsider.org_id, "denied"), (hospital.org_id, "denied")]


def pulls(imaging: Imaging, record_id: str) -> list[tuple[str, str]]:
    with imaging.ohms.db() as s:
        rows = s.execute(select(AccessLogEntry.accessor_org_id, AccessLogEntry.outcome)
                         .where(AccessLogEntry.record == f"record:{record_id}",
                                AccessLogEntry.action == "pull")
                         .order_by(AccessLogEntry.at)).all()
    return [(str(org), outcome) for org, outcome in rows]


def png_size(png: bytes) -> tuple[int, int]:
    assert png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def imaging_patient(ohms: Any, centre: Institution) -> tuple[WalletPatient, KeyHolder, str]:
    """A new patient with keys, who grants `centre` treatment access to imaging."""
    patient, keys = keyed_patient(ohms)
    treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    return patient, keys, patient.user.uhid


def uploaded_study(imaging: Imaging, centre: Institution,
                   instances: int = 2) -> tuple[WalletPatient, str, Any]:
    """A new patient who grants `centre` imaging, and a study the centre uploaded."""
    patient, _, uhid = imaging_patient(imaging.ohms, centre)
    r = upload(imaging.ohms, centre.staff["radiologist"], uhid,
               [(f"{n}.dcm", d) for n, d in enumerate(ct_study(uhid, instances, series=1))])
    assert r.status_code == 201, r.text
    return patient, uhid, r


def test_grantee_holding_its_keys_imports_on_its_side(imaging: Imaging,
                                                      centre: Institution) -> None:
    ohms = imaging.ohms
    patient, keys, uhid = imaging_patient(ohms, centre)
    originals = ct_study(uhid, 3, series=1)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for n, data in enumerate(originals):
            z.writestr(f"study/{n}.dcm", data)
    r = upload(ohms, centre.staff["radiologist"], uhid, [("study.zip", archive.getvalue())])
    assert r.status_code == 201, r.text
    clinic = imaging.site("hospital", "physician")
    grant_with_kfrags(ohms, patient, keys, clinic, scope="category:imaging")
    physician = clinic.staff["physician"]
    # The service cannot import for it (its keys are on its side): 409, then the archive.
    assert ohms.client.post(f"/api/v1/imaging/studies/{r.json()['id']}/pull",
                            headers=physician.headers).status_code == 409
    sealed = ohms.client.get(f"/api/v1/imaging/studies/{r.json()['id']}/archive",
                             headers=physician.headers)
    assert sealed.status_code == 200 and sealed.json()["cfrags"], sealed.text
    own_store = LocalFolderDicomStore(ohms.container.settings.data_dir / f"client-{uuid.uuid4()}")
    with ohms.client.stream("GET", sealed.json()["content_url"],
                            headers=physician.headers) as content:
        assert content.status_code == 200
        imported = open_and_import(clinic.keys, sealed.json(), content.iter_bytes(), own_store)
    assert sorted(own_store.get_instance(i.sop_instance_uid) for i in imported) == \
        sorted(originals)
    # The same key material does not open it for another institution, and nothing lands.
    other_store = LocalFolderDicomStore(ohms.container.settings.data_dir / f"x-{uuid.uuid4()}")
    stranger = imaging.site("hospital", "physician")
    content = ohms.client.get(sealed.json()["content_url"], headers=physician.headers)
    with pytest.raises(ReencryptionError):
        open_and_import(stranger.keys, sealed.json(), [content.content], other_store)
    assert not other_store.list_studies(uhid)
    # An institution without a grant gets neither the envelope nor the ciphertext.
    for path in (f"/api/v1/imaging/studies/{r.json()['id']}/archive",
                 sealed.json()["content_url"]):
        denied = ohms.client.get(path, headers=stranger.staff["physician"].headers)
        assert denied.status_code == 404 and denied.headers["content-type"] == PROBLEM


def test_research_grantee_gets_deidentified_export(imaging: Imaging,
                                                   centre: Institution) -> None:
    ohms = imaging.ohms
    patient, uhid, r = uploaded_study(imaging, centre)
    lab = imaging.site("lab", "lab_technician")
    url = f"/api/v1/imaging/studies/{r.json()['id']}/deidentified.zip"
    assert ohms.client.get(url, headers=lab.staff["lab_technician"].headers).status_code == 404
    from tests.api.consent.conftest import sign
    from tests.api.consent.conftest import typed_data as grant_typed_data
    data = grant_typed_data(ohms, patient, lab.org_id, scope="category:imaging",
                            purpose="research")
    g = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                         json={"typed_data": data, "signature": sign(patient.wallet, data)})
    assert g.status_code == 201, g.text
    run_workers(ohms)
    got = ohms.client.get(url, headers=lab.staff["lab_technician"].headers)
    assert got.status_code == 200, got.text
    with zipfile.ZipFile(io.BytesIO(got.content)) as z:
        members = [z.read(n) for n in z.namelist()]
    assert len(members) == 2 and all(uhid.encode() not in m for m in members)
    assert all(b"Doe^Jane" not in m for m in members)


@pytest.mark.parametrize("case", ["not_dicom", "truncated", "wrong_patient", "oversize",
                                  "duplicate_conflict", "two_studies", "missing_tag"])
def test_bad_input_is_refused_and_nothing_stored(imaging: Imaging, centre: Institution,
                                                 case: str) -> None:
    ohms = imaging.ohms
    _, _, uhid = imaging_patient(ohms, centre)
    good = ct_study(uhid, 2, series=1)
    bad = {
        "not_dicom": b"%PDF-1.4 not an image" * 10,
        "truncated": good[1][: len(good[1]) // 2],
        "wrong_patient": ct_instance("SOMEONE-ELSE"),
        "oversize": ct_instance(uhid, rows=400, columns=400),
        # The first file's SOP Instance UID again, with other pixels.
        "duplicate_conflict": ct_instance(uhid, sop_uid=_sop_uid(good[0]), instance_number=9),
        "two_studies": ct_instance(uhid),
        "missing_tag": ct_instance(uhid, omit=("StudyInstanceUID",)),
    }[case]
    before = counts(imaging)
    r = upload(ohms, centre.staff["radiologist"], uhid, [("a.dcm", good[0]), ("b.dcm", bad)])
    assert r.status_code in ((413,) if case == "oversize" else (422,)), r.text
    assert r.headers["content-type"] == PROBLEM
    assert counts(imaging) == before
    store = imaging.store_of(centre)
    assert not store.list_studies(uhid)
    assert len(bad) > MAX_STUDY_BYTES or case != "oversize"


def _sop_uid(data: bytes) -> str:
    return str(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True).SOPInstanceUID)


def test_a_damaged_zip_is_refused_and_nothing_stored(imaging: Imaging,
                                                     centre: Institution) -> None:
    ohms = imaging.ohms
    _, _, uhid = imaging_patient(ohms, centre)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for n, data in enumerate(ct_study(uhid, 2, series=1)):
            z.writestr(f"{n}.dcm", data)
        z.writestr("../escape.dcm", b"x")
    before = counts(imaging)
    for body in (archive.getvalue(), archive.getvalue()[:-200]):
        r = upload(ohms, centre.staff["radiologist"], uhid, [("study.zip", body)])
        assert r.status_code == 422 and r.headers["content-type"] == PROBLEM, r.text
    assert counts(imaging) == before
    assert not imaging.store_of(centre).list_studies(uhid)


def test_upload_needs_a_grant_and_an_imaging_role(imaging: Imaging,
                                                  centre: Institution) -> None:
    ohms = imaging.ohms
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    files = [("a.dcm", d) for d in ct_study(uhid, 1, series=1)]
    assert upload(ohms, centre.staff["radiologist"], uhid, files).status_code == 403
    treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    pharmacy = imaging.site("pharmacy", "pharmacist")
    assert upload(ohms, pharmacy.staff["pharmacist"], uhid, files).status_code == 403
    assert upload(ohms, centre.staff["radiologist"], uhid, files).status_code == 201


class StoreSwitch:
    """Takes an institution's DICOM store down and brings it back: the Orthanc server stops
    (real backend) or the folder goes away as an unmounted volume would (embedded)."""

    def __init__(self, imaging: Imaging, inst: Institution, orthanc: int) -> None:
        self.imaging, self.inst, self.orthanc = imaging, inst, orthanc
        self.stopped = False

    def stop(self) -> None:
        self.stopped = True
        if self.imaging.orthancs is not None:
            self.imaging.orthancs[self.orthanc].stop()
        else:
            root = self.imaging.store_of(self.inst).root  # type: ignore[attr-defined]
            root.rename(root.with_name(root.name + ".offline"))

    def start(self) -> None:
        if not self.stopped:
            return
        self.stopped = False
        if self.imaging.orthancs is not None:
            self.imaging.orthancs[self.orthanc].start()
        else:
            root = self.imaging.store_of(self.inst).root  # type: ignore[attr-defined]
            root.with_name(root.name + ".offline").rename(root)


@pytest.fixture
def receiving(imaging: Imaging) -> Iterator[tuple[Institution, StoreSwitch]]:
    hospital = imaging.site("hospital", "physician", orthanc=1, custodial=True)
    switch = StoreSwitch(imaging, hospital, 1)
    yield hospital, switch
    switch.start()


def test_pull_into_a_stopped_store_is_503_and_works_later(
        imaging: Imaging, centre: Institution,
        receiving: tuple[Institution, StoreSwitch]) -> None:
    ohms = imaging.ohms
    hospital, switch = receiving
    patient, keys, uhid = imaging_patient(ohms, centre)
    originals = ct_study(uhid, 4, series=1)
    r = upload(ohms, centre.staff["radiologist"], uhid, [("a.dcm", d) for d in originals])
    assert r.status_code == 201, r.text
    grant_custodial(imaging, patient, keys, hospital)
    pull = f"/api/v1/imaging/studies/{r.json()['id']}/pull"
    physician = hospital.staff["physician"]

    switch.stop()
    down = ohms.client.post(pull, headers=physician.headers)
    assert down.status_code == 503 and down.headers["content-type"] == PROBLEM, down.text

    switch.start()
    received = imaging.store_of(hospital)
    assert not received.list_studies(uhid)  # nothing half-imported was left
    back = ohms.client.post(pull, headers=physician.headers)
    assert back.status_code == 200, back.text
    assert sorted(received.get_instance(i["sop_instance_uid"])
                  for i in back.json()["instances"]) == sorted(originals)


def test_upload_into_a_stopped_store_is_503_and_the_study_can_be_sent_again(
        imaging: Imaging) -> None:
    ohms = imaging.ohms
    centre = imaging.site("radiology", "radiologist", orthanc=0)
    switch = StoreSwitch(imaging, centre, 0)
    _, _, uhid = imaging_patient(ohms, centre)
    files = [("a.dcm", d) for d in ct_study(uhid, 2, series=1)]
    before = counts(imaging)
    switch.stop()
    try:
        down = upload(ohms, centre.staff["radiologist"], uhid, files)
        assert down.status_code == 503 and down.headers["content-type"] == PROBLEM, down.text
        assert counts(imaging) == before
    finally:
        switch.start()
    assert upload(ohms, centre.staff["radiologist"], uhid, files).status_code == 201


@contextmanager
def upload_held(imaging: Imaging, centre: Institution) -> Iterator[None]:
    """Hold uploads of `centre` at a known point while the block runs, with real locks:
    the folder store's index (embedded: the storing pass waits) or the records table
    (PostgreSQL: filing waits)."""
    if imaging.orthancs is None:
        root = imaging.store_of(centre).root  # type: ignore[attr-defined]
        lock = sqlite3.connect(root / "index.sqlite3", isolation_level=None)
        lock.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            lock.execute("ROLLBACK")
            lock.close()
    else:
        with imaging.ohms.db() as s:
            s.execute(text("LOCK TABLE records IN SHARE ROW EXCLUSIVE MODE"))
            yield
            s.rollback()


def poll(ohms: Any, url: str, headers: dict[str, str], until: Any,
         timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        r = ohms.client.get(url, headers=headers)
        if r.status_code == 200 and until(r.json()):
            body: dict[str, Any] = r.json()
            return body
        assert time.monotonic() < deadline, f"never reached: {r.status_code} {r.text}"
        time.sleep(0.05)


def test_upload_progress_is_visible_while_it_runs(imaging: Imaging,
                                                  centre: Institution) -> None:
    ohms = imaging.ohms
    _, _, uhid = imaging_patient(ohms, centre)
    files = [(f"{n}.dcm", d) for n, d in enumerate(ct_study(uhid, 6, series=2))]
    radiologist = centre.staff["radiologist"]
    upload_id = str(uuid.uuid4())
    url = f"/api/v1/imaging/uploads/{upload_id}"
    assert ohms.client.get(url, headers=radiologist.headers).status_code == 404

    # Held before storing the first instance (embedded) or before filing the record (real).
    held_at = "validating" if imaging.orthancs is None else "filing"
    with ThreadPoolExecutor(1) as pool:
        with upload_held(imaging, centre):
            sent = pool.submit(upload, ohms, radiologist, uhid, files, upload_id)
            # Seen first as started (no counts yet), then counting the instances as they are
            # checked, until all are counted where the upload is held.
            running = poll(ohms, url, radiologist.headers,
                           lambda b: b["status"] == "processing" and b["phase"] == held_at
                           and b["instances_done"] is not None
                           and b["instances_done"] == b["instances_total"])
            assert running["instances_total"] == 6 and running["instances_done"] == 6
            assert running["study_id"] is None and running["bytes_total"] > 0
            if imaging.orthancs is None:  # held while storing: no database connection held
                assert ohms.container.engine.pool.checkedout() == 0  # type: ignore[attr-defined]
            assert not sent.done()
        r = sent.result(timeout=60)
    assert r.status_code == 201, r.text
    assert r.json()["upload_id"] == upload_id
    done = ohms.client.get(url, headers=radiologist.headers).json()
    assert done["status"] == "completed" and done["phase"] is None
    assert done["study_id"] == r.json()["id"] and done["error_status"] is None


def test_upload_outcomes_are_kept_per_institution(imaging: Imaging,
                                                  centre: Institution) -> None:
    ohms = imaging.ohms
    patient, _, uhid = imaging_patient(ohms, centre)
    radiologist = centre.staff["radiologist"]
    good = ct_study(uhid, 2, series=1)
    refused_id, accepted_id = str(uuid.uuid4()), str(uuid.uuid4())
    bad = upload(ohms, radiologist, uhid, [("a.dcm", good[0]), ("b.dcm", b"not dicom" * 50)],
                 refused_id)
    assert bad.status_code == 422
    failed = ohms.client.get(f"/api/v1/imaging/uploads/{refused_id}",
                             headers=radiologist.headers).json()
    assert failed["status"] == "failed" and failed["error_status"] == 422
    assert failed["error_detail"] == bad.json()["detail"] and failed["study_id"] is None
    # An upload id is used once per institution.
    again = upload(ohms, radiologist, uhid, [("a.dcm", d) for d in good], refused_id)
    assert again.status_code == 409 and again.headers["content-type"] == PROBLEM
    ok = upload(ohms, radiologist, uhid, [("a.dcm", d) for d in good], accepted_id)
    assert ok.status_code == 201, ok.text
    # The same study sent again (a client retrying) is not filed twice.
    filed = counts(imaging)
    retried = upload(ohms, radiologist, uhid, [("a.dcm", d) for d in good])
    assert retried.status_code == 409 and ok.json()["id"] in retried.json()["detail"]
    assert counts(imaging) == filed
    assert imaging.store_of(centre).list_studies(uhid)  # the filed study's instances stay

    listed = ohms.client.get("/api/v1/imaging/uploads", headers=radiologist.headers).json()
    by_id = {u["upload_id"]: u["status"] for u in listed}
    assert by_id[refused_id] == "failed" and by_id[accepted_id] == "completed"
    failed_only = ohms.client.get("/api/v1/imaging/uploads", params={"status": "failed"},
                                  headers=radiologist.headers).json()
    assert {u["status"] for u in failed_only} == {"failed"}
    # Another institution's staff, and the patient, do not see them.
    other = imaging.site("radiology", "radiologist")
    for who in (other.staff["radiologist"], patient.user):
        r = ohms.client.get(f"/api/v1/imaging/uploads/{accepted_id}", headers=who.headers)
        assert r.status_code in (403, 404) and r.headers["content-type"] == PROBLEM
        listing = ohms.client.get("/api/v1/imaging/uploads", headers=who.headers)
        assert listing.status_code == 403 or accepted_id not in {
            u["upload_id"] for u in listing.json()}
    assert ohms.client.get(f"/api/v1/imaging/uploads/{accepted_id}",
                           headers=other.staff["radiologist"].headers).status_code == 404


def test_reports_and_study_views_are_authorised(imaging: Imaging,
                                                centre: Institution) -> None:
    ohms = imaging.ohms
    patient, uhid, r = uploaded_study(imaging, centre)
    study = f"/api/v1/imaging/studies/{r.json()['id']}"
    report = {"resourceType": "DiagnosticReport", "status": "final", "code": {"text": "CT"}}
    other = imaging.site("radiology", "radiologist")
    clinic = imaging.site("hospital", "physician")
    treatment_grant(ohms, patient, clinic.org_id, scope="category:imaging")
    # Only radiologists report; a radiologist without the patient's grant is refused (and
    # not told that the study exists).
    assert ohms.client.post(f"{study}/reports", json=report,
                            headers=clinic.staff["physician"].headers).status_code == 403
    assert ohms.client.post(f"{study}/reports", json=report,
                            headers=other.staff["radiologist"].headers).status_code == 404
    # Not a DiagnosticReport, or a laboratory one: refused, nothing filed.
    for body in ({"resourceType": "Observation", "status": "final", "code": {"text": "x"}},
                 {**report, "category": [{"coding": [{
                     "system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                     "code": "LAB"}]}]}):
        refused = ohms.client.post(f"{study}/reports", json=body,
                                   headers=centre.staff["radiologist"].headers)
        assert refused.status_code == 422 and refused.headers["content-type"] == PROBLEM
    assert ohms.client.get(study, headers=patient.user.headers).json()["reports"] == []
    # Views: the patient, the uploader's staff and a grantee see the study; a radiologist
    # elsewhere neither sees it listed nor opens it.
    for who in (patient.user, centre.staff["radiologist"], clinic.staff["physician"]):
        assert ohms.client.get(study, headers=who.headers).status_code == 200
        listed = ohms.client.get(f"/api/v1/patients/{uhid}/imaging/studies",
                                 headers=who.headers)
        assert [s["id"] for s in listed.json()] == [r.json()["id"]]
    assert ohms.client.get(study, headers=other.staff["radiologist"].headers).status_code == 404
    assert ohms.client.get(f"/api/v1/patients/{uhid}/imaging/studies",
                           headers=other.staff["radiologist"].headers).json() == []
    assert ohms.client.get(f"{study}/instances/1.2.3/preview.png",
                           headers=patient.user.headers).status_code == 404


def test_the_python_client_uploads_from_disk_and_imports_on_its_side(
        imaging: Imaging, centre: Institution, tmp_path: Path) -> None:
    ohms = imaging.ohms
    patient, keys, uhid = imaging_patient(ohms, centre)
    originals = ct_study(uhid, 3, series=1)
    paths = []
    for n, data in enumerate(originals):
        paths.append(tmp_path / f"{n}.dcm")
        paths[-1].write_bytes(data)
    radiologist = ExchangeClient("", centre.staff["radiologist"].token, KeyHolder.generate(),
                                 http=ohms.client)
    upload_id = uuid.uuid4()
    study = radiologist.upload_study(uhid, paths, upload_id=upload_id)
    assert radiologist.upload_status(upload_id)["study_id"] == study["id"]

    clinic = imaging.site("hospital", "physician")
    grant_with_kfrags(ohms, patient, keys, clinic, scope="category:imaging")
    physician = ExchangeClient("", clinic.staff["physician"].token, clinic.keys,
                               http=ohms.client)
    assert [s["id"] for s in physician.list_studies(uhid)] == [study["id"]]
    own_store = LocalFolderDicomStore(tmp_path / "clinic-pacs")
    with physician.study_archive(study["id"]) as (envelope, encrypted):
        imported = open_and_import(physician.keys, envelope, encrypted, own_store)
    assert sorted(own_store.get_instance(i.sop_instance_uid) for i in imported) == \
        sorted(originals)

    stranger = imaging.site("hospital", "physician")
    outsider = ExchangeClient("", stranger.staff["physician"].token, stranger.keys,
                              http=ohms.client)
    with pytest.raises(ExchangeError) as refused, outsider.study_archive(study["id"]):
        pass
    assert refused.value.status == 404


def test_studies_stay_with_clinicians_and_research_takes_a_research_grant(
        imaging: Imaging, centre: Institution) -> None:
    ohms = imaging.ohms
    patient, _keys = keyed_patient(ohms)
    uhid = patient.user.uhid
    consent = treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    r = upload(ohms, centre.staff["radiologist"], uhid,
               [("a.dcm", d) for d in ct_study(uhid, 2, series=1)])
    assert r.status_code == 201, r.text
    study = f"/api/v1/imaging/studies/{r.json()['id']}"
    sop = ohms.client.get(study, headers=centre.staff["radiologist"].headers) \
        .json()["series"][0]["instances"][0]
    # A non-clinical member whose admin gave it record:read reads under the centre's grant
    # while it lasts; once the patient revokes it, only the centre's clinicians keep seeing
    # the study they made.
    desk = ohms.add_member(centre.org_id, "helpdesk", by=centre.admin)
    me = ohms.client.get("/api/v1/me", headers=desk.headers).json()
    granted = ohms.client.put(
        f"/api/v1/organizations/{centre.org_id}/roles/helpdesk/permissions",
        headers=centre.admin.headers, json={"permissions": [*me["permissions"], "record:read"]})
    assert granted.status_code == 200, granted.text
    assert ohms.client.get(study, headers=desk.headers).status_code == 200
    revoke(ohms, patient, consent["id"])
    assert ohms.client.get(study, headers=centre.staff["radiologist"].headers).status_code == 200
    for path in (study, f"{study}/instances/{sop}/preview.png"):
        denied = ohms.client.get(path, headers=desk.headers)
        assert denied.status_code == 403 and denied.headers["content-type"] == PROBLEM
    assert ohms.client.get(f"/api/v1/patients/{uhid}/imaging/studies",
                           headers=desk.headers).json() == []
    # Break-glass (emergency) opens treatment data, never the research export.
    er = imaging.site("hospital", "physician")
    doctor = er.staff["physician"]
    glass = ohms.client.post("/api/v1/break-glass", headers=doctor.headers,
                             json={"patient": uhid, "reason": "unconscious in ER bay 3"})
    assert glass.status_code == 201, glass.text
    export = ohms.client.get(f"{study}/deidentified.zip", headers=doctor.headers)
    assert export.status_code == 403 and export.headers["content-type"] == PROBLEM


def test_a_keystore_pull_needs_the_institutions_grant(imaging: Imaging,
                                                      centre: Institution) -> None:
    ohms = imaging.ohms
    hospital = imaging.site("hospital", "physician", custodial=True)
    patient, keys, uhid = imaging_patient(ohms, centre)
    r = upload(ohms, centre.staff["radiologist"], uhid,
               [("a.dcm", d) for d in ct_study(uhid, 2, series=1)])
    assert r.status_code == 201, r.text
    # A grant to the physician in person, with kfrags for the physician's own key.
    physician = hospital.staff["physician"]
    link_wallet(ohms, physician, Account.create())
    own_keys = KeyHolder.generate()
    assert ohms.client.put("/api/v1/me/keys", headers=physician.headers,
                           json=own_keys.key_document()).status_code == 200
    g = submit_grant(ohms, patient, physician.uhid, scope="category:imaging",
                     kfrags=keys.grant_kfrags(own_keys.key_document()["umbral_public_key"]),
                     verifying_key=keys.key_document()["verifying_key"])
    assert g.status_code == 201, g.text
    run_workers(ohms)
    pull = ohms.client.post(f"/api/v1/imaging/studies/{r.json()['id']}/pull",
                            headers=physician.headers)
    assert pull.status_code == 409 and pull.headers["content-type"] == PROBLEM, pull.text
    assert not imaging.store_of(hospital).list_studies(uhid)
    # The physician opens it with their own keys instead.
    envelope = ohms.client.get(f"/api/v1/imaging/studies/{r.json()['id']}/archive",
                               headers=physician.headers)
    assert envelope.status_code == 200, envelope.text
    content = ohms.client.get(envelope.json()["content_url"], headers=physician.headers)
    with zipfile.ZipFile(io.BytesIO(b"".join(
            own_keys.open_stream(envelope.json(), [content.content])))) as z:
        assert len(z.namelist()) == 2


def test_uploads_are_authorised_before_their_body_is_read(imaging: Imaging,
                                                         centre: Institution) -> None:
    ohms = imaging.ohms
    patient, _ = keyed_patient(ohms)
    uhid = patient.user.uhid
    pharmacist = imaging.site("pharmacy", "pharmacist").staff["pharmacist"]
    for headers, status in (({}, 401), ({"Authorization": "Bearer not-a-token"}, 401),
                            (pharmacist.headers, 403)):
        sent: list[int] = []

        def body(sent: list[int] = sent) -> Iterator[bytes]:
            for n in range(4):
                sent.append(n)
                yield b"x" * 65536

        r = ohms.client.post(f"/api/v1/patients/{uhid}/imaging/studies", content=body(),
                             headers={**headers, "Content-Type": "multipart/form-data; "
                                      "boundary=b", "Content-Length": str(4 * 65536)})
        assert r.status_code == status and r.headers["content-type"] == PROBLEM, r.text
        assert len(sent) <= 1, "the body was read before the caller was authorised"


def test_a_users_concurrent_uploads_are_bounded(imaging: Imaging,
                                                centre: Institution) -> None:
    ohms = imaging.ohms
    limit = ohms.container.settings.max_concurrent_uploads_per_user
    _, _, uhid = imaging_patient(ohms, centre)
    radiologist = centre.staff["radiologist"]
    held_at = "validating" if imaging.orthancs is None else "filing"
    studies = [[(f"{n}.dcm", d) for n, d in enumerate(ct_study(uhid, 2, series=1))]
               for _ in range(limit + 1)]
    ids = [str(uuid.uuid4()) for _ in studies]
    with ThreadPoolExecutor(limit) as pool:
        with upload_held(imaging, centre):
            running = [pool.submit(upload, ohms, radiologist, uhid, files, upload_id)
                       for files, upload_id in zip(studies[:limit], ids[:limit], strict=True)]
            for upload_id in ids[:limit]:
                poll(ohms, f"/api/v1/imaging/uploads/{upload_id}", radiologist.headers,
                     lambda b: b["phase"] == held_at)
            extra = upload(ohms, radiologist, uhid, studies[-1], ids[-1])
            assert extra.status_code == 429 and extra.headers["Retry-After"], extra.text
        assert all(f.result(timeout=120).status_code == 201 for f in running)
    after = upload(ohms, radiologist, uhid, studies[-1])
    assert after.status_code == 201, after.text
