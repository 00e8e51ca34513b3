"""Imaging studies as the database knows them: where the study lives (the uploader's PACS),
its manifest (per instance SHA-256 and size) and its encrypted archive blob, never pixels."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class ImagingStudy(Base):
    """One uploaded DICOM study of a patient, filed as an ImagingStudy record (`record_id`).

    The archive (a ZIP of the instances) is encrypted to the patient like a record: the
    ciphertext is the blob `archive_cid`, opened by `archive_capsule` with the patient's key
    or a grant's capsule fragments.
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
    created_at: Mapped[datetime] = created_at_column()

    @property
    def capsule(self) -> bytes:
        """The archive's capsule (what re-encryption for a grantee works on)."""
        return self.archive_capsule
