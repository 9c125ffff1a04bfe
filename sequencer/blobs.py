"""EIP-4844 blobs for the batcher: the blob data encoding, KZG commitments and cell proofs, and
blob transactions in their network (EIP-7594 "pooled") form.

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

KZG: eth-account 0.14 reloads the trusted setup (~2.7 s here) on every commitment, proof and
cell-proof computation, so signing one blob transaction with `blobs=` costs ~11.7 s. Here the
setup is loaded once per process (`bridge.l1_source.kzg_trusted_setup`) and reused; a blob then
costs ~4 ms (commitment) + ~105 ms (128 cell proofs). The transaction itself is signed by
eth-account with `blobVersionedHashes` only (no KZG work), and wrapped here::

    network form = 0x03 ++ rlp([tx_payload_body, wrapper_version = 1, blobs, commitments,
                                cell_proofs])                                  (EIP-7594)

The transaction hash covers only `tx_payload_body`, so it is the same in both forms.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Sequence

import ckzg
import rlp
from eth_account import Account
from eth_typing import Hash32
from eth_utils import keccak

from bridge.l1_source import kzg_trusted_setup

BLOB_SIZE = 4096 * 32
BLOB_ENCODING_VERSION = 0x00
ROUNDS = 1024
ROUND_SIZE = 127
MAX_BLOB_DATA_SIZE = ROUNDS * ROUND_SIZE - 4  # 130,044
VERSIONED_HASH_VERSION_KZG = 0x01
BLOB_TX_TYPE = 0x03
POOLED_TX_WRAPPER_VERSION = 1  # EIP-7594: cell proofs instead of one proof per blob
GAS_PER_BLOB = 2**17
MAX_BLOBS_PER_TX = 6  # EIP-7594's per-transaction limit


class BlobEncodingError(ValueError):
    """Data that cannot be a blob, or a blob that is not a version-0 encoding."""


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
        raise BlobEncodingError(f"a blob is {BLOB_SIZE} bytes, got {len(blob)}")
    if blob[1] != BLOB_ENCODING_VERSION:
        raise BlobEncodingError(f"unknown blob encoding version {blob[1]}")
    length = int.from_bytes(blob[2:5], "big")
    if length > MAX_BLOB_DATA_SIZE:
        raise BlobEncodingError(f"blob announces {length} bytes, at most {MAX_BLOB_DATA_SIZE} fit")
    virtual = bytearray(ROUNDS * ROUND_SIZE)
    for r in range(ROUNDS):
        base = 128 * r
        a, b, c, d = blob[base], blob[base + 32], blob[base + 64], blob[base + 96]
        if (a | b | c | d) & 0xC0:
            raise BlobEncodingError(f"field element in round {r} has a top bit set")
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
        raise BlobEncodingError("non-zero bytes after the blob's data")
    return bytes(virtual[4:end])


# --- KZG -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BlobSidecar:
    """What a blob transaction carries besides its payload body (EIP-7594 form)."""

    blobs: tuple[bytes, ...]
    commitments: tuple[bytes, ...]
    cell_proofs: tuple[bytes, ...]  # CELLS_PER_EXT_BLOB (128) per blob, blob by blob

    @property
    def versioned_hashes(self) -> tuple[Hash32, ...]:
        return tuple(versioned_hash(c) for c in self.commitments)


def versioned_hash(commitment: bytes) -> Hash32:
    return Hash32(bytes([VERSIONED_HASH_VERSION_KZG]) + hashlib.sha256(commitment).digest()[1:])


def blob_sidecar(blobs: Sequence[bytes]) -> BlobSidecar:
    """Commitments and cell proofs for `blobs`, with the trusted setup loaded once per process."""
    if not 1 <= len(blobs) <= MAX_BLOBS_PER_TX:
        raise BlobEncodingError(f"a blob transaction carries 1..{MAX_BLOBS_PER_TX} blobs, got {len(blobs)}")
    setup = kzg_trusted_setup()
    commitments, proofs = [], []
    for blob in blobs:
        commitments.append(bytes(ckzg.blob_to_kzg_commitment(blob, setup)))
        _cells, cell_proofs = ckzg.compute_cells_and_kzg_proofs(blob, setup)
        proofs.extend(bytes(p) for p in cell_proofs)
    return BlobSidecar(tuple(blobs), tuple(commitments), tuple(proofs))


# --- transactions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedBlobTransaction:
    hash: Hash32
    network_form: bytes  # what eth_sendRawTransaction takes


def sign_blob_transaction(tx: dict[str, Any], private_key: str | bytes, sidecar: BlobSidecar) -> SignedBlobTransaction:
    """Sign a type-3 transaction (without `blobVersionedHashes`: taken from `sidecar`) and wrap
    it with its sidecar. Deterministic: the same inputs give the same hash (RFC 6979)."""
    fields = dict(tx, type=BLOB_TX_TYPE, blobVersionedHashes=list(sidecar.versioned_hashes))
    signed = Account.sign_transaction(fields, private_key)  # no blobs given: no KZG work here
    canonical = bytes(signed.raw_transaction)
    if canonical[0] != BLOB_TX_TYPE:
        raise ValueError("eth-account did not produce a blob transaction")
    body = rlp.decode(canonical[1:])
    wrapped = rlp.encode(
        [body, POOLED_TX_WRAPPER_VERSION, list(sidecar.blobs), list(sidecar.commitments), list(sidecar.cell_proofs)]
    )
    return SignedBlobTransaction(Hash32(keccak(canonical)), bytes([BLOB_TX_TYPE]) + wrapped)
