"""Probes, error format, size limits, request ids, bootstrap admin, and log hygiene."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from api.composition import build_container
from api.db.session import SYSTEM, session_scope
from api.identity.models import UserRole
from api.main import create_app
from scripts.services import free_port
from tests.api.conftest import ADMIN_EMAIL, PASSWORD, Ohms, make_settings

PROBLEM = "application/problem+json"


def test_health_and_readiness(ohms: Ohms) -> None:
    assert ohms.client.get("/healthz").json() == {"status": "ok"}
    r = ohms.client.get("/readyz")
    assert r.status_code == 200 and r.json()["checks"] == {"database": "ok", "chain": "ok",
                                                     "blobs": "ok"}


def test_readiness_names_the_backend_that_is_down(tmp_path: Path) -> None:
    dead = f"postgresql+psycopg://nobody:x@127.0.0.1:{free_port()}/nothing"
    settings = make_settings(dead, tmp_path, bootstrap_admin_email=None)
    app = create_app(settings)
    with TestClient(app) as client:
        r = client.get("/readyz")
        assert r.status_code == 503
        assert r.json() == {"status": "unavailable",
                            "checks": {"database": "unavailable", "chain": "ok",
                                       "blobs": "ok"}}
        assert client.get("/healthz").status_code == 200


def test_errors_are_problem_json_without_internals(ohms: Ohms) -> None:
    for r in (ohms.client.get("/api/v1/nowhere"),
              ohms.client.delete("/api/v1/me", headers=ohms.admin.headers),
              ohms.client.get("/api/v1/organizations/not-a-uuid", headers=ohms.admin.headers)):
        assert r.headers["content-type"] == PROBLEM
        body = r.json()
        assert {"type", "title", "status"} <= set(body)
        assert "Traceback" not in r.text and "sqlalchemy" not in r.text.lower()


def test_oversize_bodies_are_refused_before_parsing(ohms: Ohms) -> None:
    limit = ohms.container.settings.max_request_bytes
    r = ohms.client.post("/api/v1/auth/register", content=b"{" + b" " * limit + b"}",
                         headers={"content-type": "application/json"})
    assert r.status_code == 413 and r.headers["content-type"] == PROBLEM

    def chunks():  # no Content-Length: streamed
        for _ in range(limit // 65536 + 2):
            yield b" " * 65536

    streamed = ohms.client.post("/api/v1/auth/register", content=chunks(),
                                headers={"content-type": "application/json"})
    assert streamed.status_code == 413


def test_request_id_is_echoed(ohms: Ohms) -> None:
    r = ohms.client.get("/healthz", headers={"X-Request-ID": "0123456789abcdef0123456789abcdef"})
    assert r.headers["x-request-id"] == "0123456789abcdef0123456789abcdef"
    assert len(ohms.client.get("/healthz").headers["x-request-id"]) == 32


def test_logs_hold_no_secrets(ohms: Ohms, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    p = ohms.register_patient(full_name="Zebediah Quinterro")
    ohms.login(p.email, "Wrong-But-Secret-Xyz-1")
    text = "\n".join(
        json.dumps(r.__dict__, default=str) for r in caplog.records
    )
    for secret in (PASSWORD, "Wrong-But-Secret-Xyz-1", p.token, p.refresh, "Zebediah"):
        assert secret not in text


def test_bootstrap_admin_created_once(fresh_ohms: Ohms) -> None:
    assert fresh_ohms.login(ADMIN_EMAIL, PASSWORD).status_code == 200
    with fresh_ohms.db() as s:
        admins = s.scalar(select(func.count()).select_from(UserRole)
                          .where(UserRole.role == "system_admin"))
    assert admins == 1
    # A restart with the same settings finds the admin and creates nobody.
    settings = fresh_ohms.container.settings
    fresh_ohms.container.close()
    container = build_container(settings)
    with TestClient(create_app(settings, container)) as client:
        assert client.post("/api/v1/auth/token", data={"username": ADMIN_EMAIL,
                                                        "password": PASSWORD}).status_code == 200
    with session_scope(container.sessions, SYSTEM) as s:
        assert s.scalar(select(func.count()).select_from(UserRole)
                        .where(UserRole.role == "system_admin")) == 1
    container.close()
