"""EIP-4844 blobs as Lantau's batcher data: the blob data encoding and the versioned hash.

Blob data encoding, version 0 — exactly the OP Stack's (op-service/eth/blob.go), so a blob
holds `MAX_BLOB_DATA_SIZE` = 130,044 bytes::

    A blob is 4096 field elements of 32 bytes; the top two bits of every field element's first
    byte must be 0 (the element must stay below the BLS12-381 modulus), so each element carries
    31 whole bytes plus 6 bits. The data is read as 1024 rounds of 127 bytes ("virtual" bytes):

        virtual = 0x00 (version) ++ u24_be(len(data)) ++ data ++ zero padding to 1024 * 127

    round r, with c = virtual[127 r : 127 (r + 1)] and x, y, z = c[31], c[63], c[95]:
        field element 4r     = A ++ c[0:31]      A = x & 0x3f
        field element 4r + 1 = B ++ c[32:63]     B = (y & 0x0f) | ((x & 0xc0) >> 2)
        field element 4r + 2 = C ++ c[64:95]     C = z & 0x3f
        field element 4r + 3 = D ++ c[96:127]    D = ((z & 0xc0) >> 2) | ((y & 0xf0) >> 4)

    So byte 1 of the blob is the version, bytes 2..4 the length. Decoding refuses another
    version, a length above 130,044, a field element with a top bit set, and any non-zero
    byte past the data (one encoding per data).

What a blob carries is what calldata carries: `batcher_tx_data = 0x00 ++ frame ++ ...`
(node/channels.py), one batcher "transaction's worth" of frames per blob.

A blob is named on L1 by its versioned hash (EIP-4844)::

    versioned_hash = 0x01 ++ sha256(kzg_commitment(blob))[1:]

`kzg_trusted_setup` loads the Ethereum KZG ceremony's setup once per process (~2.4 s here);
a commitment then costs ~4 ms.

A blob is shown on L1 (contracts/src/L1/derive/BlobReader.sol) by its bytes, its commitment and
`blob_kzg_proof`: EIP-4844's blob proof, the opening of the commitment at the Fiat-Shamir point
`blob_challenge` (what a beacon node's blob sidecar carries as `kzg_proof`).
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import ckzg
import eth_account
from eth_typing import Hash32

from node.errors import (
    BlobDataTooLong,
    BlobEncodingError,
    BlobFieldElementTopBitsSet,
    BlobTrailingData,
    UnknownBlobEncodingVersion,
    WrongBlobSize,
)

BLOB_TX_TYPE = 0x03
FIELD_ELEMENTS_PER_BLOB = 4096
BLOB_SIZE = FIELD_ELEMENTS_PER_BLOB * 32
BLOB_ENCODING_VERSION = 0x00
ROUNDS = 1024
ROUND_SIZE = 127
MAX_BLOB_DATA_SIZE = ROUNDS * ROUND_SIZE - 4  # 130,044
VERSIONED_HASH_VERSION_KZG = 0x01
BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
FIAT_SHAMIR_PROTOCOL_DOMAIN = b"FSBLOBVERIFY_V1_"
MAX_BLOBS_PER_TX = 6  # EIP-7594's per-transaction limit (the batcher's channel manager plans by it)

#: The Ethereum KZG ceremony's setup, as eth-account ships it (the same file as c-kzg-4844's).
KZG_TRUSTED_SETUP_PATH = str(
    Path(eth_account.__file__).parent / "typed_transactions" / "blob_transactions" / "kzg_trusted_setup.txt"
)



# --- blob data encoding ----------------------------------------------------------------------------


def encode_blob(data: bytes) -> bytes:
    """The blob that carries `data` (at most `MAX_BLOB_DATA_SIZE` bytes)."""
    if len(data) > MAX_BLOB_DATA_SIZE:
        raise BlobEncodingError(f"{len(data)} bytes do not fit a blob (at most {MAX_BLOB_DATA_SIZE})")
    virtual = bytes([BLOB_ENCODING_VERSION]) + len(data).to_bytes(3, "big") + data
    rounds = -(-len(virtual) // ROUND_SIZE)
    virtual = virtual.ljust(rounds * ROUND_SIZE, b"\x00")
    out = bytearray(BLOB_SIZE)
    for r in range(rounds):
        c = virtual[ROUND_SIZE * r : ROUND_SIZE * (r + 1)]
        x, y, z = c[31], c[63], c[95]
        base = 128 * r
        out[base] = x & 0x3F
        out[base + 1 : base + 32] = c[0:31]
        out[base + 32] = (y & 0x0F) | ((x & 0xC0) >> 2)
        out[base + 33 : base + 64] = c[32:63]
        out[base + 64] = z & 0x3F
        out[base + 65 : base + 96] = c[64:95]
        out[base + 96] = ((z & 0xC0) >> 2) | ((y & 0xF0) >> 4)
        out[base + 97 : base + 128] = c[96:127]
    return bytes(out)


def decode_blob(blob: bytes) -> bytes:
    """The data a version-0 blob carries; `BlobEncodingError` if it is not one."""
    if len(blob) != BLOB_SIZE:
        raise WrongBlobSize(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    if blob[1] != BLOB_ENCODING_VERSION:
        raise UnknownBlobEncodingVersion(f"unknown blob encoding version {blob[1]}")
    length = int.from_bytes(blob[2:5], "big")
    if length > MAX_BLOB_DATA_SIZE:
        raise BlobDataTooLong(f"blob announces {length} bytes, at most {MAX_BLOB_DATA_SIZE} fit")
    virtual = bytearray(ROUNDS * ROUND_SIZE)
    for r in range(ROUNDS):
        base = 128 * r
        a, b, c, d = blob[base], blob[base + 32], blob[base + 64], blob[base + 96]
        if (a | b | c | d) & 0xC0:
            raise BlobFieldElementTopBitsSet(f"field element in round {r} has a top bit set")
        v = ROUND_SIZE * r
        virtual[v : v + 31] = blob[base + 1 : base + 32]
        virtual[v + 31] = (a & 0x3F) | ((b & 0x30) << 2)
        virtual[v + 32 : v + 63] = blob[base + 33 : base + 64]
        virtual[v + 63] = (b & 0x0F) | ((d & 0x0F) << 4)
        virtual[v + 64 : v + 95] = blob[base + 65 : base + 96]
        virtual[v + 95] = (c & 0x3F) | ((d & 0x30) << 2)
        virtual[v + 96 : v + 127] = blob[base + 97 : base + 128]
    end = 4 + length
    if any(virtual[end:]):
        raise BlobTrailingData("non-zero bytes after the blob's data")
    return bytes(virtual[4:end])


# --- KZG: what names a blob on L1 ----------------------------------------------------------------


@lru_cache(maxsize=1)
def kzg_trusted_setup() -> object:
    """The KZG trusted setup, loaded once per process (precompute 0: the fastest load here)."""
    return ckzg.load_trusted_setup(KZG_TRUSTED_SETUP_PATH, 0)


def versioned_hash(commitment: bytes) -> Hash32:
    """EIP-4844: 0x01 ++ sha256(commitment)[1:]."""
    return Hash32(bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(commitment).digest()[1:])


def kzg_commitment(blob: bytes) -> bytes:
    """The blob's KZG commitment (48 bytes); `BlobEncodingError` if it is not a valid blob
    (wrong size, or a field element not below the BLS12-381 modulus)."""
    if len(blob) != BLOB_SIZE:
        raise WrongBlobSize(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    try:
        return bytes(ckzg.blob_to_kzg_commitment(blob, kzg_trusted_setup()))
    except RuntimeError as exc:  # c-kzg's answer to a field element >= the modulus
        raise BlobEncodingError(f"not a valid blob: {exc}") from exc


def blob_versioned_hash(blob: bytes) -> Hash32:
    """The versioned hash an L1 blob transaction names `blob` by."""
    return versioned_hash(kzg_commitment(blob))


def blob_challenge(blob: bytes, commitment: bytes) -> int:
    """EIP-4844's `compute_challenge`: the point where `blob_kzg_proof` opens the commitment,
    sha256(domain ‖ uint128(4096) ‖ blob ‖ commitment) mod BLS_MODULUS."""
    degree = FIELD_ELEMENTS_PER_BLOB.to_bytes(16, "big")
    digest = hashlib.sha256(FIAT_SHAMIR_PROTOCOL_DOMAIN + degree + blob + commitment).digest()
    return int.from_bytes(digest, "big") % BLS_MODULUS


def blob_kzg_proof(blob: bytes, commitment: bytes) -> bytes:
    """EIP-4844's blob proof (48 bytes): the KZG opening of `commitment` at `blob_challenge`."""
    if len(blob) != BLOB_SIZE:
        raise WrongBlobSize(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    try:
        return bytes(ckzg.compute_blob_kzg_proof(blob, commitment, kzg_trusted_setup()))
    except RuntimeError as exc:
        raise BlobEncodingError(f"cannot prove the blob: {exc}") from exc
