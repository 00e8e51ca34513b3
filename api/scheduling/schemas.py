"""Request and response bodies of schedules, slots, the practitioner directory, appointments
and encounters. Times are ISO 8601 with an offset; responses give them in UTC."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field

from api.scheduling.models import ChangeReason, ResourceKind
from api.text import DisplayName

HHMM = Annotated[str, Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$",
                            description="Local wall-clock time, HH:MM")]
# Administrative text others read (why a schedule has leave): printable, short.
Reason = DisplayName
# Why the patient books: clinical content, written only as the patient's encrypted record.
VisitReason = Annotated[DisplayName, Field(
    description="Why the patient comes (optional). Clinical content: kept only as an "
                "encrypted FHIR Appointment record of the patient (`reason_record`), never "
                "in plain text; refused (422) until the patient has published Umbral keys")]

FIRST_YEAR, LAST_YEAR = 2000, 2199


def _in_service_years(value: datetime | date) -> datetime | date:
    # Far from datetime's own limits, so converting between zones never overflows.
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise ValueError(f"must be between the years {FIRST_YEAR} and {LAST_YEAR}")
    return value


Moment = Annotated[AwareDatetime, AfterValidator(_in_service_years),
                   Field(description="ISO 8601 with an offset")]
Day = Annotated[date, AfterValidator(_in_service_years)]


class WeeklyHoursIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    weekday: int = Field(ge=0, le=6, description="Monday 0 ... Sunday 6")
    start: HHMM
    end: HHMM


class ScheduleCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    practitioner: uuid.UUID | None = Field(default=None,
                                           description="The practitioner's user id")
    resource: uuid.UUID | None = Field(default=None, description="Or a room's or equipment's "
                                                                 "id")
    timezone: str = Field(min_length=1, max_length=64, description="IANA time zone name")
    slot_minutes: int = Field(ge=5, le=480)
    weekly_hours: list[WeeklyHoursIn] = Field(min_length=1, max_length=70)
    valid_from: Day
    valid_to: Day | None = None


class ScheduleOut(BaseModel):
    id: uuid.UUID
    practitioner: uuid.UUID | None
    resource: uuid.UUID | None
    organization: uuid.UUID
    timezone: str
    slot_minutes: int
    weekly_hours: list[WeeklyHoursIn]
    valid_from: date
    valid_to: date | None


class ExceptionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Moment
    end: Moment
    reason: Reason


class SlotOut(BaseModel):
    start: datetime
    end: datetime
    practitioner: uuid.UUID | None
    resource: uuid.UUID | None = None


class ResourceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: DisplayName
    kind: ResourceKind


class ResourceOut(BaseModel):
    id: uuid.UUID
    name: str
    kind: ResourceKind
    organization: uuid.UUID


class Fee(BaseModel):
    model_config = ConfigDict(extra="forbid")

    amount: Decimal = Field(ge=0, max_digits=12, decimal_places=2)
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="ISO 4217")


class ProfileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    specialty_code: str | None = Field(default=None, pattern=r"^[0-9]{6,18}$",
                                       description="SNOMED CT concept id")
    specialty: DisplayName | None = Field(default=None,
                                          description="The specialty as a plain term")
    languages: list[Annotated[str, Field(pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]] = \
        Field(default_factory=list, max_length=20, description="BCP 47 language tags")
    fee: Fee | None = None


class PractitionerOut(BaseModel):
    id: uuid.UUID
    name: str
    specialty: str | None
    specialty_code: str | None
    languages: list[str]
    fee: Fee | None
    organization: uuid.UUID
    organization_name: str
    next_free_slot: datetime | None


class AppointmentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    practitioner: uuid.UUID | None = None
    resource: uuid.UUID | None = Field(default=None,
                                       description="Or a room or equipment (staff only)")
    start: Moment
    reason: VisitReason | None = None
    patient: str | None = Field(default=None, min_length=1, max_length=20,
                                description="The patient's UHID (staff booking for a patient)")


class FollowUpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Moment
    practitioner: uuid.UUID | None = Field(
        default=None, description="Another practitioner of the organisation; else the "
                                  "encounter's")
    reason: VisitReason | None = None


class ReasonIn(BaseModel):
    """Why an appointment is cancelled or declined: a code only. Free text is not taken (it
    would be clinical content in operational data); a clinical note goes in a record."""

    model_config = ConfigDict(extra="forbid")

    reason: ChangeReason = Field(description="patient_request, practitioner_unavailable, "
                                             "clinic_closed, resource_unavailable, rebooked "
                                             "or other")


class RescheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    start: Moment
    reason: ChangeReason | None = Field(default=None, description="Why it is moved (a code)")


class AppointmentOut(BaseModel):
    id: uuid.UUID
    status: str
    practitioner: uuid.UUID | None
    resource: uuid.UUID | None
    patient: uuid.UUID
    patient_uhid: str | None = Field(default=None, description="The patient's UHID")
    patient_name: str | None = Field(default=None, description="The patient's name at booking")
    organization: uuid.UUID
    start: datetime
    end: datetime
    reason_record: uuid.UUID | None = Field(
        description="The patient's encrypted FHIR Appointment record holding the reason given "
                    "at booking (read through /records/{id} like any record), if one was given")
    cancel_reason: ChangeReason | None
    reschedule_reason: ChangeReason | None = None
    needs_rebooking: bool
    follow_up_of: uuid.UUID | None
    encounter: uuid.UUID | None = None


class ExceptionOut(BaseModel):
    id: uuid.UUID
    schedule: uuid.UUID
    start: datetime
    end: datetime
    reason: str
    affected: list[AppointmentOut] = Field(
        description="Active appointments inside the exception: kept, marked for rebooking")


class EncounterOut(BaseModel):
    id: uuid.UUID
    appointment: uuid.UUID
    patient: uuid.UUID
    organization: uuid.UUID
    practitioner: uuid.UUID
    started_at: datetime
    finished_at: datetime | None
