"""Request and response bodies of the tenant routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.tenants.models import OrganizationKind
from api.text import DisplayName


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName
    kind: OrganizationKind


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    is_active: bool | None = Field(
        default=None,
        description="false deactivates the organisation: its staff are signed out at once "
                    "and cannot sign in; only a system administrator reactivates it",
    )


class OrganizationOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    is_active: bool
    created_at: datetime


class DirectoryEntry(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    address: str | None = Field(description="The organisation's Ethereum address")
    umbral_public_key: str | None = Field(description="Hex, compressed; once set")


class RolePermissions(BaseModel):
    role: str
    permissions: list[str]
    configurable: bool


class RolePermissionsUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    permissions: list[str] = Field(max_length=64)


class PermissionInfo(BaseModel):
    name: str
    description: str
