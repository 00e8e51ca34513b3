"""Effective permissions of a user and the tenant administrator's changes to roles."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from api.errors import Invalid, NotFound
from api.roles.catalog import (
    ADMIN_LOCKOUT_GUARD,
    DEFAULT_PERMISSIONS,
    PATIENT_ONLY_PERMISSIONS,
    PERMISSIONS,
    SYSTEM_ONLY_PERMISSIONS,
    TENANT_CONFIGURABLE_ROLES,
    Role,
)
from api.roles.models import RolePermissionOverride


def _overrides(
    session: Session, organization_id: uuid.UUID, roles: list[Role]
) -> list[RolePermissionOverride]:
    return list(session.scalars(
        select(RolePermissionOverride).where(
            RolePermissionOverride.organization_id == organization_id,
            RolePermissionOverride.role.in_([r.value for r in roles]),
        )
    ))


def role_permissions(session: Session, organization_id: uuid.UUID | None, role: Role) -> set[str]:
    perms = set(DEFAULT_PERMISSIONS[role])
    if organization_id is None or role not in TENANT_CONFIGURABLE_ROLES:
        return perms
    return _with_overrides(perms, _overrides(session, organization_id, [role]))


def _with_overrides(perms: set[str], overrides: Iterable[RolePermissionOverride]) -> set[str]:
    for o in overrides:
        if o.granted:
            perms.add(o.permission)
        else:
            perms.discard(o.permission)
    return perms


def permissions_of(roles: Iterable[Role],
                   overrides: Iterable[tuple[str, str, bool]]) -> frozenset[str]:
    """The union of the roles' permissions, given their organisation's overrides as
    (role, permission, granted), read with the sign-in (configurable roles only count)."""
    perms: set[str] = set()
    for role in roles:
        own = set(DEFAULT_PERMISSIONS[role])
        if role in TENANT_CONFIGURABLE_ROLES:
            for name, permission, granted in overrides:
                if name == role.value:
                    (own.add if granted else own.discard)(permission)
        perms |= own
    return frozenset(perms)


def effective_permissions(
    session: Session, organization_id: uuid.UUID | None, roles: list[Role]
) -> frozenset[str]:
    """`permissions_of` the roles, their organisation's overrides read here (one query, none
    when no role is configurable)."""
    configurable = [r for r in roles if r in TENANT_CONFIGURABLE_ROLES]
    overrides = [] if organization_id is None or not configurable else [
        (o.role, o.permission, o.granted) for o in _overrides(session, organization_id,
                                                              configurable)]
    return permissions_of(roles, overrides)


def set_role_permissions(
    session: Session,
    organization_id: uuid.UUID,
    role_name: str,
    permissions: list[str],
    changed_by: uuid.UUID,
) -> set[str]:
    """Make `permissions` the role's exact permission set in this organisation."""
    try:
        role = Role(role_name)
    except ValueError:
        raise NotFound(f"there is no role {role_name!r}") from None
    if role not in TENANT_CONFIGURABLE_ROLES:
        raise Invalid(f"the role {role.value!r} cannot be configured by an organisation")
    wanted = set(permissions)
    unknown = wanted - set(PERMISSIONS)
    if unknown:
        raise Invalid(f"unknown permissions: {', '.join(sorted(unknown))}")
    system_only = wanted & (SYSTEM_ONLY_PERMISSIONS | PATIENT_ONLY_PERMISSIONS)
    if system_only:
        raise Invalid(f"not grantable by an organisation: {', '.join(sorted(system_only))}")
    if role is Role.org_admin and not wanted >= ADMIN_LOCKOUT_GUARD:
        raise Invalid("org_admin must keep role:read and role:update, or nobody could undo this")
    defaults = set(DEFAULT_PERMISSIONS[role])
    session.execute(delete(RolePermissionOverride).where(
        RolePermissionOverride.organization_id == organization_id,
        RolePermissionOverride.role == role.value,
    ))
    for perm in sorted(wanted - defaults):
        session.add(RolePermissionOverride(organization_id=organization_id, role=role.value,
                                           permission=perm, granted=True, changed_by=changed_by))
    for perm in sorted(defaults - wanted):
        session.add(RolePermissionOverride(organization_id=organization_id, role=role.value,
                                           permission=perm, granted=False, changed_by=changed_by))
    session.flush()
    return wanted
