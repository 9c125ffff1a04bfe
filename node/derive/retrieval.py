"""Stage 2, retrieval: an L1 block's data for derivation — the batcher's data and the deposits.

Only transactions sent to the batch inbox address BY the configured batcher address count:
anyone can send to the inbox, and counting others would let them write the L2 chain. Every
other inbox transaction is ignored with a logged reason. Blob transactions (EIP-4844) are
ignored for now: their calldata is not where their data is, and blob retrieval is not built.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from eth.abc import SignedTransactionAPI
from eth_typing import Address
from eth_utils import to_checksum_address

from node.derive.l1_source import L1BlockRef, L1Source

log = logging.getLogger("lantau.derive")

BLOB_TX_TYPE = 0x03


@dataclass(frozen=True, slots=True)
class L1BlockData:
    block: L1BlockRef
    batcher_data: tuple[bytes, ...]  # calldata of the batcher's inbox transactions, block order
    deposits: tuple[SignedTransactionAPI, ...]


def retrieve(l1: L1Source, block: L1BlockRef, *, batch_inbox: Address, batcher_address: Address) -> L1BlockData:
    """Read everything derivation takes from `block` (raises `TemporaryError` to retry)."""
    batcher_data = []
    for tx in l1.inbox_transactions(block, batch_inbox):
        if tx.sender != batcher_address:
            log.info(
                "ignoring inbox transaction: not from the batcher",
                extra={"l1_block": block.number, "index": tx.index, "sender": to_checksum_address(tx.sender)},
            )
            continue
        if tx.tx_type == BLOB_TX_TYPE:
            log.warning(
                "ignoring batcher blob transaction: blob retrieval is not supported yet",
                extra={"l1_block": block.number, "index": tx.index},
            )
            continue
        batcher_data.append(tx.data)
    return L1BlockData(block, tuple(batcher_data), tuple(l1.deposits(block)))
