"""An organisation's staff: accounts made, listed and changed by its administrators, inside
the organisation's tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.errors import Conflict, Invalid, NotFound
from api.identity.models import User, UserRole
from api.identity.service import IdentityPorts, create_staff
from api.paging import PageRequest
from api.roles.catalog import Role
from api.tenants.models import Organization
from api.tenants.roles import ASSIGNABLE_ROLES


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
    session: Session, ports: IdentityPorts, org: Organization, *, email: str, full_name: str,
    password: str, roles: list[str],
) -> User:
    if not org.is_active:
        raise Conflict("the organisation is deactivated")
    return create_staff(
        session, ports, organization_id=org.id, email=email, password=password,
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

