// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title BlobReader
/// @notice The batcher's blob data read on L1: a blob's 131,072 bytes given as calldata are
///         shown to be the blob a batcher transaction named (the inbox's kind-1 item), then
///         decoded exactly as node/blobs.py's `decode_blob` decodes it (OP's version-0 blob
///         encoding, docs/batches.md "Blob transaction").
///
///         Checking the bytes against the versioned hash takes one point evaluation (EIP-4844's
///         precompile 0x0a) at EIP-4844's own Fiat-Shamir point, the one a blob sidecar's
///         `kzg_proof` opens (`verify_blob_kzg_proof`):
///
///           z = sha256("FSBLOBVERIFY_V1_" ‖ uint128(4096) ‖ blob ‖ commitment) mod BLS_MODULUS
///           y = p(z), p the polynomial whose value at ω^bitrev(i) is field element i of the blob,
///               evaluated on L1 from the calldata (barycentric formula, below)
///           precompile(versionedHash, z, y, commitment, proof) succeeds
///
///         The commitment binds one polynomial of degree < 4096; bytes that are not its values
///         give another polynomial, which agrees with it at z (fixed by hashing those bytes and
///         the commitment) with probability at most 4096 / BLS_MODULUS. So the blob is the one the
///         versioned hash names, without reading it element by element (one precompile call per
///         32 bytes, ~200M gas for a blob).
///
///         Every refusal is a named error. Refusals of the evidence (it does not show the named
///         blob): `BlobsNotInItem`, `BlobIndexOutOfRange`, `WrongBlobSize`, `WrongCommitmentLength`,
///         `WrongProofLength`, `CommitmentNotVersionedHash`, `FieldElementNotCanonical`,
///         `BlobNotProven` (a wrong byte or a wrong proof: L1 cannot tell which). Refusals of a
///         shown blob's encoding, each node's `BlobEncodingError` subclass of the same name
///         (derivation drops such a blob with that reason): `UnknownBlobEncodingVersion`,
///         `BlobDataTooLong`, `BlobFieldElementTopBitsSet`, `BlobTrailingData`.
///         Pure functions and precompile calls, deployed as a contract so the input oracle (which
///         has no code size to spare) and tests can call it.
contract BlobReader {
    uint256 public constant FIELD_ELEMENTS_PER_BLOB = 4096;
    uint256 public constant BLOB_SIZE = 131_072;
    /// @notice The BLS12-381 scalar field's modulus: blob field elements are below it.
    uint256 public constant BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @notice ω = 7^((BLS_MODULUS - 1) / 4096): EIP-4844's primitive 4096th root of unity.
    uint256 public constant ROOT_OF_UNITY = 0x564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306;
    /// @dev ω^1024, a square root of -1: the four roots ω^k, -ω^k, iω^k, -iω^k are blob elements
    ///      4j .. 4j + 3 for j = bitrev10(k).
    uint256 internal constant ROOT_OF_MINUS_ONE = 0x8d51ccce760304d0ec030002760300000001000000000000;
    /// @dev 4096^-1 mod BLS_MODULUS.
    uint256 internal constant INVERSE_WIDTH = 0x73e66878b46ae3705eb6a46a89213de7d3686828bfce5c19400fffff00100001;
    uint256 public constant MAX_BLOB_DATA_SIZE = 130_044; // 1024 rounds of 127 bytes, less version and length
    uint256 internal constant ROUNDS = 1024;
    uint256 internal constant KZG_LENGTH = 48;
    bytes1 internal constant VERSIONED_HASH_VERSION_KZG = 0x01;
    bytes16 internal constant FIAT_SHAMIR_DOMAIN = "FSBLOBVERIFY_V1_";
    address internal constant POINT_EVALUATION = address(0x0a);
    uint256 internal constant POINT_EVALUATION_GAS = 50_000; // EIP-4844's price; a failing call burns what it is given
    address internal constant MODEXP = address(0x05);

    /// @notice One blob of a blob batcher transaction as a caller shows it: `read`'s arguments after
    ///         the item (DerivationStep's blobs of a kind-1 item; `InputOracle` reads none).
    struct ShownBlob {
        bytes32[] versionedHashes;
        uint256 index;
        bytes blob;
        bytes commitment;
        bytes proof;
    }

    /// @notice A blob transaction's blobs are not all shown, each at its index (`at`: the first that is not).
    error BlobsNotShown(bytes32 item, uint256 at);
    /// @notice The versioned hashes shown do not hash to the inbox's item for the blob transaction.
    error BlobsNotInItem(bytes32 item);
    error BlobIndexOutOfRange(uint256 index, uint256 blobs);
    error WrongBlobSize(uint256 length);
    error WrongCommitmentLength(uint256 length);
    error WrongProofLength(uint256 length);
    /// @notice sha256 of the commitment shown is not the transaction's versioned hash.
    error CommitmentNotVersionedHash(bytes32 expected, bytes32 commitmentHash);
    /// @notice A 32-byte field element at or above BLS_MODULUS: no blob has it.
    error FieldElementNotCanonical(uint256 index);
    /// @notice The point evaluation failed: the bytes are not the committed blob, or the proof is wrong.
    error BlobNotProven(bytes32 versionedHash);
    error PointNotInField(uint256 z);
    // node/errors.py's BlobEncodingError subclasses, same names and order of checks
    error UnknownBlobEncodingVersion(uint256 version);
    error BlobDataTooLong(uint256 length);
    error BlobFieldElementTopBitsSet(uint256 round);
    error BlobTrailingData();

    /// @notice The data of blob `index` of a blob batcher transaction whose inbox item is `item`
    ///         (`keccak256(versionedHash_0 ‖ …)`, BatchInbox kind 1): `verify`, then `decode`.
    function read(
        bytes32 item,
        bytes32[] calldata versionedHashes,
        uint256 index,
        bytes calldata blob,
        bytes calldata commitment,
        bytes calldata proof
    ) external view returns (bytes memory) {
        verify(item, versionedHashes, index, blob, commitment, proof);
        bytes memory data = decode(blob);
        assembly ("memory-safe") {
            // ABI-encoded in place (the offset word over what precedes `data`, the padding after
            // it zero: decode checked those bytes), not copied: a blob's data is ~130 KB.
            let start := sub(data, 32)
            mstore(start, 0x20)
            return(start, add(64, and(add(mload(data), 31), not(31))))
        }
    }

    /// @notice The batcher data items of a blob transaction whose inbox item is `item` (retrieval.py:
    ///         each blob one item, in order), from `shown` = abi.encode(ShownBlob[]), every blob of the
    ///         transaction at its index: each `verify`d, then decoded; a blob whose encoding node
    ///         refuses (`UnknownBlobEncodingVersion`, `BlobDataTooLong`, `BlobFieldElementTopBitsSet`,
    ///         `BlobTrailingData`) is dropped, as derivation drops it, and left out. Evidence that does
    ///         not show the transaction's blobs is refused by name (`BlobsNotShown`, `verify`'s errors).
    ///         `shown` is read in place from calldata, never copied.
    function readItem(bytes32 item, bytes calldata shown) external view returns (bytes[] memory kept) {
        ShownBlob[] calldata blobs = _shownBlobs(item, shown);
        kept = new bytes[](blobs.length);
        uint256 count;
        for (uint256 k = 0; k < blobs.length; k++) {
            ShownBlob calldata s = blobs[k];
            if (s.index != k || s.versionedHashes.length != blobs.length) revert BlobsNotShown(item, k);
            verify(item, s.versionedHashes, k, s.blob, s.commitment, s.proof);
            (bytes memory data, bool refused) = _decode(s.blob);
            if (!refused) kept[count++] = data;
        }
        assembly ("memory-safe") {
            mstore(kept, count)
        }
    }

    /// @dev `shown` (abi.encode(ShownBlob[])) as the calldata array it encodes: its head must lie
    ///      in `shown` and the array must not be empty; the array's elements are read through solc's
    ///      checked calldata accessors.
    function _shownBlobs(bytes32 item, bytes calldata shown) private pure returns (ShownBlob[] calldata blobs) {
        if (shown.length < 64) revert BlobsNotShown(item, 0);
        uint256 head = uint256(bytes32(shown[0:32]));
        if (head > shown.length - 32) revert BlobsNotShown(item, 0);
        uint256 at;
        uint256 length;
        assembly ("memory-safe") {
            at := add(shown.offset, head)
            length := calldataload(at)
        }
        if (length == 0 || length > (shown.length - head - 32) / 32) revert BlobsNotShown(item, 0);
        assembly ("memory-safe") {
            blobs.offset := add(at, 32)
            blobs.length := length
        }
    }

    /// @notice Reverts unless `blob` is blob `index` of the transaction whose versioned hashes
    ///         hash to `item`, shown by `commitment` and the KZG `proof` at the Fiat-Shamir point.
    function verify(
        bytes32 item,
        bytes32[] calldata versionedHashes,
        uint256 index,
        bytes calldata blob,
        bytes calldata commitment,
        bytes calldata proof
    ) public view {
        if (keccak256(abi.encodePacked(versionedHashes)) != item) revert BlobsNotInItem(item);
        if (index >= versionedHashes.length) revert BlobIndexOutOfRange(index, versionedHashes.length);
        if (blob.length != BLOB_SIZE) revert WrongBlobSize(blob.length);
        if (commitment.length != KZG_LENGTH) revert WrongCommitmentLength(commitment.length);
        if (proof.length != KZG_LENGTH) revert WrongProofLength(proof.length);
        bytes32 named = versionedHashes[index];
        bytes32 shown = versionedHash(commitment);
        if (shown != named) revert CommitmentNotVersionedHash(named, shown);
        uint256 z = challenge(blob, commitment);
        uint256 y = evaluate(blob, z);
        (bool ok, bytes memory out) =
            POINT_EVALUATION.staticcall{gas: POINT_EVALUATION_GAS}(abi.encodePacked(named, z, y, commitment, proof));
        if (!ok || out.length != 64) revert BlobNotProven(named);
        (uint256 width, uint256 modulus) = abi.decode(out, (uint256, uint256));
        if (width != FIELD_ELEMENTS_PER_BLOB || modulus != BLS_MODULUS) revert BlobNotProven(named);
    }

    /// @notice EIP-4844's versioned hash of a KZG commitment: 0x01 ‖ sha256(commitment)[1:].
    function versionedHash(bytes calldata commitment) public pure returns (bytes32) {
        return (sha256(commitment) & bytes32(type(uint256).max >> 8)) | bytes32(VERSIONED_HASH_VERSION_KZG);
    }

    /// @notice EIP-4844's `compute_challenge(blob, commitment)`.
    function challenge(bytes calldata blob, bytes calldata commitment) public view returns (uint256 z) {
        bytes32 prefix = bytes32(abi.encodePacked(FIAT_SHAMIR_DOMAIN, uint128(FIELD_ELEMENTS_PER_BLOB)));
        bool ok;
        assembly ("memory-safe") {
            // Hashed from free memory without allocating it: `decode` writes the blob's data there next.
            let m := mload(0x40)
            mstore(m, prefix)
            calldatacopy(add(m, 32), blob.offset, blob.length)
            calldatacopy(add(add(m, 32), blob.length), commitment.offset, commitment.length)
            ok := staticcall(gas(), 0x02, m, add(add(32, blob.length), commitment.length), 0x00, 0x20)
            z := mod(mload(0x00), BLS_MODULUS)
        }
        require(ok);
    }

    /// @notice The blob's polynomial at `z` (EIP-4844's `evaluate_polynomial_in_evaluation_form`):
    ///         with ω_k = ω^k and f_k the field element at blob index bitrev12(k),
    ///           p(z) = (z^4096 - 1) / 4096 · Σ_k f_k ω_k / (z - ω_k),   or f_k if z = ω_k.
    ///         Four terms at a time: for k < 1024 and r = ω^k, blob elements 4j .. 4j + 3
    ///         (j = bitrev10(k), one 128-byte run of calldata) sit at r, -r, ir, -ir (i = ω^1024),
    ///         whose four terms share the denominator z^4 - r^4:
    ///           f0 r/(z-r) + f1 (-r)/(z+r) = ((f0-f1) zr + (f0+f1) r²) / (z² - r²) = N1 / (z² - r²)
    ///           f2 ir/(z-ir) + f3 (-ir)/(z+ir) = ((f2-f3) zr i - (f2+f3) r²) / (z² + r²) = N2 / (z² + r²)
    ///           sum = (N1 (z² + r²) + N2 (z² - r²)) / (z^4 - r^4)
    ///         The sum is kept as one fraction num/den, so the loop needs no inverse and one
    ///         modular inversion (MODEXP) finishes it.
    function evaluate(bytes calldata blob, uint256 z) public view returns (uint256 y) {
        if (blob.length != BLOB_SIZE) revert WrongBlobSize(blob.length);
        if (z >= BLS_MODULUS) revert PointNotInField(z);
        uint256 num;
        uint256 den;
        uint256 outcome; // 0, or the run of four (its first blob index) with a non-canonical element (bit 32) / whose roots z is one of (bit 33)
        assembly ("memory-safe") {
            /// The four terms at r, -r, ir, -ir of the run of four elements at `src`, over
            /// z^4 - r^4 (zr = z r, r2 = r², point2 = z²); p (no field element) if one of the
            /// four is not canonical.
            function quadTerm(src, zr, r2, point2, p) -> n {
                let f0 := calldataload(src)
                let f1 := calldataload(add(src, 32))
                if iszero(and(lt(f0, p), lt(f1, p))) {
                    n := p
                    leave
                }
                // N1 (z² + r²), N1 = (f0 - f1) zr + (f0 + f1) r²
                n := addmod(mulmod(addmod(f0, sub(p, f1), p), zr, p), mulmod(addmod(f0, f1, p), r2, p), p)
                n := mulmod(n, addmod(point2, r2, p), p)
                f0 := calldataload(add(src, 64))
                f1 := calldataload(add(src, 96))
                if iszero(and(lt(f0, p), lt(f1, p))) {
                    n := p
                    leave
                }
                // + N2 (z² - r²), N2 = (f2 - f3) zr i - (f2 + f3) r²
                zr := mulmod(zr, ROOT_OF_MINUS_ONE, p)
                f0 := addmod(mulmod(addmod(f0, sub(p, f1), p), zr, p), sub(p, mulmod(addmod(f0, f1, p), r2, p)), p)
                n := addmod(n, mulmod(f0, addmod(point2, sub(p, r2), p), p), p)
            }

            // The modulus on the stack: solc reads a big constant with CODECOPY at each use.
            let p := BLS_MODULUS
            let base := blob.offset // copies of the arguments near the top of the stack
            let point := z
            let z2 := mulmod(point, point, p)
            let z4 := mulmod(z2, z2, p)
            let sum := 0
            let denominator := 1
            let r := 1
            let stopped := 0
            for { let k := 0 } lt(k, 1024) { k := add(k, 1) } {
                // bitrev12(k), a multiple of 4: bits reversed within nibbles, then nibbles reversed
                let a := or(shl(1, and(k, 0x555)), shr(1, and(k, 0xaaa)))
                a := or(shl(2, and(a, 0x333)), shr(2, and(a, 0xccc)))
                a := or(or(shl(8, and(a, 0xf)), and(a, 0xf0)), shr(8, a))
                let r2 := mulmod(r, r, p)
                let zr := mulmod(point, r, p)
                let src := add(base, shl(5, a))
                let n := quadTerm(src, zr, r2, z2, p)
                if eq(n, p) {
                    stopped := or(shl(32, 1), a)
                    break
                }
                let d := addmod(z4, sub(p, mulmod(r2, r2, p)), p)
                switch d
                case 0 { stopped := or(shl(33, 1), a) }
                default {
                    sum := addmod(mulmod(sum, d, p), mulmod(n, denominator, p), p)
                    denominator := mulmod(denominator, d, p)
                }
                r := mulmod(r, ROOT_OF_UNITY, p)
            }
            num := sum
            den := denominator
            outcome := stopped
        }
        if (outcome >> 32 == 1) {
            uint256 first = uint32(outcome);
            while (uint256(bytes32(blob[first * 32:first * 32 + 32])) < BLS_MODULUS) first++;
            revert FieldElementNotCanonical(first);
        }
        if (outcome >> 33 == 1) {
            // z is r, -r, ir or -ir for r = ω^bitrev12(at): the element at that root
            uint256 at = uint32(outcome);
            uint256 root = _power(ROOT_OF_UNITY, _bitrev12(at));
            if (z == BLS_MODULUS - root) at += 1;
            else if (z == mulmod(root, ROOT_OF_MINUS_ONE, BLS_MODULUS)) at += 2;
            else if (z != root) at += 3;
            return uint256(bytes32(blob[at * 32:at * 32 + 32]));
        }
        uint256 zPow = z;
        for (uint256 i = 0; i < 12; i++) zPow = mulmod(zPow, zPow, BLS_MODULUS); // z^4096
        uint256 scale = mulmod(addmod(zPow, BLS_MODULUS - 1, BLS_MODULUS), INVERSE_WIDTH, BLS_MODULUS);
        y = mulmod(scale, mulmod(num, _inverse(den), BLS_MODULUS), BLS_MODULUS);
    }

    /// @notice The data a version-0 blob carries (node: `decode_blob`), refused as node refuses it.
    function decode(bytes calldata blob) public pure returns (bytes memory data) {
        if (blob.length != BLOB_SIZE) revert WrongBlobSize(blob.length);
        bool refused;
        (data, refused) = _decode(blob);
        if (refused) {
            assembly ("memory-safe") {
                revert(add(data, 32), mload(data))
            }
        }
    }

    /// @dev `decode` of a blob of BLOB_SIZE bytes: its data, or (`refused`) the encoding error
    ///      node's `decode_blob` raises, ABI-encoded.
    function _decode(bytes calldata blob) private pure returns (bytes memory data, bool refused) {
        if (uint8(blob[1]) != 0) return (abi.encodeWithSelector(UnknownBlobEncodingVersion.selector, uint8(blob[1])), true);
        uint256 length = uint24(bytes3(blob[2:5]));
        if (length > MAX_BLOB_DATA_SIZE) return (abi.encodeWithSelector(BlobDataTooLong.selector, length), true);
        uint256 badRound; // 1 + the first round with a field element's top bit set
        bool trailing;
        assembly ("memory-safe") {
            // The rounds holding data are written out as "virtual" bytes from `base`; `data` is
            // virtual[4:4+length]: its length word goes at base - 28, over the version and length
            // bytes it drops. A later round must be all zero, which its 128 blob bytes are iff its
            // 127 virtual bytes are; a top bit anywhere counts first (node checks every round's
            // top bits, then the padding).
            data := mload(0x40)
            let base := add(data, 28)
            let dataRounds := div(add(add(4, length), 126), 127)
            for { let r := 0 } lt(r, ROUNDS) { r := add(r, 1) } {
                let src := add(blob.offset, shl(7, r))
                let e0 := calldataload(src)
                let e1 := calldataload(add(src, 32))
                let e2 := calldataload(add(src, 64))
                let e3 := calldataload(add(src, 96))
                let a := shr(248, e0)
                let b := shr(248, e1)
                let c := shr(248, e2)
                let d := shr(248, e3)
                if and(or(or(a, b), or(c, d)), 0xc0) {
                    badRound := add(r, 1)
                    break
                }
                switch lt(r, dataRounds)
                case 0 { if or(or(e0, e1), or(e2, e3)) { trailing := 1 } }
                default {
                    let v := add(base, mul(r, 127))
                    // each element's 31 low bytes, then the round's rebuilt byte at offsets 31, 63, 95
                    mstore(v, shl(8, e0))
                    mstore8(add(v, 31), or(and(a, 0x3f), shl(2, and(b, 0x30))))
                    mstore(add(v, 32), shl(8, e1))
                    mstore8(add(v, 63), or(and(b, 0x0f), shl(4, and(d, 0x0f))))
                    mstore(add(v, 64), shl(8, e2))
                    mstore8(add(v, 95), or(and(c, 0x3f), shl(2, and(d, 0x30))))
                    mstore(add(v, 96), shl(8, e3))
                }
            }
            if iszero(badRound) {
                // the last data round's bytes after the data
                let end := add(base, mul(dataRounds, 127))
                mstore(end, 0) // the last word read below reaches past them
                for { let at := add(add(base, 4), length) } lt(at, end) { at := add(at, 32) } {
                    if mload(at) { trailing := 1 }
                }
                mstore(data, length)
                mstore(0x40, add(add(data, 32), and(add(length, 31), not(31))))
            }
        }
        if (badRound != 0) return (abi.encodeWithSelector(BlobFieldElementTopBitsSet.selector, badRound - 1), true);
        if (trailing) return (abi.encodeWithSelector(BlobTrailingData.selector), true);
    }

    function _bitrev12(uint256 k) private pure returns (uint256 reversed) {
        for (uint256 bit = 0; bit < 12; bit++) reversed |= ((k >> bit) & 1) << (11 - bit);
    }

    /// @dev base^exponent mod BLS_MODULUS, square and multiply.
    function _power(uint256 base, uint256 exponent) private pure returns (uint256 result) {
        result = 1;
        for (; exponent != 0; exponent >>= 1) {
            if (exponent & 1 == 1) result = mulmod(result, base, BLS_MODULUS);
            base = mulmod(base, base, BLS_MODULUS);
        }
    }

    /// @dev x^-1 mod BLS_MODULUS (x ≠ 0) by Fermat, through the MODEXP precompile.
    function _inverse(uint256 x) private view returns (uint256 inv) {
        (bool ok, bytes memory out) = MODEXP.staticcall(abi.encode(32, 32, 32, x, BLS_MODULUS - 2, BLS_MODULUS));
        require(ok && out.length == 32);
        inv = abi.decode(out, (uint256));
    }
}
