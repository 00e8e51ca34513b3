"""Records as the database knows them: capsule and metadata, never plaintext."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class Record(Base):
    """One version of a FHIR resource of a patient. The ciphertext is the blob `cid`; the
    capsule opens it only with the patient's key or a grant's capsule fragments. Versions
    link to their predecessor and are never changed."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_patient_category", "patient_id", "category"),
        Index("ix_records_lineage", "lineage_id", "version"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    author_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    author_org_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organizations.id"),
                                                            nullable=True)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    resource_type: Mapped[str] = mapped_column(String(64), nullable=False)
    cid: Mapped[str] = mapped_column(String(100), nullable=False)
    capsule: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    # The patient's Umbral public key the record was encrypted to (hex, compressed).
    delegating_key: Mapped[str] = mapped_column(String(66), nullable=False)
    # SHA-256 of the ciphertext, not of the plaintext: a plaintext hash would let anyone who
    # can guess a record (a common lab result) confirm the guess.
    ciphertext_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    # The first version's id, shared by every version of the resource.
    lineage_id: Mapped[uuid.UUID] = mapped_column(nullable=False)
    # Unique: a version is superseded at most once, so concurrent updates cannot fork.
    previous_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"),
                                                          nullable=True, unique=True)
    created_at: Mapped[datetime] = created_at_column()
