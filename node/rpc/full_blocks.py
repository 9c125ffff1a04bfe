"""Blocks with full transactions, formatted on the second core and kept by block hash.

`eth_getBlockByNumber(…, true)` is the one read whose cost grows with the block: decoding and
formatting 500 transactions takes ~70 ms of the Python process that also builds blocks, and
explorers and wallets poll `latest` that way all the time. Two things keep that work off the
block producer's core:

- **a worker process** (`FullBlockFormatter`) decodes and formats the block's transactions
  and serialises the JSON. The node process only looks up what the worker needs (header, the
  stored transaction encodings, the senders and hashes from the block index, and the nonces
  deposits used, from their receipts): a few LevelDB reads. The worker holds no state: every
  job carries its block, so it cannot answer for a block it was not given.
- **answers kept by block hash**: a block hash commits to the header, hence to the
  transactions and receipts roots, so the text for one hash never changes. A reorg gives the
  new block another hash (`latest` and numbers are resolved to a hash on every call, before
  the cache is consulted); a restart starts with nothing kept.

The worker starts on the first full-block read (nodes that never serve one never start it);
until it is ready, and if it ever breaks, blocks are formatted in this process, the same way
(`format_full_block` is the one function both paths run).
"""

from __future__ import annotations

import asyncio
import json
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import rlp
from eth.abc import BlockHeaderAPI

from node.rpc.format import format_block
from node.tx_index import BlockIndex, deposit_nonce
from node.vm import LantauVM

if TYPE_CHECKING:
    from node.chain import Chain

log = logging.getLogger("lantau.rpc")

DEPOSIT_TX_TYPE = 0x7E
PARENT_CHECK_S = 0.5  # how often the worker looks whether the node process still lives


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


def _ready() -> bool:
    return True


def _exit_with(parent_pid: int) -> None:
    """Worker initializer: exit when the node process is gone, however it ended (a SIGKILLed
    parent never shuts its pool down, and a spawned worker would wait on its queue forever)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="lantau-exit-with-node", daemon=True).start()


class FullBlockFormatter:
    """Full blocks for the RPC server: kept by hash, formatted by a worker process."""

    MAX_KEPT_BLOCKS = 16
    MAX_KEPT_CHARS = 64 * 1024 * 1024

    def __init__(self) -> None:
        self._kept: OrderedDict[bytes, JsonText] = OrderedDict()
        self._kept_chars = 0
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[bool] | None = None
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
        pool = self._worker()
        if pool is not None:
            try:
                text = await asyncio.wrap_future(pool.submit(format_full_block, job))
                self.formatted_by_worker += 1
                return text
            except BrokenProcessPool:
                log.warning("the full-block worker process died: formatting full blocks in the node process")
                self._pool = None
        self.formatted_here += 1
        return format_full_block(job)

    def start(self) -> "Future[bool]":
        """Start the worker process (once); the future is done when it is ready."""
        if self._started is None:
            # spawn: a fresh interpreter, never a fork of a process holding LevelDB and threads.
            self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_exit_with, initargs=(os.getpid(),))
            self._started = self._pool.submit(_ready)
        return self._started

    def _worker(self) -> ProcessPoolExecutor | None:
        """The worker if it is ready (starting it on the first call)."""
        started = self.start()
        ready = started.done() and not started.cancelled() and started.exception() is None
        return self._pool if ready else None

    def _keep(self, block_hash: bytes, text: JsonText) -> None:
        if block_hash in self._kept:
            return
        self._kept[block_hash] = text
        self._kept_chars += len(text)
        while len(self._kept) > self.MAX_KEPT_BLOCKS or self._kept_chars > self.MAX_KEPT_CHARS:
            _, dropped = self._kept.popitem(last=False)
            self._kept_chars -= len(dropped)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
