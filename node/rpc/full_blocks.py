"""Blocks with full transactions, formatted on the second core and kept by block hash.

`eth_getBlockByNumber(…, true)` is the one read whose cost grows with the block: decoding and
formatting 500 transactions takes ~70 ms of the Python process that also builds blocks, and
explorers and wallets poll `latest` that way all the time. Two things keep that work off the
block producer's core:

- **the worker process** (`node.worker_process.SECOND_CORE`) decodes and formats the block's
  transactions and serialises the JSON. The node process only looks up what the worker needs (header, the
  stored transaction encodings, the senders and hashes from the block index, and the nonces
  deposits used, from their receipts): a few LevelDB reads. The worker holds no state: every
  job carries its block, so it cannot answer for a block it was not given.
- **answers kept by block hash**: a block hash commits to the header, hence to the
  transactions and receipts roots, so the text for one hash never changes. A reorg gives the
  new block another hash (`latest` and numbers are resolved to a hash on every call, before
  the cache is consulted); a restart starts with nothing kept.

Until the worker is ready, and if it dies, blocks are formatted in this process, the same way
(`format_full_block` is the one function both paths run).
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rlp
from eth.abc import BlockHeaderAPI

from node.rpc.format import format_block
from node.tx_index import BlockIndex, deposit_nonce
from node.vm import LantauVM
from node.worker_process import SECOND_CORE, WorkerProcess

if TYPE_CHECKING:
    from node.chain import Chain

DEPOSIT_TX_TYPE = 0x7E


class JsonText(str):
    """A result already serialised as JSON: the RPC server embeds it as it is."""


@dataclass(frozen=True, slots=True)
class FullBlockJob:
    """Everything `format_full_block` needs, as plain values (it crosses a process boundary)."""

    header_class: type
    header_rlp: bytes
    raw_transactions: tuple[bytes, ...]
    block_index: BlockIndex
    deposit_nonces: tuple[tuple[int, int], ...]  # (transaction index, nonce it used) per deposit

    @classmethod
    def of(cls, chain: "Chain", header: BlockHeaderAPI) -> "FullBlockJob":
        raw_transactions = chain.raw_transactions(header.hash)
        deposits = [index for index, raw in enumerate(raw_transactions) if raw[0] == DEPOSIT_TX_TYPE]
        nonces: tuple[tuple[int, int], ...] = ()
        if deposits:
            raw_receipts = chain.raw_receipts(header.hash)
            builder = LantauVM.get_receipt_builder()
            nonces = tuple((index, deposit_nonce(builder.decode(raw_receipts[index]))) for index in deposits)
        return cls(type(header), rlp.encode(header), raw_transactions, chain.block_index(header), nonces)


def format_full_block(job: FullBlockJob) -> JsonText:
    """The block of `job` with its transactions in full, as JSON text (`format_block`'s shape)."""
    header = rlp.decode(job.header_rlp, sedes=job.header_class)
    builder = LantauVM.get_transaction_builder()
    transactions = [builder.decode(raw) for raw in job.raw_transactions]
    nonces = dict(job.deposit_nonces)
    result = format_block(header, job.raw_transactions, job.block_index.tx_hashes, transactions=transactions,
                          deposit_nonces=[nonces.get(index) for index in range(len(transactions))],
                          senders=job.block_index.senders)
    return JsonText(json.dumps(result, separators=(",", ":"), allow_nan=False))


class FullBlockFormatter:
    """Full blocks for the RPC server: kept by hash, formatted by a worker process."""

    MAX_KEPT_BLOCKS = 16
    MAX_KEPT_CHARS = 64 * 1024 * 1024

    def __init__(self, worker: WorkerProcess = SECOND_CORE) -> None:
        self._kept: OrderedDict[bytes, JsonText] = OrderedDict()
        self._kept_chars = 0
        self.worker = worker
        self.formatted_by_worker = 0
        self.formatted_here = 0

    async def full_block(self, chain: "Chain", header: BlockHeaderAPI) -> JsonText:
        kept = self._kept.get(header.hash)
        if kept is not None:
            self._kept.move_to_end(header.hash)
            return kept
        job = FullBlockJob.of(chain, header)
        text = await self._format(job)
        self._keep(header.hash, text)
        return text

    async def _format(self, job: FullBlockJob) -> JsonText:
        work = self.worker.submit(format_full_block, job)
        if work is not None:
            try:
                text = await asyncio.wrap_future(work)
                self.formatted_by_worker += 1
                return text
            except BrokenProcessPool:
                self.worker.died()
        self.formatted_here += 1
        return format_full_block(job)

    def _keep(self, block_hash: bytes, text: JsonText) -> None:
        if block_hash in self._kept:
            return
        self._kept[block_hash] = text
        self._kept_chars += len(text)
        while len(self._kept) > self.MAX_KEPT_BLOCKS or self._kept_chars > self.MAX_KEPT_CHARS:
            _, dropped = self._kept.popitem(last=False)
            self._kept_chars -= len(dropped)
