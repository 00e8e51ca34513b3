// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";

/// @title ConsentRegistry
/// @notice Patients' consents to read their health records, as EIP-712 messages the patient
///         signs and anyone (the OHMS service) relays, so patients need no ether.
/// @dev A grant names its scope as text, "category:<name>" (lab, imaging, medication,
///      encounter, ..., or "all") or "record:<id>", so the patient's wallet shows what is being
///      shared; the contract stores and checks the keccak256 hash of that text (the EIP-712
///      encoding of a string is that same hash). `isAuthorized` matches the asked scope or
///      the "category:all" scope; to check one record, call `isAuthorizedForRecord` with the
///      record scope and its category scope (the contract does not know which category a
///      record belongs to; the service does).
///
///      One grant is current per (patient, grantee, scope, purpose): a newer grant for the same
///      key supersedes the older one (a renewal with a new expiry or data range). A grant id is
///      the EIP-712 digest of the signed Grant message, so it is unique per chain, contract and
///      patient nonce, and the service can compute it before relaying.
///
///      The signature is checked with SignatureChecker: an EOA's ECDSA signature or an ERC-1271
///      smart-contract wallet both work.
contract ConsentRegistry is EIP712, Nonces, AccessControl {
    /// @notice Accounts allowed to record break-glass (emergency) access on chain.
    bytes32 public constant BREAK_GLASS_RECORDER_ROLE = keccak256("BREAK_GLASS_RECORDER_ROLE");

    /// @notice Scope of a grant that covers every record of the patient.
    bytes32 public constant ALL_SCOPE = keccak256("category:all");

    /// @notice Purposes of use, as the uint8 in a grant: treatment, claim (payment), research,
    ///         emergency. Values above `MAX_PURPOSE` are refused.
    uint8 public constant PURPOSE_TREATMENT = 0;
    uint8 public constant PURPOSE_CLAIM = 1;
    uint8 public constant PURPOSE_RESEARCH = 2;
    uint8 public constant PURPOSE_EMERGENCY = 3;
    uint8 public constant MAX_PURPOSE = 3;

    bytes32 public constant GRANT_TYPEHASH = keccak256(
        "Grant(address patient,address grantee,string scope,uint8 purpose,uint64 dataFrom,"
        "uint64 dataTo,uint64 expiry,uint256 nonce,uint256 deadline)"
    );
    bytes32 public constant REVOKE_TYPEHASH =
        keccak256("Revoke(address patient,bytes32 grantId,uint256 nonce,uint256 deadline)");

    /// @notice A grant as the patient signs it. `dataFrom`/`dataTo` bound the clinical dates of
    ///         the data covered (0 means unbounded); `expiry` ends the grant (unix seconds);
    ///         `deadline` ends the validity of the signature itself.
    struct GrantRequest {
        address patient;
        address grantee;
        string scope;
        uint8 purpose;
        uint64 dataFrom;
        uint64 dataTo;
        uint64 expiry;
        uint256 nonce;
        uint256 deadline;
    }

    struct RevokeRequest {
        address patient;
        bytes32 grantId;
        uint256 nonce;
        uint256 deadline;
    }

    /// @notice A stored grant. `patient == address(0)` means no such grant.
    struct Grant {
        address patient;
        address grantee;
        bytes32 scope;
        uint8 purpose;
        uint64 dataFrom;
        uint64 dataTo;
        uint64 expiry;
        bool revoked;
    }

    mapping(bytes32 grantId => Grant) private _grants;
    mapping(bytes32 grantKey => bytes32 grantId) private _currentGrant;

    event ConsentGranted(
        bytes32 indexed grantId,
        address indexed patient,
        address indexed grantee,
        bytes32 scopeHash,
        string scope,
        uint8 purpose,
        uint64 dataFrom,
        uint64 dataTo,
        uint64 expiry,
        uint256 nonce
    );
    event ConsentRevoked(
        bytes32 indexed grantId, address indexed patient, address indexed grantee, uint256 nonce
    );
    event BreakGlassAccess(
        address indexed patient,
        address indexed grantee,
        bytes32 indexed scope,
        bytes32 reasonHash,
        address recorder
    );

    error SignatureExpired(uint256 deadline);
    error InvalidPatientSignature(address patient);
    error InvalidGrantee(address grantee);
    error InvalidPurpose(uint8 purpose);
    error InvalidScope();
    error InvalidDataRange(uint64 dataFrom, uint64 dataTo);
    error GrantExpiryInPast(uint64 expiry);
    error UnknownGrant(bytes32 grantId);
    error GrantOfAnotherPatient(bytes32 grantId, address patient);
    error GrantAlreadyRevoked(bytes32 grantId);
    error MissingReason();

    constructor(address admin) EIP712("OHMS ConsentRegistry", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(BREAK_GLASS_RECORDER_ROLE, admin);
    }

    /// @notice Record a grant signed by `request.patient`; returns its id.
    function grant(GrantRequest calldata request, bytes calldata signature)
        external
        returns (bytes32 grantId)
    {
        if (block.timestamp > request.deadline) revert SignatureExpired(request.deadline);
        if (request.grantee == address(0) || request.grantee == request.patient) {
            revert InvalidGrantee(request.grantee);
        }
        if (request.purpose > MAX_PURPOSE) revert InvalidPurpose(request.purpose);
        if (bytes(request.scope).length == 0) revert InvalidScope();
        if (request.dataTo != 0 && request.dataFrom > request.dataTo) {
            revert InvalidDataRange(request.dataFrom, request.dataTo);
        }
        if (request.expiry <= block.timestamp) revert GrantExpiryInPast(request.expiry);

        grantId = grantDigest(request);
        bytes32 scopeHash = keccak256(bytes(request.scope));
        if (!SignatureChecker.isValidSignatureNowCalldata(request.patient, grantId, signature)) {
            revert InvalidPatientSignature(request.patient);
        }
        _useCheckedNonce(request.patient, request.nonce);

        _grants[grantId] = Grant({
            patient: request.patient,
            grantee: request.grantee,
            scope: scopeHash,
            purpose: request.purpose,
            dataFrom: request.dataFrom,
            dataTo: request.dataTo,
            expiry: request.expiry,
            revoked: false
        });
        _currentGrant[_grantKey(request.patient, request.grantee, scopeHash, request.purpose)] =
            grantId;
        emit ConsentGranted(
            grantId,
            request.patient,
            request.grantee,
            scopeHash,
            request.scope,
            request.purpose,
            request.dataFrom,
            request.dataTo,
            request.expiry,
            request.nonce
        );
    }

    /// @notice Revoke a grant, with a Revoke message signed by the grant's patient.
    function revoke(RevokeRequest calldata request, bytes calldata signature) external {
        if (block.timestamp > request.deadline) revert SignatureExpired(request.deadline);
        Grant storage stored = _grants[request.grantId];
        if (stored.patient == address(0)) revert UnknownGrant(request.grantId);
        if (stored.patient != request.patient) {
            revert GrantOfAnotherPatient(request.grantId, request.patient);
        }
        if (stored.revoked) revert GrantAlreadyRevoked(request.grantId);

        bytes32 digest = revokeDigest(request);
        if (!SignatureChecker.isValidSignatureNowCalldata(request.patient, digest, signature)) {
            revert InvalidPatientSignature(request.patient);
        }
        _useCheckedNonce(request.patient, request.nonce);

        stored.revoked = true;
        emit ConsentRevoked(request.grantId, request.patient, stored.grantee, request.nonce);
    }

    /// @notice Flag an emergency read made without consent. `reasonHash` is the keccak256 of
    ///         the clinician's stated reason (the text itself stays off chain).
    function recordBreakGlass(address patient, address grantee, bytes32 scope, bytes32 reasonHash)
        external
        onlyRole(BREAK_GLASS_RECORDER_ROLE)
    {
        if (reasonHash == bytes32(0)) revert MissingReason();
        if (grantee == address(0)) revert InvalidGrantee(grantee);
        if (scope == bytes32(0)) revert InvalidScope();
        emit BreakGlassAccess(patient, grantee, scope, reasonHash, msg.sender);
    }

    /// @notice True when the current grant for `scope` or for `ALL_SCOPE` is unrevoked and
    ///         unexpired.
    function isAuthorized(address patient, address grantee, bytes32 scope, uint8 purpose)
        public
        view
        returns (bool)
    {
        return _isCurrent(patient, grantee, scope, purpose)
            || _isCurrent(patient, grantee, ALL_SCOPE, purpose);
    }

    /// @notice `isAuthorized` for one record: its record scope, its category scope or all.
    function isAuthorizedForRecord(
        address patient,
        address grantee,
        bytes32 recordScope,
        bytes32 categoryScope,
        uint8 purpose
    ) external view returns (bool) {
        return _isCurrent(patient, grantee, categoryScope, purpose)
            || isAuthorized(patient, grantee, recordScope, purpose);
    }

    /// @notice The stored grant (all zero when unknown).
    function grantOf(bytes32 grantId) external view returns (Grant memory) {
        return _grants[grantId];
    }

    /// @notice Id of the grant currently in force for the key (zero when none was ever made).
    function currentGrantId(address patient, address grantee, bytes32 scope, uint8 purpose)
        external
        view
        returns (bytes32)
    {
        return _currentGrant[_grantKey(patient, grantee, scope, purpose)];
    }

    /// @notice EIP-712 digest of a grant message; also the id of the grant it creates.
    function grantDigest(GrantRequest calldata request) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    GRANT_TYPEHASH,
                    request.patient,
                    request.grantee,
                    keccak256(bytes(request.scope)),
                    request.purpose,
                    request.dataFrom,
                    request.dataTo,
                    request.expiry,
                    request.nonce,
                    request.deadline
                )
            )
        );
    }

    /// @notice EIP-712 digest of a revoke message.
    function revokeDigest(RevokeRequest calldata request) public view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    REVOKE_TYPEHASH,
                    request.patient,
                    request.grantId,
                    request.nonce,
                    request.deadline
                )
            )
        );
    }

    /// @notice The EIP-712 domain separator (name "OHMS ConsentRegistry", version "1").
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function _isCurrent(address patient, address grantee, bytes32 scope, uint8 purpose)
        private
        view
        returns (bool)
    {
        Grant storage current = _grants[_currentGrant[_grantKey(patient, grantee, scope, purpose)]];
        return current.patient != address(0) && !current.revoked
            && current.expiry > block.timestamp;
    }

    function _grantKey(address patient, address grantee, bytes32 scope, uint8 purpose)
        private
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(patient, grantee, scope, purpose));
    }
}
