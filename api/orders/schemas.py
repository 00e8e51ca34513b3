"""Request and response bodies of orders and their specimens. An order's reason and its
results are clinical content: accepted here, written only as the patient's encrypted
records, never answered back."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.orders.models import (
    OrderCategory,
    OrderPriority,
    OrderStatus,
    SpecimenRejection,
    SpecimenStatus,
)
from api.text import DisplayName

ClinicalText = Annotated[str, StringConstraints(min_length=1, max_length=1000, pattern=r"\S")]


class CodingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    system: str = Field(min_length=1, max_length=200,
                        description="http://loinc.org for lab tests; for imaging also "
                                    "http://snomed.info/sct or http://www.radlex.org")
    code: str = Field(min_length=1, max_length=64, description="e.g. LOINC 4548-4 (HbA1c)")
    display: DisplayName


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    patient: str = Field(min_length=1, max_length=20, description="The patient's UHID")
    category: OrderCategory
    performer: uuid.UUID = Field(description="The performing organisation's id: a lab or a "
                                             "hospital for lab orders, a radiology centre "
                                             "or a hospital for imaging")
    code: CodingIn
    priority: OrderPriority
    reason: ClinicalText = Field(
        description="Why the test is ordered. Clinical content: kept only inside the "
                    "patient's encrypted FHIR ServiceRequest record (`request_record`)")
    encounter: uuid.UUID | None = Field(default=None,
                                        description="The encounter it is ordered in")


class SpecimenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: SpecimenStatus = Field(description="collected, received, in_progress or "
                                               "rejected (`resulted` comes with the results)")
    reason: SpecimenRejection | None = Field(default=None,
                                             description="Why it was rejected (a code); "
                                                         "given with `rejected` only")


class CodingOut(BaseModel):
    system: str
    code: str
    display: str


class OrderOut(BaseModel):
    id: uuid.UUID
    status: OrderStatus
    category: OrderCategory
    code: CodingOut
    priority: OrderPriority
    patient: str = Field(description="The patient's UHID")
    patient_name: str = Field(description="The patient's name when ordered")
    performer: uuid.UUID
    ordering_organization: uuid.UUID
    ordered_by: uuid.UUID
    encounter: uuid.UUID | None
    specimen_status: SpecimenStatus | None
    specimen_reject_reason: SpecimenRejection | None
    request_record: uuid.UUID | None = Field(
        description="The order with its reason: the patient's encrypted ServiceRequest record")
    result_record: uuid.UUID | None = Field(
        description="The result that completed it: the patient's encrypted record")
    study_record: uuid.UUID | None = Field(
        default=None, description="An imaging order's study: the ImagingStudy record "
                                  "uploaded against it")
    created_at: datetime
    updated_at: datetime


class ResultFiled(BaseModel):
    record: uuid.UUID = Field(description="The result's record id")
    order: OrderOut
