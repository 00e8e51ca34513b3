"""The published Umbral keys of each party (public halves only)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, utcnow, uuid_pk


class UmbralKeys(Base):
    """A party's published Umbral keys: the public key records (or re-encryptions) are
    encrypted to, and the verifying key its kfrags are signed with. Public halves only."""

    __tablename__ = "umbral_keys"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True,
                                                      unique=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True, unique=True
    )
    umbral_public_key: Mapped[str] = mapped_column(String(66), nullable=False)
    verifying_key: Mapped[str] = mapped_column(String(66), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, nullable=False)
