// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RLPItem, RLPReader} from "../L1/lib/RLPReader.sol";
import {MerkleTrie} from "../L1/lib/MerkleTrie.sol";
import {SecureMerkleTrie} from "../L1/lib/SecureMerkleTrie.sol";
import {OutputRootLib} from "../L1/lib/OutputRootLib.sol";

/// @notice Thin external wrapper over the L1 proof libraries, for tests only (never deployed on a
///         chain that matters). `getBatch` runs many proofs in one `eth_call`, each through an
///         external self-call so that one proof's revert is recorded, not fatal.
contract MerkleTrieHarness {
    /// @notice The outcome of one proof in a batch: the value, or the revert data.
    struct Outcome {
        bool ok;
        bytes data;
    }

    // ---- MerkleTrie / SecureMerkleTrie ----------------------------------------------------

    function get(bytes memory key, bytes[] memory proof, bytes32 root) public pure returns (bytes memory) {
        return MerkleTrie.get(key, proof, root);
    }

    function tryGet(bytes memory key, bytes[] memory proof, bytes32 root) external pure returns (bool, bytes memory) {
        return MerkleTrie.tryGet(key, proof, root);
    }

    function verifyInclusion(bytes memory key, bytes memory value, bytes[] memory proof, bytes32 root)
        external
        pure
        returns (bool)
    {
        return MerkleTrie.verifyInclusion(key, value, proof, root);
    }

    function secureGet(bytes memory key, bytes[] memory proof, bytes32 root) public pure returns (bytes memory) {
        return SecureMerkleTrie.get(key, proof, root);
    }

    function secureTryGet(bytes memory key, bytes[] memory proof, bytes32 root)
        external
        pure
        returns (bool, bytes memory)
    {
        return SecureMerkleTrie.tryGet(key, proof, root);
    }

    function secureVerifyInclusion(bytes memory key, bytes memory value, bytes[] memory proof, bytes32 root)
        external
        pure
        returns (bool)
    {
        return SecureMerkleTrie.verifyInclusion(key, value, proof, root);
    }

    /// @notice `get` (or `secureGet`) of every case; a reverted case holds its revert data.
    function getBatch(bytes[] calldata keys, bytes[][] calldata proofs, bytes32[] calldata roots, bool secure)
        external
        view
        returns (Outcome[] memory outcomes)
    {
        outcomes = new Outcome[](keys.length);
        for (uint256 i = 0; i < keys.length; ++i) {
            if (secure) {
                try this.secureGet(keys[i], proofs[i], roots[i]) returns (bytes memory value) {
                    outcomes[i] = Outcome(true, value);
                } catch (bytes memory reason) {
                    outcomes[i] = Outcome(false, reason);
                }
            } else {
                try this.get(keys[i], proofs[i], roots[i]) returns (bytes memory value) {
                    outcomes[i] = Outcome(true, value);
                } catch (bytes memory reason) {
                    outcomes[i] = Outcome(false, reason);
                }
            }
        }
    }

    /// @notice Gas spent inside `MerkleTrie.get`/`SecureMerkleTrie.get` alone (proof in memory).
    function measureGet(bytes memory key, bytes[] memory proof, bytes32 root, bool secure)
        external
        view
        returns (bytes memory value, uint256 gasUsed)
    {
        uint256 before = gasleft();
        value = secure ? SecureMerkleTrie.get(key, proof, root) : MerkleTrie.get(key, proof, root);
        gasUsed = before - gasleft();
    }

    // ---- RLPReader --------------------------------------------------------------------------

    /// @notice The raw encodings of the items of the list `input` encodes.
    function rlpReadList(bytes memory input) external pure returns (bytes[] memory rawItems) {
        RLPItem[] memory items = RLPReader.toRLPItem(input).readList();
        rawItems = new bytes[](items.length);
        for (uint256 i = 0; i < items.length; ++i) {
            rawItems[i] = items[i].readRawBytes();
        }
    }

    /// @notice The payload of the byte string `input` encodes.
    function rlpReadBytes(bytes memory input) external pure returns (bytes memory) {
        return RLPReader.toRLPItem(input).readBytes();
    }

    // ---- OutputRootLib ----------------------------------------------------------------------

    function outputRoot(bytes32 stateRoot, bytes32 passerRoot, bytes32 blockHash) external pure returns (bytes32) {
        return OutputRootLib.outputRoot(stateRoot, passerRoot, blockHash);
    }

    function hashOutputRootProof(OutputRootLib.OutputRootProof memory proof) external pure returns (bytes32) {
        return OutputRootLib.hashOutputRootProof(proof);
    }

    function withdrawalHash(
        uint256 nonce,
        address sender,
        address target,
        uint256 value,
        uint256 gasLimit,
        bytes memory data
    ) external pure returns (bytes32) {
        return OutputRootLib.withdrawalHash(nonce, sender, target, value, gasLimit, data);
    }

    function withdrawalStorageKey(bytes32 hash) external pure returns (bytes32) {
        return OutputRootLib.withdrawalStorageKey(hash);
    }
}
