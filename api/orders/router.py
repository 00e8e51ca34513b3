"""HTTP routes of orders: placing them, the lists of each party, specimen steps and results.
Specimen steps (the performer's staff only) run in the tenant session, which row-level
security confines to the order's two organisations; placing an order and filing results
write the patient's encrypted records (a system table), and a patient (of no organisation)
lists their own orders, through the system session (reasons in api/system_sessions.py)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status

from api.deps import ContainerDep, Principal, SystemDB, TenantDB, require
from api.errors import Invalid, problem_responses
from api.orders import service
from api.orders.models import (
    Order,
    OrderCategory,
    OrderPriority,
    OrderStatus,
    SpecimenRejection,
    SpecimenStatus,
)
from api.orders.schemas import (
    CodingOut,
    OrderCreate,
    OrderOut,
    ResultFiled,
    SpecimenIn,
)
from api.paging import Page
from api.records import fhir
from api.records.http import FHIR_JSON, RESOURCE_SCHEMA

router = APIRouter(tags=["orders"])
ERRORS = problem_responses(401, 403, 404, 409, 422)
WRITE_ERRORS = problem_responses(401, 403, 404, 409, 413, 422, 502, 503)

# The body is read by `result_body`, not by FastAPI (whose JSON parsing turns FHIR decimals
# into floats): its documentation is given here.
RESULT_REQUEST_BODY: dict[str, Any] = {"requestBody": {
    "required": True,
    "description": "`resource`: one FHIR R4 Observation or DiagnosticReport about the order's "
                   "patient, stored exactly as written (decimals keep their digits) with "
                   "`basedOn` set to the order's ServiceRequest",
    "content": {"application/json": {"schema": {
        "type": "object", "required": ["resource"], "additionalProperties": False,
        "properties": {"resource": RESOURCE_SCHEMA}}}}}}


async def result_body(request: Request) -> object:
    """The result resource of the body `{"resource": ...}`, its numbers kept as written."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and not (media_type == "application/json" or media_type.endswith("+json")):
        raise Invalid(f"the body is JSON (application/json or {FHIR_JSON})")
    body = fhir.parse_json(await request.body())
    if not isinstance(body, dict) or set(body) != {"resource"}:
        raise Invalid('the body is {"resource": <an Observation or DiagnosticReport>}')
    return body["resource"]


def _order_out(order: Order) -> OrderOut:
    return OrderOut(
        id=order.id, status=OrderStatus(order.status), category=OrderCategory(order.category),
        code=CodingOut(system=order.code_system, code=order.code, display=order.code_display),
        priority=OrderPriority(order.priority), patient=order.patient_uhid,
        patient_name=order.patient_name, performer=order.performer_org_id,
        ordering_organization=order.ordering_org_id, ordered_by=order.ordered_by,
        encounter=order.encounter_id,
        specimen_status=SpecimenStatus(order.specimen_status)
        if order.specimen_status else None,
        specimen_reject_reason=SpecimenRejection(order.specimen_reject_reason)
        if order.specimen_reject_reason else None,
        request_record=order.request_record, result_record=order.result_record,
        study_record=order.study_record_id,
        created_at=order.created_at, updated_at=order.updated_at)


@router.post("/orders", status_code=status.HTTP_201_CREATED, responses=WRITE_ERRORS)
def place_order(
    body: OrderCreate, principal: Annotated[Principal, Depends(require("order:place"))],
    db: SystemDB, container: ContainerDep,
) -> OrderOut:
    """A physician orders a lab test (LOINC) or an imaging procedure for a patient (UHID) at
    a performing organisation. The physician needs a basis to write for the patient (an
    encounter of their organisation with the patient, usually the one named, or the
    patient's treatment grant); the reason is written as the patient's encrypted FHIR
    ServiceRequest record (`request_record`), so the patient must have published keys (409
    otherwise). The order lets the performer write its results (basis `order`)."""
    order = service.place_order(
        db, container, principal=principal, patient_uhid=body.patient, category=body.category,
        performer_id=body.performer,
        code=service.Coding(body.code.system, body.code.code, body.code.display),
        priority=body.priority, reason=body.reason, encounter_id=body.encounter)
    return _order_out(order)


@router.get("/orders", responses=ERRORS)
def list_orders(
    principal: Annotated[Principal, Depends(require("order:read"))], db: SystemDB,
    page: Page, order_status: Annotated[OrderStatus | None, Query(alias="status")] = None,
) -> list[OrderOut]:
    """Your orders: a patient's own; those a physician placed; a performing organisation's
    work list (for its staff who perform orders). Newest first."""
    return [_order_out(o) for o in service.list_orders(db, principal=principal,
                                                       status=order_status, page=page)]


@router.post("/orders/{order_id}/specimen", responses=ERRORS)
def record_specimen(
    order_id: uuid.UUID, body: SpecimenIn,
    principal: Annotated[Principal, Depends(require("order:perform"))], db: TenantDB,
) -> OrderOut:
    """A specimen step of a lab order, by the performing organisation: collected, received,
    in_progress, or rejected with a reason code (the order is then revoked; a new order is
    needed). Steps only go forward (409 otherwise)."""
    return _order_out(service.record_specimen(db, principal=principal, order_id=order_id,
                                              status=body.status, reason=body.reason))


@router.post("/orders/{order_id}/results", status_code=status.HTTP_201_CREATED,
             responses=WRITE_ERRORS, openapi_extra=RESULT_REQUEST_BODY)
def file_results(
    order_id: uuid.UUID, principal: Annotated[Principal, Depends(require("order:perform"))],
    resource: Annotated[object, Depends(result_body)], db: SystemDB, container: ContainerDep,
) -> ResultFiled:
    """The performing organisation's result: an Observation or DiagnosticReport about the
    order's patient, of the order's category, written as the patient's encrypted record
    `basedOn` the order's ServiceRequest (basis `order`). The order completes; the ordering
    physician and the patient are notified (without the result)."""
    record, order = service.file_results(db, container, principal=principal,
                                         order_id=order_id, resource=resource)
    return ResultFiled(record=record.id, order=_order_out(order))
