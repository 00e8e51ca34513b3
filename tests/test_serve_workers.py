"""`ohms serve --workers 2` on the embedded defaults (SQLite, the dev chain, local blobs): two
server processes, each running the background work too, share one data directory. They stay
up (no worker dies and is restarted), and a consent granted through one is relayed, mirrored
and honoured whichever process answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil
import pytest

from scripts.services import wait_until
from tests.test_cli import ohms_env, run_ohms, serving_process

PASSWORD = "Sturdy-Otter-Canal-7391"


def call(client: httpx.Client, method: str, url: str, headers: dict[str, str] | None = None,
         **kwargs: object) -> dict[str, object]:
    r = client.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
    assert r.status_code < 300, (method, url, r.status_code, r.text)
    body: dict[str, object] = r.json()
    return body


def sign_in(client: httpx.Client, email: str) -> dict[str, str]:
    token = call(client, "POST", "/api/v1/auth/token",
                 data={"username": email, "password": PASSWORD})["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_two_worker_processes_share_the_embedded_chain(tmp_path: Path) -> None:
    env = ohms_env(tmp_path) | {"OHMS_BOOTSTRAP_ADMIN_EMAIL": "root@example.org",
                                "OHMS_BOOTSTRAP_ADMIN_PASSWORD": PASSWORD}
    migrated = run_ohms(env, "migrate")
    assert migrated.returncode == 0, migrated.stderr
    with serving_process(env, "--workers", "2") as (client, proc):
        server = psutil.Process(proc.pid)

        def workers() -> set[int]:
            return {p.pid for p in server.children(recursive=True)
                    if (p.is_running() and "ohms" in " ".join(p.cmdline()))
                    or "multiprocessing" in " ".join(p.cmdline())}

        started = workers()
        assert len(started) >= 2, [p.cmdline() for p in server.children(recursive=True)]

        admin = sign_in(client, "root@example.org")
        lab = call(client, "POST", "/api/v1/organizations", admin,
                   json={"name": f"Lab {uuid.uuid4().hex[:6]}", "kind": "lab"})["id"]
        tech_email = f"tech-{uuid.uuid4().hex[:6]}@example.org"
        call(client, "POST", f"/api/v1/organizations/{lab}/members", admin,
             json={"email": tech_email, "full_name": "Tess Tech", "role": "lab_technician",
                   "password": PASSWORD})
        patient_email = f"pat-{uuid.uuid4().hex[:6]}@example.org"
        patient = call(client, "POST", "/api/v1/auth/register", json={
            "email": patient_email, "password": PASSWORD, "full_name": "Pia Patient",
            "date_of_birth": "1980-01-01"})
        me = sign_in(client, patient_email)
        call(client, "POST", "/api/v1/me/custodial-wallet", me)
        typed = call(client, "POST", "/api/v1/consents/typed-data", me, json={
            "grantee": lab, "scope": "category:lab", "purpose": "treatment",
            "expires_at": (datetime.now(UTC) + timedelta(days=1)).isoformat()})
        consent = call(client, "POST", "/api/v1/consents", me, json={"typed_data": typed})
        tech = sign_in(client, tech_email)

        # Each request on a new connection: the kernel spreads them over both processes.
        def answered_by_any_process() -> list[bool]:
            answers = []
            for _ in range(20):
                with httpx.Client(base_url=str(client.base_url), timeout=10.0) as fresh:
                    answers.append(bool(call(fresh, "POST", "/api/v1/access/check", tech, json={
                        "patient": patient["uhid"], "scope": "category:lab",
                        "purpose": "treatment"})["authorized"]))
            return answers

        def confirmed() -> bool:
            return call(client, "GET", f"/api/v1/consents/{consent['id']}", me)["status"] \
                == "active"


        wait_until(confirmed, timeout=60, what="the grant relayed and mirrored")
        wait_until(lambda: all(answered_by_any_process()), timeout=30,
                   what="every process to honour the grant")
        # The auditors' read-only view of the chain answers from either process too.
        block = call(client, "POST", "/api/v1/chain/rpc",
                     json={"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber",
                           "params": []})
        assert int(str(block["result"]), 16) > 0
        assert workers() == started, "a worker process died and was restarted"


@pytest.fixture(autouse=True)
def _no_external_chain(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OHMS_CHAIN_RPC_URL", raising=False)
