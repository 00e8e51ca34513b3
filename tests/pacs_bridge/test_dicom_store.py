"""The DicomStore port, run against the local folder store and a real Orthanc."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image
from pydicom.data import get_testdata_file

from pacs_bridge import (
    DicomInvalid,
    DicomNotFound,
    DicomStore,
    DuplicateInstanceConflict,
    LocalFolderDicomStore,
    MissingRequiredTag,
    NotDicom,
    PatientMismatch,
    PreviewUnsupported,
    TruncatedDicom,
    UploadTooLarge,
)

StoreFactory = Callable[..., DicomStore]


def bundled(name: str) -> bytes:
    path = get_testdata_file(name)
    assert path is not None, f"pydicom's wheel should bundle {name}"
    return Path(path).read_bytes()


def test_stored_instance_comes_back_byte_identical(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    data = make_ct_instance(patient_id)
    stored = store.store_instance(io.BytesIO(data), expected_patient_id=patient_id)
    assert stored.newly_stored
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert stored.identity.patient_id == patient_id
    assert stored.identity.modality == "CT"
    assert store.get_instance(stored.sop_instance_uid) == data

    again = store.store_instance(data)
    assert not again.newly_stored
    assert again.sha256 == stored.sha256
    assert len(store.list_instances(stored.study_instance_uid)) == 1


def test_bundled_ct_file_round_trips(store: DicomStore) -> None:
    data = bundled("CT_small.dcm")
    stored = store.store_instance(data)
    assert store.get_instance(stored.sop_instance_uid) == data
    store.delete_study(stored.study_instance_uid)


def test_lists_studies_by_patient_and_instances_by_study(
    store: DicomStore, patient_id: str, make_ct_study: Callable[..., list[bytes]]
) -> None:
    first, second = make_ct_study(patient_id, 3), make_ct_study(patient_id, 2, series=1)
    other_patient = make_ct_study(patient_id + "-other", 1)
    for data in first + second + other_patient:
        store.store_instance(data)
    studies = store.list_studies(patient_id)
    assert {s.patient_id for s in studies} == {patient_id}
    first_uid = store.store_instance(first[0]).study_instance_uid
    assert first_uid in {s.study_instance_uid for s in studies}
    assert len(studies) == 2
    assert studies[0].study_date == "20240102"
    assert all(s.study_instance_uid in {x.study_instance_uid for x in store.list_studies()}
               for s in studies)

    instances = store.list_instances(first_uid)
    assert len(instances) == 3
    assert {i.study_instance_uid for i in instances} == {first_uid}
    assert len({i.series_instance_uid for i in instances}) == 2
    assert sorted(i.size for i in instances) == sorted(len(d) for d in first)
    assert instances == sorted(instances, key=lambda i: (i.series_instance_uid,
                                                         i.sop_instance_uid))


def test_export_streams_every_instance_and_zip_holds_the_same_bytes(
    store: DicomStore, patient_id: str, make_ct_study: Callable[..., list[bytes]]
) -> None:
    study = make_ct_study(patient_id, 4)
    study_uid = next(store.store_instance(d) for d in study).study_instance_uid
    for data in study[1:]:
        store.store_instance(data)

    exported = dict(store.export_study(study_uid))
    assert sorted(exported.values()) == sorted(study)

    archive = io.BytesIO()
    written = store.export_study_zip(study_uid, archive)
    assert written == len(archive.getvalue())
    with zipfile.ZipFile(archive) as opened:
        members = [opened.read(name) for name in opened.namelist() if name.endswith(".dcm")]
    assert sorted(members) == sorted(study)


def test_delete_study_removes_every_instance(
    store: DicomStore, patient_id: str, make_ct_study: Callable[..., list[bytes]]
) -> None:
    stored = [store.store_instance(d) for d in make_ct_study(patient_id, 3)]
    study_uid = stored[0].study_instance_uid
    store.delete_study(study_uid)
    assert store.list_studies(patient_id) == []
    with pytest.raises(DicomNotFound):
        store.get_instance(stored[0].sop_instance_uid)
    with pytest.raises(DicomNotFound):
        store.delete_study(study_uid)


def test_delete_instance_keeps_the_rest_of_the_study(
    store: DicomStore, patient_id: str, make_ct_study: Callable[..., list[bytes]]
) -> None:
    stored = [store.store_instance(d) for d in make_ct_study(patient_id, 2)]
    store.delete_instance(stored[0].sop_instance_uid)
    remaining = store.list_instances(stored[0].study_instance_uid)
    assert [i.sop_instance_uid for i in remaining] == [stored[1].sop_instance_uid]
    with pytest.raises(DicomNotFound):
        store.delete_instance(stored[0].sop_instance_uid)


def test_unknown_uids_are_not_found(store: DicomStore) -> None:
    unknown = "1.2.3.4.5.6.7.8.9.999999"
    with pytest.raises(DicomNotFound):
        store.get_instance(unknown)
    with pytest.raises(DicomNotFound):
        store.list_instances(unknown)
    with pytest.raises(DicomNotFound):
        store.export_study(unknown)
    with pytest.raises(DicomNotFound):
        store.export_study_zip(unknown, io.BytesIO())
    with pytest.raises(DicomNotFound):
        store.render_preview(unknown)
    with pytest.raises(DicomNotFound):
        store.delete_study(unknown)
    assert store.list_studies("no-such-patient") == []


def refused_inputs(patient_id: str, make: Callable[..., bytes]) -> dict[str, tuple[bytes, type]]:
    good = make(patient_id)
    return {
        "plain text": (b"this is a radiology report, not an image\n" * 10, NotDicom),
        "no preamble": (good[132:], NotDicom),
        "empty file": (b"", NotDicom),
        "truncated in pixel data": (good[: len(good) - 100], TruncatedDicom),
        "truncated in header": (good[:400], TruncatedDicom),
        "other patient": (make(patient_id + "-other"), PatientMismatch),
        "no SOP Instance UID": (make(patient_id, omit=("SOPInstanceUID",)), MissingRequiredTag),
        "no PatientID": (make(patient_id, omit=("PatientID",)), MissingRequiredTag),
        "no Modality": (make(patient_id, omit=("Modality",)), MissingRequiredTag),
        "no Study UID": (make(patient_id, omit=("StudyInstanceUID",)), MissingRequiredTag),
    }


@pytest.mark.parametrize(
    "case",
    ["plain text", "no preamble", "empty file", "truncated in pixel data", "truncated in header",
     "other patient", "no SOP Instance UID", "no PatientID", "no Modality", "no Study UID"],
)
def test_bad_instances_are_refused_and_nothing_is_stored(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes], case: str
) -> None:
    data, error = refused_inputs(patient_id, make_ct_instance)[case]
    with pytest.raises(error):
        store.store_instance(data, expected_patient_id=patient_id)
    assert issubclass(error, DicomInvalid)
    assert store.list_studies(patient_id) == []
    assert store.list_studies(patient_id + "-other") == []


def test_oversize_instance_is_refused(
    store_factory: StoreFactory, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    small_store = store_factory(0, max_instance_bytes=2048)
    data = make_ct_instance(patient_id)
    assert len(data) > 2048
    with pytest.raises(UploadTooLarge):
        small_store.store_instance(io.BytesIO(data))
    with pytest.raises(UploadTooLarge):
        small_store.store_instance(data)
    assert small_store.list_studies(patient_id) == []


def test_same_sop_uid_with_other_content_is_refused(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    original = make_ct_instance(patient_id, instance_number=1)
    stored = store.store_instance(original)
    impostor = make_ct_instance(
        patient_id,
        sop_uid=stored.sop_instance_uid,
        study_uid=stored.study_instance_uid,
        series_uid=stored.identity.series_instance_uid,
        instance_number=2,
    )
    with pytest.raises(DuplicateInstanceConflict):
        store.store_instance(impostor)
    # Even under another PatientID (Orthanc would file it under another patient).
    relabelled = make_ct_instance(patient_id + "-x", sop_uid=stored.sop_instance_uid)
    with pytest.raises(DuplicateInstanceConflict):
        store.store_instance(relabelled)
    assert store.get_instance(stored.sop_instance_uid) == original
    assert store.list_studies(patient_id + "-x") == []


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    with Image.open(io.BytesIO(png)) as image:
        image.load()
        assert image.format == "PNG"
        return image.size


def test_previews_are_pngs_shrunk_to_the_requested_size(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    generated = store.store_instance(make_ct_instance(patient_id, rows=32, columns=48))
    assert png_size(store.render_preview(generated.sop_instance_uid, max_size=24)) == (24, 16)
    assert png_size(store.render_preview(generated.sop_instance_uid, max_size=500)) == (48, 32)

    ct = store.store_instance(bundled("CT_small.dcm"))
    assert png_size(store.render_preview(ct.sop_instance_uid, max_size=64)) == (64, 64)
    mr = store.store_instance(bundled("MR_small.dcm"))
    assert png_size(store.render_preview(mr.sop_instance_uid)) == (64, 64)
    rgb = store.store_instance(bundled("examples_rgb_color.dcm"))
    rgb_png = store.render_preview(rgb.sop_instance_uid, max_size=80)
    assert png_size(rgb_png) == (80, 60)
    with Image.open(io.BytesIO(rgb_png)) as image:
        assert image.mode == "RGB"
    for bundled_study in (ct, mr, rgb):
        store.delete_study(bundled_study.study_instance_uid)


def test_preview_of_an_instance_without_pixels_is_refused(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    no_pixels = store.store_instance(make_ct_instance(patient_id, omit=("PixelData",)))
    with pytest.raises(PreviewUnsupported):
        store.render_preview(no_pixels.sop_instance_uid)


def test_ping_answers(store: DicomStore) -> None:
    store.ping()


def test_local_folder_index_is_rebuilt_from_the_files(
    tmp_path: Path, patient_id: str, make_ct_study: Callable[..., list[bytes]]
) -> None:
    store = LocalFolderDicomStore(tmp_path / "pacs")
    study = make_ct_study(patient_id, 3)
    stored = [store.store_instance(d) for d in study]
    (tmp_path / "pacs" / "index.sqlite3").unlink()
    for suffix in ("-wal", "-shm"):
        (tmp_path / "pacs" / f"index.sqlite3{suffix}").unlink(missing_ok=True)
    reopened = LocalFolderDicomStore(tmp_path / "pacs")
    assert [s.study_instance_uid for s in reopened.list_studies(patient_id)] == [
        stored[0].study_instance_uid
    ]
    assert reopened.get_instance(stored[2].sop_instance_uid) == study[2]
