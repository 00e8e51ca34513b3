"""De-identified research export (PS3.15 Annex E Basic Profile) on both store adapters."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

import pytest
from pydicom import dcmread
from pydicom.dataset import Dataset

from pacs_bridge import (
    DicomInvalid,
    DicomStore,
    UploadedFile,
    export_deidentified_study,
    import_study_archive,
    upload_files,
)

MakeStudy = Callable[..., list[bytes]]


def read_members(archive: bytes) -> list[Dataset]:
    with zipfile.ZipFile(io.BytesIO(archive)) as opened:
        return [dcmread(io.BytesIO(opened.read(name))) for name in opened.namelist()]


def store_study(store: DicomStore, instances: list[bytes]) -> list[Dataset]:
    upload_files(store, (UploadedFile(str(i), d) for i, d in enumerate(instances)))
    return [dcmread(io.BytesIO(d)) for d in instances]


def test_deidentified_export_has_no_identity_and_new_consistent_uids(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy
) -> None:
    originals = store_study(store, make_ct_study(patient_id, 4, series=2))
    archive = io.BytesIO()
    export = export_deidentified_study(store, originals[0].StudyInstanceUID, archive)
    cleaned = read_members(archive.getvalue())
    assert len(cleaned) == 4

    for ds in cleaned:
        assert not ds.get("PatientName")
        assert not ds.get("PatientID")
        assert not ds.get("PatientBirthDate")
        assert not ds.get("StudyDate")
        assert not ds.get("AccessionNumber")
        assert not ds.get("ReferringPhysicianName")
        for removed in ("InstitutionName", "PatientAddress", "StudyDescription"):
            assert removed not in ds
        assert not any(element.tag.is_private for element in ds)
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.DeidentificationMethodCodeSequence[0].CodeValue == "113100"
        assert ds.SOPClassUID == originals[0].SOPClassUID
        assert ds.file_meta.MediaStorageSOPInstanceUID == ds.SOPInstanceUID
        # References inside sequences follow the instance's new UID.
        assert ds.SourceImageSequence[0].ReferencedSOPInstanceUID == ds.SOPInstanceUID
        raw = archive.getvalue()
        assert patient_id.encode() not in raw and b"Doe^Jane" not in raw

    original_uids = {
        uid for ds in originals
        for uid in (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID,
                    ds.FrameOfReferenceUID)
    }
    new_uids = {
        uid for ds in cleaned
        for uid in (ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.SOPInstanceUID,
                    ds.FrameOfReferenceUID)
    }
    assert not original_uids & new_uids
    assert {ds.StudyInstanceUID for ds in cleaned} == {export.study_instance_uid}
    assert len({ds.SeriesInstanceUID for ds in cleaned}) == 2
    assert len({ds.SOPInstanceUID for ds in cleaned}) == 4
    assert len({ds.FrameOfReferenceUID for ds in cleaned}) == 1
    assert sorted(ds.PixelData for ds in cleaned) == sorted(ds.PixelData for ds in originals)


def test_separate_exports_cannot_be_linked_by_uid(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy
) -> None:
    originals = store_study(store, make_ct_study(patient_id, 1))
    first = export_deidentified_study(store, originals[0].StudyInstanceUID, io.BytesIO())
    second = export_deidentified_study(store, originals[0].StudyInstanceUID, io.BytesIO())
    assert first.study_instance_uid != second.study_instance_uid


def test_pseudonymised_export_imports_into_a_research_store(
    store_pair: tuple[DicomStore, DicomStore], patient_id: str, make_ct_study: MakeStudy
) -> None:
    clinical, research = store_pair
    originals = store_study(clinical, make_ct_study(patient_id, 3))
    pseudonym = f"RESEARCH-{patient_id[-6:]}"
    archive = io.BytesIO()
    export = export_deidentified_study(
        clinical, originals[0].StudyInstanceUID, archive, patient_pseudonym=pseudonym
    )
    archive.seek(0)
    import_study_archive(research, archive, export.manifest, expected_patient_id=pseudonym)
    (study,) = research.list_studies(pseudonym)
    assert study.study_instance_uid == export.study_instance_uid
    assert research.list_studies(patient_id) == []


def test_instances_with_burned_in_annotation_are_not_exported(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    stored = store.store_instance(make_ct_instance(patient_id, burned_in_annotation=True))
    with pytest.raises(DicomInvalid):
        export_deidentified_study(store, stored.study_instance_uid, io.BytesIO())


def _with(data: bytes, **attributes: object) -> bytes:
    ds = dcmread(io.BytesIO(data))
    for keyword, value in attributes.items():
        if value is None:
            delattr(ds, keyword)
        else:
            setattr(ds, keyword, value)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def test_free_text_dates_and_unlisted_attributes_do_not_survive(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    leaky = _with(make_ct_instance(patient_id),
                  StudyComments="Mr John Smith, MRN 12345, seen by Dr Who",
                  PerformedLocation="Ward 7, bed 3", ReasonForVisit="fell at 12 Elm Road",
                  TimezoneOffsetFromUTC="+0530", DateOfSecondaryCapture="20240103",
                  InstitutionName="Radiology Centre A")
    stored = store.store_instance(leaky)
    out = io.BytesIO()
    export_deidentified_study(store, stored.study_instance_uid, out, patient_pseudonym="P-1")
    (ds,) = read_members(out.getvalue())
    for keyword in ("StudyComments", "PerformedLocation", "ReasonForVisit",
                    "TimezoneOffsetFromUTC", "DateOfSecondaryCapture", "InstitutionName",
                    "StudyDescription", "PatientAddress", "SourceApplicationEntityTitle"):
        assert keyword not in ds and keyword not in ds.file_meta
    raw = out.getvalue()
    for text in (b"John Smith", b"Ward 7", b"Elm Road", b"20240102", b"Radiology Centre"):
        assert text not in raw
    assert ds.PatientID == "P-1" and ds.LongitudinalTemporalInformationModified == "REMOVED"
    assert ds.Rows and ds.WindowWidth and ds.RescaleIntercept == -1024  # still readable


@pytest.mark.parametrize("change", [
    {"Modality": "US", "BurnedInAnnotation": None},
    {"Modality": "OT", "BurnedInAnnotation": None},
    {"EncapsulatedDocument": b"%PDF-1.4 referral letter for John Smith"},
])
def test_content_that_may_hold_identity_in_pixels_or_documents_is_refused(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes],
    change: dict[str, object],
) -> None:
    stored = store.store_instance(_with(make_ct_instance(patient_id), **change))
    with pytest.raises(DicomInvalid):
        export_deidentified_study(store, stored.study_instance_uid, io.BytesIO())


def test_an_export_by_manifest_holds_exactly_the_recorded_instances(
    store: DicomStore, patient_id: str, make_ct_study: MakeStudy
) -> None:
    first = make_ct_study(patient_id, 2, series=1)
    recorded = upload_files(store, (UploadedFile(str(i), d) for i, d in enumerate(first)))
    manifest = next(iter(recorded.manifests.values()))
    # Another instance of the same study reaches the store later, outside that upload.
    extra = dcmread(io.BytesIO(make_ct_study(patient_id, 1, series=1)[0]))
    extra.StudyInstanceUID = manifest.study_instance_uid
    buffer = io.BytesIO()
    extra.save_as(buffer, enforce_file_format=True)
    second = buffer.getvalue()
    store.store_instance(second)
    out = io.BytesIO()
    export_deidentified_study(store, manifest.study_instance_uid, out, manifest=manifest)
    assert len(read_members(out.getvalue())) == 2
