// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

/// @title AuditAnchor
/// @notice Merkle roots of batches of OHMS access-log entries, so any single access can be
///         proven later from the chain alone with an inclusion proof.
/// @dev Roots follow OpenZeppelin's MerkleProof convention (sorted-pair keccak256); leaves are
///      given already hashed. A batch number is chosen by the anchorer (the service's batch
///      sequence) and can be written once: a resent anchor transaction reverts instead of
///      rewriting history, which makes the service's outbox idempotent. Anchorer accounts are
///      managed by the admin through AccessControl (grantRole/revokeRole of ANCHORER_ROLE).
contract AuditAnchor is AccessControl {
    bytes32 public constant ANCHORER_ROLE = keccak256("ANCHORER_ROLE");

    struct Batch {
        bytes32 root;
        uint64 size;
        uint64 anchoredAt;
    }

    mapping(uint256 batch => Batch) private _batches;

    /// @notice How many batches were anchored.
    uint256 public batchCount;

    event BatchAnchored(
        uint256 indexed batch, bytes32 indexed root, uint64 size, uint64 anchoredAt, address anchorer
    );

    error EmptyRoot();
    error EmptyBatch();
    error BatchAlreadyAnchored(uint256 batch, bytes32 root);

    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(ANCHORER_ROLE, admin);
    }

    /// @notice Anchor the Merkle root of batch `batch` holding `size` log entries.
    function anchor(uint256 batch, bytes32 root, uint64 size) external onlyRole(ANCHORER_ROLE) {
        if (root == bytes32(0)) revert EmptyRoot();
        if (size == 0) revert EmptyBatch();
        Batch storage stored = _batches[batch];
        if (stored.root != bytes32(0)) revert BatchAlreadyAnchored(batch, stored.root);
        uint64 anchoredAt = uint64(block.timestamp);
        _batches[batch] = Batch({root: root, size: size, anchoredAt: anchoredAt});
        batchCount += 1;
        emit BatchAnchored(batch, root, size, anchoredAt, msg.sender);
    }

    /// @notice The root of `batch`, or zero when that batch was never anchored.
    function batchRoot(uint256 batch) external view returns (bytes32) {
        return _batches[batch].root;
    }

    /// @notice Root, size and anchoring time of `batch` (all zero when never anchored).
    function batchOf(uint256 batch) external view returns (Batch memory) {
        return _batches[batch];
    }

    /// @notice True when `leaf` is in anchored batch `batch` according to `proof`.
    function verify(uint256 batch, bytes32 leaf, bytes32[] calldata proof)
        external
        view
        returns (bool)
    {
        bytes32 root = _batches[batch].root;
        return root != bytes32(0) && MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
