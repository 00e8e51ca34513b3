"""Request and response bodies of the imaging routes."""

from __future__ import annotations

import uuid

from pydantic import BaseModel


class StudyUploaded(BaseModel):
    id: uuid.UUID
    record_id: uuid.UUID
    study_instance_uid: str
    instance_count: int
    series_count: int
    manifest_digest: str
    archive_cid: str


class ImportedInstance(BaseModel):
    sop_instance_uid: str
    sha256: str
    size: int


class StudyPulled(BaseModel):
    id: uuid.UUID
    study_instance_uid: str
    instances: list[ImportedInstance]


class SealedArchiveOut(BaseModel):
    """The encrypted study archive, decrypted on the caller's side like a record
    (reencryption.client.KeyHolder.open_record), then imported with the manifest."""

    id: str
    record_id: str
    cid: str
    study_instance_uid: str
    patient_uhid: str
    ciphertext: str
    capsule: str
    delegating_key: str
    cfrags: list[str] | None = None
    verifying_key: str | None = None
    manifest: str
