"""Domain errors of the DICOM bridge, in three flavours the API maps to HTTP statuses.

- `DicomNotFound` (404): no such study or instance in this store.
- `DicomInvalid` (4xx): the input is refused and nothing was stored; subclasses say why.
- `DicomStoreUnavailable` (503): the PACS (or the folder) cannot be reached right now.

Messages name UIDs and sizes only, never patient demographics.
"""

from __future__ import annotations


class DicomStoreError(Exception):
    """Base of every error raised by pacs_bridge."""


class DicomNotFound(DicomStoreError):
    """The study or instance does not exist in this store."""


class DicomInvalid(DicomStoreError):
    """The input was refused; nothing of it was stored."""


class NotDicom(DicomInvalid):
    """The bytes are not a DICOM Part 10 file (no preamble and `DICM` prefix)."""


class TruncatedDicom(DicomInvalid):
    """The file ends before the elements it declares."""


class MissingRequiredTag(DicomInvalid):
    """A tag the exchange relies on (SOP/Study/Series UID, PatientID, ...) is absent or empty."""


class PatientMismatch(DicomInvalid):
    """The instance's PatientID is not the patient the upload is for."""


class DuplicateInstanceConflict(DicomInvalid):
    """An instance with this SOP Instance UID is already stored with different content."""


class UploadTooLarge(DicomInvalid):
    """A file, or the upload as a whole, exceeds the configured size limits."""


class UnsafeArchive(DicomInvalid):
    """A ZIP archive was refused: unreadable, too many members, too large, or unsafe names."""


class ManifestMismatch(DicomInvalid):
    """Instances do not match the study manifest (missing, extra, or different bytes)."""

    def __init__(self, message: str, *, mismatched_sop_uids: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.mismatched_sop_uids = mismatched_sop_uids


class PreviewUnsupported(DicomInvalid):
    """The instance cannot be previewed; subclasses say why, in a message fit for the user."""


class NoPixelData(PreviewUnsupported):
    """The instance holds no image (a structured report, a key object, a PDF, ...)."""

    def __init__(self, message: str = "this instance has no pixel data") -> None:
        super().__init__(message)


class UnsupportedPixelEncoding(PreviewUnsupported):
    """The instance has pixel data in an encoding (transfer syntax) no installed decoder reads."""

    def __init__(self, transfer_syntax_uid: str, encoding: str) -> None:
        super().__init__(
            f"this instance's pixel data is encoded as {encoding}, "
            "which the preview cannot decode"
        )
        self.transfer_syntax_uid = transfer_syntax_uid
        self.encoding = encoding


class UnreadablePixelData(PreviewUnsupported):
    """A decoder for the encoding is installed but the pixel data does not decode or does not
    fit the image description (damaged or inconsistent)."""


class DicomStoreUnavailable(DicomStoreError):
    """The store cannot be reached or refused our credentials; retry later."""
