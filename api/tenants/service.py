"""Tenant use cases: organisations and the directory, always inside the caller's tenant."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.custody.service import new_custodial_wallet
from api.errors import Forbidden, NotFound
from api.paging import PageRequest
from api.tenants.models import Organization, OrganizationKind
from reencryption.keystore import Keystore


def create_organization(session: Session, name: str, kind: OrganizationKind, *,
                        address: str | None = None) -> Organization:
    org = Organization(name=name.strip(), kind=kind, address=address)
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
    org: Organization, *, name: str | None, is_active: bool | None, system: bool,
    address: str | None = None,
) -> None:
    """Rename, deactivate or reactivate. Deactivating ends its staff's access at their next
    request (identity.active_session_user); an organisation's own admin may do it, but only
    a system administrator may undo it."""
    if is_active and not org.is_active and not system:
        raise Forbidden("only a system administrator can reactivate an organisation")
    if name is not None:
        org.name = name.strip()
    if address is not None:
        org.address = address
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


def organization_address(session: Session, keystore: Keystore, org: Organization) -> str:
    """An organisation's on-chain identity: its own address, or one the service holds."""
    if org.eth_address is None:
        org.eth_address = new_custodial_wallet(session, keystore, organization_id=org.id)
        session.flush()
    return org.eth_address
