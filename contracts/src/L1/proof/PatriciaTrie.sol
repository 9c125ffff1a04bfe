// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {NodeSet} from "./NodeSet.sol";

/// @title PatriciaTrie
/// @notice Ethereum's Merkle-Patricia trie (Yellow Paper, appendix D) over a `NodeSet`: get,
///         insert, update and delete, each from a root hash to a root hash. Nodes the walk needs
///         are looked up in the set by hash (or read in place when embedded, under 32 bytes);
///         every node an update creates is added to the set, so updates chain. Semantics are
///         py-trie's `HexaryTrie`: a value of zero length is a delete; a branch left with one
///         entry collapses into a leaf or an extension (which merges with a parent extension);
///         the root node is hashed whatever its size; the empty trie's root is `EMPTY_ROOT`.
///
///         Deleting a key that leaves a branch with a single remaining child reads that child
///         (the sibling of the deleted path) to know whether the branch becomes a leaf, an
///         extension or an extension over a branch: a delete needs the nodes on the key's path
///         plus, for every branch it leaves with one child, that child (docs/fault-proofs.md).
///
///         Walks are iterative (a stack in memory), so a deep adversarial path cannot exhaust the
///         EVM stack. The `secure*` functions hash the key with keccak256 first (state and
///         storage tries); they also refuse a value in a branch, which keys of one fixed length
///         can never produce.
library PatriciaTrie {
    bytes32 internal constant EMPTY_ROOT = 0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421;

    uint256 private constant BLANK = 0;
    uint256 private constant LEAF = 1;
    uint256 private constant EXTENSION = 2;
    uint256 private constant BRANCH = 3;

    /// @notice A decoded node. References (`child`, `children`) are raw RLP items as the node holds
    ///         them: 0x80 (empty), 0xa0 ‖ hash, or an embedded node's own encoding.
    struct Node {
        uint256 kind;
        bytes path; //        leaf, extension: the path, one nibble per byte
        bytes value; //       leaf: the value; branch: the value (empty = none)
        bytes child; //       extension: reference to the child (a branch)
        bytes[] children; //  branch: the 16 references
    }

    /// @notice The nodes from the root down to where the key's walk stopped; `offsets[i]` is the
    ///         number of key nibbles consumed before `stack[i]`.
    struct Walk {
        Node[] stack;
        uint256[] offsets;
        uint256 depth;
    }

    /// @notice A node (or an item of one) is not valid RLP: truncated, trailing bytes, or a
    ///         non-canonical length or single byte.
    error BadRLP();
    /// @notice A node is an RLP string, not a list.
    error NodeNotAList();
    /// @notice A node is a list of neither 2 (leaf, extension) nor 17 (branch) items.
    error BadNodeItemCount(uint256 count);
    /// @notice A leaf's or extension's path is not hex-prefix encoded (empty, a flag nibble above 3,
    ///         or an even path whose padding nibble is not 0), or is a list.
    error BadHexPrefix();
    /// @notice An extension with an empty path.
    error EmptyExtensionPath();
    /// @notice A child reference is neither empty, a 32-byte hash, nor an embedded node under 32
    ///         bytes.
    error BadChildReference();
    /// @notice An extension whose child is not a branch.
    error ExtensionChildNotBranch();
    /// @notice A leaf's value or a branch's value item is a list.
    error ValueNotAString();
    /// @notice A leaf with an empty value (the trie holds no empty values).
    error EmptyLeafValue();
    /// @notice A branch holds a value in a trie whose keys all have one length (a secure trie),
    ///         where every key is longer than the path to any branch.
    error ValueInBranch();
    /// @notice A branch with fewer than two entries (found when a delete leaves it with none).
    error DegenerateBranch();

    // ---- public operations -----------------------------------------------------------------

    /// @notice The value under `key`, empty if the trie holds none.
    function get(NodeSet.Set memory s, bytes32 root, bytes memory key) internal pure returns (bytes memory) {
        return _get(s, root, _nibbles(key), false);
    }

    /// @notice Sets `key` to `value` (insert or update; an empty `value` deletes); the new root.
    function update(NodeSet.Set memory s, bytes32 root, bytes memory key, bytes memory value)
        internal
        pure
        returns (bytes32)
    {
        if (value.length == 0) return _remove(s, root, _nibbles(key), false);
        return _set(s, root, _nibbles(key), value, false);
    }

    /// @notice Deletes `key` (no change if absent); the new root.
    function remove(NodeSet.Set memory s, bytes32 root, bytes memory key) internal pure returns (bytes32) {
        return _remove(s, root, _nibbles(key), false);
    }

    /// @notice `get` under keccak256(key).
    function secureGet(NodeSet.Set memory s, bytes32 root, bytes memory key) internal pure returns (bytes memory) {
        return _get(s, root, _hashedNibbles(key), true);
    }

    /// @notice `update` under keccak256(key).
    function secureUpdate(NodeSet.Set memory s, bytes32 root, bytes memory key, bytes memory value)
        internal
        pure
        returns (bytes32)
    {
        if (value.length == 0) return _remove(s, root, _hashedNibbles(key), true);
        return _set(s, root, _hashedNibbles(key), value, true);
    }

    /// @notice `remove` under keccak256(key).
    function secureRemove(NodeSet.Set memory s, bytes32 root, bytes memory key) internal pure returns (bytes32) {
        return _remove(s, root, _hashedNibbles(key), true);
    }

    // ---- the three walks -------------------------------------------------------------------

    function _get(NodeSet.Set memory s, bytes32 root, bytes memory key, bool strict)
        private
        pure
        returns (bytes memory)
    {
        Walk memory w = _walk(s, root, key, strict);
        Node memory bottom = w.stack[w.depth - 1];
        uint256 offset = w.offsets[w.depth - 1];
        if (bottom.kind == LEAF && _equalsAt(bottom.path, key, offset)) return bottom.value;
        if (bottom.kind == BRANCH && offset == key.length) return bottom.value;
        return "";
    }

    function _set(NodeSet.Set memory s, bytes32 root, bytes memory key, bytes memory value, bool strict)
        private
        pure
        returns (bytes32)
    {
        Walk memory w = _walk(s, root, key, strict);
        Node memory n = w.stack[w.depth - 1];
        uint256 offset = w.offsets[w.depth - 1];
        if (n.kind == BLANK) {
            n = _leaf(_slice(key, offset, key.length), value);
        } else if (n.kind == BRANCH) {
            if (offset == key.length) {
                n.value = value;
            } else {
                n.children[uint8(key[offset])] = _ref(s, _leaf(_slice(key, offset + 1, key.length), value));
            }
        } else if (n.kind == LEAF && _equalsAt(n.path, key, offset)) {
            n.value = value;
        } else {
            n = _split(s, n, _slice(key, offset, key.length), value);
        }
        for (uint256 i = w.depth - 1; i > 0; --i) {
            Node memory parent = w.stack[i - 1];
            if (parent.kind == BRANCH) {
                parent.children[uint8(key[w.offsets[i - 1]])] = _ref(s, n);
            } else {
                parent.child = _ref(s, n);
            }
            n = parent;
        }
        return _rootOf(s, n);
    }

    function _remove(NodeSet.Set memory s, bytes32 root, bytes memory key, bool strict)
        private
        pure
        returns (bytes32)
    {
        Walk memory w = _walk(s, root, key, strict);
        Node memory n = w.stack[w.depth - 1];
        uint256 offset = w.offsets[w.depth - 1];
        if (n.kind == LEAF && _equalsAt(n.path, key, offset)) {
            n = Node(BLANK, "", "", "", new bytes[](0));
        } else if (n.kind == BRANCH && offset == key.length && n.value.length != 0) {
            n.value = "";
            n = _normalize(s, n, strict);
        } else {
            return root; // the key is absent: nothing to delete
        }
        for (uint256 i = w.depth - 1; i > 0; --i) {
            Node memory parent = w.stack[i - 1];
            if (parent.kind == BRANCH) {
                uint256 nibble = uint8(key[w.offsets[i - 1]]);
                if (n.kind == BLANK) {
                    parent.children[nibble] = hex"80";
                    n = _normalize(s, parent, strict);
                } else {
                    parent.children[nibble] = _ref(s, n);
                    n = parent;
                }
            } else if (n.kind == LEAF) {
                n = _leaf(bytes.concat(parent.path, n.path), n.value);
            } else if (n.kind == EXTENSION) {
                n = _extension(bytes.concat(parent.path, n.path), n.child);
            } else if (n.kind == BRANCH) {
                parent.child = _ref(s, n);
                n = parent;
            } else {
                revert DegenerateBranch(); // unreachable: _normalize refuses an emptied branch
            }
        }
        if (n.kind == BLANK) return EMPTY_ROOT;
        return _rootOf(s, n);
    }

    /// @notice Follows `key` from the root as far as the trie has it.
    function _walk(NodeSet.Set memory s, bytes32 root, bytes memory key, bool strict)
        private
        pure
        returns (Walk memory w)
    {
        // Each step consumes at least one nibble, so key.length + 1 nodes at most. The arrays are
        // allocated without initialising elements: only the first `depth` are ever read.
        uint256 capacity = key.length + 1;
        Node[] memory stack;
        uint256[] memory offsets;
        assembly ("memory-safe") {
            stack := mload(0x40)
            mstore(stack, capacity)
            offsets := add(stack, mul(add(capacity, 1), 0x20))
            mstore(offsets, capacity)
            mstore(0x40, add(offsets, mul(add(capacity, 1), 0x20)))
        }
        w.stack = stack;
        w.offsets = offsets;
        Node memory node;
        if (root == EMPTY_ROOT) {
            node = Node(BLANK, "", "", "", new bytes[](0));
        } else {
            node = _decode(NodeSet.get(s, root), strict);
        }
        uint256 offset = 0;
        uint256 depth = 0;
        while (true) {
            stack[depth] = node;
            offsets[depth] = offset;
            depth += 1;
            if (node.kind == EXTENSION) {
                if (!_hasPrefixAt(key, offset, node.path)) break;
                offset += node.path.length;
                node = _resolve(s, node.child, strict);
                if (node.kind != BRANCH) revert ExtensionChildNotBranch();
            } else if (node.kind == BRANCH) {
                if (offset == key.length) break;
                bytes memory ref = node.children[uint8(key[offset])];
                if (ref.length == 1) break; // 0x80: no child under this nibble
                offset += 1;
                node = _resolve(s, ref, strict);
            } else {
                break;
            }
        }
        w.depth = depth;
    }

    /// @notice Replaces leaf or extension `old` by the branch (under an extension when they share a
    ///         prefix) that holds both it and a new leaf for `rest` -> `value`.
    function _split(NodeSet.Set memory s, Node memory old, bytes memory rest, bytes memory value)
        private
        pure
        returns (Node memory)
    {
        bytes memory path = old.path;
        uint256 common = _commonPrefix(path, rest);
        Node memory branch = _emptyBranch();
        if (common == path.length) {
            branch.value = old.value; // a leaf whose path is a proper prefix of the key
        } else if (old.kind == LEAF) {
            branch.children[uint8(path[common])] = _ref(s, _leaf(_slice(path, common + 1, path.length), old.value));
        } else if (common + 1 == path.length) {
            branch.children[uint8(path[common])] = old.child;
        } else {
            branch.children[uint8(path[common])] =
                _ref(s, _extension(_slice(path, common + 1, path.length), old.child));
        }
        if (common == rest.length) {
            branch.value = value;
        } else {
            branch.children[uint8(rest[common])] = _ref(s, _leaf(_slice(rest, common + 1, rest.length), value));
        }
        if (common == 0) return branch;
        return _extension(_slice(rest, 0, common), _ref(s, branch));
    }

    /// @notice A branch after one of its entries was removed: kept if two or more entries remain,
    ///         else collapsed into a leaf (its value alone) or merged with its one remaining child,
    ///         which is read from the set for that (the sibling a delete needs).
    function _normalize(NodeSet.Set memory s, Node memory branch, bool strict) private pure returns (Node memory) {
        uint256 entries = branch.value.length == 0 ? 0 : 1;
        uint256 only = 16;
        for (uint256 i = 0; i < 16; ++i) {
            if (branch.children[i].length != 1) {
                entries += 1;
                only = i;
            }
        }
        if (entries >= 2) return branch;
        if (entries == 0) revert DegenerateBranch();
        if (only == 16) return _leaf("", branch.value);
        bytes memory ref = branch.children[only];
        Node memory child = _resolve(s, ref, strict);
        if (child.kind == LEAF) return _leaf(_prepend(only, child.path), child.value);
        if (child.kind == EXTENSION) return _extension(_prepend(only, child.path), child.child);
        return _extension(_prepend(only, ""), ref);
    }

    // ---- nodes: references, decoding, encoding ---------------------------------------------

    function _resolve(NodeSet.Set memory s, bytes memory ref, bool strict) private pure returns (Node memory) {
        if (ref.length == 33) return _decode(NodeSet.get(s, _hashOfRef(ref)), strict);
        return _decode(ref, strict); // embedded (validated as < 32 bytes when its parent was decoded)
    }

    function _hashOfRef(bytes memory ref) private pure returns (bytes32 hash) {
        assembly ("memory-safe") {
            hash := mload(add(ref, 33))
        }
    }

    /// @notice The reference a parent holds to `node`: the node itself if under 32 bytes, else its
    ///         hash (the node is added to the set).
    function _ref(NodeSet.Set memory s, Node memory node) private pure returns (bytes memory) {
        bytes memory encoded = _encode(node);
        if (encoded.length < 32) return encoded;
        bytes32 hash = keccak256(encoded);
        NodeSet.add(s, hash, encoded);
        return abi.encodePacked(bytes1(0xa0), hash);
    }

    /// @notice The root hash of a trie whose root node is `node` (hashed whatever its size).
    function _rootOf(NodeSet.Set memory s, Node memory node) private pure returns (bytes32 hash) {
        bytes memory encoded = _encode(node);
        hash = keccak256(encoded);
        NodeSet.add(s, hash, encoded);
    }

    function _decode(bytes memory encoded, bool strict) private pure returns (Node memory node) {
        (uint256 start, uint256 length, bool isList, uint256 end) = _item(encoded, 0, encoded.length);
        if (!isList) revert NodeNotAList();
        if (end != encoded.length) revert BadRLP();
        uint256[18] memory at; // item boundaries: item i is encoded[at[i] .. at[i+1])
        uint256 count = 0;
        uint256 cursor = start;
        end = start + length;
        while (cursor < end) {
            if (count < 17) at[count] = cursor;
            (,,, cursor) = _item(encoded, cursor, end);
            count += 1;
        }
        if (count != 2 && count != 17) revert BadNodeItemCount(count);
        at[count] = end;
        if (count == 17) {
            node.kind = BRANCH;
            node.children = new bytes[](16);
            for (uint256 i = 0; i < 16; ++i) {
                node.children[i] = _reference(encoded, at[i], at[i + 1]);
            }
            node.value = _string(encoded, at[16]);
            if (strict && node.value.length != 0) revert ValueInBranch();
            return node;
        }
        (uint256 pathStart, uint256 pathLength, bool pathIsList,) = _item(encoded, at[0], at[1]);
        if (pathIsList || pathLength == 0) revert BadHexPrefix();
        bool isLeaf;
        (node.path, isLeaf) = _hexPrefixDecode(encoded, pathStart, pathLength);
        if (isLeaf) {
            node.kind = LEAF;
            node.value = _string(encoded, at[1]);
            if (node.value.length == 0) revert EmptyLeafValue();
        } else {
            if (node.path.length == 0) revert EmptyExtensionPath();
            node.kind = EXTENSION;
            node.child = _reference(encoded, at[1], at[2]);
            if (node.child.length == 1) revert BadChildReference(); // an extension to nothing
        }
    }

    /// @notice The raw item encoded[from .. to) as a child reference, checked: 0x80, a 32-byte
    ///         string, or a list under 32 bytes.
    function _reference(bytes memory encoded, uint256 from, uint256 to) private pure returns (bytes memory) {
        uint256 first = uint8(encoded[from]);
        uint256 size = to - from;
        if (first >= 0xc0) {
            if (size >= 32) revert BadChildReference();
        } else if (!(first == 0x80 || (first == 0xa0 && size == 33))) {
            revert BadChildReference();
        }
        return _slice(encoded, from, to);
    }

    /// @notice The payload of the string item at `from` (a list reverts `ValueNotAString`).
    function _string(bytes memory encoded, uint256 from) private pure returns (bytes memory) {
        (uint256 start, uint256 length, bool isList,) = _item(encoded, from, encoded.length);
        if (isList) revert ValueNotAString();
        return _slice(encoded, start, start + length);
    }

    function _hexPrefixDecode(bytes memory encoded, uint256 start, uint256 length)
        private
        pure
        returns (bytes memory path, bool isLeaf)
    {
        uint256 first = uint8(encoded[start]);
        uint256 flag = first >> 4;
        if (flag > 3) revert BadHexPrefix();
        bool odd = flag & 1 == 1;
        if (!odd && first & 0x0f != 0) revert BadHexPrefix();
        isLeaf = flag >= 2;
        uint256 count = 2 * (length - 1) + (odd ? 1 : 0);
        path = new bytes(count);
        uint256 j = 0;
        if (odd) path[j++] = bytes1(uint8(first & 0x0f));
        for (uint256 i = 1; i < length; ++i) {
            uint256 b = uint8(encoded[start + i]);
            path[j++] = bytes1(uint8(b >> 4));
            path[j++] = bytes1(uint8(b & 0x0f));
        }
    }

    function _encode(Node memory node) private pure returns (bytes memory) {
        if (node.kind == LEAF) {
            return _list(bytes.concat(_encodeString(_hexPrefix(node.path, true)), _encodeString(node.value)));
        }
        if (node.kind == EXTENSION) {
            return _list(bytes.concat(_encodeString(_hexPrefix(node.path, false)), node.child));
        }
        // branch: the 16 references and the value, copied into one payload
        bytes memory value = _encodeString(node.value);
        uint256 total = value.length;
        for (uint256 i = 0; i < 16; ++i) {
            total += node.children[i].length;
        }
        bytes memory payload = new bytes(total);
        uint256 out;
        assembly ("memory-safe") {
            out := add(payload, 32)
        }
        for (uint256 i = 0; i < 16; ++i) {
            out = _copy(node.children[i], out);
        }
        _copy(value, out);
        return _list(payload);
    }

    function _hexPrefix(bytes memory path, bool isLeaf) private pure returns (bytes memory encoded) {
        uint256 count = path.length;
        bool odd = count % 2 == 1;
        encoded = new bytes(count / 2 + 1);
        uint256 flag = (isLeaf ? 2 : 0) + (odd ? 1 : 0);
        uint256 i = 0;
        if (odd) {
            encoded[0] = bytes1(uint8((flag << 4) | uint8(path[0])));
            i = 1;
        } else {
            encoded[0] = bytes1(uint8(flag << 4));
        }
        for (uint256 j = 1; i < count; ++j) {
            encoded[j] = bytes1((uint8(path[i]) << 4) | uint8(path[i + 1]));
            i += 2;
        }
    }

    // ---- RLP ---------------------------------------------------------------------------------

    /// @notice The item at encoded[from] (which must end by `limit`): its payload's start and
    ///         length, whether it is a list, and where it ends. Strictly canonical.
    function _item(bytes memory encoded, uint256 from, uint256 limit)
        private
        pure
        returns (uint256 start, uint256 length, bool isList, uint256 end)
    {
        if (from >= limit) revert BadRLP();
        uint256 prefix = uint8(encoded[from]);
        if (prefix < 0x80) return (from, 1, false, from + 1);
        if (prefix < 0xb8) {
            (start, length) = (from + 1, prefix - 0x80);
        } else if (prefix < 0xc0) {
            (start, length) = _longLength(encoded, from, prefix - 0xb7, limit);
        } else if (prefix < 0xf8) {
            (start, length, isList) = (from + 1, prefix - 0xc0, true);
        } else {
            (start, length) = _longLength(encoded, from, prefix - 0xf7, limit);
            isList = true;
        }
        end = start + length;
        if (end > limit) revert BadRLP();
        if (!isList && length == 1 && uint8(encoded[start]) < 0x80) revert BadRLP(); // single byte as 0x81 b
    }

    function _longLength(bytes memory encoded, uint256 from, uint256 lengthOfLength, uint256 limit)
        private
        pure
        returns (uint256 start, uint256 length)
    {
        start = from + 1 + lengthOfLength;
        if (lengthOfLength > 8 || start > limit || uint8(encoded[from + 1]) == 0) revert BadRLP();
        for (uint256 i = from + 1; i < start; ++i) {
            length = (length << 8) | uint8(encoded[i]);
        }
        if (length < 56) revert BadRLP();
    }

    function _encodeString(bytes memory payload) private pure returns (bytes memory) {
        if (payload.length == 1 && uint8(payload[0]) < 0x80) return payload;
        return bytes.concat(_header(0x80, payload.length), payload);
    }

    function _list(bytes memory payload) private pure returns (bytes memory) {
        return bytes.concat(_header(0xc0, payload.length), payload);
    }

    function _header(uint256 offset, uint256 length) private pure returns (bytes memory) {
        if (length < 56) return abi.encodePacked(bytes1(uint8(offset + length)));
        uint256 lengthOfLength = 0;
        for (uint256 l = length; l != 0; l >>= 8) {
            lengthOfLength += 1;
        }
        bytes memory header = new bytes(1 + lengthOfLength);
        header[0] = bytes1(uint8(offset + 55 + lengthOfLength));
        for (uint256 i = 0; i < lengthOfLength; ++i) {
            header[lengthOfLength - i] = bytes1(uint8(length >> (8 * i)));
        }
        return header;
    }

    // ---- nibbles and bytes ---------------------------------------------------------------------

    function _nibbles(bytes memory key) private pure returns (bytes memory nibbles) {
        nibbles = new bytes(key.length * 2);
        for (uint256 i = 0; i < key.length; ++i) {
            uint8 b = uint8(key[i]);
            nibbles[2 * i] = bytes1(b >> 4);
            nibbles[2 * i + 1] = bytes1(b & 0x0f);
        }
    }

    function _hashedNibbles(bytes memory key) private pure returns (bytes memory) {
        return _nibbles(abi.encodePacked(keccak256(key)));
    }

    function _leaf(bytes memory path, bytes memory value) private pure returns (Node memory node) {
        node.kind = LEAF;
        node.path = path;
        node.value = value;
    }

    function _extension(bytes memory path, bytes memory child) private pure returns (Node memory node) {
        node.kind = EXTENSION;
        node.path = path;
        node.child = child;
    }

    function _emptyBranch() private pure returns (Node memory node) {
        node.kind = BRANCH;
        node.children = new bytes[](16);
        bytes memory empty = hex"80";
        for (uint256 i = 0; i < 16; ++i) {
            node.children[i] = empty; // shared: references are replaced, never written into
        }
    }

    function _prepend(uint256 nibble, bytes memory path) private pure returns (bytes memory) {
        return bytes.concat(bytes1(uint8(nibble)), path);
    }

    function _slice(bytes memory data, uint256 from, uint256 to) private pure returns (bytes memory out) {
        uint256 length = to - from;
        out = new bytes(length);
        assembly ("memory-safe") {
            mcopy(add(out, 32), add(add(data, 32), from), length)
        }
    }

    /// @notice Copies `data` to memory at `out`; returns the address after it.
    function _copy(bytes memory data, uint256 out) private pure returns (uint256) {
        assembly ("memory-safe") {
            mcopy(out, add(data, 32), mload(data))
            out := add(out, mload(data))
        }
        return out;
    }

    function _commonPrefix(bytes memory a, bytes memory b) private pure returns (uint256 i) {
        uint256 limit = a.length < b.length ? a.length : b.length;
        while (i < limit && a[i] == b[i]) ++i;
    }

    /// @notice Whether key[offset..] starts with `path`.
    function _hasPrefixAt(bytes memory key, uint256 offset, bytes memory path) private pure returns (bool) {
        if (key.length - offset < path.length) return false;
        for (uint256 i = 0; i < path.length; ++i) {
            if (key[offset + i] != path[i]) return false;
        }
        return true;
    }

    /// @notice Whether key[offset..] equals `path`.
    function _equalsAt(bytes memory path, bytes memory key, uint256 offset) private pure returns (bool) {
        return key.length - offset == path.length && _hasPrefixAt(key, offset, path);
    }
}
