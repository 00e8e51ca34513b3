// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {ConsentRegistry} from "../ConsentRegistry.sol";
import {CheatsTest} from "./Cheats.sol";

/// @notice Every ConsentRegistry function, its successes and each of its refusals.
contract ConsentRegistryTest is CheatsTest {
    uint256 internal constant PATIENT_KEY = 0xA11CE;
    uint256 internal constant STRANGER_KEY = 0xB0B;
    address internal constant LAB_ORG = address(0x1AB);
    address internal constant CLINIC = address(0xC11);
    string internal constant LAB = "category:lab";
    string internal constant RECORD = "record:rec-42";
    bytes32 internal constant LAB_SCOPE = keccak256("category:lab");
    bytes32 internal constant IMAGING_SCOPE = keccak256("category:imaging");
    bytes32 internal constant RECORD_SCOPE = keccak256("record:rec-42");

    ConsentRegistry internal registry;
    address internal patient;

    function setUp() public {
        vm.warp(1_700_000_000);
        registry = new ConsentRegistry(address(this));
        patient = vm.addr(PATIENT_KEY);
    }

    function _request(string memory scope, uint8 purpose)
        internal
        view
        returns (ConsentRegistry.GrantRequest memory)
    {
        return ConsentRegistry.GrantRequest({
            patient: patient,
            grantee: LAB_ORG,
            scope: scope,
            purpose: purpose,
            dataFrom: 0,
            dataTo: 0,
            expiry: uint64(block.timestamp + 30 days),
            nonce: registry.nonces(patient),
            deadline: block.timestamp + 1 hours
        });
    }

    function _grant(ConsentRegistry.GrantRequest memory request) internal returns (bytes32) {
        return registry.grant(request, signDigest(PATIENT_KEY, registry.grantDigest(request)));
    }

    function _revokeRequest(bytes32 grantId)
        internal
        view
        returns (ConsentRegistry.RevokeRequest memory)
    {
        return ConsentRegistry.RevokeRequest({
            patient: patient,
            grantId: grantId,
            nonce: registry.nonces(patient),
            deadline: block.timestamp + 1 hours
        });
    }

    function _revoke(ConsentRegistry.RevokeRequest memory request) internal {
        registry.revoke(request, signDigest(PATIENT_KEY, registry.revokeDigest(request)));
    }

    function test_grant_authorizes_its_scope_and_purpose_only() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        bytes32 expectedId = registry.grantDigest(request);
        vm.expectEmit();
        emit ConsentRegistry.ConsentGranted(
            expectedId, patient, LAB_ORG, LAB_SCOPE, LAB, 0, 0, 0, request.expiry, 0
        );
        bytes32 grantId = _grant(request);

        assertEq(grantId, expectedId, "grant id is the EIP-712 digest");
        assertEq(registry.nonces(patient), 1, "nonce used");
        assertTrue(registry.isAuthorized(patient, LAB_ORG, LAB_SCOPE, 0), "lab/treatment allowed");
        assertTrue(!registry.isAuthorized(patient, LAB_ORG, LAB_SCOPE, 2), "research refused");
        assertTrue(!registry.isAuthorized(patient, LAB_ORG, IMAGING_SCOPE, 0), "imaging refused");
        assertTrue(!registry.isAuthorized(patient, CLINIC, LAB_SCOPE, 0), "other grantee refused");
        assertEq(registry.currentGrantId(patient, LAB_ORG, LAB_SCOPE, 0), grantId, "current grant");

        ConsentRegistry.Grant memory stored = registry.grantOf(grantId);
        assertEq(stored.patient, patient, "stored patient");
        assertEq(stored.grantee, LAB_ORG, "stored grantee");
        assertEq(stored.scope, LAB_SCOPE, "stored scope hash");
        assertEq(stored.expiry, request.expiry, "stored expiry");
        assertTrue(!stored.revoked, "not revoked");
    }

    function test_all_category_covers_every_scope() public {
        assertEq(registry.ALL_SCOPE(), keccak256("category:all"), "all scope");
        _grant(_request("category:all", 0));
        assertTrue(registry.isAuthorized(patient, LAB_ORG, IMAGING_SCOPE, 0), "imaging via all");
        assertTrue(registry.isAuthorized(patient, LAB_ORG, RECORD_SCOPE, 0), "record via all");
        assertTrue(!registry.isAuthorized(patient, LAB_ORG, RECORD_SCOPE, 1), "other purpose refused");
    }

    function test_record_check_matches_record_or_its_category() public {
        assertTrue(
            !registry.isAuthorizedForRecord(patient, LAB_ORG, RECORD_SCOPE, LAB_SCOPE, 0),
            "nothing granted yet"
        );
        _grant(_request(LAB, 0));
        assertTrue(
            registry.isAuthorizedForRecord(patient, LAB_ORG, RECORD_SCOPE, LAB_SCOPE, 0),
            "record in a granted category"
        );
        assertTrue(
            !registry.isAuthorizedForRecord(patient, LAB_ORG, RECORD_SCOPE, IMAGING_SCOPE, 0),
            "record of another category"
        );
        _grant(_request(RECORD, 1));
        assertTrue(
            registry.isAuthorizedForRecord(patient, LAB_ORG, RECORD_SCOPE, IMAGING_SCOPE, 1),
            "record granted by itself"
        );
    }

    function test_grant_expires() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        _grant(request);
        vm.warp(request.expiry);
        assertTrue(!registry.isAuthorized(patient, LAB_ORG, LAB_SCOPE, 0), "expired grant refused");
    }

    function test_newer_grant_supersedes_older_for_same_key() public {
        ConsentRegistry.GrantRequest memory first = _request(LAB, 0);
        bytes32 firstId = _grant(first);
        ConsentRegistry.GrantRequest memory renewal = _request(LAB, 0);
        renewal.expiry = uint64(block.timestamp + 1 days);
        bytes32 renewalId = _grant(renewal);
        assertEq(registry.currentGrantId(patient, LAB_ORG, LAB_SCOPE, 0), renewalId, "renewal current");
        _revoke(_revokeRequest(firstId));
        assertTrue(registry.isAuthorized(patient, LAB_ORG, LAB_SCOPE, 0), "renewal still in force");
    }

    function test_grant_rejects_signature_of_someone_else() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        bytes memory signature = signDigest(STRANGER_KEY, registry.grantDigest(request));
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.InvalidPatientSignature.selector, patient)
        );
        registry.grant(request, signature);
    }

    function test_grant_rejects_malformed_signature() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.InvalidPatientSignature.selector, patient)
        );
        registry.grant(request, hex"1234");
    }

    function test_grant_rejects_replayed_nonce() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        bytes memory signature = signDigest(PATIENT_KEY, registry.grantDigest(request));
        registry.grant(request, signature);
        vm.expectRevert(abi.encodeWithSelector(Nonces.InvalidAccountNonce.selector, patient, 1));
        registry.grant(request, signature);
    }

    function test_grant_rejects_expired_deadline() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        bytes memory signature = signDigest(PATIENT_KEY, registry.grantDigest(request));
        vm.warp(request.deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.SignatureExpired.selector, request.deadline)
        );
        registry.grant(request, signature);
    }

    function test_grant_rejects_signature_for_another_chain() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        bytes memory signature = signDigest(PATIENT_KEY, registry.grantDigest(request));
        vm.chainId(block.chainid + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.InvalidPatientSignature.selector, patient)
        );
        registry.grant(request, signature);
    }

    function test_grant_rejects_signature_for_another_contract() public {
        ConsentRegistry other = new ConsentRegistry(address(this));
        ConsentRegistry.GrantRequest memory request = _request(LAB, 0);
        bytes memory signature = signDigest(PATIENT_KEY, other.grantDigest(request));
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.InvalidPatientSignature.selector, patient)
        );
        registry.grant(request, signature);
    }

    function test_grant_rejects_bad_content() public {
        ConsentRegistry.GrantRequest memory request = _request(LAB, 4);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidPurpose.selector, 4));
        registry.grant(request, "");

        request = _request(LAB, 0);
        request.grantee = address(0);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidGrantee.selector, address(0)));
        registry.grant(request, "");

        request.grantee = patient;
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidGrantee.selector, patient));
        registry.grant(request, "");

        request = _request("", 0);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidScope.selector));
        registry.grant(request, "");

        request = _request(LAB, 0);
        request.dataFrom = 200;
        request.dataTo = 100;
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidDataRange.selector, 200, 100));
        registry.grant(request, "");

        request = _request(LAB, 0);
        request.expiry = uint64(block.timestamp);
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.GrantExpiryInPast.selector, request.expiry)
        );
        registry.grant(request, "");
    }

    function test_revoke_ends_authorization() public {
        bytes32 grantId = _grant(_request(LAB, 0));
        ConsentRegistry.RevokeRequest memory request = _revokeRequest(grantId);
        vm.expectEmit();
        emit ConsentRegistry.ConsentRevoked(grantId, patient, LAB_ORG, 1);
        _revoke(request);
        assertTrue(!registry.isAuthorized(patient, LAB_ORG, LAB_SCOPE, 0), "revoked grant refused");
        assertTrue(registry.grantOf(grantId).revoked, "stored as revoked");
        assertEq(registry.nonces(patient), 2, "revoke uses a nonce");
    }

    function test_revoke_refusals() public {
        bytes32 grantId = _grant(_request(LAB, 0));

        ConsentRegistry.RevokeRequest memory unknown = _revokeRequest(keccak256("nothing"));
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.UnknownGrant.selector, unknown.grantId)
        );
        registry.revoke(unknown, "");

        ConsentRegistry.RevokeRequest memory request = _revokeRequest(grantId);
        request.patient = vm.addr(STRANGER_KEY);
        bytes memory ownSignature = signDigest(STRANGER_KEY, registry.revokeDigest(request));
        vm.expectRevert(
            abi.encodeWithSelector(
                ConsentRegistry.GrantOfAnotherPatient.selector, grantId, request.patient
            )
        );
        registry.revoke(request, ownSignature);

        request = _revokeRequest(grantId);
        bytes memory strangerSignature = signDigest(STRANGER_KEY, registry.revokeDigest(request));
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.InvalidPatientSignature.selector, patient)
        );
        registry.revoke(request, strangerSignature);

        request.nonce = 7;
        bytes memory wrongNonce = signDigest(PATIENT_KEY, registry.revokeDigest(request));
        vm.expectRevert(abi.encodeWithSelector(Nonces.InvalidAccountNonce.selector, patient, 1));
        registry.revoke(request, wrongNonce);

        request = _revokeRequest(grantId);
        bytes memory signature = signDigest(PATIENT_KEY, registry.revokeDigest(request));
        vm.warp(request.deadline + 1);
        vm.expectRevert(
            abi.encodeWithSelector(ConsentRegistry.SignatureExpired.selector, request.deadline)
        );
        registry.revoke(request, signature);

        request = _revokeRequest(grantId);
        _revoke(request);
        request = _revokeRequest(grantId);
        signature = signDigest(PATIENT_KEY, registry.revokeDigest(request));
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.GrantAlreadyRevoked.selector, grantId));
        registry.revoke(request, signature);
    }

    function test_break_glass_is_recorded_by_recorders_only() public {
        bytes32 reason = keccak256("unconscious patient in the emergency room");
        vm.expectEmit();
        emit ConsentRegistry.BreakGlassAccess(patient, CLINIC, LAB_SCOPE, reason, address(this));
        registry.recordBreakGlass(patient, CLINIC, LAB_SCOPE, reason);
        assertTrue(
            !registry.isAuthorized(patient, CLINIC, LAB_SCOPE, 3), "break-glass grants nothing"
        );

        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.MissingReason.selector));
        registry.recordBreakGlass(patient, CLINIC, LAB_SCOPE, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidGrantee.selector, address(0)));
        registry.recordBreakGlass(patient, address(0), LAB_SCOPE, reason);
        vm.expectRevert(abi.encodeWithSelector(ConsentRegistry.InvalidScope.selector));
        registry.recordBreakGlass(patient, CLINIC, bytes32(0), reason);

        bytes32 role = registry.BREAK_GLASS_RECORDER_ROLE();
        vm.prank(CLINIC);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, CLINIC, role
            )
        );
        registry.recordBreakGlass(patient, CLINIC, LAB_SCOPE, reason);

        registry.grantRole(role, CLINIC);
        vm.prank(CLINIC);
        registry.recordBreakGlass(patient, CLINIC, LAB_SCOPE, reason);
    }

    function test_domain_separator_follows_eip712() public view {
        bytes32 expected = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("OHMS ConsentRegistry"),
                keccak256("1"),
                block.chainid,
                address(registry)
            )
        );
        assertEq(registry.domainSeparator(), expected, "domain separator");
    }

    function test_constants_roles_and_interfaces() public {
        assertEq(
            registry.GRANT_TYPEHASH(),
            keccak256(
                "Grant(address patient,address grantee,string scope,uint8 purpose,uint64 dataFrom,"
                "uint64 dataTo,uint64 expiry,uint256 nonce,uint256 deadline)"
            ),
            "grant type hash"
        );
        assertEq(
            registry.REVOKE_TYPEHASH(),
            keccak256("Revoke(address patient,bytes32 grantId,uint256 nonce,uint256 deadline)"),
            "revoke type hash"
        );
        assertEq(registry.PURPOSE_TREATMENT(), 0, "treatment");
        assertEq(registry.PURPOSE_CLAIM(), 1, "claim");
        assertEq(registry.PURPOSE_RESEARCH(), 2, "research");
        assertEq(registry.PURPOSE_EMERGENCY(), 3, "emergency");
        assertEq(registry.MAX_PURPOSE(), 3, "max purpose");

        (, string memory name, string memory version, uint256 chainId, address verifying,,) =
            registry.eip712Domain();
        assertEq(keccak256(bytes(name)), keccak256("OHMS ConsentRegistry"), "domain name");
        assertEq(keccak256(bytes(version)), keccak256("1"), "domain version");
        assertEq(chainId, block.chainid, "domain chain id");
        assertEq(verifying, address(registry), "domain contract");

        assertTrue(
            registry.supportsInterface(type(IAccessControl).interfaceId), "access control interface"
        );
        bytes32 role = registry.BREAK_GLASS_RECORDER_ROLE();
        bytes32 adminRole = registry.DEFAULT_ADMIN_ROLE();
        assertEq(registry.getRoleAdmin(role), adminRole, "admin manages recorders");
        assertTrue(registry.hasRole(adminRole, address(this)), "deployer is admin");

        registry.grantRole(role, CLINIC);
        registry.revokeRole(role, CLINIC);
        assertTrue(!registry.hasRole(role, CLINIC), "recorder removed");

        vm.expectRevert(abi.encodeWithSelector(IAccessControl.AccessControlBadConfirmation.selector));
        registry.renounceRole(role, CLINIC);
        registry.renounceRole(role, address(this));
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, address(this), role
            )
        );
        registry.recordBreakGlass(patient, CLINIC, LAB_SCOPE, keccak256("reason"));
    }
}
