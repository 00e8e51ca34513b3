"""The body shared by both Chain adapters: everything OHMS does with its contracts over a
web3.py connection, whichever provider (eth-tester in process, or HTTP JSON-RPC) is below it.

Adapters differ only in how the connection is made and which provider exceptions mean "the
node is down"; they give those to `Web3Chain` through `_unavailable_errors`.
"""

from __future__ import annotations

import copy
import re
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Self, cast

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.exceptions import DecodingError
from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_tester.exceptions import BlockNotFound as TesterBlockNotFound
from eth_tester.exceptions import TransactionFailed
from eth_tester.exceptions import ValidationError as TesterValidationError
from eth_utils.abi import event_abi_to_log_topic, function_signature_to_4byte_selector
from eth_utils.address import to_checksum_address as _checksum
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError as EthValidationError
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    BlockNotFound,
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3RPCError,
    Web3ValidationError,
    Web3ValueError,
)
from web3.types import TxParams

from chain.address_book import AddressBook
from chain.artifacts import ContractArtifact, ContractSources, load_artifacts, source_hash
from chain.consent import (
    GrantTerms,
    Purpose,
    RevocationTerms,
    checksum,
    grant_typed_data,
    parse_grant,
    parse_purpose,
    parse_revocation,
    revoke_typed_data,
    scope_hash,
    signature_bytes,
)
from chain.errors import (
    ChainError,
    ChainNotFound,
    ChainReverted,
    ChainUnavailable,
    ContractsNotDeployed,
    InvalidChainRequest,
    NonceTooLow,
    TransactionRejected,
)
from chain.port import (
    AnchoredBatch,
    ChainEvent,
    Deployment,
    Receipt,
    SignedTransaction,
    StoredGrant,
    TransactionRequest,
)

# Explicit gas limits: estimating would execute every call twice (slow on eth-tester), and the
# outbox needs a fixed request to resend. Each is about twice what the contract tests measure.
GRANT_GAS = 400_000
REVOKE_GAS = 150_000
BREAK_GLASS_GAS = 100_000
ANCHOR_GAS = 200_000
ROLE_GAS = 120_000
DEPLOY_GAS = 3_500_000
DEFAULT_SIGNATURE_LIFETIME = 3600

ANCHORER_ROLE = keccak(text="ANCHORER_ROLE")
BREAK_GLASS_RECORDER_ROLE = keccak(text="BREAK_GLASS_RECORDER_ROLE")
_ERROR_STRING_SELECTOR = function_signature_to_4byte_selector("Error(string)")
_PANIC_SELECTOR = function_signature_to_4byte_selector("Panic(uint256)")
_TESTER_REVERT_DATA = re.compile(r"revert-data:(0x[0-9a-fA-F]*)")
_NONCE_EXPECTED = re.compile(r"[Ee]xpected (?:nonce to be )?(\d+),? but got (\d+)")


class Web3Chain:
    """Chain operations over a Web3 connection, signing with one operator key."""

    def __init__(
        self,
        w3: Web3,
        operator_key: str | bytes,
        *,
        sources: ContractSources | None = None,
        priority_fee_wei: int = 10**9,
        receipt_poll_interval: float = 0.05,
    ) -> None:
        self._w3 = w3
        self._operator: LocalAccount = Account.from_key(operator_key)
        self._w3.eth.default_account = self._operator.address
        self._sources = sources
        self._priority_fee_wei = priority_fee_wei
        self._receipt_poll_interval = receipt_poll_interval
        self._artifacts: dict[str, ContractArtifact] | None = None
        self._deployment: Deployment | None = None
        self._chain_id: int | None = None
        self._send_lock = threading.Lock()

    # Adapter hooks

    def _unavailable_errors(self) -> tuple[type[BaseException], ...]:
        """Provider exceptions that mean the node cannot be reached."""
        return (ConnectionError, TimeoutError)

    def _describe(self) -> str:
        return "the chain node"

    # Identity

    @property
    def operator_address(self) -> str:
        return str(self._operator.address)

    def with_operator(self, private_key: str | bytes) -> Self:
        """The same chain and deployment, signing with another key (sharing the connection:
        closing either closes both)."""
        other = copy.copy(self)
        other._operator = Account.from_key(private_key)
        other._send_lock = threading.Lock()
        return other

    def close(self) -> None:
        """Release what the adapter holds open."""

    def chain_id(self) -> int:
        if self._chain_id is None:
            with self._translate():
                self._chain_id = int(self._w3.eth.chain_id)
        return self._chain_id

    def block_number(self) -> int:
        with self._translate():
            return int(self._w3.eth.block_number)

    def latest_timestamp(self) -> int:
        with self._translate():
            return int(self._w3.eth.get_block("latest")["timestamp"])

    def block_hash(self, number: int) -> str:
        """Hash of block `number` (an indexer compares it to detect reorganisations)."""
        with self._translate():
            return "0x" + bytes(self._w3.eth.get_block(_uint(number, "number"))["hash"]).hex()

    def balance(self, account: str) -> int:
        with self._translate():
            return int(self._w3.eth.get_balance(_checksum(checksum(account, "account"))))

    # Deployment

    @property
    def artifacts(self) -> dict[str, ContractArtifact]:
        if self._artifacts is None:
            self._artifacts = load_artifacts(self._sources)
        return self._artifacts

    def deploy_contracts(self, address_book: Path) -> Deployment:
        """Use the contracts the address book lists for this chain, deploying them first when
        the book has none or they have no code here (a fresh node)."""
        book = AddressBook(address_book)
        chain_id = self.chain_id()
        with book.locked():
            known = book.get(chain_id)
            if known is not None and self._has_code(known.consent_registry) and self._has_code(
                known.audit_anchor
            ):
                self.attach(known)
                return known
            registry = self._deploy("ConsentRegistry")
            anchor = self._deploy("AuditAnchor")
            deployment = Deployment(
                chain_id=chain_id,
                consent_registry=str(registry.contract_address),
                audit_anchor=str(anchor.contract_address),
                block_number=registry.block_number,
                source_hash=source_hash(self._sources),
            )
            book.put(deployment)
        self.attach(deployment)
        return deployment

    def attach(self, deployment: Deployment) -> None:
        """Work with contracts deployed earlier (no transaction sent)."""
        if deployment.chain_id != self.chain_id():
            raise InvalidChainRequest(
                f"deployment is for chain {deployment.chain_id}, not {self.chain_id()}"
            )
        self._deployment = deployment

    @property
    def deployment(self) -> Deployment:
        if self._deployment is None:
            raise ContractsNotDeployed("the OHMS contracts are not deployed on this chain yet")
        return self._deployment

    def _has_code(self, address: str) -> bool:
        with self._translate():
            return len(self._w3.eth.get_code(_checksum(address))) > 0

    def _deploy(self, name: str) -> Receipt:
        artifact = self.artifacts[name]
        constructor_args = abi_encode(["address"], [self.operator_address]).hex()
        request: TransactionRequest = {
            "data": artifact.bytecode + constructor_args,
            "gas": DEPLOY_GAS,
        }
        receipt = self.execute(request)
        if receipt.contract_address is None:
            raise ChainReverted("unknown", detail=f"deploying {name} created no contract")
        return receipt

    # Contracts

    def _contract(self, name: str) -> Contract:
        deployment = self.deployment
        address = (
            deployment.consent_registry if name == "ConsentRegistry" else deployment.audit_anchor
        )
        return self._w3.eth.contract(address=_checksum(address), abi=list(self.artifacts[name].abi))

    def _call(self, name: str, function: str, *args: Any) -> Any:
        contract = self._contract(name)
        with self._translate():
            return contract.functions[function](*args).call()

    def _request(
        self, name: str, function: str, args: Sequence[Any], gas: int
    ) -> TransactionRequest:
        contract = self._contract(name)
        try:
            data = contract.encode_abi(function, args=list(args))
        except (Web3ValidationError, Web3ValueError, TypeError, ValueError) as error:
            raise InvalidChainRequest(f"cannot encode {function}: {error}") from error
        return {"to": contract.address, "data": str(data), "gas": gas}

    # Consent

    def patient_nonce(self, patient: str) -> int:
        return int(self._call("ConsentRegistry", "nonces", checksum(patient, "patient")))

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
    ) -> dict[str, Any]:
        """Typed data for the patient to sign. The nonce is read from the contract unless given
        (the service passes the next one when grants of this patient are still in flight)."""
        terms = GrantTerms(
            patient=patient,
            grantee=grantee,
            scope=scope,
            purpose=parse_purpose(purpose),
            expiry=expiry,
            data_from=data_from,
            data_to=data_to,
            nonce=self.patient_nonce(patient) if nonce is None else nonce,
            deadline=self._deadline(deadline),
        )
        return grant_typed_data(self.deployment.consent_domain, terms)

    def revoke_typed_data(
        self, *, patient: str, grant_id: str, deadline: int | None = None, nonce: int | None = None
    ) -> dict[str, Any]:
        terms = RevocationTerms(
            patient=patient,
            grant_id=grant_id,
            nonce=self.patient_nonce(patient) if nonce is None else nonce,
            deadline=self._deadline(deadline),
        )
        return revoke_typed_data(self.deployment.consent_domain, terms)

    def _deadline(self, deadline: int | None) -> int:
        if deadline is not None:
            return deadline
        return max(self.latest_timestamp(), int(time.time())) + DEFAULT_SIGNATURE_LIFETIME

    def is_authorized(
        self, patient: str, grantee: str, scope: str, purpose: Purpose | str | int
    ) -> bool:
        """The contract's view at the latest block (expiry is compared with that block's time)."""
        return bool(
            self._call(
                "ConsentRegistry",
                "isAuthorized",
                checksum(patient, "patient"),
                checksum(grantee, "grantee"),
                scope_hash(scope),
                int(parse_purpose(purpose)),
            )
        )

    def is_authorized_for_record(
        self,
        patient: str,
        grantee: str,
        record_scope: str,
        category_scope: str,
        purpose: Purpose | str | int,
    ) -> bool:
        return bool(
            self._call(
                "ConsentRegistry",
                "isAuthorizedForRecord",
                checksum(patient, "patient"),
                checksum(grantee, "grantee"),
                scope_hash(record_scope),
                scope_hash(category_scope),
                int(parse_purpose(purpose)),
            )
        )

    def stored_grant(self, grant_id: str) -> StoredGrant | None:
        raw_id = _bytes32(grant_id, "grant_id")
        patient, grantee, scope, purpose, data_from, data_to, expiry, revoked = self._call(
            "ConsentRegistry", "grantOf", raw_id
        )
        if int(patient, 16) == 0:
            return None
        return StoredGrant(
            grant_id="0x" + raw_id.hex(),
            patient=_checksum(patient),
            grantee=_checksum(grantee),
            scope_hash="0x" + bytes(scope).hex(),
            purpose=Purpose(purpose),
            data_from=int(data_from),
            data_to=int(data_to),
            expiry=int(expiry),
            revoked=bool(revoked),
        )

    def grant_transaction(
        self, typed_data: Mapping[str, Any], signature: str
    ) -> TransactionRequest:
        """The relay transaction for a signed grant; refuses typed data for another domain."""
        domain, terms = parse_grant(dict(typed_data))
        self._check_domain(domain.chain_id, domain.verifying_contract)
        request = (
            terms.patient,
            terms.grantee,
            terms.scope,
            int(terms.purpose),
            terms.data_from,
            terms.data_to,
            terms.expiry,
            terms.nonce,
            terms.deadline,
        )
        return self._request(
            "ConsentRegistry", "grant", [request, signature_bytes(signature)], GRANT_GAS
        )

    def revoke_transaction(
        self, typed_data: Mapping[str, Any], signature: str
    ) -> TransactionRequest:
        domain, terms = parse_revocation(dict(typed_data))
        self._check_domain(domain.chain_id, domain.verifying_contract)
        request = (
            terms.patient,
            _bytes32(terms.grant_id, "grant_id"),
            terms.nonce,
            terms.deadline,
        )
        return self._request(
            "ConsentRegistry", "revoke", [request, signature_bytes(signature)], REVOKE_GAS
        )

    def break_glass_transaction(
        self, *, patient: str, grantee: str, scope: str, reason: str
    ) -> TransactionRequest:
        """Flag an emergency read; only the keccak256 of the stated reason goes on chain."""
        if not reason.strip():
            raise InvalidChainRequest("break-glass access needs a stated reason")
        return self._request(
            "ConsentRegistry",
            "recordBreakGlass",
            [
                checksum(patient, "patient"),
                checksum(grantee, "grantee"),
                scope_hash(scope),
                keccak(text=reason),
            ],
            BREAK_GLASS_GAS,
        )

    def add_break_glass_recorder_transaction(self, account: str) -> TransactionRequest:
        return self._request(
            "ConsentRegistry",
            "grantRole",
            [BREAK_GLASS_RECORDER_ROLE, checksum(account, "account")],
            ROLE_GAS,
        )

    def _check_domain(self, chain_id: int, verifying_contract: str) -> None:
        expected = self.deployment.consent_domain
        if chain_id != expected.chain_id or _checksum(verifying_contract) != _checksum(
            expected.verifying_contract
        ):
            raise InvalidChainRequest(
                "typed data is for another chain or contract than this ConsentRegistry"
            )

    # Audit

    def batch_root(self, batch: int) -> str | None:
        root = bytes(self._call("AuditAnchor", "batchRoot", _uint(batch, "batch")))
        return None if root == bytes(32) else "0x" + root.hex()

    def anchored_batch(self, batch: int) -> AnchoredBatch | None:
        root, size, anchored_at = self._call("AuditAnchor", "batchOf", _uint(batch, "batch"))
        if bytes(root) == bytes(32):
            return None
        return AnchoredBatch(
            batch=batch, root="0x" + bytes(root).hex(), size=int(size), anchored_at=int(anchored_at)
        )

    def verify_inclusion(self, batch: int, leaf: bytes, proof: Sequence[bytes]) -> bool:
        """AuditAnchor's own check of an inclusion proof against the anchored root."""
        return bool(
            self._call(
                "AuditAnchor",
                "verify",
                _uint(batch, "batch"),
                _bytes32(leaf, "leaf"),
                [_bytes32(node, "proof node") for node in proof],
            )
        )

    def is_anchorer(self, account: str) -> bool:
        return bool(
            self._call("AuditAnchor", "hasRole", ANCHORER_ROLE, checksum(account, "account"))
        )

    def anchor_transaction(self, batch: int, root: bytes, size: int) -> TransactionRequest:
        return self._request(
            "AuditAnchor",
            "anchor",
            [_uint(batch, "batch"), _bytes32(root, "root"), _uint(size, "size", 2**64 - 1)],
            ANCHOR_GAS,
        )

    def add_anchorer_transaction(self, account: str) -> TransactionRequest:
        return self._request(
            "AuditAnchor", "grantRole", [ANCHORER_ROLE, checksum(account, "account")], ROLE_GAS
        )

    # Sending

    def pending_nonce(self) -> int:
        """The operator's next nonce, counting transactions the node holds but has not mined."""
        with self._translate():
            return int(self._w3.eth.get_transaction_count(self._operator.address, "pending"))

    def simulate(self, request: TransactionRequest) -> None:
        """Run the call without sending it; raise ChainReverted when it would revert."""
        params = cast(TxParams, {"from": self._operator.address, **request})
        with self._translate():
            self._w3.eth.call(params)

    def sign_transaction(self, request: TransactionRequest, nonce: int) -> SignedTransaction:
        """Sign `request` with an explicit nonce (fees from the request or the latest block)."""
        transaction: dict[str, Any] = {
            "chainId": self.chain_id(),
            "nonce": _uint(nonce, "nonce"),
            "gas": request["gas"],
            "data": request["data"],
            "value": request.get("value", 0),
        }
        if "to" in request:
            transaction["to"] = _checksum(request["to"])
        fee_fields = ("gasPrice", "maxFeePerGas", "maxPriorityFeePerGas")
        given_fees = {key: request[key] for key in fee_fields if key in request}  # type: ignore[literal-required]
        transaction.update(given_fees or self._fees())
        signed = self._operator.sign_transaction(transaction)
        return SignedTransaction(
            tx_hash="0x" + bytes(signed.hash).hex(), raw=bytes(signed.raw_transaction), nonce=nonce
        )

    def _fees(self) -> dict[str, int]:
        with self._translate():
            base_fee = self._w3.eth.get_block("latest").get("baseFeePerGas")
            if base_fee is None:
                return {"gasPrice": int(self._w3.eth.gas_price)}
        tip = self._priority_fee_wei
        return {"maxFeePerGas": 2 * int(base_fee) + tip, "maxPriorityFeePerGas": tip}

    def send_raw_transaction(self, raw: bytes) -> str:
        with self._translate():
            tx_hash = self._w3.eth.send_raw_transaction(raw)
        return "0x" + bytes(tx_hash).hex()

    def send_transaction(self, request: TransactionRequest, nonce: int) -> str:
        """Sign and send with an explicit nonce; returns the transaction hash."""
        return self.send_raw_transaction(self.sign_transaction(request, nonce).raw)

    def receipt(self, tx_hash: str) -> Receipt | None:
        """The receipt of a mined transaction, None while it is pending or unknown."""
        raw_hash = _bytes32(tx_hash, "tx_hash")
        with self._translate():
            try:
                receipt = self._w3.eth.get_transaction_receipt(HexBytes(raw_hash))
            except TransactionNotFound:
                return None
        if receipt is None or receipt.get("blockNumber") is None:
            return None
        contract_address = receipt.get("contractAddress")
        return Receipt(
            tx_hash="0x" + raw_hash.hex(),
            block_number=int(receipt["blockNumber"]),
            block_hash="0x" + bytes(receipt["blockHash"]).hex(),
            succeeded=int(receipt["status"]) == 1,
            gas_used=int(receipt["gasUsed"]),
            contract_address=_checksum(contract_address) if contract_address else None,
            events=tuple(self._decode_logs(receipt["logs"])),
        )

    def wait_for_receipt(self, tx_hash: str, *, timeout: float = 30.0) -> Receipt:
        deadline = time.monotonic() + timeout
        delay = self._receipt_poll_interval
        while True:
            receipt = self.receipt(tx_hash)
            if receipt is not None:
                return receipt
            if time.monotonic() >= deadline:
                raise ChainUnavailable(f"{tx_hash} was not mined within {timeout:.0f} s")
            time.sleep(delay)
            delay = min(delay * 1.5, 1.0)

    def explain_failure(self, tx_hash: str) -> ChainReverted:
        """Why a mined transaction failed: it is replayed as a call on the state before its block
        and the revert decoded (a status-0 receipt carries no reason)."""
        raw_hash = _bytes32(tx_hash, "tx_hash")
        with self._translate():
            transaction = self._w3.eth.get_transaction(HexBytes(raw_hash))
            receipt = self._w3.eth.get_transaction_receipt(HexBytes(raw_hash))
        if int(receipt["status"]) == 1:
            raise InvalidChainRequest(f"{tx_hash} did not fail")
        if int(receipt["gasUsed"]) >= int(transaction["gas"]):
            return ChainReverted("OutOfGas", tx_hash=tx_hash)
        params: dict[str, Any] = {
            "from": transaction["from"],
            "data": transaction["input"],
            "gas": transaction["gas"],
            "value": transaction["value"],
        }
        if transaction.get("to"):
            params["to"] = transaction["to"]
        try:
            with self._translate():
                self._w3.eth.call(cast(TxParams, params), int(receipt["blockNumber"]) - 1)
        except ChainReverted as reverted:
            return ChainReverted(reverted.error_name, reverted.error_args, tx_hash=tx_hash)
        return ChainReverted(
            "unknown", tx_hash=tx_hash, detail="failed on chain but not when replayed"
        )

    def execute(self, request: TransactionRequest, *, timeout: float = 30.0) -> Receipt:
        """Pre-flight, send with the next pending nonce, wait for the receipt; a revert raises
        ChainReverted and sends nothing when the pre-flight already shows it."""
        self.simulate(request)
        with self._send_lock:
            tx_hash = self.send_transaction(request, self.pending_nonce())
        receipt = self.wait_for_receipt(tx_hash, timeout=timeout)
        if not receipt.succeeded:
            raise self.explain_failure(tx_hash)
        return receipt

    # Verbs

    def relay_grant(self, typed_data: Mapping[str, Any], signature: str) -> str:
        """Relay a signed grant now; returns its grant id."""
        receipt = self.execute(self.grant_transaction(typed_data, signature))
        for event in receipt.events:
            if event.name == "ConsentGranted":
                return str(event.args["grantId"])
        raise ChainReverted("unknown", tx_hash=receipt.tx_hash, detail="no ConsentGranted event")

    def relay_revoke(self, typed_data: Mapping[str, Any], signature: str) -> Receipt:
        return self.execute(self.revoke_transaction(typed_data, signature))

    def record_break_glass(
        self, *, patient: str, grantee: str, scope: str, reason: str
    ) -> Receipt:
        return self.execute(
            self.break_glass_transaction(
                patient=patient, grantee=grantee, scope=scope, reason=reason
            )
        )

    def anchor_batch(self, batch: int, root: bytes, size: int) -> Receipt:
        return self.execute(self.anchor_transaction(batch, root, size))

    def add_anchorer(self, account: str) -> Receipt:
        return self.execute(self.add_anchorer_transaction(account))

    def add_break_glass_recorder(self, account: str) -> Receipt:
        return self.execute(self.add_break_glass_recorder_transaction(account))

    # Indexing

    def events(self, from_block: int, to_block: int) -> list[ChainEvent]:
        """Events of both contracts in blocks from_block..to_block (inclusive), in chain order."""
        deployment = self.deployment
        # Blocks not mined yet hold no events (eth-tester refuses a range past its head).
        to_block = min(to_block, self.block_number())
        if from_block > to_block:
            return []
        with self._translate():
            logs = self._w3.eth.get_logs(
                {
                    "fromBlock": _uint(from_block, "from_block"),
                    "toBlock": _uint(to_block, "to_block"),
                    "address": [
                        _checksum(deployment.consent_registry),
                        _checksum(deployment.audit_anchor),
                    ],
                }
            )
        return self._decode_logs(logs)

    def _decode_logs(self, logs: Sequence[Any]) -> list[ChainEvent]:
        if self._deployment is None:
            return []
        decoders = self._event_decoders()
        events: list[ChainEvent] = []
        for log in logs:
            topics = log["topics"]
            if not topics:
                continue
            key = (_checksum(log["address"]), bytes(topics[0]))
            decoder = decoders.get(key)
            if decoder is None:
                continue
            contract_name, event = decoder
            decoded = event.process_log(log)
            events.append(
                ChainEvent(
                    contract=contract_name,
                    name=str(decoded["event"]),
                    args={name: _plain(value) for name, value in decoded["args"].items()},
                    block_number=int(log["blockNumber"]),
                    block_hash="0x" + bytes(log["blockHash"]).hex(),
                    tx_hash="0x" + bytes(log["transactionHash"]).hex(),
                    log_index=int(log["logIndex"]),
                )
            )
        events.sort(key=lambda item: (item.block_number, item.log_index))
        return events

    def _event_decoders(self) -> dict[tuple[str, bytes], tuple[str, Any]]:
        decoders: dict[tuple[str, bytes], tuple[str, Any]] = {}
        for name in ("ConsentRegistry", "AuditAnchor"):
            contract = self._contract(name)
            for entry in self.artifacts[name].abi:
                if entry["type"] == "event":
                    topic = event_abi_to_log_topic(cast(Any, entry))
                    decoders[(contract.address, topic)] = (
                        name,
                        contract.events[entry["name"]](),
                    )
        return decoders

    # Errors

    def _error_abis(self) -> dict[bytes, tuple[str, list[Mapping[str, Any]]]]:
        errors: dict[bytes, tuple[str, list[Mapping[str, Any]]]] = {}
        for artifact in self.artifacts.values():
            for entry in artifact.abi:
                if entry["type"] == "error":
                    types = ",".join(item["type"] for item in entry["inputs"])
                    selector = function_signature_to_4byte_selector(f"{entry['name']}({types})")
                    errors[selector] = (entry["name"], list(entry["inputs"]))
        return errors

    def decode_revert(self, data: bytes) -> ChainReverted:
        """A ChainReverted naming the custom error (from the contracts' ABIs) in revert data."""
        selector, payload = data[:4], data[4:]
        try:
            if selector == _ERROR_STRING_SELECTOR:
                return ChainReverted("Error", {"message": abi_decode(["string"], payload)[0]})
            if selector == _PANIC_SELECTOR:
                return ChainReverted("Panic", {"code": abi_decode(["uint256"], payload)[0]})
            known = self._error_abis().get(selector)
            if known is not None:
                name, inputs = known
                values = abi_decode([item["type"] for item in inputs], payload)
                return ChainReverted(
                    name,
                    {
                        item["name"] or f"arg{index}": _plain(value)
                        for index, (item, value) in enumerate(zip(inputs, values, strict=True))
                    },
                )
        except DecodingError:
            pass
        return ChainReverted("unknown", detail="0x" + data.hex() if data else "no revert data")

    @contextmanager
    def _translate(self) -> Iterator[None]:
        """Turn provider and web3 exceptions into the library's domain errors."""
        try:
            yield
        except ChainError:
            raise
        except (BlockNotFound, TesterBlockNotFound, TransactionNotFound) as error:
            raise ChainNotFound(str(error)) from error
        except ContractLogicError as error:
            raise self._from_contract_logic_error(error) from error
        except TransactionFailed as error:
            raise self._from_tester_failure(error) from error
        except (TesterValidationError, EthValidationError) as error:
            raise _rejection(str(error)) from error
        except Web3RPCError as error:
            raise _rejection(_rpc_message(error)) from error
        except TimeExhausted as error:
            raise ChainUnavailable(f"{self._describe()} did not answer in time") from error
        except (Web3ValidationError, Web3ValueError) as error:
            raise InvalidChainRequest(str(error)) from error
        except self._unavailable_errors() as error:
            raise ChainUnavailable(f"{self._describe()} is unavailable: {error}") from error

    def _from_contract_logic_error(self, error: ContractLogicError) -> ChainError:
        data = error.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            try:
                return self.decode_revert(bytes.fromhex(data[2:]))
            except ValueError:
                pass
        message = str(error.message or error)
        return ChainReverted("Error", {"message": message.removeprefix("execution reverted: ")})

    def _from_tester_failure(self, error: TransactionFailed) -> ChainError:
        message = str(error.args[0]) if error.args else ""
        match = _TESTER_REVERT_DATA.search(message)
        if match:
            return self.decode_revert(bytes.fromhex(match.group(1)[2:]))
        return ChainReverted("Error", {"message": message.removeprefix("execution reverted: ")})


def _rpc_message(error: Web3RPCError) -> str:
    response = error.rpc_response
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        return str(response["error"].get("message", error))
    return str(error)


def _rejection(message: str) -> TransactionRejected:
    lowered = message.lower()
    expected = _NONCE_EXPECTED.search(message)
    if "nonce too low" in lowered or (
        expected is not None and int(expected.group(2)) < int(expected.group(1))
    ):
        return NonceTooLow(message)
    if "already known" in lowered or "known transaction" in lowered:
        return NonceTooLow(message)
    return TransactionRejected(message)


def _plain(value: Any) -> Any:
    """Event and error values as JSON-friendly Python: bytes to 0x hex, addresses checksummed."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, str) and len(value) == 42 and value.startswith("0x"):
        try:
            return _checksum(value)
        except ValueError:
            return value
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def _bytes32(value: object, field: str) -> bytes:
    if isinstance(value, bytes | bytearray) and len(value) == 32:
        return bytes(value)
    if isinstance(value, str) and value.startswith("0x") and len(value) == 66:
        try:
            return bytes.fromhex(value[2:])
        except ValueError:
            pass
    raise InvalidChainRequest(f"{field} must be 32 bytes (0x hex)")


def _uint(value: object, field: str, maximum: int = 2**256 - 1) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise InvalidChainRequest(f"{field} must be an integer between 0 and {maximum}")
    return value
