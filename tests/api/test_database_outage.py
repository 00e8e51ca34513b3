"""The database dropping the service's connections (a restart, a failover): the request that
meets a dropped connection is a 503 problem with nothing half-done, and the next ones work on
new connections (the pool lets the dropped ones go; no ping before every checkout)."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.api.conftest import Ohms


def _drop_every_connection_of_the_service(ohms: Ohms) -> int:
    engine = ohms.container.engine
    admin = create_engine(engine.url, poolclass=NullPool)
    try:
        with admin.connect() as conn:
            return len(conn.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid()")).all())
    finally:
        admin.dispose()


# Terminating backends is PostgreSQL's; SQLite has no connection to lose.
@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_a_dropped_connection_is_a_503_then_the_service_recovers(ohms: Ohms) -> None:
    patient = ohms.register_patient()
    assert ohms.client.get("/api/v1/me", headers=patient.headers).status_code == 200
    assert _drop_every_connection_of_the_service(ohms) >= 1

    first = ohms.client.get("/api/v1/me", headers=patient.headers)
    assert first.status_code == 503, first.text
    assert first.headers["content-type"] == "application/problem+json"
    assert first.json()["detail"] == "The database is unavailable; try again shortly"
    assert first.headers["retry-after"] == "1"
    # The pool let every dropped connection go: the next request works.
    again = ohms.client.get("/api/v1/me", headers=patient.headers)
    assert again.status_code == 200 and again.json()["uhid"] == patient.uhid


@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_the_access_log_writes_through_a_dropped_connection(ohms: Ohms) -> None:
    """The access journal's own pool loses its connections too: its group commit tries once
    more on a new connection, so the access (and its entry) goes through."""
    patient = ohms.register_patient()
    payload = {"scope": "category:lab", "purpose": "treatment", "patient": patient.uhid}
    org = ohms.create_org("lab")
    tech = ohms.add_member(org, "lab_technician")
    # A check is logged by the journal, granted or not.
    assert ohms.client.post("/api/v1/access/check", headers=tech.headers,
                            json=payload).status_code == 200
    with ohms.db() as s:
        before = s.execute(text("SELECT count(*) FROM access_log_entries")).scalar_one()
    _drop_every_connection_of_the_service(ohms)
    ohms.container.engine.dispose()  # the request's own pool: the first test's subject
    r = ohms.client.post("/api/v1/access/check", headers=tech.headers, json=payload)
    assert r.status_code == 200, r.text
    with ohms.db() as s:
        after = s.execute(text("SELECT count(*) FROM access_log_entries")).scalar_one()
    assert after == before + 1
