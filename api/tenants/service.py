"""Tenant use cases: organisations and their staff, always inside the caller's tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.access.catalog import ASSIGNABLE_ROLES, Role
from api.composition import Container
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.identity import service as identity
from api.identity.models import User, UserRole
from api.paging import PageRequest
from api.tenants.models import Organization, OrganizationKind


def create_organization(session: Session, name: str, kind: OrganizationKind) -> Organization:
    org = Organization(name=name.strip(), kind=kind)
    session.add(org)
    session.flush()
    return org


def visible_organization(
    session: Session, organization_id: uuid.UUID, *, caller_org: uuid.UUID | None,
    system: bool,
) -> Organization:
    """The organisation if the caller belongs to it (or is a system admin); else 404."""
    if not system and caller_org != organization_id:
        raise NotFound("no such organisation")
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("no such organisation")
    return org


def list_organizations(
    session: Session, *, caller_org: uuid.UUID | None, system: bool, page: PageRequest
) -> list[Organization]:
    query = select(Organization).order_by(Organization.name, Organization.id)
    if not system:
        query = query.where(Organization.id == caller_org)
    return list(session.scalars(query.limit(page.limit).offset(page.offset)))


def update_organization(
    org: Organization, *, name: str | None, is_active: bool | None, system: bool
) -> None:
    """Rename, deactivate or reactivate. Deactivating ends its staff's access at their next
    request (identity.active_session_user); an organisation's own admin may do it, but only
    a system administrator may undo it."""
    if is_active and not org.is_active and not system:
        raise Forbidden("only a system administrator can reactivate an organisation")
    if name is not None:
        org.name = name.strip()
    if is_active is not None:
        org.is_active = is_active


def directory(
    session: Session, *, kind: OrganizationKind | None, q: str | None, limit: int, offset: int
) -> list[Organization]:
    query = select(Organization).where(Organization.is_active.is_(True))
    if kind is not None:
        query = query.where(Organization.kind == kind)
    if q:
        escaped = q.lower().replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
        pattern = f"%{escaped}%"
        query = query.where(func.lower(Organization.name).like(pattern, escape="\\"))
    return list(session.scalars(query.order_by(Organization.name).limit(limit).offset(offset)))


def _roles_for(org: Organization, names: list[str]) -> list[Role]:
    roles: list[Role] = []
    for name in dict.fromkeys(names):
        try:
            role = Role(name)
        except ValueError:
            raise Invalid(f"there is no role {name!r}") from None
        if role not in ASSIGNABLE_ROLES[org.kind]:
            raise Invalid(f"a {org.kind.value} cannot have members with the role {role.value!r}")
        roles.append(role)
    return roles


def add_member(
    session: Session, container: Container, org: Organization, *, email: str, full_name: str,
    password: str, roles: list[str],
) -> User:
    if not org.is_active:
        raise Conflict("the organisation is deactivated")
    return identity.create_staff(
        session, container, organization_id=org.id, email=email, password=password,
        full_name=full_name, roles=_roles_for(org, roles),
    )


def list_members(session: Session, org: Organization, *, page: PageRequest) -> list[User]:
    return list(session.scalars(
        select(User).where(User.organization_id == org.id).order_by(User.full_name, User.id)
        .limit(page.limit).offset(page.offset)
    ))


def get_member(session: Session, org: Organization, user_id: uuid.UUID) -> User:
    user = session.scalar(select(User).where(User.id == user_id, User.organization_id == org.id))
    if user is None:
        raise NotFound("no such member")
    return user


def update_member(
    session: Session, org: Organization, member: User, *, roles: list[str] | None,
    is_active: bool | None, acting_user: uuid.UUID,
) -> User:
    if roles is not None:
        new_roles = _roles_for(org, roles)
        if member.id == acting_user and Role.org_admin in {Role(r) for r in member.role_names} \
                and Role.org_admin not in new_roles:
            raise Invalid("you cannot remove your own org_admin role")
        member.roles = [UserRole(role=r.value, organization_id=org.id) for r in new_roles]
    if is_active is not None:
        if member.id == acting_user and not is_active:
            raise Invalid("you cannot deactivate your own account")
        # An inactive account fails authentication on its next request (deps.authenticate).
        member.is_active = is_active
    session.flush()
    return member


def count_admins(session: Session, org: Organization) -> int:
    return int(session.scalar(
        select(func.count()).select_from(UserRole).where(
            UserRole.organization_id == org.id, UserRole.role == Role.org_admin.value)
    ) or 0)

