"""The DicomStore port: one institution's PACS, as the exchange uses it.

Two adapters implement it: `LocalFolderDicomStore` (DICOM files in a folder, the embedded
default) and `OrthancDicomStore` (an Orthanc server over its REST API). Both validate every
instance with `pacs_bridge.validation` before storing it, keep the exact bytes they were
given, and raise only `pacs_bridge.errors` exceptions.
"""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from typing import BinaryIO, Protocol, runtime_checkable

from pacs_bridge.model import InstanceSummary, StoredInstance, StudySummary
from pacs_bridge.preview import DEFAULT_PREVIEW_SIZE


@runtime_checkable
class DicomStore(Protocol):
    """One institution's DICOM archive."""

    max_instance_bytes: int

    def store_instance(
        self, source: bytes | BinaryIO, *, expected_patient_id: str | None = None
    ) -> StoredInstance:
        """Validate and store one instance; storing identical bytes again is a no-op.

        Raises a `DicomInvalid` subclass (nothing stored) for bad input, including
        `DuplicateInstanceConflict` when the SOP Instance UID is held with other bytes.
        """
        ...

    def get_instance(self, sop_instance_uid: str) -> bytes:
        """The exact bytes stored for this SOP Instance UID (`DicomNotFound` if absent)."""
        ...

    def list_studies(self, patient_id: str | None = None) -> list[StudySummary]:
        """Studies held, optionally only those of one PatientID."""
        ...

    def list_instances(self, study_instance_uid: str) -> list[InstanceSummary]:
        """The instances of a study, ordered by series then SOP Instance UID."""
        ...

    def export_study(self, study_instance_uid: str) -> Iterator[tuple[str, bytes]]:
        """(SOP Instance UID, bytes) of every instance of a study, one instance at a time.

        Raises `DicomNotFound` when called (not on first iteration) if the study is absent.
        """
        ...

    def export_study_zip(self, study_instance_uid: str, out: BinaryIO) -> int:
        """Write a ZIP of the study's instances to `out` as it is produced; return bytes written."""
        ...

    def delete_study(self, study_instance_uid: str) -> None:
        """Delete a study and all its instances (`DicomNotFound` if absent)."""
        ...

    def delete_instance(self, sop_instance_uid: str) -> None:
        """Delete one instance (`DicomNotFound` if absent)."""
        ...

    def render_preview(
        self, sop_instance_uid: str, *, max_size: int = DEFAULT_PREVIEW_SIZE
    ) -> bytes:
        """A PNG of the instance's first frame, shrunk to fit a max_size square."""
        ...

    def ping(self) -> None:
        """Return when the store answers; raise `DicomStoreUnavailable` otherwise."""
        ...


class _CountingWriter:
    """Counts the bytes zipfile writes to a (possibly unseekable) output stream."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self.written = 0

    def write(self, data: bytes) -> int:
        self._out.write(data)
        self.written += len(data)
        return len(data)

    def flush(self) -> None:
        self._out.flush()

    def close(self) -> None:
        """The caller owns the output stream: leave it open."""


def write_instances_zip(instances: Iterable[tuple[str, bytes]], out: BinaryIO) -> int:
    """Write (member name, bytes) pairs as a ZIP to `out`, one member at a time.

    Members are stored uncompressed: pixel data is often compressed already, and the
    archive is encrypted next, so deflating would cost time for little gain. The output is
    written as it goes (data descriptors, no seeking), so it can be a socket or a pipe.
    """
    writer = _CountingWriter(out)
    with zipfile.ZipFile(
        writer,
        mode="w",
        compression=zipfile.ZIP_STORED,
        allowZip64=True,
    ) as archive:
        for name, data in instances:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            with archive.open(info, mode="w", force_zip64=len(data) >= 2**31) as member:
                member.write(data)
    return writer.written
