"""Which custodial wallet belongs to whom; the keys themselves are in the sealed keystore."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column


class KeyCustody(Base):
    """Ethereum keys the service holds for people or organisations without a wallet of their
    own (the convenience tier): the key itself is in the sealed keystore, never here."""

    __tablename__ = "custodial_wallets"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    keystore_item: Mapped[str] = mapped_column(String(80), nullable=False, unique=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), nullable=True,
                                                      unique=True)
    organization_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("organizations.id"), nullable=True, unique=True
    )
    created_at: Mapped[datetime] = created_at_column()
