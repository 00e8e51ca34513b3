"""Streaming, all-or-nothing uploads of files and ZIP archives, on both store adapters."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from pydicom import dcmread

from pacs_bridge import (
    DicomInvalid,
    DicomStore,
    DuplicateInstanceConflict,
    MissingRequiredTag,
    NotDicom,
    PatientMismatch,
    TruncatedDicom,
    UnsafeArchive,
    UploadedFile,
    UploadLimits,
    UploadProgress,
    UploadTooLarge,
    upload_files,
    upload_zip,
    verify_against_manifest,
)

MakeStudy = Callable[..., list[bytes]]


def as_files(instances: list[bytes]) -> list[UploadedFile]:
    return [UploadedFile(f"IMG{i:04d}.dcm", io.BytesIO(d)) for i, d in enumerate(instances)]


def test_files_upload_reports_progress_and_records_a_manifest(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy
) -> None:
    study = make_ct_study(patient_id, 5)
    events: list[UploadProgress] = []
    result = upload_files(
        store, iter(as_files(study)), expected_patient_id=patient_id, on_progress=events.append
    )
    assert len(result.instances) == 5 and all(i.newly_stored for i in result.instances)
    assert result.total_bytes == sum(len(d) for d in study)

    validating = [e for e in events if e.phase == "validating"]
    storing = [e for e in events if e.phase == "storing"]
    assert [e.instances_done for e in validating] == [1, 2, 3, 4, 5]
    assert [e.instances_done for e in storing] == [1, 2, 3, 4, 5]
    assert all(e.instances_total == 5 and e.bytes_total == result.total_bytes for e in storing)
    assert storing[-1].bytes_done == result.total_bytes
    assert events.index(storing[0]) > events.index(validating[-1]), "validate all, then store"

    (study_uid,) = result.study_instance_uids
    manifest = result.manifests[study_uid]
    assert len(manifest.entries) == 5 and manifest.total_size == result.total_bytes
    verify_against_manifest(store, manifest)
    assert sorted(store.get_instance(e.sop_instance_uid) for e in manifest.entries) == sorted(
        study
    )


def test_zip_upload_stores_every_member(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_zip: Callable[..., bytes],
) -> None:
    study = make_ct_study(patient_id, 4)
    archive = make_zip(
        [(f"study/series/IMG{i}.dcm", d) for i, d in enumerate(study)] + [("study/", b"")]
    )
    events: list[UploadProgress] = []
    result = upload_zip(
        store, io.BytesIO(archive), expected_patient_id=patient_id, on_progress=events.append
    )
    assert len(result.instances) == 4
    assert [e.instances_done for e in events if e.phase == "validating"] == [1, 2, 3, 4]
    assert all(e.instances_total == 4 for e in events)
    verify_against_manifest(store, result.manifests[result.study_instance_uids[0]])


def test_uploading_the_same_study_twice_is_idempotent(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy
) -> None:
    study = make_ct_study(patient_id, 3)
    first = upload_files(store, as_files(study))
    second = upload_files(store, as_files(study + study[:1]))
    assert not any(i.newly_stored for i in second.instances)
    assert second.manifests == first.manifests


def corrupt_members(patient_id: str, make_instance: Callable[..., bytes]) -> dict[str, bytes]:
    good = make_instance(patient_id)
    return {
        "not DICOM": b"%PDF-1.7 a referral letter",
        "truncated": good[:-64],
        "other patient": make_instance(patient_id + "-other"),
        "missing tag": make_instance(patient_id, omit=("SeriesInstanceUID",)),
    }


REFUSALS = {
    "not DICOM": NotDicom,
    "truncated": TruncatedDicom,
    "other patient": PatientMismatch,
    "missing tag": MissingRequiredTag,
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
@pytest.mark.parametrize("packaging", ["files", "zip"])
def test_one_bad_file_refuses_the_whole_upload(
    store: DicomStore,
    patient_id: str,
    make_ct_study: MakeStudy,
    make_ct_instance: Callable[..., bytes],
    make_zip: Callable[..., bytes],
    case: str,
    packaging: str,
) -> None:
    study = make_ct_study(patient_id, 3)
    uploaded = [study[0], study[1], corrupt_members(patient_id, make_ct_instance)[case], study[2]]
    with pytest.raises(REFUSALS[case]) as refused:
        if packaging == "files":
            upload_files(store, as_files(uploaded), expected_patient_id=patient_id)
        else:
            archive = make_zip([(f"IMG{i}.dcm", d) for i, d in enumerate(uploaded)])
            upload_zip(store, io.BytesIO(archive), expected_patient_id=patient_id)
    assert ("file 3" if packaging == "files" else "archive member 3") in str(refused.value)
    assert store.list_studies(patient_id) == []
    assert store.list_studies(patient_id + "-other") == []


def test_duplicate_sop_uid_with_other_content_in_one_upload_is_refused(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    first = make_ct_instance(patient_id, instance_number=1)
    ds = dcmread(io.BytesIO(first))
    clash = make_ct_instance(
        patient_id,
        sop_uid=ds.SOPInstanceUID,
        study_uid=ds.StudyInstanceUID,
        series_uid=ds.SeriesInstanceUID,
        instance_number=7,
    )
    with pytest.raises(DuplicateInstanceConflict):
        upload_files(store, as_files([first, clash]))
    assert store.list_studies(patient_id) == []


def test_conflict_with_a_stored_instance_rolls_back_the_upload(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_ct_instance: Callable[..., bytes],
) -> None:
    """The clash is only found while storing: what this upload added is deleted again."""
    earlier = upload_files(store, as_files(make_ct_study(patient_id, 1)))
    (kept,) = earlier.instances
    new_instances = make_ct_study(patient_id, 3)
    clash = make_ct_instance(
        patient_id,
        sop_uid=kept.sop_instance_uid,
        study_uid=kept.study_instance_uid,
        series_uid=kept.identity.series_instance_uid,
        instance_number=9,
    )
    with pytest.raises(DuplicateInstanceConflict):
        upload_files(store, as_files([*new_instances, clash]))
    assert [s.study_instance_uid for s in store.list_studies(patient_id)] == [
        kept.study_instance_uid
    ]
    verify_against_manifest(store, earlier.manifests[kept.study_instance_uid])


def test_oversize_files_and_uploads_are_refused(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_zip: Callable[..., bytes],
) -> None:
    study = make_ct_study(patient_id, 3)
    size = len(study[0])
    with pytest.raises(UploadTooLarge):
        upload_files(store, as_files(study), limits=UploadLimits(max_instance_bytes=size - 1))
    with pytest.raises(UploadTooLarge):
        upload_files(store, as_files(study), limits=UploadLimits(max_upload_bytes=2 * size + 1))
    with pytest.raises(UploadTooLarge):
        upload_files(store, as_files(study), limits=UploadLimits(max_instances=2))
    archive = make_zip([(f"{i}.dcm", d) for i, d in enumerate(study)])
    with pytest.raises(UploadTooLarge):
        upload_zip(store, io.BytesIO(archive),
                   limits=UploadLimits(max_archive_bytes=len(archive) - 1))
    with pytest.raises(UploadTooLarge):
        upload_zip(store, io.BytesIO(archive), limits=UploadLimits(max_instance_bytes=size - 1))
    assert store.list_studies(patient_id) == []


@pytest.mark.parametrize(
    "unsafe_name", ["../../etc/cron.d/evil.dcm", "/abs/path.dcm", "a/../../b.dcm",
                    "C:/windows.dcm", "dir\\back.dcm"],
)
def test_archives_with_unsafe_names_are_refused(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_zip: Callable[..., bytes], unsafe_name: str,
) -> None:
    study = make_ct_study(patient_id, 2)
    archive = make_zip([("ok.dcm", study[0]), (unsafe_name, study[1])])
    with pytest.raises(UnsafeArchive):
        upload_zip(store, io.BytesIO(archive))
    assert store.list_studies(patient_id) == []


def test_zip_bombs_are_refused_before_anything_is_stored(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_zip: Callable[..., bytes],
) -> None:
    study = make_ct_study(patient_id, 2)
    limits = UploadLimits(max_upload_bytes=4 * 1024 * 1024, max_instances=50)
    # One highly compressible member larger than the whole upload may be.
    inflating = make_zip([("ok.dcm", study[0]), ("bomb.dcm", bytes(16 * 1024 * 1024))])
    assert len(inflating) < 64 * 1024
    with pytest.raises((UnsafeArchive, UploadTooLarge)):
        upload_zip(store, io.BytesIO(inflating), limits=limits)
    # Too many members.
    crowded = make_zip([("ok.dcm", study[0])] + [(f"x{i}.dcm", b"") for i in range(60)])
    with pytest.raises(UnsafeArchive):
        upload_zip(store, io.BytesIO(crowded), limits=limits)
    assert store.list_studies(patient_id) == []


def test_member_inflating_beyond_its_declared_size_is_refused(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_zip: Callable[..., bytes],
) -> None:
    study = make_ct_study(patient_id, 1)
    archive = bytearray(make_zip([("a.dcm", study[0])], compression=zipfile.ZIP_STORED))
    # Lie in the central directory: declare a smaller uncompressed size than the data.
    with zipfile.ZipFile(io.BytesIO(bytes(archive))) as opened:
        info = opened.infolist()[0]
    central = archive.rfind(b"PK\x01\x02")
    size_field = central + 24
    archive[size_field:size_field + 4] = (info.file_size // 2).to_bytes(4, "little")
    with pytest.raises(UnsafeArchive):
        upload_zip(store, io.BytesIO(bytes(archive)))
    assert store.list_studies(patient_id) == []


def test_non_zip_and_empty_uploads_are_refused(store: DicomStore) -> None:
    with pytest.raises(UnsafeArchive):
        upload_zip(store, io.BytesIO(b"PK\x03\x04 not really a zip"))
    with pytest.raises(DicomInvalid):
        upload_files(store, [])
    empty_zip = io.BytesIO()
    zipfile.ZipFile(empty_zip, "w").close()
    empty_zip.seek(0)
    with pytest.raises(DicomInvalid):
        upload_zip(store, empty_zip)


def test_member_counts_are_read_from_the_end_record_before_parsing(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy,
    make_zip: Callable[..., bytes],
) -> None:
    from pacs_bridge.upload import _declared_entries

    limits = UploadLimits(max_instances=50)
    # A real archive with more members than the limit and its allowance.
    crowded = make_zip([(f"d{i}/", b"") for i in range(1100)])
    assert _declared_entries(io.BytesIO(crowded)) == 1100
    with pytest.raises(UnsafeArchive, match="declares 1100 members"):
        upload_zip(store, io.BytesIO(crowded), limits=limits)
    # Past 65535 entries the count is in the ZIP64 end record: read and refused the same way.
    many = io.BytesIO()
    with zipfile.ZipFile(many, "w") as archive:
        for i in range(65_600):
            archive.writestr(f"{i}", b"")
    assert _declared_entries(io.BytesIO(many.getvalue())) == 65_600
    with pytest.raises(UnsafeArchive, match="declares 65600 members"):
        upload_zip(store, io.BytesIO(many.getvalue()), limits=limits)
    assert _declared_entries(io.BytesIO(b"not a zip at all")) is None
    assert store.list_studies(patient_id) == []
