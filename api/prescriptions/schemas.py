"""Request and response bodies of prescriptions and dispenses. The allergy override reason
is clinical content: accepted here, written only into the patient's encrypted
MedicationRequest record, never answered back."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.prescriptions.allergy import RXNORM
from api.prescriptions.models import AllergyCheck, PrescriptionStatus
from api.text import DisplayName

ClinicalText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]
MAX_UNITS = 1_000_000
MAX_REFILLS = 99


class MedicationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=200, description=f"RxNorm: {RXNORM}")
    code: str = Field(min_length=1, max_length=64,
                      description="An RxNorm concept id (RxCUI), e.g. 308182 (amoxicillin "
                                  "250 MG Oral Capsule) or the ingredient 723 (amoxicillin)")
    display: DisplayName


class PrescriptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=1, max_length=20, description="The patient's UHID")
    pharmacy: uuid.UUID = Field(description="The pharmacy's organisation id (the patient's "
                                            "choice)")
    medication: MedicationIn
    dosage: ClinicalText = Field(description="Dose, frequency and route, as the label reads")
    quantity: int = Field(strict=True, gt=0, le=MAX_UNITS,
                          description="Units per fill (tablets, capsules, bottles)")
    refills: int = Field(strict=True, ge=0, le=MAX_REFILLS,
                         description="Fills after the first: quantity x (1 + refills) units "
                                     "may be dispensed in all")
    allergy_override_reason: ClinicalText | None = Field(
        default=None,
        description="Why to prescribe despite a matching allergy. Kept only inside the "
                    "patient's encrypted MedicationRequest record")


class DispenseCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    lot: uuid.UUID = Field(description="The lot of the pharmacy's stock dispensed from")
    quantity: int = Field(strict=True, gt=0, le=MAX_UNITS, description="Units handed over")


class MedicationOut(BaseModel):
    system: str
    code: str
    display: str


class SuggestedLot(BaseModel):
    """The lot to dispense from first: the earliest expiry that is neither expired nor
    recalled and has units left (first expiry, first out)."""

    id: uuid.UUID
    lot_number: str
    expiry: date
    quantity: int


class PrescriptionOut(BaseModel):
    id: uuid.UUID
    status: PrescriptionStatus
    patient: str = Field(description="The patient's UHID")
    patient_name: str = Field(description="The patient's name when prescribed")
    medication: MedicationOut
    dosage: str = Field(description="The dosage instructions for the label")
    quantity: int
    refills: int
    dispensed: int = Field(description="Units dispensed so far")
    remaining: int = Field(description="Units left to dispense: quantity x (1 + refills) "
                                       "less those dispensed")
    pharmacy: uuid.UUID
    prescriber_organization: uuid.UUID
    prescribed_by: uuid.UUID
    allergy_check: AllergyCheck = Field(
        description="passed: the service checked the allergies the prescriber may read; "
                    "overridden: one matched and the prescriber gave a reason; partial: "
                    "some allergy records could not be opened; client: the prescriber's "
                    "organisation holds its own keys, so the portal checks")
    request_record: uuid.UUID | None = Field(
        description="The prescription: the patient's encrypted MedicationRequest record")
    suggested_lot: SuggestedLot | None = Field(
        default=None, description="For the pharmacy: the lot to dispense from first")
    created_at: datetime
    updated_at: datetime


class DispenseOut(BaseModel):
    id: uuid.UUID
    prescription: PrescriptionOut
    lot: uuid.UUID
    quantity: int
    lot_quantity_left: int
    record: uuid.UUID = Field(description="The patient's encrypted MedicationDispense record")
    created_at: datetime
