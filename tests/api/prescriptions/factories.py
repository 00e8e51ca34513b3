"""Builders for prescription tests: a hospital with an encounter open with a patient, the
patient's pharmacy with stock, prescriptions and dispenses through the API, and a look
behind the API at what the database holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy import func, select

from api.notifications.models import Notification
from api.pharmacy.models import InventoryItem, InventoryLot
from api.prescriptions.models import Dispense, Prescription
from api.records.models import Record
from reencryption.client import KeyHolder
from tests.api.conftest import Ohms, User
from tests.api.orders.factories import open_encounter
from tests.api.pharmacy.factories import AMOXICILLIN, METFORMIN, Pharmacy, lot, pharmacy
from tests.api.scheduling.factories import Clinic, clinic, publish_keys

__all__ = ["AMOXICILLIN", "METFORMIN", "Pharmacy", "lot", "pharmacy"]
PROBLEM = "application/problem+json"


@dataclass
class Setting:
    """A hospital with an encounter open with a patient, and the patient's pharmacy."""

    hospital: Clinic
    patient: User
    keys: KeyHolder
    encounter: str
    pharmacy: Pharmacy

    @property
    def physician(self) -> User:
        return self.hospital.physician

    @property
    def pharmacist(self) -> User:
        return self.pharmacy.pharmacist


def setting(ohms: Ohms) -> Setting:
    hospital = clinic(ohms)
    patient = ohms.register_patient()
    keys = publish_keys(ohms, patient)
    return Setting(hospital, patient, keys, open_encounter(ohms, hospital, patient),
                   pharmacy(ohms))


def rx_body(patient_uhid: str, pharmacy_org: str, **overrides: Any) -> dict[str, Any]:
    return {"patient": patient_uhid, "pharmacy": pharmacy_org, "medication": AMOXICILLIN,
            "dosage": "1 capsule by mouth three times a day for 7 days", "quantity": 21,
            "refills": 0, **overrides}


def prescribe(ohms: Ohms, by: User, body: dict[str, Any]) -> httpx.Response:
    return ohms.client.post("/api/v1/prescriptions", headers=by.headers, json=body)


def prescribed(ohms: Ohms, s: Setting, **overrides: Any) -> dict[str, Any]:
    r = prescribe(ohms, s.physician, rx_body(s.patient.uhid, s.pharmacy.org, **overrides))
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def dispense(ohms: Ohms, by: User, prescription_id: str, lot_id: str, quantity: Any,
             client: Any = None) -> httpx.Response:
    r: httpx.Response = (client or ohms.client).post(
        f"/api/v1/prescriptions/{prescription_id}/dispenses", headers=by.headers,
        json={"lot": lot_id, "quantity": quantity})
    return r


def listed(ohms: Ohms, by: User, status: str | None = None) -> list[dict[str, Any]]:
    r = ohms.client.get("/api/v1/prescriptions", headers=by.headers,
                        params={"status": status} if status else {})
    assert r.status_code == 200, r.text
    body: list[dict[str, Any]] = r.json()
    return body


def assert_problem(r: httpx.Response, status: int, detail: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    if detail is not None:
        assert detail in r.json()["detail"], r.json()


@dataclass(frozen=True)
class Behind:
    """What the database holds: the prescription's units dispensed and status, its
    dispenses, the pharmacy's lots and on-hand units, the patient's records."""

    dispensed: int | None
    status: str | None
    dispenses: int
    lots: tuple[tuple[str, int], ...]
    on_hand: tuple[tuple[str, int], ...]
    records: int


def behind(ohms: Ohms, prescription_id: str | None, pharmacy_org: str,
           patient: User) -> Behind:
    org = uuid.UUID(pharmacy_org)
    with ohms.db() as s:
        p = s.get(Prescription, uuid.UUID(prescription_id)) if prescription_id else None
        dispenses = s.scalar(select(func.count()).select_from(Dispense)
                             .where(Dispense.organization_id == org))
        lots = s.execute(select(InventoryLot.lot_number, InventoryLot.quantity)
                         .where(InventoryLot.organization_id == org)
                         .order_by(InventoryLot.lot_number)).all()
        on_hand = s.execute(select(InventoryItem.code, InventoryItem.on_hand)
                            .where(InventoryItem.organization_id == org)
                            .order_by(InventoryItem.code)).all()
        records = s.scalar(select(func.count()).select_from(Record)
                           .where(Record.patient_id == uuid.UUID(patient.id)))
        return Behind(p.dispensed if p else None, p.status if p else None,
                      int(dispenses or 0), tuple((a, int(b)) for a, b in lots),
                      tuple((a, int(b)) for a, b in on_hand), int(records or 0))


def alerts(ohms: Ohms, user: User) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == uuid.UUID(user.id),
            Notification.kind == "stock_below_reorder_point")) or 0)


def row_text(ohms: Ohms, prescription_id: str) -> str:
    with ohms.db() as s:
        row = s.get(Prescription, uuid.UUID(prescription_id))
        assert row is not None
        return " ".join(str(getattr(row, c.key)) for c in Prescription.__table__.columns)
