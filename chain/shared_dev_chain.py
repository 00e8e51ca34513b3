"""The embedded dev chain shared by several processes (`ohms serve --workers N` on the
embedded defaults).

A `DevChain` holds its SQLite file for as long as it is open, so only one process can use it.
`SharedDevChain` opens it for each call instead: it waits for the file's lock, reopens the
chain at its stored head (about 10 ms), makes the call, commits and lets go. Processes take
turns; every block one of them mines is on disk before the next opens it. Access decisions
do not touch the chain (they read the grants mirror), so what pays the reopening are the
outbox, the indexer, and the requests that prepare or submit a consent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from chain.artifacts import ContractSources
from chain.consent import Purpose
from chain.dev_chain import DevChain
from chain.errors import ChainError, ChainReverted
from chain.port import (
    AnchoredBatch,
    ChainEvent,
    Deployment,
    Receipt,
    SignedTransaction,
    StoredGrant,
    TransactionRequest,
)

T = TypeVar("T")


class SharedDevChain:
    """The Chain port over the dev chain file at `path`, opened for each call (waiting up to
    `lock_wait_seconds` for another process's call to end)."""

    def __init__(self, path: Path, *, operator_key: str | bytes | None = None,
                 sources: ContractSources | None = None,
                 clock: Callable[[], float] = time.time,
                 lock_wait_seconds: float = 30.0) -> None:
        self.path = Path(path)
        self._operator_key = operator_key
        self._sources = sources
        self._clock = clock
        self.lock_wait_seconds = lock_wait_seconds
        self._deployment: Deployment | None = None
        self._in_process = threading.Lock()  # this process's threads take turns too
        self._closed = False
        with self._opened() as chain:  # makes the file (genesis) and funds the operator
            self._operator_address = chain.operator_address
            self._dev_private_keys = chain.dev_private_keys

    @contextmanager
    def _opened(self) -> Iterator[DevChain]:
        if self._closed:
            raise ChainError("the shared dev chain is closed")
        with self._in_process:
            chain = DevChain(self.path, operator_key=self._operator_key, sources=self._sources,
                             clock=self._clock, lock_wait_seconds=self.lock_wait_seconds)
            try:
                if self._deployment is not None:
                    chain.attach(self._deployment)
                yield chain
            finally:
                chain.close()

    def _run(self, call: Callable[[DevChain], T]) -> T:
        with self._opened() as chain:
            return call(chain)

    # --- what DevChain adds to the port ---------------------------------------------------

    @property
    def dev_private_keys(self) -> list[str]:
        return list(self._dev_private_keys)

    def read_rpc(self, method: str, params: list[Any]) -> Any:
        return self._run(lambda c: c.read_rpc(method, params))

    # --- the Chain port ----------------------------------------------------------------------

    @property
    def operator_address(self) -> str:
        return self._operator_address

    def with_operator(self, private_key: str | bytes) -> SharedDevChain:
        other = SharedDevChain(self.path, operator_key=private_key, sources=self._sources,
                               clock=self._clock, lock_wait_seconds=self.lock_wait_seconds)
        other._deployment = self._deployment
        return other

    def balance(self, account: str) -> int:
        return self._run(lambda c: c.balance(account))

    def chain_id(self) -> int:
        return self._run(lambda c: c.chain_id())

    def block_number(self) -> int:
        return self._run(lambda c: c.block_number())

    def latest_timestamp(self) -> int:
        return self._run(lambda c: c.latest_timestamp())

    def block_hash(self, number: int) -> str:
        return self._run(lambda c: c.block_hash(number))

    def deploy_contracts(self, address_book: Path) -> Deployment:
        self._deployment = self._run(lambda c: c.deploy_contracts(address_book))
        return self._deployment

    def attach(self, deployment: Deployment) -> None:
        self._run(lambda c: c.attach(deployment))
        self._deployment = deployment

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            raise ChainError("no OHMS contracts attached; deploy or attach them first")
        return self._deployment

    def patient_nonce(self, patient: str) -> int:
        return self._run(lambda c: c.patient_nonce(patient))

    def grant_typed_data(self, *, patient: str, grantee: str, scope: str,
                         purpose: Purpose | str | int, expiry: int, data_from: int = 0,
                         data_to: int = 0, deadline: int | None = None,
                         nonce: int | None = None) -> dict[str, Any]:
        return self._run(lambda c: c.grant_typed_data(
            patient=patient, grantee=grantee, scope=scope, purpose=purpose, expiry=expiry,
            data_from=data_from, data_to=data_to, deadline=deadline, nonce=nonce))

    def revoke_typed_data(self, *, patient: str, grant_id: str, deadline: int | None = None,
                          nonce: int | None = None) -> dict[str, Any]:
        return self._run(lambda c: c.revoke_typed_data(
            patient=patient, grant_id=grant_id, deadline=deadline, nonce=nonce))

    def is_authorized(self, patient: str, grantee: str, scope: str,
                      purpose: Purpose | str | int) -> bool:
        return self._run(lambda c: c.is_authorized(patient, grantee, scope, purpose))

    def is_authorized_for_record(self, patient: str, grantee: str, record_scope: str,
                                 category_scope: str, purpose: Purpose | str | int) -> bool:
        return self._run(lambda c: c.is_authorized_for_record(
            patient, grantee, record_scope, category_scope, purpose))

    def stored_grant(self, grant_id: str) -> StoredGrant | None:
        return self._run(lambda c: c.stored_grant(grant_id))

    def batch_root(self, batch: int) -> str | None:
        return self._run(lambda c: c.batch_root(batch))

    def anchored_batch(self, batch: int) -> AnchoredBatch | None:
        return self._run(lambda c: c.anchored_batch(batch))

    def verify_inclusion(self, batch: int, leaf: bytes, proof: Sequence[bytes]) -> bool:
        return self._run(lambda c: c.verify_inclusion(batch, leaf, proof))

    def is_anchorer(self, account: str) -> bool:
        return self._run(lambda c: c.is_anchorer(account))

    def grant_transaction(self, typed_data: Mapping[str, Any],
                          signature: str) -> TransactionRequest:
        return self._run(lambda c: c.grant_transaction(typed_data, signature))

    def revoke_transaction(self, typed_data: Mapping[str, Any],
                           signature: str) -> TransactionRequest:
        return self._run(lambda c: c.revoke_transaction(typed_data, signature))

    def break_glass_transaction(self, *, patient: str, grantee: str, scope: str,
                                reason: str) -> TransactionRequest:
        return self._run(lambda c: c.break_glass_transaction(
            patient=patient, grantee=grantee, scope=scope, reason=reason))

    def anchor_transaction(self, batch: int, root: bytes, size: int) -> TransactionRequest:
        return self._run(lambda c: c.anchor_transaction(batch, root, size))

    def add_anchorer_transaction(self, account: str) -> TransactionRequest:
        return self._run(lambda c: c.add_anchorer_transaction(account))

    def add_break_glass_recorder_transaction(self, account: str) -> TransactionRequest:
        return self._run(lambda c: c.add_break_glass_recorder_transaction(account))

    def pending_nonce(self) -> int:
        return self._run(lambda c: c.pending_nonce())

    def simulate(self, request: TransactionRequest) -> None:
        self._run(lambda c: c.simulate(request))

    def sign_transaction(self, request: TransactionRequest, nonce: int) -> SignedTransaction:
        return self._run(lambda c: c.sign_transaction(request, nonce))

    def send_raw_transaction(self, raw: bytes) -> str:
        return self._run(lambda c: c.send_raw_transaction(raw))

    def send_transaction(self, request: TransactionRequest, nonce: int) -> str:
        return self._run(lambda c: c.send_transaction(request, nonce))

    def receipt(self, tx_hash: str) -> Receipt | None:
        return self._run(lambda c: c.receipt(tx_hash))

    def wait_for_receipt(self, tx_hash: str, *, timeout: float = 30.0) -> Receipt:
        return self._run(lambda c: c.wait_for_receipt(tx_hash, timeout=timeout))

    def explain_failure(self, tx_hash: str) -> ChainReverted:
        return self._run(lambda c: c.explain_failure(tx_hash))

    def execute(self, request: TransactionRequest, *, timeout: float = 30.0) -> Receipt:
        return self._run(lambda c: c.execute(request, timeout=timeout))

    def relay_grant(self, typed_data: Mapping[str, Any], signature: str) -> str:
        return self._run(lambda c: c.relay_grant(typed_data, signature))

    def relay_revoke(self, typed_data: Mapping[str, Any], signature: str) -> Receipt:
        return self._run(lambda c: c.relay_revoke(typed_data, signature))

    def record_break_glass(self, *, patient: str, grantee: str, scope: str,
                           reason: str) -> Receipt:
        return self._run(lambda c: c.record_break_glass(
            patient=patient, grantee=grantee, scope=scope, reason=reason))

    def anchor_batch(self, batch: int, root: bytes, size: int) -> Receipt:
        return self._run(lambda c: c.anchor_batch(batch, root, size))

    def add_anchorer(self, account: str) -> Receipt:
        return self._run(lambda c: c.add_anchorer(account))

    def add_break_glass_recorder(self, account: str) -> Receipt:
        return self._run(lambda c: c.add_break_glass_recorder(account))

    def events(self, from_block: int, to_block: int) -> list[ChainEvent]:
        return self._run(lambda c: c.events(from_block, to_block))

    def close(self) -> None:
        self._closed = True

