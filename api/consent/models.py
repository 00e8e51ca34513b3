"""Consents as the service knows them: the signed grant, its chain status and, for patients
who hold their own Umbral keys, the sealed key fragments it carries."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Enum, ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, utcnow, uuid_pk


class ConsentStatus(enum.StrEnum):
    pending = "pending"  # signed and queued; not yet confirmed on chain
    active = "active"  # confirmed on chain
    rejected = "rejected"  # the chain refused it
    revoked = "revoked"  # the patient revoked it (kfrags destroyed at once)
    expired = "expired"


class Consent(Base):
    __tablename__ = "consents"
    __table_args__ = (
        UniqueConstraint("grant_id"),
        UniqueConstraint("patient_address", "nonce", name="uq_consents_patient_nonce"),
        Index("ix_consents_grantee_org", "grantee_org_id", "status"),
        Index("ix_consents_patient", "patient_id", "status"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    patient_address: Mapped[str] = mapped_column(String(42), nullable=False)
    grantee_org_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True
    )
    grantee_user_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), nullable=True
    )
    grantee_address: Mapped[str] = mapped_column(String(42), nullable=False)
    scope: Mapped[str] = mapped_column(String(160), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    data_from: Mapped[datetime | None] = mapped_column(nullable=True)
    data_to: Mapped[datetime | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    nonce: Mapped[int] = mapped_column(nullable=False)
    grant_id: Mapped[str] = mapped_column(String(66), nullable=False)
    typed_data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    signature: Mapped[str] = mapped_column(String(200), nullable=False)
    status: Mapped[ConsentStatus] = mapped_column(
        Enum(ConsentStatus, native_enum=False, length=16, validate_strings=True),
        nullable=False, default=ConsentStatus.pending,
    )
    status_detail: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signed_by_custodial_key: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Umbral material for proxy re-encryption (patients holding their own keys).
    kfrags_sealed: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    verifying_key: Mapped[str | None] = mapped_column(String(66), nullable=True)
    revocation_nonce: Mapped[int | None] = mapped_column(nullable=True)
    revocation_signature: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    confirmed_block: Mapped[int | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)


class BreakGlassAccess(Base):
    """An emergency read without consent: reason stated, recorded on chain, patient told."""

    __tablename__ = "break_glass_accesses"

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False,
                                                  index=True)
    accessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                       nullable=False, index=True)
    scope: Mapped[str] = mapped_column(String(160), nullable=False)
    reason: Mapped[str] = mapped_column(String(500), nullable=False)
    reason_hash: Mapped[str] = mapped_column(String(66), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = created_at_column()

