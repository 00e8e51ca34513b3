"""Scheduling use cases: schedules and leave (of practitioners, and of rooms and equipment),
free slots and the directory, the life of an appointment (book, confirm or decline,
reschedule, cancel, check in, no-show) and of the encounter a check-in opens. One function,
one use case; the caller's session is the unit of work (bookings and moves commit it
themselves, as soon as their writes are done: see `committed_here`). No slot is given twice: the
database refuses it (appointments' partial unique indexes, and on PostgreSQL exclusion
constraints on the time range); the checks here give the clear error for the common case,
the constraints hold under concurrent requests. Leave and bookings are ordered by the
database too (`_schedules_of`, `add_exception`, `_write_guarded`).

Why a patient comes is clinical content: the reason given at booking is written as the
patient's encrypted FHIR Appointment record through the records service and the access gate
(the appointment keeps only the record's id); cancellations, declines and moves carry a
code (`ChangeReason`), never free text."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Select, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.billing.events import (
    CONSULTATION_SYSTEM,
    Billable,
    consultation_code,
    report_billable,
)
from api.billing.models import BillableEventKind
from api.db.base import utcnow
from api.db.session import committed_here
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.identity.models import User
from api.identity.service import get_by_uhid
from api.identity.uhid import InvalidUHID, normalize_uhid
from api.keys.service import keys_of_user
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.paging import PageRequest
from api.records import service as records
from api.records.fhir import UHID_SYSTEM
from api.records.service import RecordPorts
from api.roles.catalog import Role
from api.scheduling.models import (
    ACTIVE_RESOURCE_SLOT_INDEX,
    ACTIVE_SLOT_INDEX,
    ACTIVE_STATUSES,
    GIVEN_STATUSES,
    Appointment,
    AppointmentStatus,
    ChangeReason,
    Encounter,
    PractitionerProfile,
    Resource,
    ResourceKind,
    Schedule,
    ScheduleException,
)
from api.scheduling.relationships import appointment_reference
from api.scheduling.slots import (
    InvalidRules,
    ScheduleRules,
    Slot,
    WeeklyHours,
    check_rules,
    free_slots,
    slot_at,
    validity_overlap,
    weekly_overlap,
)
from api.tenants.models import Organization

# Staff whose time can be booked.
PRACTITIONER_ROLES = frozenset({Role.physician, Role.nurse, Role.radiologist,
                                Role.lab_technician})
# Who acts on the organisation's appointments and schedules besides the practitioner.
FRONT_DESK = frozenset({Role.helpdesk, Role.org_admin})
CHECK_IN_ROLES = frozenset({Role.helpdesk, Role.nurse})
MAX_SLOT_WINDOW = timedelta(days=31)
MAX_EXCEPTION = timedelta(days=366)
DIRECTORY_HORIZON = timedelta(days=30)
# The database's refusals of a second active appointment in a slot (unique indexes on both
# backends, exclusion constraints on PostgreSQL, SQLite's wording of a unique violation).
_SLOT_TAKEN = (ACTIVE_SLOT_INDEX, ACTIVE_RESOURCE_SLOT_INDEX,
               "ex_appointments_practitioner_overlap", "ex_appointments_resource_overlap",
               "appointments.practitioner_id, appointments.start_at",
               "appointments.resource_id, appointments.start_at")
_GIVEN = [s.value for s in GIVEN_STATUSES]
# Identifies the appointment a reason record is about (in the encrypted resource only).
APPOINTMENT_ID_SYSTEM = "https://ohms.dev/fhir/sid/appointment"
NO_KEYS_FOR_REASON = ("the reason cannot be stored until the patient publishes their Umbral "
                      "public keys (PUT /api/v1/me/keys): a reason is clinical content, kept "
                      "only encrypted to the patient. Book without a reason, or once the "
                      "patient has published keys")


@dataclass(frozen=True)
class Bookable:
    """Whose time a slot is: a practitioner's, or a resource's (a room, equipment)."""

    practitioner_id: uuid.UUID | None = None
    resource_id: uuid.UUID | None = None

    def of(self, model: type[Schedule] | type[Appointment]) -> ColumnElement[bool]:
        if self.practitioner_id is not None:
            return model.practitioner_id == self.practitioner_id
        return model.resource_id == self.resource_id

    @classmethod
    def owning(cls, row: Schedule | Appointment) -> Bookable:
        return cls(practitioner_id=row.practitioner_id, resource_id=row.resource_id)


# --- rules of a schedule ----------------------------------------------------------------


def _hhmm(value: str) -> time:
    return time.fromisoformat(value)


def rules_of(schedule: Schedule) -> ScheduleRules:
    return ScheduleRules(
        timezone=schedule.timezone, slot_minutes=schedule.slot_minutes,
        weekly_hours=tuple(WeeklyHours(int(h["weekday"]), _hhmm(h["start"]), _hhmm(h["end"]))
                           for h in schedule.weekly_hours),
        valid_from=schedule.valid_from, valid_to=schedule.valid_to)


def _is_staff_of(principal: Principal, organization_id: uuid.UUID) -> bool:
    return principal.organization_id is not None and \
        principal.organization_id == organization_id


def _practitioner_in(session: Session, organization_id: uuid.UUID | None,
                     practitioner_id: uuid.UUID) -> User:
    """An active practitioner of the organisation; anyone else (another organisation's
    staff, a patient, nobody) is 404, so other tenants' people do not show."""
    user = session.scalar(select(User).where(User.id == practitioner_id,
                                             User.organization_id == organization_id,
                                             User.is_active.is_(True)))
    if user is None or organization_id is None:
        raise NotFound("no such practitioner in your organisation")
    if not PRACTITIONER_ROLES & {Role(r) for r in user.role_names}:
        raise Invalid("this member is not a practitioner whose time can be booked")
    return user


def _may_manage_for(principal: Principal, practitioner_id: uuid.UUID | None) -> None:
    """The practitioner themself, or their organisation's front desk (who alone manage
    resources)."""
    if principal.user_id != practitioner_id and not FRONT_DESK & principal.roles:
        raise Forbidden("only the practitioner, or their organisation's helpdesk or "
                        "administrators, may do this")


def _resource_in(session: Session, organization_id: uuid.UUID | None,
                 resource_id: uuid.UUID) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None or organization_id is None or \
            resource.organization_id != organization_id or not resource.is_active:
        raise NotFound("no such resource in your organisation")
    return resource


# --- resources ------------------------------------------------------------------------------


def create_resource(session: Session, *, principal: Principal, name: str,
                    kind: ResourceKind) -> Resource:
    if principal.organization_id is None or not FRONT_DESK & principal.roles:
        raise Forbidden("resources are set up by the organisation's helpdesk or "
                        "administrators")
    resource = Resource(organization_id=principal.organization_id, name=name, kind=kind.value)
    session.add(resource)
    session.flush()
    return resource


def list_resources(session: Session, *, principal: Principal,
                   page: PageRequest) -> list[Resource]:
    if principal.organization_id is None:
        return []
    return list(session.scalars(
        select(Resource).where(Resource.organization_id == principal.organization_id)
        .order_by(Resource.name, Resource.id).limit(page.limit).offset(page.offset)))


# --- schedules and leave ------------------------------------------------------------------


def create_schedule(session: Session, *, principal: Principal,
                    practitioner_id: uuid.UUID | None, resource_id: uuid.UUID | None,
                    timezone: str, slot_minutes: int, weekly_hours: list[dict[str, Any]],
                    valid_from: date, valid_to: date | None) -> Schedule:
    """A practitioner's hours (set by them or their front desk), or a resource's (by the
    front desk)."""
    if (practitioner_id is None) == (resource_id is None):
        raise Invalid("a schedule is either a practitioner's or a resource's")
    if practitioner_id is not None:
        practitioner = _practitioner_in(session, principal.organization_id, practitioner_id)
        owner = Bookable(practitioner_id=practitioner.id)
    else:
        assert resource_id is not None
        owner = Bookable(resource_id=_resource_in(session, principal.organization_id,
                                                  resource_id).id)
    _may_manage_for(principal, owner.practitioner_id)
    assert principal.organization_id is not None
    candidate = Schedule(
        organization_id=principal.organization_id, practitioner_id=owner.practitioner_id,
        resource_id=owner.resource_id, timezone=timezone, slot_minutes=slot_minutes,
        weekly_hours=weekly_hours, valid_from=valid_from, valid_to=valid_to,
        created_by=principal.user_id)
    rules = rules_of(candidate)
    try:
        check_rules(rules)
    except InvalidRules as exc:
        raise Invalid(str(exc)) from None
    for other in _schedules_of(session, owner):
        theirs = rules_of(other)
        if not validity_overlap(rules, theirs):
            continue
        if theirs.timezone != rules.timezone or \
                weekly_overlap(rules.weekly_hours, theirs.weekly_hours):
            raise Invalid("these hours overlap another schedule of the same practitioner or "
                          "resource in the same dates")
    session.add(candidate)
    session.flush()
    return candidate


def _schedules_of(session: Session, owner: Bookable, *,
                  hold: bool = False) -> list[Schedule]:
    """The owner's schedules; with `hold`, locked FOR KEY SHARE on PostgreSQL until the
    transaction ends: a booking holds them so that a leave being added (which locks its
    schedule FOR UPDATE) either waits for the booking to commit, and then lists it, or
    commits first, and then the booking's check that follows sees the leave. Bookings hold
    the row together without waiting for one another. (SQLite has one writer at a time: a
    booking checks the leave again after its insert, see `_write_guarded`.)"""
    query = select(Schedule).where(owner.of(Schedule)).order_by(Schedule.valid_from)
    if hold and _dialect(session) == "postgresql":
        query = query.with_for_update(read=True, key_share=True)
    return list(session.scalars(query))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def list_schedules(session: Session, *, principal: Principal,
                   practitioner_id: uuid.UUID | None, resource_id: uuid.UUID | None,
                   page: PageRequest) -> list[Schedule]:
    """The organisation's schedules, of one practitioner or resource if named."""
    if principal.organization_id is None:
        return []
    query = select(Schedule).where(Schedule.organization_id == principal.organization_id)
    if practitioner_id is not None:
        query = query.where(Schedule.practitioner_id == practitioner_id)
    if resource_id is not None:
        query = query.where(Schedule.resource_id == resource_id)
    return list(session.scalars(query.order_by(Schedule.valid_from, Schedule.id)
                                .limit(page.limit).offset(page.offset)))


def _own_schedule(session: Session, principal: Principal, schedule_id: uuid.UUID, *,
                  lock: bool = False) -> Schedule:
    schedule = session.get(Schedule, schedule_id, with_for_update=lock or None)
    if schedule is None or not _is_staff_of(principal, schedule.organization_id):
        raise NotFound("no such schedule")
    return schedule


@dataclass(frozen=True)
class ExceptionAdded:
    exception: ScheduleException
    affected: list[Appointment]


def add_exception(session: Session, *, principal: Principal, schedule_id: uuid.UUID,
                  start: datetime, end: datetime, reason: str) -> ExceptionAdded:
    """Leave or a closure. Appointments inside it are kept and marked for rebooking: the
    clinic offers the patients other slots; nothing is dropped.

    The database orders it against concurrent bookings (see `_schedules_of`): on
    PostgreSQL the schedule row is locked FOR UPDATE, which waits for the bookings holding
    it FOR KEY SHARE to end and holds new ones until this commits; on SQLite the leave is
    inserted (taking the single writer's lock) before the appointments are listed. Either
    way every appointment that ends up active inside the leave is in `affected`."""
    schedule = _own_schedule(session, principal, schedule_id, lock=True)
    _may_manage_for(principal, schedule.practitioner_id)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if end <= start:
        raise Invalid("the exception ends before it starts")
    if end - start > MAX_EXCEPTION:
        raise Invalid("an exception lasts at most a year")
    exception = ScheduleException(
        organization_id=schedule.organization_id, schedule_id=schedule.id, start_at=start,
        end_at=end, reason=reason, created_by=principal.user_id)
    session.add(exception)
    session.flush()  # on SQLite: the writer's lock, before the appointments are read
    affected = list(session.scalars(select(Appointment).where(
        Bookable.owning(schedule).of(Appointment),
        Appointment.status.in_([s.value for s in ACTIVE_STATUSES]),
        Appointment.start_at < end, Appointment.end_at > start,
    ).order_by(Appointment.start_at)))
    for appointment in affected:
        appointment.needs_rebooking = True
        appointment.updated_at = utcnow()
    session.flush()
    return ExceptionAdded(exception, affected)


# --- practitioner profiles and the directory ----------------------------------------------


@dataclass(frozen=True)
class DirectoryEntry:
    practitioner: User
    organization: Organization
    profile: PractitionerProfile | None
    next_free_slot: datetime | None


def put_profile(session: Session, *, principal: Principal, practitioner_id: uuid.UUID,
                specialty_code: str | None, specialty: str | None, languages: list[str],
                fee: tuple[Decimal, str] | None) -> DirectoryEntry:
    """The practitioner's directory entry, set by them or their organisation's
    administrators."""
    practitioner = _practitioner_in(session, principal.organization_id, practitioner_id)
    if principal.user_id != practitioner.id and Role.org_admin not in principal.roles:
        raise Forbidden("only the practitioner or their organisation's administrators may "
                        "change the profile")
    profile = session.get(PractitionerProfile, practitioner.id)
    if profile is None:
        assert practitioner.organization_id is not None
        profile = PractitionerProfile(user_id=practitioner.id,
                                      organization_id=practitioner.organization_id)
        session.add(profile)
    profile.specialty_code = specialty_code
    profile.specialty = specialty
    profile.languages = list(dict.fromkeys(languages))
    profile.fee_amount, profile.fee_currency = fee if fee else (None, None)
    profile.updated_at = utcnow()
    session.flush()
    return _directory_entry(session, practitioner, profile)


def _directory_entry(session: Session, practitioner: User,
                     profile: PractitionerProfile | None) -> DirectoryEntry:
    assert practitioner.organization_id is not None
    org = session.get(Organization, practitioner.organization_id)
    assert org is not None
    now = utcnow()
    upcoming = free_slots_of(session, Bookable(practitioner_id=practitioner.id), start=now,
                                       end=now + DIRECTORY_HORIZON, now=now, first=True)
    return DirectoryEntry(practitioner, org, profile, upcoming[0].start if upcoming else None)


def get_profile(session: Session, *, principal: Principal,
                practitioner_id: uuid.UUID) -> DirectoryEntry:
    """The practitioner's directory entry, for the practitioner and their organisation's
    front desk (helpdesk, administrators): other staff of the organisation 403, anyone else
    404. A practitioner without a profile yet has an entry all the same, its fields empty
    (null specialty and fee, no languages): what PUT would start from."""
    practitioner = _practitioner_in(session, principal.organization_id, practitioner_id)
    if principal.user_id != practitioner.id and not principal.roles & FRONT_DESK:
        raise Forbidden("only the practitioner or their organisation's helpdesk and "
                        "administrators read the profile")
    return _directory_entry(session, practitioner,
                            session.get(PractitionerProfile, practitioner.id))


def search_directory(session: Session, *, q: str | None, specialty: str | None,
                     organization_id: uuid.UUID | None, page: PageRequest,
                     now: datetime | None = None) -> list[DirectoryEntry]:
    """Bookable practitioners of active organisations (those with a profile or a schedule),
    by name, specialty (SNOMED CT code or term) and organisation, with their next free slot
    in the coming month. Cross-tenant by nature: the session is the system's."""
    now = now or utcnow()
    has_schedule = select(Schedule.id).where(Schedule.practitioner_id == User.id).exists()
    query = (
        select(User, Organization, PractitionerProfile)
        .join(Organization, Organization.id == User.organization_id)
        .outerjoin(PractitionerProfile, PractitionerProfile.user_id == User.id)
        .where(User.is_active.is_(True), Organization.is_active.is_(True),
               or_(PractitionerProfile.user_id.is_not(None), has_schedule)))
    if q:
        query = query.where(User.full_name.ilike(f"%{_like(q)}%", escape="\\"))
    if specialty:
        query = query.where(or_(PractitionerProfile.specialty_code == specialty,
                                PractitionerProfile.specialty.ilike(f"%{_like(specialty)}%",
                                                                    escape="\\")))
    if organization_id:
        query = query.where(User.organization_id == organization_id)
    rows = session.execute(query.order_by(User.full_name, User.id)
                           .limit(page.limit).offset(page.offset)).all()
    entries = []
    for user, org, profile in rows:
        upcoming = free_slots_of(session, Bookable(practitioner_id=user.id), start=now,
                                           end=now + DIRECTORY_HORIZON, now=now, first=True)
        entries.append(DirectoryEntry(user, org, profile,
                                      upcoming[0].start if upcoming else None))
    return entries


def _like(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- free slots ------------------------------------------------------------------------------


def _leave_within(owner: Bookable, start: datetime, end: datetime) -> Select[datetime, datetime]:
    return (select(ScheduleException.start_at, ScheduleException.end_at)
            .join(Schedule, Schedule.id == ScheduleException.schedule_id)
            .where(owner.of(Schedule),
                   ScheduleException.start_at < end, ScheduleException.end_at > start))


def _given_within(owner: Bookable, start: datetime, end: datetime,
                  besides: uuid.UUID | None = None) -> Select[datetime, datetime]:
    """Appointments that hold their slot (active, and those fulfilled or missed: only a
    cancellation gives a slot back) overlapping [start, end)."""
    query = select(Appointment.start_at, Appointment.end_at).where(
        owner.of(Appointment), Appointment.status.in_(_GIVEN),
        Appointment.start_at < end, Appointment.end_at > start)
    if besides is not None:
        query = query.where(Appointment.id != besides)
    return query


def _busy(session: Session, owner: Bookable, start: datetime,
          end: datetime) -> list[tuple[datetime, datetime]]:
    """Leave and given appointments of the practitioner (resource) overlapping [start, end),
    in one query."""
    rows = session.execute(union_all(_leave_within(owner, start, end),
                                     _given_within(owner, start, end))).all()
    return [(a, b) for a, b in rows]


@dataclass(frozen=True)
class SlotState:
    on_leave: bool
    given: bool


def _slot_state(session: Session, owner: Bookable, slot: Slot, *,
                besides: uuid.UUID | None = None) -> SlotState:
    """Whether leave covers the slot and whether an appointment holds it, in one query."""
    on_leave, given = session.execute(select(
        _leave_within(owner, slot.start, slot.end).exists(),
        _given_within(owner, slot.start, slot.end, besides).exists())).one()
    return SlotState(bool(on_leave), bool(given))


def _refuse_on_leave(owner: Bookable) -> Invalid:
    return Invalid("the practitioner is on leave at that time" if owner.practitioner_id
                   else "the resource is unavailable at that time")


def free_slots_of(session: Session, owner: Bookable, *, start: datetime, end: datetime,
                  now: datetime | None = None, first: bool = False) -> list[Slot]:
    now = now or utcnow()
    schedules = _schedules_of(session, owner)
    if not schedules:
        return []
    busy = _busy(session, owner, start, end)
    found: list[Slot] = []
    for schedule in schedules:
        found += free_slots(rules_of(schedule), start, end, busy=busy, now=now)
        if first and found:
            break
    found.sort(key=lambda s: s.start)
    return found[:1] if first else found


def list_free_slots(session: Session, *, principal: Principal,
                    practitioner_id: uuid.UUID | None, resource_id: uuid.UUID | None,
                    start: datetime, end: datetime) -> list[Slot]:
    """A practitioner's free slots (for anyone: patients book them), or a resource's (for
    its organisation's staff)."""
    if (practitioner_id is None) == (resource_id is None):
        raise Invalid("ask for the slots of one practitioner or one resource")
    if end <= start:
        raise Invalid("end is not after start")
    if end - start > MAX_SLOT_WINDOW:
        raise Invalid("ask for at most 31 days of slots at a time")
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    if resource_id is not None:
        resource = _resource_in(session, principal.organization_id, resource_id)
        return free_slots_of(session, Bookable(resource_id=resource.id), start=start, end=end)
    found = session.scalar(
        select(User.id).join(Organization, Organization.id == User.organization_id)
        .where(User.id == practitioner_id, User.is_active.is_(True),
               Organization.is_active.is_(True)))
    if found is None:
        raise NotFound("no such practitioner")
    return free_slots_of(session, Bookable(practitioner_id=found), start=start, end=end)


def _bookable_slot(session: Session, owner: Bookable, start: datetime, *,
                   besides: uuid.UUID | None = None) -> tuple[Schedule, Slot]:
    """The practitioner's (resource's) slot starting at `start`, if it can be booked now:
    422 for a start in the past, outside the hours or on leave; 409 for a slot given. Reads
    only, and cheaply (the schedules, then one query for leave and appointments): a request
    for a slot already given is refused here without writing anything. On PostgreSQL the
    schedules are held against concurrent leave (`_schedules_of`)."""
    start = start.astimezone(UTC)
    if start <= utcnow():
        raise Invalid("the slot is in the past")
    for schedule in _schedules_of(session, owner, hold=True):
        slot = slot_at(rules_of(schedule), start)
        if slot is None:
            continue
        state = _slot_state(session, owner, slot, besides=besides)
        if state.on_leave:
            raise _refuse_on_leave(owner)
        if state.given:
            raise Conflict("the slot is not free")
        return schedule, slot
    raise Invalid("the start is not a slot of the practitioner's (resource's) hours")


def _write_guarded(session: Session, owner: Bookable, slot: Slot) -> None:
    """Write the appointment taking (or moving into) `slot`, under the database's guards: a
    slot given concurrently is refused by the unique index (409); leave added concurrently
    is seen here. On PostgreSQL `_bookable_slot` held the schedules before it looked for
    leave. On SQLite the insert took the only writer's lock, and the look for leave is made
    again under it: a leave committed since the first look is found, and one not yet begun
    waits for this booking to commit and then lists it."""
    _insert_guarded(session)
    if _dialect(session) == "sqlite" and _slot_state(session, owner, slot).on_leave:
        raise _refuse_on_leave(owner)


def _insert_guarded(session: Session) -> None:
    """Flush, turning the database's refusal of a second active appointment in a slot into
    409 (a concurrent request took it between our check and our write). The unit of work
    is then rolled back as a whole by its scope: nothing of the request is kept."""
    try:
        session.flush()
    except IntegrityError as exc:
        message = str(exc.orig)
        if any(name in message for name in _SLOT_TAKEN):
            raise Conflict("the slot is not free") from None
        raise


# --- appointments ----------------------------------------------------------------------------


def _uhid(value: str) -> str:
    try:
        return normalize_uhid(value)
    except InvalidUHID as exc:
        raise Invalid(str(exc)) from None


def _patient(session: Session, uhid: str) -> User:
    user = get_by_uhid(session, uhid)
    if Role.patient.value not in user.role_names or not user.is_active:
        raise NotFound("no patient has this UHID")
    return user


def book_appointment(session: Session, ports: RecordPorts, *, principal: Principal,
                     practitioner_id: uuid.UUID | None, resource_id: uuid.UUID | None,
                     start: datetime, reason: str | None,
                     patient_uhid: str | None) -> Appointment:
    """A patient books for themself with any organisation's practitioner; staff who may
    book (helpdesk) book for any patient, by UHID, with their own organisation's
    practitioners or resources. The appointment waits for the clinic's confirmation. A
    reason is written as the patient's encrypted record (see `_book`)."""
    if (practitioner_id is None) == (resource_id is None):
        raise Invalid("book either a practitioner or a resource")
    if resource_id is not None:
        if Role.patient in principal.roles or principal.organization_id is None:
            raise Forbidden("rooms and equipment are booked by the clinic")
        if patient_uhid is None:
            raise Invalid("name the patient (UHID) you book for")
        resource = _resource_in(session, principal.organization_id, resource_id)
        return _book(session, ports, principal=principal,
                     owner=Bookable(resource_id=resource.id),
                     organization_id=resource.organization_id,
                     patient=_patient(session, patient_uhid), start=start, reason=reason)
    assert practitioner_id is not None
    patient: User | PatientRef
    if Role.patient in principal.roles:
        if patient_uhid is not None and _uhid(patient_uhid) != principal.uhid:
            raise Forbidden("patients book for themselves only")
        patient = _caller_as_patient(session, principal)
    else:
        if principal.organization_id is None:
            raise Forbidden("only patients and an organisation's staff book appointments")
        if patient_uhid is None:
            raise Invalid("name the patient (UHID) you book for")
        _practitioner_in(session, principal.organization_id, practitioner_id)
        patient = _patient(session, patient_uhid)
    # The practitioner's organisation, both active, in one query.
    organization_id = session.scalar(
        select(User.organization_id).join(Organization, Organization.id == User.organization_id)
        .where(User.id == practitioner_id, User.is_active.is_(True),
               Organization.is_active.is_(True)))
    if organization_id is None:
        raise NotFound("no such practitioner")
    return _book(session, ports, principal=principal,
                 owner=Bookable(practitioner_id=practitioner_id),
                 organization_id=organization_id, patient=patient, start=start,
                 reason=reason)


@dataclass(frozen=True)
class PatientRef:
    """Who an appointment is for, when their account row is not needed (no reason)."""

    id: uuid.UUID
    uhid: str
    full_name: str


def _caller_as_patient(session: Session, principal: Principal) -> User | PatientRef:
    """The patient who books, as the sign-in check just read them (an active account);
    their account row is loaded only if a reason is to be encrypted to them, or when the
    principal was made without the profile (outside a request)."""
    if principal.profile is not None:
        return PatientRef(principal.user_id, principal.uhid, principal.profile.full_name)
    user = session.get(User, principal.user_id)
    if user is None:
        raise NotFound("no such patient")
    return user


def _reason_holder(session: Session, patient: User | PatientRef) -> User:
    """The patient's account a reason is encrypted to; 422 until they have keys."""
    if keys_of_user(session, patient.id) is None:
        raise Invalid(NO_KEYS_FOR_REASON)
    account = patient if isinstance(patient, User) else session.get(User, patient.id)
    if account is None:
        raise NotFound("no such patient")
    return account


def _reason_resource(appointment: Appointment, patient: User, practitioner: User | None,
                     reason: str) -> dict[str, Any]:
    """The reason as a FHIR R4 Appointment about the appointment (its id, status, times,
    participants): the record the patient and those they grant read."""
    participants: list[dict[str, Any]] = [
        {"actor": {"reference": f"Patient/{patient.uhid}"}, "status": "accepted"}]
    if practitioner is not None:
        participants.append({"actor": {"identifier": {"system": UHID_SYSTEM,
                                                      "value": practitioner.uhid}},
                             "status": "accepted"})
    return {
        "resourceType": "Appointment",
        "identifier": [{"system": APPOINTMENT_ID_SYSTEM, "value": str(appointment.id)}],
        "status": appointment.status,
        "reasonCode": [{"text": reason}],
        "start": appointment.start_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "end": appointment.end_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "participant": participants,
    }


def _book(session: Session, ports: RecordPorts, *, principal: Principal, owner: Bookable,
          organization_id: uuid.UUID, patient: User | PatientRef, start: datetime,
          reason: str | None, follow_up_of: uuid.UUID | None = None,
          status: AppointmentStatus = AppointmentStatus.pending) -> Appointment:
    """The appointment, and its reason (if given) as the patient's encrypted record, both or
    neither: 422 when a reason is given and the patient has no keys to encrypt it to.

    The write of the reason goes through the access gate before anything is flushed (its
    entry is committed apart from this unit of work): the patient's own (`owner`), or the
    booking staff member's under the booking itself (`appointment`, see
    api.scheduling.relationships), or an encounter of theirs with the patient
    (`encounter`, a follow-up)."""
    schedule, slot = _bookable_slot(session, owner, start)
    appointment = Appointment(
        id=uuid.uuid4(), organization_id=organization_id,
        practitioner_id=owner.practitioner_id, resource_id=owner.resource_id,
        patient_id=patient.id, patient_uhid=patient.uhid, patient_name=patient.full_name,
        schedule_id=schedule.id, start_at=slot.start, end_at=slot.end,
        status=status.value, booked_by=principal.user_id, follow_up_of=follow_up_of)
    written: tuple[User, dict[str, Any], str] | None = None
    if reason is not None:
        account = _reason_holder(session, patient)
        practitioner = session.get(User, owner.practitioner_id) \
            if owner.practitioner_id is not None else None
        written = (account, *records.checked_resource(
            ports, account, _reason_resource(appointment, account, practitioner, reason)))
    session.add(appointment)
    if written is not None:
        account, _, category = written
        with session.no_autoflush:  # the booking is checked as held, not yet flushed
            ports.access_gate(session).authorise_write(
                author=principal, patient=account, category=category,
                record=f"category:{category}",
                references=(appointment_reference(appointment.id),))
    with committed_here(session):
        # The cheap insert first: a slot given concurrently is refused before the reason
        # is encrypted and stored.
        _write_guarded(session, owner, slot)
        if written is not None:
            account, resource, category = written
            record = records.seal_and_store(
                session, ports, author_id=principal.user_id,
                author_org_id=principal.organization_id, patient=account, resource=resource,
                category=category)
            appointment.reason_record = record.id
            session.flush()
        _tell(session, appointment,
              NotificationKind.appointment_confirmed if status is AppointmentStatus.booked
              else NotificationKind.appointment_requested,
              actor=principal.user_id, practitioner_too=True)
    return appointment


_INBOX_TEXTS = {
    NotificationKind.appointment_requested: "An appointment on {start} was requested.",
    NotificationKind.appointment_confirmed: "Your appointment on {start} was confirmed.",
    NotificationKind.appointment_declined: "Your appointment request for {start} was "
                                           "declined.",
    NotificationKind.appointment_rescheduled: "An appointment was moved to {start}.",
    NotificationKind.appointment_cancelled: "The appointment on {start} was cancelled.",
}


def _tell(session: Session, appointment: Appointment, kind: NotificationKind, *,
          actor: uuid.UUID, practitioner_too: bool = False) -> None:
    """The patient's notification of the change (inbox, and email as they chose), in this
    unit of work; the practitioner's too when someone else asked for the change. The text
    names the event and the time, never the reason."""
    text = _INBOX_TEXTS[kind].format(start=f"{appointment.start_at:%Y-%m-%d %H:%M} UTC")
    notify_event(session, user_id=appointment.patient_id, kind=kind,
                 subject_id=str(appointment.id), inbox_text=text)
    if practitioner_too and appointment.practitioner_id not in (None, actor):
        assert appointment.practitioner_id is not None
        notify_event(session, user_id=appointment.practitioner_id, kind=kind,
                     subject_id=str(appointment.id), inbox_text=text)


def _clinic_appointment(session: Session, principal: Principal,
                        appointment_id: uuid.UUID) -> Appointment:
    """An appointment of the caller's organisation (404 for any other)."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or not _is_staff_of(principal, appointment.organization_id):
        raise NotFound("no such appointment")
    return appointment


def _require_status(appointment: Appointment, *allowed: AppointmentStatus) -> None:
    if appointment.status not in {s.value for s in allowed}:
        raise Conflict(f"the appointment is {appointment.status}")


def _set_status(appointment: Appointment, status: AppointmentStatus) -> None:
    appointment.status = status.value
    appointment.updated_at = utcnow()


def confirm(session: Session, *, principal: Principal, appointment_id: uuid.UUID) -> Appointment:
    appointment = _clinic_appointment(session, principal, appointment_id)
    _may_manage_for(principal, appointment.practitioner_id)
    _require_status(appointment, AppointmentStatus.pending)
    _set_status(appointment, AppointmentStatus.booked)
    session.flush()
    _tell(session, appointment, NotificationKind.appointment_confirmed,
          actor=principal.user_id)
    return appointment


def decline(session: Session, *, principal: Principal, appointment_id: uuid.UUID,
            reason: ChangeReason) -> Appointment:
    appointment = _clinic_appointment(session, principal, appointment_id)
    _may_manage_for(principal, appointment.practitioner_id)
    _require_status(appointment, AppointmentStatus.pending)
    _cancel(appointment, principal, reason)
    session.flush()
    _tell(session, appointment, NotificationKind.appointment_declined,
          actor=principal.user_id)
    return appointment


def _cancel(appointment: Appointment, principal: Principal, reason: ChangeReason) -> None:
    _set_status(appointment, AppointmentStatus.cancelled)
    appointment.cancel_reason = reason.value
    appointment.cancelled_by = principal.user_id


def _patient_or_clinic_appointment(session: Session, principal: Principal,
                                   appointment_id: uuid.UUID) -> Appointment:
    """The patient's own appointment, or one of the clinic's for its staff who manage
    appointments; 404 for anyone else."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is not None:
        if Role.patient in principal.roles and appointment.patient_id == principal.user_id \
                and principal.can("appointment:book"):
            return appointment
        if _is_staff_of(principal, appointment.organization_id) \
                and principal.can("appointment:manage"):
            return appointment
    raise NotFound("no such appointment")


def cancel(session: Session, *, principal: Principal, appointment_id: uuid.UUID,
           reason: ChangeReason) -> Appointment:
    appointment = _patient_or_clinic_appointment(session, principal, appointment_id)
    _require_status(appointment, AppointmentStatus.pending, AppointmentStatus.booked)
    _cancel(appointment, principal, reason)
    session.flush()
    _tell(session, appointment, NotificationKind.appointment_cancelled,
          actor=principal.user_id, practitioner_too=True)
    return appointment


def reschedule(session: Session, *, principal: Principal, appointment_id: uuid.UUID,
               start: datetime, reason: ChangeReason | None = None) -> Appointment:
    """Move to another free slot of the same practitioner, with the same guarantee as a
    booking. Moved by the patient, it waits for the clinic's confirmation again."""
    appointment = _patient_or_clinic_appointment(session, principal, appointment_id)
    _require_status(appointment, AppointmentStatus.pending, AppointmentStatus.booked)
    schedule, slot = _bookable_slot(session, Bookable.owning(appointment), start,
                                    besides=appointment.id)
    appointment.schedule_id = schedule.id
    appointment.start_at, appointment.end_at = slot.start, slot.end
    appointment.needs_rebooking = False
    appointment.reschedule_reason = reason.value if reason is not None else None
    if appointment.patient_id == principal.user_id:
        _set_status(appointment, AppointmentStatus.pending)
    else:
        appointment.updated_at = utcnow()
    with committed_here(session):
        _write_guarded(session, Bookable.owning(appointment), slot)
        _tell(session, appointment, NotificationKind.appointment_rescheduled,
              actor=principal.user_id, practitioner_too=True)
    return appointment


def check_in(session: Session, *, principal: Principal,
             appointment_id: uuid.UUID) -> tuple[Appointment, Encounter]:
    """The patient arrived: the appointment is `arrived` and an encounter opens."""
    appointment = _clinic_appointment(session, principal, appointment_id)
    if principal.user_id != appointment.practitioner_id and not CHECK_IN_ROLES & principal.roles:
        raise Forbidden("patients are checked in by the helpdesk, a nurse or the practitioner")
    if appointment.practitioner_id is None:
        raise Conflict("a room or equipment booking opens no encounter; the patient is "
                       "checked in for the practitioner's appointment")
    _require_status(appointment, AppointmentStatus.booked)
    _set_status(appointment, AppointmentStatus.arrived)
    encounter = Encounter(
        organization_id=appointment.organization_id, appointment_id=appointment.id,
        patient_id=appointment.patient_id, practitioner_id=appointment.practitioner_id,
        started_at=utcnow())
    session.add(encounter)
    session.flush()
    return appointment, encounter


def record_no_show(session: Session, *, principal: Principal,
                   appointment_id: uuid.UUID) -> Appointment:
    appointment = _clinic_appointment(session, principal, appointment_id)
    if principal.user_id != appointment.practitioner_id and \
            not (FRONT_DESK | CHECK_IN_ROLES) & principal.roles:
        raise Forbidden("no-shows are recorded by the helpdesk, a nurse or the practitioner")
    _require_status(appointment, AppointmentStatus.booked, AppointmentStatus.pending)
    if appointment.start_at > utcnow():
        raise Conflict("the appointment has not started yet")
    _set_status(appointment, AppointmentStatus.noshow)
    session.flush()
    return appointment


def _clinic_encounter(session: Session, principal: Principal,
                      encounter_id: uuid.UUID) -> Encounter:
    encounter = session.get(Encounter, encounter_id)
    if encounter is None or not _is_staff_of(principal, encounter.organization_id):
        raise NotFound("no such encounter")
    return encounter


def finish_encounter(session: Session, *, principal: Principal,
                     encounter_id: uuid.UUID) -> Encounter:
    """The practitioner ends the visit; its appointment is fulfilled."""
    encounter = _clinic_encounter(session, principal, encounter_id)
    if principal.user_id != encounter.practitioner_id:
        raise Forbidden("only the encounter's practitioner finishes it")
    if encounter.finished_at is not None:
        raise Conflict("the encounter is already finished")
    encounter.finished_at = utcnow()
    appointment = session.get(Appointment, encounter.appointment_id)
    assert appointment is not None
    _set_status(appointment, AppointmentStatus.fulfilled)
    # Billed as a consultation, in this transaction. Only a practitioner's appointment opens
    # an encounter: room and equipment bookings are not billed (their use is billed, if at
    # all, by the procedure done there).
    profile = session.get(PractitionerProfile, encounter.practitioner_id)
    billed = consultation_code(profile.specialty_code if profile else None,
                               profile.specialty if profile else None)
    report_billable(session, Billable(
        kind=BillableEventKind.consultation, source_id=appointment.id,
        organization_id=encounter.organization_id, patient_id=encounter.patient_id,
        patient_uhid=appointment.patient_uhid, code_system=CONSULTATION_SYSTEM,
        code=billed.code, display=billed.display, department=billed.department,
        occurred_at=encounter.finished_at))
    session.flush()
    return encounter


def book_follow_up(session: Session, ports: RecordPorts, *, principal: Principal,
                   encounter_id: uuid.UUID,
                   start: datetime, practitioner_id: uuid.UUID | None,
                   reason: str | None) -> Appointment:
    """A follow-up for the encounter's patient with a practitioner of the same organisation,
    booked by the encounter's practitioner (confirmed at once when it is with themself) or
    the front desk."""
    encounter = _clinic_encounter(session, principal, encounter_id)
    if principal.user_id != encounter.practitioner_id and not FRONT_DESK & principal.roles:
        raise Forbidden("follow-ups are booked by the encounter's practitioner or the "
                        "helpdesk")
    practitioner = _practitioner_in(session, encounter.organization_id,
                                    practitioner_id or encounter.practitioner_id)
    status = AppointmentStatus.booked if practitioner.id == principal.user_id \
        else AppointmentStatus.pending
    patient = session.get(User, encounter.patient_id)
    assert patient is not None
    return _book(session, ports, principal=principal,
                 owner=Bookable(practitioner_id=practitioner.id),
                 organization_id=encounter.organization_id, patient=patient, start=start,
                 reason=reason, follow_up_of=encounter.id, status=status)


def encounter_of(session: Session, appointment_id: uuid.UUID) -> Encounter | None:
    return session.scalar(select(Encounter).where(Encounter.appointment_id == appointment_id))


def encounters_of(session: Session,
                  appointments: Sequence[Appointment]) -> dict[uuid.UUID, uuid.UUID]:
    """appointment id -> encounter id, for those with one."""
    ids = [a.id for a in appointments]
    if not ids:
        return {}
    rows = session.execute(select(Encounter.appointment_id, Encounter.id).where(
        Encounter.appointment_id.in_(ids))).all()
    return dict(rows)


def list_appointments(session: Session, *, principal: Principal, start: datetime | None,
                      end: datetime | None, status: str | None,
                      page: PageRequest) -> list[Appointment]:
    """A patient's own (with every organisation), a practitioner's own, or the whole
    organisation's for its helpdesk and administrators."""
    query = select(Appointment)
    if Role.patient in principal.roles:
        query = query.where(Appointment.patient_id == principal.user_id)
    elif principal.organization_id is not None and FRONT_DESK & principal.roles:
        query = query.where(Appointment.organization_id == principal.organization_id)
    elif principal.organization_id is not None:
        query = query.where(Appointment.organization_id == principal.organization_id,
                            Appointment.practitioner_id == principal.user_id)
    else:
        return []
    if start is not None:
        query = query.where(Appointment.start_at >= start)
    if end is not None:
        query = query.where(Appointment.start_at < end)
    if status is not None:
        query = query.where(Appointment.status == status)
    return list(session.scalars(query.order_by(Appointment.start_at, Appointment.id)
                                .limit(page.limit).offset(page.offset)))


def slot_rows(session: Session, practitioner_id: uuid.UUID, start: datetime,
              end: datetime) -> tuple[int, int]:
    """The rows a practitioner's free-slot search reads (schedules; leave and appointments in
    [start, end)), read by the same queries and not computed into slots: the baseline of
    scripts/bench_clinic.py. Counts of each."""
    owner = Bookable(practitioner_id=practitioner_id)
    return len(_schedules_of(session, owner)), len(_busy(session, owner, start, end))
