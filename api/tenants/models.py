"""Organisation rows. The directory of organisations is public metadata (no RLS)."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import Enum, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class OrganizationKind(enum.StrEnum):
    hospital = "hospital"
    clinic = "clinic"
    lab = "lab"
    radiology = "radiology"
    pharmacy = "pharmacy"
    insurer = "insurer"
    drug_vendor = "drug_vendor"


class Organization(Base):
    __tablename__ = "organizations"

    id: Mapped[uuid.UUID] = uuid_pk()
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[OrganizationKind] = mapped_column(
        Enum(OrganizationKind, native_enum=False, length=32, validate_strings=True),
        nullable=False,
    )
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    eth_address: Mapped[str | None] = mapped_column(String(42), unique=True, nullable=True)
    umbral_public_key: Mapped[str | None] = mapped_column(String(66), nullable=True)
    # The postal address printed on its invoices (one line, comma-separated); optional.
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
