// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @notice One RLP item in memory, header included: `ptr << 128 | length`. Items are windows
///         onto memory that the reader never copies unless asked (`readBytes`, `readRawBytes`).
type RLPItem is uint256;

using RLPReader for RLPItem global;

/// @title RLPReader
/// @notice Strict, zero-copy reading of RLP (Yellow Paper, appendix B) from memory, for the
///         Merkle-Patricia proofs the L1 contracts check. Only canonical encodings are accepted,
///         so every byte string has at most one reading:
///           - a single byte below 0x80 is its own encoding (`0x81 0x05` is refused);
///           - a payload of 0..55 bytes uses the short form (a long form for it is refused);
///           - a long-form length has no leading zero byte;
///           - an item never claims more bytes than there are, and a top-level item is exactly
///             the input (no trailing bytes).
/// @dev    Items returned by `readList` point into their parent's memory. An `RLPItem` is a
///         packed word rather than a struct so that a list of them is one flat array: decoding
///         a 17-item branch node costs ~3k gas instead of ~30k with an array of structs.
library RLPReader {
    /// @notice Nothing to read where an item must start.
    error RLPEmptyInput();
    /// @notice The header claims `needed` bytes but only `available` are left.
    error RLPTruncated(uint256 needed, uint256 available);
    /// @notice A single byte below 0x80 wrapped in a 0x81 header.
    error RLPNonCanonicalSingleByte();
    /// @notice A long form for a payload shorter than 56 bytes, or a length with a leading zero.
    error RLPNonCanonicalLength();
    /// @notice The input holds `total` bytes but its one item ends after `consumed`.
    error RLPTrailingBytes(uint256 consumed, uint256 total);
    /// @notice A list was expected and a byte string found.
    error RLPNotAList();
    /// @notice A byte string was expected and a list found.
    error RLPNotAString();

    uint256 private constant LENGTH_MASK = (1 << 128) - 1;

    /// @notice The item that `input` encodes; reverts unless `input` is exactly one valid item.
    function toRLPItem(bytes memory input) internal pure returns (RLPItem) {
        uint256 start;
        assembly ("memory-safe") {
            start := add(input, 32)
        }
        (, uint256 offset, uint256 payloadLength) = _decodeHeader(start, input.length);
        if (offset + payloadLength != input.length) revert RLPTrailingBytes(offset + payloadLength, input.length);
        return _item(start, input.length);
    }

    /// @notice The item that starts at `input[pos]` (it may be followed by more bytes).
    function itemAt(bytes memory input, uint256 pos) internal pure returns (RLPItem) {
        if (pos >= input.length) revert RLPEmptyInput();
        uint256 start;
        assembly ("memory-safe") {
            start := add(add(input, 32), pos)
        }
        (, uint256 offset, uint256 payloadLength) = _decodeHeader(start, input.length - pos);
        return _item(start, offset + payloadLength);
    }

    /// @notice Memory address of the item's first (header) byte.
    function ptr(RLPItem item) internal pure returns (uint256) {
        return RLPItem.unwrap(item) >> 128;
    }

    /// @notice Length of the item's whole encoding, header included.
    function length(RLPItem item) internal pure returns (uint256) {
        return RLPItem.unwrap(item) & LENGTH_MASK;
    }

    /// @notice Whether `item` is a list (rather than a byte string).
    function isList(RLPItem item) internal pure returns (bool) {
        if (item.length() == 0) revert RLPEmptyInput();
        return _byteAt(item.ptr()) >= 0xc0;
    }

    /// @notice The items of a list, in order; each points into `item`'s memory.
    function readList(RLPItem item) internal pure returns (RLPItem[] memory items) {
        (bool list, uint256 offset, uint256 payloadLength) = _decodeHeader(item.ptr(), item.length());
        if (!list) revert RLPNotAList();
        // The array grows in place at the free memory pointer, one word per item, and is
        // allocated once its length is known; nothing else allocates memory meanwhile.
        assembly ("memory-safe") {
            items := mload(0x40)
        }
        unchecked {
            uint256 cursor = item.ptr() + offset;
            uint256 end = cursor + payloadLength;
            uint256 slot = 0;
            while (cursor < end) {
                uint256 size = _shortItemSize(cursor);
                if (size == 0) {
                    (, uint256 o, uint256 l) = _decodeHeader(cursor, end - cursor);
                    size = o + l;
                } else if (size > end - cursor) {
                    revert RLPTruncated(size, end - cursor);
                }
                slot += 32;
                assembly ("memory-safe") {
                    mstore(add(items, slot), or(shl(128, cursor), size))
                }
                cursor += size;
            }
            assembly ("memory-safe") {
                mstore(items, shr(5, slot))
                mstore(0x40, add(add(items, 32), slot))
            }
        }
    }

    /// @notice Where a byte string's payload lies in memory, without copying it.
    function stringPayload(RLPItem item) internal pure returns (uint256 payloadPtr, uint256 payloadLength) {
        bool list;
        uint256 offset;
        (list, offset, payloadLength) = _decodeHeader(item.ptr(), item.length());
        if (list) revert RLPNotAString();
        unchecked {
            payloadPtr = item.ptr() + offset;
        }
    }

    /// @notice A copy of a byte string's payload.
    function readBytes(RLPItem item) internal pure returns (bytes memory) {
        (uint256 payloadPtr, uint256 payloadLength) = stringPayload(item);
        return _copy(payloadPtr, payloadLength);
    }

    /// @notice A copy of the item's whole encoding, header included.
    function readRawBytes(RLPItem item) internal pure returns (bytes memory) {
        return _copy(item.ptr(), item.length());
    }

    /// @notice keccak256 of the item's whole encoding (what a trie node's parent commits to).
    function hashRaw(RLPItem item) internal pure returns (bytes32 digest) {
        uint256 start = item.ptr();
        uint256 size = item.length();
        assembly ("memory-safe") {
            digest := keccak256(start, size)
        }
    }

    /// @dev Reads the header of the item at `start`, of which at most `available` bytes exist,
    ///      and checks that its payload fits and that the header is canonical. `offset` is the
    ///      header size; the item occupies `offset + payloadLength` bytes.
    function _decodeHeader(uint256 start, uint256 available)
        private
        pure
        returns (bool list, uint256 offset, uint256 payloadLength)
    {
        if (available == 0) revert RLPEmptyInput();
        uint256 prefix = _byteAt(start);
        unchecked {
            if (prefix < 0x80) return (false, 0, 1); // the byte is its own encoding

            if (prefix < 0xb8) {
                payloadLength = prefix - 0x80;
                if (available - 1 < payloadLength) revert RLPTruncated(1 + payloadLength, available);
                if (payloadLength == 1 && _byteAt(start + 1) < 0x80) revert RLPNonCanonicalSingleByte();
                return (false, 1, payloadLength);
            }

            if (prefix < 0xc0) {
                (offset, payloadLength) = _longLength(start, prefix - 0xb7, available);
                return (false, offset, payloadLength);
            }

            if (prefix < 0xf8) {
                payloadLength = prefix - 0xc0;
                if (available - 1 < payloadLength) revert RLPTruncated(1 + payloadLength, available);
                return (true, 1, payloadLength);
            }

            (offset, payloadLength) = _longLength(start, prefix - 0xf7, available);
            return (true, offset, payloadLength);
        }
    }

    /// @dev A long-form length: `lengthOfLength` (1..8) big-endian bytes after the prefix.
    function _longLength(uint256 start, uint256 lengthOfLength, uint256 available)
        private
        pure
        returns (uint256 offset, uint256 payloadLength)
    {
        unchecked {
            offset = 1 + lengthOfLength;
            if (available < offset) revert RLPTruncated(offset, available);
            if (_byteAt(start + 1) == 0) revert RLPNonCanonicalLength();
            assembly ("memory-safe") {
                payloadLength := shr(sub(256, mul(8, lengthOfLength)), mload(add(start, 1)))
            }
            if (payloadLength < 56) revert RLPNonCanonicalLength();
            // `payloadLength` < 2**64, so `offset + payloadLength` cannot overflow.
            if (available - offset < payloadLength) revert RLPTruncated(offset + payloadLength, available);
        }
    }

    /// @dev Size of the item at `start` when its header is a single byte that needs no further
    ///      check (a byte below 0x80, a short string other than 0x81, a short list); else 0. The
    ///      fast path of `readList`, where branch nodes hold sixteen such items.
    function _shortItemSize(uint256 start) private pure returns (uint256 size) {
        assembly ("memory-safe") {
            let prefix := byte(0, mload(start))
            switch lt(prefix, 0x80)
            case 1 { size := 1 }
            default {
                if and(lt(prefix, 0xb8), iszero(eq(prefix, 0x81))) { size := sub(prefix, 0x7f) }
                if and(gt(prefix, 0xbf), lt(prefix, 0xf8)) { size := sub(prefix, 0xbf) }
            }
        }
    }

    function _item(uint256 start, uint256 size) private pure returns (RLPItem) {
        return RLPItem.wrap(start << 128 | size);
    }

    function _byteAt(uint256 at) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(at))
        }
    }

    function _copy(uint256 src, uint256 size) private pure returns (bytes memory out) {
        out = new bytes(size);
        assembly ("memory-safe") {
            mcopy(add(out, 32), src, size)
        }
    }
}
