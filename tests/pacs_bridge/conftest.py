"""Fixtures for the DICOM bridge: stores of both adapters, and DICOM test data made in code.

`store` and `store_pair` are parametrised "embedded" (LocalFolderDicomStore in a temporary
folder) and "real" (OrthancDicomStore against two Orthanc servers started once per session,
or the ones named by OHMS_TEST_ORTHANC_URLS). Each test works on its own patient ID and new
UIDs, so tests sharing the session's Orthanc servers do not see each other's studies.
"""

from __future__ import annotations

import io
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid

from pacs_bridge import DicomStore, LocalFolderDicomStore, OrthancDicomStore
from scripts.services.orthanc import OrthancEndpoint, orthanc_servers

StoreFactory = Callable[..., DicomStore]


@pytest.fixture(scope="session")
def orthanc_endpoints() -> Iterator[list[OrthancEndpoint]]:
    """Two running Orthanc servers: institution A and institution B."""
    with orthanc_servers(2) as endpoints:
        yield endpoints


@pytest.fixture(params=["embedded", "real"])
def store_factory(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[Callable[..., DicomStore]]:
    """Builds a store of institution 0 or 1 for the parametrised backend."""
    opened: list[OrthancDicomStore] = []

    def build(institution: int = 0, **settings: int) -> DicomStore:
        if request.param == "embedded":
            return LocalFolderDicomStore(tmp_path / f"institution-{institution}", **settings)
        endpoint = request.getfixturevalue("orthanc_endpoints")[institution]
        store = OrthancDicomStore(
            endpoint.url,
            username=endpoint.username,
            password=endpoint.password,
            timeout=30.0,
            **settings,
        )
        opened.append(store)
        return store

    yield build
    for store in opened:
        store.close()


@pytest.fixture
def store(store_factory: StoreFactory) -> DicomStore:
    return store_factory(0)


@pytest.fixture
def store_pair(store_factory: StoreFactory) -> tuple[DicomStore, DicomStore]:
    return store_factory(0), store_factory(1)


@pytest.fixture
def patient_id() -> str:
    return f"UHID-{uuid.uuid4().hex[:12]}"


def ct_instance(
    patient_id: str,
    *,
    study_uid: str | None = None,
    series_uid: str | None = None,
    sop_uid: str | None = None,
    instance_number: int = 1,
    rows: int = 32,
    columns: int = 48,
    burned_in_annotation: bool = False,
    omit: tuple[str, ...] = (),
) -> bytes:
    """A small CT image instance (signed 16-bit, HU rescale, soft-tissue window) as bytes."""
    sop_uid = sop_uid or str(generate_uid())
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = CTImageStorage
    meta.MediaStorageSOPInstanceUID = UID(sop_uid)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = CTImageStorage
    ds.SOPInstanceUID = sop_uid
    ds.StudyInstanceUID = study_uid or generate_uid()
    ds.SeriesInstanceUID = series_uid or generate_uid()
    ds.FrameOfReferenceUID = generate_uid(entropy_srcs=[ds.StudyInstanceUID])
    ds.PatientName = "Doe^Jane"
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.PatientAddress = "1 Main Street"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101500"
    ds.StudyDescription = "CT chest"
    ds.AccessionNumber = "ACC-1"
    ds.ReferringPhysicianName = "House^Gregory"
    ds.InstitutionName = "Radiology Centre A"
    ds.Modality = "CT"
    ds.InstanceNumber = instance_number
    ds.BurnedInAnnotation = "YES" if burned_in_annotation else "NO"
    source = Dataset()
    source.ReferencedSOPClassUID = CTImageStorage
    source.ReferencedSOPInstanceUID = ds.SOPInstanceUID
    ds.SourceImageSequence = Sequence([source])
    ds.add_new(0x00091001, "LO", "vendor private detail")
    ds.add_new(0x00090010, "LO", "ACME 1.0")
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = columns
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1
    ds.RescaleIntercept = -1024
    ds.RescaleSlope = 1
    ds.WindowCenter = 40
    ds.WindowWidth = 400
    gradient = np.linspace(0, 2000, rows * columns, dtype=np.float64).reshape(rows, columns)
    pixels = (gradient + instance_number).astype(np.int16)
    ds.PixelData = pixels.tobytes()
    for keyword in omit:
        delattr(ds, keyword)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def ct_study(patient_id: str, count: int = 4, *, series: int = 2) -> list[bytes]:
    """`count` CT instances of one new study, spread over `series` series."""
    study_uid = generate_uid()
    series_uids = [generate_uid() for _ in range(series)]
    return [
        ct_instance(
            patient_id,
            study_uid=study_uid,
            series_uid=series_uids[i % series],
            instance_number=i + 1,
        )
        for i in range(count)
    ]


def zip_of(members: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=compression) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return out.getvalue()


@pytest.fixture
def make_ct_instance() -> Callable[..., bytes]:
    return ct_instance


@pytest.fixture
def make_ct_study() -> Callable[..., list[bytes]]:
    return ct_study


@pytest.fixture
def make_zip() -> Callable[..., bytes]:
    return zip_of
