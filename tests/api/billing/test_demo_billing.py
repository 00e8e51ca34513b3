"""`ohms seed-demo` gives the demo's billing something to show at once, through the services:
City General Hospital's and Corner Pharmacy's price lists, Priya's coverage at SecureLife, three
invoices of hers charged from billable events (paid, part paid, claimed) and the claim in the
insurer's queue; and running it again changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from api.billing.models import BillableEvent, Charge, Invoice, PriceItem
from api.demo import DEMO_PASSWORD, seed_demo
from api.insurance.models import Claim, Coverage
from api.payments.models import Payment
from tests.api.conftest import Ohms, User, start_ohms
from tests.conftest import DatabaseFactory

TABLES = (PriceItem, Coverage, BillableEvent, Charge, Invoice, Payment, Claim)


@pytest.fixture
def demo_ohms(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Ohms]:
    with contextmanager(start_ohms)(databases, tmp_path) as ohms:
        yield ohms


def _counts(ohms: Ohms) -> dict[str, int]:
    with ohms.db() as s:
        return {t.__name__: int(s.scalar(select(func.count()).select_from(t)) or 0)
                for t in TABLES}


def _login(ohms: Ohms, email: str) -> dict[str, str]:
    return ohms.signed_in(User("", "", email, DEMO_PASSWORD)).headers


def test_the_demo_bills_the_demo_patient_once(demo_ohms: Ohms) -> None:
    ohms = demo_ohms
    seed_demo(ohms.container)
    first = _counts(ohms)
    seed_demo(ohms.container)
    assert _counts(ohms) == first == {
        "PriceItem": 16, "Coverage": 1, "BillableEvent": 6, "Charge": 6, "Invoice": 3,
        "Payment": 2, "Claim": 1}

    patient = _login(ohms, "patient@ohms.demo")
    bills = ohms.client.get("/api/v1/invoices", headers=patient)
    assert bills.status_code == 200, bills.text
    by_status = {b["status"]: b for b in bills.json()}
    assert set(by_status) == {"paid", "partly_paid", "issued"}
    assert Decimal(by_status["paid"]["balance"]["amount"]) == 0
    # Lipid panel 600.00 + 18 % and glucose 120.00 + 18 %, less 400.00 in cash.
    assert Decimal(by_status["partly_paid"]["total"]["amount"]) == Decimal("849.60")
    assert Decimal(by_status["partly_paid"]["balance"]["amount"]) == Decimal("449.60")
    # A consultation (0 %), HbA1c and a blood count (18 %): claimed from her insurer.
    assert Decimal(by_status["issued"]["balance"]["amount"]) == Decimal("1744.00")

    queue = ohms.client.get("/api/v1/claims", headers=_login(ohms, "insurer@insurer.demo"),
                            params={"status": "submitted"})
    assert queue.status_code == 200, queue.text
    (claim,) = queue.json()
    assert claim["invoice"] == by_status["issued"]["id"]
    assert Decimal(claim["total"]["amount"]) == Decimal("1744.00")
    # The visit's note and the HbA1c result support it (the records the charges name).
    assert sum(1 for i in claim["items"] if i["record_id"]) == 2

    prices = ohms.client.get("/api/v1/price-items",
                             headers=_login(ohms, "orgadmin@hospital.demo"))
    assert prices.status_code == 200, prices.text
    rates = {p["code"]["code"]: p["tax_rate"] for p in prices.json()}
    assert (rates["419192003"], rates["4548-4"], rates["861007"], rates["198440"]) == (
        "0.00", "0.18", "0.12", "0.05")
