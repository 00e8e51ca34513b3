"""The treating relationship prescriptions create, as the access gate asks it
(api.access.gate.TreatingRelationship); api.composition registers it with every gate.

`PrescriptionDispenses` (basis `prescription`): an active prescription lets the pharmacists
(author roles) of its pharmacy write that prescription's dispenses for its patient, and only
those: the write names the prescription (`prescription:<id>`) and is a `medication` record;
the prescription is active (something is left to dispense) and the pharmacy active. It lets
nothing else be written and nothing be read.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.access.gate import PRESCRIPTION, Accessor, Subject
from api.prescriptions.models import Prescription, PrescriptionStatus
from api.roles.catalog import AUTHOR_ROLES
from api.tenants.models import Organization

PRESCRIPTION_REFERENCE = "prescription:"
DISPENSE_CATEGORY = "medication"


def prescription_reference(prescription_id: uuid.UUID) -> str:
    return f"{PRESCRIPTION_REFERENCE}{prescription_id}"


def _named(subject: Subject) -> list[uuid.UUID]:
    named = []
    for reference in subject.references:
        if reference.startswith(PRESCRIPTION_REFERENCE):
            try:
                named.append(uuid.UUID(reference.removeprefix(PRESCRIPTION_REFERENCE)))
            except ValueError:
                continue
    return named


@dataclass(frozen=True)
class PrescriptionDispenses:
    """The pharmacy's pharmacists write the dispenses of an active prescription for its
    patient (see the module's docstring)."""

    basis: str = PRESCRIPTION

    def lets_write(self, session: Session, *, author: Accessor, subject: Subject) -> bool:
        org = author.organization_id
        named = _named(subject)
        if org is None or not author.roles & AUTHOR_ROLES or not named:
            return False
        if f"category:{DISPENSE_CATEGORY}" not in subject.scopes:
            return False
        return bool(session.scalar(select(exists().where(
            Prescription.id.in_(named),
            Prescription.pharmacy_org_id == org,
            Prescription.patient_id == subject.patient.id,
            Prescription.status == PrescriptionStatus.active.value,
            exists().where(Organization.id == org, Organization.is_active.is_(True)),
        ))))
