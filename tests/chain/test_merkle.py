"""The access-log Merkle tree against OpenZeppelin's: the same roots and proofs as
@openzeppelin/merkle-tree 1.0.8 (`StandardMerkleTree.of(values, ["string", "uint256"])`, the
values below, golden figures taken from that library) and MerkleProof's verification rule."""

from __future__ import annotations

import pytest

from chain import InvalidChainRequest, MerkleTree, standard_leaf_hash, verify_proof
from chain.merkle import hash_pair, leaf_hash, process_proof

# Values [f"entry-{i}", i * 7] for i < n: root and proof of the first value per OpenZeppelin.
OPENZEPPELIN_GOLDEN = {
    1: ("0x8588c28ceb201c44997b9578c1a61ef0a404e56ae465b2d04f61daf5d2d33f99", []),
    2: ("0x993ae24f5ca932610ebe8d9f2bd8750bdbd90fff540c6b12ea128df8be52e378",
        ["0x66899f5acefc1b7d290f48dd7835597d2f5be53e9daf0426b989d593795c75e4"]),
    3: ("0xa16572d0e03fead073fc363a90736fa81b868f1d4282697a25d91e7eecc4951b",
        ["0x66899f5acefc1b7d290f48dd7835597d2f5be53e9daf0426b989d593795c75e4",
         "0xb544a07a7e5a3dc7a7241394fa6947396893bee16eeb313b12758ce715b711ee"]),
    5: ("0xe7567960b0f608f148bb0459bae8cfcfb62df8de36007bfcf9957f8a5bbc249f",
        ["0x66899f5acefc1b7d290f48dd7835597d2f5be53e9daf0426b989d593795c75e4",
         "0x11ef64929512b7ee0e82ec5ceb08fc8d79e2a81e8e768142e098517349f4c0e8"]),
    8: ("0x498e00617c4fba4b140cdc4ba4ac4efaa1b4b1e35ecf2f014d46f86562ace0b7",
        ["0x7495d16f3c6652092c161c3330f9364b1f77b7094f71f67a4dda31376bc19868",
         "0x0af0d06a2a5d154522d3f1a9f9bf88f4616a32e07c60922dc6ba55d5b83f8cbe",
         "0xc54bd2bee06faec0f5bd8e1326a2e5c0b1cbdc0f30f8ad8dc34348e9a9f619f3"]),
}
FIRST_LEAF = "0x8588c28ceb201c44997b9578c1a61ef0a404e56ae465b2d04f61daf5d2d33f99"


def _leaves(count: int) -> list[bytes]:
    return [standard_leaf_hash(["string", "uint256"], [f"entry-{i}", i * 7])
            for i in range(count)]


@pytest.mark.parametrize("count", sorted(OPENZEPPELIN_GOLDEN))
def test_root_and_proof_match_openzeppelin(count: int) -> None:
    leaves = _leaves(count)
    tree = MerkleTree.build(leaves)
    root, proof = OPENZEPPELIN_GOLDEN[count]

    assert "0x" + leaves[0].hex() == FIRST_LEAF
    assert "0x" + tree.root.hex() == root
    assert ["0x" + node.hex() for node in tree.proof(leaves[0])] == proof


@pytest.mark.parametrize("count", [1, 2, 3, 7, 16, 33])
def test_every_leaf_proves_and_no_other_does(count: int) -> None:
    leaves = _leaves(count)
    tree = MerkleTree.build(leaves)
    outsider = leaf_hash(b"never logged")
    for leaf in leaves:
        proof = tree.proof(leaf)
        assert verify_proof(tree.root, leaf, proof)
        assert not verify_proof(tree.root, outsider, proof)
    assert process_proof(leaves[0], tree.proof(leaves[0])) == tree.root


def test_order_of_leaves_does_not_change_the_root() -> None:
    leaves = _leaves(6)
    assert MerkleTree.build(leaves).root == MerkleTree.build(list(reversed(leaves))).root


def test_pair_hash_is_commutative() -> None:
    left, right = _leaves(2)
    assert hash_pair(left, right) == hash_pair(right, left)


def test_an_inner_node_cannot_pass_as_a_leaf() -> None:
    leaves = _leaves(4)
    tree = MerkleTree.build(leaves)
    inner = tree.nodes[1]
    with pytest.raises(InvalidChainRequest, match="not in this tree"):
        tree.proof(inner)


def test_malformed_trees_are_refused() -> None:
    with pytest.raises(InvalidChainRequest, match="at least one leaf"):
        MerkleTree.build([])
    with pytest.raises(InvalidChainRequest, match="32-byte"):
        MerkleTree.build([b"short"])
