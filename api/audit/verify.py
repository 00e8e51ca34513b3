"""`ohms audit verify ENTRY.json`: prove an access-log entry against the chain alone.

ENTRY.json is what `GET /api/v1/audit/entries/{id}/proof` returns: the entry's fields, its
leaf, the Merkle proof, the batch, the AuditAnchor address and the chain id. The check
recomputes the leaf from the fields (so an altered entry fails), folds the proof into a root,
and compares it with `AuditAnchor.batchRoot(batch)` read from a JSON-RPC node. No database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import HTTPProvider, Web3
from web3.providers.base import BaseProvider

from api.audit.entries import document_leaf
from chain.merkle import process_proof

BATCH_ROOT_ABI = [{
    "type": "function", "name": "batchRoot", "stateMutability": "view",
    "inputs": [{"name": "batch", "type": "uint256"}],
    "outputs": [{"name": "", "type": "bytes32"}],
}]


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str


def _hex32(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) != 66:
        raise ValueError("expected a 0x-prefixed 32-byte hex value")
    return bytes.fromhex(value[2:])


def verify_entry(document: dict[str, Any], rpc_url: str | None = None, *,
                 provider: BaseProvider | None = None, timeout: float = 10.0) -> Verdict:
    """Check `document` against the chain at `rpc_url` (or behind a given web3 provider)."""
    try:
        entry = document["entry"]
        leaf = _hex32(document["leaf"])
        proof = [_hex32(p) for p in document["proof"]]
        batch = int(document["batch"])
        contract = Web3.to_checksum_address(document["contract"])
        chain_id = int(document["chain_id"])
    except (KeyError, TypeError, ValueError) as exc:
        return Verdict(False, f"not an OHMS entry proof: {exc}")
    if document_leaf(entry) != "0x" + leaf.hex():
        return Verdict(False, "the entry's fields do not hash to its leaf: it was altered")
    root = process_proof(leaf, proof)
    w3 = Web3(provider or HTTPProvider(rpc_url, request_kwargs={"timeout": timeout}))
    try:
        if int(w3.eth.chain_id) != chain_id:
            return Verdict(False, f"the node serves chain {w3.eth.chain_id}, not {chain_id}")
        anchored = bytes(w3.eth.contract(address=contract, abi=BATCH_ROOT_ABI)
                         .functions.batchRoot(batch).call())
    except Exception as exc:  # noqa: BLE001 - any node failure means "cannot verify"
        return Verdict(False, f"the chain could not be read: {type(exc).__name__}")
    if anchored == bytes(32):
        return Verdict(False, f"batch {batch} is not anchored on chain")
    if anchored != root:
        return Verdict(False, f"the proof does not lead to batch {batch}'s anchored root")
    return Verdict(True, f"entry {entry.get('id')} is in batch {batch}, anchored on chain "
                         f"{chain_id} at {contract}")
