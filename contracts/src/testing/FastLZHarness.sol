// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {FastLZ} from "../L1/lib/FastLZ.sol";
import {LibZip} from "solady/src/utils/LibZip.sol";

/// @notice Exposes the L1 FastLZ decoder for differential tests (tests/contracts/test_fastlz.py)
///         and for bench/batch_size.py's L1 decode gas; Solady's LibZip (unchecked) is here as
///         the reference the Python compressor must match byte for byte.
contract FastLZHarness {
    /// @notice The decoded channel stream: `channel` is `0x02 ++ fastlz_stream`.
    function decodeChannel(bytes calldata channel, uint256 maxSize) external pure returns (bytes memory) {
        bytes memory data = channel;
        return FastLZ.decompress(data, 1, maxSize);
    }

    /// @notice L1 gas to decode `stream` (calldata copied to memory included), and what it gave.
    function decompressGas(bytes calldata stream, uint256 maxSize) external view returns (uint256 gasUsed, uint256 length, bytes32 digest) {
        uint256 before = gasleft();
        bytes memory data = stream;
        bytes memory out = FastLZ.decompress(data, 0, maxSize);
        gasUsed = before - gasleft();
        return (gasUsed, out.length, keccak256(out));
    }

    /// @notice The same for an uncompressed channel: only the copy to memory.
    function copyGas(bytes calldata stream) external view returns (uint256 gasUsed, uint256 length, bytes32 digest) {
        uint256 before = gasleft();
        bytes memory out = stream;
        gasUsed = before - gasleft();
        return (gasUsed, out.length, keccak256(out));
    }

    function soladyFlzDecompressGas(bytes calldata stream) external view returns (uint256 gasUsed, uint256 length, bytes32 digest) {
        uint256 before = gasleft();
        bytes memory out = LibZip.flzDecompress(stream);
        gasUsed = before - gasleft();
        return (gasUsed, out.length, keccak256(out));
    }

    function soladyCdDecompressGas(bytes calldata stream) external view returns (uint256 gasUsed, uint256 length, bytes32 digest) {
        uint256 before = gasleft();
        bytes memory out = LibZip.cdDecompress(stream);
        gasUsed = before - gasleft();
        return (gasUsed, out.length, keccak256(out));
    }

    function soladyFlzCompress(bytes calldata data) external pure returns (bytes memory) {
        return LibZip.flzCompress(data);
    }

    function soladyCdCompress(bytes calldata data) external pure returns (bytes memory) {
        return LibZip.cdCompress(data);
    }
}
