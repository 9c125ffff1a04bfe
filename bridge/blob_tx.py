"""EIP-4844 blob transactions, as `bridge.tx_manager.TxManager` signs them for the batcher: KZG
commitments and cell proofs, and blob transactions in their network (EIP-7594 "pooled") form.

The blob data encoding and versioned hashes are the protocol's and live in node/blobs.py
(derivation reads them); they are re-exported here for the tools that build blob transactions.

KZG: eth-account 0.14 reloads the trusted setup (~2.7 s here) on every commitment, proof and
cell-proof computation, so signing one blob transaction with `blobs=` costs ~11.7 s. Here the
setup is loaded once per process (`node.blobs.kzg_trusted_setup`) and reused; a blob then
costs ~4 ms (commitment) + ~105 ms (128 cell proofs). The transaction itself is signed by
eth-account with `blobVersionedHashes` only (no KZG work), and wrapped here::

    network form = 0x03 ++ rlp([tx_payload_body, wrapper_version = 1, blobs, commitments,
                                cell_proofs])                                  (EIP-7594)

The transaction hash covers only `tx_payload_body`, so it is the same in both forms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import ckzg
import rlp
from eth_account import Account
from eth_typing import Hash32
from eth_utils import keccak

from node.blobs import (  # noqa: F401  (re-exported for the tools that build blob transactions)
    BLOB_ENCODING_VERSION,
    BLOB_SIZE,
    BLOB_TX_TYPE,
    MAX_BLOB_DATA_SIZE,
    MAX_BLOBS_PER_TX,
    ROUND_SIZE,
    ROUNDS,
    VERSIONED_HASH_VERSION_KZG,
    BlobEncodingError,
    decode_blob,
    encode_blob,
    kzg_commitment,
    kzg_trusted_setup,
    versioned_hash,
)

POOLED_TX_WRAPPER_VERSION = 1  # EIP-7594: cell proofs instead of one proof per blob
GAS_PER_BLOB = 2**17


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


def blob_sidecar(blobs: Sequence[bytes]) -> BlobSidecar:
    """Commitments and cell proofs for `blobs`, with the trusted setup loaded once per process."""
    if not 1 <= len(blobs) <= MAX_BLOBS_PER_TX:
        raise BlobEncodingError(f"a blob transaction carries 1..{MAX_BLOBS_PER_TX} blobs, got {len(blobs)}")
    setup = kzg_trusted_setup()
    commitments, proofs = [], []
    for blob in blobs:
        commitments.append(kzg_commitment(blob))
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
