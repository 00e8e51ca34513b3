// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity ^0.8.28;

/// @notice The few Foundry-compatible cheatcodes the contract tests use, served by Hardhat 3's
///         Solidity test runner (EDR) at the standard cheatcode address. Declared here rather
///         than taken from forge-std, which npm only has in an outdated release.
interface Vm {
    function addr(uint256 privateKey) external pure returns (address);
    function sign(uint256 privateKey, bytes32 digest)
        external
        pure
        returns (uint8 v, bytes32 r, bytes32 s);
    function prank(address sender) external;
    function warp(uint256 timestamp) external;
    function chainId(uint256 newChainId) external;
    function expectRevert(bytes calldata revertData) external;
    function expectEmit() external;
}

/// @notice Base of the contract tests: the cheatcodes and small assertions.
abstract contract CheatsTest {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    function signDigest(uint256 privateKey, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(privateKey, digest);
        return abi.encodePacked(r, s, v);
    }

    function assertTrue(bool condition, string memory what) internal pure {
        require(condition, what);
    }

    function assertEq(bytes32 actual, bytes32 expected, string memory what) internal pure {
        require(actual == expected, what);
    }

    function assertEq(uint256 actual, uint256 expected, string memory what) internal pure {
        require(actual == expected, what);
    }

    function assertEq(address actual, address expected, string memory what) internal pure {
        require(actual == expected, what);
    }
}
