"""Previews of compressed instances: what the installed decoders read is shown, and what
cannot be shown says why (no pixel data, or the encoding it cannot decode, named).

The instances are pydicom's bundled test files (offline), given fresh UIDs and the test's
patient ID with their pixel data copied as is, so the session's Orthanc servers never see
the same UIDs twice.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pydicom
import pytest
from PIL import Image
from pydicom import uid
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate
from pydicom.pixels.decoders.base import get_decoder

from pacs_bridge import DicomStore, PreviewUnsupported
from pacs_bridge.errors import NoPixelData, UnreadablePixelData, UnsupportedPixelEncoding
from pacs_bridge.preview import can_decode, render_preview_png
from pacs_bridge.validation import parse_dicom

MPEG2 = "1.2.840.10008.1.2.4.100"  # video: pydicom has no decoder for it


def bundled_dataset(name: str) -> pydicom.Dataset:
    path = get_testdata_file(name)
    assert path is not None, f"pydicom's wheel should bundle {name}"
    return pydicom.dcmread(Path(path))


def relabelled(name: str, patient_id: str, *, transfer_syntax: str | None = None,
               pixel_data: bytes | None = None) -> bytes:
    """A bundled file with new UIDs and `patient_id`; its pixel data kept unless replaced,
    and its transfer syntax relabelled if asked (the bytes are not re-encoded)."""
    dataset = bundled_dataset(name)
    dataset.PatientID = patient_id
    dataset.StudyInstanceUID = uid.generate_uid()
    dataset.SeriesInstanceUID = uid.generate_uid()
    dataset.SOPInstanceUID = uid.generate_uid()
    dataset.file_meta.MediaStorageSOPInstanceUID = dataset.SOPInstanceUID
    if transfer_syntax is not None:
        dataset.file_meta.TransferSyntaxUID = transfer_syntax
    if pixel_data is not None:
        dataset.PixelData = pixel_data
    out = io.BytesIO()
    dataset.save_as(out, enforce_file_format=True)
    return out.getvalue()


def png_image(png: bytes) -> Image.Image:
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    image = Image.open(io.BytesIO(png))
    image.load()
    assert image.format == "PNG"
    return image


@pytest.mark.parametrize("syntax", [
    uid.JPEGBaseline8Bit, uid.JPEGExtended12Bit, uid.JPEGLossless, uid.JPEGLosslessSV1,
    uid.JPEGLSLossless, uid.JPEGLSNearLossless, uid.JPEG2000Lossless, uid.JPEG2000,
    uid.RLELossless, uid.ExplicitVRLittleEndian,
])
def test_installed_decoders_cover_the_jpeg_family(syntax: uid.UID) -> None:
    assert can_decode(syntax)
    if syntax in (uid.JPEGLossless, uid.JPEGLosslessSV1, uid.JPEGLSLossless,
                  uid.JPEGLSNearLossless):
        assert "pylibjpeg" in get_decoder(syntax).available_plugins


@pytest.mark.parametrize(("name", "syntax", "size", "mode"), [
    ("MR_small_jpeg_ls_lossless.dcm", uid.JPEGLSLossless, (64, 64), "L"),
    ("SC_rgb_jpeg_gdcm.dcm", uid.JPEGLosslessSV1, (100, 100), "RGB"),
    ("MR_small_jp2klossless.dcm", uid.JPEG2000Lossless, (64, 64), "L"),
])
def test_compressed_instances_preview_as_pngs(
    store: DicomStore, patient_id: str, name: str, syntax: str,
    size: tuple[int, int], mode: str,
) -> None:
    data = relabelled(name, patient_id)
    assert parse_dicom(data).file_meta.TransferSyntaxUID == syntax
    stored = store.store_instance(io.BytesIO(data), expected_patient_id=patient_id)
    image = png_image(store.render_preview(stored.sop_instance_uid, max_size=512))
    assert (image.size, image.mode) == (size, mode)
    assert png_image(store.render_preview(stored.sop_instance_uid, max_size=32)).size == (32, 32)


@pytest.mark.parametrize("name", ["MR_small_jpeg_ls_lossless.dcm",
                                  "MR_small_jp2klossless.dcm"])
def test_lossless_previews_match_the_uncompressed_original(name: str) -> None:
    def pixels(dataset: pydicom.Dataset) -> np.ndarray:
        return np.asarray(png_image(render_preview_png(dataset, max_size=64)))

    compressed, original = bundled_dataset(name), bundled_dataset("MR_small.dcm")
    assert compressed.file_meta.TransferSyntaxUID.is_compressed
    assert np.array_equal(pixels(compressed), pixels(original))
    assert pixels(original).std() > 0


def test_an_encoding_no_decoder_reads_is_named(store: DicomStore, patient_id: str) -> None:
    assert not can_decode(MPEG2)
    data = relabelled("MR_small_jp2klossless.dcm", patient_id, transfer_syntax=MPEG2)
    stored = store.store_instance(data)
    with pytest.raises(UnsupportedPixelEncoding) as refused:
        store.render_preview(stored.sop_instance_uid)
    assert str(refused.value) == (
        "this instance's pixel data is encoded as MPEG2 Main Profile / Main Level "
        f"({MPEG2}), which the preview cannot decode"
    )
    assert refused.value.transfer_syntax_uid == MPEG2
    assert isinstance(refused.value, PreviewUnsupported)


def test_an_unrecognised_transfer_syntax_is_named() -> None:
    dataset = bundled_dataset("MR_small_jpeg_ls_lossless.dcm")
    dataset.file_meta.TransferSyntaxUID = "1.2.826.0.1.3680043.2.1143.999"
    with pytest.raises(UnsupportedPixelEncoding, match=(
        r"encoded as an unrecognised transfer syntax \(1\.2\.826\.0\.1\.3680043\.2\.1143\.999\)"
    )):
        render_preview_png(dataset)


def test_damaged_pixel_data_is_told_apart_from_an_unknown_encoding(
    store: DicomStore, patient_id: str
) -> None:
    garbage = encapsulate([b"\xff\xd8\xff\xf7" + bytes(range(64)) + b"\xff\xd9"])
    data = relabelled("MR_small_jpeg_ls_lossless.dcm", patient_id, pixel_data=garbage)
    stored = store.store_instance(data)
    with pytest.raises(UnreadablePixelData, match=(
        r"^this instance's pixel data, encoded as JPEG-LS Lossless Image Compression "
        r"\(1\.2\.840\.10008\.1\.2\.4\.80\), could not be decoded"
    )):
        store.render_preview(stored.sop_instance_uid)


def test_an_instance_without_pixel_data_says_so(
    store: DicomStore, patient_id: str, make_ct_instance: Callable[..., bytes]
) -> None:
    no_pixels = store.store_instance(make_ct_instance(patient_id, omit=("PixelData",)))
    with pytest.raises(NoPixelData) as refused:
        store.render_preview(no_pixels.sop_instance_uid)
    assert str(refused.value) == "this instance has no pixel data"
