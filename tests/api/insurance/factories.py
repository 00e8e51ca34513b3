"""Builders for insurance tests: an insurer with its staff, a billing desk, coverages and
claims made through the HTTP API, and a look behind it at the invoice."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import select

from api.billing.models import Invoice
from tests.api.billing_helpers import money
from tests.api.conftest import Ohms, User

TODAY = datetime.now(UTC).date()


@dataclass
class Insurer:
    org: str
    staff: User


@dataclass
class Desk:
    org: str
    helpdesk: User


def insurer(ohms: Ohms) -> Insurer:
    org = ohms.create_org("insurer")
    return Insurer(org=org, staff=ohms.add_member(org, "insurer"))


def desk(ohms: Ohms, kind: str = "hospital") -> Desk:
    org = ohms.create_org(kind)
    return Desk(org=org, helpdesk=ohms.add_member(org, "helpdesk"))


def post_coverage(ohms: Ohms, by: User, patient: User, insurer_org: str,
                  **overrides: Any) -> httpx.Response:
    body = {"insurer": insurer_org, "member_id": "MEM-001", "plan": "Silver",
            "valid_from": (TODAY - timedelta(days=30)).isoformat(),
            "valid_to": (TODAY + timedelta(days=335)).isoformat(),
            "copay": money("100.00"), "coinsurance": "0.20", **overrides}
    return ohms.client.post(f"/api/v1/patients/{patient.uhid}/coverages", headers=by.headers,
                            json=body)


def coverage(ohms: Ohms, by: User, patient: User, insurer_org: str,
             **overrides: Any) -> dict[str, Any]:
    r = post_coverage(ohms, by, patient, insurer_org, **overrides)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def post_claim(ohms: Ohms, by: User, invoice_id: str, coverage_id: str) -> httpx.Response:
    return ohms.client.post("/api/v1/claims", headers=by.headers,
                            json={"invoice": invoice_id, "coverage": coverage_id})


def claim(ohms: Ohms, by: User, invoice_id: str, coverage_id: str) -> dict[str, Any]:
    r = post_claim(ohms, by, invoice_id, coverage_id)
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def adjudicate(ohms: Ohms, by: User, claim_id: str, **body: Any) -> httpx.Response:
    return ohms.client.post(f"/api/v1/claims/{claim_id}/adjudication", headers=by.headers,
                            json=body)


@dataclass(frozen=True)
class Settled:
    status: str
    total: Decimal
    paid_total: Decimal
    insurer_total: Decimal
    balance: Decimal


def invoice_row(ohms: Ohms, invoice_id: str) -> Settled:
    with ohms.db() as s:
        inv = s.scalars(select(Invoice).where(Invoice.id == uuid.UUID(invoice_id))).one()
        return Settled(inv.status, Decimal(inv.total), Decimal(inv.paid_total),
                       Decimal(inv.insurer_total), Decimal(inv.balance))


def day(offset: int) -> str:
    return (TODAY + timedelta(days=offset)).isoformat()

