"""Request and response bodies of records and Umbral key routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

HexKey = Field(pattern=r"^(0x)?[0-9a-fA-F]{66}$", description="Hex, compressed (33 bytes)")


class PublicKeysIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    umbral_public_key: str = HexKey
    verifying_key: str = HexKey


class PublicKeysOut(BaseModel):
    umbral_public_key: str
    verifying_key: str


class RecordWritten(BaseModel):
    id: uuid.UUID
    cid: str
    category: str
    resource_type: str
    version: int
    previous_id: uuid.UUID | None = None


class RecordMetadata(BaseModel):
    id: uuid.UUID
    patient_uhid: str
    cid: str
    category: str
    resource_type: str
    version: int
    previous_id: uuid.UUID | None
    lineage_id: uuid.UUID
    author_uhid: str
    author_org_id: uuid.UUID | None
    size: int
    ciphertext_sha256: str
    created_at: datetime


class SealedRecordOut(BaseModel):
    """What a reader decrypts on its side: the owner with its secret key, a grantee with its
    secret key and the capsule fragments (after verifying them)."""

    id: uuid.UUID
    cid: str
    category: str
    resource_type: str
    version: int
    ciphertext: str = Field(description="base64")
    capsule: str = Field(description="base64")
    delegating_key: str = Field(description="The patient's Umbral public key (hex)")
    cfrags: list[str] | None = Field(default=None, description="base64; grantees only")
    verifying_key: str | None = Field(default=None,
                                      description="The patient's verifying key; grantees only")
