"""PNG previews of DICOM instances rendered with pydicom, numpy and Pillow.

The first frame is decoded, the Modality LUT (rescale slope/intercept) and the VOI LUT or
the stored window (CT/MR windowing) are applied; without a window the full range of the
frame is used. MONOCHROME1 (minimum shown white) is inverted into ordinary grey levels, and
colour images (RGB, or YBR, which pydicom decodes to RGB) are shown without windowing. The
result is shrunk, keeping its aspect ratio, so that neither side exceeds the requested size.

What cannot be shown raises a `PreviewUnsupported` that says why, in words fit for the user:
`NoPixelData` (no image at all), `UnsupportedPixelEncoding` (an encoding no installed
decoder reads, named in the message) or `UnreadablePixelData` (damaged or inconsistent).
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import numpy.typing as npt
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels.decoders.base import get_decoder
from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut
from pydicom.uid import UID

from pacs_bridge.errors import NoPixelData, UnreadablePixelData, UnsupportedPixelEncoding

DEFAULT_PREVIEW_SIZE = 256
_PIXEL_DATA_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")


def preview_dimensions(rows: int, columns: int, max_size: int) -> tuple[int, int]:
    """(width, height) of a preview: the image shrunk to fit max_size, never enlarged."""
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    scale = min(1.0, max_size / max(rows, columns))
    return max(1, round(columns * scale)), max(1, round(rows * scale))


def describe_transfer_syntax(transfer_syntax_uid: str) -> str:
    """A transfer syntax for messages: its name and UID, or the UID alone if unknown."""
    syntax = UID(transfer_syntax_uid)
    if syntax.is_transfer_syntax:
        return f"{syntax.name} ({syntax})"
    return f"an unrecognised transfer syntax ({syntax})"


def can_decode(transfer_syntax_uid: str) -> bool:
    """Is a pixel data decoder for this transfer syntax installed? pydicom decodes native
    and RLE data itself, JPEG Baseline/Extended and JPEG 2000 through Pillow, and JPEG
    Lossless and JPEG-LS through the pylibjpeg + pylibjpeg-libjpeg plugins."""
    try:
        return bool(get_decoder(UID(transfer_syntax_uid)).is_available)
    except (NotImplementedError, ValueError):
        return False


def _has_pixel_data(dataset: Dataset) -> bool:
    for keyword in _PIXEL_DATA_KEYWORDS:
        if keyword in dataset and dataset[keyword].value not in (None, b""):
            return True
    return False


def _first_frame(dataset: Dataset) -> npt.NDArray[np.generic]:
    if not _has_pixel_data(dataset):
        raise NoPixelData()
    file_meta = getattr(dataset, "file_meta", None)
    transfer_syntax = str(file_meta.get("TransferSyntaxUID", "") if file_meta else "").strip()
    if not transfer_syntax:
        raise UnreadablePixelData(
            "this instance's pixel data cannot be decoded: the file does not record its "
            "transfer syntax"
        )
    encoding = describe_transfer_syntax(transfer_syntax)
    if not can_decode(transfer_syntax):
        raise UnsupportedPixelEncoding(transfer_syntax, encoding)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels: npt.NDArray[np.generic] = dataset.pixel_array
    except Exception as exc:  # noqa: BLE001 - decoders raise many types
        raise UnreadablePixelData(
            f"this instance's pixel data, encoded as {encoding}, could not be decoded "
            f"({type(exc).__name__}): it is damaged or uses a variant the installed "
            "decoders do not support"
        ) from None
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    if frames > 1:
        pixels = pixels[0]
    expected_dims = 3 if samples > 1 else 2
    if pixels.ndim != expected_dims:
        raise UnreadablePixelData(
            f"this instance's pixel data decodes to an unexpected shape {pixels.shape}"
        )
    return pixels


def _to_8bit(values: npt.NDArray[np.float64], low: float, high: float) -> npt.NDArray[np.uint8]:
    if high <= low:
        return np.zeros(values.shape, dtype=np.uint8)
    scaled = (values - low) * (255.0 / (high - low))
    result: npt.NDArray[np.uint8] = np.clip(scaled, 0, 255).astype(np.uint8)
    return result


def _first_number(value: object) -> float:
    """WindowCenter/WindowWidth may hold several values; the first is the default view."""
    if isinstance(value, list | tuple) or type(value).__name__ == "MultiValue":
        return float(next(iter(value)))  # type: ignore[call-overload]
    return float(value)  # type: ignore[arg-type]


def _grayscale(dataset: Dataset, frame: npt.NDArray[np.generic]) -> Image.Image:
    values = np.asarray(apply_modality_lut(frame, dataset), dtype=np.float64)
    if "WindowCenter" in dataset and "WindowWidth" in dataset:
        center = _first_number(dataset.WindowCenter)
        width = max(_first_number(dataset.WindowWidth), 1.0)
        image8 = _to_8bit(values, center - width / 2, center + width / 2)
    elif "VOILUTSequence" in dataset:
        mapped = np.asarray(apply_voi_lut(values, dataset, index=0), dtype=np.float64)
        image8 = _to_8bit(mapped, float(mapped.min()), float(mapped.max()))
    else:
        image8 = _to_8bit(values, float(values.min()), float(values.max()))
    if str(dataset.get("PhotometricInterpretation", "")).strip() == "MONOCHROME1":
        image8 = 255 - image8
    return Image.fromarray(image8, mode="L")


def _colour(dataset: Dataset, frame: npt.NDArray[np.generic]) -> Image.Image:
    # pydicom 3's pixel_array already converts YBR colour spaces to RGB (as_rgb=True).
    bits = int(dataset.get("BitsStored", 8))
    values = np.asarray(frame, dtype=np.float64)
    image8 = _to_8bit(values, 0.0, float(2**bits - 1))
    return Image.fromarray(image8[..., :3], mode="RGB")


def render_preview_png(dataset: Dataset, *, max_size: int = DEFAULT_PREVIEW_SIZE) -> bytes:
    """A PNG of the first frame of `dataset`, shrunk to fit a max_size square."""
    frame = _first_frame(dataset)
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    image = _colour(dataset, frame) if samples > 1 else _grayscale(dataset, frame)
    return shrink_png(image, max_size=max_size)


def shrink_png(image: Image.Image, *, max_size: int) -> bytes:
    """Encode `image` as PNG after shrinking it to preview_dimensions."""
    size = preview_dimensions(image.height, image.width, max_size)
    if size != image.size:
        image = image.resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
