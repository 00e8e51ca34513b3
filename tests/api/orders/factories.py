"""Builders for orders tests: a hospital with an encounter open with a patient, a lab and a
radiology centre, orders placed and moved through the API, and a look behind the API."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from api.audit.models import AccessLogEntry
from api.notifications.models import Notification
from api.orders.models import Order
from api.records.models import Record
from reencryption.client import KeyHolder
from tests.api.conftest import Ohms, User
from tests.api.scheduling.factories import (
    Clinic,
    act,
    booked,
    clinic,
    make_schedule,
    publish_keys,
)

HBA1C = {"system": "http://loinc.org", "code": "4548-4",
         "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}
CHEST_XRAY = {"system": "http://loinc.org", "code": "36643-5",
              "display": "XR Chest 2 Views"}
SLOT = "2030-01-07T09:00:00Z"  # a Monday, in the clinic's hours


@dataclass
class Performer:
    org: str
    staff: User


@dataclass
class Visit:
    """A hospital, a patient in an open encounter with its physician, a lab and a radiology
    centre."""

    hospital: Clinic
    patient: User
    keys: KeyHolder
    encounter: str
    lab: Performer
    radiology: Performer

    @property
    def physician(self) -> User:
        return self.hospital.physician


def performer(ohms: Ohms, kind: str) -> Performer:
    org = ohms.create_org(kind)
    return Performer(org, ohms.add_member(org, "lab_technician" if kind == "lab"
                                          else "radiologist"))


def open_encounter(ohms: Ohms, c: Clinic, patient: User) -> str:
    make_schedule(ohms, c.admin, c.physician)
    appointment = booked(ohms, c.helpdesk, c.physician, SLOT, patient)
    assert act(ohms, c.helpdesk, appointment["id"], "confirm").status_code == 200
    r = act(ohms, c.helpdesk, appointment["id"], "check-in")
    assert r.status_code == 200, r.text
    encounter: str = r.json()["encounter"]
    return encounter


def visit(ohms: Ohms) -> Visit:
    hospital = clinic(ohms)
    patient = ohms.register_patient()
    keys = publish_keys(ohms, patient)
    return Visit(hospital, patient, keys, open_encounter(ohms, hospital, patient),
                 performer(ohms, "lab"), performer(ohms, "radiology"))


def marker() -> str:
    return f"CLINICAL{uuid.uuid4().hex}"


def order_body(v: Visit, *, category: str = "lab", **overrides: Any) -> dict[str, Any]:
    lab = category == "lab"
    return {"patient": v.patient.uhid, "category": category,
            "performer": v.lab.org if lab else v.radiology.org,
            "code": HBA1C if lab else CHEST_XRAY, "priority": "routine",
            "reason": marker(), "encounter": v.encounter, **overrides}


def place(ohms: Ohms, by: User, body: dict[str, Any]) -> httpx.Response:
    return ohms.client.post("/api/v1/orders", headers=by.headers, json=body)


def placed(ohms: Ohms, v: Visit, **overrides: Any) -> dict[str, Any]:
    r = place(ohms, v.physician, order_body(v, **overrides))
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()
    return order


def specimen(ohms: Ohms, by: User, order_id: str, status: str,
             reason: str | None = None) -> httpx.Response:
    body = {"status": status} if reason is None else {"status": status, "reason": reason}
    return ohms.client.post(f"/api/v1/orders/{order_id}/specimen", headers=by.headers,
                            json=body)


def at_the_lab(ohms: Ohms, v: Visit, order_id: str) -> None:
    for step in ("collected", "received", "in_progress"):
        r = specimen(ohms, v.lab.staff, order_id, step)
        assert r.status_code == 200, r.text


def lab_result(patient_uhid: str, value: str = "6.50") -> str:
    """An HbA1c Observation as JSON text (its decimal as written)."""
    return ('{"resourceType": "Observation", "status": "final", "category": [{"coding": '
            '[{"system": "http://terminology.hl7.org/CodeSystem/observation-category", '
            '"code": "laboratory"}]}], "code": {"coding": [{"system": "http://loinc.org", '
            f'"code": "4548-4"}}]}}, "subject": {{"reference": "Patient/{patient_uhid}"}}, '
            f'"valueQuantity": {{"value": {value}, "unit": "%"}}}}')


def imaging_report(patient_uhid: str, conclusion: str) -> dict[str, Any]:
    return {"resourceType": "DiagnosticReport", "status": "final",
            "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0074",
                                      "code": "RAD"}]}],
            "code": {"coding": [{"system": "http://loinc.org", "code": "36643-5"}]},
            "subject": {"reference": f"Patient/{patient_uhid}"}, "conclusion": conclusion}


def post_results(ohms: Ohms, by: User, order_id: str, resource: str | dict[str, Any],
                 client: Any = None) -> httpx.Response:
    text = resource if isinstance(resource, str) else json.dumps(resource)
    return (client or ohms.client).post(
        f"/api/v1/orders/{order_id}/results",
        headers={**by.headers, "Content-Type": "application/json"},
        content=f'{{"resource": {text}}}'.encode())


def listed(ohms: Ohms, by: User, status: str | None = None) -> list[str]:
    r = ohms.client.get("/api/v1/orders", headers=by.headers,
                        params={"status": status} if status else {})
    assert r.status_code == 200, r.text
    return [o["id"] for o in r.json()]


@dataclass(frozen=True)
class Behind:
    """What the database holds of an order and its patient's records and inbox."""

    status: str | None
    specimen: str | None
    result_record: str | None
    records: int
    notifications: int


def behind(ohms: Ohms, order_id: str | None, patient: User) -> Behind:
    with ohms.db() as s:
        order = s.get(Order, uuid.UUID(order_id)) if order_id else None
        records = s.scalar(select(func.count()).select_from(Record)
                           .where(Record.patient_id == uuid.UUID(patient.id)))
        notes = s.scalar(select(func.count()).select_from(Notification)
                         .where(Notification.user_id == uuid.UUID(patient.id)))
        return Behind(order.status if order else None, order.specimen_status if order else None,
                      str(order.result_record) if order and order.result_record else None,
                      int(records or 0), int(notes or 0))


def orders_of(ohms: Ohms, patient: User) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(Order)
                            .where(Order.patient_id == uuid.UUID(patient.id))) or 0)


def last_entry(ohms: Ohms, patient: User) -> AccessLogEntry:
    with ohms.db() as s:
        entry = s.scalars(select(AccessLogEntry)
                          .where(AccessLogEntry.patient_uhid == patient.uhid)
                          .order_by(AccessLogEntry.at.desc()).limit(1)).one()
        return entry


def row_text(ohms: Ohms, order_id: str) -> str:
    """Every column of the order's row, as text."""
    with ohms.db() as s:
        row = s.get(Order, uuid.UUID(order_id))
        assert row is not None
        return " ".join(str(getattr(row, c.key)) for c in Order.__table__.columns)


def inbox(ohms: Ohms, user: User) -> list[dict[str, Any]]:
    r = ohms.client.get("/api/v1/me/notifications", headers=user.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    items: list[dict[str, Any]] = body["items"] if isinstance(body, dict) else body
    return items
