// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title PackedMachine
/// @notice A paused `EVMStep` machine as the calldata of a segment carries it (docs/fault-proofs.md,
///         "Packed machines"): a batch workload's machine is 230-430 kB, over geth's 128 KiB
///         transaction size, but most of it is zero bytes (pointers, empty tables, zero-padded
///         maps) and the codes of the called contracts, the same in every segment. So a segment
///         sends the machine's words with their zero bytes left out, and copies the runs of words
///         that are a code from a data contract published once (`publish`, SSTORE2-style: STOP,
///         then the data, at an address that depends only on the data). `OneStepProof` hashes the
///         unpacked machine and continues only a recorded hash, so a packing (or a data contract)
///         can only reproduce the machine a segment left, never another.
///
///         Layout (prover/packed_machine.py is the encoder), the machine as 32-byte words, the
///         last zero-padded:
///           uint32 length                        the machine's length in bytes
///           t = 0..32                            a word: the next t bytes, right-aligned
///           t = 0x20 + n (n = 1..31), uint8 s    a word: the next n bytes shifted left s bytes
///           t = 0x40, uint16 c                   c zero words
///           t = 0x41, address, uint24 o, uint16 c  c words of the code of `address` from byte o
library PackedMachine {
    /// @notice The packed machine is malformed at this byte (a token unknown, cut short, or
    ///         producing more or fewer words than the length says).
    error MalformedPackedMachine(uint256 position);
    /// @notice `publish`: more data than one contract's code may hold.
    error DataTooLarge(uint256 length, uint256 max);
    /// @notice `publish`: the data contract was not created (out of gas).
    error DataNotPublished();

    /// @notice Bytes of data one data contract holds (EIP-170's 24,576 of code, less the STOP).
    uint256 internal constant MAX_DATA_BYTES = 24_575;

    /// @notice The calldata of `selector(bytes machine, uint256 budget)` with the machine `packed`
    ///         unpacks to, and keccak256 of that machine. The machine is unpacked straight into the
    ///         call's buffer (one copy in memory, as when it came in calldata).
    function unpackedCall(bytes4 selector, bytes calldata packed, uint256 budget)
        internal
        view
        returns (bytes memory data, bytes32 machineHash)
    {
        uint256 m;
        assembly {
            data := mload(0x40)
            m := add(data, 0x84) // [length][selector][0x40][budget][machine length][machine]
        }
        (uint256 length, uint256 words) = _unpackAt(packed, m);
        assembly {
            mstore(data, add(0x64, shl(5, words)))
            mstore(add(data, 0x20), selector)
            mstore(add(data, 0x24), 0x40)
            mstore(add(data, 0x44), budget)
            mstore(add(data, 0x64), length)
            machineHash := keccak256(m, length)
            mstore(0x40, and(add(add(m, shl(5, words)), 31), not(31)))
        }
    }

    /// @notice The bytes `packed` unpacks to (the same layout, for any bytes: `startExecution`'s
    ///         ABI-encoded `PreState`).
    function unpack(bytes calldata packed) internal view returns (bytes memory out) {
        uint256 m;
        assembly {
            out := mload(0x40)
            m := add(out, 0x20)
        }
        (uint256 length, uint256 words) = _unpackAt(packed, m);
        assembly {
            mstore(out, length)
            mstore(0x40, add(m, shl(5, words)))
        }
    }

    /// @dev Unpacks `packed` at memory `m` (past the free memory pointer, which the caller moves
    ///      after), its last word's padding zero; the unpacked length and its words.
    function _unpackAt(bytes calldata packed, uint256 m) private view returns (uint256 length, uint256 words) {
        if (packed.length < 4) revert MalformedPackedMachine(0);
        length = uint32(bytes4(packed[:4]));
        words = (length + 31) >> 5;
        uint256 bad = _unpack(packed[4:], m, words);
        if (bad != 0) revert MalformedPackedMachine(bad + 3);
        assembly {
            mstore(add(m, length), 0) // the padding of the last word, whatever a token put there
        }
    }

    /// @dev Writes the `words` words `tokens` describe at memory `m`; 0, or 1 + the offset in
    ///      `tokens` where they are malformed.
    function _unpack(bytes calldata tokens, uint256 m, uint256 words) private view returns (uint256 bad) {
        assembly {
            let p := tokens.offset
            let end := add(p, tokens.length)
            let w := 0
            for {} lt(w, words) {} {
                if iszero(lt(p, end)) { break }
                let t := byte(0, calldataload(p))
                let dst := add(m, shl(5, w))
                if lt(t, 0x21) {
                    mstore(dst, shr(sub(256, shl(3, t)), calldataload(add(p, 1))))
                    p := add(p, add(1, t))
                    w := add(w, 1)
                    continue
                }
                if lt(t, 0x40) {
                    let n := sub(t, 0x20)
                    let s := byte(1, calldataload(p))
                    if gt(add(n, s), 32) { break }
                    mstore(dst, shl(shl(3, s), shr(sub(256, shl(3, n)), calldataload(add(p, 2)))))
                    p := add(p, add(2, n))
                    w := add(w, 1)
                    continue
                }
                let x := calldataload(add(p, 1))
                if eq(t, 0x40) {
                    let c := shr(240, x)
                    if gt(add(w, c), words) { break }
                    calldatacopy(dst, calldatasize(), shl(5, c)) // zeros
                    p := add(p, 3)
                    w := add(w, c)
                    continue
                }
                if eq(t, 0x41) {
                    let c := and(shr(56, x), 0xffff)
                    if gt(add(w, c), words) { break }
                    extcodecopy(shr(96, x), dst, and(shr(72, x), 0xffffff), shl(5, c))
                    p := add(p, 26)
                    w := add(w, c)
                    continue
                }
                break
            }
            // every word written and every token read (a token cut short reads past the end)
            if or(lt(w, words), iszero(eq(p, end))) { bad := add(sub(p, tokens.offset), 1) }
        }
    }

    /// @notice The data contract holding `data` (created if it is not yet): its code is STOP, then
    ///         `data`, at the CREATE2 address of this contract with salt 0 for that code, so
    ///         publishing the same data again creates nothing and returns the same address.
    function publish(bytes calldata data) internal returns (address store) {
        if (data.length > MAX_DATA_BYTES) revert DataTooLarge(data.length, MAX_DATA_BYTES);
        // PUSH2 n, DUP1, PUSH1 10, RETURNDATASIZE, CODECOPY, RETURNDATASIZE, RETURN; then the code
        bytes memory init = abi.encodePacked(hex"61", uint16(data.length + 1), hex"80600a3d393df3", hex"00", data);
        store = address(uint160(uint256(keccak256(abi.encodePacked(hex"ff", address(this), bytes32(0), keccak256(init))))));
        if (store.code.length == 0) {
            address created;
            assembly {
                created := create2(0, add(init, 0x20), mload(init), 0)
            }
            if (created != store) revert DataNotPublished();
        }
    }
}
