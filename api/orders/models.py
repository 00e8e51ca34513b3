"""Order rows: what the ordering and performing organisations need to act on a lab test or an
imaging procedure (the code, priority, status, the specimen's steps), visible to those two
organisations and the patient (row-level security on both organisation columns). The reason
and the results are clinical content: encrypted records of the patient, referred to by id."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class OrderCategory(enum.StrEnum):
    lab = "lab"
    imaging = "imaging"


class OrderPriority(enum.StrEnum):
    """FHIR request-priority, without `asap` (the seeds ask for these three)."""

    routine = "routine"
    urgent = "urgent"
    stat = "stat"


class OrderStatus(enum.StrEnum):
    """FHIR request-status, as far as OHMS moves it: placed (`active`), resulted
    (`completed`), or ended without a result (`revoked`: its specimen was rejected)."""

    active = "active"
    completed = "completed"
    revoked = "revoked"


class SpecimenStatus(enum.StrEnum):
    collected = "collected"
    received = "received"
    in_progress = "in_progress"
    resulted = "resulted"    # set by the results, never by a specimen step
    rejected = "rejected"    # with a reason code; a new order (and sample) is needed


class SpecimenRejection(enum.StrEnum):
    """Why a specimen was rejected: a code, never free text (after HL7 v2 table 0490,
    specimen reject reason)."""

    hemolysed = "hemolysed"
    clotted = "clotted"
    insufficient_quantity = "insufficient_quantity"
    contaminated = "contaminated"
    mislabelled = "mislabelled"
    container_broken = "container_broken"
    improper_storage = "improper_storage"
    expired = "expired"
    other = "other"


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


_REJECTION_HAS_REASON = ("CASE WHEN specimen_status = 'rejected' THEN specimen_reject_reason "
                         "IS NOT NULL ELSE specimen_reject_reason IS NULL END")


class Order(Base):
    """A lab test or imaging procedure ordered by a physician for a patient at a performing
    organisation. Status changes are conditional UPDATEs (service), so concurrent requests
    move an order at most once."""

    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(_one_of("category", OrderCategory), name="category"),
        CheckConstraint(_one_of("priority", OrderPriority), name="priority"),
        CheckConstraint(_one_of("status", OrderStatus), name="status"),
        CheckConstraint(f"specimen_status IS NULL OR {_one_of('specimen_status', SpecimenStatus)}",
                        name="specimen_status"),
        # A rejection always says why, and only a rejection has a reason.
        CheckConstraint(_REJECTION_HAS_REASON, name="rejection_reason"),
        Index("ix_orders_performer_status_created", "performer_org_id", "status",
              "created_at"),
        Index("ix_orders_ordering_created", "ordering_org_id", "created_at"),
        Index("ix_orders_patient_created", "patient_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    # Who the order is for, as at ordering, for the performer's staff (who cannot read
    # patients' accounts).
    patient_uhid: Mapped[str] = mapped_column(String(14), nullable=False)
    patient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    category: Mapped[str] = mapped_column(String(16), nullable=False)
    code_system: Mapped[str] = mapped_column(String(200), nullable=False)
    code: Mapped[str] = mapped_column(String(64), nullable=False)
    code_display: Mapped[str] = mapped_column(String(300), nullable=False)
    priority: Mapped[str] = mapped_column(String(8), nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    specimen_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    specimen_reject_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    ordering_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                       nullable=False)
    ordered_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    performer_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                        nullable=False)
    encounter_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("encounters.id"),
                                                           nullable=True)
    # The order with its reason, as the patient's encrypted FHIR ServiceRequest record.
    request_record: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"),
                                                             nullable=True)
    # The result (Observation or DiagnosticReport) that completed it.
    result_record: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"),
                                                            nullable=True)
    # An imaging order's study: the ImagingStudy record uploaded against it (one per order).
    study_record_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("records.id"), nullable=True, unique=True)
    resulted_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"),
                                                          nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()
