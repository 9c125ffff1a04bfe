"""Evidence that a blob batcher transaction carried some data, as `BlobReader`
(contracts/src/L1/derive/BlobReader.sol) reads it on L1: the blob's first half (65,536 bytes: all
derivation reads of a blob, node/blobs.py), p's KZG commitment, the quotient q's commitment
(p - h = (X^2048 - 1) q, h the half's interpolant) and both polynomials opened at
r = keccak256(C ‖ C_q ‖ half) (`node.blobs.open_half`), beside the transaction's versioned hashes
(which hash to the inbox's kind-1 item, `node.batch_inbox.batch_item`).

The blobs come from `L1Source.blobs` (a beacon node's, checked against the versioned hashes);
the rest is computed here (`node.blobs.open_half`: two NTTs, q's commitment, two openings). A
beacon node's sidecar carries only C: q and the openings at r are the prover's own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from eth_typing import Hash32

from eth_abi import encode as abi_encode

from node.batch_inbox import BLOBS_KIND, batch_item
from node.blobs import HALF_SIZE, HalfOpening, open_half, versioned_hash
from node.derive.l1_source import InboxTransaction
from node.errors import LantauError


#: `BlobReader.ShownBlob`: `read`'s argument after the item, how the leaves are shown one blob.
SHOWN_BLOB_ABI = "(bytes32[],uint256,bytes,bytes,bytes,uint256,uint256,bytes,bytes)"


class BlobEvidenceError(LantauError):
    """The blobs given are not the blob transaction's."""


@dataclass(frozen=True, slots=True)
class BlobEvidence:
    """The arguments of `BlobReader.read` / `verify` for blob `index` of one blob transaction."""

    item: Hash32  # the inbox's item for the transaction: keccak256 of its versioned hashes
    versioned_hashes: tuple[Hash32, ...]
    index: int
    half: bytes  # the blob's first HALF_SIZE bytes
    opening: HalfOpening

    def read_args(self) -> tuple[bytes, tuple[list[bytes], int, bytes, bytes, bytes, int, int, bytes, bytes]]:
        return (bytes(self.item), self.shown_abi())

    def shown_abi(self) -> tuple[list[bytes], int, bytes, bytes, bytes, int, int, bytes, bytes]:
        """`BlobReader.ShownBlob` (`read_args` without the item, which L1 has)."""
        o = self.opening
        return ([bytes(h) for h in self.versioned_hashes], self.index, self.half, o.commitment, o.quotient_commitment,
                o.y, o.quotient_y, o.proof, o.quotient_proof)


def shown_blobs(evidence: Sequence[BlobEvidence]) -> bytes:
    """abi.encode(ShownBlob[]): `IDerivationStep.InboxData`'s data for a blob item, every blob in order."""
    return abi_encode([f"{SHOWN_BLOB_ABI}[]"], [[e.shown_abi() for e in evidence]])


def blob_evidence(tx: InboxTransaction, blobs: Sequence[bytes]) -> tuple[BlobEvidence, ...]:
    """One `BlobEvidence` per blob of blob transaction `tx`; `blobs` its blobs in order (as
    `L1Source.blobs(block, tx.blob_versioned_hashes)` returns them)."""
    kind, item = batch_item(tx)
    if kind != BLOBS_KIND:
        raise BlobEvidenceError(f"inbox transaction {tx.index} is not a blob transaction (kind {kind})")
    if len(blobs) != len(tx.blob_versioned_hashes):
        raise BlobEvidenceError(f"transaction {tx.index} has {len(tx.blob_versioned_hashes)} blobs, {len(blobs)} given")
    out = []
    for index, blob in enumerate(blobs):
        opening = open_half(blob)
        if versioned_hash(opening.commitment) != tx.blob_versioned_hashes[index]:
            raise BlobEvidenceError(f"blob {index} given is not the one transaction {tx.index} names")
        out.append(BlobEvidence(item, tx.blob_versioned_hashes, index, blob[:HALF_SIZE], opening))
    return tuple(out)
