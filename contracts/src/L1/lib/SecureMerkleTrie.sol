// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleTrie} from "./MerkleTrie.sol";

/// @title SecureMerkleTrie
/// @notice `MerkleTrie` for the "secure" tries of Ethereum state, which key every entry by
///         keccak256 of its key: the state trie (key = keccak256(address), value = rlp(account))
///         and each account's storage trie (key = keccak256(bytes32 slot), value = rlp(word)).
///         Same proofs, results and errors as `MerkleTrie`; `KeyNotFound` names the hashed key.
library SecureMerkleTrie {
    /// @notice The value of `key` (unhashed) in the secure trie with root `root`.
    function get(bytes memory key, bytes[] memory proof, bytes32 root) internal pure returns (bytes memory) {
        return MerkleTrie.get(_trieKey(key), proof, root);
    }

    /// @notice (true, value) if present, (false, "") if the proof shows `key` absent.
    function tryGet(bytes memory key, bytes[] memory proof, bytes32 root) internal pure returns (bool, bytes memory) {
        return MerkleTrie.tryGet(_trieKey(key), proof, root);
    }

    /// @notice Whether `proof` proves `key` (unhashed) holds exactly `value` under `root`.
    function verifyInclusion(bytes memory key, bytes memory value, bytes[] memory proof, bytes32 root)
        internal
        pure
        returns (bool)
    {
        return MerkleTrie.verifyInclusion(_trieKey(key), value, proof, root);
    }

    function _trieKey(bytes memory key) private pure returns (bytes memory) {
        return abi.encodePacked(keccak256(key));
    }
}
