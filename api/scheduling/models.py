"""Scheduling rows: practitioner profiles, schedules and their exceptions, appointments and
encounters. Every row belongs to the practitioner's organisation (row-level security)."""

from __future__ import annotations

import enum
import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, Numeric, String, text
from sqlalchemy.orm import Mapped, mapped_column

from api.db.base import Base, created_at_column, uuid_pk


class AppointmentStatus(enum.StrEnum):
    pending = "pending"      # asked for, awaiting the clinic's confirmation
    booked = "booked"        # confirmed
    arrived = "arrived"      # checked in: an encounter is open
    fulfilled = "fulfilled"  # the encounter finished
    cancelled = "cancelled"  # declined by the clinic or cancelled by either side
    noshow = "noshow"


# A slot is given at most once among these (the partial unique index below).
ACTIVE_STATUSES = (AppointmentStatus.pending, AppointmentStatus.booked,
                   AppointmentStatus.arrived)
_ACTIVE_SQL = "status IN ('pending', 'booked', 'arrived')"
# A slot once given stays given unless the appointment is cancelled: a visit that ended
# early (fulfilled) or a no-show does not make its slot free again. What the free-slot
# computation and the booking's check count as busy (the index above needs only the active
# ones: a fulfilled or no-show appointment is over, nothing races it into the slot).
GIVEN_STATUSES = (*ACTIVE_STATUSES, AppointmentStatus.fulfilled, AppointmentStatus.noshow)
ACTIVE_SLOT_INDEX = "uq_appointments_active_slot"
ACTIVE_RESOURCE_SLOT_INDEX = "uq_appointments_active_resource_slot"
# A schedule or an appointment is a practitioner's or a resource's, never both.
_ONE_OWNER = "(practitioner_id IS NULL) <> (resource_id IS NULL)"


class ChangeReason(enum.StrEnum):
    """Why an appointment was cancelled, declined or moved: a code, never free text (the
    clinical why of a visit is content, kept only in the patient's encrypted records)."""

    patient_request = "patient_request"                    # the patient asked
    practitioner_unavailable = "practitioner_unavailable"  # leave, sickness, surgery
    clinic_closed = "clinic_closed"                        # closure, holiday, outage
    resource_unavailable = "resource_unavailable"          # a room or equipment is out
    rebooked = "rebooked"                                  # replaced by another appointment
    other = "other"


class ResourceKind(enum.StrEnum):
    room = "room"            # an operating room, a consulting room
    equipment = "equipment"  # a scanner, a dialysis machine


class Resource(Base):
    """Something booked like a practitioner's time: an operating room, equipment."""

    __tablename__ = "resources"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    is_active: Mapped[bool] = mapped_column(default=True, nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class PractitionerProfile(Base):
    """What the directory shows of a practitioner besides their name."""

    __tablename__ = "practitioner_profiles"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    # A SNOMED CT concept id (a descendant of 394658006 |Clinical specialty|) and/or a term.
    specialty_code: Mapped[str | None] = mapped_column(String(18), nullable=True)
    specialty: Mapped[str | None] = mapped_column(String(200), nullable=True)
    languages: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    fee_amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2), nullable=True)
    fee_currency: Mapped[str | None] = mapped_column(String(3), nullable=True)
    updated_at: Mapped[datetime] = created_at_column()


class Schedule(Base):
    """Weekly hours of a practitioner (or of a resource) in an IANA time zone, between
    validity dates."""

    __tablename__ = "schedules"
    __table_args__ = (CheckConstraint(_ONE_OWNER, name="one_owner"),)

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True)
    resource_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("resources.id"), nullable=True, index=True)
    timezone: Mapped[str] = mapped_column(String(64), nullable=False)
    slot_minutes: Mapped[int] = mapped_column(nullable=False)
    # [{"weekday": 0-6, "start": "HH:MM", "end": "HH:MM"}], local wall-clock times.
    weekly_hours: Mapped[list[dict[str, Any]]] = mapped_column(JSON, nullable=False)
    valid_from: Mapped[date] = mapped_column(Date, nullable=False)
    valid_to: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class ScheduleException(Base):
    """A stretch of time off a schedule (leave, a closure), in UTC."""

    __tablename__ = "schedule_exceptions"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("schedules.id", ondelete="CASCADE"), nullable=False, index=True)
    start_at: Mapped[datetime] = mapped_column(nullable=False)
    end_at: Mapped[datetime] = mapped_column(nullable=False)
    reason: Mapped[str] = mapped_column(String(200), nullable=False)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    created_at: Mapped[datetime] = created_at_column()


class Appointment(Base):
    """A patient's slot with a practitioner (or of a resource). At most one active
    appointment per practitioner (resource) and start, enforced by the database whatever the
    requests race."""

    __tablename__ = "appointments"
    __table_args__ = (
        Index(ACTIVE_SLOT_INDEX, "practitioner_id", "start_at", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
        Index(ACTIVE_RESOURCE_SLOT_INDEX, "resource_id", "start_at", unique=True,
              sqlite_where=text(_ACTIVE_SQL), postgresql_where=text(_ACTIVE_SQL)),
        CheckConstraint(_ONE_OWNER, name="one_owner"),
        Index("ix_appointments_patient_start", "patient_id", "start_at"),
        Index("ix_appointments_organization_start", "organization_id", "start_at"),
    )

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False)
    practitioner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"),
                                                              nullable=True)
    resource_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("resources.id"),
                                                          nullable=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    # Who is coming, as at booking, for the clinic's staff (who cannot read patients' accounts).
    patient_uhid: Mapped[str | None] = mapped_column(String(14), nullable=True)
    patient_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    schedule_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("schedules.id"), nullable=False)
    start_at: Mapped[datetime] = mapped_column(nullable=False)
    end_at: Mapped[datetime] = mapped_column(nullable=False)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    # The reason given at booking, as the patient's encrypted FHIR Appointment record (only
    # its id here: reasons are clinical content and never stored in plain text).
    reason_record: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("records.id"),
                                                            nullable=True)
    booked_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    # ChangeReason codes: why it was cancelled or declined; why it was last moved.
    cancel_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    reschedule_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    cancelled_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"),
                                                           nullable=True)
    # Set when leave was added over it: the clinic is to offer the patient another slot.
    needs_rebooking: Mapped[bool] = mapped_column(default=False, nullable=False)
    # The encounter this follow-up was booked from (no foreign key: encounters refer here).
    follow_up_of: Mapped[uuid.UUID | None] = mapped_column(nullable=True)
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = created_at_column()


class Encounter(Base):
    """The visit a check-in opens; its organisation's clinicians treat the patient in it."""

    __tablename__ = "encounters"

    id: Mapped[uuid.UUID] = uuid_pk()
    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id"), nullable=False, index=True)
    appointment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("appointments.id"), nullable=False, unique=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    practitioner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), nullable=False)
    started_at: Mapped[datetime] = mapped_column(nullable=False)
    finished_at: Mapped[datetime | None] = mapped_column(nullable=True)
