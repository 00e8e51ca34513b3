"""A person's notifications. The text names events, never clinical content."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[uuid.UUID] = uuid_pk()
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                               nullable=False, index=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    message: Mapped[str] = mapped_column(String(500), nullable=False)
    subject_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)


def notify(session: Session, *, user_id: uuid.UUID, kind: str, message: str,
           subject_id: str | None = None) -> Notification:
    note = Notification(user_id=user_id, kind=kind, message=message, subject_id=subject_id)
    session.add(note)
    return note
