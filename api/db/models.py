"""Every mapped model, imported in one place so Alembic and create_all see the whole schema."""

from api.access.models import RolePermissionOverride
from api.identity.models import AuthSession, RefreshToken, SiweNonce, User, UserRole
from api.tenants.models import Organization

__all__ = [
    "AuthSession",
    "Organization",
    "RefreshToken",
    "RolePermissionOverride",
    "SiweNonce",
    "User",
    "UserRole",
]
