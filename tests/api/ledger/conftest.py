"""An app per test module with its background workers off, so each test drives the outbox and
the indexer itself; helpers that queue harmless anchors and mine blocks on either backend."""

from __future__ import annotations

import os
import secrets
import signal
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from pydantic import SecretStr
from sqlalchemy import select

from api.chain_gateway import ChainGateway
from api.composition import build_chain
from api.ledger.models import OutboxTransaction
from api.ledger.outbox import OutboxWorker, enqueue
from chain import Chain, DevChain, RpcChain
from scripts.services.hardhat import RPC_URL_VARIABLE, hardhat_node
from tests.api.conftest import Ohms, start_ohms
from tests.conftest import DatabaseFactory

DEADLINE_SECONDS = 60.0


@pytest.fixture(scope="module")
def ledger(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ohms]:
    yield from start_ohms(databases, tmp_path_factory.mktemp(f"ledger-{databases.kind}"),
                          run_workers=False)


def chain_of(ohms: Ohms) -> Chain:
    return ohms.container.chain.ready()


def new_worker(ohms: Ohms, gateway: ChainGateway | None = None, **overrides: Any) -> OutboxWorker:
    options: dict[str, Any] = {"max_attempts": 5, "base_backoff": 0.01, "max_backoff": 0.05}
    options.update(overrides)
    return OutboxWorker(ohms.container.sessions, gateway or ohms.container.chain, **options)


def new_batch() -> int:
    """A batch number no other test uses (anchors are immutable, the chain is shared)."""
    return secrets.randbits(48)


def queue_anchor(ohms: Ohms, batch: int, root: bytes | None = None, *,
                 key: str | None = None, **request_overrides: Any) -> OutboxTransaction:
    """Queue the anchoring of `batch` in its own unit of work, as the audit batcher would."""
    request = dict(chain_of(ohms).anchor_transaction(batch, root or secrets.token_bytes(32), 1))
    request.update(request_overrides)
    with ohms.db() as session:
        return enqueue(session, kind="audit.anchor", request=request,  # type: ignore[arg-type]
                       idempotency_key=key or f"test-anchor:{batch}:{secrets.token_hex(4)}",
                       subject_id=str(batch))


def row(ohms: Ohms, row_id: Any) -> OutboxTransaction:
    with ohms.db() as session:
        found = session.get(OutboxTransaction, row_id)
        assert found is not None
        return found


def rows_with_key_prefix(ohms: Ohms, prefix: str) -> list[OutboxTransaction]:
    with ohms.db() as session:
        return list(session.execute(
            select(OutboxTransaction).where(OutboxTransaction.idempotency_key.startswith(prefix))
        ).scalars())


def run_until(run_once: Callable[[], object], done: Callable[[], bool],
              what: str, timeout: float = DEADLINE_SECONDS) -> None:
    """Call `run_once` until `done()` holds; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not done():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        run_once()


def anchored_events(chain: Chain, batch: int) -> list[Any]:
    events = chain.events(chain.deployment.block_number, chain.block_number())
    return [e for e in events if e.name == "BatchAnchored" and e.args["batch"] == batch]


def mine_blocks(chain: Chain, count: int) -> None:
    """Add `count` blocks: `evm_mine` on a node, a transfer by another account on the dev
    chain (which mines a block per transaction); never with the operator's nonces."""
    if isinstance(chain, RpcChain):
        for _ in range(count):
            answer = requests.post(chain.rpc_url, timeout=10, json={
                "jsonrpc": "2.0", "id": 1, "method": "evm_mine", "params": []})
            assert "result" in answer.json(), answer.text
        return
    assert isinstance(chain, DevChain)
    miner = chain.with_operator(chain.dev_private_keys[1])
    for _ in range(count):
        miner.execute({"to": miner.operator_address, "data": "0x", "gas": 21_000, "value": 0})


@dataclass
class Outage:
    """An app whose chain can be taken down and brought back with its state: a frozen Hardhat
    node (SIGSTOP / SIGCONT) or the dev chain closed and reopened from its file."""

    ohms: Ohms
    take_down: Callable[[], None]
    bring_back: Callable[[], ChainGateway]


@pytest.fixture
def outage(databases: DatabaseFactory, tmp_path: Path,
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Outage]:
    if databases.kind == "embedded":
        apps = start_ohms(databases, tmp_path, run_workers=False)
        ohms = next(apps)
        ohms.container.chain.ready()
        reopened: list[ChainGateway] = []

        def reopen() -> ChainGateway:
            reopened.append(build_chain(ohms.container.settings))
            return reopened[-1]

        try:
            yield Outage(ohms, ohms.container.chain.chain.close, reopen)
        finally:
            for gateway in reopened:
                gateway.close()
            next(apps, None)
        return
    # A node of our own: freezing the session's node would stall every other test's app.
    monkeypatch.delenv(RPC_URL_VARIABLE, raising=False)
    with hardhat_node() as node:
        assert node.pid is not None
        pid = node.pid
        apps = start_ohms(databases, tmp_path, run_workers=False, chain_rpc_url=node.rpc_url,
                          chain_private_key=SecretStr(node.private_keys[0]),
                          chain_timeout_seconds=2)
        ohms = next(apps)
        ohms.container.chain.ready()
        frozen: list[bool] = []

        def freeze() -> None:
            os.kill(pid, signal.SIGSTOP)
            frozen.append(True)

        def thaw() -> ChainGateway:
            os.kill(pid, signal.SIGCONT)
            frozen.clear()
            return ohms.container.chain

        try:
            yield Outage(ohms, freeze, thaw)
        finally:
            if frozen:
                os.kill(pid, signal.SIGCONT)
            next(apps, None)
