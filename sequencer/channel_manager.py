"""The batcher's channel manager, as op-batcher's: which L2 blocks go into which channel, when a
channel closes, times out or is safe on L1, and which frames the next transaction carries. No
I/O: the service (sequencer/batcher.py) reads the chain and L1 and tells it what happened; it
is unit-tested with plain values (tests/sequencer/test_channel_manager.py).

    add_block(...)          fill the open channel; it closes at `target_channel_size` compressed
                            bytes, `max_channel_blocks` blocks, the decompressed size limit
    close_if_due(...)       ... or `max_channel_duration_s` after it opened, when the sequencing
                            window of its first block's L1 origin is within `sub_safety_margin`
                            L1 blocks of closing (either only once it could go out at once: a
                            transaction to spare, no closing frame pending, no older channel waiting),
                            or on shutdown
    close_before_fresh_block(...)
                            ... and before a block whose window does not end soon joins a channel
                            whose first block's does (stale blocks never drag fresh ones), or
                            that could land in its window in the next channel joins one that
                            cannot land in its first block's
    next_tx_frames()        frames out: the oldest unsent frames (one per calldata transaction,
                            up to `max_blobs_per_tx` per blob transaction), while fewer than
                            `max_pending_txs` transactions are not included; a channel's last
                            frame not while another channel's is (one channel completes an L1 block);
                            a channel is named when its first frames go out: its id names `l1_head`
                            (node/channels.py `channel_id`), so its transactions land after that block
    tx_recorded / tx_sent / tx_included / tx_reorged / tx_failed
                            what the service did with a transaction, and what L1 did with it
    requeue_unread()        a channel whose every frame landed but that derivation does not read
                            (node's own channel bank, replayed over the batcher's transactions in
                            their L1 blocks: e.g. two closing transactions that an L1 reorg put
                            into one block, the second channel dropped; a frame that landed before
                            the block its channel id names), or one a transaction of which reverted
                            on L1 (derivation ignores it: the replay skips it), is abandoned with
                            every later one: their L2 blocks go into new channels
    time_out(l1_head)       a channel whose id names L1 block o, still incomplete at
                            o + channel_timeout, would be dropped by derivation: it and every
                            later channel are abandoned, their L2 blocks go into new channels
    confirm(l1_safe)        a channel whose every frame is in a block at or below L1's safe block
                            is done: `safe_l2` moves to its last block
    check_l2_reorg(...)     a channel whose last L2 block is no longer canonical is abandoned

The records (`BatcherState`, sequencer/batcher_state.py) are the manager's memory; the service
persists them whenever `dirty` is set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby

from eth_typing import Hash32
from eth_utils import encode_hex

from genesis.rollup_config import CHANNEL_TIMEOUT, SEQUENCING_WINDOW
from node.batches import MAX_BLOCK_USER_TRANSACTIONS, SingularBatch
from node.batch_inbox import MAX_BATCHER_DATA_PER_L1_BLOCK, batcher_data_size
from node.blobs import MAX_BLOB_DATA_SIZE, MAX_BLOBS_PER_TX
from node.channels import (
    CHANNEL_ID_LENGTH, CHANNEL_NONCE_LENGTH, FRAME_OVERHEAD, MAX_BATCHES_PER_CHANNEL, MAX_CHANNEL_BYTES, MAX_FRAME_DATA,
    ChannelBuilder, Compression, Frame, channel_id, channel_open_block, encode_batcher_tx_data, split_channel,
)
from node.deposit_tx import DEPOSIT_TX_TYPE
from node.derive.channel_bank import ChannelBank
from node.errors import ChannelFull, UnencodableBatch
from node.l1_block_ref import L1BlockRef
from node.l1_info import l1_origin_of_transactions
from node.vm import LantauVM
from sequencer.batcher_metrics import BatcherMetrics
from sequencer.batcher_state import BatcherState, ChannelRecord, TxRecord
from sequencer.errors import BatcherError

log = logging.getLogger("lantau.batcher")

#: Largest frame data a blob holds: the blob's data minus the version byte and frame header.
BLOB_FRAME_DATA = MAX_BLOB_DATA_SIZE - 1 - FRAME_OVERHEAD

# The canonical format: the only one derivation reads, as an L1 contract can decode it
# (bench/batch_size.py, docs/fault-proofs.md "Canonical batch format").
DEFAULT_COMPRESSION = Compression.FASTLZ
DEFAULT_SPAN_BATCHES = True



@dataclass(frozen=True, slots=True)
class BatcherConfig:
    batch_inbox: str
    compression: Compression = DEFAULT_COMPRESSION
    span_batches: bool = DEFAULT_SPAN_BATCHES
    use_blobs: bool = False
    # Compressed bytes. The chain's channel bounds (node/channels.py: MAX_RLP_BYTES_PER_CHANNEL, which
    # `ChannelBuilder` applies, and MAX_CHANNEL_BYTES) close a channel first at the defaults.
    target_channel_size: int = MAX_CHANNEL_BYTES
    # The fault proof decides a block on L1 by checking every transaction of its channel's span in
    # one L1 transaction: 1,600 ERC-20 transfers (2,000 HKD transfers) fit 16,777,216 gas with the
    # oracle's other work, 1,800 do not (bench/span_checks.py, docs/batches.md "Channel size"); the
    # cap keeps a margin for the leaf's other evidence, and bounds a channel's overshoot past the
    # target (the block that crosses it stays in). With blocks of up to MAX_BLOCK_USER_TRANSACTIONS
    # (500), each rebuilt and hashed when decided, two such blocks: a channel of 500 + 500 + 500
    # ERC-20 transfers is 16.1M modelled (bench/span_checks.py's model; checkInputs measured 2.2M
    # above the model on a 96 KB channel), 500 + 500 11.6M. (The chain's channel bounds,
    # MAX_RLP_BYTES_PER_CHANNEL, close a channel first at the defaults.)
    max_channel_transactions: int = 2 * MAX_BLOCK_USER_TRANSACTIONS
    max_frame_data: int = MAX_CHANNEL_BYTES  # calldata frames: a channel in one transaction
    # One L1 block carries at most MAX_BATCHER_DATA_PER_L1_BLOCK bytes of batcher data (the inbox
    # reverts a transaction past it: node/batch_inbox.py), a blob counting 65,536. A blob holds
    # 65,020 bytes of data (node/blobs.py), under a channel's MAX_CHANNEL_BYTES plus framing: a
    # channel that does not fit one blob goes out in calldata (`_close_open`), so a blob channel is
    # one frame, one blob: two blobs in one transaction would put a step over geth's 128 KiB.
    max_blobs_per_tx: int = 1
    max_channel_blocks: int = 10  # devnet: with 1 s L2 blocks, safe moves within seconds
    max_channel_duration_s: float = 10.0
    sequencing_window: int = SEQUENCING_WINDOW  # the rollup config's
    channel_timeout: int = CHANNEL_TIMEOUT  # the rollup config's
    sub_safety_margin: int = 10  # close a channel this many L1 blocks before its window ends
    # Sent, not yet included. They may all land in one L1 block, whose batcher data is bounded
    # (node/batch_inbox.py), and derivation reads one channel an L1 block (channel_bank.py): one.
    max_pending_txs: int = 1
    poll_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if not 1 <= self.max_frame_data <= MAX_FRAME_DATA:
            raise ValueError(f"max_frame_data must be in 1..{MAX_FRAME_DATA}")
        if not 1 <= self.max_blobs_per_tx <= MAX_BLOBS_PER_TX:
            raise ValueError(f"max_blobs_per_tx must be in 1..{MAX_BLOBS_PER_TX}")
        if self.max_channel_blocks < 1 or self.max_pending_txs < 1 or self.max_channel_transactions < 1:
            raise ValueError("max_channel_blocks, max_pending_txs and max_channel_transactions must be >= 1")
        if self.max_pending_txs * self.largest_tx_data > MAX_BATCHER_DATA_PER_L1_BLOCK:
            raise ValueError(f"{self.max_pending_txs} pending transactions of up to {self.largest_tx_data} bytes could pass "
                             f"an L1 block's {MAX_BATCHER_DATA_PER_L1_BLOCK} bytes of batcher data")
        if not self.span_batches and self.max_channel_blocks > MAX_BATCHES_PER_CHANNEL:
            raise ValueError(f"singular batches: max_channel_blocks must be at most {MAX_BATCHES_PER_CHANNEL} (batches a channel holds)")

    @property
    def largest_tx_data(self) -> int:
        """The most one batcher transaction counts against its L1 block's bound."""
        calldata = 1 + FRAME_OVERHEAD + self.max_frame_data
        if self.use_blobs:  # a channel past one blob goes out in calldata
            return max(batcher_data_size(b"", self.max_blobs_per_tx), calldata)
        return calldata


@dataclass
class RoundCounts:
    """What happened since the service last reset them (one `Batcher.step`)."""

    blocks_added: int = 0
    channels_closed: int = 0
    txs_sent: int = 0
    txs_included: int = 0
    reposts: int = 0
    fee_bumps: int = 0
    channels_confirmed: int = 0
    channels_abandoned: int = 0


@dataclass
class OpenChannel:
    builder: ChannelBuilder
    opened_at: float  # the manager's clock
    blocks: list[tuple[int, bytes]] = field(default_factory=list)  # (number, hash)
    first_origin: int = 0


def batch_of_block(number: int, parent_hash: bytes, timestamp: int, raw_transactions: list[bytes]) -> tuple[SingularBatch, bool]:
    """The batch of L2 block `number` (its user transactions; deposits are derived from L1) and
    whether it starts an epoch (its L1-info deposit has sequence number 0)."""
    if not raw_transactions:
        raise BatcherError(f"L2 block {number} has no L1-info deposit")
    origin = l1_origin_of_transactions([LantauVM.get_transaction_builder().decode(raw_transactions[0])], number)
    batch = SingularBatch(
        parent_hash=Hash32(parent_hash),
        l1_origin_number=origin.number,
        l1_origin_hash=origin.hash,
        timestamp=timestamp,
        transactions=tuple(raw for raw in raw_transactions if raw[0] != DEPOSIT_TX_TYPE),
    )
    return batch, origin.sequence_number == 0


class ChannelManager:
    def __init__(
        self,
        state: BatcherState,
        config: BatcherConfig,
        *,
        chain_id: int,
        clock: Callable[[], float] = time.monotonic,
        new_channel_nonce: Callable[[], bytes] = lambda: os.urandom(CHANNEL_NONCE_LENGTH),
    ) -> None:
        self.state, self.config, self.chain_id = state, config, chain_id
        self._clock, self._new_channel_nonce = clock, new_channel_nonce
        #: The L1 head the service last read (set each step): the block a channel's id names.
        self.l1_head = 0
        self.open: OpenChannel | None = None
        self.dirty = False
        self.counts = RoundCounts()
        self._warned_safe_reorg = False

    @property
    def metrics(self) -> BatcherMetrics:
        return self.state.metrics

    def live_txs(self) -> list[tuple[ChannelRecord, TxRecord]]:
        return [(channel, tx) for channel in self.state.channels for tx in channel.txs]

    # --- L2 reorgs ------------------------------------------------------------------------------

    def check_l2_reorg(self, canonical_hash: Callable[[int], bytes | None]) -> None:
        """Abandon the channels (and the open one) whose last L2 block `canonical_hash` no longer
        gives; batching resumes from the last canonical block the manager had."""
        if canonical_hash(self.state.safe_l2_number) != _bytes(self.state.safe_l2_hash):
            if not self._warned_safe_reorg:
                log.error(
                    "L2 block the batcher posted and saw safe is no longer canonical: the sequencer reorganised "
                    "below L1's safe block; batching continues from the canonical chain",
                    extra={"safe_l2": self.state.safe_l2_number},
                )
                self._warned_safe_reorg = True
        for index, channel in enumerate(self.state.channels):
            if channel.abandoned:
                continue
            if canonical_hash(channel.last_block) != _bytes(channel.last_block_hash):
                self.abandon_from(index, f"L2 reorg: block {channel.last_block} is no longer canonical")
                return
        if self.open is not None and self.open.blocks:
            number, block_hash = self.open.blocks[-1]
            if canonical_hash(number) != block_hash:
                log.warning("L2 reorg under the open channel: batching its blocks again", extra={"block": number})
                self.open = None

    # --- filling --------------------------------------------------------------------------------

    def next_block(self) -> int:
        """The next L2 block to add."""
        if self.open is not None and self.open.blocks:
            return self.open.blocks[-1][0] + 1
        for channel in reversed(self.state.channels):
            if not channel.abandoned:
                return channel.last_block + 1
        return self.state.safe_l2_number + 1

    def _new_builder(self) -> ChannelBuilder:
        return ChannelBuilder(
            channel_id=bytes(CHANNEL_ID_LENGTH),  # only the frames' data is kept: named when they go out
            chain_id=self.chain_id,
            compression=self.config.compression,
            span_batches=self.config.span_batches,
            target_size=self.config.target_channel_size,
            max_frame_data=BLOB_FRAME_DATA if self.config.use_blobs else self.config.max_frame_data,
            max_transactions=self.config.max_channel_transactions,
        )

    def add_block(self, number: int, block_hash: bytes, batch: SingularBatch, starts_epoch: bool) -> None:
        """Add L2 block `number` (the next one: `next_block()`) to the open channel, opening one
        if none is; close the channel when it is full."""
        if number != self.next_block():
            raise ValueError(f"L2 block {number} added, {self.next_block()} expected")
        for _ in range(2):
            if self.open is None:
                self.open = OpenChannel(self._new_builder(), self._clock(), first_origin=batch.l1_origin_number)
            try:
                self.open.builder.add_batch(batch, starts_epoch=starts_epoch)
                break
            except ChannelFull as exc:
                if not self.open.blocks:
                    raise BatcherError(f"L2 block {number} alone exceeds a channel's decompressed size limit")
                self._close_open(f"full ({exc})")
            except UnencodableBatch as exc:
                raise BatcherError(f"cannot batch L2 block {number}: {exc}") from exc
        assert self.open is not None
        self.open.blocks.append((number, block_hash))
        self.counts.blocks_added += 1
        if self.open.builder.is_full:
            self._close_open("target size reached")
        elif self.open.builder.block_count >= self.config.max_channel_blocks:
            self._close_open(f"{self.config.max_channel_blocks} blocks")

    def close_if_due(self, l1_head: int, *, shutting_down: bool = False) -> None:
        """Close the open channel on shutdown, or once it is due (its age, its first origin's
        window) and it could go out now: while a transaction is pending or an older channel
        still waits for its frames to go out, a due channel closed now would only wait in line
        and would land no sooner, so it stays open and takes the blocks built meanwhile (a
        sequencer catching up builds them back to back: several stale blocks per channel rather
        than one; its first block's window is met as well, as it is sent in the same step it
        would have been). The limits of size, blocks and transactions (`add_block`) and a fresh
        block after stale ones (`close_before_fresh_block`) still close it at once."""
        if self.open is None or not self.open.blocks:
            return
        if shutting_down:
            self._close_open("shutting down")
        elif not self._sendable_now():
            return
        elif self._clock() - self.open.opened_at >= self.config.max_channel_duration_s:
            self._close_open(f"open for {self.config.max_channel_duration_s} s")
        elif self._window_ends_soon(self.open.first_origin, l1_head):
            self._close_open(f"sequencing window of L1 origin {self.open.first_origin} ends soon")

    def _sendable_now(self) -> bool:
        """A channel closed now would go out this round: a transaction to spare (`max_pending_txs`),
        no other channel's last frame pending (`next_tx_frames` holds a closing frame then; a
        channel of several frames could send its first ones, but waits the one L1 block too) and
        no older channel with frames not yet sent."""
        pending = [(channel, tx) for channel, tx in self.live_txs() if not tx.included]
        if len(pending) >= self.config.max_pending_txs or any(len(c.frames) - 1 in tx.frames for c, tx in pending):
            return False
        return not any(channel.unassigned_frames() for channel in self.state.channels if not channel.abandoned)

    def close_before_fresh_block(self, origin_number: int, l1_head: int) -> None:
        """Close the open channel before a block of L1 origin `origin_number` joins it, when the
        channel's first origin's window ends soon and the block's does not. A span batch lands
        within its FIRST block's window or is dropped whole, so stale blocks (a sequencer catching
        up after a stop longer than the window: sequencer/l1_origin.py) must not drag fresh ones
        past their window; stale blocks still share channels among themselves, but a block whose
        window a channel after this one could still meet never joins this one if it cannot meet
        its first block's (a sequencer catching up builds its first blocks as the very blocks
        derivation forces, their batches too late by design: the blocks after them must not go
        down with them)."""
        if self.open is None or not self.open.blocks:
            return
        first = self.open.first_origin
        if self._stale(first, l1_head) and not self._stale(origin_number, l1_head):
            self._close_open(f"sequencing window of L1 origin {first} ends soon, before a block of origin {origin_number} joins")
        elif self._misses_window(first, l1_head) and not self._misses_window(origin_number, l1_head, behind=1):
            self._close_open(f"it cannot land in the sequencing window of L1 origin {first}, "
                             f"a block of origin {origin_number} still can in the next channel")

    def _misses_window(self, origin_number: int, l1_head: int, *, behind: int = 0) -> bool:
        """A channel closed now, `behind` channels after the open one, whose first block has L1
        origin `origin_number`, cannot land in that origin's window: derivation counts a batch
        included in [origin, origin + sequencing_window), and the channel lands at the earliest
        in the next L1 block plus one for every transaction ahead of it (pending, or to carry an
        older channel's frames: one channel completes an L1 block)."""
        ahead = sum(1 for _, tx in self.live_txs() if not tx.included)
        ahead += sum(len(channel.unassigned_frames()) for channel in self.state.channels if not channel.abandoned)
        return l1_head + 1 + ahead + behind >= origin_number + self.config.sequencing_window

    def _window_ends_soon(self, origin_number: int, l1_head: int) -> bool:
        return l1_head >= origin_number + self.config.sequencing_window - self.config.sub_safety_margin

    def _stale(self, origin_number: int, l1_head: int) -> bool:
        """The window of `origin_number` ends within `sub_safety_margin` L1 blocks, at most half a
        window (a window under the margin would leave no block fresh): a stale block, as the
        sequencer's catch-up counts them (`sequencer.l1_origin.catch_up_lag`)."""
        window = self.config.sequencing_window
        return l1_head >= origin_number + window - min(self.config.sub_safety_margin, window // 2)

    def _close_open(self, reason: str) -> None:
        assert self.open is not None and self.open.blocks
        builder = self.open.builder
        frames = builder.frames()
        # A blob is read by its first half (node/blobs.py: 65,020 bytes of data) and a derivation step
        # is shown every blob item of its L1 block: a channel past one blob (near-incompressible data,
        # up to MAX_CHANNEL_BYTES) goes out in calldata, one transaction, so the step over its block
        # is shown ~66 KB, not two halves (132,800 B, over geth's 128 KiB transaction bound).
        blob = self.config.use_blobs and len(frames) == 1
        if self.config.use_blobs and not blob:
            frames = split_channel(builder.channel_id, builder.channel_bytes(), self.config.max_frame_data)
        first, last = self.open.blocks[0], self.open.blocks[-1]
        channel = ChannelRecord(
            channel_id="",  # named when its first frames go out (`next_tx_frames`)
            first_block=first[0],
            last_block=last[0],
            last_block_hash=encode_hex(last[1]),
            frames=[frame.data.hex() for frame in frames],
            blob=blob,
            block_count=len(self.open.blocks),
            rlp_bytes=len(builder.rlp_batches()),
        )
        self.state.channels.append(channel)
        self.open = None
        self.dirty = True
        self.counts.channels_closed += 1
        self.metrics.channels_opened += 1
        log.info(
            "channel closed: %s", reason,
            extra={"l2_blocks": f"{channel.first_block}-{channel.last_block}",
                   "frames": len(frames), "compressed": builder.compressed_size, "uncompressed": channel.rlp_bytes},
        )

    # --- what derivation reads -------------------------------------------------------------------

    def requeue_unread(self) -> None:
        """Abandon the first channel whose every frame has landed on L1 but that derivation does
        not read, and every later one: their L2 blocks go into new channels (new ids).

        Derivation reads only the batcher's transactions, and the records hold every frame the
        batcher posted and the L1 block each landed in; so node's own `ChannelBank` (the chain's
        rules in one place: one channel completed per L1 block, timeouts, the frames it refuses),
        fed those frames block by block in nonce order (a sender's order within a block), reads
        exactly the channels node's derivation reads. One transaction in flight keeps two closing
        frames out of one block, but an L1 reorg can re-include two that landed apart in one
        block: the second channel is dropped by derivation, and without this the batcher would
        count it safe and never send its blocks again (the safe head stalls until the window
        forces deposit-only blocks over the sequencer's). Found when the second lands, so its
        blocks go out again in the next transaction. A channel with a transaction that reverted on
        L1 (its block's batcher-data bound passed: the same reorg can re-include two past it) is
        abandoned as soon as the revert is seen, before its remaining frames go out."""
        # A transaction that reverted on L1 is ignored by derivation ("reverted on L1"): its frames
        # are not fed, and its channel is abandoned at once (below), its unsent frames never sent.
        landed = sorted(
            ((tx.included_block, tx.nonce, tx.included_block_hash, channel, tx)
             for channel in self.state.channels for tx in channel.txs if tx.included and not tx.reverted),
            key=lambda item: (item[0], item[1]),
        )
        bank, read = ChannelBank(self.config.channel_timeout, replay=True), set()  # its drops are reported below
        for (number, block_hash), txs in groupby(landed, key=lambda item: (item[0], item[2])):
            current = L1BlockRef(number, Hash32(_bytes(block_hash)), Hash32(bytes(32)), 0, 0)
            for *_, channel, tx in txs:
                for frame in self.frames(channel, tx.frames):
                    bank.add_frame(frame, current)
            found = bank.read_channel(current)
            if found is not None:
                read.add(found[0].hex())
        for index, channel in enumerate(self.state.channels):
            if channel.abandoned:
                continue
            reverted = [tx for tx in channel.txs if tx.reverted]
            if reverted:
                self.metrics.channels_unread += 1
                self.abandon_from(index, "its transaction(s) " + ", ".join(
                    f"nonce {tx.nonce} in L1 block {tx.included_block}" for tx in reverted)
                    + " reverted on L1: derivation ignores them")
                return
            if channel.channel_id in read or channel.unassigned_frames():
                continue
            if not all(tx.included for tx in channel.txs):
                continue
            blocks = sorted({tx.included_block for tx in channel.txs})  # type: ignore[type-var]
            self.metrics.channels_unread += 1
            self.abandon_from(index, f"landed in L1 block(s) {blocks} but derivation does not read it "
                                     "(a second channel completed in one L1 block, or a frame refused)")
            return

    # --- timeouts -------------------------------------------------------------------------------

    def time_out(self, l1_head: int) -> None:
        """Abandon the first channel derivation would time out, and every later one: one whose id
        names L1 block o (node/channels.py `channel_id`) not complete by o + channel_timeout (counted
        from o, as derivation counts it). A frame that landed before o (an L1 reorg to a shorter
        chain) is dropped by derivation: `requeue_unread` finds its channel unread."""
        for index, channel in enumerate(self.state.channels):
            if channel.abandoned or not channel.txs:
                continue  # not named yet: nothing of it is on L1
            opened = channel_open_block(bytes.fromhex(channel.channel_id))
            last = opened + self.config.channel_timeout
            complete = not channel.unassigned_frames() and all(b is not None and b <= last for b in (tx.included_block for tx in channel.txs))
            if not complete and l1_head >= last:
                self.abandon_from(index, f"channel timed out: its id names L1 block {opened}, incomplete at {l1_head}")
                return

    def abandon_from(self, index: int, reason: str) -> None:
        """Abandon channel `index` and every later one; their L2 blocks go into new channels."""
        for channel in self.state.channels[index:]:
            if channel.abandoned:
                continue
            # Frames without a transaction are never sent; recorded transactions are still sent
            # and tracked until they settle: their nonces are handed out, and a gap would
            # block every later batcher transaction.
            channel.abandoned = reason
            self.counts.channels_abandoned += 1
            self.metrics.channels_abandoned += 1
            log.warning(
                "abandoning channel: %s", reason,
                extra={"channel": channel.channel_id, "l2_blocks": f"{channel.first_block}-{channel.last_block}"},
            )
        if self.open is not None:
            log.info("discarding the open channel: its blocks are batched again", extra={"blocks": len(self.open.blocks)})
            self.open = None
        self.dirty = True

    # --- confirmation ---------------------------------------------------------------------------

    def confirm(self, l1_safe: int) -> bool:
        """Retire the channels that are safe on L1; True if any was."""
        kept: list[ChannelRecord] = []
        blocked = confirmed = False
        for channel in self.state.channels:
            settled = all(tx.included and tx.included_block <= l1_safe for tx in channel.txs)  # type: ignore[operator]
            if channel.abandoned:
                if settled:
                    self.dirty = True
                    continue  # nothing more to watch
                kept.append(channel)
                continue
            if not blocked and settled and not channel.unassigned_frames():
                self.state.safe_l2_number, self.state.safe_l2_hash = channel.last_block, channel.last_block_hash
                self.metrics.channels_confirmed += 1
                self.metrics.safe_l2_block = channel.last_block
                self.counts.channels_confirmed += 1
                self.dirty = confirmed = True
                log.info(
                    "channel safe on L1",
                    extra={"channel": channel.channel_id, "l2_blocks": f"{channel.first_block}-{channel.last_block}",
                           "l1_blocks": sorted({tx.included_block for tx in channel.txs}), "safe_l2": channel.last_block},
                )
                continue
            blocked = True  # later channels confirm only after this one (safe_l2 moves in order)
            kept.append(channel)
        self.state.channels = kept
        return confirmed

    # --- frames out -----------------------------------------------------------------------------

    def next_tx_frames(self) -> tuple[ChannelRecord, list[int]] | None:
        """The channel and frame numbers the next new transaction carries, or None (nothing to
        send, or `max_pending_txs` transactions not yet included)."""
        pending = [(channel, tx) for channel, tx in self.live_txs() if not tx.included]
        if len(pending) >= self.config.max_pending_txs:
            return None
        for channel in self.state.channels:
            if channel.abandoned:
                continue
            unassigned = channel.unassigned_frames()
            if unassigned:
                numbers = unassigned[: self.config.max_blobs_per_tx if channel.blob else 1]
                # Derivation lets one channel complete an L1 block (node/derive/channel_bank.py):
                # a channel's last frame waits while another's is pending (they could land together).
                # A sender's transactions land in nonce order, so the channel completes with it.
                closing = len(channel.frames) - 1 in numbers
                if closing and any(len(c.frames) - 1 in tx.frames for c, tx in pending if c is not channel):
                    return None
                if not channel.txs:  # none of its frames is out under an id: name it after the L1 head
                    channel.channel_id = channel_id(self.l1_head, self._new_channel_nonce()).hex()
                    self.dirty = True
                return channel, numbers
        return None

    def frames(self, channel: ChannelRecord, numbers: list[int]) -> list[Frame]:
        last = len(channel.frames) - 1
        return [Frame(bytes.fromhex(channel.channel_id), n, bytes.fromhex(channel.frames[n]), n == last) for n in numbers]

    def tx_data(self, channel: ChannelRecord, numbers: list[int]) -> bytes:
        """Batcher transaction data (version byte + frames) of these frames."""
        return encode_batcher_tx_data(self.frames(channel, numbers))

    # --- what the service did, and what L1 did --------------------------------------------------

    def tx_recorded(self, channel: ChannelRecord, tx: TxRecord) -> None:
        """A new transaction carrying `tx.frames` of `channel` (recorded before it is sent)."""
        channel.txs.append(tx)
        self.state.next_nonce = max(self.state.next_nonce, tx.nonce + 1)
        self.dirty = True

    def tx_sent(self, channel: ChannelRecord, tx: TxRecord, now: float, *, repost: bool = False) -> None:
        """`tx` went to L1 (its first send, or a `repost` of the same bytes)."""
        first = tx.sent_at is None
        tx.sent_at = now
        self.dirty = True
        if first:
            self.counts.txs_sent += 1
            self.metrics.count_first_send(channel, tx, {n: len(self.tx_data(channel, [n])) for n in tx.frames}, now)
        elif repost:
            self.counts.reposts += 1
            self.metrics.reposts += 1

    def tx_bumped(self, tx: TxRecord) -> None:
        self.counts.fee_bumps += 1
        self.metrics.fee_bumps += 1
        self.dirty = True

    def tx_included(self, channel: ChannelRecord, tx: TxRecord, tx_hash: str, block_number: int, block_hash: str, now: float,
                    *, reverted: bool = False) -> None:
        """L1 included `tx` (its nonce is used either way); `reverted`: with receipt status 0, so
        derivation ignores it and `requeue_unread` batches its channel's blocks again."""
        if tx.sent_at is None:  # sent just before a crash that kept it from being noted
            tx.sent_at = now
            self.metrics.count_first_send(channel, tx, {n: len(self.tx_data(channel, [n])) for n in tx.frames}, now)
        tx.included_hash, tx.included_block, tx.included_block_hash = tx_hash, block_number, block_hash
        tx.reverted = reverted
        if reverted:
            self.metrics.txs_reverted += 1
        self.counts.txs_included += 1
        self.dirty = True

    def tx_reorged(self, channel: ChannelRecord, tx: TxRecord) -> None:
        """An L1 reorg took away the block that included `tx`."""
        tx.reorged += 1
        log.warning(
            "L1 reorg dropped a batcher transaction",
            extra={"tx": tx.included_hash, "l1_block": tx.included_block, "channel": channel.channel_id, "nonce": tx.nonce},
        )
        tx.included_hash = tx.included_block = tx.included_block_hash = None
        tx.reverted = False
        self.dirty = True

    def tx_failed(self, channel: ChannelRecord, tx: TxRecord) -> None:
        """`tx`'s nonce was used by another transaction: its frames go out again under a new nonce."""
        log.warning(
            "batcher nonce used elsewhere: its frames go out again under a new nonce",
            extra={"nonce": tx.nonce, "channel": channel.channel_id, "frames": tx.frames},
        )
        channel.txs.remove(tx)
        self.dirty = True


def _bytes(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value.removeprefix("0x"))
