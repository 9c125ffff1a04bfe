"""Evidence that a blob batcher transaction carried some data, as `BlobReader`
(contracts/src/L1/derive/BlobReader.sol) reads it on L1: the blob's 131,072 bytes, its KZG
commitment and EIP-4844's blob proof, beside the transaction's versioned hashes (which hash to
the inbox's kind-1 item, `node.batch_inbox.batch_item`).

The blobs come from `L1Source.blobs` (a beacon node's, checked against the versioned hashes);
the commitment and proof are computed here (`node.blobs`), ~0.15-0.3 s a blob on the shared box. A beacon
node's blob sidecar carries the same commitment and proof.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from eth_typing import Hash32

from eth_abi import encode as abi_encode

from node.batch_inbox import BLOBS_KIND, batch_item
from node.blobs import blob_kzg_proof, kzg_commitment, versioned_hash
from node.derive.l1_source import InboxTransaction
from node.errors import LantauError


#: `BlobReader.ShownBlob`: `read`'s arguments after the item, how the leaves are shown one blob.
SHOWN_BLOB_ABI = "(bytes32[],uint256,bytes,bytes,bytes)"


class BlobEvidenceError(LantauError):
    """The blobs given are not the blob transaction's."""


@dataclass(frozen=True, slots=True)
class BlobEvidence:
    """The arguments of `BlobReader.read` / `verify` for blob `index` of one blob transaction."""

    item: Hash32  # the inbox's item for the transaction: keccak256 of its versioned hashes
    versioned_hashes: tuple[Hash32, ...]
    index: int
    blob: bytes
    commitment: bytes  # 48 bytes
    proof: bytes  # 48 bytes

    def read_args(self) -> tuple[bytes, list[bytes], int, bytes, bytes, bytes]:
        return (bytes(self.item), *self.shown_abi())

    def shown_abi(self) -> tuple[list[bytes], int, bytes, bytes, bytes]:
        """`BlobReader.ShownBlob` (`read_args` without the item, which L1 has)."""
        return ([bytes(h) for h in self.versioned_hashes], self.index, self.blob, self.commitment, self.proof)


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
        commitment = kzg_commitment(blob)
        if versioned_hash(commitment) != tx.blob_versioned_hashes[index]:
            raise BlobEvidenceError(f"blob {index} given is not the one transaction {tx.index} names")
        out.append(BlobEvidence(item, tx.blob_versioned_hashes, index, blob, commitment, blob_kzg_proof(blob, commitment)))
    return tuple(out)
