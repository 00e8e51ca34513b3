"""Access-log entries and their batches."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class AccessLogEntry(Base):
    """One access attempt. Immutable once written; its leaf hash is fixed at write time."""

    __tablename__ = "access_log_entries"
    __table_args__ = (
        Index("ix_access_log_patient_at", "patient_uhid", "at"),
        Index("ix_access_log_unbatched", "batch"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    at: Mapped[datetime] = mapped_column(nullable=False)
    accessor_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    accessor_uhid: Mapped[str] = mapped_column(String(14), nullable=False)
    accessor_org_id: Mapped[uuid.UUID | None] = mapped_column(nullable=True, index=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    patient_uhid: Mapped[str] = mapped_column(String(14), nullable=False)
    record: Mapped[str] = mapped_column(String(160), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    purpose: Mapped[str] = mapped_column(String(16), nullable=False)
    outcome: Mapped[str] = mapped_column(String(16), nullable=False)  # granted | denied
    basis: Mapped[str] = mapped_column(String(16), nullable=False)  # grant|break_glass|owner|none
    grant_id: Mapped[str | None] = mapped_column(String(66), nullable=True)
    leaf: Mapped[str] = mapped_column(String(66), nullable=False)
    batch: Mapped[int | None] = mapped_column(BigInteger, nullable=True)


class AuditBatch(Base):
    __tablename__ = "audit_batches"

    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    root: Mapped[str] = mapped_column(String(66), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    anchored_block: Mapped[int | None] = mapped_column(nullable=True)
    anchored_at: Mapped[datetime | None] = mapped_column(nullable=True)


