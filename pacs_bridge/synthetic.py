"""Synthetic DICOM made in code, for tests, benchmarks and the demo data: CT instances with
plausible tags (identifying ones included, for de-identification to remove) and pixels that
render as something recognisable. No real patient data anywhere.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import numpy.typing as npt
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import UID, CTImageStorage, ExplicitVRLittleEndian, generate_uid


def _phantom(rows: int, columns: int, slice_number: int) -> npt.NDArray[np.int16]:
    """A chest-like section in stored values (HU + 1024): air, a soft-tissue body, two
    lungs that change size along the slices, a spine."""
    y, x = np.mgrid[0:rows, 0:columns].astype(np.float64)
    cy, cx = rows / 2, columns / 2
    hu = np.full((rows, columns), -1000.0)
    body = ((x - cx) / (0.45 * columns)) ** 2 + ((y - cy) / (0.35 * rows)) ** 2 <= 1
    hu[body] = 40
    lung_scale = 0.11 + 0.015 * np.sin(slice_number / 3)
    for side in (-1, 1):
        lung = (((x - cx - side * 0.19 * columns) / (lung_scale * columns)) ** 2
                + ((y - cy + 0.02 * rows) / (0.2 * rows)) ** 2) <= 1
        hu[lung] = -850
    spine = (x - cx) ** 2 + (y - cy - 0.22 * rows) ** 2 <= (0.05 * min(rows, columns)) ** 2
    hu[spine] = 700
    return (hu + 1024).astype(np.int16)


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
    phantom: bool = False,
    patient_name: str = "Doe^Jane",
    description: str = "CT chest",
) -> bytes:
    """A CT image instance (signed 16-bit, HU rescale, soft-tissue window) as bytes: a
    gradient, or with `phantom` a body section (soft tissue, lungs, spine) in air."""
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
    ds.PatientName = patient_name
    ds.PatientID = patient_id
    ds.PatientBirthDate = "19700101"
    ds.PatientSex = "F"
    ds.PatientAddress = "1 Main Street"
    ds.StudyDate = "20240102"
    ds.StudyTime = "101500"
    ds.StudyDescription = description
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
    if phantom:
        pixels = _phantom(rows, columns, instance_number)
    else:
        gradient = np.linspace(0, 2000, rows * columns, dtype=np.float64).reshape(rows, columns)
        pixels = (gradient + instance_number).astype(np.int16)
    ds.PixelData = pixels.tobytes()
    for keyword in omit:
        delattr(ds, keyword)
    out = io.BytesIO()
    ds.save_as(out, enforce_file_format=True)
    return out.getvalue()


def ct_study(patient_id: str, count: int = 4, *, series: int = 2, **options: Any) -> list[bytes]:
    """`count` CT instances of one new study, spread over `series` series (`options` go to
    `ct_instance`: rows, columns, phantom, ...)."""
    study_uid = generate_uid()
    series_uids = [generate_uid() for _ in range(series)]
    return [
        ct_instance(
            patient_id,
            study_uid=study_uid,
            series_uid=series_uids[i % series],
            instance_number=i + 1,
            **options,
        )
        for i in range(count)
    ]


