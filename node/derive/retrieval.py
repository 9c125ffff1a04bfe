"""Stage 2, retrieval: an L1 block's data for derivation — the batcher's data and the deposits.

Only transactions sent to the batch inbox address BY the configured batcher address count:
anyone can send to the inbox, and counting others would let them write the L2 chain. And only
those that succeeded (receipt status 1): the inbox is a contract (`BatchInbox`) that records a
commitment to every batcher transaction (node/batch_inbox.py), and a reverted call (out of gas,
or a stranger's `NotBatcher`) recorded nothing, so derivation must not read it either, or L1's
record and derivation would disagree on the block's data. Every other inbox transaction is
ignored with a logged reason (and a stranger's or a reverted transaction's blobs are never
fetched: their absence must not stall derivation).

The batcher's data comes in two kinds of transaction, both read (as OP's since Ecotone):

- a calldata transaction: its calldata is one batcher data item (`0x00 ++ frame ++ ...`);
- a blob (EIP-4844, type 3) transaction: each blob, decoded with the blob data encoding
  (node/blobs.py), is one batcher data item; its calldata is ignored (OP's rule).

Items keep block order, and a blob transaction's blobs their order in the transaction.

The blobs of a block are fetched in one `L1Source.blobs` call and each is checked against
the versioned hash its transaction names, whatever the source already checked: a blob that
does not match, or one the source cannot give (beacon node down, blob pruned), raises
`TemporaryError`. Skipping it instead would derive another chain than a node that got it.
A blob that matches but is not a valid blob encoding is L1's content, not a fault of the
source: it is dropped with a logged reason, as a malformed calldata transaction is later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Sequence

from eth.abc import SignedTransactionAPI
from eth_typing import Address, Hash32
from eth_utils import encode_hex, to_checksum_address

from node.blobs import BLOB_TX_TYPE, BlobEncodingError, blob_versioned_hash, decode_blob
from node.derive.l1_source import InboxTransaction, L1Source
from node.errors import TemporaryError
from node.l1_block_ref import L1BlockRef

log = logging.getLogger("lantau.derive")


@dataclass(frozen=True, slots=True)
class L1BlockData:
    block: L1BlockRef
    # The batcher's data items, block order: each calldata transaction's calldata, and each
    # blob of its blob transactions decoded (`0x00 ++ frame ++ ...`, not yet checked).
    batcher_data: tuple[bytes, ...]
    deposits: tuple[SignedTransactionAPI, ...]


def retrieve(l1: L1Source, block: L1BlockRef, *, batch_inbox: Address, batcher_address: Address) -> L1BlockData:
    """Read everything derivation takes from `block` (raises `TemporaryError` to retry)."""
    batcher_txs = []
    for tx in l1.inbox_transactions(block, batch_inbox):
        if tx.sender != batcher_address:
            log.info(
                "ignoring inbox transaction: not from the batcher",
                extra={"l1_block": block.number, "index": tx.index, "sender": to_checksum_address(tx.sender)},
            )
            continue
        if not tx.succeeded:
            log.info(
                "ignoring inbox transaction: reverted on L1",
                extra={"l1_block": block.number, "index": tx.index, "sender": to_checksum_address(tx.sender)},
            )
            continue
        batcher_txs.append(tx)
    blobs = _fetch_blobs(l1, block, [tx for tx in batcher_txs if tx.tx_type == BLOB_TX_TYPE])
    batcher_data: list[bytes] = []
    for tx in batcher_txs:
        if tx.tx_type != BLOB_TX_TYPE:
            batcher_data.append(tx.data)
            continue
        if tx.data:
            log.info(
                "ignoring the calldata of a batcher blob transaction",
                extra={"l1_block": block.number, "index": tx.index, "calldata_bytes": len(tx.data)},
            )
        for blob_index, versioned_hash in enumerate(tx.blob_versioned_hashes):
            try:
                batcher_data.append(decode_blob(blobs[versioned_hash]))
            except BlobEncodingError as exc:
                log.warning(
                    "dropping blob: %s", exc,
                    extra={"l1_block": block.number, "index": tx.index, "blob_index": blob_index,
                           "versioned_hash": encode_hex(versioned_hash), "reason": type(exc).__name__},
                )
    return L1BlockData(block, tuple(batcher_data), tuple(l1.deposits(block)))


def _fetch_blobs(l1: L1Source, block: L1BlockRef, blob_txs: Sequence[InboxTransaction]) -> dict[bytes, bytes]:
    """The blobs of `blob_txs` by versioned hash, each checked against it (`TemporaryError`)."""
    wanted: list[Hash32] = list(dict.fromkeys(h for tx in blob_txs for h in tx.blob_versioned_hashes))
    if not wanted:
        return {}
    fetched = l1.blobs(block, wanted)
    if len(fetched) != len(wanted):
        raise TemporaryError(
            f"L1 source gave {len(fetched)} blobs for the {len(wanted)} asked of L1 block {block.number}"
        )
    for versioned_hash, blob in zip(wanted, fetched):
        try:
            matches = blob_versioned_hash(blob) == versioned_hash
        except BlobEncodingError:  # not even a blob (size, field element): cannot be L1's
            matches = False
        if not matches:
            raise TemporaryError(
                f"L1 source gave a blob of L1 block {block.number} that does not match its versioned "
                f"hash {encode_hex(versioned_hash)}"
            )
    return {bytes(h): blob for h, blob in zip(wanted, fetched)}
