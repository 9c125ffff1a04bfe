// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title BlobReader
/// @notice The batcher's blob data read on L1: a blob's first half (its first 2,048 field
///         elements, 65,536 bytes) given as calldata is shown to be the first half of the blob a
///         batcher transaction named (the inbox's kind-1 item), then decoded exactly as
///         node/blobs.py's `decode_blob` decodes it (version 0 over the first half: Lantau's rule,
///         docs/batches.md "Blob transaction"). The second half is never shown: derivation does
///         not read it.
///
///         In EIP-4844's bit-reversed order element i sits at ω^bitrev12(i); for i < 2048 the
///         exponent is even, so the half's points are the 2048th roots of unity, whose vanishing
///         polynomial is X^2048 - 1. With p the blob's polynomial (commitment C, named by the
///         versioned hash) and h the degree < 2048 interpolant of the shown half on those
///         points, p - h vanishes there: p - h = (X^2048 - 1) q, deg q < 2048. The caller shows
///         C, q's commitment C_q, y = p(r), y_q = q(r) and two KZG proofs, at
///
///           r = keccak256(C ‖ C_q ‖ half) mod BLS_MODULUS
///
///         and L1 checks both openings with EIP-4844's precompile 0x0a (q's under its own
///         versioned hash 0x01 ‖ sha256(C_q)[1:]), computes h(r) from the calldata (barycentric
///         formula over the 2,048 points, below) and requires y - h(r) = (r^2048 - 1) · y_q.
///         The half and C_q are fixed before r (hashed into it): a half that is not p's leaves
///         p - h - (X^2048 - 1) q a non-zero polynomial of degree < 4096, so a wrong half passes
///         with probability <= ~6144 / 2^254.
///
///         Every refusal is a named error. Refusals of the evidence (it does not show the named
///         blob's half): `BlobsNotInItem`, `BlobIndexOutOfRange`, `WrongBlobSize` (the half not
///         65,536 bytes), `WrongCommitmentLength`, `WrongProofLength`, `CommitmentNotVersionedHash`,
///         `FieldElementNotCanonical`, `BlobNotProven` (p's opening refused: a wrong y or proof,
///         or another r from a changed half or C_q), `QuotientNotProven` (q's opening refused),
///         `HalfNotInBlob` (both open, the identity fails: the half is not the blob's). Refusals
///         of a shown half's encoding, each node's `BlobEncodingError` subclass of the same name
///         (derivation drops such a blob with that reason): `UnknownBlobEncodingVersion`,
///         `BlobDataTooLong`, `BlobFieldElementTopBitsSet`, `BlobTrailingData`.
///         Pure functions and precompile calls, deployed as a contract so the derivation leaf
///         (which has no code size to spare) and tests can call it.
contract BlobReader {
    uint256 public constant FIELD_ELEMENTS_PER_BLOB = 4096;
    /// @notice The elements derivation reads and L1 is shown: the blob's first half.
    uint256 public constant HALF_ELEMENTS = 2048;
    uint256 public constant HALF_SIZE = 65_536;
    /// @notice The BLS12-381 scalar field's modulus: blob field elements are below it.
    uint256 public constant BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @notice ω = 7^((BLS_MODULUS - 1) / 4096): EIP-4844's primitive 4096th root of unity.
    uint256 public constant ROOT_OF_UNITY = 0x564c0a11a0f704f4fc3e8acfe0f8245f0ad1347b378fbf96e206da11a5d36306;
    /// @dev ω², a primitive 2048th root of unity: the half's points are its powers.
    uint256 internal constant HALF_ROOT = 0x6d031f1b5c49c83409f1ca610a08f16655ea6811be9c622d4a838b5d59cd79e5;
    /// @dev ω^1024, a square root of -1: the four roots ω^2k, -ω^2k, iω^2k, -iω^2k (k < 512) are
    ///      blob elements 4j .. 4j + 3 for j = bitrev9(k).
    uint256 internal constant ROOT_OF_MINUS_ONE = 0x8d51ccce760304d0ec030002760300000001000000000000;
    /// @dev 2048^-1 mod BLS_MODULUS.
    uint256 internal constant INVERSE_HALF_WIDTH = 0x73df299e3f3849988a3370cd08a0a3ca53132c4e7f9e5c33801fffff00200001;
    uint256 public constant MAX_BLOB_DATA_SIZE = 65_020; // 512 rounds of 127 bytes, less version and length
    uint256 internal constant ROUNDS = 512;
    uint256 internal constant KZG_LENGTH = 48;
    bytes1 internal constant VERSIONED_HASH_VERSION_KZG = 0x01;
    address internal constant POINT_EVALUATION = address(0x0a);
    uint256 internal constant POINT_EVALUATION_GAS = 50_000; // EIP-4844's price; a failing call burns what it is given
    address internal constant MODEXP = address(0x05);

    /// @notice One blob of a blob batcher transaction as a caller shows it (DerivationStep's blobs
    ///         of a kind-1 item; `InputOracle` reads none): its first half and the evidence that
    ///         the half is the first half of blob `index` of the transaction (node/blobs.py
    ///         `open_half`, prover/blob_evidence.py).
    struct ShownBlob {
        bytes32[] versionedHashes;
        uint256 index;
        bytes half; // the blob's first 65,536 bytes
        bytes commitment; // C, the blob's KZG commitment (48 bytes)
        bytes quotientCommitment; // C_q (48 bytes)
        uint256 y; // p(r)
        uint256 quotientY; // q(r)
        bytes proof; // p's opening at r (48 bytes)
        bytes quotientProof; // q's opening at r (48 bytes)
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
    /// @notice p's opening at r failed: a wrong y or proof, or r moved (a changed half or C_q).
    error BlobNotProven(bytes32 versionedHash);
    /// @notice q's opening at r failed (`quotientHash` = 0x01 ‖ sha256(C_q)[1:]).
    error QuotientNotProven(bytes32 quotientHash);
    /// @notice Both openings hold but p(r) - h(r) != (r^2048 - 1) q(r): the half is not the blob's.
    error HalfNotInBlob(bytes32 versionedHash);
    error PointNotInField(uint256 z);
    // node/errors.py's BlobEncodingError subclasses, same names and order of checks
    error UnknownBlobEncodingVersion(uint256 version);
    error BlobDataTooLong(uint256 length);
    error BlobFieldElementTopBitsSet(uint256 round);
    error BlobTrailingData();

    /// @notice The data of blob `shown.index` of a blob batcher transaction whose inbox item is
    ///         `item` (`keccak256(versionedHash_0 ‖ …)`, BatchInbox kind 1): `verify`, then `decode`.
    function read(bytes32 item, ShownBlob calldata shown) external view returns (bytes memory) {
        verify(item, shown);
        bytes memory data = decode(shown.half);
        assembly ("memory-safe") {
            // ABI-encoded in place (the offset word over what precedes `data`, the padding after
            // it zero: decode checked those bytes), not copied.
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
            verify(item, s);
            (bytes memory data, bool refused) = _decode(s.half);
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

    /// @notice Reverts unless `shown.half` is the first half of blob `shown.index` of the
    ///         transaction whose versioned hashes hash to `item`: p and q open at r, and
    ///         p(r) - h(r) = (r^2048 - 1) q(r).
    function verify(bytes32 item, ShownBlob calldata shown) public view {
        bytes32[] calldata hashes = shown.versionedHashes;
        if (keccak256(abi.encodePacked(hashes)) != item) revert BlobsNotInItem(item);
        if (shown.index >= hashes.length) revert BlobIndexOutOfRange(shown.index, hashes.length);
        if (shown.half.length != HALF_SIZE) revert WrongBlobSize(shown.half.length);
        if (shown.proof.length != KZG_LENGTH) revert WrongProofLength(shown.proof.length);
        if (shown.quotientProof.length != KZG_LENGTH) revert WrongProofLength(shown.quotientProof.length);
        bytes32 named = hashes[shown.index];
        uint256 r = challenge(shown.commitment, shown.quotientCommitment, shown.half);
        bytes32 commitmentHash = versionedHash(shown.commitment);
        if (commitmentHash != named) revert CommitmentNotVersionedHash(named, commitmentHash);
        if (!_opens(named, r, shown.y, shown.commitment, shown.proof)) revert BlobNotProven(named);
        bytes32 quotientHash = versionedHash(shown.quotientCommitment);
        if (!_opens(quotientHash, r, shown.quotientY, shown.quotientCommitment, shown.quotientProof)) {
            revert QuotientNotProven(quotientHash);
        }
        uint256 h = evaluate(shown.half, r);
        uint256 vanishing = r;
        for (uint256 i = 0; i < 11; i++) vanishing = mulmod(vanishing, vanishing, BLS_MODULUS); // r^2048
        vanishing = addmod(vanishing, BLS_MODULUS - 1, BLS_MODULUS);
        // y and y_q are below the modulus: the precompile refuses either otherwise
        if (addmod(shown.y, BLS_MODULUS - h, BLS_MODULUS) != mulmod(vanishing, shown.quotientY, BLS_MODULUS)) {
            revert HalfNotInBlob(named);
        }
    }

    /// @notice EIP-4844's versioned hash of a KZG commitment: 0x01 ‖ sha256(commitment)[1:].
    function versionedHash(bytes calldata commitment) public pure returns (bytes32) {
        return (sha256(commitment) & bytes32(type(uint256).max >> 8)) | bytes32(VERSIONED_HASH_VERSION_KZG);
    }

    /// @notice r = keccak256(C ‖ C_q ‖ half) mod BLS_MODULUS (node/blobs.py `half_challenge`).
    function challenge(bytes calldata commitment, bytes calldata quotientCommitment, bytes calldata half)
        public
        pure
        returns (uint256 r)
    {
        if (commitment.length != KZG_LENGTH) revert WrongCommitmentLength(commitment.length);
        if (quotientCommitment.length != KZG_LENGTH) revert WrongCommitmentLength(quotientCommitment.length);
        assembly ("memory-safe") {
            // Hashed from free memory without allocating it: `decode` writes the data there next.
            let m := mload(0x40)
            calldatacopy(m, commitment.offset, KZG_LENGTH)
            calldatacopy(add(m, KZG_LENGTH), quotientCommitment.offset, KZG_LENGTH)
            calldatacopy(add(m, 96), half.offset, half.length)
            r := mod(keccak256(m, add(96, half.length)), BLS_MODULUS)
        }
    }

    /// @dev True iff the point-evaluation precompile accepts (hash, z, y, commitment, proof).
    function _opens(bytes32 hash, uint256 z, uint256 y, bytes calldata commitment, bytes calldata proof)
        private
        view
        returns (bool)
    {
        (bool ok, bytes memory out) =
            POINT_EVALUATION.staticcall{gas: POINT_EVALUATION_GAS}(abi.encodePacked(hash, z, y, commitment, proof));
        if (!ok || out.length != 64) return false;
        (uint256 width, uint256 modulus) = abi.decode(out, (uint256, uint256));
        return width == FIELD_ELEMENTS_PER_BLOB && modulus == BLS_MODULUS;
    }

    /// @notice h(z), h the degree < 2048 polynomial whose value at ω^bitrev12(i) is field element
    ///         i of `half` (i < 2048: the points are the 2048th roots of unity ω_k = ω^2k):
    ///           h(z) = (z^2048 - 1) / 2048 · Σ_k g_k ω_k / (z - ω_k),   or g_k if z = ω_k,
    ///         g_k the element at half index bitrev11(k). Four terms at a time: for k < 512 and
    ///         r = ω^2k, half elements 4j .. 4j + 3 (j = bitrev9(k), one 128-byte run of calldata)
    ///         sit at r, -r, ir, -ir (i = ω^1024), whose four terms share the denominator z^4 - r^4:
    ///           f0 r/(z-r) + f1 (-r)/(z+r) = ((f0-f1) zr + (f0+f1) r²) / (z² - r²) = N1 / (z² - r²)
    ///           f2 ir/(z-ir) + f3 (-ir)/(z+ir) = ((f2-f3) zr i - (f2+f3) r²) / (z² + r²) = N2 / (z² + r²)
    ///           sum = (N1 (z² + r²) + N2 (z² - r²)) / (z^4 - r^4)
    ///         The sum is kept as one fraction num/den, so the loop needs no inverse and one
    ///         modular inversion (MODEXP) finishes it.
    function evaluate(bytes calldata half, uint256 z) public view returns (uint256 y) {
        if (half.length != HALF_SIZE) revert WrongBlobSize(half.length);
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
            let base := half.offset // copies of the arguments near the top of the stack
            let point := z
            let z2 := mulmod(point, point, p)
            let z4 := mulmod(z2, z2, p)
            let sum := 0
            let denominator := 1
            let r := 1
            let stopped := 0
            for { let k := 0 } lt(k, 512) { k := add(k, 1) } {
                // bitrev11(k) = bitrev12(k) / 2, a multiple of 4: bits reversed within nibbles,
                // then nibbles reversed, then halved
                let a := or(shl(1, and(k, 0x555)), shr(1, and(k, 0xaaa)))
                a := or(shl(2, and(a, 0x333)), shr(2, and(a, 0xccc)))
                a := shr(1, or(or(shl(8, and(a, 0xf)), and(a, 0xf0)), shr(8, a)))
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
                r := mulmod(r, HALF_ROOT, p)
            }
            num := sum
            den := denominator
            outcome := stopped
        }
        if (outcome >> 32 == 1) {
            uint256 first = uint32(outcome);
            while (uint256(bytes32(half[first * 32:first * 32 + 32])) < BLS_MODULUS) first++;
            revert FieldElementNotCanonical(first);
        }
        if (outcome >> 33 == 1) {
            // z is r, -r, ir or -ir for r = ω^bitrev12(at): the element at that root
            uint256 at = uint32(outcome);
            uint256 root = _power(ROOT_OF_UNITY, _bitrev12(at));
            if (z == BLS_MODULUS - root) at += 1;
            else if (z == mulmod(root, ROOT_OF_MINUS_ONE, BLS_MODULUS)) at += 2;
            else if (z != root) at += 3;
            return uint256(bytes32(half[at * 32:at * 32 + 32]));
        }
        uint256 zPow = z;
        for (uint256 i = 0; i < 11; i++) zPow = mulmod(zPow, zPow, BLS_MODULUS); // z^2048
        uint256 scale = mulmod(addmod(zPow, BLS_MODULUS - 1, BLS_MODULUS), INVERSE_HALF_WIDTH, BLS_MODULUS);
        y = mulmod(scale, mulmod(num, _inverse(den), BLS_MODULUS), BLS_MODULUS);
    }

    /// @notice The data of a version-0 blob whose first half is `half` (node: `decode_blob`, which
    ///         reads only that half), refused as node refuses it.
    function decode(bytes calldata half) public pure returns (bytes memory data) {
        if (half.length != HALF_SIZE) revert WrongBlobSize(half.length);
        bool refused;
        (data, refused) = _decode(half);
        if (refused) {
            assembly ("memory-safe") {
                revert(add(data, 32), mload(data))
            }
        }
    }

    /// @dev `decode` of a half of HALF_SIZE bytes: its data, or (`refused`) the encoding error
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
