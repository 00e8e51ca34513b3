"""A vendor's catalogue that pharmacies and physicians search; a pharmacy's stock in lots,
with reorder points and one alert per fall below them; recalled and expired lots are never
dispensable; refusals change nothing. Both backends."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest

from api.db.session import TenantContext, session_scope
from api.errors import Conflict, Invalid, NotFound
from api.pharmacy import service
from api.pharmacy.models import CatalogProduct
from tests.api.conftest import Ohms
from tests.api.pharmacy.factories import (
    AMOXICILLIN,
    METFORMIN,
    NEAR_EXPIRY,
    YESTERDAY,
    assert_problem,
    count,
    inbox_kinds,
    items,
    lot,
    pharmacy,
    post_lot,
    post_product,
    product,
    set_expiry,
    snapshot,
    vendor,
)

ALERT = "stock_below_reorder_point"


def test_a_vendors_products_are_found_by_pharmacies_and_physicians(ohms: Ohms) -> None:
    v = vendor(ohms)
    amox = product(ohms, v.staff, name=f"Amoxil {uuid.uuid4().hex[:6]}")
    product(ohms, v.staff, name="Glucophage", code=METFORMIN, pack_size=30,
            price={"amount": "99.00", "currency": "INR"})
    assert amox["price"] == {"amount": "12.50", "currency": "INR"}
    assert amox["pack_size"] == 10 and amox["available"] is True
    assert amox["code"] == AMOXICILLIN and amox["vendor"] == v.org

    p = pharmacy(ohms)
    clinic_org = ohms.create_org("clinic")
    physician = ohms.add_member(clinic_org, "physician")
    for searcher in (p.pharmacist, physician):
        r = ohms.client.get("/api/v1/catalog/products", headers=searcher.headers,
                            params={"q": "amoxicillin 500", "vendor": v.org})
        assert r.status_code == 200, r.text
        assert [x["id"] for x in r.json()] == [amox["id"]]
        assert r.json()[0]["vendor_name"]
    r = ohms.client.get("/api/v1/catalog/products", headers=p.pharmacist.headers,
                        params={"code": METFORMIN["code"], "vendor": v.org})
    assert [x["name"] for x in r.json()] == ["Glucophage"]

    # The vendor makes a product unavailable and changes a price.
    r = ohms.client.patch(f"/api/v1/catalog/products/{amox['id']}", headers=v.staff.headers,
                          json={"available": False, "price": {"amount": "13", "currency": "INR"}})
    assert r.status_code == 200, r.text
    assert r.json()["price"] == {"amount": "13.00", "currency": "INR"}
    r = ohms.client.get("/api/v1/catalog/products", headers=p.pharmacist.headers,
                        params={"vendor": v.org, "available": "true"})
    assert [x["name"] for x in r.json()] == ["Glucophage"]


def test_catalogue_writes_by_anyone_but_the_vendor_are_refused(ohms: Ohms) -> None:
    v, other = vendor(ohms), vendor(ohms)
    p = pharmacy(ohms)
    amox = product(ohms, v.staff)
    before = count(ohms, CatalogProduct)
    assert_problem(post_product(ohms, p.pharmacist), 403)
    assert_problem(post_product(ohms, v.admin), 403)  # the vendor's administrator sells nothing
    assert_problem(post_product(ohms, ohms.admin), 403, "drug vendor")  # of no organisation
    url = f"/api/v1/catalog/products/{amox['id']}"
    assert_problem(ohms.client.patch(url, headers=other.staff.headers,
                                     json={"available": False}), 404)
    assert_problem(ohms.client.patch(url, headers=p.pharmacist.headers,
                                     json={"available": False}), 403)
    assert_problem(ohms.client.post(f"{url}/recalls", headers=other.staff.headers,
                                    json={"lot_number": "A1"}), 404)
    assert count(ohms, CatalogProduct) == before
    r = ohms.client.get(url, headers=p.pharmacist.headers)
    assert r.json()["available"] is True


@pytest.mark.parametrize(("override", "field"), [
    ({"price": {"amount": 12.5, "currency": "INR"}}, "amount"),      # a float
    ({"price": {"amount": "12.505", "currency": "INR"}}, "amount"),  # a fraction of a paisa
    ({"price": {"amount": "-1.00", "currency": "INR"}}, "amount"),
    ({"price": {"amount": "1.00", "currency": "inr"}}, "currency"),
    ({"pack_size": 0}, "pack_size"),
    ({"pack_size": -5}, "pack_size"),
    ({"pack_size": 2.5}, "pack_size"),
])
def test_bad_catalogue_input_is_refused(ohms: Ohms, override: dict[str, object],
                                        field: str) -> None:
    v = vendor(ohms)
    r = post_product(ohms, v.staff, **override)
    assert_problem(r, 422)
    assert any(field in e["loc"] for e in r.json()["errors"]), r.json()


def test_lots_make_items_with_on_hand_and_reorder_point(ohms: Ohms) -> None:
    p, other = pharmacy(ohms), pharmacy(ohms)
    first = lot(ohms, p.pharmacist, quantity=20, reorder_point=15, expiry=NEAR_EXPIRY,
                unit_cost={"amount": "1.25", "currency": "INR"})
    assert first["quantity"] == 20 and first["lot_number"].startswith("L")
    assert first["unit_cost"] == {"amount": "1.2500", "currency": "INR"}
    assert first["dispensable"] is True
    item = items(ohms, p.pharmacist)[AMOXICILLIN["code"]]
    assert (item["on_hand"], item["reorder_point"], item["below_reorder_point"]) == \
        (20, 15, False)
    later = lot(ohms, p.pharmacist, quantity=5)
    assert items(ohms, p.pharmacist)[AMOXICILLIN["code"]]["on_hand"] == 25
    # First expiry first out: the lot that expires sooner comes first.
    r = ohms.client.get(f"/api/v1/inventory/items/{item['id']}/lots",
                        headers=p.pharmacist.headers)
    assert [x["id"] for x in r.json()] == [first["id"], later["id"]]
    # Another pharmacy sees none of it.
    assert items(ohms, other.pharmacist) == {}
    assert_problem(ohms.client.get(f"/api/v1/inventory/items/{item['id']}/lots",
                                   headers=other.pharmacist.headers), 404)
    # Vendors and physicians hold no stock.
    v = vendor(ohms)
    assert_problem(post_lot(ohms, v.staff), 403)


@pytest.mark.parametrize(("override", "status", "detail"), [
    ({"quantity": 0}, 422, None),
    ({"quantity": -3}, 422, None),
    ({"quantity": "4"}, 422, None),
    ({"reorder_point": -1}, 422, None),
    ({"expiry": YESTERDAY}, 422, "expired"),
    ({"lot_number": ""}, 422, None),
])
def test_bad_lots_are_refused_and_change_nothing(ohms: Ohms, override: dict[str, object],
                                                 status: int, detail: str | None) -> None:
    p = pharmacy(ohms)
    lot(ohms, p.pharmacist, quantity=3)
    before = snapshot(ohms, p.org)
    assert_problem(post_lot(ohms, p.pharmacist, **override), status, detail)
    assert snapshot(ohms, p.org) == before


def _take(ohms: Ohms, org: str, lot_id: str, quantity: int) -> int:
    """Dispensing's call: units out of a lot in the pharmacy's tenant session."""
    with session_scope(ohms.container.sessions, TenantContext(uuid.UUID(org))) as s:
        return service.take_from_lot(s, organization_id=uuid.UUID(org),
                                     lot_id=uuid.UUID(lot_id), quantity=quantity).quantity


def test_the_reorder_alert_is_raised_once_per_fall_below_the_point(ohms: Ohms) -> None:
    p = pharmacy(ohms)
    second = ohms.add_member(p.org, "pharmacist")
    first = lot(ohms, p.pharmacist, quantity=12, reorder_point=10)
    assert inbox_kinds(ohms, p.pharmacist).count(ALERT) == 0
    assert _take(ohms, p.org, first["id"], 2) == 10  # at the point: not below
    assert inbox_kinds(ohms, p.pharmacist).count(ALERT) == 0
    assert _take(ohms, p.org, first["id"], 1) == 9   # below: alerted
    for pharmacist in (p.pharmacist, second):
        assert inbox_kinds(ohms, pharmacist).count(ALERT) == 1
    assert inbox_kinds(ohms, p.admin).count(ALERT) == 0
    item = items(ohms, p.pharmacist)[AMOXICILLIN["code"]]
    assert (item["on_hand"], item["below_reorder_point"]) == (9, True)
    _take(ohms, p.org, first["id"], 3)  # still below: no second alert
    assert inbox_kinds(ohms, p.pharmacist).count(ALERT) == 1
    r = ohms.client.get("/api/v1/inventory/items", headers=p.pharmacist.headers,
                        params={"below_reorder_point": "true"})
    assert [i["id"] for i in r.json()] == [item["id"]]
    # Restocked above the point, then below again: a new fall, a new alert.
    lot(ohms, p.pharmacist, quantity=5)  # 11
    assert items(ohms, p.pharmacist)[AMOXICILLIN["code"]]["below_reorder_point"] is False
    _take(ohms, p.org, first["id"], 2)  # 9
    assert inbox_kinds(ohms, p.pharmacist).count(ALERT) == 2
    # Raising the point over the stock alerts at once; lowering it clears the state.
    r = ohms.client.put(f"/api/v1/inventory/items/{item['id']}/reorder-point",
                        headers=p.pharmacist.headers, json={"reorder_point": 0})
    assert r.status_code == 200 and r.json()["below_reorder_point"] is False, r.text
    r = ohms.client.put(f"/api/v1/inventory/items/{item['id']}/reorder-point",
                        headers=p.pharmacist.headers, json={"reorder_point": 100})
    assert r.json()["below_reorder_point"] is True
    assert inbox_kinds(ohms, p.pharmacist).count(ALERT) == 3
    # The notification names no patient and the stock only (operational text).
    notes = ohms.client.get("/api/v1/me/notifications", headers=p.pharmacist.headers).json()
    assert any("below its reorder point" in n["message"] for n in notes if n["kind"] == ALERT)


def test_stock_never_goes_below_zero_and_refusals_take_nothing(ohms: Ohms) -> None:
    p, other = pharmacy(ohms), pharmacy(ohms)
    first = lot(ohms, p.pharmacist, quantity=4)
    with pytest.raises(Conflict, match="only 4 units"):
        _take(ohms, p.org, first["id"], 5)
    with pytest.raises(Invalid):
        _take(ohms, p.org, first["id"], 0)
    with pytest.raises(NotFound):
        _take(ohms, other.org, first["id"], 1)
    assert _take(ohms, p.org, first["id"], 4) == 0
    with pytest.raises(Conflict):
        _take(ohms, p.org, first["id"], 1)
    assert items(ohms, p.pharmacist)[AMOXICILLIN["code"]]["on_hand"] == 0


def test_recalled_and_expired_lots_are_never_dispensable(ohms: Ohms) -> None:
    v = vendor(ohms)
    amox = product(ohms, v.staff)
    p = pharmacy(ohms)
    recalled = lot(ohms, p.pharmacist, quantity=10, lot_number=f"R{uuid.uuid4().hex[:6]}")
    aging = lot(ohms, p.pharmacist, quantity=10)
    good = lot(ohms, p.pharmacist, quantity=10)
    r = ohms.client.post(f"/api/v1/catalog/products/{amox['id']}/recalls",
                         headers=v.staff.headers, json={"lot_number": recalled["lot_number"]})
    assert r.status_code == 201, r.text
    again = ohms.client.post(f"/api/v1/catalog/products/{amox['id']}/recalls",
                             headers=v.staff.headers, json={"lot_number": recalled["lot_number"]})
    assert again.json()["id"] == r.json()["id"]
    set_expiry(ohms, aging["id"], datetime.now(UTC).date() - timedelta(days=1))

    org = uuid.UUID(p.org)
    with session_scope(ohms.container.sessions, TenantContext(org)) as s:
        assert service.lot_dispensable(s, uuid.UUID(good["id"]), organization_id=org)
        assert not service.lot_dispensable(s, uuid.UUID(recalled["id"]), organization_id=org)
        assert not service.lot_dispensable(s, uuid.UUID(aging["id"]), organization_id=org)
        suggested = service.dispensable_lots(s, organization_id=org, medication=service.Medication(
            AMOXICILLIN["system"], AMOXICILLIN["code"], AMOXICILLIN["display"]))
        assert [str(v.lot.id) for v in suggested] == [good["id"]]
    with pytest.raises(Conflict, match="recalled"):
        _take(ohms, p.org, recalled["id"], 1)
    with pytest.raises(Conflict, match="expired"):
        _take(ohms, p.org, aging["id"], 1)

    item = items(ohms, p.pharmacist)[AMOXICILLIN["code"]]
    assert (item["on_hand"], item["dispensable"]) == (30, 10)
    listed = ohms.client.get(f"/api/v1/inventory/items/{item['id']}/lots",
                             headers=p.pharmacist.headers).json()
    flags = {x["id"]: (x["expired"], x["recalled"], x["dispensable"]) for x in listed}
    assert flags == {recalled["id"]: (False, True, False), aging["id"]: (True, False, False),
                     good["id"]: (False, False, True)}


def test_concurrent_takes_of_the_last_units_stop_at_zero_and_alert_once(ohms: Ohms) -> None:
    """Dispensing's guarantee, held by the stock functions it calls: 20 concurrent takes of
    the last 10 units, each in its own unit of work, leave exactly zero, and the fall below
    the reorder point is told once."""
    p = pharmacy(ohms)
    last = lot(ohms, p.pharmacist, quantity=10, reorder_point=5)
    racers = 20
    barrier = threading.Barrier(racers)

    def take_one(_: int) -> str:
        barrier.wait(timeout=120)
        try:
            _take(ohms, p.org, last["id"], 1)
        except Conflict:
            return "refused"
        return "taken"

    with ThreadPoolExecutor(max_workers=racers) as pool:
        outcomes = sorted(pool.map(take_one, range(racers)))
    assert outcomes == ["refused"] * 10 + ["taken"] * 10
    item = items(ohms, p.pharmacist)[AMOXICILLIN["code"]]
    assert (item["on_hand"], item["dispensable"]) == (0, 0)
    assert inbox_kinds(ohms, p.pharmacist).count(ALERT) == 1
