"""Access decisions read the grants mirror only, trusting it while the indexer found it at the
chain's head within `mirror_max_lag_seconds`: a revocation made directly on chain (not through
the service) is honoured within that bound, and while the mirror cannot be brought up to the
chain, decisions fail closed with 503. (A revocation through the service applies at once:
tests/api/consent/test_consent.py.)"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr

from chain import DevChain
from scripts.services import wait_until
from scripts.services.hardhat import hardhat_node
from tests.api.conftest import Ohms, User, funded_operator_key, start_ohms
from tests.api.consent.conftest import (
    WalletPatient,
    check,
    grant,
    patient_with_wallet,
    run_workers,
    sign,
)
from tests.conftest import DatabaseFactory

MAX_LAG = 1.5  # seconds


@pytest.fixture
def lagging_ohms(databases: DatabaseFactory, tmp_path: Path) -> Iterator[Ohms]:
    """No background workers (the tests run them), and a short bound."""
    yield from start_ohms(databases, tmp_path, run_workers=False,
                          mirror_max_lag_seconds=MAX_LAG)


def granted_lab(ohms: Ohms) -> tuple[WalletPatient, dict[str, str], User]:
    lab = ohms.create_org("lab")
    tech = ohms.add_member(lab, "lab_technician")
    patient = patient_with_wallet(ohms)
    consent = grant(ohms, patient, lab)
    run_workers(ohms)
    assert check(ohms, tech, patient.user)["authorized"] is True
    return patient, consent, tech


def test_a_revocation_made_on_chain_is_honoured_within_the_bound(
    lagging_ohms: Ohms, databases: DatabaseFactory,
) -> None:
    ohms = lagging_ohms
    patient, consent, tech = granted_lab(ohms)
    typed = ohms.client.post(f"/api/v1/consents/{consent['id']}/revocation/typed-data",
                             headers=patient.user.headers).json()
    chain = ohms.container.chain.ready()
    # Someone relays the patient's signed revocation straight to the contract.
    relayer_key = (chain.dev_private_keys[1] if isinstance(chain, DevChain)
                   else funded_operator_key(databases.chain_node))  # type: ignore[arg-type]
    relayer = chain.with_operator(relayer_key)
    relayer.execute(relayer.revoke_transaction(typed, sign(patient.wallet, typed)))
    revoked = time.monotonic()
    assert chain.stored_grant(consent["grant_id"]).revoked  # type: ignore[union-attr]

    def refused() -> bool:
        return check(ohms, tech, patient.user)["authorized"] is False

    wait_until(refused, timeout=MAX_LAG + 10, what="the on-chain revocation to be honoured")
    # No worker ran: the decision itself caught the mirror up once it was too old to trust.
    assert time.monotonic() - revoked <= MAX_LAG + 3.0


def test_decisions_fail_closed_while_the_mirror_cannot_follow_the_chain(
    databases: DatabaseFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    if databases.kind == "embedded":
        for ohms in start_ohms(databases, tmp_path, run_workers=False,
                               mirror_max_lag_seconds=MAX_LAG):
            patient, _, tech = granted_lab(ohms)
            ohms.container.chain.chain.close()  # the embedded chain can no longer be read
            stale_then_503(ohms, patient, tech)
        return
    monkeypatch.delenv("OHMS_TEST_CHAIN_RPC_URL", raising=False)  # a node we may freeze
    with hardhat_node() as node:
        assert node.pid is not None
        for ohms in start_ohms(databases, tmp_path, chain_rpc_url=node.rpc_url,
                               chain_private_key=SecretStr(node.private_keys[0]),
                               chain_timeout_seconds=1, run_workers=False,
                               mirror_max_lag_seconds=MAX_LAG):
            patient, _, tech = granted_lab(ohms)
            os.kill(node.pid, signal.SIGSTOP)
            try:
                stale_then_503(ohms, patient, tech)
            finally:
                os.kill(node.pid, signal.SIGCONT)
            run_workers(ohms)
            assert check(ohms, tech, patient.user)["authorized"] is True


def stale_then_503(ohms: Ohms, patient: WalletPatient, tech: User) -> None:
    """Decided on the mirror within the bound; after it, 503 and nothing else."""
    answers: list[tuple[int, str]] = []

    def unavailable() -> bool:
        r = ohms.client.post("/api/v1/access/check", headers=tech.headers,
                             json={"patient": patient.user.uhid, "scope": "category:lab",
                                   "purpose": "treatment"})
        answers.append((r.status_code, r.headers["content-type"]))
        return r.status_code == 503

    wait_until(unavailable, timeout=MAX_LAG + 15, what="decisions to fail closed")
    assert answers[-1] == (503, "application/problem+json")
    assert {status for status, _ in answers} <= {200, 503}, answers
