"""Order use cases: a physician orders a lab test or an imaging procedure at a performing
organisation; the performer tracks the specimen and files the results; each party lists its
orders. One function, one use case; the caller's session is the unit of work.

Why a test is ordered is clinical content: the order is written as the patient's encrypted
FHIR ServiceRequest record (with the reason) through the access gate, and the order row
keeps only the record's id. Results are written the same way, as an Observation or a
DiagnosticReport `basedOn` that ServiceRequest, under the order itself (basis `order`, see
api.orders.relationships). Every change of an order's state is a conditional UPDATE on the
state it changes from: whatever requests race, the database moves an order once.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlalchemy.orm import Session

from api.billing.events import LABORATORY, RADIOLOGY, Billable, report_billable
from api.billing.models import BillableEventKind
from api.db.base import utcnow
from api.deps import Principal
from api.errors import Conflict, Forbidden, Invalid, NotFound
from api.identity.models import User
from api.identity.service import get_by_uhid
from api.keys.service import keys_of_user
from api.notifications.models import NotificationKind
from api.notifications.service import notify_event
from api.orders.models import (
    Order,
    OrderCategory,
    OrderPriority,
    OrderStatus,
    SpecimenRejection,
    SpecimenStatus,
)
from api.orders.relationships import order_reference
from api.paging import PageRequest
from api.records import service as records
from api.records.fhir import UHID_SYSTEM
from api.records.models import Record
from api.records.service import RecordPorts
from api.roles.catalog import Role
from api.scheduling.models import Encounter
from api.tenants.models import Organization, OrganizationKind

LOINC = "http://loinc.org"
SNOMED_CT = "http://snomed.info/sct"
RADLEX = "http://www.radlex.org"
# The code systems an order may name, and the form of their codes: lab tests by LOINC; imaging
# procedures by LOINC (the LOINC/RSNA Radiology Playbook), SNOMED CT or a RadLex Playbook id.
_CODE_FORMS = {LOINC: re.compile(r"[0-9]{1,7}-[0-9]"), SNOMED_CT: re.compile(r"[0-9]{6,18}"),
               RADLEX: re.compile(r"RPID[0-9]{1,7}")}
CODE_SYSTEMS = {OrderCategory.lab: (LOINC,), OrderCategory.imaging: (LOINC, SNOMED_CT, RADLEX)}
# Who performs what: a laboratory or radiology centre, or a hospital's own department.
PERFORMER_KINDS = {
    OrderCategory.lab: frozenset({OrganizationKind.lab, OrganizationKind.hospital}),
    OrderCategory.imaging: frozenset({OrganizationKind.radiology, OrganizationKind.hospital}),
}
# The ServiceRequest's category (SNOMED CT, as FHIR's servicerequest-category example set).
_REQUEST_CATEGORY = {
    OrderCategory.lab: {"system": SNOMED_CT, "code": "108252007",
                        "display": "Laboratory procedure"},
    OrderCategory.imaging: {"system": SNOMED_CT, "code": "363679005", "display": "Imaging"},
}
# Identifies the order a ServiceRequest record is (in the encrypted resource only), and the
# organisations it names.
ORDER_ID_SYSTEM = "https://ohms.dev/fhir/sid/order"
ORGANIZATION_ID_SYSTEM = "https://ohms.dev/fhir/sid/organization"
RESULT_TYPES = frozenset({"Observation", "DiagnosticReport"})

# A specimen step and the steps it may follow (None: nothing recorded yet). A sample may be
# received without a collection recorded: the ordering clinic may have drawn it.
_SPECIMEN_FROM: dict[SpecimenStatus, tuple[SpecimenStatus | None, ...]] = {
    SpecimenStatus.collected: (None,),
    SpecimenStatus.received: (None, SpecimenStatus.collected),
    SpecimenStatus.in_progress: (SpecimenStatus.received,),
    SpecimenStatus.rejected: (None, SpecimenStatus.collected, SpecimenStatus.received,
                              SpecimenStatus.in_progress),
}
# A lab order is resulted once its specimen is at the lab.
_RESULTABLE_SPECIMEN = (SpecimenStatus.received, SpecimenStatus.in_progress)

NO_KEYS = ("the patient has not published their Umbral public keys (PUT /api/v1/me/keys): an "
           "order and its reason are clinical content, kept only encrypted to the patient")
NO_BASIS = ("you have no basis to write for this patient: an order is placed inside an "
            "encounter of your organisation with the patient, or under the patient's "
            "treatment grant")
ORDER_NOT_FOUND = "no such order"
RESULTS_TEXT = "Results of an order you placed are ready."
REJECTED_TEXT = "The specimen of an order you placed was rejected: a new order is needed."


def _is_staff_of(principal: Principal, *organizations: uuid.UUID) -> bool:
    return principal.organization_id is not None and principal.organization_id in organizations


def _knows_of(principal: Principal, order: Order) -> bool:
    """The patient and the two organisations' staff; everyone else is told 404."""
    return principal.user_id == order.patient_id or _is_staff_of(
        principal, order.ordering_org_id, order.performer_org_id)


def _visible_order(session: Session, principal: Principal, order_id: uuid.UUID) -> Order:
    order = session.get(Order, order_id)
    if order is None or not _knows_of(principal, order):
        raise NotFound(ORDER_NOT_FOUND)
    return order


def _performed_order(session: Session, principal: Principal, order_id: uuid.UUID,
                     action: str) -> Order:
    """An order the caller's organisation performs; 403 to the other parties, 404 to all
    others."""
    order = _visible_order(session, principal, order_id)
    if not _is_staff_of(principal, order.performer_org_id):
        raise Forbidden(f"only the performing organisation {action}")
    return order


# --- placing an order ---------------------------------------------------------------------


@dataclass(frozen=True)
class Coding:
    system: str
    code: str
    display: str


def _checked_code(category: OrderCategory, code: Coding) -> None:
    allowed = CODE_SYSTEMS[category]
    if code.system not in allowed:
        raise Invalid(f"a {category.value} order names its test by {' or '.join(allowed)}")
    if not _CODE_FORMS[code.system].fullmatch(code.code):
        raise Invalid(f"the code is not a code of {code.system}")


def _patient(session: Session, uhid: str) -> User:
    user = get_by_uhid(session, uhid)
    if Role.patient.value not in user.role_names or not user.is_active:
        raise NotFound("no patient has this UHID")
    return user


def _performer(session: Session, category: OrderCategory,
               performer_id: uuid.UUID) -> Organization:
    org = session.get(Organization, performer_id)
    if org is None or not org.is_active or org.kind not in PERFORMER_KINDS[category]:
        kinds = " or ".join(sorted(k.value for k in PERFORMER_KINDS[category]))
        raise Invalid(f"the performer is not an active organisation ({kinds}) that performs "
                      f"{category.value} orders")
    return org


def _encounter(session: Session, principal: Principal, encounter_id: uuid.UUID,
               patient: User) -> Encounter:
    encounter = session.get(Encounter, encounter_id)
    if encounter is None or not _is_staff_of(principal, encounter.organization_id):
        raise NotFound("no such encounter")
    if encounter.patient_id != patient.id:
        raise Invalid("the encounter is with another patient")
    return encounter


def _service_request(order: Order, *, patient: User, physician_uhid: str,
                     performer: Organization, reason: str) -> dict[str, Any]:
    """The order as a FHIR R4 ServiceRequest with its reason: the record the patient, and
    those the patient grants, read."""
    category = OrderCategory(order.category)
    resource: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": str(order.id),
        "identifier": [{"system": ORDER_ID_SYSTEM, "value": str(order.id)}],
        "status": order.status,
        "intent": "order",
        "category": [{"coding": [_REQUEST_CATEGORY[category]]}],
        "priority": order.priority,
        "code": {"coding": [{"system": order.code_system, "code": order.code,
                             "display": order.code_display}],
                 "text": order.code_display},
        "subject": {"reference": f"Patient/{patient.uhid}"},
        "authoredOn": order.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "requester": {"identifier": {"system": UHID_SYSTEM, "value": physician_uhid}},
        "performer": [{"identifier": {"system": ORGANIZATION_ID_SYSTEM,
                                      "value": str(performer.id)},
                       "display": performer.name}],
        "reasonCode": [{"text": reason}],
    }
    if order.encounter_id is not None:
        resource["encounter"] = {"reference": f"Encounter/{order.encounter_id}"}
    return resource


def place_order(session: Session, ports: RecordPorts, *, principal: Principal,
                patient_uhid: str, category: OrderCategory, performer_id: uuid.UUID,
                code: Coding, priority: OrderPriority, reason: str,
                encounter_id: uuid.UUID | None) -> Order:
    """A physician's order at a performing organisation, with its reason written as the
    patient's encrypted ServiceRequest record: both or neither. The physician needs a basis
    to write for the patient (an open encounter of their organisation, or the patient's
    grant), decided and logged by the access gate before anything is written."""
    if Role.physician not in principal.roles or principal.organization_id is None:
        raise Forbidden("orders are placed by physicians")
    _checked_code(category, code)
    patient = _patient(session, patient_uhid)
    performer = _performer(session, category, performer_id)
    encounter = _encounter(session, principal, encounter_id, patient) \
        if encounter_id is not None else None
    if keys_of_user(session, patient.id) is None:
        raise Conflict(NO_KEYS)
    now = utcnow()
    order = Order(
        id=uuid.uuid4(), patient_id=patient.id, patient_uhid=patient.uhid,
        patient_name=patient.full_name, category=category.value, code_system=code.system,
        code=code.code, code_display=code.display, priority=priority.value,
        status=OrderStatus.active.value, ordering_org_id=principal.organization_id,
        ordered_by=principal.user_id, performer_org_id=performer.id,
        encounter_id=encounter.id if encounter is not None else None,
        created_at=now, updated_at=now)
    record = records.write_record(
        session, ports, author=principal, patient=patient, refused=NO_BASIS,
        resource=_service_request(order, patient=patient, physician_uhid=principal.uhid,
                                  performer=performer, reason=reason))
    order.request_record = record.id
    session.add(order)
    session.flush()
    return order


# --- listing ------------------------------------------------------------------------------


def list_orders(session: Session, *, principal: Principal, status: OrderStatus | None,
                page: PageRequest) -> list[Order]:
    """A patient's own orders (from every organisation); a physician's own orders; the work
    list of a performing organisation (for its staff who perform orders). Newest first."""
    if Role.patient in principal.roles:
        scope: ColumnElement[bool] = Order.patient_id == principal.user_id
    elif principal.organization_id is not None:
        org = principal.organization_id
        parts = []
        if principal.can("order:perform"):
            parts.append(Order.performer_org_id == org)
        if principal.can("order:place"):
            parts.append(and_(Order.ordering_org_id == org,
                              Order.ordered_by == principal.user_id))
        if not parts:
            return []
        scope = or_(*parts)
    else:
        return []
    query = select(Order).where(scope)
    if status is not None:
        query = query.where(Order.status == status.value)
    return list(session.scalars(query.order_by(Order.created_at.desc(), Order.id)
                                .limit(page.limit).offset(page.offset)))


# --- the specimen -------------------------------------------------------------------------


def _from_states(allowed: tuple[SpecimenStatus | None, ...]) -> ColumnElement[bool]:
    values = [s.value for s in allowed if s is not None]
    within = Order.specimen_status.in_(values)
    return or_(Order.specimen_status.is_(None), within) if None in allowed else within


def _specimen_state(order: Order) -> str:
    if order.status != OrderStatus.active.value and \
            order.specimen_status != SpecimenStatus.rejected.value:
        return f"the order is {order.status}"
    if order.specimen_status is None:
        return "no specimen step is recorded yet"
    return f"the specimen is {order.specimen_status}"


def record_specimen(session: Session, *, principal: Principal, order_id: uuid.UUID,
                    status: SpecimenStatus, reason: SpecimenRejection | None) -> Order:
    """A specimen step by the performing organisation: collected, received, in progress, or
    rejected with a reason code (the order is then revoked: a new order is needed). Steps
    go forward only; anything else is 409 and changes nothing."""
    order = _performed_order(session, principal, order_id, "records specimen steps")
    if order.category != OrderCategory.lab.value:
        raise Conflict("an imaging order has no specimen")
    if status not in _SPECIMEN_FROM:
        raise Invalid("`resulted` is set by filing the results")
    if (status is SpecimenStatus.rejected) != (reason is not None):
        raise Invalid("a rejection gives a reason code, and only a rejection does")
    rejected = status is SpecimenStatus.rejected
    moved = session.execute(
        update(Order).where(Order.id == order.id, Order.status == OrderStatus.active.value,
                            _from_states(_SPECIMEN_FROM[status]))
        .values(specimen_status=status.value,
                specimen_reject_reason=reason.value if reason is not None else None,
                status=OrderStatus.revoked.value if rejected else OrderStatus.active.value,
                updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if moved.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(order)
        raise Conflict(f"{_specimen_state(order)}: it cannot become {status.value}")
    session.refresh(order)
    if rejected:
        # The physician orders a new sample: told of the event and the order, never of the
        # test or the patient (the order's page says which).
        notify_event(session, user_id=order.ordered_by, kind=NotificationKind.specimen_rejected,
                     subject_id=str(order.id), inbox_text=REJECTED_TEXT)
    return order


# --- results ------------------------------------------------------------------------------


def _based_on_order(resource: object, order: Order) -> dict[str, Any]:
    """The result as written, `basedOn` the order's ServiceRequest (any `basedOn` given is
    replaced: a result filed under an order is based on that order)."""
    if not isinstance(resource, dict):
        raise Invalid("`resource` must be one FHIR resource (a JSON object)")
    if resource.get("resourceType") not in RESULT_TYPES:
        raise Invalid("an order's results are an Observation or a DiagnosticReport")
    return {**resource, "basedOn": [{"reference": f"ServiceRequest/{order.id}"}]}


def _resultable(order: Order) -> ColumnElement[bool]:
    """The states an order's results may be filed in, as the database checks them."""
    state = and_(Order.status == OrderStatus.active.value,
                 or_(Order.specimen_status.is_(None),
                     Order.specimen_status != SpecimenStatus.rejected.value))
    if order.category == OrderCategory.lab.value:
        state = and_(state, Order.specimen_status.in_([s.value for s in _RESULTABLE_SPECIMEN]))
    return state


def _check_resultable(order: Order) -> None:
    if order.specimen_status == SpecimenStatus.rejected.value:
        raise Conflict("the order's specimen was rejected: a new order is needed")
    if order.status != OrderStatus.active.value:
        raise Conflict(f"the order is {order.status}")
    if order.category == OrderCategory.lab.value and \
            order.specimen_status not in {s.value for s in _RESULTABLE_SPECIMEN}:
        raise Conflict(f"{_specimen_state(order)}: a lab order is resulted once its specimen "
                       "is received")


def file_results(session: Session, ports: RecordPorts, *, principal: Principal,
                 order_id: uuid.UUID, resource: object) -> tuple[Record, Order]:
    """The performing organisation's result (an Observation or DiagnosticReport about the
    order's patient, of the order's category), written as the patient's encrypted record
    under the order (basis `order`); the order completes and the ordering physician and the
    patient are told, without what the result says. Once per order, whatever races."""
    order = _performed_order(session, principal, order_id, "files the order's results")
    _check_resultable(order)
    patient = session.get(User, order.patient_id)
    assert patient is not None
    valid, category = records.checked_resource(ports, patient, _based_on_order(resource, order))
    if category != order.category:
        raise Invalid(f"the result of a {order.category} order is filed as a {order.category} "
                      "result: an Observation of category laboratory (imaging) or a "
                      "DiagnosticReport of service section LAB (RAD)")
    ports.access_gate(session).authorise_write(
        author=principal, patient=patient, category=category, record=f"category:{category}",
        references=(order_reference(order.id),))
    claim_results(session, principal=principal, order=order)
    record = records.seal_and_store(
        session, ports, author_id=principal.user_id, author_org_id=principal.organization_id,
        patient=patient, resource=valid, category=category)
    return record, resulted(session, order=order, record=record)


def claim_results(session: Session, *, principal: Principal, order: Order) -> None:
    """Complete the order for the result about to be stored, if it is still resultable (the
    database decides: whatever races, one result completes it; 409 otherwise). The caller
    has authorised the write under the order and stores the result after this."""
    _check_resultable(order)
    claimed = session.execute(
        update(Order).where(Order.id == order.id, _resultable(order))
        .values(status=OrderStatus.completed.value,
                specimen_status=SpecimenStatus.resulted.value
                if order.category == OrderCategory.lab.value else order.specimen_status,
                resulted_by=principal.user_id, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(order)
        _check_resultable(order)
        raise Conflict("the order changed meanwhile")


def resulted(session: Session, *, order: Order, record: Record) -> Order:
    """The claimed order names its result; the patient and the ordering physician are
    told."""
    session.refresh(order)
    order.result_record = record.id
    # Billed in this transaction: a lab order completed by its results, an imaging order by
    # its first report (both complete here), at the performing organisation.
    lab = order.category == OrderCategory.lab.value
    report_billable(session, Billable(
        kind=BillableEventKind.lab_order if lab else BillableEventKind.imaging_order,
        source_id=order.id, organization_id=order.performer_org_id,
        patient_id=order.patient_id, patient_uhid=order.patient_uhid,
        code_system=order.code_system, code=order.code, display=order.code_display,
        department=LABORATORY if lab else RADIOLOGY, record_id=record.id,
        occurred_at=utcnow()))
    session.flush()
    # "Results ready": the event and a link, never what the result says.
    notify_event(session, user_id=order.patient_id, kind=NotificationKind.results_ready,
                 subject_id=str(record.id))
    notify_event(session, user_id=order.ordered_by, kind=NotificationKind.results_ready,
                 subject_id=str(order.id), inbox_text=RESULTS_TEXT)
    return order


# --- an imaging order's study -------------------------------------------------------------


def order_for_study(session: Session, *, organization_id: uuid.UUID, order_id: uuid.UUID,
                    patient_id: uuid.UUID) -> Order:
    """The imaging order a study is uploaded against: an order the uploader's organisation
    performs (404 otherwise, whoever else placed or holds it), for this patient (422), of
    imaging (422), active and without a study yet (409)."""
    order = session.get(Order, order_id)
    if order is None or order.performer_org_id != organization_id:
        raise NotFound(ORDER_NOT_FOUND)
    if order.patient_id != patient_id:
        raise Invalid("the order is for another patient")
    if order.category != OrderCategory.imaging.value:
        raise Invalid("a study is uploaded against an imaging order")
    if order.status != OrderStatus.active.value:
        raise Conflict(f"the order is {order.status}")
    if order.study_record_id is not None:
        raise Conflict("a study is already filed against this order")
    return order


def link_study(session: Session, *, order_id: uuid.UUID, study_record_id: uuid.UUID) -> None:
    """The order records its study, if it is still active and has none (409 otherwise:
    the upload is then undone)."""
    linked = session.execute(
        update(Order).where(Order.id == order_id, Order.status == OrderStatus.active.value,
                            Order.study_record_id.is_(None))
        .values(study_record_id=study_record_id, updated_at=utcnow())
        .execution_options(synchronize_session=False))
    if linked.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("the order changed while the study was uploaded (completed, or "
                       "another study filed against it)")


def order_of_study(session: Session, study_record_id: uuid.UUID) -> Order | None:
    """The order a study was uploaded against, if any."""
    return session.scalar(select(Order).where(Order.study_record_id == study_record_id))
