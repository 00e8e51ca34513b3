"""The billing context's intake: workflows report what is billable here, in the same
transaction as the work itself (the fulfilled appointment, the completed order, the
dispense), so a service given is never lost to billing and never reported twice.

A second report of the same source (a retried request, an event processed twice) finds the
first by UNIQUE (kind, source_id) and changes nothing. The charging worker
(api/billing/charging.py) turns each event into exactly one charge."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api.billing.models import BillableEvent, BillableEventKind, BillableEventStatus


@dataclass(frozen=True)
class Billable:
    kind: BillableEventKind
    source_id: uuid.UUID
    organization_id: uuid.UUID
    patient_id: uuid.UUID
    code_system: str
    code: str
    display: str
    occurred_at: datetime
    quantity: int = 1
    department: str | None = None
    record_id: uuid.UUID | None = None
    # The patient's UHID as the workflow holds it, shown to the desk with unpriced events.
    patient_uhid: str | None = None


# The service codes the workflows report under (lab tests and imaging by their order's code,
# drugs by RxNorm): consultations by the practitioner's specialty (its SNOMED CT code), or
# `general` for a practitioner without one.
CONSULTATION_SYSTEM = "https://ohms.health/fhir/CodeSystem/consultation"
GENERAL_CONSULTATION = "general"
GENERAL_PRACTICE = "General practice"
LABORATORY, RADIOLOGY, PHARMACY = "Laboratory", "Radiology", "Pharmacy"


@dataclass(frozen=True)
class ConsultationCode:
    code: str
    display: str
    department: str


def consultation_code(specialty_code: str | None, specialty: str | None) -> ConsultationCode:
    """What a consultation with a practitioner of this specialty is billed as."""
    name = specialty or GENERAL_PRACTICE
    return ConsultationCode(code=specialty_code or GENERAL_CONSULTATION,
                            display=f"Consultation \u2013 {name}"[:200], department=name[:100])


def report_billable(session: Session, billable: Billable) -> None:
    """Record `billable` once (a repeat of its kind and source is ignored)."""
    values = {
        "id": uuid.uuid4(), "kind": billable.kind.value, "source_id": billable.source_id,
        "organization_id": billable.organization_id, "patient_id": billable.patient_id,
        "code_system": billable.code_system, "code": billable.code,
        "display": billable.display[:200], "quantity": billable.quantity,
        "occurred_at": billable.occurred_at, "department": billable.department,
        "record_id": billable.record_id, "patient_uhid": billable.patient_uhid,
        "status": BillableEventStatus.pending.value,
        "attempts": 0, "created_at": billable.occurred_at,
    }
    insert = (postgresql.insert if session.get_bind().dialect.name == "postgresql"
              else sqlite.insert)
    session.execute(insert(BillableEvent).values(**values)
                    .on_conflict_do_nothing(index_elements=["kind", "source_id"]))
