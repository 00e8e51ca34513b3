"""The chain node freezes while patients submit grants: the API answers 202 (queued) or 503,
never 500, and once the node is back every grant lands on chain exactly once."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from pydantic import SecretStr

from api.ledger.models import OutboxTransaction
from scripts.services import wait_until
from scripts.services.hardhat import hardhat_node
from tests.api.conftest import Ohms, start_ohms
from tests.api.consent.conftest import patient_with_wallet, run_workers, sign, typed_data
from tests.conftest import DatabaseFactory


# Freezing needs a node process of our own to SIGSTOP; the embedded chain runs in-process.
@pytest.mark.parametrize("databases", ["real"], indirect=True)
def test_grants_submitted_while_the_node_is_frozen_land_exactly_once(
    databases: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OHMS_TEST_CHAIN_RPC_URL", raising=False)  # a node we may freeze
    with hardhat_node() as node:
        assert node.pid is not None
        for ohms in start_ohms(databases, tmp_path, chain_rpc_url=node.rpc_url,
                               chain_private_key=SecretStr(node.private_keys[0]),
                               chain_timeout_seconds=2):
            frozen_grants_land_once(ohms, node.pid)


def frozen_grants_land_once(ohms: Ohms, pid: int) -> None:
    lab = ohms.create_org("lab")
    patients = [patient_with_wallet(ohms) for _ in range(3)]
    signed = []
    for p in patients:
        data = typed_data(ohms, p, lab)
        signed.append((p, data, sign(p.wallet, data)))
    os.kill(pid, signal.SIGSTOP)
    try:
        statuses = []
        for p, data, signature in signed:
            r = ohms.client.post("/api/v1/consents", headers=p.user.headers,
                                 json={"typed_data": data, "signature": signature})
            statuses.append(r.status_code)
            assert r.status_code in (202, 503), r.text
            assert r.headers["content-type"].startswith("application/")
        frozen_typed = ohms.client.post(
            "/api/v1/consents/typed-data", headers=patients[0].user.headers,
            json={"grantee": lab, "scope": "category:imaging", "purpose": "treatment",
                  "expires_at": "2099-01-01T00:00:00Z"})
        assert frozen_typed.status_code == 503
        assert ohms.client.get("/readyz").status_code == 503
        run_workers(ohms, rounds=1)  # the outbox tries, fails, keeps everything
    finally:
        os.kill(pid, signal.SIGCONT)
    # Whatever was refused with 503 is simply submitted again by the client.
    for (p, data, signature), status in zip(signed, statuses, strict=True):
        if status == 503:
            r = ohms.client.post("/api/v1/consents", headers=p.user.headers,
                                 json={"typed_data": data, "signature": signature})
            assert r.status_code == 201, r.text

    def all_active() -> bool:
        run_workers(ohms, rounds=1)
        listed = [ohms.client.get("/api/v1/consents", headers=p.user.headers).json()
                  for p in patients]
        return all(len(c) == 1 and c[0]["status"] == "active" for c in listed)

    wait_until(all_active, timeout=60, what="every queued grant confirmed")
    chain = ohms.container.chain.ready()
    for p, _data, _ in signed:
        assert chain.patient_nonce(p.wallet.address) == 1  # applied exactly once
    with ohms.db() as s:
        rows = s.query(OutboxTransaction).filter_by(kind="consent.grant").all()
        assert len(rows) == 3 and {r.status for r in rows} == {"confirmed"}
    # And a replay after all that is still refused.
    p, data, signature = signed[0]
    again = ohms.client.post("/api/v1/consents", headers=p.user.headers,
                             json={"typed_data": data, "signature": signature})
    assert again.status_code == 409
