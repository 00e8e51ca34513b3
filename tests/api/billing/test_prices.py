"""An organisation's price list, on both backends: administrators add prices, versioned by
the day they come into force; the same code and day twice is refused (409); bad bodies are
refused (422) and change nothing; only administrators write, the desk reads; another
organisation's price list is invisible."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.billing.models import PriceItem
from tests.api.conftest import Ohms, User

PROBLEM = "application/problem+json"
LOINC = "http://loinc.org"
HBA1C = {"system": LOINC, "code": "4548-4",
         "display": "Hemoglobin A1c/Hemoglobin.total in Blood"}
TODAY = datetime.now(UTC).date()


def price_body(code: dict[str, str] | None = None, amount: Any = "500.00",
               tax_rate: Any = "0.18", **overrides: Any) -> dict[str, Any]:
    return {"code": code or HBA1C, "price": {"amount": amount, "currency": "INR"},
            "tax_rate": tax_rate, **overrides}


def post_price(ohms: Ohms, by: User, body: dict[str, Any]) -> httpx.Response:
    return ohms.client.post("/api/v1/price-items", headers=by.headers, json=body)


def add_price(ohms: Ohms, by: User, **body: Any) -> dict[str, Any]:
    r = post_price(ohms, by, price_body(**body))
    assert r.status_code == 201, r.text
    created: dict[str, Any] = r.json()
    return created


def price_list(ohms: Ohms, by: User, **params: Any) -> list[dict[str, Any]]:
    r = ohms.client.get("/api/v1/price-items", headers=by.headers, params=params)
    assert r.status_code == 200, r.text
    items: list[dict[str, Any]] = r.json()
    return items


def assert_problem(r: httpx.Response, status: int, detail: str | None = None) -> None:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM), r.headers["content-type"]
    if detail is not None:
        assert detail in r.json()["detail"], r.json()


def prices_of(ohms: Ohms, org: str) -> int:
    with ohms.db() as s:
        return int(s.scalar(select(func.count()).select_from(PriceItem)
                            .where(PriceItem.organization_id == uuid.UUID(org))) or 0)


def test_prices_are_versioned_by_the_day_they_come_into_force(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    admin = ohms.add_member(org, "org_admin")
    first = add_price(ohms, admin, amount="400", valid_from="2024-01-01",
                      department="Laboratory")
    assert first["price"] == {"amount": "400.00", "currency": "INR"}
    assert (first["tax_rate"], first["valid_from"], first["department"]) == \
        ("0.18", "2024-01-01", "Laboratory")
    assert first["code"] == HBA1C and uuid.UUID(first["id"])
    # Without `valid_from`: from today (UTC). Four decimals are kept on a unit price.
    second = add_price(ohms, admin, amount="450.1250", tax_rate="0.05")
    assert (second["valid_from"], second["price"]["amount"], second["tax_rate"]) == \
        (TODAY.isoformat(), "450.125", "0.05")

    # The same code from the same day again: 409, nothing added.
    assert_problem(post_price(ohms, admin, price_body(valid_from="2024-01-01")), 409)
    assert prices_of(ohms, org) == 2

    # In force today, and on a day in between; every version of the code, newest first.
    assert [i["id"] for i in price_list(ohms, admin)] == [second["id"]]
    assert [i["id"] for i in price_list(ohms, admin, on="2025-06-30")] == [first["id"]]
    assert price_list(ohms, admin, on="2023-12-31") == []
    assert [i["id"] for i in price_list(ohms, admin, code="4548-4")] == \
        [second["id"], first["id"]]
    # The desk reads the list too; one page at a time.
    desk = ohms.add_member(org, "helpdesk")
    other = add_price(ohms, admin, code={"system": LOINC, "code": "2345-7",
                                         "display": "Glucose"}, amount="120.00")
    assert {i["id"] for i in price_list(ohms, desk)} == {second["id"], other["id"]}
    assert len(price_list(ohms, desk, limit=1)) == 1
    assert [i["id"] for i in price_list(ohms, desk, system=LOINC, code="2345-7")] == \
        [other["id"]]


@pytest.mark.parametrize("change", [
    {"price": {"amount": 500.0, "currency": "INR"}},          # a JSON number (float)
    {"price": {"amount": 500, "currency": "INR"}},            # a JSON number (integer)
    {"price": {"amount": "500.00", "currency": "inr"}},       # not ISO 4217
    {"price": {"amount": "500.00", "currency": "RUPEE"}},
    {"price": {"amount": "500.00"}},                          # no currency
    {"price": {"amount": "1.23456", "currency": "INR"}},      # five decimals
    {"price": {"amount": "-1.00", "currency": "INR"}},
    {"price": {"amount": "NaN", "currency": "INR"}},
    {"price": {"amount": "12345678901.00", "currency": "INR"}},  # too large
    {"price": {"amount": "500.00", "currency": "INR", "note": "x"}},
    {"tax_rate": "1.5"}, {"tax_rate": "1"}, {"tax_rate": "-0.01"}, {"tax_rate": 0.18},
    {"tax_rate": "0.123456"},
    {"code": {"system": "not a uri", "code": "4548-4", "display": "x"}},
    {"code": {"system": LOINC, "code": "45 48", "display": "x"}},
    {"code": {"system": LOINC, "code": "4548-4", "display": ""}},
    {"code": {"system": LOINC, "code": "4548-4", "display": "x", "version": "2"}},
    {"valid_from": "1999-12-31"}, {"valid_from": "2026-02-30"},
    {"department": "x" * 101},
    {"discount": "10.00"},                                     # an unknown field
])
def test_bad_price_bodies_are_refused_and_change_nothing(ohms: Ohms,
                                                         change: dict[str, Any]) -> None:
    org = ohms.create_org("clinic")
    admin = ohms.add_member(org, "org_admin")
    assert_problem(post_price(ohms, admin, {**price_body(), **change}), 422)
    assert prices_of(ohms, org) == 0
    # Without the required parts, also refused.
    for part in ("code", "price", "tax_rate"):
        body = price_body()
        del body[part]
        assert_problem(post_price(ohms, admin, body), 422)
    assert prices_of(ohms, org) == 0


def test_only_administrators_write_prices_and_the_desk_reads_them(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    admin = ohms.add_member(org, "org_admin")
    add_price(ohms, admin)
    patient = ohms.register_patient()
    for role in ("nurse", "physician", "helpdesk", "lab_technician"):
        assert_problem(post_price(ohms, ohms.add_member(org, role),
                                  price_body(valid_from="2025-01-01")), 403)
    assert_problem(post_price(ohms, patient, price_body(valid_from="2025-01-01")), 403)
    assert prices_of(ohms, org) == 1
    # Reading is the desk's and the administrators': not a nurse's, not a patient's.
    for who in (ohms.add_member(org, "nurse"), patient):
        r = ohms.client.get("/api/v1/price-items", headers=who.headers)
        assert_problem(r, 403)
    assert_problem(ohms.client.get("/api/v1/price-items"), 401)


def test_another_organisations_price_list_is_invisible(ohms: Ohms) -> None:
    a, b = ohms.create_org("hospital"), ohms.create_org("hospital")
    admin_a, admin_b = ohms.add_member(a, "org_admin"), ohms.add_member(b, "org_admin")
    mine = add_price(ohms, admin_a, valid_from="2024-01-01")
    assert price_list(ohms, admin_b) == []
    assert price_list(ohms, admin_b, code="4548-4") == []
    # The same code from the same day is B's own to add (no 409 across organisations).
    theirs = add_price(ohms, admin_b, valid_from="2024-01-01", amount="300.00")
    assert [i["id"] for i in price_list(ohms, admin_a)] == [mine["id"]]
    assert [i["id"] for i in price_list(ohms, admin_b)] == [theirs["id"]]
    assert price_list(ohms, admin_a)[0]["price"]["amount"] == "500.00"


def test_prices_query_is_checked(ohms: Ohms) -> None:
    org = ohms.create_org("hospital")
    admin = ohms.add_member(org, "org_admin")
    for params in ({"on": "yesterday"}, {"on": "1999-01-01"}, {"code": "a b"},
                   {"system": "nope"}, {"limit": 0}, {"limit": 201}):
        assert_problem(ohms.client.get("/api/v1/price-items", headers=admin.headers,
                                       params=params), 422)
    assert price_list(ohms, admin, on=(TODAY + timedelta(days=1)).isoformat()) == []
    assert date.fromisoformat(add_price(ohms, admin)["valid_from"]) == TODAY
