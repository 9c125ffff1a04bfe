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
    /// @dev 4096^-1 mod BLS_MODULUS.
    uint256 internal constant INVERSE_WIDTH = 0x73e66878b46ae3705eb6a46a89213de7d3686828bfce5c19400fffff00100001;
    uint256 public constant MAX_BLOB_DATA_SIZE = 130_044; // 1024 rounds of 127 bytes, less version and length
    uint256 internal constant ROUNDS = 1024;
    uint256 internal constant VIRTUAL_SIZE = 130_048; // 1024 * 127
    uint256 internal constant KZG_LENGTH = 48;
    bytes1 internal constant VERSIONED_HASH_VERSION_KZG = 0x01;
    bytes16 internal constant FIAT_SHAMIR_DOMAIN = "FSBLOBVERIFY_V1_";
    address internal constant POINT_EVALUATION = address(0x0a);
    uint256 internal constant POINT_EVALUATION_GAS = 50_000; // EIP-4844's price; a failing call burns what it is given
    address internal constant MODEXP = address(0x05);

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
    ) external view returns (bytes memory data) {
        verify(item, versionedHashes, index, blob, commitment, proof);
        return decode(blob);
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
    function challenge(bytes calldata blob, bytes calldata commitment) public pure returns (uint256) {
        return uint256(sha256(abi.encodePacked(FIAT_SHAMIR_DOMAIN, uint128(FIELD_ELEMENTS_PER_BLOB), blob, commitment))) % BLS_MODULUS;
    }

    /// @notice The blob's polynomial at `z` (EIP-4844's `evaluate_polynomial_in_evaluation_form`):
    ///         with ω_k = ω^k and f_k the field element at blob index bitrev12(k),
    ///           p(z) = (z^4096 - 1) / 4096 · Σ_k f_k ω_k / (z - ω_k),   or f_k if z = ω_k.
    ///         The sum is kept as one fraction num/den (num·d + f·ω·den over den·d), so the loop
    ///         needs no inverse and one modular inversion (MODEXP) finishes it.
    function evaluate(bytes calldata blob, uint256 z) public view returns (uint256 y) {
        if (blob.length != BLOB_SIZE) revert WrongBlobSize(blob.length);
        if (z >= BLS_MODULUS) revert PointNotInField(z);
        uint256 p = BLS_MODULUS;
        uint256 num;
        uint256 den = 1;
        uint256 bad; // 1 + index of a non-canonical element
        uint256 hit; // 1 + index of the element whose root z is
        assembly ("memory-safe") {
            let w := 1
            for { let k := 0 } lt(k, 4096) { k := add(k, 1) } {
                // blob index of ω^k: k's 12 bits reversed (bits within nibbles, then nibbles)
                let i := or(shl(1, and(k, 0x555)), shr(1, and(k, 0xaaa)))
                i := or(shl(2, and(i, 0x333)), shr(2, and(i, 0xccc)))
                i := or(or(shl(8, and(i, 0xf)), and(i, 0xf0)), shr(8, i))
                let f := calldataload(add(blob.offset, shl(5, i)))
                if iszero(lt(f, p)) {
                    bad := add(i, 1)
                    break
                }
                let d := addmod(z, sub(p, w), p)
                switch d
                case 0 { hit := add(i, 1) }
                default {
                    num := addmod(mulmod(num, d, p), mulmod(mulmod(f, w, p), den, p), p)
                    den := mulmod(den, d, p)
                }
                w := mulmod(w, ROOT_OF_UNITY, p)
            }
        }
        if (bad != 0) revert FieldElementNotCanonical(bad - 1);
        if (hit != 0) return uint256(bytes32(blob[(hit - 1) * 32:hit * 32]));
        uint256 zPow = z;
        for (uint256 i = 0; i < 12; i++) zPow = mulmod(zPow, zPow, p); // z^4096
        uint256 scale = mulmod(addmod(zPow, p - 1, p), INVERSE_WIDTH, p);
        y = mulmod(scale, mulmod(num, _inverse(den), p), p);
    }

    /// @notice The data a version-0 blob carries (node: `decode_blob`), refused as node refuses it.
    function decode(bytes calldata blob) public pure returns (bytes memory data) {
        if (blob.length != BLOB_SIZE) revert WrongBlobSize(blob.length);
        if (uint8(blob[1]) != 0) revert UnknownBlobEncodingVersion(uint8(blob[1]));
        uint256 length = uint24(bytes3(blob[2:5]));
        if (length > MAX_BLOB_DATA_SIZE) revert BlobDataTooLong(length);
        uint256 badRound; // 1 + the first round with a field element's top bit set
        bool trailing;
        assembly ("memory-safe") {
            // The 130,048 "virtual" bytes are written from `base`; `data` is virtual[4:4+length]:
            // its length word goes at base - 28, over the version and length bytes it drops.
            data := mload(0x40)
            let base := add(data, 28)
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
            if iszero(badRound) {
                let end := add(base, VIRTUAL_SIZE)
                mstore(end, 0) // the last word read below reaches past the virtual bytes
                for { let at := add(add(base, 4), length) } lt(at, end) { at := add(at, 32) } {
                    if mload(at) {
                        trailing := 1
                        break
                    }
                }
                mstore(data, length)
                mstore(0x40, add(add(data, 32), and(add(length, 31), not(31))))
            }
        }
        if (badRound != 0) revert BlobFieldElementTopBitsSet(badRound - 1);
        if (trailing) revert BlobTrailingData();
    }

    /// @dev x^-1 mod BLS_MODULUS (x ≠ 0) by Fermat, through the MODEXP precompile.
    function _inverse(uint256 x) private view returns (uint256 inv) {
        (bool ok, bytes memory out) = MODEXP.staticcall(abi.encode(32, 32, 32, x, BLS_MODULUS - 2, BLS_MODULUS));
        require(ok && out.length == 32);
        inv = abi.decode(out, (uint256));
    }
}
