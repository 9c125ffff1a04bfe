// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {RLPItem, RLPReader} from "./RLPReader.sol";

/// @title MerkleTrie
/// @notice Verifies Merkle-Patricia trie proofs (Yellow Paper, appendix D): reads the value of
///         `key` in the trie whose root hash is `root`, from the nodes on the key's path.
///
///         Nodes, with keys as nibble strings:
///           leaf       [hexPrefix(rest of key, leaf), value]
///           extension  [hexPrefix(shared nibbles, extension), ref(child)]
///           branch     [ref(child 0), ..., ref(child 15), value]
///           ref(node)  the node's RLP embedded as is when it is shorter than 32 bytes, else
///                      keccak256 of it (a 32-byte string); an empty string means "no child".
///
///         Proof format: the RLP of each node on the key's path, starting at the root (hashed to
///         `root` even when shorter than 32 bytes). A node embedded in its parent may be listed
///         as its own element (py-trie's `get_proof`, the OP Stack's MerkleTrie) or left out
///         (geth's `eth_getProof`): a listed one must equal the bytes embedded in its parent.
///         Both shapes are unambiguous because a node shorter than 32 bytes cannot hold a hash,
///         so once the path enters an embedded node every later node is embedded too.
///
///         Results:
///           - `get` returns the value, or reverts: with `KeyNotFound` when the proof is valid and
///             shows the key absent (the path leaves the trie or ends at an empty value), and with
///             a named error for every malformed or forged proof (wrong hash, bad RLP, bad node,
///             missing or unused proof elements).
///           - `tryGet` is `get` that returns (false, "") instead of reverting `KeyNotFound`: an
///             exclusion proof, which the fault-proof step needs for empty accounts and slots.
///           - `verifyInclusion` compares the proven value with an expected one; it reverts
///             where `get` does, so a `false` always means "present, with another value".
///         Values are never empty: a trie cannot hold an empty value (writing one deletes the key).
library MerkleTrie {
    /// @notice Root of the empty trie, keccak256(rlp("")).
    bytes32 internal constant EMPTY_TRIE_ROOT = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;

    uint256 private constant BRANCH_NODE_ITEMS = 17;
    uint256 private constant SHORT_NODE_ITEMS = 2; // leaf or extension

    /// @notice No proof elements, and the root is not the empty trie's.
    error EmptyProof();
    /// @notice The path goes on to a hashed node but the proof has no element `index`.
    error MissingProofNode(uint256 index);
    /// @notice Proof element `index` is not the node its parent (or, for 0, the root) commits to.
    error InvalidNodeHash(uint256 index);
    /// @notice Proof element `index` (or a node embedded in it) is not a valid trie node.
    error InvalidNode(uint256 index);
    /// @notice The path ended at proof element `used - 1`, but `given` elements were supplied.
    error UnusedProofNodes(uint256 used, uint256 given);
    /// @notice The proof is valid and shows that `key` is not in the trie.
    error KeyNotFound(bytes key);

    /// @notice The value of `key` in the trie with root `root`; reverts unless `proof` proves it.
    function get(bytes memory key, bytes[] memory proof, bytes32 root) internal pure returns (bytes memory value) {
        bool exists;
        (exists, value) = tryGet(key, proof, root);
        if (!exists) revert KeyNotFound(key);
    }

    /// @notice Whether `proof` proves `key` holds exactly `value` under `root`. Reverts on any
    ///         proof that is malformed or proves the key absent, as `get` does.
    function verifyInclusion(bytes memory key, bytes memory value, bytes[] memory proof, bytes32 root)
        internal
        pure
        returns (bool)
    {
        return keccak256(get(key, proof, root)) == keccak256(value);
    }

    /// @notice (true, value) if `proof` proves `key` present, (false, "") if it proves it absent;
    ///         reverts on a malformed or forged proof.
    function tryGet(bytes memory key, bytes[] memory proof, bytes32 root)
        internal
        pure
        returns (bool exists, bytes memory value)
    {
        if (proof.length == 0) {
            // geth proves a key of an empty trie with no nodes at all.
            if (root == EMPTY_TRIE_ROOT) return (false, "");
            revert EmptyProof();
        }
        uint256 keyPtr;
        assembly ("memory-safe") {
            keyPtr := add(key, 32)
        }
        Cursor memory cursor = Cursor({keyNibblePtr: keyPtr * 2, keyNibbles: key.length * 2, matched: 0, index: 0});

        RLPItem node = _hashedNode(proof, 0, root);
        if (node.length() == 1 && _byteAt(node.ptr()) == 0x80) {
            // The empty trie's root node, rlp(""): nothing is in it.
            return _end(cursor, proof.length, false, "");
        }
        while (true) {
            RLPItem[] memory items = node.readList();
            Step step;
            RLPItem next;
            if (items.length == BRANCH_NODE_ITEMS) (step, next) = _branchStep(items, cursor);
            else if (items.length == SHORT_NODE_ITEMS) (step, next) = _shortStep(items, cursor);
            else revert InvalidNode(cursor.index);

            if (step == Step.Found) return _end(cursor, proof.length, true, next.readBytes());
            if (step == Step.Absent) return _end(cursor, proof.length, false, "");
            bool present;
            (present, node) = _follow(next, proof, cursor);
            if (!present) return _end(cursor, proof.length, false, "");
        }
    }

    /// @dev Where the walk down the trie stands. Nibble addresses are byte addresses times two
    ///      (plus one for a byte's low nibble), so a nibble string is walked like a byte string.
    struct Cursor {
        uint256 keyNibblePtr; // nibble address of the key's first nibble
        uint256 keyNibbles; //   length of the key in nibbles
        uint256 matched; //      nibbles of the key consumed by the path so far
        uint256 index; //        proof element holding the current node
    }

    /// @dev What a node says about the key: go on to a child, here is the value, or no such key.
    enum Step {
        Descend,
        Found,
        Absent
    }

    /// @dev A branch: the key ends here (value slot) or goes on through the child of its next nibble.
    function _branchStep(RLPItem[] memory items, Cursor memory cursor) private pure returns (Step, RLPItem) {
        if (cursor.matched == cursor.keyNibbles) {
            RLPItem valueItem = items[16];
            (, uint256 valueLength) = valueItem.stringPayload();
            return (valueLength == 0 ? Step.Absent : Step.Found, valueItem);
        }
        RLPItem child = items[_nibbleAt(cursor.keyNibblePtr + cursor.matched)];
        cursor.matched += 1;
        return (Step.Descend, child);
    }

    /// @dev A leaf (the rest of the key must equal its path) or an extension (its path must be
    ///      a prefix of the rest of the key).
    function _shortStep(RLPItem[] memory items, Cursor memory cursor) private pure returns (Step, RLPItem) {
        (uint256 pathNibblePtr, uint256 pathNibbles, bool isLeaf) = _hexPrefix(items[0], cursor.index);
        uint256 remaining = cursor.keyNibbles - cursor.matched;
        bool onPath =
            pathNibbles <= remaining && _matches(cursor.keyNibblePtr + cursor.matched, pathNibblePtr, pathNibbles);
        if (isLeaf) {
            if (!onPath || pathNibbles != remaining) return (Step.Absent, items[1]);
            (, uint256 valueLength) = items[1].stringPayload();
            if (valueLength == 0) revert InvalidNode(cursor.index); // a trie holds no empty values
            return (Step.Found, items[1]);
        }
        if (pathNibbles == 0) revert InvalidNode(cursor.index); // an extension shares >= 1 nibble
        if (!onPath) return (Step.Absent, items[1]);
        // An extension always leads to a node: an empty or one-byte string is no reference.
        if (!items[1].isList() && items[1].length() == 1) revert InvalidNode(cursor.index);
        cursor.matched += pathNibbles;
        return (Step.Descend, items[1]);
    }

    /// @dev Resolves a child reference: embedded (a list shorter than 32 bytes), a 32-byte hash
    ///      of the next proof element, or empty (no child: the key is absent).
    function _follow(RLPItem ref, bytes[] memory proof, Cursor memory cursor)
        private
        pure
        returns (bool present, RLPItem node)
    {
        if (ref.isList()) {
            if (ref.length() >= 32) revert InvalidNode(cursor.index); // must have been hashed
            if (cursor.index + 1 < proof.length) {
                // Listed as its own element too: it must be exactly the embedded bytes.
                cursor.index += 1;
                bytes memory listed = proof[cursor.index];
                if (listed.length != ref.length() || keccak256(listed) != ref.hashRaw()) {
                    revert InvalidNodeHash(cursor.index);
                }
            }
            return (true, ref);
        }
        (uint256 refPtr, uint256 refLength) = ref.stringPayload();
        if (refLength == 0) return (false, ref); // empty branch slot
        if (refLength != 32) revert InvalidNode(cursor.index);
        bytes32 childHash;
        assembly ("memory-safe") {
            childHash := mload(refPtr)
        }
        cursor.index += 1;
        if (cursor.index == proof.length) revert MissingProofNode(cursor.index);
        return (true, _hashedNode(proof, cursor.index, childHash));
    }

    /// @dev Proof element `index`, checked against the hash its parent (or the root) commits to.
    function _hashedNode(bytes[] memory proof, uint256 index, bytes32 expected) private pure returns (RLPItem) {
        bytes memory encoded = proof[index];
        if (keccak256(encoded) != expected) revert InvalidNodeHash(index);
        return RLPReader.toRLPItem(encoded);
    }

    /// @dev The path ended at proof element `cursor.index`: every element must have been used.
    function _end(Cursor memory cursor, uint256 proofLength, bool exists, bytes memory value)
        private
        pure
        returns (bool, bytes memory)
    {
        if (cursor.index + 1 != proofLength) revert UnusedProofNodes(cursor.index + 1, proofLength);
        return (exists, value);
    }

    /// @dev Decodes a hex-prefix path (Yellow Paper, appendix C): flag nibble 0/1 extension,
    ///      2/3 leaf; an odd flag means an odd number of nibbles, the first beside the flag, an
    ///      even one a zero padding nibble. Returns the nibble address of the path's first nibble,
    ///      the path's length in nibbles, and whether the node is a leaf.
    function _hexPrefix(RLPItem encodedPath, uint256 index)
        private
        pure
        returns (uint256 pathNibblePtr, uint256 pathNibbles, bool isLeaf)
    {
        (uint256 ptr, uint256 length) = encodedPath.stringPayload();
        if (length == 0) revert InvalidNode(index);
        uint256 first = _byteAt(ptr);
        uint256 flag = first >> 4;
        if (flag > 3) revert InvalidNode(index);
        isLeaf = flag >= 2;
        if (flag & 1 == 1) {
            pathNibbles = 2 * length - 1;
            pathNibblePtr = ptr * 2 + 1;
        } else {
            if (first & 0x0f != 0) revert InvalidNode(index);
            pathNibbles = 2 * length - 2;
            pathNibblePtr = ptr * 2 + 2;
        }
    }

    /// @dev Whether the `count` nibbles at nibble addresses `a` and `b` are equal. Compares up to
    ///      63 nibbles per step: a word loaded at the nibble's byte, shifted left by a nibble when
    ///      the address is odd, and masked to the nibbles still to compare.
    function _matches(uint256 a, uint256 b, uint256 count) private pure returns (bool equal) {
        assembly ("memory-safe") {
            equal := 1
            for {} gt(count, 0) {} {
                let n := count
                if gt(n, 63) { n := 63 }
                // the top 4n bits set
                let mask := not(sub(shl(sub(256, mul(4, n)), 1), 1))
                let wa := and(shl(mul(4, and(a, 1)), mload(shr(1, a))), mask)
                let wb := and(shl(mul(4, and(b, 1)), mload(shr(1, b))), mask)
                if iszero(eq(wa, wb)) {
                    equal := 0
                    break
                }
                a := add(a, n)
                b := add(b, n)
                count := sub(count, n)
            }
        }
    }

    /// @dev The nibble at nibble address `nibblePtr`.
    function _nibbleAt(uint256 nibblePtr) private pure returns (uint256 nibble) {
        assembly ("memory-safe") {
            let b := byte(0, mload(shr(1, nibblePtr)))
            nibble := and(shr(mul(4, iszero(and(nibblePtr, 1))), b), 0x0f)
        }
    }

    function _byteAt(uint256 ptr) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(ptr))
        }
    }
}
