// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title FastLZ
/// @notice Decodes a FastLZ level 1 stream, checked: the L1 twin of node/fastlz.py's
///         `decompress`, refusing the same streams with the same named errors.
/// @dev    Instructions, told by the top 3 bits `t` of the first byte `c` (docs/batches.md):
///         t == 0: literal run of c + 1 bytes; t in 1..6: match of t + 2 bytes, 2-byte
///         instruction; t == 7: match of n + 9 bytes, 3-byte instruction c ++ n ++ d_lo.
///         A match copies from `((c & 0x1f) << 8 | d_lo) + 1` bytes back in the output.
///         The copy loops follow Solady's `LibZip.flzDecompress` (MIT), which has no checks: it
///         reads before its output and past its input, and writes as much as it is told; and
///         which copies an overlapping match one distance at a time (a byte per step at distance
///         1: ~30 gas per output byte, so a stream of such matches was a cheap gas bomb).
library FastLZ {
    /// @notice The instruction at `position` (in the stream) reads past the stream's end.
    error FastLZTruncated(uint256 position);
    /// @notice The match at `position` reaches `distance` bytes back, only `produced` written.
    error FastLZBadBackReference(uint256 position, uint256 distance, uint256 produced);
    /// @notice The stream decodes to more than `limit` bytes (a decompression bomb).
    error FastLZTooLarge(uint256 limit);

    /// @notice The bytes that `data[offset:]` encodes, at most `maxSize` of them.
    function decompress(bytes memory data, uint256 offset, uint256 maxSize) internal pure returns (bytes memory result) {
        uint256 next;
        uint256 failure;
        (result, next, failure) = _decode(data, offset, maxSize);
        uint256 position = next > offset ? next - offset : 0; // where the failing instruction starts
        if (failure == 1) revert FastLZTruncated(position);
        if (failure == 2) revert FastLZBadBackReference(position, _distanceAt(data, next), result.length);
        if (failure == 3) revert FastLZTooLarge(maxSize);
    }

    /// @notice `decompress` without reverting: the output, or the selector of the error that
    ///         `decompress` raises (a caller that reads a broken stream as "nothing", as
    ///         derivation reads a broken channel).
    function tryDecompress(bytes memory data, uint256 offset, uint256 maxSize) internal pure returns (bytes memory result, bytes4 error) {
        uint256 failure;
        (result,, failure) = _decode(data, offset, maxSize);
        if (failure == 1) return (result, FastLZTruncated.selector);
        if (failure == 2) return (result, FastLZBadBackReference.selector);
        if (failure == 3) return (result, FastLZTooLarge.selector);
    }

    /// @dev The one decoding loop (`decompress`, `tryDecompress`): the instructions of `data` from
    ///      `offset` on, to the data's end or the first bad instruction.
    /// @return output    the bytes decoded (up to the failing instruction)
    /// @return next      the offset of the first instruction not decoded
    /// @return failure   0, or 1 truncated, 2 bad back-reference, 3 too large (the output would pass
    ///                   `maxSize`); `next` is then the failing instruction's offset.
    function _decode(bytes memory data, uint256 offset, uint256 maxSize)
        private
        pure
        returns (bytes memory output, uint256 next, uint256 failure)
    {
        assembly ("memory-safe") {
            output := mload(0x40)
            let out := add(output, 0x20)
            let op := out
            let dataStart := add(data, 0x20)
            let end := add(dataStart, mload(data))
            let ip := add(dataStart, offset)
            if gt(ip, end) { ip := end }
            for {} lt(ip, end) {} {
                let total := sub(op, out)
                let w := mload(ip)
                let c := byte(0, w)
                let t := shr(5, c)
                if iszero(t) {
                    let run := add(c, 1)
                    if gt(add(add(ip, 1), run), end) {
                        failure := 1
                        break
                    }
                    if gt(add(total, run), maxSize) {
                        failure := 3
                        break
                    }
                    mstore(op, mload(add(ip, 1))) // run <= 32: one word
                    ip := add(ip, add(1, run))
                    op := add(op, run)
                    continue
                }
                let g := eq(t, 7)
                if gt(add(add(ip, 2), g), end) {
                    failure := 1
                    break
                }
                let l := add(2, xor(t, mul(g, xor(t, add(7, byte(1, w))))))
                let s := add(add(shl(8, and(0x1f, c)), byte(add(1, g), w)), 1)
                if gt(s, total) {
                    failure := 2
                    break
                }
                if gt(add(total, l), maxSize) {
                    failure := 3
                    break
                }
                let r := sub(op, s) // s <= total: within the output
                switch lt(s, 0x20)
                case 0 {
                    for { let j := 0 } lt(j, l) { j := add(j, 0x20) } { mstore(add(op, j), mload(add(r, j))) }
                }
                default {
                    // An overlapping match repeats its last s bytes. Copy s at a time up to
                    // p = s * ceil(32 / s), then whole words from p back (a multiple of the
                    // period): a distance-1 match of 264 bytes takes 40 steps, not 264.
                    let p := mul(s, div(add(s, 31), s))
                    let j := 0
                    for {} and(lt(j, l), lt(j, p)) { j := add(j, s) } { mstore(add(op, j), mload(add(r, j))) }
                    for {} lt(j, l) { j := add(j, 0x20) } { mstore(add(op, j), mload(sub(add(op, j), p))) }
                }
                ip := add(ip, add(2, g))
                op := add(op, l)
            }
            next := sub(ip, dataStart)
            mstore(output, sub(op, out))
            mstore(op, 0)
            mstore(0x40, add(op, 0x20))
        }
    }

    /// @dev The distance of the match instruction at `data[at]` (a failing one: `decompress`'s error).
    function _distanceAt(bytes memory data, uint256 at) private pure returns (uint256) {
        uint256 c = uint8(data[at]);
        uint256 low = uint8(data[at + ((c >> 5) == 7 ? 2 : 1)]);
        return (((c & 0x1f) << 8) | low) + 1;
    }
}
