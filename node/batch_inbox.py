"""The batch inbox's commitment: L1's record of the batcher transactions of one L1 block.

`BatchInbox` (contracts/src/L1/BatchInbox.sol), the contract the batcher posts to, keeps per L1
block number the hash chain of the batcher's (successful) transactions to it, in block order:

    c_0 = bytes32(0)
    c_i = keccak256(c_{i-1} ‖ uint8 kind_i ‖ bytes32 item_i)

    kind 0, a calldata transaction:   item = keccak256(calldata)
    kind 1, a blob transaction:       item = keccak256(versionedHash_0 ‖ … ‖ versionedHash_{n-1})

Derivation reads exactly these transactions (node/derive/retrieval.py: to the inbox, from the
batcher, succeeded), so the chain of what it read equals `batchHashChain(block)` on L1.

One L1 block carries at most `MAX_BATCHER_DATA_PER_L1_BLOCK` bytes of batcher data, counted as the
derivation leaf (`DerivationStep`) is shown them (`batcher_data_size`: a calldata transaction its
calldata, a blob transaction 65,536 a blob: the blob's first half, all derivation reads of it): the inbox reverts a transaction that would pass it
(`BatcherDataOverBlockBound`), so derivation, which reads only successful inbox transactions,
drops it ("ignoring inbox transaction: reverted on L1"). The batcher plans by these (one
transaction in flight, frames and blobs within the bound: sequencer/channel_manager.py).
"""

from __future__ import annotations

from typing import Iterable

from eth_typing import Hash32
from eth_utils import keccak

from node.blobs import BLOB_TX_TYPE, HALF_SIZE
from node.derive.l1_source import InboxTransaction

CALLDATA_KIND = 0
BLOBS_KIND = 1
EMPTY_BATCH_CHAIN = Hash32(bytes(32))
#: `BatchInbox.MAX_BATCHER_DATA_PER_L1_BLOCK`: two blobs, or 128 KiB of calldata. The most one
#: derivation step reads of an L1 block's inbox data (docs/batches.md "What one derivation step reads").
MAX_BATCHER_DATA_PER_L1_BLOCK = 131_072


def batcher_data_size(calldata: bytes, blobs: int) -> int:
    """What a batcher transaction counts against its L1 block's bound: its calldata, or `HALF_SIZE`
    (65,536: the half the leaf is shown) a blob for a blob transaction (its calldata ignored), as
    the inbox counts it."""
    return blobs * HALF_SIZE if blobs else len(calldata)


def batch_item(tx: InboxTransaction) -> tuple[int, Hash32]:
    """(kind, item hash) of one batcher transaction, as the inbox records it."""
    if tx.tx_type == BLOB_TX_TYPE:
        return BLOBS_KIND, Hash32(keccak(b"".join(bytes(h) for h in tx.blob_versioned_hashes)))
    return CALLDATA_KIND, Hash32(keccak(tx.data))


def batch_hash_chain(txs: Iterable[InboxTransaction]) -> Hash32:
    """`BatchInbox.batchHashChain` of an L1 block whose batcher transactions are `txs` (block order)."""
    chain = EMPTY_BATCH_CHAIN
    for tx in txs:
        kind, item = batch_item(tx)
        chain = Hash32(keccak(chain + bytes([kind]) + item))
    return chain
