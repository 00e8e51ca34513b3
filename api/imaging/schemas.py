"""Request and response bodies of the imaging routes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel


class StudyUploaded(BaseModel):
    id: uuid.UUID
    upload_id: uuid.UUID
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


class ArchiveEnvelope(BaseModel):
    """What opens the encrypted study archive on the caller's side: the archive's data key
    sealed to the patient (`key_ciphertext` + `capsule`), capsule fragments for the caller's
    key, the manifest to verify the import; the ciphertext itself streams from
    `content_url`. With `reencryption.client.KeyHolder.open_stream` (or
    `api.imaging.service.open_and_import`)."""

    id: str
    record_id: str
    cid: str
    study_instance_uid: str
    patient_uhid: str
    format: Literal["ohms-stream-aes256gcm", "umbral"]
    size: int
    key_ciphertext: str | None = None
    capsule: str
    delegating_key: str
    cfrags: list[str] | None = None
    verifying_key: str | None = None
    manifest: str
    content_url: str


class UploadOut(BaseModel):
    """An upload's progress or outcome. `phase` moves through validating, storing,
    archiving, encrypting and filing; the counts are of the current phase."""

    upload_id: uuid.UUID
    status: Literal["processing", "completed", "failed"]
    phase: str | None
    instances_done: int
    instances_total: int | None
    bytes_done: int
    bytes_total: int | None
    study_id: uuid.UUID | None
    error_status: int | None
    error_detail: str | None
    created_at: datetime
    updated_at: datetime


class SeriesOut(BaseModel):
    series_instance_uid: str | None
    modality: str | None
    instances: list[str]


class ReportLink(BaseModel):
    record_id: uuid.UUID
    author_uhid: str
    created_at: datetime


class StudySummary(BaseModel):
    id: uuid.UUID
    record_id: uuid.UUID
    patient_uhid: str
    study_instance_uid: str
    modalities: list[str]
    series_count: int
    instance_count: int
    total_bytes: int
    manifest_digest: str
    uploader_org_id: uuid.UUID
    created_at: datetime


class StudyDetail(StudySummary):
    """A study for viewers: its series and instances (ask previews of these) and the
    radiology reports filed about it (open them as records)."""

    series: list[SeriesOut]
    reports: list[ReportLink]
