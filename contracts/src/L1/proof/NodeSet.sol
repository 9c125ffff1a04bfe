// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title NodeSet
/// @notice The witness of the one-step proof as an in-memory hash table: an unordered set of
///         RLP-encoded trie nodes, each found by its keccak256 hash. Open addressing with linear
///         probing over a power-of-two table kept at most half full (it doubles when a node added by
///         an update would fill it past that), so a lookup costs one or two probes. A node is
///         never copied: the table holds the memory pointers of the witness's own `bytes`.
///         Hash 0 marks an empty slot (no node hashes to 0).
library NodeSet {
    struct Set {
        bytes32[] hashes; // table of hashes, 0 = empty slot; length is a power of two
        bytes[] nodes; //    nodes[i] is the node whose hash is hashes[i]
        uint256 count;
    }

    /// @notice The walk needs the node with this hash and the witness does not hold it.
    error MissingTrieNode(bytes32 hash);

    /// @notice A set holding `nodes`, with room for `extra` more before it first grows.
    ///         Duplicate nodes are allowed and kept once.
    function fromNodes(bytes[] memory nodes, uint256 extra) internal pure returns (Set memory s) {
        uint256 capacity = 16;
        while (capacity < 2 * (nodes.length + extra)) capacity <<= 1;
        s.hashes = new bytes32[](capacity);
        s.nodes = new bytes[](capacity);
        for (uint256 i = 0; i < nodes.length; ++i) {
            add(s, keccak256(nodes[i]), nodes[i]);
        }
    }

    /// @notice Adds `node` under `hash` (the caller computed hash = keccak256(node)).
    function add(Set memory s, bytes32 hash, bytes memory node) internal pure {
        if (2 * (s.count + 1) > s.hashes.length) _grow(s);
        uint256 mask = s.hashes.length - 1;
        uint256 i = uint256(hash) & mask;
        bytes32[] memory hashes = s.hashes;
        while (true) {
            bytes32 h = hashes[i];
            if (h == 0) break;
            if (h == hash) return; // already held
            i = (i + 1) & mask;
        }
        hashes[i] = hash;
        s.nodes[i] = node;
        s.count += 1;
    }

    /// @notice The node whose hash is `hash`, or revert `MissingTrieNode(hash)`.
    function get(Set memory s, bytes32 hash) internal pure returns (bytes memory) {
        bytes32[] memory hashes = s.hashes;
        uint256 mask = hashes.length - 1;
        uint256 i = uint256(hash) & mask;
        while (true) {
            bytes32 h = hashes[i];
            if (h == hash && h != 0) return s.nodes[i];
            if (h == 0) revert MissingTrieNode(hash);
            i = (i + 1) & mask;
        }
        revert MissingTrieNode(hash); // unreachable: the table always has an empty slot
    }

    /// @notice Whether the set holds a node with hash `hash`.
    function contains(Set memory s, bytes32 hash) internal pure returns (bool) {
        bytes32[] memory hashes = s.hashes;
        uint256 mask = hashes.length - 1;
        uint256 i = uint256(hash) & mask;
        while (true) {
            bytes32 h = hashes[i];
            if (h == 0) return false;
            if (h == hash) return true;
            i = (i + 1) & mask;
        }
        return false;
    }

    function _grow(Set memory s) private pure {
        bytes32[] memory oldHashes = s.hashes;
        bytes[] memory oldNodes = s.nodes;
        uint256 capacity = oldHashes.length * 2;
        s.hashes = new bytes32[](capacity);
        s.nodes = new bytes[](capacity);
        s.count = 0;
        for (uint256 i = 0; i < oldHashes.length; ++i) {
            if (oldHashes[i] != 0) add(s, oldHashes[i], oldNodes[i]);
        }
    }
}
