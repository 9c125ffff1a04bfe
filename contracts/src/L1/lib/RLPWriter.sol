// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title RLPWriter
/// @notice Canonical RLP encoding of integers, byte strings and list headers, as the node's
///         `rlp` package writes them (the L2's transactions are rebuilt on L1 with it).
library RLPWriter {
    /// @notice An integer: the empty string for 0, else its minimal big-endian bytes.
    function writeUint(uint256 x) internal pure returns (bytes memory) {
        if (x == 0) return hex"80";
        if (x < 0x80) return abi.encodePacked(uint8(x));
        bytes memory be = minimalBigEndian(x);
        return abi.encodePacked(uint8(0x80 + be.length), be);
    }

    function writeBytes(bytes memory b) internal pure returns (bytes memory) {
        if (b.length == 1 && uint8(b[0]) < 0x80) return b;
        return abi.encodePacked(stringHeader(b.length), b);
    }

    function writeAddress(address a) internal pure returns (bytes memory) {
        return abi.encodePacked(bytes1(0x94), a);
    }

    /// @notice The header of a byte string of `length` bytes (not for a single byte < 0x80).
    function stringHeader(uint256 length) internal pure returns (bytes memory) {
        if (length < 56) return abi.encodePacked(uint8(0x80 + length));
        bytes memory len = minimalBigEndian(length);
        return abi.encodePacked(uint8(0xb7 + len.length), len);
    }

    function listHeader(uint256 length) internal pure returns (bytes memory) {
        if (length < 56) return abi.encodePacked(uint8(0xc0 + length));
        bytes memory len = minimalBigEndian(length);
        return abi.encodePacked(uint8(0xf7 + len.length), len);
    }

    /// @notice `payload` (concatenated encoded items) as an RLP list.
    function writeList(bytes memory payload) internal pure returns (bytes memory) {
        return abi.encodePacked(listHeader(payload.length), payload);
    }

    function minimalBigEndian(uint256 x) internal pure returns (bytes memory out) {
        uint256 n = 0;
        for (uint256 y = x; y != 0; y >>= 8) n++;
        out = new bytes(n);
        if (n > 0) {
            assembly ("memory-safe") {
                mstore(add(out, 32), shl(mul(8, sub(32, n)), x))
            }
        }
    }
}
