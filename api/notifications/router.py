"""HTTP routes of notifications: one's own, marking them read, and which come by email."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from api.db.base import utcnow
from api.deps import Principal, SystemDB, authenticated
from api.errors import NotFound, problem_responses
from api.identity.models import User
from api.notifications import service
from api.notifications.models import Notification, NotificationKind
from api.paging import Page
from api.roles.catalog import Role

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


class NotificationPreferences(BaseModel):
    """Per kind, whether it also comes by email (the inbox gets every kind). Emails go only
    to a confirmed address."""

    email: dict[NotificationKind, bool]
    email_address_confirmed: bool


class NotificationPreferencesUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: dict[NotificationKind, bool]


def _kinds(principal: Principal) -> list[NotificationKind]:
    return service.kinds_for(patient=Role.patient in principal.roles)


def _preferences(db: SystemDB, user_id: uuid.UUID,
                 chosen: dict[NotificationKind, bool]) -> NotificationPreferences:
    user = db.get(User, user_id)
    return NotificationPreferences(
        email=chosen, email_address_confirmed=user is not None
        and user.email_confirmed_at is not None)


@router.get("/me/notification-preferences", responses=problem_responses(401))
def my_notification_preferences(
    principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
) -> NotificationPreferences:
    """Per kind, whether it comes by email too; and whether the address is confirmed (no
    notification emails until it is)."""
    return _preferences(db, principal.user_id, service.email_preferences(
        db, principal.user_id, kinds=_kinds(principal)))


@router.put("/me/notification-preferences", responses=problem_responses(401, 422))
def set_my_notification_preferences(
    body: NotificationPreferencesUpdate,
    principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
) -> NotificationPreferences:
    """Choose, per kind, whether it comes by email; kinds not named stay as they were."""
    return _preferences(db, principal.user_id, service.set_email_preferences(
        db, principal.user_id, body.email, kinds=_kinds(principal)))
