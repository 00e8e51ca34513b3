"""Value objects shared by the DICOM store port, its adapters and the transfer helpers."""

from __future__ import annotations

from dataclasses import dataclass

MiB = 1024 * 1024


@dataclass(frozen=True)
class InstanceIdentity:
    """What identifies a DICOM instance in the exchange, read from its own tags."""

    sop_instance_uid: str
    study_instance_uid: str
    series_instance_uid: str
    sop_class_uid: str
    patient_id: str
    modality: str
    study_date: str | None = None
    study_description: str | None = None


@dataclass(frozen=True)
class ValidatedInstance:
    """An instance that passed validation: its identity, and the size and SHA-256 of its bytes."""

    identity: InstanceIdentity
    sha256: str
    size: int


@dataclass(frozen=True)
class StoredInstance:
    """An instance held by a store; `newly_stored` is False if the same bytes were already there."""

    identity: InstanceIdentity
    sha256: str
    size: int
    newly_stored: bool

    @property
    def sop_instance_uid(self) -> str:
        return self.identity.sop_instance_uid

    @property
    def study_instance_uid(self) -> str:
        return self.identity.study_instance_uid


@dataclass(frozen=True)
class InstanceSummary:
    """One instance of a study, as listed by a store."""

    sop_instance_uid: str
    series_instance_uid: str
    study_instance_uid: str
    size: int


@dataclass(frozen=True)
class StudySummary:
    """One study held by a store."""

    study_instance_uid: str
    patient_id: str
    study_date: str | None
    study_description: str | None
