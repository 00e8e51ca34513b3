"""Moving a study from institution A's store to institution B's, verified by its manifest."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest

from pacs_bridge import (
    DicomInvalid,
    DicomStore,
    ManifestMismatch,
    StudyManifest,
    UploadedFile,
    export_study_archive,
    import_study_archive,
    upload_files,
    verify_against_manifest,
)

MakeStudy = Callable[..., list[bytes]]


def uploaded_study(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy, count: int = 4
) -> tuple[list[bytes], StudyManifest]:
    study = make_ct_study(patient_id, count)
    result = upload_files(
        store,
        (UploadedFile(f"{i}.dcm", io.BytesIO(d)) for i, d in enumerate(study)),
        expected_patient_id=patient_id,
    )
    (study_uid,) = result.study_instance_uids
    return study, result.manifests[study_uid]


def test_study_moves_from_a_to_b_byte_identical(
    store_pair: tuple[DicomStore, DicomStore], patient_id: str, make_ct_study: MakeStudy
) -> None:
    sender, receiver = store_pair
    study, recorded = uploaded_study(sender, patient_id, make_ct_study)
    archive = io.BytesIO()
    export = export_study_archive(
        sender, recorded.study_instance_uid, archive, expected_manifest=recorded
    )
    assert export.manifest.digest == recorded.digest
    assert export.archive_bytes == len(archive.getvalue())

    # The manifest travels separately (as JSON) from the encrypted archive.
    manifest = StudyManifest.from_json(recorded.to_json())
    archive.seek(0)
    result = import_study_archive(receiver, archive, manifest, expected_patient_id=patient_id)
    assert len(result.instances) == len(study)
    verify_against_manifest(receiver, manifest)
    received = [receiver.get_instance(e.sop_instance_uid) for e in manifest.entries]
    assert sorted(received) == sorted(study)
    assert [s.study_instance_uid for s in receiver.list_studies(patient_id)] == [
        manifest.study_instance_uid
    ]


def rewrite_archive(archive: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as source, zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = change(name, source.read(name))
            if data is not None:
                target.writestr(name, data)
    return out.getvalue()


def test_tampered_instance_fails_verification_and_nothing_is_imported(
    store_pair: tuple[DicomStore, DicomStore], patient_id: str, make_ct_study: MakeStudy
) -> None:
    sender, receiver = store_pair
    _, manifest = uploaded_study(sender, patient_id, make_ct_study)
    archive = io.BytesIO()
    export_study_archive(sender, manifest.study_instance_uid, archive)
    victim = manifest.entries[1].sop_instance_uid + ".dcm"

    def flip_last_pixel(name: str, data: bytes) -> bytes:
        return data[:-1] + bytes([data[-1] ^ 0xFF]) if name == victim else data

    tampered = rewrite_archive(archive.getvalue(), flip_last_pixel)
    with pytest.raises(ManifestMismatch) as refused:
        import_study_archive(receiver, io.BytesIO(tampered), manifest)
    assert refused.value.mismatched_sop_uids == (manifest.entries[1].sop_instance_uid,)
    assert receiver.list_studies(patient_id) == []

    def drop(name: str, data: bytes) -> bytes | None:
        return None if name == victim else data

    with pytest.raises(ManifestMismatch):
        import_study_archive(receiver, io.BytesIO(rewrite_archive(archive.getvalue(), drop)),
                             manifest)
    assert receiver.list_studies(patient_id) == []


def test_instance_from_another_study_is_refused(
    store_pair: tuple[DicomStore, DicomStore], patient_id: str, make_ct_study: MakeStudy
) -> None:
    sender, receiver = store_pair
    _, manifest = uploaded_study(sender, patient_id, make_ct_study, count=2)
    archive = io.BytesIO()
    export_study_archive(sender, manifest.study_instance_uid, archive)
    intruder = make_ct_study(patient_id, 1)[0]
    with_extra = rewrite_archive(archive.getvalue(), lambda _n, d: d)
    buffer = io.BytesIO(with_extra)
    with zipfile.ZipFile(buffer, "a") as opened:
        opened.writestr("intruder.dcm", intruder)
    buffer.seek(0)
    with pytest.raises(ManifestMismatch):
        import_study_archive(receiver, buffer, manifest)
    assert receiver.list_studies(patient_id) == []


def test_verification_names_instances_that_changed_at_rest(
    store_pair: tuple[DicomStore, DicomStore], patient_id: str, make_ct_study: MakeStudy,
    make_ct_instance: Callable[..., bytes],
) -> None:
    sender, _ = store_pair
    _, manifest = uploaded_study(sender, patient_id, make_ct_study)
    changed = manifest.entries[0].sop_instance_uid
    summary = next(
        i for i in sender.list_instances(manifest.study_instance_uid)
        if i.sop_instance_uid == changed
    )
    sender.delete_instance(changed)
    sender.store_instance(
        make_ct_instance(patient_id, sop_uid=changed, study_uid=manifest.study_instance_uid,
                         series_uid=summary.series_instance_uid, instance_number=99)
    )
    missing = manifest.entries[1].sop_instance_uid
    sender.delete_instance(missing)
    with pytest.raises(ManifestMismatch) as refused:
        verify_against_manifest(sender, manifest)
    assert set(refused.value.mismatched_sop_uids) == {changed, missing}
    with pytest.raises(ManifestMismatch):
        export_study_archive(sender, manifest.study_instance_uid, io.BytesIO(),
                             expected_manifest=manifest)


def test_manifest_json_with_a_wrong_digest_is_refused(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy
) -> None:
    _, manifest = uploaded_study(store, patient_id, make_ct_study, count=2)
    text = manifest.to_json()
    assert StudyManifest.from_json(text) == manifest
    forged = text.replace(manifest.entries[0].sha256, "0" * 64)
    with pytest.raises(ManifestMismatch):
        StudyManifest.from_json(forged)
    with pytest.raises(DicomInvalid):
        StudyManifest.from_json("{not json")
