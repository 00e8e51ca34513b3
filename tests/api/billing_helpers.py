"""Shared builders for billing, payments and insurance tests: money objects, manual charges
and an issued invoice, all made through the HTTP API (POST /api/v1/charges, then
POST /api/v1/invoices/{id}/issue)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from tests.api.conftest import Ohms, User

PROBLEM = "application/problem+json"
LOINC = "http://loinc.org"
# One line of a typical invoice: a consultation at 500.00 with 18 % tax (590.00 in all).
CONSULTATION = {"description": "Consultation, general medicine", "quantity": 1,
                "unit_price": "500.00", "tax_rate": "0.18"}


def money(amount: str | Decimal | int, currency: str = "INR") -> dict[str, str]:
    """A money object as the API speaks it: `{"amount": "500.00", "currency": "INR"}`."""
    return {"amount": f"{Decimal(amount):.2f}", "currency": currency}


def post_charge(ohms: Ohms, desk: User, patient: User | str, *,
                currency: str = "INR", **line: Any) -> httpx.Response:
    """POST /api/v1/charges for `patient` (a User or a UHID). `line` overrides the defaults
    (CONSULTATION, reason "manual charge"); `unit_price` may be a plain decimal string."""
    uhid = patient if isinstance(patient, str) else patient.uhid
    fields = {**CONSULTATION, "reason": "manual charge", **line}
    unit_price = fields["unit_price"]
    if not isinstance(unit_price, dict):
        fields["unit_price"] = {"amount": str(unit_price), "currency": currency}
    return ohms.client.post("/api/v1/charges", headers=desk.headers,
                            json={"patient": uhid, **fields})


def charge(ohms: Ohms, desk: User, patient: User | str, **line: Any) -> dict[str, Any]:
    """A manual charge (201): the charge's JSON, with its draft under `invoice`."""
    r = post_charge(ohms, desk, patient, **line)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def issue(ohms: Ohms, desk: User, invoice_id: str) -> httpx.Response:
    return ohms.client.post(f"/api/v1/invoices/{invoice_id}/issue", headers=desk.headers)


def issued_invoice(ohms: Ohms, desk: User, patient: User | str,
                   lines: Sequence[dict[str, Any]] = (CONSULTATION,)) -> dict[str, Any]:
    """Charge each of `lines` to `patient` by `desk` (a member with billing:write, e.g. a
    helpdesk), then issue the draft; returns the issued invoice's JSON (id, number, status,
    lines, total, balance, ...). Each line is a dict of POST /charges fields: description,
    quantity, unit_price ("500.00" or a money object), tax_rate, optional code, reason.
    The patient must have no other open draft at the desk's organisation in that currency
    (the charges would join it)."""
    draft_id = ""
    for line in lines:
        draft_id = charge(ohms, desk, patient, **line)["invoice"]["id"]
    assert draft_id, "an invoice needs at least one line"
    r = issue(ohms, desk, draft_id)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


@dataclass
class BillingOrg:
    """An organisation that bills, with its administrator and a desk (helpdesk) member."""

    org: str
    name: str
    address: str
    admin: User
    desk: User


def billing_org(ohms: Ohms, kind: str = "hospital", *,
                address: str = "12 MG Road, Bengaluru 560001") -> BillingOrg:
    name = f"{kind.title()} {uuid.uuid4().hex[:6]}"
    r = ohms.client.post("/api/v1/organizations", headers=ohms.admin.headers,
                         json={"name": name, "kind": kind, "address": address})
    assert r.status_code == 201, r.text
    org: str = r.json()["id"]
    return BillingOrg(org=org, name=name, address=address,
                      admin=ohms.add_member(org, "org_admin"),
                      desk=ohms.add_member(org, "helpdesk"))
