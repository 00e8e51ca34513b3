"""HTTP routes of tenants: organisations, the directory, role permissions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api.deps import ContainerDep, Principal, TenantDB, authenticated, require
from api.errors import problem_responses
from api.paging import Page
from api.roles import service as roles
from api.roles.catalog import PERMISSIONS, TENANT_CONFIGURABLE_ROLES, Role
from api.tenants import service
from api.tenants.models import Organization, OrganizationKind
from api.tenants.schemas import (
    DirectoryEntry,
    OrganizationCreate,
    OrganizationOut,
    OrganizationUpdate,
    PermissionInfo,
    RolePermissions,
    RolePermissionsUpdate,
)

router = APIRouter(tags=["tenants"])
ERRORS = problem_responses(401, 403, 404, 422)


def _org_out(org: Organization) -> OrganizationOut:
    return OrganizationOut(id=org.id, name=org.name, kind=org.kind, address=org.address,
                           is_active=org.is_active, created_at=org.created_at)


def _visible(db: TenantDB, principal: Principal, organization_id: uuid.UUID) -> Organization:
    return service.visible_organization(db, organization_id, caller_org=principal.organization_id,
                                        system=principal.is_system_admin)


@router.post("/organizations", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_organization(
    body: OrganizationCreate,
    principal: Annotated[Principal, Depends(require("organization:create"))], db: TenantDB,
    container: ContainerDep,
) -> OrganizationOut:
    """Create a tenant (system administrators). It gets an Ethereum address at once (held by
    the service until the organisation registers its own), so patients can grant it access."""
    org = service.create_organization(db, body.name, body.kind, address=body.address)
    service.organization_address(db, container.keystore, org)
    return _org_out(org)


@router.get("/organizations", responses=ERRORS)
def list_organizations(
    principal: Annotated[Principal, Depends(require("organization:read"))], db: TenantDB,
    page: Page,
) -> list[OrganizationOut]:
    """All organisations for system administrators; one's own for everyone else."""
    return [_org_out(o) for o in service.list_organizations(
        db, caller_org=principal.organization_id, system=principal.is_system_admin, page=page)]


@router.get("/organizations/{organization_id}", responses=ERRORS)
def get_organization(
    organization_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("organization:read"))], db: TenantDB,
) -> OrganizationOut:
    return _org_out(_visible(db, principal, organization_id))


@router.patch("/organizations/{organization_id}", responses=ERRORS)
def update_organization(
    organization_id: uuid.UUID, body: OrganizationUpdate,
    principal: Annotated[Principal, Depends(require("organization:update"))], db: TenantDB,
) -> OrganizationOut:
    """Rename or deactivate; reactivating is for system administrators only (403)."""
    org = _visible(db, principal, organization_id)
    service.update_organization(org, name=body.name, is_active=body.is_active,
                                system=principal.is_system_admin, address=body.address)
    db.flush()
    return _org_out(org)


@router.get("/organizations/{organization_id}/roles", responses=ERRORS)
def list_roles(
    organization_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("role:read"))], db: TenantDB,
) -> list[RolePermissions]:
    """Each role's effective permissions in this organisation."""
    org = _visible(db, principal, organization_id)
    return [
        RolePermissions(role=r.value, permissions=sorted(roles.role_permissions(db, org.id, r)),
                        configurable=r in TENANT_CONFIGURABLE_ROLES)
        for r in Role
    ]


@router.put("/organizations/{organization_id}/roles/{role}/permissions", responses=ERRORS)
def set_role_permissions(
    organization_id: uuid.UUID, role: str, body: RolePermissionsUpdate,
    principal: Annotated[Principal, Depends(require("role:update"))], db: TenantDB,
) -> RolePermissions:
    """Replace a role's permissions in this organisation; effective on the next request."""
    org = _visible(db, principal, organization_id)
    perms = roles.set_role_permissions(db, org.id, role, body.permissions, principal.user_id)
    return RolePermissions(role=role, permissions=sorted(perms), configurable=True)


@router.get("/permissions", responses=problem_responses(401))
def list_permissions(
    principal: Annotated[Principal, Depends(authenticated)],
) -> list[PermissionInfo]:
    """The catalogue of permissions roles can hold."""
    return [PermissionInfo(name=n, description=d) for n, d in sorted(PERMISSIONS.items())]


@router.get("/directory/organizations", responses=ERRORS)
def search_directory(
    principal: Annotated[Principal, Depends(require("directory:read"))], db: TenantDB,
    kind: OrganizationKind | None = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
) -> list[DirectoryEntry]:
    """Find organisations to share records with (active ones only)."""
    return [
        DirectoryEntry(id=o.id, name=o.name, kind=o.kind, address=o.eth_address,
                       umbral_public_key=o.umbral_public_key)
        for o in service.directory(db, kind=kind, q=q, limit=limit, offset=offset)
    ]
