"""Every mapped model, imported in one place so Alembic and create_all see the whole schema."""

from api.audit.models import AccessLogEntry, AuditBatch
from api.consent.models import BreakGlassAccess, Consent
from api.custody.models import KeyCustody
from api.identity.models import AuthSession, RefreshToken, SiweNonce, User, UserRole
from api.imaging.models import ImagingReport, ImagingStudy, ImagingUpload
from api.keys.models import UmbralKeys
from api.ledger.models import ChainCursor, ChainNonce, OutboxTransaction
from api.notifications.models import Notification
from api.records.models import Record
from api.roles.models import RolePermissionOverride
from api.scheduling.models import (
    Appointment,
    Encounter,
    PractitionerProfile,
    Resource,
    Schedule,
    ScheduleException,
)
from api.tenants.models import Organization

__all__ = [
    "AccessLogEntry",
    "Appointment",
    "AuditBatch",
    "AuthSession",
    "BreakGlassAccess",
    "ChainCursor",
    "ChainNonce",
    "Consent",
    "Encounter",
    "ImagingReport",
    "ImagingStudy",
    "ImagingUpload",
    "KeyCustody",
    "Notification",
    "Organization",
    "OutboxTransaction",
    "PractitionerProfile",
    "Record",
    "RefreshToken",
    "Resource",
    "RolePermissionOverride",
    "Schedule",
    "ScheduleException",
    "SiweNonce",
    "UmbralKeys",
    "User",
    "UserRole",
]
