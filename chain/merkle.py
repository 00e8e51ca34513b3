"""Merkle trees of access-log batches, compatible with OpenZeppelin's MerkleProof and
@openzeppelin/merkle-tree.

Pairs are hashed sorted (keccak256 of the smaller then the larger 32-byte node), so a proof is
a plain list of sibling hashes that `MerkleProof.verify` (and `AuditAnchor.verify`) accept. The
tree has OpenZeppelin's layout: leaves sorted, stored right to left at the end of an array of
2n-1 nodes; the same leaves give the same root as OpenZeppelin's JavaScript library.

Leaves are double-hashed like OpenZeppelin's StandardMerkleTree, `keccak256(keccak256(data))`,
so no 64-byte inner node can ever pass as a leaf (second-preimage attack). `leaf_hash` does it
for any canonical encoding of an entry; `standard_leaf_hash` for ABI-encoded values, exactly as
`StandardMerkleTree.of(values, types)` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from chain.errors import InvalidChainRequest


def leaf_hash(data: bytes) -> bytes:
    """The leaf of an entry whose canonical encoding is `data`: keccak256(keccak256(data))."""
    return keccak(keccak(data))


def standard_leaf_hash(types: Sequence[str], values: Sequence[object]) -> bytes:
    """The leaf OpenZeppelin's StandardMerkleTree gives `values` ABI-encoded as `types`."""
    return leaf_hash(encode(list(types), list(values)))


def hash_pair(left: bytes, right: bytes) -> bytes:
    """OpenZeppelin's commutative node hash: keccak256 of the two nodes in ascending order."""
    return keccak(left + right) if left < right else keccak(right + left)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root that `proof` leads to from `leaf` (MerkleProof.processProof)."""
    node = leaf
    for sibling in proof:
        node = hash_pair(node, sibling)
    return node


def verify_proof(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """True when `proof` proves `leaf` is in the tree of `root` (MerkleProof.verify)."""
    return process_proof(leaf, proof) == root


@dataclass(frozen=True)
class MerkleTree:
    """A built tree over 32-byte leaves; `nodes[0]` is the root."""

    nodes: tuple[bytes, ...]
    leaf_count: int

    @classmethod
    def build(cls, leaves: Sequence[bytes]) -> MerkleTree:
        if not leaves:
            raise InvalidChainRequest("a Merkle tree needs at least one leaf")
        if any(len(leaf) != 32 for leaf in leaves):
            raise InvalidChainRequest("Merkle leaves must be 32-byte hashes")
        ordered = sorted(leaves)
        size = 2 * len(ordered) - 1
        nodes: list[bytes] = [b""] * size
        for position, leaf in enumerate(ordered):
            nodes[size - 1 - position] = leaf
        for index in range(size - 1 - len(ordered), -1, -1):
            nodes[index] = hash_pair(nodes[2 * index + 1], nodes[2 * index + 2])
        return cls(nodes=tuple(nodes), leaf_count=len(ordered))

    @property
    def root(self) -> bytes:
        return self.nodes[0]

    def proof(self, leaf: bytes) -> list[bytes]:
        """Sibling hashes from `leaf` up to the root; refuses a leaf not in the tree."""
        try:
            index = self.nodes.index(leaf, len(self.nodes) - self.leaf_count)
        except ValueError:
            raise InvalidChainRequest("leaf is not in this tree") from None
        proof: list[bytes] = []
        while index > 0:
            sibling = index + 1 if index % 2 == 1 else index - 1
            proof.append(self.nodes[sibling])
            index = (index - 1) // 2
        return proof
