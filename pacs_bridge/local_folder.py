"""LocalFolderDicomStore: the embedded DicomStore, DICOM files in a folder with a SQLite index.

Layout under the folder given to the constructor:

    instances/<StudyUID>/<SeriesUID>/<SOPInstanceUID>.dcm   the exact bytes stored
    index.sqlite3                                           identity, size, SHA-256
    incoming/                                               partial writes

The index is derived from the files (read with pydicom): if it is missing it is rebuilt from
them. UIDs are validated before they become path components, so names cannot escape the
folder. Writers serialise on SQLite's write lock, so several processes may share a folder.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from pacs_bridge.errors import (
    DicomNotFound,
    DicomStoreError,
    DicomStoreUnavailable,
    DuplicateInstanceConflict,
)
from pacs_bridge.model import (
    InstanceIdentity,
    InstanceSummary,
    StoredInstance,
    StudySummary,
    ValidatedInstance,
)
from pacs_bridge.preview import DEFAULT_PREVIEW_SIZE, render_preview_png
from pacs_bridge.store import write_instances_zip
from pacs_bridge.validation import (
    DEFAULT_MAX_INSTANCE_BYTES,
    identify_dataset,
    parse_dicom,
    read_instance_bytes,
    sha256_hex,
    validate_instance,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    sop_instance_uid    TEXT PRIMARY KEY,
    study_instance_uid  TEXT NOT NULL,
    series_instance_uid TEXT NOT NULL,
    sop_class_uid       TEXT NOT NULL,
    patient_id          TEXT NOT NULL,
    modality            TEXT NOT NULL,
    study_date          TEXT,
    study_description   TEXT,
    sha256              TEXT NOT NULL,
    size                INTEGER NOT NULL,
    relative_path       TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS instances_by_study ON instances (study_instance_uid);
CREATE INDEX IF NOT EXISTS instances_by_patient ON instances (patient_id);
"""

_INSTANCE_COLUMNS = (
    "sop_instance_uid, study_instance_uid, series_instance_uid, sop_class_uid, patient_id, "
    "modality, study_date, study_description, sha256, size"
)


@contextlib.contextmanager
def _folder_errors_as_unavailable() -> Iterator[None]:
    """A missing, unreadable or full folder is the embedded store being down."""
    try:
        yield
    except DicomStoreError:
        raise
    except (OSError, sqlite3.OperationalError, sqlite3.DatabaseError) as exc:
        raise DicomStoreUnavailable(
            f"local DICOM folder is unavailable ({type(exc).__name__})"
        ) from exc


def _stored_from_row(row: sqlite3.Row, *, newly_stored: bool) -> StoredInstance:
    identity = InstanceIdentity(
        sop_instance_uid=row["sop_instance_uid"],
        study_instance_uid=row["study_instance_uid"],
        series_instance_uid=row["series_instance_uid"],
        sop_class_uid=row["sop_class_uid"],
        patient_id=row["patient_id"],
        modality=row["modality"],
        study_date=row["study_date"],
        study_description=row["study_description"],
    )
    return StoredInstance(
        identity=identity, sha256=row["sha256"], size=row["size"], newly_stored=newly_stored
    )


class LocalFolderDicomStore:
    """DICOM files in a folder, indexed by Study/Series/SOP Instance UID."""

    def __init__(
        self, root: str | os.PathLike[str], *, max_instance_bytes: int = DEFAULT_MAX_INSTANCE_BYTES
    ) -> None:
        self.root = Path(root)
        self.max_instance_bytes = max_instance_bytes
        self._instances_dir = self.root / "instances"
        self._incoming_dir = self.root / "incoming"
        self._index_path = self.root / "index.sqlite3"
        with _folder_errors_as_unavailable():
            self._instances_dir.mkdir(parents=True, exist_ok=True)
            self._incoming_dir.mkdir(parents=True, exist_ok=True)
            index_existed = self._index_path.exists()
            with self._connect() as connection:
                connection.executescript(_SCHEMA)
            if not index_existed:
                self.rebuild_index()

    # -- index ---------------------------------------------------------------------------

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if not self.root.is_dir():
            raise DicomStoreUnavailable("local DICOM folder does not exist")
        connection = sqlite3.connect(self._index_path, timeout=30.0, isolation_level=None)
        try:
            connection.row_factory = sqlite3.Row
            connection.execute("PRAGMA journal_mode=WAL")
            yield connection
        finally:
            connection.close()

    def rebuild_index(self) -> int:
        """Re-read every stored file with pydicom and rebuild the index; return the count."""
        with _folder_errors_as_unavailable(), self._connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                connection.execute("DELETE FROM instances")
                count = 0
                for path in sorted(self._instances_dir.glob("*/*/*.dcm")):
                    data = path.read_bytes()
                    identity = identify_dataset(parse_dicom(data))
                    self._insert(connection, identity, sha256_hex(data), len(data), path)
                    count += 1
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return count

    def _insert(
        self,
        connection: sqlite3.Connection,
        identity: InstanceIdentity,
        sha256: str,
        size: int,
        path: Path,
    ) -> None:
        connection.execute(
            f"INSERT INTO instances ({_INSTANCE_COLUMNS}, relative_path) "  # noqa: S608 - constant
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                identity.sop_instance_uid,
                identity.study_instance_uid,
                identity.series_instance_uid,
                identity.sop_class_uid,
                identity.patient_id,
                identity.modality,
                identity.study_date,
                identity.study_description,
                sha256,
                size,
                str(path.relative_to(self.root)),
            ),
        )

    def _instance_row(self, connection: sqlite3.Connection, sop_instance_uid: str) -> sqlite3.Row:
        row: sqlite3.Row | None = connection.execute(
            f"SELECT {_INSTANCE_COLUMNS}, relative_path FROM instances "  # noqa: S608 - constant
            "WHERE sop_instance_uid = ?",
            (sop_instance_uid,),
        ).fetchone()
        if row is None:
            raise DicomNotFound(f"no instance {sop_instance_uid} in this store")
        return row

    def _study_rows(self, study_instance_uid: str) -> list[sqlite3.Row]:
        with self._connect() as connection:
            rows = connection.execute(
                "SELECT sop_instance_uid, series_instance_uid, study_instance_uid, size, "
                "relative_path FROM instances WHERE study_instance_uid = ? "
                "ORDER BY series_instance_uid, sop_instance_uid",
                (study_instance_uid,),
            ).fetchall()
        if not rows:
            raise DicomNotFound(f"no study {study_instance_uid} in this store")
        return rows

    # -- DicomStore ----------------------------------------------------------------------

    def store_instance(
        self, source: bytes | BinaryIO, *, expected_patient_id: str | None = None
    ) -> StoredInstance:
        data = read_instance_bytes(source, max_instance_bytes=self.max_instance_bytes)
        validated = validate_instance(
            data,
            expected_patient_id=expected_patient_id,
            max_instance_bytes=self.max_instance_bytes,
        )
        with _folder_errors_as_unavailable(), self._connect() as connection:
            # The write lock spans check, file write and insert, so two writers of the same
            # SOP Instance UID cannot overwrite each other's file.
            connection.execute("BEGIN IMMEDIATE")
            try:
                stored = self._store_locked(connection, data, validated)
                connection.execute("COMMIT")
            except BaseException:
                connection.execute("ROLLBACK")
                raise
        return stored

    def _store_locked(
        self, connection: sqlite3.Connection, data: bytes, validated: ValidatedInstance
    ) -> StoredInstance:
        identity = validated.identity
        try:
            existing = self._instance_row(connection, identity.sop_instance_uid)
        except DicomNotFound:
            existing = None
        if existing is not None:
            if existing["sha256"] != validated.sha256:
                raise DuplicateInstanceConflict(
                    f"instance {identity.sop_instance_uid} is already stored with different content"
                )
            return _stored_from_row(existing, newly_stored=False)
        final = (
            self._instances_dir
            / identity.study_instance_uid
            / identity.series_instance_uid
            / f"{identity.sop_instance_uid}.dcm"
        )
        partial = self._incoming_dir / f"{uuid.uuid4().hex}.part"
        try:
            with partial.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(partial, final)
        finally:
            partial.unlink(missing_ok=True)
        try:
            self._insert(connection, identity, validated.sha256, validated.size, final)
        except BaseException:
            final.unlink(missing_ok=True)
            raise
        return StoredInstance(
            identity=identity, sha256=validated.sha256, size=validated.size, newly_stored=True
        )

    def get_instance(self, sop_instance_uid: str) -> bytes:
        with _folder_errors_as_unavailable():
            with self._connect() as connection:
                row = self._instance_row(connection, sop_instance_uid)
            try:
                data: bytes = (self.root / row["relative_path"]).read_bytes()
                return data
            except FileNotFoundError:
                raise DicomNotFound(f"no instance {sop_instance_uid} in this store") from None

    def list_studies(self, patient_id: str | None = None) -> list[StudySummary]:
        query = (
            "SELECT study_instance_uid, MIN(patient_id) AS patient_id, MIN(study_date) AS "
            "study_date, MIN(study_description) AS study_description FROM instances"
        )
        parameters: tuple[str, ...] = ()
        if patient_id is not None:
            query += " WHERE patient_id = ?"
            parameters = (patient_id,)
        query += " GROUP BY study_instance_uid ORDER BY study_instance_uid"
        with _folder_errors_as_unavailable(), self._connect() as connection:
            rows = connection.execute(query, parameters).fetchall()
        return [
            StudySummary(
                study_instance_uid=row["study_instance_uid"],
                patient_id=row["patient_id"],
                study_date=row["study_date"],
                study_description=row["study_description"],
            )
            for row in rows
        ]

    def list_instances(self, study_instance_uid: str) -> list[InstanceSummary]:
        with _folder_errors_as_unavailable():
            rows = self._study_rows(study_instance_uid)
        return [
            InstanceSummary(
                sop_instance_uid=row["sop_instance_uid"],
                series_instance_uid=row["series_instance_uid"],
                study_instance_uid=row["study_instance_uid"],
                size=row["size"],
            )
            for row in rows
        ]

    def export_study(self, study_instance_uid: str) -> Iterator[tuple[str, bytes]]:
        with _folder_errors_as_unavailable():
            rows = self._study_rows(study_instance_uid)
        return self._read_instances(rows)

    def _read_instances(self, rows: list[sqlite3.Row]) -> Iterator[tuple[str, bytes]]:
        for row in rows:
            with _folder_errors_as_unavailable():
                try:
                    data = (self.root / row["relative_path"]).read_bytes()
                except FileNotFoundError:
                    raise DicomNotFound(
                        f"instance {row['sop_instance_uid']} was deleted during the export"
                    ) from None
            yield row["sop_instance_uid"], data

    def export_study_zip(self, study_instance_uid: str, out: BinaryIO) -> int:
        with _folder_errors_as_unavailable():
            rows = self._study_rows(study_instance_uid)
            members = (
                (f"{study_instance_uid}/{row['series_instance_uid']}/{sop}.dcm", data)
                for row, (sop, data) in zip(rows, self._read_instances(rows), strict=True)
            )
            return write_instances_zip(members, out)

    def delete_study(self, study_instance_uid: str) -> None:
        with _folder_errors_as_unavailable():
            with self._connect() as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    rows = connection.execute(
                        "SELECT relative_path FROM instances WHERE study_instance_uid = ?",
                        (study_instance_uid,),
                    ).fetchall()
                    if not rows:
                        raise DicomNotFound(f"no study {study_instance_uid} in this store")
                    connection.execute(
                        "DELETE FROM instances WHERE study_instance_uid = ?", (study_instance_uid,)
                    )
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
            for row in rows:
                self._remove_file(self.root / row["relative_path"])

    def delete_instance(self, sop_instance_uid: str) -> None:
        with _folder_errors_as_unavailable():
            with self._connect() as connection:
                connection.execute("BEGIN IMMEDIATE")
                try:
                    row = self._instance_row(connection, sop_instance_uid)
                    connection.execute(
                        "DELETE FROM instances WHERE sop_instance_uid = ?", (sop_instance_uid,)
                    )
                    connection.execute("COMMIT")
                except BaseException:
                    connection.execute("ROLLBACK")
                    raise
            self._remove_file(self.root / row["relative_path"])

    def _remove_file(self, path: Path) -> None:
        """Remove a file no longer indexed, then its series and study folders once empty."""
        path.unlink(missing_ok=True)
        for folder in (path.parent, path.parent.parent):
            try:
                folder.rmdir()
            except OSError:
                break

    def render_preview(
        self, sop_instance_uid: str, *, max_size: int = DEFAULT_PREVIEW_SIZE
    ) -> bytes:
        data = self.get_instance(sop_instance_uid)
        return render_preview_png(parse_dicom(data, defer_values=False), max_size=max_size)

    def ping(self) -> None:
        with _folder_errors_as_unavailable(), self._connect() as connection:
            connection.execute("SELECT 1").fetchone()
        if not os.access(self._instances_dir, os.W_OK):
            raise DicomStoreUnavailable("local DICOM folder is not writable")
