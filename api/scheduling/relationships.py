"""The treating relationships scheduling creates, as the access gate asks them
(api.access.gate.TreatingRelationship); api.composition registers them with every gate.

- `OpenEncounters` (basis `encounter`, DESIGN.md): while an encounter is open, and for
  `window` after it finished, the clinicians (author roles) of its organisation may write
  records for its patient. Reading earlier records still needs the patient's grant: the gate
  asks relationships about writes only.
- `BookingReasons` (basis `appointment`): the staff member booking an appointment for a
  patient may write the reason given with that booking, and only that: the one record whose
  write names the appointment being booked in this unit of work (`appointment:<id>`), booked
  by the writer for that patient in the writer's organisation, with no reason recorded yet.
  Like an order's results (`order`), it is a write of that workflow object's content; it
  lets nothing else be written and nothing be read (the record is encrypted to the patient).

The booking is checked as the unit of work holds it, not yet flushed: the gate's entry is
committed apart from the caller's session, and on SQLite it would wait on the lock of a
caller that had flushed writes (the caller asks the gate with autoflush off).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from api.access.gate import APPOINTMENT, ENCOUNTER, Accessor, Subject
from api.db.base import utcnow
from api.roles.catalog import AUTHOR_ROLES
from api.scheduling.models import Appointment, Encounter
from api.tenants.models import Organization

APPOINTMENT_REFERENCE = "appointment:"


def appointment_reference(appointment_id: uuid.UUID) -> str:
    return f"{APPOINTMENT_REFERENCE}{appointment_id}"


@dataclass(frozen=True)
class OpenEncounters:
    """Clinicians of an organisation with an encounter with the patient, open or finished
    less than `window` ago, write for the patient."""

    window: timedelta
    basis: str = ENCOUNTER

    def lets_write(self, session: Session, *, author: Accessor, subject: Subject) -> bool:
        org = author.organization_id
        if org is None or not author.roles & AUTHOR_ROLES:
            return False
        since = utcnow() - self.window
        return bool(session.scalar(select(exists().where(
            Encounter.organization_id == org,
            Encounter.patient_id == subject.patient.id,
            or_(Encounter.finished_at.is_(None), Encounter.finished_at > since),
            exists().where(Organization.id == org, Organization.is_active.is_(True)),
        ))))


@dataclass(frozen=True)
class BookingReasons:
    """The booking user writes the reason of the appointment they are booking (see the
    module's docstring)."""

    basis: str = APPOINTMENT

    def lets_write(self, session: Session, *, author: Accessor, subject: Subject) -> bool:
        if author.organization_id is None:
            return False
        named = {r.removeprefix(APPOINTMENT_REFERENCE) for r in subject.references
                 if r.startswith(APPOINTMENT_REFERENCE)}
        if not named:
            return False
        return any(
            isinstance(obj, Appointment) and str(obj.id) in named
            and obj.booked_by == author.user_id
            and obj.organization_id == author.organization_id
            and obj.patient_id == subject.patient.id and obj.reason_record is None
            for obj in session.new)
