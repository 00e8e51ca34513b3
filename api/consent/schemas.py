"""Request and response bodies of consent and break-glass routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

Signature = Field(pattern=r"^0x[0-9a-fA-F]{130,}$", max_length=2000)


class GrantRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    grantee: str = Field(min_length=1, max_length=64,
                         description="An organisation id or a person's UHID")
    scope: str = Field(min_length=3, max_length=160,
                       description="category:<name> or record:<id>")
    purpose: Literal["treatment", "claim", "payment", "research", "emergency"]
    expires_at: AwareDatetime
    data_from: AwareDatetime | None = None
    data_to: AwareDatetime | None = None


class TypedData(BaseModel):
    """EIP-712 typed data, ready for eth_signTypedData_v4."""

    model_config = ConfigDict(extra="allow")

    domain: dict[str, Any]
    types: dict[str, Any]
    primaryType: str
    message: dict[str, Any]


class ConsentSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    typed_data: TypedData
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130,}$",
                                  max_length=2000,
                                  description="Omitted only when the service holds the "
                                              "patient's custodial wallet")
    kfrags: list[str] | None = Field(default=None, max_length=16)
    verifying_key: str | None = Field(default=None, pattern=r"^(0x)?[0-9a-fA-F]{66}$")


class RevocationSubmission(BaseModel):
    model_config = ConfigDict(extra="forbid")

    typed_data: TypedData | None = Field(
        default=None, description="The typed data signed (from revocation/typed-data)")
    signature: str | None = Field(default=None, pattern=r"^0x[0-9a-fA-F]{130,}$",
                                  max_length=2000)


class GranteeOut(BaseModel):
    kind: Literal["organization", "person"]
    id: uuid.UUID
    name: str
    address: str


class ConsentOut(BaseModel):
    id: uuid.UUID
    status: str
    status_detail: str | None
    patient_uhid: str
    grantee: GranteeOut
    scope: str
    purpose: str
    expires_at: datetime
    data_from: datetime | None
    data_to: datetime | None
    grant_id: str
    signed_by_custodial_key: bool
    has_kfrags: bool
    created_at: datetime
    revoked_at: datetime | None


class CustodialWallet(BaseModel):
    address: str
    custodial: bool = True


class BreakGlassRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=14, max_length=20, description="The patient's UHID")
    scope: str = Field(default="category:all", max_length=160)
    reason: str = Field(min_length=1, max_length=500)


class BreakGlassOut(BaseModel):
    id: uuid.UUID
    patient_uhid: str
    scope: str
    expires_at: datetime
    recorded_on_chain: Literal["queued"] = "queued"


class AccessCheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=14, max_length=20, description="The patient's UHID")
    scope: str = Field(max_length=160)
    purpose: Literal["treatment", "claim", "payment", "research", "emergency"]


class AccessCheckOut(BaseModel):
    authorized: bool
    basis: str
    grant_id: str | None
    audit_entry: uuid.UUID
