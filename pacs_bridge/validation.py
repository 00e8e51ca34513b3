"""Checks every DICOM instance passes before any store accepts it.

Used by both store adapters and by the upload path, so a file refused in one place is
refused everywhere: it must be a DICOM Part 10 file (128-byte preamble then `DICM`), parse
completely (a file that ends before the elements it declares is refused as truncated), carry
the identifying tags the exchange relies on, belong to the expected patient, and fit the size
limit. Error messages name UIDs and sizes, never demographics.
"""

from __future__ import annotations

import hashlib
import io
import re
import warnings
from typing import BinaryIO

import pydicom
from pydicom.dataelem import RawDataElement
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from pacs_bridge.errors import (
    MissingRequiredTag,
    NotDicom,
    PatientMismatch,
    TruncatedDicom,
    UploadTooLarge,
)
from pacs_bridge.model import InstanceIdentity, MiB, ValidatedInstance

DEFAULT_MAX_INSTANCE_BYTES = 256 * MiB
READ_CHUNK_BYTES = 1 * MiB

# DICOM PS3.5 9.1: components of digits separated by dots, no leading zero, at most 64
# characters. Stores use UIDs as file names, so this also keeps paths safe.
_UID_PATTERN = re.compile(r"^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$")
_UNDEFINED_LENGTH = 0xFFFFFFFF
# Values above this size are not loaded while validating; their extent is still checked.
_DEFER_VALUES_ABOVE_BYTES = 4096
# A file whose last element has undefined length (encapsulated pixel data, a sequence) must
# end with the Sequence Delimitation Item (FFFE,E0DD), little or big endian.
_SEQUENCE_DELIMITERS = (b"\xfe\xff\xdd\xe0\x00\x00\x00\x00", b"\xff\xfe\xe0\xdd\x00\x00\x00\x00")

REQUIRED_UID_TAGS = ("SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "SOPClassUID")
REQUIRED_TEXT_TAGS = ("PatientID", "Modality")


def is_valid_uid(value: str) -> bool:
    """True when `value` is a syntactically valid DICOM UID."""
    return len(value) <= 64 and _UID_PATTERN.match(value) is not None


def read_instance_bytes(
    source: bytes | BinaryIO, *, max_instance_bytes: int = DEFAULT_MAX_INSTANCE_BYTES
) -> bytes:
    """The bytes of one uploaded instance, refusing it as soon as it exceeds the limit."""
    if isinstance(source, bytes | bytearray | memoryview):
        data = bytes(source)
        if len(data) > max_instance_bytes:
            raise UploadTooLarge(
                f"instance of {len(data)} bytes exceeds the limit of {max_instance_bytes} bytes"
            )
        return data
    buffer = io.BytesIO()
    while True:
        chunk = source.read(READ_CHUNK_BYTES)
        if not chunk:
            return buffer.getvalue()
        if buffer.tell() + len(chunk) > max_instance_bytes:
            raise UploadTooLarge(f"instance exceeds the limit of {max_instance_bytes} bytes")
        buffer.write(chunk)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_dicom(data: bytes, *, defer_values: bool = True) -> Dataset:
    """Parse a DICOM Part 10 file, refusing anything that is not one or that is truncated."""
    if len(data) < 132 or data[128:132] != b"DICM":
        raise NotDicom("not a DICOM file: the 128-byte preamble and 'DICM' prefix are missing")
    try:
        with warnings.catch_warnings():
            # pydicom warns about recoverable oddities; refusals below are explicit.
            warnings.simplefilter("ignore")
            dataset = pydicom.dcmread(
                io.BytesIO(data),
                defer_size=_DEFER_VALUES_ABOVE_BYTES if defer_values else None,
            )
    except InvalidDicomError as exc:
        raise NotDicom(f"not a readable DICOM file: {exc}") from None
    except EOFError:
        raise TruncatedDicom("DICOM file is truncated: it ends inside an element") from None
    except Exception as exc:  # noqa: BLE001 - pydicom raises many types on corrupt input
        raise TruncatedDicom(
            f"DICOM file cannot be parsed ({type(exc).__name__}); it is corrupt or truncated"
        ) from None
    _refuse_truncation(dataset, data)
    return dataset


def _refuse_truncation(dataset: Dataset, data: bytes) -> None:
    """pydicom stops quietly at end of file; check every top-level element fits in the file."""
    file_size = len(data)
    last_end = 0
    ends_with_undefined_length = False
    for element in dataset._dict.values():
        if not isinstance(element, RawDataElement):
            continue
        if element.length == _UNDEFINED_LENGTH:
            ends_with_undefined_length = True
            continue
        ends_with_undefined_length = False
        end = element.value_tell + element.length
        loaded = element.value
        if end > file_size or (loaded is not None and len(loaded) != element.length):
            raise TruncatedDicom(
                f"DICOM file is truncated: element {element.tag} declares {element.length} "
                f"bytes past the end of the file"
            )
        last_end = max(last_end, end)
    if last_end == 0 and not ends_with_undefined_length:
        raise TruncatedDicom("DICOM file has no data set after its file meta information")
    if ends_with_undefined_length and data[-8:] not in _SEQUENCE_DELIMITERS:
        raise TruncatedDicom("DICOM file is truncated: its last element is not closed")
    if not ends_with_undefined_length and last_end != file_size:
        raise TruncatedDicom(
            f"DICOM file has {file_size - last_end} unparsable bytes after its last element"
        )


def _text_value(dataset: Dataset, keyword: str) -> str | None:
    value = dataset.get(keyword)
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def identify_dataset(dataset: Dataset) -> InstanceIdentity:
    """The identity of a parsed dataset, refusing missing or malformed identifying tags."""
    values: dict[str, str] = {}
    for keyword in (*REQUIRED_UID_TAGS, *REQUIRED_TEXT_TAGS):
        try:
            value = _text_value(dataset, keyword)
        except Exception:  # noqa: BLE001 - a corrupt value is as good as a missing one
            value = None
        if value is None:
            raise MissingRequiredTag(f"required DICOM tag {keyword} is missing or empty")
        if keyword in REQUIRED_UID_TAGS and not is_valid_uid(value):
            raise MissingRequiredTag(f"DICOM tag {keyword} does not hold a valid UID")
        values[keyword] = value
    if "TransferSyntaxUID" not in dataset.file_meta:
        raise MissingRequiredTag("file meta information has no TransferSyntaxUID")
    return InstanceIdentity(
        sop_instance_uid=values["SOPInstanceUID"],
        study_instance_uid=values["StudyInstanceUID"],
        series_instance_uid=values["SeriesInstanceUID"],
        sop_class_uid=values["SOPClassUID"],
        patient_id=values["PatientID"],
        modality=values["Modality"],
        study_date=_text_value(dataset, "StudyDate"),
        study_description=_text_value(dataset, "StudyDescription"),
    )


def validate_instance(
    data: bytes,
    *,
    expected_patient_id: str | None = None,
    max_instance_bytes: int = DEFAULT_MAX_INSTANCE_BYTES,
) -> ValidatedInstance:
    """Validate one instance's bytes; return its identity and SHA-256, or raise DicomInvalid."""
    if len(data) > max_instance_bytes:
        raise UploadTooLarge(
            f"instance of {len(data)} bytes exceeds the limit of {max_instance_bytes} bytes"
        )
    identity = identify_dataset(parse_dicom(data))
    if expected_patient_id is not None and identity.patient_id != expected_patient_id:
        raise PatientMismatch(
            f"instance {identity.sop_instance_uid} belongs to another patient than the "
            "one this upload is for"
        )
    return ValidatedInstance(identity=identity, sha256=sha256_hex(data), size=len(data))
