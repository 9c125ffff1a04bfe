"""The sequencer's block production loop: one L2 block every `block_time_s`.

With a block time, a block is never stamped ahead of the wall clock. When the loop falls
behind (the event loop stalled, a build took long), the slots it missed are skipped, not
caught up on: building them back to back would stamp each one second after the last, ahead
of the clock, and once the head runs ahead it stays ahead for good. The sequencer drift rule
bounds an L2 timestamp by its L1 origin's timestamp + `max_sequencer_drift`, and origins
are L1 blocks that exist, so stamping ahead of real time spends drift budget that L1 time
cannot give back: the drift runs out and the sequencer must fall back to empty blocks
against a stale origin. Skipped slots cost only throughput: the next block holds what the
skipped ones would have, its timestamp is the wall clock, and derivation accepts any
timestamp gap (the OP Stack's sequencer likewise never builds a block whose time is in the
future, and a verifier fills no gaps). If the head is ahead of the clock already (an
operator's clock stepped back), the loop waits for the clock to pass it.

Behind L1 (after a stop longer than the sequencing window: sequencer/l1_origin.py, "Catching
up"), the blocks that catch up are stamped by their origins, in the past, and built back to back
without waiting for a slot, so the origin gains on L1; those whose batch could land after the
window are the deposit-only blocks derivation forces there (no pool transactions).

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
from typing import Callable, Sequence

from eth.abc import BlockHeaderAPI, SignedTransactionAPI, StateAPI
from eth_utils import encode_hex

from node.chain import BlockAttributes, BuiltBlock
from node.derive.attributes import attributes_on
from node.derive.l1_source import L1Source
from node.errors import ShuttingDown, TemporaryError
from node.lifecycle import StopSignal
from node.service import L2Node
from sequencer.errors import SlotSkipped
from sequencer.l1_origin import EpochPlan, plan_next_block

#: On demand (block time 0), how often the loop looks at the pool without being woken.
ON_DEMAND_RECHECK_S = 1.0

log = logging.getLogger("lantau.sequencer")


@dataclass(frozen=True, slots=True)
class PlannedBlock:
    parent: BlockHeaderAPI
    attributes: BlockAttributes
    #: The L1 origin's plan (`sequencer.l1_origin.plan_next_block`), which says whether the block
    #: catches up and takes no pool transactions; None without an L1 (neither, ever).
    plan: EpochPlan | None = None

    @property
    def catching_up(self) -> bool:
        """Behind L1: stamped by its origin; the loop builds the next at once (`EpochPlan.catching_up`)."""
        return self.plan is not None and self.plan.catching_up

    @property
    def deposit_only(self) -> bool:
        """The block derivation forces there, no pool transactions (`EpochPlan.deposit_only`)."""
        return self.plan is not None and self.plan.deposit_only


@dataclass(frozen=True, slots=True)
class ProducerConfig:
    block_time_s: float = 1.0
    # No fee recipient here: derivation pays the SequencerFeeVault, so a configurable one would
    # fork every verifier (`node.derive.attributes.attributes_on` is the one rule).
    empty_blocks: bool = True  # with a block time, build even when the pool is empty (heads keep moving)
    # With a block time, the share of it spent applying pool transactions; what does not fit
    # waits for the next block, so the state root and persisting still finish within the slot.
    fill_budget: float = 0.5


class BlockProducer:
    def __init__(
        self, node: L2Node, config: ProducerConfig, l1: L1Source | None = None, *,
        l1_start_block: int = 0, sequencing_window: int | None = None, chain_lock: asyncio.Lock | None = None,
        clock: Callable[[], float] = time.time, monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.node = node
        self.config = config
        self.l1 = l1
        self.l1_start_block = l1_start_block
        self.sequencing_window = sequencing_window  # the rollup's: catching up (sequencer/l1_origin.py)
        self.catching_up = False  # the last block built caught up on L1: build the next one at once
        # `admin_stopSequencer`: the interval loop builds nothing until `admin_startSequencer`
        # (dev controls still may), so nothing new is batched: on a devnet, L1 then passes the
        # sequencing windows and derivation forces deposit-only blocks (forced inclusion).
        self.paused = False
        # Shared with the derivation driver: one writer of the chain at a time.
        self._build_lock = chain_lock or asyncio.Lock()
        self._stopping = StopSignal()
        # The time blocks are stamped by: the wall clock, or a dev-mode clock that time travels
        # (`node.rpc.dev.DevClock`: evm_increaseTime, evm_setNextBlockTimestamp).
        self.clock = clock
        self.monotonic = monotonic  # times a block's filling (`ProducerConfig.fill_budget`)

    def next_attributes(self, *, on_the_clock: bool = False) -> tuple[BlockHeaderAPI, BlockAttributes]:
        """The parent to build on and the block's attributes (with L1 deposits, when L1 is set).
        `on_the_clock`: raise `SlotSkipped` rather than stamp the block ahead of the wall clock.

        Blocking (reads L1): call it from a worker thread.
        """
        planned = self.plan_block(on_the_clock=on_the_clock)
        return planned.parent, planned.attributes

    def plan_block(self, *, on_the_clock: bool = False) -> PlannedBlock:
        """`next_attributes`, with whether the block catches up on L1 and takes no pool transactions."""
        head = self.node.chain.head
        # Timestamps strictly increase; on demand several blocks may share a wall-clock second.
        now = self.clock()
        timestamp = max(int(now), head.timestamp + 1)
        if on_the_clock and timestamp > now:
            raise SlotSkipped(f"the next block's timestamp {timestamp} would be ahead of the wall clock")
        if self.l1 is None:
            return PlannedBlock(head, attributes_on(head, timestamp, ()))
        plan = plan_next_block(self.node.chain, head, timestamp, self.l1, l1_start_block=self.l1_start_block,
                               sequencing_window=self.sequencing_window)
        if plan.abandoned:
            log.warning("L1 reorg: rebuilding unsafe L2 blocks", extra={"from_block": plan.parent.block_number + 1, "abandoned": len(plan.abandoned)})
            self.node.reset_pool(plan.parent)  # their transactions back, selectable in the rebuilt block
        attributes = plan.attributes(timestamp)
        if on_the_clock and attributes.timestamp > now:
            raise SlotSkipped(f"the next block's timestamp {attributes.timestamp} would be ahead of the wall clock")
        return PlannedBlock(plan.parent, attributes, plan)

    def _build(
        self, on_the_clock: bool = False, state_edits: Callable[[StateAPI], None] | None = None,
        dev_transactions: Sequence[SignedTransactionAPI] = (),
    ) -> BuiltBlock:
        planned = self.plan_block(on_the_clock=on_the_clock)
        parent, attributes = planned.parent, planned.attributes
        self.catching_up = planned.catching_up
        reserved_gas = sum(t.gas for t in attributes.forced_transactions) + sum(t.gas for t in dev_transactions)
        transactions = [] if planned.deposit_only else self.node.select_transactions(parent, attributes.gas_limit - reserved_gas)
        # Dev transactions go after the pool's, which may hold the same sender's earlier nonces.
        stop_filling = None
        if on_the_clock and not dev_transactions:  # the interval loop: the block must fit its slot
            fill_until = self.monotonic() + self.config.block_time_s * self.config.fill_budget
            stop_filling = lambda: self.monotonic() > fill_until  # noqa: E731
        return self.node.chain.build_block(parent, attributes, [*transactions, *dev_transactions], state_edits=state_edits,
                                           stop_filling=stop_filling)

    async def produce_block(
        self, *, on_the_clock: bool = False, state_edits: Callable[[StateAPI], None] | None = None,
        dev_transactions: Sequence[SignedTransactionAPI] = (),
    ) -> BuiltBlock:
        """Build the next block. `on_the_clock`: never stamp it ahead of the wall clock
        (raise `SlotSkipped` instead), as the interval loop requires. `state_edits`: dev mode's
        direct state changes (`Chain.build_block`); `dev_transactions`: dev mode's impersonated
        sends (`node.rpc.dev`), never in the pool, included after the pool's transactions."""
        async with self._build_lock:
            if self._stopping.is_set():
                raise ShuttingDown("the sequencer is shutting down")
            built = await asyncio.to_thread(self._build, on_the_clock, state_edits, dev_transactions)
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
        block_time_s = self.config.block_time_s
        next_tick = time.monotonic()
        while not self._stopping.is_set():
            # Timestamps are whole seconds. The next one may not have come yet: within this
            # slot, wait for it; beyond it (a block time under a second, or a head already
            # ahead of the clock), this slot has no block.
            ahead_s = self.node.chain.head.timestamp + 1 - self.clock()
            if 0 < ahead_s <= block_time_s:
                await asyncio.sleep(ahead_s)
            if ahead_s > block_time_s or self.paused:
                pass  # ahead of the clock, or stopped by `admin_stopSequencer` (no blocks, so no batches)
            elif self.config.empty_blocks or len(self.node.txpool):
                try:
                    await self.produce_block(on_the_clock=True)
                except TemporaryError as exc:
                    self.catching_up = False
                    log.warning("block skipped: %s", exc)
                if self.catching_up:  # behind L1: the next block at once, not at the next slot
                    next_tick = time.monotonic()
                    await asyncio.sleep(0)
                    continue
            next_tick += block_time_s
            now = time.monotonic()
            if next_tick < now:
                missed = int((now - next_tick) // block_time_s) + 1
                log.warning("block production fell behind: skipping %d slot(s)", missed)
                next_tick += missed * block_time_s
            await self._stopping.wait(max(0.0, next_tick - time.monotonic()))

    async def _run_on_demand(self) -> None:
        arrived = self.node.tx_arrival_event()
        stalled = False
        while not self._stopping.is_set():
            # An arrival wakes the loop at once; the timeout is a backstop, so that a transaction
            # that became selectable without a new arrival (or whose wake-up raced a build) is
            # built within ON_DEMAND_RECHECK_S instead of waiting for the next sender.
            try:
                await asyncio.wait_for(arrived.wait(), ON_DEMAND_RECHECK_S)
            except asyncio.TimeoutError:
                if stalled:
                    continue  # the pool's head transactions fail to execute: wait for news
            arrived.clear()
            stalled = False
            while not self._stopping.is_set() and self.node.select_transactions(
                self.node.chain.head, self.node.chain.head.gas_limit
            ):
                try:
                    built = await self.produce_block()
                except TemporaryError as exc:
                    log.warning("block skipped: %s", exc)
                    break
                if not built.block.transactions:
                    stalled = True
                    break  # everything selectable was rejected by execution; wait for news
