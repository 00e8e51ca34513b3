"""The Chain port: what OHMS asks of an EVM chain holding its ConsentRegistry and AuditAnchor,
and the values that cross it. Adapters: `DevChain` (in-process, persisted) and `RpcChain`
(any JSON-RPC node)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypedDict, runtime_checkable

from chain.consent import ConsentDomain, Purpose
from chain.errors import ChainReverted


class TransactionRequest(TypedDict, total=False):
    """An unsigned call to one of the contracts; the adapter adds chain id, fees and signs it.

    `to`, `data` and `gas` are always set by the `*_transaction` builders; fee fields may be
    given to override the adapter's choice (legacy `gasPrice` or EIP-1559 `maxFeePerGas` and
    `maxPriorityFeePerGas`).
    """

    to: str
    data: str
    gas: int
    value: int
    gasPrice: int
    maxFeePerGas: int
    maxPriorityFeePerGas: int


@dataclass(frozen=True)
class SignedTransaction:
    """A signed transaction: its hash is known before it is sent, and resending the same bytes
    can never apply it twice (its nonce is spent once)."""

    tx_hash: str
    raw: bytes
    nonce: int


@dataclass(frozen=True)
class Deployment:
    """Where the OHMS contracts live on one chain."""

    chain_id: int
    consent_registry: str
    audit_anchor: str
    block_number: int
    source_hash: str

    @property
    def consent_domain(self) -> ConsentDomain:
        return ConsentDomain(chain_id=self.chain_id, verifying_contract=self.consent_registry)


@dataclass(frozen=True)
class ChainEvent:
    """A decoded event of an OHMS contract. `args` hold addresses in checksum form, 32-byte
    values as 0x hex and numbers as int."""

    contract: str
    name: str
    args: Mapping[str, Any]
    block_number: int
    block_hash: str
    tx_hash: str
    log_index: int


@dataclass(frozen=True)
class Receipt:
    """A mined transaction. `succeeded` is False for a revert (status 0)."""

    tx_hash: str
    block_number: int
    block_hash: str
    succeeded: bool
    gas_used: int
    contract_address: str | None = None
    events: tuple[ChainEvent, ...] = field(default=())


@dataclass(frozen=True)
class StoredGrant:
    """A grant as ConsentRegistry stores it (`scope_hash` is the keccak256 of the scope)."""

    grant_id: str
    patient: str
    grantee: str
    scope_hash: str
    purpose: Purpose
    data_from: int
    data_to: int
    expiry: int
    revoked: bool


@dataclass(frozen=True)
class AnchoredBatch:
    """One anchored batch of access-log entries."""

    batch: int
    root: str
    size: int
    anchored_at: int


@runtime_checkable
class Chain(Protocol):
    """An EVM chain with the OHMS contracts, seen from the service.

    Transactions are signed with the adapter's operator key. Each `*_transaction` method only
    builds a request (for the outbox, which sends it with `send_transaction` and a nonce it
    manages, then polls `receipt`); `execute` and the verbs built on it (`relay_grant`, ...)
    pre-flight the call, send it with the next pending nonce and wait for the receipt.
    Reverts raise `ChainReverted`, a node that does not answer `ChainUnavailable`.
    """

    @property
    def operator_address(self) -> str: ...

    def with_operator(self, private_key: str | bytes) -> Chain:
        """The same chain and deployment, signing with another key."""
        ...

    def balance(self, account: str) -> int: ...

    def chain_id(self) -> int: ...

    def block_number(self) -> int: ...

    def latest_timestamp(self) -> int: ...

    def block_hash(self, number: int) -> str: ...

    # Deployment

    def deploy_contracts(self, address_book: Path) -> Deployment: ...

    def attach(self, deployment: Deployment) -> None: ...

    @property
    def deployment(self) -> Deployment: ...

    # Consent typed data and reads

    def patient_nonce(self, patient: str) -> int: ...

    def grant_typed_data(
        self,
        *,
        patient: str,
        grantee: str,
        scope: str,
        purpose: Purpose | str | int,
        expiry: int,
        data_from: int = 0,
        data_to: int = 0,
        deadline: int | None = None,
        nonce: int | None = None,
    ) -> dict[str, Any]: ...

    def revoke_typed_data(
        self,
        *,
        patient: str,
        grant_id: str,
        deadline: int | None = None,
        nonce: int | None = None,
    ) -> dict[str, Any]: ...

    def is_authorized(
        self, patient: str, grantee: str, scope: str, purpose: Purpose | str | int
    ) -> bool: ...

    def is_authorized_for_record(
        self,
        patient: str,
        grantee: str,
        record_scope: str,
        category_scope: str,
        purpose: Purpose | str | int,
    ) -> bool: ...

    def stored_grant(self, grant_id: str) -> StoredGrant | None: ...

    # Audit reads

    def batch_root(self, batch: int) -> str | None: ...

    def anchored_batch(self, batch: int) -> AnchoredBatch | None: ...

    def verify_inclusion(self, batch: int, leaf: bytes, proof: Sequence[bytes]) -> bool: ...

    def is_anchorer(self, account: str) -> bool: ...

    # Transactions to build (for the outbox)

    def grant_transaction(
        self, typed_data: Mapping[str, Any], signature: str
    ) -> TransactionRequest: ...

    def revoke_transaction(
        self, typed_data: Mapping[str, Any], signature: str
    ) -> TransactionRequest: ...

    def break_glass_transaction(
        self, *, patient: str, grantee: str, scope: str, reason: str
    ) -> TransactionRequest: ...

    def anchor_transaction(self, batch: int, root: bytes, size: int) -> TransactionRequest: ...

    def add_anchorer_transaction(self, account: str) -> TransactionRequest: ...

    def add_break_glass_recorder_transaction(self, account: str) -> TransactionRequest: ...

    # Sending

    def pending_nonce(self) -> int: ...

    def simulate(self, request: TransactionRequest) -> None: ...

    def sign_transaction(self, request: TransactionRequest, nonce: int) -> SignedTransaction: ...

    def send_raw_transaction(self, raw: bytes) -> str: ...

    def send_transaction(self, request: TransactionRequest, nonce: int) -> str: ...

    def receipt(self, tx_hash: str) -> Receipt | None: ...

    def wait_for_receipt(self, tx_hash: str, *, timeout: float = 30.0) -> Receipt: ...

    def explain_failure(self, tx_hash: str) -> ChainReverted: ...

    def execute(self, request: TransactionRequest, *, timeout: float = 30.0) -> Receipt: ...

    # Verbs built on execute

    def relay_grant(self, typed_data: Mapping[str, Any], signature: str) -> str: ...

    def relay_revoke(self, typed_data: Mapping[str, Any], signature: str) -> Receipt: ...

    def record_break_glass(
        self, *, patient: str, grantee: str, scope: str, reason: str
    ) -> Receipt: ...

    def anchor_batch(self, batch: int, root: bytes, size: int) -> Receipt: ...

    def add_anchorer(self, account: str) -> Receipt: ...

    def add_break_glass_recorder(self, account: str) -> Receipt: ...

    # Indexing

    def events(self, from_block: int, to_block: int) -> list[ChainEvent]: ...

    def close(self) -> None: ...

