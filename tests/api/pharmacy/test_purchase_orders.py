"""Purchase orders from a pharmacy to a drug vendor: draft, sent, accepted by the vendor,
received into lots in parts (stock grows by exactly what was received), cancelled. Refusals
are problem+json and change nothing; concurrent receipts never receive more than ordered
(the database refuses it). Both backends."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import column, func, select, table, text, update
from sqlalchemy.exc import IntegrityError, ProgrammingError

from api.db.session import TenantContext, session_scope
from api.pharmacy import service
from api.pharmacy.models import InventoryItem, InventoryLot, PurchaseOrderLine
from tests.api.conftest import Ohms, User
from tests.api.pharmacy.factories import (
    AMOXICILLIN,
    FAR_EXPIRY,
    METFORMIN,
    NEAR_EXPIRY,
    YESTERDAY,
    accepted_order,
    act,
    assert_problem,
    items,
    pharmacy,
    product,
    purchase_order,
    receipt,
    snapshot,
    vendor,
)


def _lines(order: dict[str, Any]) -> dict[str, tuple[int, int]]:
    return {line["product"]: (line["quantity"], line["received"]) for line in order["lines"]}


def test_an_order_is_sent_accepted_and_received_in_parts(ohms: Ohms) -> None:
    v = vendor(ohms)
    amox = product(ohms, v.staff, pack_size=10, price={"amount": "12.50", "currency": "INR"})
    metf = product(ohms, v.staff, name="Glucophage", code=METFORMIN, pack_size=30,
                   price={"amount": "99.99", "currency": "INR"})
    p = pharmacy(ohms)

    r = purchase_order(ohms, p.pharmacist, v.org, [(amox["id"], 5), (metf["id"], 2)])
    assert r.status_code == 201, r.text
    order = r.json()
    assert order["status"] == "draft" and order["vendor"] == v.org and order["pharmacy"] == p.org
    assert order["total"] == {"amount": "262.48", "currency": "INR"}  # 5 x 12.50 + 2 x 99.99
    # A draft is the pharmacy's own: the vendor neither lists nor accepts it.
    inbox = ohms.client.get("/api/v1/purchase-orders", headers=v.staff.headers).json()
    assert order["id"] not in [o["id"] for o in inbox]
    assert_problem(act(ohms, v.staff, order["id"], "accept"), 404)

    sent = act(ohms, p.pharmacist, order["id"], "send")
    assert sent.status_code == 200 and sent.json()["status"] == "sent", sent.text
    inbox = ohms.client.get("/api/v1/purchase-orders", headers=v.staff.headers,
                            params={"status": "sent"}).json()
    assert [o["id"] for o in inbox] == [order["id"]]
    # Nothing is received before the vendor accepts.
    assert_problem(receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "A1", "expiry": FAR_EXPIRY, "quantity": 1}]),
        409, "sent")
    accepted = act(ohms, v.staff, order["id"], "accept")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    assert accepted.json()["accepted_at"]

    # A partial delivery: 3 packs of amoxicillin in two lots, nothing of metformin yet.
    r = receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "AMX-1", "expiry": NEAR_EXPIRY, "quantity": 1},
        {"product": amox["id"], "lot_number": "AMX-2", "expiry": FAR_EXPIRY, "quantity": 2}])
    assert r.status_code == 201, r.text
    assert r.json()["purchase_order"]["status"] == "partly_received"
    assert _lines(r.json()["purchase_order"]) == {amox["id"]: (5, 3), metf["id"]: (2, 0)}
    lots = r.json()["lots"]
    assert [(x["lot_number"], x["expiry"], x["quantity"]) for x in lots] == \
        [("AMX-1", NEAR_EXPIRY, 10), ("AMX-2", FAR_EXPIRY, 20)]
    assert {x["unit_cost"]["amount"] for x in lots} == {"1.2500"}  # 12.50 a pack of 10
    assert {x["purchase_order"] for x in lots} == {order["id"]}
    stock = items(ohms, p.pharmacist)
    assert stock[AMOXICILLIN["code"]]["on_hand"] == 30 and METFORMIN["code"] not in stock

    # The rest: the order is received.
    r = receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "AMX-2", "expiry": FAR_EXPIRY, "quantity": 2},
        {"product": metf["id"], "lot_number": "MET-9", "expiry": FAR_EXPIRY, "quantity": 2}])
    assert r.status_code == 201, r.text
    assert r.json()["purchase_order"]["status"] == "received"
    stock = items(ohms, p.pharmacist)
    assert stock[AMOXICILLIN["code"]]["on_hand"] == 50 and stock[METFORMIN["code"]]["on_hand"] == 60
    assert {x["unit_cost"]["amount"] for x in r.json()["lots"]} == {"1.2500", "3.3330"}
    # Both parties read it; a received order takes no more and is not cancelled.
    for reader in (p.pharmacist, v.staff):
        got = ohms.client.get(f"/api/v1/purchase-orders/{order['id']}", headers=reader.headers)
        assert got.status_code == 200 and got.json()["status"] == "received"
    assert_problem(act(ohms, p.pharmacist, order["id"], "cancel"), 409, "received")
    assert_problem(receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "X", "expiry": FAR_EXPIRY, "quantity": 1}]), 409)


def test_an_order_is_cancelled_until_something_is_received(ohms: Ohms) -> None:
    v, p = vendor(ohms), pharmacy(ohms)
    amox = product(ohms, v.staff)
    draft = purchase_order(ohms, p.pharmacist, v.org, [(amox["id"], 1)]).json()
    r = act(ohms, p.pharmacist, draft["id"], "cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert_problem(act(ohms, p.pharmacist, draft["id"], "send"), 409, "cancelled")
    order = accepted_order(ohms, p, v, [(amox["id"], 4)])
    assert receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "C1", "expiry": FAR_EXPIRY,
         "quantity": 1}]).status_code == 201
    assert_problem(act(ohms, p.pharmacist, order["id"], "cancel"), 409, "partly_received")
    # Only the pharmacy cancels; only the vendor accepts.
    assert_problem(act(ohms, v.staff, order["id"], "cancel"), 403)
    assert_problem(act(ohms, p.pharmacist, order["id"], "accept"), 403)


def test_refused_orders_and_receipts_change_nothing(ohms: Ohms) -> None:
    v, other_vendor = vendor(ohms), vendor(ohms)
    p, other_pharmacy = pharmacy(ohms), pharmacy(ohms)
    amox = product(ohms, v.staff)
    theirs = product(ohms, other_vendor.staff)
    unavailable = product(ohms, v.staff, name="Old stock", code=METFORMIN, available=False)
    dollars = product(ohms, v.staff, name="Import", code=METFORMIN,
                      price={"amount": "3.00", "currency": "USD"})

    # Orders that cannot be made.
    for lines, status, detail in [
        ([(amox["id"], 0)], 422, None),
        ([(amox["id"], -2)], 422, None),
        ([(theirs["id"], 1)], 422, "not in this vendor's catalogue"),
        ([(str(uuid.uuid4()), 1)], 422, "not in this vendor's catalogue"),
        ([(amox["id"], 1), (amox["id"], 2)], 422, "one line"),
        ([(unavailable["id"], 1)], 409, "not available"),
        ([(amox["id"], 1), (dollars["id"], 1)], 422, "one currency"),
    ]:
        assert_problem(purchase_order(ohms, p.pharmacist, v.org, lines), status, detail)
    assert_problem(purchase_order(ohms, p.pharmacist, str(uuid.uuid4()), [(amox["id"], 1)]),
                   404)
    assert_problem(purchase_order(ohms, p.pharmacist, other_pharmacy.org, [(amox["id"], 1)]),
                   422, "drug vendor")
    assert_problem(purchase_order(ohms, v.staff, v.org, [(amox["id"], 1)]), 403)

    order = accepted_order(ohms, p, v, [(amox["id"], 5)])
    r = receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "OK-1", "expiry": FAR_EXPIRY, "quantity": 2}])
    assert r.status_code == 201, r.text
    sent = purchase_order(ohms, p.pharmacist, v.org, [(amox["id"], 1)]).json()
    assert act(ohms, p.pharmacist, sent["id"], "send").status_code == 200
    before = snapshot(ohms, p.org)

    def line(**overrides: Any) -> dict[str, Any]:
        return {"product": amox["id"], "lot_number": "R-1", "expiry": FAR_EXPIRY,
                "quantity": 1, **overrides}

    # Each refused receipt is all or nothing: a good line beside a bad one is not received.
    for lines, status, detail in [
        ([line(quantity=4)], 409, "more than is left"),
        ([line(quantity=2), line(lot_number="R-2", quantity=2)], 409, "more than is left"),
        ([line(), line(product=theirs["id"])], 422, "not on this purchase order"),
        ([line(quantity=0)], 422, None),
        ([line(quantity=-1)], 422, None),
        ([line(quantity=1.5)], 422, None),
        ([line(), line(expiry=YESTERDAY)], 422, "expired"),
        ([], 422, None),
    ]:
        assert_problem(receipt(ohms, p.pharmacist, order["id"], lines), status, detail)
    # Another pharmacy, another vendor: no such order.
    assert_problem(receipt(ohms, other_pharmacy.pharmacist, order["id"], [line()]), 404)
    assert_problem(ohms.client.get(f"/api/v1/purchase-orders/{order['id']}",
                                   headers=other_pharmacy.pharmacist.headers), 404)
    assert_problem(act(ohms, other_pharmacy.pharmacist, order["id"], "cancel"), 404)
    assert_problem(ohms.client.get(f"/api/v1/purchase-orders/{order['id']}",
                                   headers=other_vendor.staff.headers), 404)
    assert_problem(act(ohms, other_vendor.staff, sent["id"], "accept"), 404)
    listed = ohms.client.get("/api/v1/purchase-orders", headers=other_vendor.staff.headers)
    assert sent["id"] not in [o["id"] for o in listed.json()]
    assert snapshot(ohms, p.org) == before
    assert dict(before.orders)[order["id"]] == "partly_received"
    assert dict(before.orders)[sent["id"]] == "sent"


def test_a_purchase_order_is_visible_to_its_two_parties_only_in_the_database(
        ohms: Ohms) -> None:
    if ohms.kind != "real":
        pytest.skip("row-level security is PostgreSQL's")
    v, p, third = vendor(ohms), pharmacy(ohms), pharmacy(ohms)
    amox = product(ohms, v.staff)
    order = accepted_order(ohms, p, v, [(amox["id"], 1)])
    orders = table("purchase_orders", column("id"))
    lines = table("purchase_order_lines", column("purchase_order_id"))

    def visible(org: str) -> tuple[int, int]:
        with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(org))) as s:
            return (int(s.scalar(select(func.count()).select_from(orders)
                                 .where(orders.c.id == uuid.UUID(order["id"]))) or 0),
                    int(s.scalar(select(func.count()).select_from(lines).where(
                        lines.c.purchase_order_id == uuid.UUID(order["id"]))) or 0))

    assert visible(p.org) == (1, 1) and visible(v.org) == (1, 1)
    assert visible(third.org) == (0, 0)
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(third.org))) as s:
        moved = s.execute(text("UPDATE purchase_orders SET status = 'cancelled' WHERE id = :id"),
                          {"id": order["id"]})
        assert moved.rowcount == 0  # type: ignore[attr-defined]
    # The catalogue is read by all and written by its vendor only.
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(p.org))) as s:
        assert s.scalar(text("SELECT count(*) FROM catalog_products WHERE id = :id"),
                        {"id": amox["id"]}) == 1
        moved = s.execute(text("UPDATE catalog_products SET available = false WHERE id = :id"),
                          {"id": amox["id"]})
        assert moved.rowcount == 0  # type: ignore[attr-defined]
    with pytest.raises(ProgrammingError, match="row-level security"), \
            session_scope(ohms.container.sessions, TenantContext(uuid.UUID(p.org))) as s:
        s.execute(text("INSERT INTO catalog_products (id, vendor_id, name, code_system, code, "
                       "code_display, strength, form, pack_size, price_amount, price_currency, "
                       "available, created_at, updated_at) VALUES (:id, :v, 'Fake', 'x:y', "
                       "'1', 'Fake', '1 mg', 'tablet', 1, 1, 'INR', true, now(), now())"),
                  {"id": uuid.uuid4(), "v": v.org})


def _race(ohms: Ohms, requests: list[tuple[User, str, dict[str, Any]]]) -> list[httpx.Response]:
    """Send the requests at once, each from its own thread and client."""
    barrier = threading.Barrier(len(requests))

    def send(request: tuple[User, str, dict[str, Any]]) -> httpx.Response:
        user, url, body = request
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return client.post(url, headers=user.headers, json=body)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


@pytest.mark.parametrize("check_first", [True, False], ids=["checked", "database-only"])
def test_concurrent_receipts_never_receive_more_than_ordered(
        ohms: Ohms, check_first: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not check_first:
        # Blind the service's hold on the order: the line's conditional UPDATE and its
        # CHECK constraint alone must refuse what is over.
        monkeypatch.setattr(service, "_hold_receivable", lambda *args, **kwargs: None)
    v, p = vendor(ohms), pharmacy(ohms)
    amox = product(ohms, v.staff, pack_size=10)
    order = accepted_order(ohms, p, v, [(amox["id"], 10)])
    url = f"/api/v1/purchase-orders/{order['id']}/receipts"
    racers = 8
    responses = _race(ohms, [
        (p.pharmacist, url, {"lines": [{"product": amox["id"], "lot_number": f"RACE-{i}",
                                        "expiry": FAR_EXPIRY, "quantity": 3}]})
        for i in range(racers)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * 3 + [409] * (racers - 3), [r.text for r in responses]
    got = ohms.client.get(f"/api/v1/purchase-orders/{order['id']}",
                          headers=p.pharmacist.headers).json()
    assert _lines(got) == {amox["id"]: (10, 9)}
    if check_first:
        assert got["status"] == "partly_received"
    assert items(ohms, p.pharmacist)[AMOXICILLIN["code"]]["on_hand"] == 90
    assert len(snapshot(ohms, p.org).lots) == 3


def test_the_database_refuses_over_receipt_and_negative_stock(ohms: Ohms) -> None:
    v, p = vendor(ohms), pharmacy(ohms)
    amox = product(ohms, v.staff)
    order = accepted_order(ohms, p, v, [(amox["id"], 2)])
    receipt(ohms, p.pharmacist, order["id"], [
        {"product": amox["id"], "lot_number": "DB-1", "expiry": FAR_EXPIRY, "quantity": 1}])
    org = uuid.UUID(p.org)
    tenant = TenantContext(org)
    with pytest.raises(IntegrityError), session_scope(ohms.container.sessions, tenant) as s:
        s.execute(update(PurchaseOrderLine)
                  .where(PurchaseOrderLine.purchase_order_id == uuid.UUID(order["id"]))
                  .values(received=PurchaseOrderLine.quantity + 1))
    with pytest.raises(IntegrityError), session_scope(ohms.container.sessions, tenant) as s:
        s.execute(update(InventoryItem).where(InventoryItem.organization_id == org)
                  .values(on_hand=-1))
    with pytest.raises(IntegrityError), session_scope(ohms.container.sessions, tenant) as s:
        s.execute(update(InventoryLot).where(InventoryLot.organization_id == org)
                  .values(quantity=InventoryLot.quantity - 11))
    assert items(ohms, p.pharmacist)[AMOXICILLIN["code"]]["on_hand"] == 10
