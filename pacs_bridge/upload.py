"""Streaming, all-or-nothing uploads of DICOM studies into a DicomStore.

An upload is a sequence of files or one ZIP archive. It runs in two passes:

1. validate: every file is read once (one instance in memory at a time; files are spooled
   to one temporary file, a ZIP to a spooled temporary file read member by member) and
   checked with `pacs_bridge.validation`, against the expected patient, the size limits, the
   other instances of the upload and, for a transfer, the study manifest;
2. store: only if every file passed, the instances are stored one by one.

If anything fails, instances this upload added are deleted again, so a refused upload leaves
nothing behind. A progress callback hears about every instance in both passes.
ZIP archives are refused when they are unreadable, encrypted, hold links, absolute or
`..` names, too many members, or more uncompressed bytes than the limits, declared or real.
"""

from __future__ import annotations

import posixpath
import stat
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterable, Mapping, Sized
from dataclasses import dataclass
from typing import IO, BinaryIO, Literal

from pacs_bridge.errors import (
    DicomInvalid,
    DicomStoreError,
    DuplicateInstanceConflict,
    ManifestMismatch,
    UnsafeArchive,
    UploadTooLarge,
)
from pacs_bridge.manifest import ManifestEntry, StudyManifest
from pacs_bridge.model import MiB, StoredInstance, ValidatedInstance
from pacs_bridge.store import DicomStore
from pacs_bridge.validation import (
    DEFAULT_MAX_INSTANCE_BYTES,
    READ_CHUNK_BYTES,
    read_instance_bytes,
    validate_instance,
)

GiB = 1024 * MiB
# Archives up to this size stay in memory while being read; larger ones go to disk.
ARCHIVE_SPOOL_MEMORY_BYTES = 8 * MiB
# Members that archivers add beside the images: a DICOMDIR index, macOS resource forks.
_IGNORED_MEMBER_PREFIXES = ("__MACOSX/",)
_IGNORED_MEMBER_BASENAMES = ("DICOMDIR",)


@dataclass(frozen=True)
class UploadLimits:
    """Bounds on one upload; the defaults suit large CT/MR studies."""

    max_instance_bytes: int = DEFAULT_MAX_INSTANCE_BYTES
    max_upload_bytes: int = 8 * GiB
    max_instances: int = 20_000
    max_archive_bytes: int = 8 * GiB


@dataclass(frozen=True)
class UploadedFile:
    """One uploaded file: a name for messages and its content (bytes or a binary stream)."""

    name: str
    content: bytes | BinaryIO


@dataclass(frozen=True)
class UploadProgress:
    phase: Literal["validating", "storing"]
    instances_done: int
    instances_total: int | None
    bytes_done: int
    bytes_total: int | None


ProgressCallback = Callable[[UploadProgress], None]


@dataclass(frozen=True)
class UploadResult:
    """What an upload stored, with one manifest per study it touched."""

    instances: tuple[StoredInstance, ...]
    manifests: Mapping[str, StudyManifest]
    total_bytes: int

    @property
    def study_instance_uids(self) -> tuple[str, ...]:
        return tuple(sorted(self.manifests))


def _at(position: str, exc: DicomInvalid) -> DicomInvalid:
    """Prefix a refusal with where in the upload it happened (by position, never file name)."""
    if exc.args:
        exc.args = (f"{position}: {exc.args[0]}", *exc.args[1:])
    return exc


@dataclass
class _Staged:
    validated: ValidatedInstance
    position: str
    read: Callable[[], bytes]


class _Validation:
    """The validation pass: per-instance checks plus those across the whole upload."""

    def __init__(
        self,
        *,
        expected_patient_id: str | None,
        limits: UploadLimits,
        manifest: StudyManifest | None,
        on_progress: ProgressCallback | None,
        instances_total: int | None,
        bytes_total: int | None,
    ) -> None:
        self.expected_patient_id = expected_patient_id
        self.limits = limits
        self.manifest = manifest
        self.on_progress = on_progress
        self.instances_total = instances_total
        self.bytes_total = bytes_total
        self.staged: list[_Staged] = []
        self.by_sop: dict[str, ValidatedInstance] = {}
        self.bytes_done = 0
        self.files_seen = 0

    def count_file(self, size: int) -> None:
        self.files_seen += 1
        if self.files_seen > self.limits.max_instances:
            raise UploadTooLarge(f"upload holds more than {self.limits.max_instances} files")
        self.bytes_done += size
        if self.bytes_done > self.limits.max_upload_bytes:
            raise UploadTooLarge(
                f"upload exceeds the limit of {self.limits.max_upload_bytes} bytes"
            )

    def add(self, data: bytes, position: str, read: Callable[[], bytes]) -> None:
        try:
            validated = validate_instance(
                data,
                expected_patient_id=self.expected_patient_id,
                max_instance_bytes=self.limits.max_instance_bytes,
            )
            sop_uid = validated.identity.sop_instance_uid
            if self.manifest is not None:
                if validated.identity.study_instance_uid != self.manifest.study_instance_uid:
                    raise ManifestMismatch(
                        f"instance {sop_uid} belongs to another study than the manifest's",
                        mismatched_sop_uids=(sop_uid,),
                    )
                self.manifest.check_digest(sop_uid, sha256=validated.sha256, size=validated.size)
            known = self.by_sop.get(sop_uid)
            if known is not None and known.sha256 != validated.sha256:
                raise DuplicateInstanceConflict(
                    f"instance {sop_uid} appears twice in the upload with different content"
                )
        except DicomInvalid as exc:
            raise _at(position, exc) from None
        if known is None:
            self.by_sop[sop_uid] = validated
            self.staged.append(_Staged(validated=validated, position=position, read=read))
        if self.on_progress is not None:
            self.on_progress(
                UploadProgress(
                    phase="validating",
                    instances_done=self.files_seen,
                    instances_total=self.instances_total,
                    bytes_done=self.bytes_done,
                    bytes_total=self.bytes_total,
                )
            )

    def finish(self) -> list[_Staged]:
        if not self.staged:
            raise DicomInvalid("upload holds no DICOM instance")
        if self.manifest is not None:
            missing = [
                e.sop_instance_uid for e in self.manifest.entries if e.sop_instance_uid not in
                self.by_sop
            ]
            if missing:
                raise ManifestMismatch(
                    f"{len(missing)} instances of the manifest are missing from the upload",
                    mismatched_sop_uids=tuple(missing),
                )
        return self.staged


def _store_all(
    store: DicomStore,
    staged: list[_Staged],
    *,
    expected_patient_id: str | None,
    on_progress: ProgressCallback | None,
) -> UploadResult:
    """The storing pass; on any failure, delete what this upload added and re-raise."""
    stored: list[StoredInstance] = []
    bytes_total = sum(s.validated.size for s in staged)
    bytes_done = 0
    try:
        for item in staged:
            try:
                result = store.store_instance(item.read(), expected_patient_id=expected_patient_id)
            except DicomInvalid as exc:
                raise _at(item.position, exc) from None
            stored.append(result)
            bytes_done += result.size
            if on_progress is not None:
                on_progress(
                    UploadProgress(
                        phase="storing",
                        instances_done=len(stored),
                        instances_total=len(staged),
                        bytes_done=bytes_done,
                        bytes_total=bytes_total,
                    )
                )
    except BaseException as exc:
        roll_back(store, [s for s in stored if s.newly_stored], exc)
        raise
    manifests = {
        study_uid: StudyManifest.build(
            study_uid,
            (
                ManifestEntry(sop_instance_uid=s.sop_instance_uid, sha256=s.sha256, size=s.size)
                for s in stored
                if s.study_instance_uid == study_uid
            ),
        )
        for study_uid in {s.study_instance_uid for s in stored}
    }
    return UploadResult(instances=tuple(stored), manifests=manifests, total_bytes=bytes_total)


def roll_back(store: DicomStore, added: list[StoredInstance], cause: BaseException) -> None:
    """Delete instances an upload added; note on `cause` any that could not be deleted."""
    for instance in reversed(added):
        try:
            store.delete_instance(instance.sop_instance_uid)
        except DicomStoreError as exc:
            cause.add_note(
                f"rollback could not delete instance {instance.sop_instance_uid}: "
                f"{type(exc).__name__}"
            )


class _FileSpool:
    """All files of an upload, appended to one temporary file (one descriptor, any count)."""

    def __init__(self) -> None:
        self._file: IO[bytes] = tempfile.TemporaryFile(prefix="ohms-upload-")  # noqa: SIM115

    def append(self, data: bytes) -> Callable[[], bytes]:
        self._file.seek(0, 2)
        offset = self._file.tell()
        self._file.write(data)
        size = len(data)

        def read() -> bytes:
            self._file.seek(offset)
            return self._file.read(size)

        return read

    def close(self) -> None:
        self._file.close()


def upload_files(
    store: DicomStore,
    files: Iterable[UploadedFile],
    *,
    expected_patient_id: str | None = None,
    limits: UploadLimits | None = None,
    on_progress: ProgressCallback | None = None,
) -> UploadResult:
    """Validate every file, then store them all, or store nothing."""
    limits = limits or UploadLimits()
    validation = _Validation(
        expected_patient_id=expected_patient_id,
        limits=limits,
        manifest=None,
        on_progress=on_progress,
        instances_total=len(files) if isinstance(files, Sized) else None,
        bytes_total=None,
    )
    spool = _FileSpool()
    try:
        for index, uploaded in enumerate(files, start=1):
            position = f"file {index}"
            try:
                data = read_instance_bytes(
                    uploaded.content, max_instance_bytes=limits.max_instance_bytes
                )
                validation.count_file(len(data))
            except DicomInvalid as exc:
                raise _at(position, exc) from None
            validation.add(data, position, spool.append(data))
        staged = validation.finish()
        return _store_all(
            store, staged, expected_patient_id=expected_patient_id, on_progress=on_progress
        )
    finally:
        spool.close()


def _spool_archive(archive: BinaryIO, limits: UploadLimits) -> IO[bytes]:
    spooled: IO[bytes] = tempfile.SpooledTemporaryFile(  # noqa: SIM115 - returned to caller
        max_size=ARCHIVE_SPOOL_MEMORY_BYTES, prefix="ohms-upload-zip-"
    )
    size = 0
    try:
        while chunk := archive.read(READ_CHUNK_BYTES):
            size += len(chunk)
            if size > limits.max_archive_bytes:
                raise UploadTooLarge(
                    f"archive exceeds the limit of {limits.max_archive_bytes} bytes"
                )
            spooled.write(chunk)
    except BaseException:
        spooled.close()
        raise
    spooled.seek(0)
    return spooled


def _is_unsafe_name(name: str) -> bool:
    if not name or "\x00" in name or "\\" in name or name.startswith("/"):
        return True
    if len(name) > 1 and name[1] == ":":  # a Windows drive letter
        return True
    return any(part == ".." for part in name.split("/"))


def _archive_members(archive: zipfile.ZipFile, limits: UploadLimits) -> list[zipfile.ZipInfo]:
    """The members holding instances, after refusing anything unsafe about the archive."""
    members: list[zipfile.ZipInfo] = []
    declared_total = 0
    for info in archive.infolist():
        if _is_unsafe_name(info.filename):
            raise UnsafeArchive("archive holds a member with an absolute or '..' path")
        if info.flag_bits & 0x1:
            raise UnsafeArchive("archive holds an encrypted member")
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UnsafeArchive("archive holds a symbolic link")
        if info.is_dir() or info.filename.startswith(_IGNORED_MEMBER_PREFIXES):
            continue
        if posixpath.basename(info.filename).upper() in _IGNORED_MEMBER_BASENAMES:
            continue
        members.append(info)
        if len(members) > limits.max_instances:
            raise UnsafeArchive(f"archive holds more than {limits.max_instances} files")
        if info.file_size > limits.max_instance_bytes:
            raise UploadTooLarge(
                f"archive member {len(members)} declares {info.file_size} bytes, more than "
                f"the limit of {limits.max_instance_bytes} bytes per instance"
            )
        declared_total += info.file_size
        if declared_total > limits.max_upload_bytes:
            raise UnsafeArchive(
                f"archive declares more than {limits.max_upload_bytes} uncompressed bytes"
            )
    return members


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: UploadLimits) -> bytes:
    """A member's bytes, refusing one that inflates beyond what it declared (a zip bomb)."""
    allowed = min(info.file_size, limits.max_instance_bytes)
    chunks: list[bytes] = []
    size = 0
    try:
        with archive.open(info) as member:
            while chunk := member.read(READ_CHUNK_BYTES):
                size += len(chunk)
                if size > allowed:
                    raise UnsafeArchive("archive member inflates beyond its declared size")
                chunks.append(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, ValueError) as exc:
        raise UnsafeArchive(f"archive member cannot be read ({type(exc).__name__})") from None
    return b"".join(chunks)


# Directories and ignored members (DICOMDIR, __MACOSX/) an archive may hold beside images.
_MEMBER_ALLOWANCE = 1000
_EOCD = b"PK\x05\x06"
_ZIP64_LOCATOR = b"PK\x06\x07"
_ZIP64_EOCD = b"PK\x06\x06"


def _declared_entries(archive: IO[bytes]) -> int | None:
    """The entry count the archive's end-of-central-directory record declares (ZIP64 too),
    read from its last 64 KiB; None when there is no such record (not a ZIP)."""
    size = archive.seek(0, 2)
    tail_start = max(0, size - (22 + 65535))
    archive.seek(tail_start)
    tail = archive.read()
    archive.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        return None
    (entries,) = struct.unpack_from("<H", tail, at + 10)
    if entries != 0xFFFF:
        return int(entries)
    locator = at - 20
    if locator < 0 or tail[locator:locator + 4] != _ZIP64_LOCATOR:
        return None
    (record_offset,) = struct.unpack_from("<Q", tail, locator + 8)
    archive.seek(record_offset)
    record = archive.read(56)
    archive.seek(0)
    if len(record) < 40 or record[:4] != _ZIP64_EOCD:
        return None
    (total,) = struct.unpack_from("<Q", record, 32)
    return int(total)


def upload_zip(
    store: DicomStore,
    archive: BinaryIO,
    *,
    expected_patient_id: str | None = None,
    limits: UploadLimits | None = None,
    on_progress: ProgressCallback | None = None,
    manifest: StudyManifest | None = None,
) -> UploadResult:
    """Validate every member of a ZIP of DICOM files, then store them all, or store nothing.

    With `manifest`, the archive must hold exactly the manifest's instances with its bytes.
    """
    limits = limits or UploadLimits()
    spooled = _spool_archive(archive, limits)
    try:
        declared = _declared_entries(spooled)
        # Checked before zipfile reads the central directory: it makes an object per entry.
        if declared is not None and declared > limits.max_instances + _MEMBER_ALLOWANCE:
            raise UnsafeArchive(f"archive declares {declared} members; at most "
                                f"{limits.max_instances} instances are accepted")
        try:
            opened = zipfile.ZipFile(spooled)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise UnsafeArchive(f"not a readable ZIP archive ({type(exc).__name__})") from None
        with opened:
            members = _archive_members(opened, limits)
            validation = _Validation(
                expected_patient_id=expected_patient_id,
                limits=limits,
                manifest=manifest,
                on_progress=on_progress,
                instances_total=len(members),
                bytes_total=sum(info.file_size for info in members),
            )
            for index, info in enumerate(members, start=1):
                position = f"archive member {index}"
                try:
                    data = _read_member(opened, info, limits)
                    validation.count_file(len(data))
                except DicomInvalid as exc:
                    raise _at(position, exc) from None

                def read_again(info: zipfile.ZipInfo = info) -> bytes:
                    return _read_member(opened, info, limits)

                validation.add(data, position, read_again)
            staged = validation.finish()
            return _store_all(
                store, staged, expected_patient_id=expected_patient_id, on_progress=on_progress
            )
    finally:
        spooled.close()
