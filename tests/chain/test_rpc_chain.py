"""A JSON-RPC node that is down or frozen raises ChainUnavailable (never a raw requests or
web3 exception), quickly, from every kind of operation."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from chain import ChainUnavailable, Deployment, RpcChain
from scripts.services import free_port
from scripts.services.hardhat import (
    PRIVATE_KEY_VARIABLE,
    RPC_URL_VARIABLE,
    hardhat_node,
)

OPERATOR_KEY = "0x" + "42" * 32


@pytest.fixture
def silent_node() -> Iterator[str]:
    """A port that accepts connections and never answers: a frozen node."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"


def _every_kind_of_call(chain: RpcChain) -> None:
    with pytest.raises(ChainUnavailable):
        chain.chain_id()
    with pytest.raises(ChainUnavailable):
        chain.block_number()
    with pytest.raises(ChainUnavailable):
        chain.pending_nonce()
    with pytest.raises(ChainUnavailable):
        chain.receipt("0x" + "ab" * 32)
    with pytest.raises(ChainUnavailable):
        chain.send_raw_transaction(b"\x02" + b"\x00" * 10)


def test_unreachable_node_is_unavailable(tmp_path: Path) -> None:
    chain = RpcChain(f"http://127.0.0.1:{free_port()}", OPERATOR_KEY, timeout=2.0)
    _every_kind_of_call(chain)
    with pytest.raises(ChainUnavailable, match="unavailable"):
        chain.deploy_contracts(tmp_path / "book.json")


def test_frozen_node_is_unavailable_after_the_timeout(silent_node: str) -> None:
    chain = RpcChain(silent_node, OPERATOR_KEY, timeout=0.5)
    started = time.monotonic()
    with pytest.raises(ChainUnavailable):
        chain.block_number()
    assert time.monotonic() - started < 5


def test_contract_reads_on_a_node_gone_away_are_unavailable() -> None:
    port = free_port()
    chain = RpcChain(f"http://127.0.0.1:{port}", OPERATOR_KEY, timeout=2.0)
    # Attaching needs the chain id, which a node that is gone cannot give either.
    deployment = Deployment(chain_id=31337, consent_registry=Account.create().address,
                            audit_anchor=Account.create().address, block_number=1,
                            source_hash="x")
    with pytest.raises(ChainUnavailable):
        chain.attach(deployment)


def test_an_external_node_named_in_the_environment_is_used_as_is(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(RPC_URL_VARIABLE, "http://127.0.0.1:8545")
    monkeypatch.setenv(PRIVATE_KEY_VARIABLE, OPERATOR_KEY)
    with hardhat_node() as node:
        assert node.rpc_url == "http://127.0.0.1:8545"
        assert node.private_keys == (OPERATOR_KEY,)
        assert node.pid is None

    monkeypatch.delenv(PRIVATE_KEY_VARIABLE)
    with pytest.raises(RuntimeError, match=PRIVATE_KEY_VARIABLE), hardhat_node():
        pass

