"""Previews over HTTP of compressed instances: a JPEG-LS instance uploaded as is comes back
as a PNG; what cannot be shown is a 422 that says why (the encoding named, or no pixel
data) rather than one message for both."""

from __future__ import annotations

import io

import pydicom
import pytest
from pydicom import uid
from pydicom.data import get_testdata_file

from pacs_bridge.synthetic import ct_instance
from tests.api.imaging.conftest import Imaging, upload
from tests.api.records.conftest import PROBLEM, Institution, keyed_patient, treatment_grant

MPEG2 = "1.2.840.10008.1.2.4.100"  # video: no installed decoder reads it


@pytest.fixture
def centre(imaging: Imaging) -> Institution:
    return imaging.site("radiology", "radiologist", orthanc=0)


def bundled_as(name: str, uhid: str, study_uid: str, *,
               transfer_syntax: str | None = None) -> bytes:
    """A bundled pydicom file given the patient's UHID and new UIDs in `study_uid`; its
    pixel data is copied as is (the transfer syntax only relabelled if asked)."""
    path = get_testdata_file(name)
    assert path is not None, f"pydicom's wheel should bundle {name}"
    dataset = pydicom.dcmread(path)
    dataset.PatientID = uhid
    dataset.StudyInstanceUID = study_uid
    dataset.SeriesInstanceUID = uid.generate_uid()
    dataset.SOPInstanceUID = uid.generate_uid()
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    if transfer_syntax is not None:
        dataset.file_meta.TransferSyntaxUID = transfer_syntax
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and png[12:16] == b"IHDR"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def test_jpeg_ls_previews_and_undecodable_previews_say_why(imaging: Imaging,
                                                           centre: Institution) -> None:
    ohms = imaging.ohms
    patient, _keys = keyed_patient(ohms)
    treatment_grant(ohms, patient, centre.org_id, scope="category:imaging")
    uhid = patient.user.uhid
    study_uid = str(uid.generate_uid())
    files = {
        "jpeg_ls": bundled_as("MR_small_jpeg_ls_lossless.dcm", uhid, study_uid),
        "mpeg2": bundled_as("MR_small_jp2klossless.dcm", uhid, study_uid,
                            transfer_syntax=MPEG2),
        "no_pixels": ct_instance(uhid, study_uid=study_uid, omit=("PixelData",)),
    }
    sops = {kind: str(pydicom.dcmread(io.BytesIO(data)).SOPInstanceUID)
            for kind, data in files.items()}
    r = upload(ohms, centre.staff["radiologist"], uhid,
               [(f"{kind}.dcm", data) for kind, data in files.items()])
    assert r.status_code == 201, r.text
    study = f"/api/v1/imaging/studies/{r.json()['id']}/instances"
    headers = centre.staff["radiologist"].headers

    png = ohms.client.get(f"{study}/{sops['jpeg_ls']}/preview.png", headers=headers)
    assert png.status_code == 200, png.text
    assert png_size(png.content) == (64, 64)
    thumb = ohms.client.get(f"{study}/{sops['jpeg_ls']}/preview.png", params={"size": 32},
                            headers=headers)
    assert thumb.status_code == 200 and png_size(thumb.content) == (32, 32)

    undecodable = ohms.client.get(f"{study}/{sops['mpeg2']}/preview.png", headers=headers)
    assert undecodable.status_code == 422 and undecodable.headers["content-type"] == PROBLEM
    assert undecodable.json()["detail"] == (
        "this instance's pixel data is encoded as MPEG2 Main Profile / Main Level "
        f"({MPEG2}), which the preview cannot decode")

    empty = ohms.client.get(f"{study}/{sops['no_pixels']}/preview.png", headers=headers)
    assert empty.status_code == 422 and empty.headers["content-type"] == PROBLEM
    assert empty.json()["detail"] == "this instance has no pixel data"
