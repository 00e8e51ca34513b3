"""HTTP routes of scheduling: schedules and leave, free slots, the practitioner directory,
appointments and encounters. Staff work goes through the tenant session; what a patient (of
no organisation) books and reads, and the cross-tenant directory and slots, through the
system session (reasons in api/system_sessions.py)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from api.deps import ContainerDep, Principal, SystemDB, TenantDB, authenticated, require
from api.errors import problem_responses
from api.paging import Page
from api.scheduling import service
from api.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Encounter,
    Resource,
    ResourceKind,
    Schedule,
)
from api.scheduling.schemas import (
    AppointmentCreate,
    AppointmentOut,
    EncounterOut,
    ExceptionCreate,
    ExceptionOut,
    Fee,
    FollowUpCreate,
    Moment,
    PractitionerOut,
    ProfileIn,
    ReasonIn,
    RescheduleIn,
    ResourceCreate,
    ResourceOut,
    ScheduleCreate,
    ScheduleOut,
    SlotOut,
    WeeklyHoursIn,
)
from api.text import DisplayName

router = APIRouter(tags=["scheduling"])
ERRORS = problem_responses(401, 403, 404, 409, 422)


def _schedule_out(schedule: Schedule) -> ScheduleOut:
    return ScheduleOut(
        id=schedule.id, practitioner=schedule.practitioner_id, resource=schedule.resource_id,
        organization=schedule.organization_id, timezone=schedule.timezone,
        slot_minutes=schedule.slot_minutes,
        weekly_hours=[WeeklyHoursIn(**h) for h in schedule.weekly_hours],
        valid_from=schedule.valid_from, valid_to=schedule.valid_to)


def _appointment_out(appointment: Appointment,
                     encounter: uuid.UUID | None = None) -> AppointmentOut:
    return AppointmentOut(
        id=appointment.id, status=appointment.status,
        practitioner=appointment.practitioner_id, resource=appointment.resource_id,
        patient=appointment.patient_id, patient_uhid=appointment.patient_uhid,
        patient_name=appointment.patient_name,
        organization=appointment.organization_id, start=appointment.start_at,
        end=appointment.end_at, reason_record=appointment.reason_record,
        cancel_reason=appointment.cancel_reason,
        reschedule_reason=appointment.reschedule_reason,
        needs_rebooking=appointment.needs_rebooking,
        follow_up_of=appointment.follow_up_of, encounter=encounter)


def _practitioner_out(entry: service.DirectoryEntry) -> PractitionerOut:
    profile = entry.profile
    fee = None
    if profile is not None and profile.fee_amount is not None and profile.fee_currency:
        fee = Fee(amount=profile.fee_amount, currency=profile.fee_currency)
    return PractitionerOut(
        id=entry.practitioner.id, name=entry.practitioner.full_name,
        specialty=profile.specialty if profile else None,
        specialty_code=profile.specialty_code if profile else None,
        languages=list(profile.languages) if profile else [], fee=fee,
        organization=entry.organization.id, organization_name=entry.organization.name,
        next_free_slot=entry.next_free_slot)


def _resource_out(resource: Resource) -> ResourceOut:
    return ResourceOut(id=resource.id, name=resource.name, kind=ResourceKind(resource.kind),
                       organization=resource.organization_id)


def _encounter_out(encounter: Encounter) -> EncounterOut:
    return EncounterOut(
        id=encounter.id, appointment=encounter.appointment_id, patient=encounter.patient_id,
        organization=encounter.organization_id, practitioner=encounter.practitioner_id,
        started_at=encounter.started_at, finished_at=encounter.finished_at)


@router.post("/schedules", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_schedule(
    body: ScheduleCreate,
    principal: Annotated[Principal, Depends(require("schedule:write"))], db: TenantDB,
) -> ScheduleOut:
    """Weekly hours of a practitioner of your organisation, in their IANA time zone (the
    practitioner themself, or the organisation's helpdesk or administrators), or of one of
    its rooms or equipment (`resource`, the helpdesk or administrators)."""
    schedule = service.create_schedule(
        db, principal=principal, practitioner_id=body.practitioner,
        resource_id=body.resource, timezone=body.timezone,
        slot_minutes=body.slot_minutes,
        weekly_hours=[h.model_dump() for h in body.weekly_hours],
        valid_from=body.valid_from, valid_to=body.valid_to)
    return _schedule_out(schedule)


@router.get("/schedules", responses=ERRORS)
def list_schedules(
    principal: Annotated[Principal, Depends(require("appointment:read"))], db: TenantDB,
    page: Page, practitioner: uuid.UUID | None = None, resource: uuid.UUID | None = None,
) -> list[ScheduleOut]:
    """Your organisation's schedules (of one practitioner or resource, if named)."""
    return [_schedule_out(s) for s in service.list_schedules(
        db, principal=principal, practitioner_id=practitioner, resource_id=resource,
        page=page)]


@router.post("/schedules/{schedule_id}/exceptions", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def add_schedule_exception(
    schedule_id: uuid.UUID, body: ExceptionCreate,
    principal: Annotated[Principal, Depends(require("schedule:write"))], db: TenantDB,
) -> ExceptionOut:
    """Leave or a closure. Appointments inside it are kept, marked for rebooking and
    listed in `affected`."""
    added = service.add_exception(db, principal=principal, schedule_id=schedule_id,
                                  start=body.start, end=body.end, reason=body.reason)
    e = added.exception
    return ExceptionOut(id=e.id, schedule=e.schedule_id, start=e.start_at, end=e.end_at,
                        reason=e.reason,
                        affected=[_appointment_out(a) for a in added.affected])


@router.post("/resources", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def create_resource(
    body: ResourceCreate,
    principal: Annotated[Principal, Depends(require("schedule:write"))], db: TenantDB,
) -> ResourceOut:
    """A room or equipment of your organisation, booked through schedules like a
    practitioner's time (the helpdesk or administrators)."""
    return _resource_out(service.create_resource(db, principal=principal, name=body.name,
                                                 kind=body.kind))


@router.get("/resources", responses=ERRORS)
def list_resources(
    principal: Annotated[Principal, Depends(require("appointment:read"))], db: TenantDB,
    page: Page,
) -> list[ResourceOut]:
    """Your organisation's rooms and equipment."""
    return [_resource_out(r) for r in service.list_resources(db, principal=principal,
                                                             page=page)]


@router.put("/practitioners/{practitioner_id}/profile", responses=ERRORS)
def put_practitioner_profile(
    practitioner_id: uuid.UUID, body: ProfileIn,
    principal: Annotated[Principal, Depends(require("schedule:write"))], db: TenantDB,
) -> PractitionerOut:
    """The practitioner's directory entry: specialty (SNOMED CT code and/or term),
    languages, consultation fee. By the practitioner or their organisation's
    administrators."""
    return _practitioner_out(service.put_profile(
        db, principal=principal, practitioner_id=practitioner_id,
        specialty_code=body.specialty_code, specialty=body.specialty,
        languages=body.languages,
        fee=(body.fee.amount, body.fee.currency) if body.fee else None))


@router.get("/practitioners/{practitioner_id}/profile", responses=ERRORS)
def get_practitioner_profile(
    practitioner_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("schedule:write"))], db: TenantDB,
) -> PractitionerOut:
    """The practitioner's directory entry as it stands (specialty, languages, fee), for the
    practitioner and their organisation's helpdesk and administrators (other staff: 403;
    another organisation's practitioner: 404). Without a profile yet: 200, its fields null
    or empty."""
    return _practitioner_out(service.get_profile(db, principal=principal,
                                                 practitioner_id=practitioner_id))


@router.get("/slots", responses=ERRORS)
def list_slots(
    principal: Annotated[Principal, Depends(require("directory:read"))], db: SystemDB,
    page: Page, start: Annotated[Moment, Query()], end: Annotated[Moment, Query()],
    practitioner: uuid.UUID | None = None,
    resource: Annotated[uuid.UUID | None, Query(
        description="Instead of a practitioner: a room or equipment of your "
                    "organisation")] = None,
) -> list[SlotOut]:
    """The practitioner's free slots starting in [start, end) (at most 31 days): their
    weekly hours less leave and booked appointments, from now on; in time order, paged."""
    slots = service.list_free_slots(db, principal=principal, practitioner_id=practitioner,
                                    resource_id=resource, start=start, end=end)
    return [SlotOut(start=s.start, end=s.end, practitioner=practitioner, resource=resource)
            for s in slots[page.offset:page.offset + page.limit]]


@router.get("/directory/practitioners", responses=ERRORS)
def search_practitioners(
    principal: Annotated[Principal, Depends(require("directory:read"))], db: SystemDB,
    page: Page,
    q: Annotated[DisplayName | None, Query(max_length=100,
                                           description="Part of the name")] = None,
    specialty: Annotated[DisplayName | None, Query(description="SNOMED CT code or term")
                         ] = None,
    organization: uuid.UUID | None = None,
) -> list[PractitionerOut]:
    """Practitioners of every organisation, with their next free slot this month."""
    entries = service.search_directory(db, q=q, specialty=specialty,
                                       organization_id=organization, page=page)
    return [_practitioner_out(e) for e in entries]


@router.post("/appointments", status_code=status.HTTP_201_CREATED, responses=ERRORS)
def book_appointment(
    body: AppointmentCreate,
    principal: Annotated[Principal, Depends(require("appointment:book"))], db: SystemDB,
    container: ContainerDep,
) -> AppointmentOut:
    """Book a free slot: a patient for themself, the helpdesk for a patient (UHID) with its
    organisation's practitioners. 409 when the slot is not free (taken, even at the same
    instant by another request). A `reason` is clinical content: it is written as the
    patient's encrypted FHIR Appointment record (its id is `reason_record`), never kept in
    plain text; 422 when the patient has not published Umbral keys yet (nothing is booked)."""
    return _appointment_out(service.book_appointment(
        db, container, principal=principal, practitioner_id=body.practitioner,
        resource_id=body.resource, start=body.start,
        reason=body.reason, patient_uhid=body.patient))


@router.get("/appointments", responses=ERRORS)
def list_appointments(
    principal: Annotated[Principal, Depends(require("appointment:read"))], db: SystemDB,
    page: Page, start: Annotated[Moment | None, Query()] = None,
    end: Annotated[Moment | None, Query()] = None, status: AppointmentStatus | None = None,
) -> list[AppointmentOut]:
    """Your appointments: a patient's own with every organisation, a practitioner's own,
    the whole organisation's for its helpdesk and administrators."""
    found = service.list_appointments(db, principal=principal, start=start, end=end,
                                      status=status.value if status else None, page=page)
    encounters = service.encounters_of(db, found)
    return [_appointment_out(a, encounters.get(a.id)) for a in found]


@router.post("/appointments/{appointment_id}/confirm", responses=ERRORS)
def confirm_appointment(
    appointment_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("appointment:manage"))], db: TenantDB,
) -> AppointmentOut:
    """The practitioner or their front desk confirms: `booked`."""
    return _appointment_out(service.confirm(db, principal=principal,
                                            appointment_id=appointment_id))


@router.post("/appointments/{appointment_id}/decline", responses=ERRORS)
def decline_appointment(
    appointment_id: uuid.UUID, body: ReasonIn,
    principal: Annotated[Principal, Depends(require("appointment:manage"))], db: TenantDB,
) -> AppointmentOut:
    """The practitioner or their front desk declines: `cancelled`, with the reason's code."""
    return _appointment_out(service.decline(db, principal=principal,
                                            appointment_id=appointment_id,
                                            reason=body.reason))


@router.post("/appointments/{appointment_id}/cancel", responses=ERRORS)
def cancel_appointment(
    appointment_id: uuid.UUID, body: ReasonIn,
    principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
) -> AppointmentOut:
    """The patient (appointment:book) or the clinic (appointment:manage) cancels; the
    reason's code is kept (no free text: a clinical note belongs in a record)."""
    return _appointment_out(service.cancel(db, principal=principal,
                                           appointment_id=appointment_id, reason=body.reason))


@router.post("/appointments/{appointment_id}/reschedule", responses=ERRORS)
def reschedule_appointment(
    appointment_id: uuid.UUID, body: RescheduleIn,
    principal: Annotated[Principal, Depends(authenticated)], db: SystemDB,
) -> AppointmentOut:
    """Move to another free slot of the same practitioner (409 when it is not free), with
    an optional reason's code."""
    return _appointment_out(service.reschedule(db, principal=principal,
                                               appointment_id=appointment_id,
                                               start=body.start, reason=body.reason))


@router.post("/appointments/{appointment_id}/check-in", responses=ERRORS)
def check_in_appointment(
    appointment_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("appointment:manage"))], db: TenantDB,
) -> AppointmentOut:
    """The patient arrived (helpdesk, a nurse or the practitioner): `arrived`, and an
    encounter opens (`encounter`)."""
    appointment, encounter = service.check_in(db, principal=principal,
                                              appointment_id=appointment_id)
    return _appointment_out(appointment, encounter.id)


@router.post("/appointments/{appointment_id}/no-show", responses=ERRORS)
def record_no_show(
    appointment_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("appointment:manage"))], db: TenantDB,
) -> AppointmentOut:
    """The patient did not come (once the appointment has started)."""
    return _appointment_out(service.record_no_show(db, principal=principal,
                                                   appointment_id=appointment_id))


@router.post("/encounters/{encounter_id}/finish", responses=ERRORS)
def finish_encounter(
    encounter_id: uuid.UUID,
    principal: Annotated[Principal, Depends(require("appointment:manage"))], db: TenantDB,
) -> EncounterOut:
    """The practitioner ends the visit; its appointment becomes `fulfilled`."""
    return _encounter_out(service.finish_encounter(db, principal=principal,
                                                   encounter_id=encounter_id))


@router.post("/encounters/{encounter_id}/follow-up", status_code=status.HTTP_201_CREATED,
             responses=ERRORS)
def book_follow_up(
    encounter_id: uuid.UUID, body: FollowUpCreate,
    principal: Annotated[Principal, Depends(require("appointment:manage"))], db: SystemDB,
    container: ContainerDep,
) -> AppointmentOut:
    """A follow-up appointment for the encounter's patient, in the same organisation. A
    `reason` is written as the patient's encrypted record, as for a booking."""
    return _appointment_out(service.book_follow_up(
        db, container, principal=principal, encounter_id=encounter_id, start=body.start,
        practitioner_id=body.practitioner, reason=body.reason))
