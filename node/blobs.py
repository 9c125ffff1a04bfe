"""EIP-4844 blobs as Lantau's batcher data: the blob data encoding, the versioned hash, and the
evidence that shows a blob's first half on L1.

Blob data encoding, version 0 — OP's (op-service/eth/blob.go) over a blob's **first half**
(Lantau's chain rule, docs/batches.md "Blob transaction"), so a blob holds `MAX_BLOB_DATA_SIZE`
= 65,020 bytes::

    A blob is 4096 field elements of 32 bytes; the top two bits of every field element's first
    byte must be 0 (the element must stay below the BLS12-381 modulus), so each element carries
    31 whole bytes plus 6 bits. The data is read from the first 2048 elements (`HALF_SIZE` =
    65,536 bytes) as 512 rounds of 127 bytes ("virtual" bytes):

        virtual = 0x00 (version) ++ u24_be(len(data)) ++ data ++ zero padding to 512 * 127

    round r, with c = virtual[127 r : 127 (r + 1)] and x, y, z = c[31], c[63], c[95]:
        field element 4r     = A ++ c[0:31]      A = x & 0x3f
        field element 4r + 1 = B ++ c[32:63]     B = (y & 0x0f) | ((x & 0xc0) >> 2)
        field element 4r + 2 = C ++ c[64:95]     C = z & 0x3f
        field element 4r + 3 = D ++ c[96:127]    D = ((z & 0xc0) >> 2) | ((y & 0xf0) >> 4)

    So byte 1 of the blob is the version, bytes 2..4 the length. Decoding refuses another
    version, a length above 65,020, a field element of the half with a top bit set, and any
    non-zero byte of the half past the data (one encoding per data). The other 2048 elements
    are not read at all: whatever they hold, the blob's data is the same (`encode_blob` leaves
    them zero). **Difference from OP**, whose blob holds 130,044 bytes over all 1024 rounds.

What a blob carries is what calldata carries: `batcher_tx_data = 0x00 ++ frame ++ ...`
(node/channels.py), one batcher "transaction's worth" of frames per blob.

A blob is named on L1 by its versioned hash (EIP-4844)::

    versioned_hash = 0x01 ++ sha256(kzg_commitment(blob))[1:]

`kzg_trusted_setup` loads the Ethereum KZG ceremony's setup once per process (~2.4 s here);
a commitment then costs ~4 ms.

A blob's first half is shown on L1 (contracts/src/L1/derive/BlobReader.sol, `HalfOpening` here)
without its second half: in EIP-4844's bit-reversed order element i sits at ω^bitrev12(i), and
for i < 2048 that exponent is even, so the half's points are the 2048th roots of unity (vanishing
polynomial X^2048 - 1). With p the blob's polynomial and h the degree < 2048 interpolant of the
half, p - h = (X^2048 - 1) q, deg q < 2048 (q's coefficients are p's upper 2048: `quotient_blob`).
The caller shows the half, p's commitment C, q's commitment C_q, and openings of p and q at
r = keccak256(C ‖ C_q ‖ half) mod BLS_MODULUS (`half_challenge`); L1 checks both openings with the
point-evaluation precompile, computes h(r) from the half and requires p(r) - h(r) = (r^2048 - 1) q(r).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import ckzg
import eth_account
from eth_typing import Hash32
from eth_utils import keccak

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
#: The elements derivation reads: the blob's first half (its points the 2048th roots of unity).
HALF_ELEMENTS = FIELD_ELEMENTS_PER_BLOB // 2
HALF_SIZE = HALF_ELEMENTS * 32  # 65,536: what one blob counts against an L1 block's batcher data
ROUNDS = HALF_ELEMENTS // 4  # 512
ROUND_SIZE = 127
MAX_BLOB_DATA_SIZE = ROUNDS * ROUND_SIZE - 4  # 65,020
VERSIONED_HASH_VERSION_KZG = 0x01
BLS_MODULUS = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
#: ω = 7^((BLS_MODULUS - 1) / 4096): EIP-4844's primitive 4096th root of unity (BlobReader's ROOT_OF_UNITY).
ROOT_OF_UNITY = pow(7, (BLS_MODULUS - 1) // FIELD_ELEMENTS_PER_BLOB, BLS_MODULUS)
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
    """The data a version-0 blob carries; `BlobEncodingError` if it is not one. Only the blob's
    first half is read (`decode_half`)."""
    if len(blob) != BLOB_SIZE:
        raise WrongBlobSize(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    return decode_half(blob[:HALF_SIZE])


def decode_half(half: bytes) -> bytes:
    """The data of a blob whose first half (2048 elements, `HALF_SIZE` bytes) is `half`."""
    if len(half) != HALF_SIZE:
        raise WrongBlobSize(f"a blob's first half is {HALF_SIZE} bytes, got {len(half)}")
    blob = half
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


# --- the first half on L1: p - h = (X^2048 - 1) q ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class HalfOpening:
    """What shows a blob's first half on L1 besides the half itself (BlobReader's `ShownBlob`):
    p's commitment, q's, and both polynomials opened at `half_challenge`."""

    commitment: bytes  # C, 48 bytes: the one the versioned hash names
    quotient_commitment: bytes  # C_q, 48 bytes
    y: int  # p(r)
    quotient_y: int  # q(r)
    proof: bytes  # 48 bytes: p's opening at r
    quotient_proof: bytes  # 48 bytes: q's opening at r


def _bitrev12(k: int) -> int:
    return int(format(k, "012b")[::-1], 2)


def _ntt(values: list[int], root: int) -> list[int]:
    """out[k] = Σ_j values[j] root^(jk) mod BLS_MODULUS (len(values) a power of two, root of that order)."""
    n = len(values)
    out = [values[int(format(i, f"0{n.bit_length() - 1}b")[::-1], 2)] for i in range(n)]
    size = 2
    while size <= n:
        step = pow(root, n // size, BLS_MODULUS)
        half = size // 2
        twiddles = [1] * half
        for j in range(1, half):
            twiddles[j] = twiddles[j - 1] * step % BLS_MODULUS
        for start in range(0, n, size):
            for j in range(half):
                a, b = out[start + j], out[start + j + half] * twiddles[j] % BLS_MODULUS
                out[start + j], out[start + j + half] = (a + b) % BLS_MODULUS, (a - b) % BLS_MODULUS
        size *= 2
    return out


def quotient_blob(blob: bytes) -> bytes:
    """q, with p - h = (X^2048 - 1) q (p the blob's polynomial, h the interpolant of its first half
    on the 2048th roots of unity), as a blob: its 4096 values at ω^bitrev12(i), for c-kzg.

    p's coefficients d_0..d_4095 (inverse NTT of its values); dividing by X^2048 - 1 leaves
    q_k = d_{k+2048} and remainder d_k + d_{k+2048} (k < 2048), which is h: the half's interpolant."""
    if len(blob) != BLOB_SIZE:
        raise WrongBlobSize(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    n = FIELD_ELEMENTS_PER_BLOB
    values = [int.from_bytes(blob[32 * _bitrev12(k) : 32 * _bitrev12(k) + 32], "big") for k in range(n)]
    if any(v >= BLS_MODULUS for v in values):
        raise BlobEncodingError("not a valid blob: a field element is not below the BLS12-381 modulus")
    inverse_n = pow(n, BLS_MODULUS - 2, BLS_MODULUS)
    coefficients = [c * inverse_n % BLS_MODULUS for c in _ntt(values, pow(ROOT_OF_UNITY, BLS_MODULUS - 2, BLS_MODULUS))]
    q_values = _ntt(coefficients[n // 2 :] + [0] * (n // 2), ROOT_OF_UNITY)
    return b"".join(q_values[_bitrev12(i)].to_bytes(32, "big") for i in range(n))


def half_challenge(commitment: bytes, quotient_commitment: bytes, half: bytes) -> int:
    """r = keccak256(C ‖ C_q ‖ half) mod BLS_MODULUS: fixed by the half and q's commitment."""
    return int.from_bytes(keccak(commitment + quotient_commitment + half), "big") % BLS_MODULUS


def open_half(blob: bytes) -> HalfOpening:
    """The evidence that shows `blob`'s first half on L1 (~0.2-0.4 s: two NTTs, a commitment, two openings)."""
    commitment = kzg_commitment(blob)
    quotient = quotient_blob(blob)
    setup = kzg_trusted_setup()
    quotient_commitment = bytes(ckzg.blob_to_kzg_commitment(quotient, setup))
    r = half_challenge(commitment, quotient_commitment, blob[:HALF_SIZE]).to_bytes(32, "big")
    proof, y = ckzg.compute_kzg_proof(blob, r, setup)
    quotient_proof, quotient_y = ckzg.compute_kzg_proof(quotient, r, setup)
    return HalfOpening(commitment, quotient_commitment, int.from_bytes(bytes(y), "big"),
                       int.from_bytes(bytes(quotient_y), "big"), bytes(proof), bytes(quotient_proof))
