"""HTTP routes of prescriptions: prescribing (with the allergy check), the lists of each party
(the pharmacy's queue with the lot to dispense from first) and dispensing. Prescribing and
dispensing write the patient's encrypted records (a system table), and a patient (of no
organisation) lists their own prescriptions, through the system session (reasons in
api/system_sessions.py); the service confines each to the caller's organisation."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status
from sqlalchemy import Row

from api.deps import ContainerDep, Principal, SystemDB, require
from api.errors import problem_responses
from api.paging import Page
from api.pharmacy.models import InventoryLot
from api.prescriptions import service
from api.prescriptions.models import (
    AllergyCheck,
    Prescription,
    PrescriptionStatus,
    remaining_units,
)
from api.prescriptions.schemas import (
    DispenseCreate,
    DispenseOut,
    MedicationOut,
    PrescriptionCreate,
    PrescriptionOut,
    SuggestedLot,
)

router = APIRouter(tags=["prescriptions"])
ERRORS = problem_responses(401, 403, 404, 409, 422)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 413, 422, 502, 503)


def _out(p: Prescription | Row[Any], lot: InventoryLot | None = None) -> PrescriptionOut:
    """A prescription as answered: its ORM object, or its row as a list reads it."""
    return PrescriptionOut(
        id=p.id, status=PrescriptionStatus(p.status), patient=p.patient_uhid,
        patient_name=p.patient_name,
        medication=MedicationOut(system=p.medication_system, code=p.medication_code,
                                 display=p.medication_display),
        dosage=p.dosage, quantity=p.quantity, refills=p.refills, dispensed=p.dispensed,
        remaining=remaining_units(p), pharmacy=p.pharmacy_org_id,
        prescriber_organization=p.prescriber_org_id, prescribed_by=p.prescribed_by,
        allergy_check=AllergyCheck(p.allergy_check), request_record=p.request_record,
        suggested_lot=SuggestedLot(id=lot.id, lot_number=lot.lot_number, expiry=lot.expiry,
                                   quantity=lot.quantity) if lot is not None else None,
        created_at=p.created_at, updated_at=p.updated_at)


@router.post("/prescriptions", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def prescribe(
    body: PrescriptionCreate,
    principal: Annotated[Principal, Depends(require("prescription:write"))],
    db: SystemDB, container: ContainerDep,
) -> PrescriptionOut:
    """A physician prescribes a medication (RxNorm) for a patient (UHID) to a pharmacy the
    patient chose. First the allergy check: the patient's AllergyIntolerance records the
    physician may read (their organisation's grant; opened by the service for institutions
    on the keystore tier) are matched by ingredient and drug class; a match is 409 with
    `type` ending in `allergy-warning`, naming the allergy, unless `allergy_override_reason`
    is given (kept in the record). Institutions holding their own keys check in their portal
    (`allergy_check` is then `client`). The physician needs a basis to write for the
    patient (an encounter of their organisation, or the patient's treatment grant); the
    prescription is the patient's encrypted FHIR MedicationRequest record
    (`request_record`), so the patient must have published keys (409 otherwise)."""
    p = service.prescribe(
        db, container, principal=principal, patient_uhid=body.patient,
        pharmacy_id=body.pharmacy,
        medication=service.Medication(body.medication.system, body.medication.code,
                                      body.medication.display),
        dosage=body.dosage, quantity=body.quantity, refills=body.refills,
        allergy_override_reason=body.allergy_override_reason)
    return _out(p)


@router.get("/prescriptions", responses=ERRORS)
def list_prescriptions(
    principal: Annotated[Principal, Depends(require("prescription:read"))], db: SystemDB,
    page: Page,
    prescription_status: Annotated[PrescriptionStatus | None, Query(alias="status")] = None,
) -> list[PrescriptionOut]:
    """Your prescriptions: a patient's own and a prescriber's own (newest first); a
    pharmacy's queue, for its pharmacists (oldest first), each active one with the lot to
    dispense from first (`suggested_lot`: first expiry, first out)."""
    found = service.list_prescriptions(db, principal=principal, status=prescription_status,
                                       page=page)
    lots = service.suggested_lots(db, organization_id=principal.organization_id,
                                  prescriptions=found) \
        if principal.organization_id is not None and principal.can("dispense:write") else {}
    return [_out(p, lots.get(p.id)) for p in found]


@router.post("/prescriptions/{prescription_id}/dispenses",
             status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def dispense(
    prescription_id: uuid.UUID, body: DispenseCreate,
    principal: Annotated[Principal, Depends(require("dispense:write"))],
    db: SystemDB, container: ContainerDep,
) -> DispenseOut:
    """The prescription's pharmacy dispenses units of a lot of its stock, fully or in part:
    the patient's encrypted FHIR MedicationDispense record (basis `prescription`) and the
    stock taken, in one transaction. 404 for any other organisation; 409 more than is left
    to dispense (quantity x (1 + refills) in all) or in the lot, a lot of another
    medication, expired or recalled; 422 a quantity that is not positive. Stock falling
    below its reorder point alerts the pharmacy."""
    done = service.dispense(db, container, principal=principal,
                            prescription_id=prescription_id, lot_id=body.lot,
                            quantity=body.quantity)
    return DispenseOut(id=done.dispense.id, prescription=_out(done.prescription),
                       lot=done.lot.id, quantity=done.dispense.quantity,
                       lot_quantity_left=done.lot.quantity, record=done.dispense.record_id,
                       created_at=done.dispense.created_at)
