"""Concurrent results of one order complete it once (a conditional UPDATE the database
decides); on PostgreSQL an order's row is out of reach of any tenant but its two
organisations, whatever the query."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text
from sqlalchemy.exc import ProgrammingError

from api.db.session import TenantContext, session_scope
from api.notifications.models import Notification
from api.records.models import Record
from tests.api.conftest import Ohms
from tests.api.orders.factories import (
    at_the_lab,
    behind,
    lab_result,
    performer,
    placed,
    post_results,
    visit,
)

RACERS = 4


def test_concurrent_results_complete_the_order_once(ohms: Ohms) -> None:
    v = visit(ohms)
    order = placed(ohms, v)
    at_the_lab(ohms, v, order["id"])
    before = behind(ohms, order["id"], v.patient)
    barrier = threading.Barrier(RACERS)

    def send(value: str) -> httpx.Response:
        client = TestClient(ohms.client.app, raise_server_exceptions=False)
        barrier.wait(timeout=120)
        return post_results(ohms, v.lab.staff, order["id"], lab_result(v.patient.uhid, value),
                            client=client)

    with ThreadPoolExecutor(max_workers=RACERS) as pool:
        answers = list(pool.map(send, [f"6.{n}0" for n in range(RACERS)]))
    codes = sorted(r.status_code for r in answers)
    assert codes == [201] + [409] * (RACERS - 1), [r.text for r in answers]
    won = next(r.json() for r in answers if r.status_code == 201)
    after = behind(ohms, order["id"], v.patient)
    assert after.status == "completed" and after.result_record == won["record"]
    assert after.records == before.records + 1
    with ohms.db() as s:
        results = s.scalar(select(func.count()).select_from(Record).where(
            Record.patient_id == uuid.UUID(v.patient.id), Record.category == "lab"))
        told = s.scalar(select(func.count()).select_from(Notification).where(
            Notification.user_id == uuid.UUID(v.physician.id),
            Notification.kind == "results_ready"))
    assert results == 1 and told == 1


# SQLite has no row-level security: this runs on PostgreSQL only; the HTTP-layer isolation
# tests run on both backends.
@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_an_orders_row_is_its_two_organisations_only(ohms: Ohms) -> None:
    assert ohms.container.engine.dialect.name == "postgresql"
    v = visit(ohms)
    order = placed(ohms, v)
    rival = performer(ohms, "lab")
    query = text("SELECT count(*) FROM orders WHERE id = :id")
    for org, seen in ((v.hospital.org, 1), (v.lab.org, 1), (rival.org, 0),
                      (v.radiology.org, 0)):
        with session_scope(ohms.container.sessions,
                           TenantContext(organization_id=uuid.UUID(org))) as s:
            assert s.execute(query, {"id": order["id"]}).scalar() == seen, org
    rival_session = TenantContext(organization_id=uuid.UUID(rival.org))
    with session_scope(ohms.container.sessions, rival_session) as s:
        changed = s.execute(text("UPDATE orders SET status = 'revoked' WHERE id = :id"),
                            {"id": order["id"]})
        assert changed.rowcount == 0  # type: ignore[attr-defined]
    # Nor can a tenant move an order to another performer, or write one between others.
    with pytest.raises(ProgrammingError, match="row-level security"), \
            session_scope(ohms.container.sessions,
                          TenantContext(organization_id=uuid.UUID(v.lab.org))) as s:
        s.execute(text("UPDATE orders SET performer_org_id = :rival, "
                       "ordering_org_id = :rival WHERE id = :id"),
                  {"rival": rival.org, "id": order["id"]})
    assert behind(ohms, order["id"], v.patient).status == "active"
