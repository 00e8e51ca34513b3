"""Prescription use cases: a physician prescribes (after an allergy check) to a pharmacy the
patient chose; the pharmacy dispenses from its lots; each party lists its prescriptions.
One function, one use case; the caller's session is the unit of work, so a refusal changes
nothing.

A prescription is clinical content: it is written as the patient's encrypted FHIR
MedicationRequest record through the access gate (the physician needs a basis: an open
encounter of their organisation with the patient, or the patient's treatment grant), and
the row keeps what the pharmacy needs to act. A dispense is written as an encrypted
MedicationDispense record under the prescription (basis `prescription`, see
api.prescriptions.relationships) and takes stock in the same transaction.

What the database decides, whatever the requests race: the units dispensed never exceed
`quantity x (1 + refills)` (a conditional UPDATE, a CHECK behind it), and stock never goes
below zero (api.pharmacy.service.take_from_lot, the same way).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Row,
    and_,
    case,
    exists,
    or_,
    select,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.billing.events import PHARMACY, Billable, report_billable
from api.billing.models import BillableEventKind
from api.db.base import utcnow
from api.db.session import committed_here
from api.deps import Principal
from api.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from api.identity.models import User, UserRole
from api.identity.service import get_by_uhid
from api.keys.service import custodial_item, keys_of_user
from api.paging import PageRequest
from api.pharmacy import service as pharmacy
from api.pharmacy.models import InventoryItem, InventoryLot, LotRecall
from api.prescriptions import allergy
from api.prescriptions.models import AllergyCheck, Dispense, Prescription, PrescriptionStatus
from api.prescriptions.relationships import prescription_reference
from api.records import service as records
from api.records.fhir import UHID_SYSTEM
from api.records.service import RecordPorts
from api.roles.catalog import Role
from api.tenants.models import Organization, OrganizationKind

# Identifies the prescription a MedicationRequest / MedicationDispense record is about (in
# the encrypted resource only), and the organisations it names.
PRESCRIPTION_ID_SYSTEM = "https://ohms.dev/fhir/sid/prescription"
ORGANIZATION_ID_SYSTEM = "https://ohms.dev/fhir/sid/organization"
LOT_ID_SYSTEM = "https://ohms.dev/fhir/sid/inventory-lot"
_RXCUI = re.compile(r"[0-9]{1,10}")
# The allergies a prescriber may read, at most this many (newest first) are checked.
MAX_ALLERGIES_CHECKED = 200

NO_KEYS = ("the patient has not published their Umbral public keys (PUT /api/v1/me/keys): a "
           "prescription is clinical content, kept only encrypted to the patient")
NO_BASIS = ("you have no basis to write for this patient: a prescription is written inside "
            "an encounter of your organisation with the patient, or under the patient's "
            "treatment grant")
NOT_FOUND = "no such prescription"
# Who dispenses: a pharmacy, or a hospital's own pharmacy.
PHARMACY_KINDS = frozenset({OrganizationKind.pharmacy, OrganizationKind.hospital})


class AllergyWarning(Conflict):
    """The medication matches an allergy of the patient: 409, type `.../allergy-warning`."""

    type_slug = "allergy-warning"


def _rowcount(result: Any) -> int:
    return cast(CursorResult[Any], result).rowcount


def _iso(moment: Any) -> str:
    return str(moment.astimezone(UTC).isoformat().replace("+00:00", "Z"))


# --- prescribing --------------------------------------------------------------------------


@dataclass(frozen=True)
class Medication:
    system: str
    code: str
    display: str


def _checked_medication(medication: Medication) -> None:
    if medication.system != allergy.RXNORM:
        raise Invalid(f"a prescription names its medication by RxNorm ({allergy.RXNORM})")
    if not _RXCUI.fullmatch(medication.code):
        raise Invalid("the code is not an RxNorm concept id (digits)")


def _patient(session: Session, uhid: str) -> User:
    user = get_by_uhid(session, uhid)
    if Role.patient.value not in user.role_names or not user.is_active:
        raise NotFound("no patient has this UHID")
    return user


def _pharmacy(session: Session, pharmacy_id: uuid.UUID) -> Organization:
    """A pharmacy, or a hospital with its own pharmacy (one with pharmacists): its visits,
    tests and dispenses are then billed together."""
    org = session.get(Organization, pharmacy_id)
    if org is None or not org.is_active or org.kind not in PHARMACY_KINDS or (
            org.kind == OrganizationKind.hospital and not session.scalar(select(exists().where(
                UserRole.organization_id == org.id,
                UserRole.role == Role.pharmacist.value)))):
        raise Invalid("the pharmacy is not an active organisation of kind pharmacy, nor a "
                      "hospital with a pharmacy (pharmacists)")
    return org


@dataclass(frozen=True)
class AllergyOutcome:
    check: AllergyCheck
    matches: list[allergy.AllergyMatch]


def check_allergies(session: Session, ports: RecordPorts, *, principal: Principal,
                    patient: User, medication: Medication) -> AllergyOutcome:
    """The patient's AllergyIntolerance records the prescriber may read (their grant, through
    the gate, each read logged), opened with their organisation's server-held key, matched
    against the medication. An organisation holding its own keys cannot be checked here:
    its portal checks (`client`)."""
    org = principal.organization_id
    if org is None or not ports.keystore.contains(custodial_item(org)):
        return AllergyOutcome(AllergyCheck.client, [])
    listed = records.list_records(
        session, ports, reader=principal, patient=patient, category="allergy",
        resource_type="AllergyIntolerance", purpose="treatment", limit=MAX_ALLERGIES_CHECKED)
    substances = allergy.medication_substances(medication.system, medication.code,
                                               medication.display)
    matches, unreadable = [], 0
    for entry in listed:
        try:
            plaintext = records.read_record_for_custodial_grantee(
                session, ports, reader=principal, record_id=entry.record.id,
                purpose="treatment")
            resource = json.loads(plaintext)
        except (DomainError, ValueError):
            unreadable += 1  # e.g. break-glass, which carries no key fragments
            continue
        if isinstance(resource, dict):
            found = allergy.match(substances, resource, str(entry.record.id))
            if found is not None:
                matches.append(found)
    return AllergyOutcome(AllergyCheck.partial if unreadable else AllergyCheck.passed, matches)


def _warning(matches: Sequence[allergy.AllergyMatch], medication: Medication) -> str:
    named = "; ".join(f"{m.allergy} (record {m.record}: {m.reason})" for m in matches)
    return (f"allergy warning: {medication.display} matches the patient's recorded allergy "
            f"{named}. Give `allergy_override_reason` to prescribe it anyway")


def _medication_request(p: Prescription, *, patient: User, physician_uhid: str,
                        pharmacy_org: Organization,
                        override: tuple[str, Sequence[allergy.AllergyMatch]] | None
                        ) -> dict[str, Any]:
    """The prescription as a FHIR R4 MedicationRequest: the record the patient, and those
    the patient grants, read."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": str(p.id),
        "identifier": [{"system": PRESCRIPTION_ID_SYSTEM, "value": str(p.id)}],
        "status": p.status,
        "intent": "order",
        "medicationCodeableConcept": {
            "coding": [{"system": p.medication_system, "code": p.medication_code,
                        "display": p.medication_display}],
            "text": p.medication_display},
        "subject": {"reference": f"Patient/{patient.uhid}"},
        "authoredOn": _iso(p.created_at),
        "requester": {"identifier": {"system": UHID_SYSTEM, "value": physician_uhid}},
        "dosageInstruction": [{"text": p.dosage}],
        "dispenseRequest": {
            "numberOfRepeatsAllowed": p.refills,
            "quantity": {"value": p.quantity, "unit": "unit"},
            "performer": {"identifier": {"system": ORGANIZATION_ID_SYSTEM,
                                         "value": str(pharmacy_org.id)},
                          "display": pharmacy_org.name}},
    }
    if override is not None:
        reason, matches = override
        against = "; ".join(f"{m.allergy} ({m.reason})" for m in matches) or "none found"
        resource["note"] = [{"text": f"Allergy warning overridden by the prescriber. "
                                     f"Matched: {against}. Reason: {reason}"}]
    return resource


def prescribe(session: Session, ports: RecordPorts, *, principal: Principal,
              patient_uhid: str, pharmacy_id: uuid.UUID, medication: Medication,
              dosage: str, quantity: int, refills: int,
              allergy_override_reason: str | None) -> Prescription:
    """A physician's prescription to the patient's pharmacy, after the allergy check: a
    match is refused (AllergyWarning, naming the allergy) unless an override reason is
    given, which is kept in the record. Written as the patient's encrypted MedicationRequest
    record and the row: both or neither."""
    if Role.physician not in principal.roles or principal.organization_id is None:
        raise Forbidden("prescriptions are written by physicians")
    if quantity <= 0 or refills < 0:
        raise Invalid("the quantity is positive and refills zero or more")
    _checked_medication(medication)
    patient = _patient(session, patient_uhid)
    pharmacy_org = _pharmacy(session, pharmacy_id)
    if keys_of_user(session, patient.id) is None:
        raise Conflict(NO_KEYS)
    outcome = check_allergies(session, ports, principal=principal, patient=patient,
                              medication=medication)
    if outcome.matches and allergy_override_reason is None:
        raise AllergyWarning(_warning(outcome.matches, medication))
    check = AllergyCheck.overridden if outcome.matches else outcome.check
    now = utcnow()
    p = Prescription(
        id=uuid.uuid4(), patient_id=patient.id, patient_uhid=patient.uhid,
        patient_name=patient.full_name, medication_system=medication.system,
        medication_code=medication.code, medication_display=medication.display,
        dosage=dosage, quantity=quantity, refills=refills, dispensed=0,
        status=PrescriptionStatus.active.value, allergy_check=check.value,
        prescriber_org_id=principal.organization_id, prescribed_by=principal.user_id,
        pharmacy_org_id=pharmacy_org.id, created_at=now, updated_at=now)
    override = (allergy_override_reason, outcome.matches) \
        if allergy_override_reason is not None else None
    record = records.write_record(
        session, ports, author=principal, patient=patient, refused=NO_BASIS,
        resource=_medication_request(p, patient=patient, physician_uhid=principal.uhid,
                                     pharmacy_org=pharmacy_org, override=override))
    p.request_record = record.id
    session.add(p)
    session.flush()
    return p


# --- listing ------------------------------------------------------------------------------


_PRESCRIPTION_COLUMNS = tuple(getattr(Prescription, attr.key)
                              for attr in sa_inspect(Prescription).column_attrs)


def list_prescriptions(session: Session, *, principal: Principal,
                       status: PrescriptionStatus | None,
                       page: PageRequest) -> list[Row[Any]]:
    """A patient's own (newest first); a pharmacy's queue (for its staff who dispense;
    oldest first, the order they are served in); a prescriber's own (newest first). Plain
    rows of the prescriptions' columns, not ORM objects: a page is only shown, and making
    an object of each row cost more than the query (a third of the queue's time)."""
    if Role.patient in principal.roles:
        scope: ColumnElement[bool] = Prescription.patient_id == principal.user_id
        oldest_first = False
    elif principal.organization_id is not None:
        org = principal.organization_id
        parts = []
        dispenses = principal.can("dispense:write")
        if dispenses:
            parts.append(Prescription.pharmacy_org_id == org)
        if principal.can("prescription:write"):
            parts.append(and_(Prescription.prescriber_org_id == org,
                              Prescription.prescribed_by == principal.user_id))
        if not parts:
            return []
        scope = or_(*parts)
        oldest_first = dispenses
    else:
        return []
    query = select(*_PRESCRIPTION_COLUMNS).where(scope)
    if status is not None:
        query = query.where(Prescription.status == status.value)
    order = (Prescription.created_at.asc() if oldest_first else Prescription.created_at.desc(),
             Prescription.id)
    return list(session.execute(query.order_by(*order).limit(page.limit)
                                .offset(page.offset)))


def suggested_lots(session: Session, *, organization_id: uuid.UUID,
                   prescriptions: Sequence[Prescription | Row[Any]],
                   today: date | None = None) -> dict[uuid.UUID, InventoryLot]:
    """For each of the organisation's prescriptions, the lot to dispense from first: of its
    medication in the organisation's stock, with units left, not expired, not recalled,
    earliest expiry first (then first received). One query for the whole page."""
    day = today or pharmacy.today_utc()
    ours = [p for p in prescriptions if p.pharmacy_org_id == organization_id
            and p.status == PrescriptionStatus.active.value]
    codes = {(p.medication_system, p.medication_code) for p in ours}
    if not codes:
        return {}
    recalled = exists().where(LotRecall.code_system == InventoryItem.code_system,
                              LotRecall.code == InventoryItem.code,
                              LotRecall.lot_number == InventoryLot.lot_number)
    first: dict[tuple[str, str], InventoryLot] = {}
    for code_system, code, lot in session.execute(
            select(InventoryItem.code_system, InventoryItem.code, InventoryLot)
            .join(InventoryItem, InventoryItem.id == InventoryLot.item_id)
            .where(InventoryItem.organization_id == organization_id,
                   InventoryItem.code.in_({c for _, c in codes}),
                   InventoryLot.quantity > 0, InventoryLot.expiry >= day, ~recalled)
            .order_by(InventoryLot.item_id, InventoryLot.expiry, InventoryLot.created_at,
                      InventoryLot.id)):
        first.setdefault((code_system, code), lot)
    return {p.id: first[(p.medication_system, p.medication_code)] for p in ours
            if (p.medication_system, p.medication_code) in first}


# --- dispensing ---------------------------------------------------------------------------


def _pharmacys_prescription(session: Session, principal: Principal,
                            prescription_id: uuid.UUID) -> Prescription:
    """A prescription to the caller's pharmacy; 404 to every other organisation."""
    p = session.get(Prescription, prescription_id)
    if p is None or principal.organization_id is None or \
            p.pharmacy_org_id != principal.organization_id:
        raise NotFound(NOT_FOUND)
    return p


def _medication_dispense(p: Prescription, *, dispense_id: uuid.UUID, patient: User,
                         pharmacist_uhid: str, lot: InventoryLot, quantity: int
                         ) -> dict[str, Any]:
    return {
        "resourceType": "MedicationDispense",
        "id": str(dispense_id),
        "status": "completed",
        "medicationCodeableConcept": {
            "coding": [{"system": p.medication_system, "code": p.medication_code,
                        "display": p.medication_display}],
            "text": p.medication_display},
        "subject": {"reference": f"Patient/{patient.uhid}"},
        "performer": [{"actor": {"identifier": {"system": UHID_SYSTEM,
                                                "value": pharmacist_uhid}}}],
        "authorizingPrescription": [{
            "reference": f"MedicationRequest/{p.id}",
            "identifier": {"system": PRESCRIPTION_ID_SYSTEM, "value": str(p.id)}}],
        "quantity": {"value": quantity, "unit": "unit"},
        "whenHandedOver": _iso(utcnow()),
        "dosageInstruction": [{"text": p.dosage}],
        "note": [{"text": f"Lot {lot.lot_number}, expiry {lot.expiry.isoformat()}"}],
    }


def _dispensable_state(p: Prescription, quantity: int) -> None:
    if p.status != PrescriptionStatus.active.value:
        raise Conflict(f"the prescription is {p.status}: nothing is left to dispense")
    if quantity > p.remaining:
        raise Conflict(f"{quantity} units is more than is left to dispense ({p.remaining} of "
                       f"{p.prescribed_total} prescribed with refills)")


@dataclass(frozen=True)
class Dispensed:
    dispense: Dispense
    prescription: Prescription
    lot: InventoryLot


def dispense(session: Session, ports: RecordPorts, *, principal: Principal,
             prescription_id: uuid.UUID, lot_id: uuid.UUID, quantity: int,
             today: date | None = None) -> Dispensed:
    """Units of a lot of the pharmacy's stock handed over against a prescription to it:
    recorded as the patient's encrypted MedicationDispense record, the units counted on the
    prescription and taken from the lot, in one transaction. Refused (nothing changed): 404
    another organisation's prescription or lot; 422 a quantity that is not positive; 409
    more than is left to dispense or in the lot, a lot of another medication, expired or
    recalled."""
    p = _pharmacys_prescription(session, principal, prescription_id)
    assert principal.organization_id is not None
    if quantity <= 0:
        raise Invalid("a quantity is a positive number")
    _dispensable_state(p, quantity)
    day = today or pharmacy.today_utc()
    lot = session.get(InventoryLot, lot_id)
    if lot is None or lot.organization_id != principal.organization_id:
        raise NotFound("no such lot in your stock")
    item = session.get(InventoryItem, lot.item_id)
    assert item is not None
    if (item.code_system, item.code) != (p.medication_system, p.medication_code):
        raise Conflict(f"lot {lot.lot_number} is of {item.display}, not of the prescribed "
                       f"{p.medication_display}")
    refusal = pharmacy.lot_refusal(session, lot.id, today=day)
    if refusal is not None:
        raise Conflict(refusal)
    if quantity > lot.quantity:
        raise Conflict(f"only {lot.quantity} units are left in lot {lot.lot_number}")
    patient = session.get(User, p.patient_id)
    assert patient is not None
    dispense_id = uuid.uuid4()
    resource, category = records.checked_resource(
        ports, patient, _medication_dispense(p, dispense_id=dispense_id, patient=patient,
                                             pharmacist_uhid=principal.uhid, lot=lot,
                                             quantity=quantity))
    # Before anything is flushed (the gate's entry commits apart from this unit of work).
    ports.access_gate(session).authorise_write(
        author=principal, patient=patient, category=category, record=f"category:{category}",
        references=(prescription_reference(p.id),))
    # Sealed and stored before the units are claimed: the encryption and the blob store run
    # outside the rows' locks (SQLite's write lock, PostgreSQL's row locks), which are then
    # held only for the few statements below. A refusal after this (a race lost) rolls the
    # record's row back and leaves an unreferenced ciphertext only the patient could open.
    record = records.seal_and_store(
        session, ports, author_id=principal.user_id, author_org_id=principal.organization_id,
        patient=patient, resource=resource, category=category)
    total = Prescription.quantity * (1 + Prescription.refills)
    with committed_here(session):
        claimed = session.execute(
            update(Prescription)
            .where(Prescription.id == p.id,
                   Prescription.status == PrescriptionStatus.active.value,
                   Prescription.dispensed + quantity <= total)
            .values(dispensed=Prescription.dispensed + quantity,
                    status=case((Prescription.dispensed + quantity >= total,
                                 PrescriptionStatus.completed.value),
                                else_=PrescriptionStatus.active.value),
                    updated_at=utcnow())
            .returning(Prescription.dispensed, Prescription.status, Prescription.updated_at)
            .execution_options(synchronize_session=False)).one_or_none()
        if claimed is None:
            session.refresh(p)
            _dispensable_state(p, quantity)
            raise Conflict("the prescription changed meanwhile")
        for name, value in zip(("dispensed", "status", "updated_at"), claimed, strict=True):
            set_committed_value(p, name, value)  # as the UPDATE left it, without a SELECT
        row = Dispense(id=dispense_id, prescription_id=p.id,
                       organization_id=principal.organization_id, lot_id=lot.id,
                       quantity=quantity, dispensed_by=principal.user_id, record_id=record.id)
        session.add(row)
        session.flush()
        # Billed by the pharmacy, in this transaction: the units handed over.
        report_billable(session, Billable(
            kind=BillableEventKind.dispense, source_id=row.id,
            organization_id=principal.organization_id, patient_id=p.patient_id,
            patient_uhid=p.patient_uhid, code_system=p.medication_system,
            code=p.medication_code, display=p.medication_display, quantity=quantity,
            department=PHARMACY, record_id=record.id, occurred_at=row.created_at))
        # The stock last, committed at once: every dispense of the item updates its lot's
        # and its item's rows, so their locks are held for these statements and the commit
        # only. Never below zero, whatever races (a Conflict rolls everything back with it).
        taken = pharmacy.take_from_lot(session, organization_id=principal.organization_id,
                                       lot_id=lot.id, quantity=quantity, today=day)
    return Dispensed(row, p, taken)
