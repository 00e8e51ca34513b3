"""Helpers for consent and audit tests: patients with wallets, signed grants, worker rounds."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_account.signers.local import LocalAccount
from siwe import SiweMessage

from chain import sign_typed_data
from tests.api.conftest import Ohms, User, start_ohms
from tests.conftest import DatabaseFactory


@pytest.fixture(scope="session")
def ohms(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ohms]:
    """The consent tests drive the background work themselves, round by round."""
    yield from start_ohms(databases, tmp_path_factory.mktemp(f"consent-{databases.kind}"),
                          audit_batch_max_seconds=3600)


@dataclass
class WalletPatient:
    user: User
    wallet: LocalAccount


def run_workers(ohms: Ohms, rounds: int = 3) -> None:
    """Outbox, indexer, batcher and reconciliation, a few rounds (each sends, mines, indexes)."""
    for _ in range(rounds):
        ohms.client.app.state.workers.run_all_once()  # type: ignore[attr-defined]


def link_wallet(ohms: Ohms, user: User, wallet: LocalAccount) -> None:
    c = ohms.client.post("/api/v1/auth/siwe/nonce").json()
    message = SiweMessage(domain=c["domain"], address=wallet.address, uri=c["uri"], version="1",
                          chain_id=c["chain_id"], nonce=c["nonce"], issued_at=c["issued_at"],
                          expiration_time=c["expiration_time"]).prepare_message()
    signature = "0x" + wallet.sign_message(encode_defunct(text=message)).signature.hex() \
        .removeprefix("0x")
    r = ohms.client.post("/api/v1/me/wallet", headers=user.headers,
                         json={"message": message, "signature": signature})
    assert r.status_code == 200, r.text


def patient_with_wallet(ohms: Ohms) -> WalletPatient:
    user = ohms.register_patient()
    wallet: LocalAccount = Account.create()
    link_wallet(ohms, user, wallet)
    return WalletPatient(user, wallet)


def typed_data(ohms: Ohms, patient: WalletPatient, grantee: str, *, scope: str = "category:lab",
               purpose: str = "treatment", days: int = 30) -> dict[str, Any]:
    r = ohms.client.post("/api/v1/consents/typed-data", headers=patient.user.headers, json={
        "grantee": grantee, "scope": scope, "purpose": purpose,
        "expires_at": (datetime.now(UTC) + timedelta(days=days)).isoformat()})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def sign(wallet: LocalAccount, data: dict[str, Any]) -> str:
    return sign_typed_data(wallet.key, data)


def grant(ohms: Ohms, patient: WalletPatient, grantee: str, **kwargs: Any) -> dict[str, Any]:
    data = typed_data(ohms, patient, grantee, **kwargs)
    r = ohms.client.post("/api/v1/consents", headers=patient.user.headers,
                         json={"typed_data": data, "signature": sign(patient.wallet, data)})
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def check(ohms: Ohms, who: User, patient: User, scope: str = "category:lab",
          purpose: str = "treatment") -> dict[str, Any]:
    r = ohms.client.post("/api/v1/access/check", headers=who.headers,
                         json={"patient": patient.uhid, "scope": scope, "purpose": purpose})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


