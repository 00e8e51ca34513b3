"""Response bodies of the audit routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from api.identity.schemas import EmailAddress
from api.text import DisplayName


class AuditEntryOut(BaseModel):
    id: uuid.UUID
    accessor: str
    accessor_org: uuid.UUID | None
    patient: str
    record: str
    action: str
    purpose: str
    outcome: str
    basis: str
    grant_id: str | None
    at: datetime
    batch: int | None


class EntryProof(BaseModel):
    """Everything `ohms audit verify` needs, with no database."""

    entry: dict[str, Any]
    leaf: str
    proof: list[str]
    root: str
    batch: int
    anchored: bool
    contract: str
    chain_id: int


class BatchOut(BaseModel):
    number: int
    root: str
    size: int
    created_at: datetime
    anchored_block: int | None


class ChainInfo(BaseModel):
    """Where a browser reads the chain to check the access log itself."""

    chain_id: int
    audit_anchor: str = Field(description="Address of the AuditAnchor contract")
    consent_registry: str = Field(description="Address of the ConsentRegistry contract")
    rpc_url: str | None = Field(
        description="JSON-RPC URL to read the chain from (relative: this service's read-only "
                    "RPC of its embedded chain); null when none is offered to browsers")


class PlatformAuditorCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    full_name: DisplayName
    password: str = Field(min_length=1, max_length=128)


class PlatformAuditorOut(BaseModel):
    id: uuid.UUID
    uhid: str
    email: str
    full_name: str
    roles: list[str]
    organization_id: uuid.UUID | None
