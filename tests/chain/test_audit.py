"""Audit anchoring on chain, on the dev chain and on a real node: Merkle roots of access-log
batches, proofs checked by AuditAnchor itself, immutability and who may anchor."""

from __future__ import annotations

import pytest
from eth_utils.crypto import keccak

from chain import Chain, ChainReverted, MerkleTree, leaf_hash, verify_proof


def _batch_tree(count: int, batch: int) -> tuple[MerkleTree, list[bytes]]:
    leaves = [leaf_hash(f'{{"batch":{batch},"entry":{index}}}'.encode()) for index in range(count)]
    return MerkleTree.build(leaves), leaves


def test_anchored_root_proves_every_entry_of_its_batch(chain: Chain) -> None:
    tree, leaves = _batch_tree(5, batch=1)

    receipt = chain.anchor_batch(1, tree.root, len(leaves))

    [event] = receipt.events
    assert (event.contract, event.name) == ("AuditAnchor", "BatchAnchored")
    assert event.args["batch"] == 1
    assert event.args["root"] == "0x" + tree.root.hex()
    assert event.args["size"] == 5
    assert event.args["anchorer"] == chain.operator_address
    assert chain.batch_root(1) == "0x" + tree.root.hex()
    anchored = chain.anchored_batch(1)
    assert anchored is not None
    assert (anchored.root, anchored.size) == ("0x" + tree.root.hex(), 5)
    assert anchored.anchored_at == event.args["anchoredAt"] > 0
    for leaf in leaves:
        proof = tree.proof(leaf)
        assert verify_proof(tree.root, leaf, proof)
        assert chain.verify_inclusion(1, leaf, proof)


def test_altered_entry_or_unknown_batch_fails_verification(chain: Chain) -> None:
    tree, leaves = _batch_tree(4, batch=2)
    chain.anchor_batch(2, tree.root, len(leaves))
    proof = tree.proof(leaves[0])
    altered = leaf_hash(b'{"batch":2,"entry":0,"outcome":"altered"}')

    assert not chain.verify_inclusion(2, altered, proof)
    assert not verify_proof(tree.root, altered, proof)
    assert not chain.verify_inclusion(3, leaves[0], proof)
    assert chain.batch_root(3) is None
    assert chain.anchored_batch(3) is None


def test_anchored_roots_are_immutable(chain: Chain) -> None:
    tree, leaves = _batch_tree(3, batch=7)
    chain.anchor_batch(7, tree.root, len(leaves))
    other, _ = _batch_tree(3, batch=8)
    block = chain.block_number()

    with pytest.raises(ChainReverted, match=r"BatchAlreadyAnchored\(") as refusal:
        chain.anchor_batch(7, other.root, 3)

    assert refusal.value.error_args == {"batch": 7, "root": "0x" + tree.root.hex()}
    assert chain.batch_root(7) == "0x" + tree.root.hex()
    assert chain.block_number() == block


def test_empty_batches_are_refused(chain: Chain) -> None:
    with pytest.raises(ChainReverted, match=r"EmptyRoot\("):
        chain.anchor_batch(1, bytes(32), 1)
    with pytest.raises(ChainReverted, match=r"EmptyBatch\("):
        chain.anchor_batch(1, keccak(b"root"), 0)
    assert chain.batch_root(1) is None


def test_only_registered_anchorers_anchor(chain: Chain, stranger: Chain) -> None:
    tree, leaves = _batch_tree(2, batch=4)
    assert chain.is_anchorer(chain.operator_address)
    assert not chain.is_anchorer(stranger.operator_address)

    with pytest.raises(ChainReverted, match=r"AccessControlUnauthorizedAccount\(") as refusal:
        stranger.anchor_batch(4, tree.root, len(leaves))
    assert refusal.value.error_args["account"] == stranger.operator_address
    assert chain.batch_root(4) is None
    # Only the admin registers anchorers.
    with pytest.raises(ChainReverted, match=r"AccessControlUnauthorizedAccount\("):
        stranger.add_anchorer(stranger.operator_address)

    chain.add_anchorer(stranger.operator_address)
    assert chain.is_anchorer(stranger.operator_address)
    assert stranger.anchor_batch(4, tree.root, len(leaves)).succeeded
    assert chain.batch_root(4) == "0x" + tree.root.hex()
