"""The sequencer's block production loop: one L2 block every `block_time_s`.

With `block_time_s == 0` blocks are built on demand: as soon as transactions arrive (the way
anvil's automine works), which tests and scripts rely on. Building runs in a worker thread so
the JSON-RPC server keeps answering; each block is persisted atomically by `Chain.build_block`,
so cancelling the loop (SIGTERM) between or during blocks loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from eth_typing import Address, Hash32
from eth_utils import encode_hex, keccak

from genesis.predeploys import SEQUENCER_FEE_VAULT
from eth.abc import BlockHeaderAPI

from node.chain import BlockAttributes, BuiltBlock
from node.derive.l1_source import L1Source
from node.errors import ShuttingDown, TemporaryError
from node.service import L2Node
from sequencer.l1_origin import plan_next_block

log = logging.getLogger("lantau.sequencer")


@dataclass(frozen=True, slots=True)
class ProducerConfig:
    block_time_s: float = 1.0
    fee_recipient: Address = SEQUENCER_FEE_VAULT
    empty_blocks: bool = True  # with a block time, build even when the pool is empty (heads keep moving)


class BlockProducer:
    def __init__(
        self, node: L2Node, config: ProducerConfig, l1: L1Source | None = None, *,
        l1_start_block: int = 0, chain_lock: asyncio.Lock | None = None,
    ) -> None:
        self.node = node
        self.config = config
        self.l1 = l1
        self.l1_start_block = l1_start_block
        # Shared with the derivation driver: one writer of the chain at a time.
        self._build_lock = chain_lock or asyncio.Lock()
        self._stopping = asyncio.Event()

    def next_attributes(self) -> tuple[BlockHeaderAPI, BlockAttributes]:
        """The parent to build on and the block's attributes (with L1 deposits, when L1 is set).

        Blocking (reads L1): call it from a worker thread.
        """
        head = self.node.chain.head
        # Timestamps strictly increase; on demand several blocks may share a wall-clock second.
        timestamp = max(int(time.time()), head.timestamp + 1)
        parent, forced = head, ()
        if self.l1 is not None:
            plan = plan_next_block(self.node.chain, head, timestamp, self.l1, l1_start_block=self.l1_start_block)
            parent, forced = plan.parent, plan.forced_transactions
            if plan.abandoned:
                log.warning("L1 reorg: rebuilding unsafe L2 blocks", extra={"from_block": parent.block_number + 1, "abandoned": len(plan.abandoned)})
                self.node.return_to_pool(plan.abandoned, parent)
            timestamp = max(timestamp, parent.timestamp + 1, plan.origin.timestamp)
        return parent, BlockAttributes(
            timestamp=timestamp,
            fee_recipient=self.config.fee_recipient,
            prev_randao=Hash32(keccak(parent.hash)),
            gas_limit=parent.gas_limit,
            forced_transactions=tuple(forced),
        )

    def _build(self) -> BuiltBlock:
        parent, attributes = self.next_attributes()
        transactions = self.node.select_transactions(parent, attributes.gas_limit - sum(t.gas for t in attributes.forced_transactions))
        return self.node.chain.build_block(parent, attributes, transactions)

    async def produce_block(self) -> BuiltBlock:
        async with self._build_lock:
            if self._stopping.is_set():
                raise ShuttingDown("the sequencer is shutting down")
            built = await asyncio.to_thread(self._build)
            self.node.on_new_block(built)
        for rejected in built.rejected:
            log.warning("transaction dropped from block", extra={"tx": encode_hex(rejected.transaction.hash), "reason": rejected.reason})
        log.info(
            "built block",
            extra={"number": built.header.block_number, "hash": encode_hex(built.header.hash), "txs": len(built.block.transactions), "gas_used": built.header.gas_used},
        )
        return built

    async def run(self) -> None:
        if self.config.block_time_s <= 0:
            await self._run_on_demand()
        else:
            await self._run_interval()

    async def stop(self) -> None:
        """Stop after the block being built (if any) is persisted; never abandon a build thread."""
        self._stopping.set()
        async with self._build_lock:
            pass

    async def _run_interval(self) -> None:
        next_tick = time.monotonic()
        while not self._stopping.is_set():
            next_tick += self.config.block_time_s
            if self.config.empty_blocks or len(self.node.txpool):
                try:
                    await self.produce_block()
                except TemporaryError as exc:
                    log.warning("block skipped: %s", exc)
            await asyncio.sleep(max(0.0, next_tick - time.monotonic()))

    async def _run_on_demand(self) -> None:
        arrived = self.node.tx_arrival_event()
        while not self._stopping.is_set():
            await arrived.wait()
            arrived.clear()
            while not self._stopping.is_set() and self.node.select_transactions(
                self.node.chain.head, self.node.chain.head.gas_limit
            ):
                built = await self.produce_block()
                if not built.block.transactions:
                    break  # everything selectable was rejected by execution; wait for news
