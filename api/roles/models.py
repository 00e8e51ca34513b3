"""Per-tenant changes to a role's default permissions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, utcnow


class RolePermissionOverride(Base):
    """`granted` True adds the permission to the role in this tenant, False removes it."""

    __tablename__ = "role_permission_overrides"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(32), primary_key=True)
    permission: Mapped[str] = mapped_column(String(64), primary_key=True)
    granted: Mapped[bool] = mapped_column(nullable=False)
    changed_by: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow, nullable=False)
