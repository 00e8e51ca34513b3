// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {AuditAnchor} from "../AuditAnchor.sol";
import {CheatsTest} from "./Cheats.sol";

/// @notice Every AuditAnchor function, its successes and each of its refusals.
contract AuditAnchorTest is CheatsTest {
    address internal constant OUTSIDER = address(0xBAD);
    address internal constant SECOND_ANCHORER = address(0xA2);

    AuditAnchor internal anchorContract;
    bytes32 internal leafA = keccak256(bytes.concat(keccak256("entry-a")));
    bytes32 internal leafB = keccak256(bytes.concat(keccak256("entry-b")));
    bytes32 internal leafC = keccak256(bytes.concat(keccak256("entry-c")));

    function setUp() public {
        vm.warp(1_700_000_000);
        anchorContract = new AuditAnchor(address(this));
    }

    function _hashPair(bytes32 a, bytes32 b) internal pure returns (bytes32) {
        return a < b ? keccak256(abi.encode(a, b)) : keccak256(abi.encode(b, a));
    }

    function test_anchor_stores_root_size_and_time() public {
        bytes32 root = _hashPair(_hashPair(leafA, leafB), leafC);
        vm.expectEmit();
        emit AuditAnchor.BatchAnchored(7, root, 3, 1_700_000_000, address(this));
        anchorContract.anchor(7, root, 3);

        assertEq(anchorContract.batchRoot(7), root, "root stored");
        assertEq(anchorContract.batchCount(), 1, "one batch");
        AuditAnchor.Batch memory batch = anchorContract.batchOf(7);
        assertEq(batch.size, 3, "size stored");
        assertEq(batch.anchoredAt, 1_700_000_000, "time stored");
        assertEq(anchorContract.batchRoot(8), bytes32(0), "unknown batch has no root");
    }

    function test_verify_checks_inclusion_proofs() public {
        bytes32 ab = _hashPair(leafA, leafB);
        bytes32 root = _hashPair(ab, leafC);
        anchorContract.anchor(1, root, 3);

        bytes32[] memory proofA = new bytes32[](2);
        proofA[0] = leafB;
        proofA[1] = leafC;
        assertTrue(anchorContract.verify(1, leafA, proofA), "leaf a proven");

        bytes32[] memory proofC = new bytes32[](1);
        proofC[0] = ab;
        assertTrue(anchorContract.verify(1, leafC, proofC), "leaf c proven");

        bytes32 tampered = keccak256(bytes.concat(keccak256("entry-a, altered")));
        assertTrue(!anchorContract.verify(1, tampered, proofA), "altered entry refused");
        assertTrue(!anchorContract.verify(2, leafA, proofA), "unknown batch refused");
    }

    function test_roots_are_immutable() public {
        anchorContract.anchor(1, leafA, 1);
        vm.expectRevert(abi.encodeWithSelector(AuditAnchor.BatchAlreadyAnchored.selector, 1, leafA));
        anchorContract.anchor(1, leafB, 1);
        assertEq(anchorContract.batchRoot(1), leafA, "first root kept");
    }

    function test_anchor_rejects_empty_batches() public {
        vm.expectRevert(abi.encodeWithSelector(AuditAnchor.EmptyRoot.selector));
        anchorContract.anchor(1, bytes32(0), 1);
        vm.expectRevert(abi.encodeWithSelector(AuditAnchor.EmptyBatch.selector));
        anchorContract.anchor(1, leafA, 0);
    }

    function test_only_registered_anchorers_anchor() public {
        bytes32 role = anchorContract.ANCHORER_ROLE();
        vm.prank(OUTSIDER);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, OUTSIDER, role
            )
        );
        anchorContract.anchor(1, leafA, 1);

        bytes32 adminRole = anchorContract.DEFAULT_ADMIN_ROLE();
        vm.prank(OUTSIDER);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, OUTSIDER, adminRole
            )
        );
        anchorContract.grantRole(role, OUTSIDER);

        anchorContract.grantRole(role, SECOND_ANCHORER);
        assertTrue(anchorContract.hasRole(role, SECOND_ANCHORER), "anchorer registered");
        vm.prank(SECOND_ANCHORER);
        anchorContract.anchor(1, leafA, 1);

        anchorContract.revokeRole(role, SECOND_ANCHORER);
        vm.prank(SECOND_ANCHORER);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, SECOND_ANCHORER, role
            )
        );
        anchorContract.anchor(2, leafB, 1);
    }

    function test_role_admin_interfaces_and_renounce() public {
        bytes32 role = anchorContract.ANCHORER_ROLE();
        assertEq(
            anchorContract.getRoleAdmin(role), anchorContract.DEFAULT_ADMIN_ROLE(), "admin manages"
        );
        assertTrue(
            anchorContract.supportsInterface(type(IAccessControl).interfaceId),
            "access control interface"
        );
        anchorContract.renounceRole(role, address(this));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role
            )
        );
        anchorContract.anchor(1, leafA, 1);
    }
}
