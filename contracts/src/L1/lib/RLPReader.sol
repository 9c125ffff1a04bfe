// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RLPReader
/// @notice Strict, zero-copy reading of RLP (Yellow Paper, appendix B) from memory, for the
///         Merkle-Patricia proofs the L1 contracts check. Only canonical encodings are accepted,
///         so every byte string has at most one reading:
///           - a single byte below 0x80 is its own encoding (`0x81 0x05` is refused);
///           - a payload of 0..55 bytes uses the short form (a long form for it is refused);
///           - a long-form length has no leading zero byte;
///           - an item never claims more bytes than there are, and a top-level item is exactly
///             the input (no trailing bytes).
/// @dev    An `RLPItem` is a window onto memory (`ptr`, `length`) holding one complete encoding,
///         header included. Items returned by `readList` point into their parent's memory; only
///         `readBytes`/`readRawBytes` copy.
library RLPReader {
    /// @notice One RLP item in memory: `length` bytes starting at `ptr`, header included.
    struct RLPItem {
        uint256 ptr;
        uint256 length;
    }

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

    /// @notice The item that `input` encodes; reverts unless `input` is exactly one valid item.
    function toRLPItem(bytes memory input) internal pure returns (RLPItem memory item) {
        uint256 ptr;
        assembly ("memory-safe") {
            ptr := add(input, 32)
        }
        (, uint256 offset, uint256 payloadLength) = _decodeHeader(ptr, input.length);
        if (offset + payloadLength != input.length) revert RLPTrailingBytes(offset + payloadLength, input.length);
        item = RLPItem(ptr, input.length);
    }

    /// @notice Whether `item` is a list (rather than a byte string).
    function isList(RLPItem memory item) internal pure returns (bool) {
        if (item.length == 0) revert RLPEmptyInput();
        return _byteAt(item.ptr) >= 0xc0;
    }

    /// @notice The items of a list, in order; each points into `item`'s memory.
    function readList(RLPItem memory item) internal pure returns (RLPItem[] memory items) {
        (bool list, uint256 offset, uint256 payloadLength) = _decodeHeader(item.ptr, item.length);
        if (!list) revert RLPNotAList();
        uint256 start = item.ptr + offset;
        uint256 end = start + payloadLength;

        // Two passes (count, then fill) so the array is allocated once at its exact size.
        uint256 count;
        uint256 cursor = start;
        while (cursor < end) {
            (, uint256 o, uint256 l) = _decodeHeader(cursor, end - cursor);
            cursor += o + l;
            ++count;
        }
        items = new RLPItem[](count);
        cursor = start;
        for (uint256 i = 0; i < count; ++i) {
            (, uint256 o, uint256 l) = _decodeHeader(cursor, end - cursor);
            items[i] = RLPItem(cursor, o + l);
            cursor += o + l;
        }
    }

    /// @notice Where a byte string's payload lies in memory, without copying it.
    function stringPayload(RLPItem memory item) internal pure returns (uint256 ptr, uint256 length) {
        (bool list, uint256 offset, uint256 payloadLength) = _decodeHeader(item.ptr, item.length);
        if (list) revert RLPNotAString();
        return (item.ptr + offset, payloadLength);
    }

    /// @notice A copy of a byte string's payload.
    function readBytes(RLPItem memory item) internal pure returns (bytes memory out) {
        (uint256 ptr, uint256 length) = stringPayload(item);
        out = _copy(ptr, length);
    }

    /// @notice A copy of the item's whole encoding, header included.
    function readRawBytes(RLPItem memory item) internal pure returns (bytes memory out) {
        out = _copy(item.ptr, item.length);
    }

    /// @notice keccak256 of the item's whole encoding (what a trie node's parent commits to).
    function hashRaw(RLPItem memory item) internal pure returns (bytes32 digest) {
        uint256 ptr = item.ptr;
        uint256 length = item.length;
        assembly ("memory-safe") {
            digest := keccak256(ptr, length)
        }
    }

    /// @dev Reads the header of the item at `ptr`, of which at most `available` bytes exist, and
    ///      checks that its payload fits and that the header is canonical. `offset` is the header
    ///      size; the item occupies `offset + payloadLength` bytes.
    function _decodeHeader(uint256 ptr, uint256 available)
        private
        pure
        returns (bool list, uint256 offset, uint256 payloadLength)
    {
        if (available == 0) revert RLPEmptyInput();
        uint256 prefix = _byteAt(ptr);

        if (prefix < 0x80) return (false, 0, 1); // the byte is its own encoding

        if (prefix < 0xb8) {
            payloadLength = prefix - 0x80;
            if (available - 1 < payloadLength) revert RLPTruncated(1 + payloadLength, available);
            if (payloadLength == 1 && _byteAt(ptr + 1) < 0x80) revert RLPNonCanonicalSingleByte();
            return (false, 1, payloadLength);
        }

        if (prefix < 0xc0) {
            (offset, payloadLength) = _longLength(ptr, prefix - 0xb7, available);
            return (false, offset, payloadLength);
        }

        if (prefix < 0xf8) {
            payloadLength = prefix - 0xc0;
            if (available - 1 < payloadLength) revert RLPTruncated(1 + payloadLength, available);
            return (true, 1, payloadLength);
        }

        (offset, payloadLength) = _longLength(ptr, prefix - 0xf7, available);
        return (true, offset, payloadLength);
    }

    /// @dev A long-form length: `lengthOfLength` (1..8) big-endian bytes after the prefix.
    function _longLength(uint256 ptr, uint256 lengthOfLength, uint256 available)
        private
        pure
        returns (uint256 offset, uint256 payloadLength)
    {
        offset = 1 + lengthOfLength;
        if (available < offset) revert RLPTruncated(offset, available);
        if (_byteAt(ptr + 1) == 0) revert RLPNonCanonicalLength();
        assembly ("memory-safe") {
            payloadLength := shr(sub(256, mul(8, lengthOfLength)), mload(add(ptr, 1)))
        }
        if (payloadLength < 56) revert RLPNonCanonicalLength();
        // `payloadLength` < 2**64, so `offset + payloadLength` cannot overflow.
        if (available - offset < payloadLength) revert RLPTruncated(offset + payloadLength, available);
    }

    function _byteAt(uint256 ptr) private pure returns (uint256 b) {
        assembly ("memory-safe") {
            b := byte(0, mload(ptr))
        }
    }

    function _copy(uint256 src, uint256 length) private pure returns (bytes memory out) {
        out = new bytes(length);
        assembly ("memory-safe") {
            mcopy(add(out, 32), src, length)
        }
    }
}
