"""Imaging studies as the database knows them: where the study lives (the uploader's PACS),
its manifest (per instance SHA-256 and size) and its encrypted archive blob, never pixels."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, utcnow, uuid_pk

ARCHIVE_WHOLE_UMBRAL = 1  # the archive is one Umbral ciphertext (studies filed before 0006)
ARCHIVE_STREAMED = 2  # reencryption.streaming under a data key sealed with Umbral


class ImagingStudy(Base):
    """One uploaded DICOM study of a patient, filed as an ImagingStudy record (`record_id`).

    The archive (a ZIP of the instances) is encrypted under a random data key as a stream of
    AES-256-GCM segments (`reencryption.streaming`), stored as the blob `archive_cid`; the
    data key is encrypted to the patient with Umbral (`archive_key_ciphertext`, opened by
    `archive_capsule` with the patient's key or a grant's capsule fragments). Studies filed
    before streaming (format 1) hold the whole archive as one Umbral ciphertext instead.
    """

    __tablename__ = "imaging_studies"
    __table_args__ = (Index("ix_imaging_studies_patient", "patient_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"), nullable=False,
                                                 unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    uploader_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                       nullable=False)
    study_instance_uid: Mapped[str] = mapped_column(String(64), nullable=False)
    instance_count: Mapped[int] = mapped_column(nullable=False)
    series_count: Mapped[int] = mapped_column(nullable=False)
    total_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False)
    manifest: Mapped[str] = mapped_column(Text, nullable=False)
    manifest_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    archive_cid: Mapped[str] = mapped_column(String(100), nullable=False)
    archive_capsule: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    delegating_key: Mapped[str] = mapped_column(String(66), nullable=False)
    archive_size: Mapped[int] = mapped_column(BigInteger, nullable=False)
    archive_format: Mapped[int] = mapped_column(nullable=False, default=ARCHIVE_STREAMED)
    archive_key_ciphertext: Mapped[bytes | None] = mapped_column(LargeBinary)
    # JSON list of {series_instance_uid, modality, instances: [SOP Instance UIDs]} for
    # viewers: UIDs and modalities only (descriptions stay in the encrypted record).
    series_index: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    @property
    def capsule(self) -> bytes:
        """The archive's capsule (what re-encryption for a grantee works on)."""
        return self.archive_capsule


class ImagingReport(Base):
    """A radiologist's DiagnosticReport record about a study (the record itself, encrypted,
    references the study's ImagingStudy record)."""

    __tablename__ = "imaging_reports"
    __table_args__ = (Index("ix_imaging_reports_study", "study_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    study_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("imaging_studies.id"),
                                                nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"), nullable=False,
                                                 unique=True)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class UploadStatus(enum.StrEnum):
    processing = "processing"
    completed = "completed"
    failed = "failed"


class ImagingUpload(Base):
    """Progress and outcome of one study upload, for the uploader's institution to follow
    (`GET /imaging/uploads/{upload_id}`) while the request is being processed. The id is the
    client's (`?upload_id=`), unique within the institution."""

    __tablename__ = "imaging_uploads"
    __table_args__ = (UniqueConstraint("organization_id", "upload_id"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                       nullable=False)
    upload_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    phase: Mapped[str | None] = mapped_column(String(16))
    instances_done: Mapped[int] = mapped_column(nullable=False, default=0)
    instances_total: Mapped[int | None] = mapped_column()
    bytes_done: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    bytes_total: Mapped[int | None] = mapped_column(BigInteger)
    study_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("imaging_studies.id"))
    error_status: Mapped[int | None] = mapped_column()
    error_detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(nullable=False, default=utcnow)
