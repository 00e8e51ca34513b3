"""HTTP routes of notifications: one's own, and marking them read."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel
from sqlalchemy import select

from api.db.base import utcnow
from api.deps import Principal, SystemDB, authenticated
from api.errors import NotFound
from api.notifications.models import Notification
from api.paging import Page

router = APIRouter(tags=["notifications"])


class NotificationOut(BaseModel):
    id: uuid.UUID
    kind: str
    message: str
    subject_id: str | None
    created_at: datetime
    read_at: datetime | None


def _out(n: Notification) -> NotificationOut:
    return NotificationOut(id=n.id, kind=n.kind, message=n.message, subject_id=n.subject_id,
                           created_at=n.created_at, read_at=n.read_at)


@router.get("/me/notifications")
def my_notifications(
    principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
    page: Page, unread: Annotated[bool, Query()] = False,
) -> list[NotificationOut]:
    """One's notifications, newest first, one page."""
    query = select(Notification).where(Notification.user_id == principal.user_id)
    if unread:
        query = query.where(Notification.read_at.is_(None))
    return [_out(n) for n in db.scalars(
        query.order_by(Notification.created_at.desc(), Notification.id)
        .limit(page.limit).offset(page.offset))]


@router.post("/me/notifications/{notification_id}/read")
def mark_read(
    notification_id: uuid.UUID, principal: Annotated[Principal, Depends(authenticated)],
    db: SystemDB,
) -> NotificationOut:
    note = db.get(Notification, notification_id)
    if note is None or note.user_id != principal.user_id:
        raise NotFound("no such notification")
    note.read_at = note.read_at or utcnow()
    return _out(note)
