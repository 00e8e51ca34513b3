"""Concurrent dispenses, decided by the database on both backends: 20 dispenses racing for
the last 10 units of a lot leave it at zero, never below; a prescription is never dispensed
beyond what it allows. On PostgreSQL a prescription's row is out of reach of any tenant but
its two organisations."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from api.db.session import TenantContext, session_scope
from api.prescriptions.models import Dispense
from tests.api.conftest import Ohms, User
from tests.api.prescriptions.factories import (
    AMOXICILLIN,
    behind,
    dispense,
    lot,
    pharmacy,
    prescribed,
    setting,
)

RACERS = 20


def race(ohms: Ohms, jobs: list[tuple[str, str]], by: User) -> list[httpx.Response]:
    """Dispenses of one unit each, (prescription, lot), released together."""
    barrier = threading.Barrier(len(jobs))

    def send(job: tuple[str, str]) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return dispense(ohms, by, job[0], job[1], 1, client=client)

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        return list(pool.map(send, jobs))


def test_twenty_dispenses_of_the_last_ten_units_leave_zero(ohms: Ohms) -> None:
    s = setting(ohms)
    last = lot(ohms, s.pharmacist, quantity=10, lot_number=f"L{uuid.uuid4().hex[:6]}")
    first, second = prescribed(ohms, s, quantity=20), prescribed(ohms, s, quantity=20)
    jobs = [((first if n % 2 else second)["id"], last["id"]) for n in range(RACERS)]
    answers = race(ohms, jobs, s.pharmacist)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * 10 + [409] * 10, [r.text for r in answers if r.status_code != 201]
    after = behind(ohms, None, s.pharmacy.org, s.patient)
    assert dict(after.lots) == {last["lot_number"]: 0}
    assert dict(after.on_hand) == {AMOXICILLIN["code"]: 0}
    assert after.dispenses == 10
    with ohms.db() as db:
        units = db.scalar(select(func.sum(Dispense.quantity))
                          .where(Dispense.organization_id == uuid.UUID(s.pharmacy.org)))
    assert units == 10


def test_a_prescription_is_never_dispensed_beyond_what_it_allows(ohms: Ohms) -> None:
    s = setting(ohms)
    stock = lot(ohms, s.pharmacist, quantity=100)
    rx = prescribed(ohms, s, quantity=3, refills=1)  # 6 units in all
    answers = race(ohms, [(rx["id"], stock["id"])] * 12, s.pharmacist)
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] * 6 + [409] * 6, [r.text for r in answers if r.status_code != 201]
    after = behind(ohms, rx["id"], s.pharmacy.org, s.patient)
    assert (after.dispensed, after.status, after.dispenses) == (6, "completed", 6)
    assert dict(after.on_hand) == {AMOXICILLIN["code"]: 94}


# SQLite has no row-level security: this runs on PostgreSQL only; the HTTP-layer isolation
# (another pharmacy: 404) is tested on both backends in test_refusals.py.
@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_a_prescriptions_row_is_its_two_organisations_only(ohms: Ohms) -> None:
    assert ohms.container.engine.dialect.name == "postgresql"
    s = setting(ohms)
    rx = prescribed(ohms, s)
    rival = pharmacy(ohms)
    query = text("SELECT count(*) FROM prescriptions WHERE id = :id")
    for org, seen in ((s.hospital.org, 1), (s.pharmacy.org, 1), (rival.org, 0)):
        with session_scope(ohms.container.sessions,
                           TenantContext(organization_id=uuid.UUID(org))) as db:
            assert db.execute(query, {"id": rx["id"]}).scalar() == seen, org
