"""Request and response bodies of the tenant routes."""

from __future__ import annotations

import unicodedata
import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.tenants.models import OrganizationKind
from api.text import DisplayName


def _one_printable_line(value: str) -> str:
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"} for c in value):
        raise ValueError("the address holds control or formatting characters (such as a "
                         "newline or a right-to-left override): write it on one line")
    return unicodedata.normalize("NFC", value.strip())


# The postal address printed on the organisation's invoices: one printable line.
PostalAddress = Annotated[
    str, StringConstraints(min_length=1, max_length=500, pattern=r"\S"),
    AfterValidator(_one_printable_line),
    Field(description="Postal address, one line (printed on invoices)"),
]


class OrganizationCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName
    kind: OrganizationKind
    address: PostalAddress | None = None


class OrganizationUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName | None = None
    address: PostalAddress | None = None
    is_active: bool | None = Field(
        default=None,
        description="false deactivates the organisation: its staff are signed out at once "
                    "and cannot sign in; only a system administrator reactivates it",
    )


class OrganizationOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: OrganizationKind
    address: str | None = Field(description="Postal address (printed on invoices)")
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
