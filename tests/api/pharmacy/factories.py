"""Builders for pharmacy tests: a pharmacy and a drug vendor with their staff, products,
lots and purchase orders, and a look behind the API at what the database holds."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from api.pharmacy.models import InventoryItem, InventoryLot, PurchaseOrder, PurchaseOrderLine
from tests.api.conftest import Ohms, User

PROBLEM = "application/problem+json"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
AMOXICILLIN = {"system": RXNORM, "code": "308191", "display": "amoxicillin 500 MG Oral Capsule"}
METFORMIN = {"system": RXNORM, "code": "861007",
             "display": "metformin hydrochloride 500 MG Oral Tablet"}
FAR_EXPIRY = (datetime.now(UTC).date() + timedelta(days=400)).isoformat()
NEAR_EXPIRY = (datetime.now(UTC).date() + timedelta(days=30)).isoformat()
YESTERDAY = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()


@dataclass
class Pharmacy:
    org: str
    admin: User
    pharmacist: User


@dataclass
class Vendor:
    org: str
    admin: User
    staff: User


def pharmacy(ohms: Ohms) -> Pharmacy:
    org = ohms.create_org("pharmacy")
    return Pharmacy(org=org, admin=ohms.add_member(org, "org_admin"),
                    pharmacist=ohms.add_member(org, "pharmacist"))


def vendor(ohms: Ohms) -> Vendor:
    org = ohms.create_org("drug_vendor")
    return Vendor(org=org, admin=ohms.add_member(org, "org_admin"),
                  staff=ohms.add_member(org, "drug_vendor"))


def post_product(ohms: Ohms, by: User, **overrides: Any) -> httpx.Response:
    body = {"name": "Amoxil 500", "code": AMOXICILLIN, "strength": "500 mg",
            "form": "capsule", "pack_size": 10, "price": {"amount": "12.50", "currency": "INR"},
            **overrides}
    return ohms.client.post("/api/v1/catalog/products", headers=by.headers, json=body)


def product(ohms: Ohms, by: User, **overrides: Any) -> dict[str, Any]:
    r = post_product(ohms, by, **overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def post_lot(ohms: Ohms, by: User, **overrides: Any) -> httpx.Response:
    body = {"medication": AMOXICILLIN, "lot_number": f"L{uuid.uuid4().hex[:6]}",
            "expiry": FAR_EXPIRY, "quantity": 20, **overrides}
    return ohms.client.post("/api/v1/inventory/lots", headers=by.headers, json=body)


def lot(ohms: Ohms, by: User, **overrides: Any) -> dict[str, Any]:
    r = post_lot(ohms, by, **overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def items(ohms: Ohms, by: User) -> dict[str, dict[str, Any]]:
    """The caller's items by medication code."""
    r = ohms.client.get("/api/v1/inventory/items", headers=by.headers)
    assert r.status_code == 200, r.text
    return {i["medication"]["code"]: i for i in r.json()}


def purchase_order(ohms: Ohms, by: User, vendor_org: str,
                   lines: list[tuple[str, int]]) -> httpx.Response:
    return ohms.client.post("/api/v1/purchase-orders", headers=by.headers,
                            json={"vendor": vendor_org,
                                  "lines": [{"product": p, "quantity": q} for p, q in lines]})


def act(ohms: Ohms, by: User, order_id: str, action: str,
        body: dict[str, Any] | None = None) -> httpx.Response:
    return ohms.client.post(f"/api/v1/purchase-orders/{order_id}/{action}",
                            headers=by.headers, json=body)


def receipt(ohms: Ohms, by: User, order_id: str,
            lines: list[dict[str, Any]]) -> httpx.Response:
    return act(ohms, by, order_id, "receipts", {"lines": lines})


def accepted_order(ohms: Ohms, p: Pharmacy, v: Vendor,
                   lines: list[tuple[str, int]]) -> dict[str, Any]:
    r = purchase_order(ohms, p.pharmacist, v.org, lines)
    assert r.status_code == 201, r.text
    order_id = r.json()["id"]
    assert act(ohms, p.pharmacist, order_id, "send").status_code == 200
    r = act(ohms, v.staff, order_id, "accept")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def assert_problem(r: httpx.Response, status: int, detail: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    if detail is not None:
        assert detail in r.json()["detail"], r.json()


@dataclass(frozen=True)
class StockSnapshot:
    """What the database holds of an organisation's stock and purchase orders."""

    items: tuple[tuple[str, int, int], ...]
    lots: tuple[tuple[str, int], ...]
    orders: tuple[tuple[str, str], ...]
    received: tuple[tuple[str, int], ...]


def snapshot(ohms: Ohms, org: str) -> StockSnapshot:
    oid = uuid.UUID(org)
    with ohms.db() as s:
        item_rows = s.execute(select(InventoryItem.code, InventoryItem.on_hand,
                                     InventoryItem.reorder_point)
                              .where(InventoryItem.organization_id == oid)
                              .order_by(InventoryItem.code)).all()
        lot_rows = s.execute(select(InventoryLot.lot_number, InventoryLot.quantity)
                             .where(InventoryLot.organization_id == oid)
                             .order_by(InventoryLot.id)).all()
        orders = s.execute(select(PurchaseOrder.id, PurchaseOrder.status)
                           .where(PurchaseOrder.pharmacy_id == oid)
                           .order_by(PurchaseOrder.id)).all()
        received = s.execute(select(PurchaseOrderLine.id, PurchaseOrderLine.received)
                             .where(PurchaseOrderLine.pharmacy_id == oid)
                             .order_by(PurchaseOrderLine.id)).all()
    return StockSnapshot(tuple(item_rows), tuple(lot_rows),
                         tuple((str(a), b) for a, b in orders),
                         tuple((str(a), b) for a, b in received))


def count(ohms: Ohms, model: Any) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def set_expiry(ohms: Ohms, lot_id: str, expiry: date) -> None:
    """Age a lot behind the API (to have one that has expired)."""
    with ohms.db() as s:
        row = s.get(InventoryLot, uuid.UUID(lot_id))
        assert row is not None
        row.expiry = expiry


def inbox_kinds(ohms: Ohms, user: User) -> list[str]:
    r = ohms.client.get("/api/v1/me/notifications", headers=user.headers,
                        params={"limit": 200})
    assert r.status_code == 200, r.text
    return [n["kind"] for n in r.json()]
