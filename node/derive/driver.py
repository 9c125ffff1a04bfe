"""The derivation service: runs the pipeline against L1 and moves the safe/finalized heads.

A verifier runs it alone: every block it has comes from L1 data. A sequencer runs it next to
its block producer ("the sequencer checks itself"): a derived block that equals the
sequencer's own unsafe block is adopted and becomes safe; one that differs replaces it and is
logged as an error, loudly — it means the sequencer built something L1 data does not support.
A derived block past the sequencer's head (a sequencer stopped, or behind, while the windows of
its next origins passed: derivation forces their deposit-only blocks) replaces nothing: the chain
grows from L1, logged as such, not as a difference.

Both writers (producer, driver) share one lock, so neither builds on a head the other is
about to replace.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from eth.abc import BlockHeaderAPI
from eth_utils import encode_hex

from node.derive.pipeline import DerivationPipeline, DerivedBlock
from node.errors import CriticalError, ResetError, TemporaryError
from node.heads import Heads, L2HeadRef
from node.l1_block_ref import L1BlockRef
from node.lifecycle import StopSignal

log = logging.getLogger("lantau.derive")

MAX_BLOCKS_PER_STEP = 64
MAX_RETRY_INTERVAL_S = 10.0  # backoff cap while L1 is unreachable


@dataclass
class DerivationDriver:
    pipeline: DerivationPipeline
    heads: Heads
    chain_lock: asyncio.Lock
    on_new_head: Callable[[BlockHeaderAPI], None]
    l1_finalized: Callable[[], L1BlockRef | None]
    is_sequencer: bool = False
    poll_interval_s: float = 0.5
    mismatches: int = 0
    l1_failures: int = 0  # consecutive steps L1 failed; the service backs off while it is above 0
    _pending_finality: deque[tuple[BlockHeaderAPI, L1BlockRef]] = field(default_factory=deque)
    _stopping: StopSignal = field(default_factory=StopSignal)

    def step(self) -> list[DerivedBlock]:
        """Derive what L1 has now (blocking: call from a worker thread)."""
        derived: list[DerivedBlock] = []
        try:
            for _ in range(MAX_BLOCKS_PER_STEP):
                head_before = self.pipeline.chain.head
                block = self.pipeline.step()
                if block is None:
                    break
                self._record(block, head_before)
                derived.append(block)
            self._finalize()
        except ResetError as exc:
            log.warning("L1 reorganised under the safe head: %s", exc)
            self.pipeline.reset()
            self._pending_finality = deque(p for p in self._pending_finality if p[0].block_number <= self.pipeline.safe_head.block_number)
            if self.pipeline.safe_l1 is not None:
                self.heads.set_safe(self.pipeline.safe_head, self.pipeline.safe_l1)
        except TemporaryError as exc:
            # L1 went away (or answered half): retry, never stop. One line when it starts, one
            # when it ends, not one per retry.
            self.l1_failures += 1
            if self.l1_failures == 1:
                log.warning("derivation waits for L1, retrying with backoff (up to every %.0f s): %s", MAX_RETRY_INTERVAL_S, exc)
            return derived
        if self.l1_failures:
            log.info("L1 is back: derivation goes on", extra={"failed_steps": self.l1_failures})
            self.l1_failures = 0
        return derived

    def retry_interval_s(self) -> float:
        """How long to wait before the next step: the poll interval, doubled per failed step in a
        row while L1 is unreachable, up to `MAX_RETRY_INTERVAL_S`."""
        if not self.l1_failures:
            return self.poll_interval_s
        return min(MAX_RETRY_INTERVAL_S, self.poll_interval_s * 2 ** min(self.l1_failures, 16))

    def _record(self, block: DerivedBlock, head_before: BlockHeaderAPI) -> None:
        """`head_before`: the chain's head before `block` was derived. A block built on it
        extends the chain (nothing of the sequencer's is replaced); one built on an older
        block replaces the sequencer's blocks above that one."""
        if block.built is not None and self.is_sequencer:
            extra = {"number": block.header.block_number, "derived_hash": encode_hex(block.header.hash),
                     "deposit_only": block.deposit_only, "sequencer_head": head_before.block_number}
            if block.header.parent_hash == head_before.hash:
                log.info("derived block extends the chain past the sequencer's head: the sequencer built no block"
                         " there (stopped, or behind L1), nothing was replaced", extra=extra)
            else:
                self.mismatches += 1
                log.error("derived block differs from the sequencer's own: the sequencer's unsafe chain was replaced",
                          extra={**extra, "replaced_blocks": head_before.block_number - block.header.block_number + 1})
        self.heads.set_safe(block.header, block.derived_from)
        self._pending_finality.append((block.header, block.derived_from))
        if block.built is not None:
            self.on_new_head(block.header)

    def _finalize(self) -> None:
        finalized_l1 = self.l1_finalized()
        if finalized_l1 is None:
            return
        newest: tuple[BlockHeaderAPI, L1BlockRef] | None = None
        while self._pending_finality and self._pending_finality[0][1].number <= finalized_l1.number:
            newest = self._pending_finality.popleft()
        if newest is not None:
            header, l1 = newest
            self.heads.set_finalized(L2HeadRef(header.hash, header.block_number, l1.hash, l1.number))

    async def run(self) -> None:
        while not self._stopping.is_set():
            async with self.chain_lock:
                try:
                    derived = await asyncio.to_thread(self.step)
                except CriticalError:
                    log.critical("derivation cannot continue", exc_info=True)
                    raise
            if not derived:
                await self._stopping.wait(self.retry_interval_s())

    async def stop(self) -> None:
        """Stop after the step being derived (if any) is persisted."""
        self._stopping.set()
        async with self.chain_lock:
            pass
