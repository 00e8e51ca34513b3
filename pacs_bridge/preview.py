"""PNG previews of DICOM instances rendered with pydicom, numpy and Pillow.

The first frame is decoded, the Modality LUT (rescale slope/intercept) and the VOI LUT or
the stored window (CT/MR windowing) are applied; without a window the full range of the
frame is used. MONOCHROME1 (minimum shown white) is inverted into ordinary grey levels, and
colour images (RGB, or YBR, which pydicom decodes to RGB) are shown without windowing. The
result is shrunk, keeping its aspect ratio, so that neither side exceeds the requested size.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
import numpy.typing as npt
from PIL import Image
from pydicom.dataset import Dataset
from pydicom.pixels.processing import apply_modality_lut, apply_voi_lut

from pacs_bridge.errors import PreviewUnsupported

DEFAULT_PREVIEW_SIZE = 256


def preview_dimensions(rows: int, columns: int, max_size: int) -> tuple[int, int]:
    """(width, height) of a preview: the image shrunk to fit max_size, never enlarged."""
    if max_size < 1:
        raise ValueError("max_size must be at least 1")
    scale = min(1.0, max_size / max(rows, columns))
    return max(1, round(columns * scale)), max(1, round(rows * scale))


def _first_frame(dataset: Dataset) -> npt.NDArray[np.generic]:
    if "PixelData" not in dataset:
        raise PreviewUnsupported("instance has no pixel data to preview")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels: npt.NDArray[np.generic] = dataset.pixel_array
    except Exception as exc:  # noqa: BLE001 - decoders raise many types
        raise PreviewUnsupported(
            f"pixel data cannot be decoded ({type(exc).__name__}): the encoding "
            f"{dataset.file_meta.get('TransferSyntaxUID', 'unknown')} needs another decoder"
        ) from None
    frames = int(dataset.get("NumberOfFrames", 1) or 1)
    samples = int(dataset.get("SamplesPerPixel", 1) or 1)
    if frames > 1:
        pixels = pixels[0]
    expected_dims = 3 if samples > 1 else 2
    if pixels.ndim != expected_dims:
        raise PreviewUnsupported(f"unexpected pixel array shape {pixels.shape}")
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
