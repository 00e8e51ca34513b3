"""Fixtures for the chain tests: one test body, two backends, the embedded dev chain
(eth-tester on py-evm in a SQLite file) and a real JSON-RPC node (a Hardhat node this session
starts, or the one named by OHMS_TEST_CHAIN_RPC_URL and OHMS_TEST_CHAIN_PRIVATE_KEY)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount

from chain import Chain, DevChain, RpcChain, sign_typed_data
from scripts.services.hardhat import ChainNode

STRANGER_FUNDING_WEI = 10**18


@pytest.fixture(params=["embedded", "real"])
def bare_chain(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Chain]:
    """A chain adapter with no OHMS contracts attached yet."""
    adapter: Chain
    if request.param == "embedded":
        adapter = DevChain(tmp_path / "dev-chain.sqlite")
    else:
        node: ChainNode = request.getfixturevalue("chain_node")
        adapter = RpcChain(node.rpc_url, node.private_keys[0])
    try:
        yield adapter
    finally:
        adapter.close()


@pytest.fixture
def chain(bare_chain: Chain, tmp_path: Path) -> Chain:
    """A chain with freshly deployed OHMS contracts."""
    bare_chain.deploy_contracts(tmp_path / "address-book.json")
    return bare_chain


@pytest.fixture
def patient() -> LocalAccount:
    account: LocalAccount = Account.create()
    return account


@pytest.fixture
def lab() -> LocalAccount:
    account: LocalAccount = Account.create()
    return account


@pytest.fixture
def stranger(chain: Chain) -> Chain:
    """The same chain and contracts, signing with a funded account that holds no role."""
    account = Account.create()
    chain.execute({"to": account.address, "data": "0x", "gas": 21_000,
                   "value": STRANGER_FUNDING_WEI})
    return chain.with_operator(account.key)


@dataclass
class ConsentSigner:
    """Builds and signs consent typed data the way a patient's wallet would."""

    chain: Chain

    def grant(self, patient: LocalAccount, grantee: str, scope: str = "category:lab",
              purpose: str = "treatment", **overrides: Any) -> tuple[dict[str, Any], str]:
        expiry = overrides.pop("expiry", self.chain.latest_timestamp() + 86_400)
        typed = self.chain.grant_typed_data(patient=patient.address, grantee=grantee,
                                            scope=scope, purpose=purpose, expiry=expiry,
                                            **overrides)
        return typed, sign_typed_data(patient.key, typed)

    def revoke(self, patient: LocalAccount, grant_id: str,
               **overrides: Any) -> tuple[dict[str, Any], str]:
        typed = self.chain.revoke_typed_data(patient=patient.address, grant_id=grant_id,
                                             **overrides)
        return typed, sign_typed_data(patient.key, typed)


@pytest.fixture
def signer(chain: Chain) -> ConsentSigner:
    return ConsentSigner(chain)


@pytest.fixture
def granted(chain: Chain, signer: ConsentSigner, patient: LocalAccount,
            lab: LocalAccount) -> Callable[..., str]:
    """`granted(scope=..., purpose=...)` relays a grant from `patient` to `lab`; its id."""
    def grant(**kwargs: Any) -> str:
        typed, signature = signer.grant(patient, lab.address, **kwargs)
        return chain.relay_grant(typed, signature)
    return grant
