"""Prescription rows: what the prescribing organisation and the pharmacy need to act on an
e-prescription (the medication code, the dosage text for the label, quantity, refills, units
dispensed so far, status, the two organisations), visible to those two organisations and the
patient (row-level security on both organisation columns). The prescription itself, with any
allergy override reason, is the patient's encrypted FHIR MedicationRequest record; each
dispense is an encrypted MedicationDispense record, referred to by id.

What may be dispensed is `quantity x (1 + refills)` units in all, in as many partial
dispenses as the pharmacy makes: the database refuses more (CHECK), whatever races."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Row, String
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class PrescriptionStatus(enum.StrEnum):
    """FHIR request-status, as far as OHMS moves it: `active` until everything prescribed
    (with refills) was dispensed, then `completed`."""

    active = "active"
    completed = "completed"


class AllergyCheck(enum.StrEnum):
    """How the allergy check went when the prescription was accepted.

    passed: the service read every allergy the prescriber may read (keystore tier) and none
    matched. overridden: one matched and the prescriber gave a reason (kept in the record).
    partial: some allergy records the prescriber may list could not be opened (e.g. under
    break-glass, which carries no key fragments); none of the others matched.
    client: the prescriber's organisation holds its own keys, so the service cannot read the
    allergies; the portal runs the check (the API records that it did not)."""

    passed = "passed"
    overridden = "overridden"
    partial = "partial"
    client = "client"


def _one_of(column: str, values: type[enum.StrEnum]) -> str:
    return f"{column} IN ({', '.join(repr(v.value) for v in values)})"


DISPENSED_WITHIN = "dispensed >= 0 AND dispensed <= quantity * (1 + refills)"


class Prescription(Base):
    __tablename__ = "prescriptions"
    __table_args__ = (
        CheckConstraint(_one_of("status", PrescriptionStatus), name="status"),
        CheckConstraint(_one_of("allergy_check", AllergyCheck), name="allergy_check"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("refills >= 0", name="refills_not_negative"),
        # Never more dispensed than prescribed with its refills, whatever races.
        CheckConstraint(DISPENSED_WITHIN, name="dispensed_within_prescribed"),
        # Each list's order (created_at, then id) read straight from its index.
        Index("ix_prescriptions_pharmacy_status_created", "pharmacy_org_id", "status",
              "created_at", "id"),
        Index("ix_prescriptions_prescriber_created", "prescriber_org_id", "prescribed_by",
              "created_at", "id"),
        Index("ix_prescriptions_patient_created", "patient_id", "created_at", "id"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    # Who it is for, as at prescribing, for the pharmacy's staff (who cannot read accounts).
    patient_uhid: Mapped[str] = mapped_column(String(14), nullable=False)
    patient_name: Mapped[str] = mapped_column(String(200), nullable=False)
    medication_system: Mapped[str] = mapped_column(String(200), nullable=False)
    medication_code: Mapped[str] = mapped_column(String(64), nullable=False)
    medication_display: Mapped[str] = mapped_column(String(300), nullable=False)
    # The dosage instructions for the label (dose, frequency, route).
    dosage: Mapped[str] = mapped_column(String(1000), nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    refills: Mapped[int] = mapped_column(nullable=False)
    dispensed: Mapped[int] = mapped_column(BigInteger, default=0, nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    allergy_check: Mapped[str] = mapped_column(String(16), nullable=False)
    prescriber_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                         nullable=False)
    prescribed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    pharmacy_org_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                       nullable=False)
    # The prescription (and any override reason) as the patient's MedicationRequest record.
    request_record: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"),
                                                             nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()

    @property
    def prescribed_total(self) -> int:
        return self.quantity * (1 + self.refills)

    @property
    def remaining(self) -> int:
        return remaining_units(self)


def remaining_units(p: Prescription | Row[Any]) -> int:
    """Units left to dispense: quantity x (1 + refills) less those dispensed; of an ORM
    object or of a row a list read."""
    return int(p.quantity * (1 + p.refills) - p.dispensed)


class Dispense(Base):
    """Units of one lot handed over against a prescription, by its pharmacy; the clinical
    record of it is the patient's MedicationDispense record."""

    __tablename__ = "prescription_dispenses"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_prescription_dispenses_prescription", "prescription_id", "created_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    prescription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("prescriptions.id"),
                                                       nullable=False)
    organization_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organizations.id"),
                                                       nullable=False)
    lot_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("inventory_lots.id"), nullable=False)
    quantity: Mapped[int] = mapped_column(BigInteger, nullable=False)
    dispensed_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    record_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("records.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
