// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title OutputRootLib
/// @notice The commitments a withdrawal proof is checked against, twins of `node/output_root.py`:
///           outputRoot     = keccak256(version ‖ stateRoot ‖ messagePasserStorageRoot ‖ blockHash)
///                            (version 0 = bytes32(0); four 32-byte words, 128 bytes hashed)
///           withdrawalHash = keccak256(abi.encode(nonce, sender, target, value, gasLimit, data))
///                            (the OP Stack's `Hashing.hashWithdrawal`)
///           storage key    = keccak256(abi.encode(withdrawalHash, uint256(0))), the slot of
///                            `L2ToL1MessagePasser.sentMessages[withdrawalHash]` (mapping at slot 0),
///                            whose value in the passer's storage trie is rlp(1) = 0x01.
library OutputRootLib {
    /// @notice Version 0 of the output root encoding.
    bytes32 internal constant OUTPUT_VERSION_V0 = bytes32(0);

    /// @notice Storage slot of `L2ToL1MessagePasser.sentMessages`.
    uint256 internal constant SENT_MESSAGES_SLOT = 0;

    /// @notice The preimage of an output root (OP Stack's `Types.OutputRootProof`).
    struct OutputRootProof {
        bytes32 version;
        bytes32 stateRoot;
        bytes32 messagePasserStorageRoot;
        bytes32 latestBlockhash;
    }

    /// @notice An output root of a version this library cannot hash.
    error UnsupportedOutputVersion(bytes32 version);

    /// @notice The version-0 output root of an L2 block.
    function outputRoot(bytes32 stateRoot, bytes32 messagePasserStorageRoot, bytes32 blockHash)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(OUTPUT_VERSION_V0, stateRoot, messagePasserStorageRoot, blockHash));
    }

    /// @notice The output root a preimage hashes to; reverts on a version other than 0.
    function hashOutputRootProof(OutputRootProof memory proof) internal pure returns (bytes32) {
        if (proof.version != OUTPUT_VERSION_V0) revert UnsupportedOutputVersion(proof.version);
        return outputRoot(proof.stateRoot, proof.messagePasserStorageRoot, proof.latestBlockhash);
    }

    /// @notice The hash under which `L2ToL1MessagePasser` records a withdrawal.
    function withdrawalHash(
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        uint256 gasLimit,
        bytes memory data
    ) internal pure returns (bytes32) {
        return keccak256(abi.encode(nonce, sender, target, value, gasLimit, data));
    }

    /// @notice The passer's storage slot that holds `sentMessages[hash]`.
    function withdrawalStorageKey(bytes32 hash) internal pure returns (bytes32) {
        return keccak256(abi.encode(hash, SENT_MESSAGES_SLOT));
    }
}
