"""Request and response bodies of the identity routes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

from api.identity.emails import canonical_email
from api.identity.uhid import format_uhid
from api.text import DisplayName

# Password length is bounded here so oversize input is refused before hashing.
PasswordField = Field(min_length=1, max_length=128)

# An email address as stored: one canonical spelling per mailbox (full-width letters folded
# to ASCII), and none made of look-alike letters of another script.
EmailAddress = Annotated[
    str, StringConstraints(min_length=3, max_length=320), AfterValidator(canonical_email),
    Field(json_schema_extra={"format": "email"}),
]


class RegisterPatient(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    password: str = PasswordField
    full_name: DisplayName
    date_of_birth: date


class Registered(BaseModel):
    id: uuid.UUID
    uhid: str = Field(description="The unique health ID, 14 digits")
    uhid_display: str = Field(description="The UHID grouped for reading: NN-NNNN-NNNN-NNNN")

    @classmethod
    def of(cls, user_id: uuid.UUID, uhid: str) -> Registered:
        return cls(id=user_id, uhid=uhid, uhid_display=format_uhid(uhid))


class TokenResponse(BaseModel):
    access_token: str
    refresh_token: str | None = Field(
        description="Works once, for a new pair at /auth/refresh; null for a portal session "
                    "(`X-OHMS-Session: cookie`), whose refresh token is an httpOnly cookie")
    token_type: str = "bearer"  # noqa: S105 - OAuth2 token type
    expires_in: int = Field(description="Seconds until the access token expires")


class RefreshRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    refresh_token: str = Field(min_length=1, max_length=512)


class SiweNonceResponse(BaseModel):
    nonce: str
    domain: str
    uri: str
    chain_id: int
    issued_at: datetime
    expiration_time: datetime
    version: str = "1"
    statement: str = "Sign in to OHMS"


class SiweSignedMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, max_length=2048)
    signature: str = Field(pattern=r"^0x[0-9a-fA-F]{130}$")


class WalletLinked(BaseModel):
    address: str


class OrganizationRef(BaseModel):
    id: uuid.UUID
    name: str
    kind: str


class Me(BaseModel):
    id: uuid.UUID
    uhid: str
    uhid_display: str
    email: str
    full_name: str
    date_of_birth: date | None
    roles: list[str]
    permissions: list[str]
    organization: OrganizationRef | None
    wallet_address: str | None


class PasswordChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = PasswordField
    new_password: str = PasswordField


class PatientSummary(BaseModel):
    uhid: str
    uhid_display: str
    full_name: str
    date_of_birth: date | None


# --- organisations' staff ---------------------------------------------------------


class MemberCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailAddress
    full_name: DisplayName
    role: str = Field(min_length=1, max_length=32)
    password: str = Field(min_length=1, max_length=128)
    extra_roles: list[str] = Field(default_factory=list, max_length=8)


class MemberUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: list[str] | None = Field(default=None, min_length=1, max_length=8)
    is_active: bool | None = None


class MemberOut(BaseModel):
    id: uuid.UUID
    uhid: str
    email: str
    full_name: str
    roles: list[str]
    is_active: bool
    created_at: datetime


class PasswordResetRequest(BaseModel):
    """Any text is taken as an address (one that cannot be an account's simply matches
    none): the answer must not tell which addresses have accounts."""

    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=1, max_length=320)


class PasswordReset(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=100)
    new_password: str = PasswordField


class EmailConfirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: str = Field(min_length=1, max_length=100)


class Accepted(BaseModel):
    detail: str
