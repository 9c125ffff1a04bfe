"""The batcher: posts the sequencer's L2 blocks to L1, where verifiers derive them from.

    L2 chain (unsafe blocks) -> ChannelBuilder (node/channels.py) -> frames
        -> batcher transactions to the batch inbox (calldata, or EIP-4844 blobs)
        -> tracked until their L1 block is `safe` -> the channel's L2 blocks are posted for good

Two parts: `ChannelManager` (sequencer/channel_manager.py) decides, without I/O, what goes into
which channel and which frames the next transaction carries; `Batcher` here is the thin service
that reads the chain and L1, signs and sends through bridge/'s `TxManager` (the one fee rule,
the one "sign, send" path), persists the records (batcher_state.py) and keeps the counters
(batcher_metrics.py). `Batcher.step()` does one round, synchronously (tests drive it directly;
`run()` calls it from a worker thread every `poll_interval_s`):

1. **Track** every transaction in flight: find its receipt (any of its fee-bumped versions);
   check that an included one is still in the canonical L1 block; a transaction that L1
   dropped (a reorg, or a pool that forgot it) is sent again, signed again to the same bytes
   (same nonce and fees: the same hash). A nonce that L1 used for something else frees the
   frames it carried: they go out again under a new nonce. An inclusion records its receipt
   status: a reverted transaction (the inbox's bound of batcher data an L1 block, passed when a
   reorg re-includes two in one block) used its nonce, but derivation ignores it. A revert whose
   cause is permanent (the key is not the inbox's batcher, or reverts in a row) is logged once and
   stops new transactions, checked again with a back-off (`_check_permanent_revert`).
2. **Requeue, time out**: node's channel bank, replayed over the batcher's landed transactions
   in their L1 blocks, must read every channel whose frames all landed; one it does not (two
   closing transactions that an L1 reorg put into one block: derivation drops the second,
   docs/batches.md "What one derivation step reads"), or one with a reverted transaction, is
   abandoned with every later channel, and their L2 blocks go into a new channel
   (`ChannelManager.requeue_unread`). A channel whose id names L1 block o (the head when its
   first frames went out) and is still incomplete when L1 reaches o + channel_timeout would
   be dropped by derivation: it and every later channel are abandoned the same way (the
   abandoned transactions still settle, their frames are just never completed).
3. **Confirm**: a channel whose every frame is in an L1 block at or below L1's `safe` block is
   done: `safe_l2` moves to its last L2 block and it leaves the state.
4. **Fill**: L2 blocks after the last one in a channel, up to the chain's head, go into the open
   `ChannelBuilder`. It closes when it reaches `target_channel_size` compressed bytes, holds
   `max_channel_blocks` blocks, is `max_channel_duration_s` old, or when the sequencing window
   of its first block's L1 origin is within `sub_safety_margin` L1 blocks of closing (these two
   only once it could go out at once: while a transaction is pending it would only wait in line,
   so it takes the blocks built meanwhile); before a block that would make it hold more than
   `max_channel_transactions` user transactions (what the fault proof can decide in one L1
   transaction: docs/batches.md, "Channel size"); and before a block whose window does not end
   soon joins stale blocks, or one that could still land in its window joins a channel that
   cannot land in its first block's (a span counts in its first block's window or not at all).
5. **Send** the frames of closed channels, oldest first, one frame per calldata transaction
   (a frame per blob, up to `max_blobs_per_tx` blobs, for blob transactions; a channel past one
   blob's data goes out in calldata: sequencer/channel_manager.py), at most `max_pending_txs`
   transactions not yet included: no more than one L1 block's bound of batcher data takes
   (`MAX_BATCHER_DATA_PER_L1_BLOCK`, node/batch_inbox.py: two blobs, or two calldata channels of
   the chain's largest), as they may all land in one block.
6. **Bump** the fees of a transaction not included the `TxManager`'s `resubmit_after_s` after it
   was sent, or at once when L1 refused to take its recorded bytes (a restart's re-send whose fees
   a rising base fee outgrew): the same nonce with the `TxManager`'s one bump rule
   (`bridge.tx_manager.bump_fee_caps`: +12.5 %, a blob transaction's three fee caps +100 %, a blob
   pool's replacement rule; never below the market, never above `max_fee_per_gas_limit`). A pooled
   nonce of the key that no record answers for (the state file lost while a transaction was
   pending) is the `TxManager`'s to take over (`take_over_due`, its records' nonces `owned`): a
   blob transaction is cancelled by a blob transaction, so a lost state leaves no nonce gap.
7. **Persist** (batcher_state.py) whatever changed. A transaction is recorded *before* it is
   sent (write-ahead), so a crash between the two leaves a record to re-sign and send, never a
   nonce the batcher forgot.

**Restart.** The state file holds `safe_l2` (the last L2 block whose channel is safe on L1),
the next nonce and every channel in flight with its frames. A restarted batcher re-sends
in-flight channels *identically* — the same channel id and frames, in their recorded
transactions — rather than abandoning them to time out: a frame already included is never
sent again, a transaction still in L1's pool is left alone, and one L1 forgot is sent again
with the same hash, so no frame lands twice, and derivation drops duplicate frames anyway. The
L2 blocks of the channel that was being filled (not yet closed, nothing sent) are not in the
state; they are taken from the chain again. The stored next nonce is never trusted over L1's
pending nonce (`reconcile_nonce`), and a state file of another L1 (block 0 differs, e.g. a new
anvil with the same chain id) is refused.

**L2 reorgs.** If the last L2 block of an in-flight channel (or of the open builder) is no
longer canonical, that channel and the later ones are abandoned and batching resumes from the
last canonical block the batcher had.

**Defaults, by measurement** — `bench/batch_size.py` (500 L2 transactions in blocks of 10,
six blocks per L1 origin, 100 KB channels; L1 = anvil). Bytes posted to L1 per L2 transaction
(frames, headers and version bytes included); L1 gas per L2 transaction for calldata is EIP-7623's
floor, 40 gas per non-zero byte:

    encoding                 HKD transfers   ERC-20 transfers
                               B/tx             B/tx
    zlib singular (OP's)       97.4             98.0
    brotli span                85.8             87.2     (before: no L1 decoder)
    FastLZ span                92.1             97.8     <- the default (channel version 0x02)

Channels are span batches compressed with FastLZ level 1 (`node.channels`, the
`Compression.FASTLZ` default), because the dispute must decode them on L1 and brotli cannot be
decoded there: `contracts/src/L1/lib/FastLZ.sol` reads a channel in one L1 transaction up to
~1.5 MB decompressed (docs/fault-proofs.md, "Canonical batch format"). A channel stays under it:
the batcher closes channels at `MAX_CHANNEL_BYTES` (66,048) compressed.
Blobs: 131,072 blob gas per blob whatever its fill, plus 21,000 gas per blob transaction; the
one 46 KB FastLZ channel above in a blob is 262 blob gas + 42 gas per L2 transaction, against
3,685 gas in calldata. A full blob holds 64,996 B of frame data (its first half: node/blobs.py),
706 HKD transfers at 92.1 B: 186 blob gas per L2 transaction (665 ERC-20 transfers, 197; the
bench prints it; 87 was for a whole 130 KB blob at brotli's density, which L1 cannot decode).

Calldata is the default (`use_blobs=False`): at devnet volumes a channel fills a few percent of
a blob, and a blob costs a fixed 131,072 blob gas plus a beacon-API read for every verifier.
Blobs are fully supported (`use_blobs=True`: KZG loaded once per process, EIP-7594 cell proofs,
derivation reads them through `L1Source.blobs`) and pay off once channels near a blob's size.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from eth_typing import Hash32
from eth_utils import encode_hex, to_checksum_address

from bridge.blob_tx import encode_blob
from bridge.l1_client import L1InsufficientFunds, L1TxRefused
from bridge.tx_manager import TX_BASE_GAS, FeeCaps, SignedTx, TxCandidate, TxManager, calldata_gas
from node.chain import Chain
from node.errors import TemporaryError
from node.lifecycle import StopSignal
from node.vm import floor_data_gas
from sequencer.batcher_metrics import BatcherMetrics
from sequencer.batcher_state import BatcherState, BatcherStateError, ChannelRecord, TxRecord
from sequencer.channel_manager import (
    BLOB_FRAME_DATA,
    BatcherConfig,
    BatcherError,
    ChannelManager,
    RoundCounts,
    batch_of_block,
)

log = logging.getLogger("lantau.batcher")

__all__ = [
    "BLOB_FRAME_DATA", "Batcher", "BatcherConfig", "BatcherError", "BatcherMetrics", "BatcherStateError", "StepReport",
    "TX_BASE_GAS", "calldata_gas", "inbox_call_gas",
]

#: L1 gas the `BatchInbox` contract's fixed work takes at most: `SystemConfig.batcher()` (a cold
#: account and slot), the code check, BLOBHASH, the block's hash chain (a cold SSTORE, 22,100
#: for a block's first batcher transaction) and the block's batcher-data count (a 5,000 update).
#: Measured ~33,000
#: (`tests/bridge/test_batch_inbox.py::test_measure_inbox_gas`).
INBOX_FIXED_GAS = 40_000


#: Reverts in a row (no batcher transaction included between) taken as a permanent cause even
#: when L1 shows none of the known ones; and the back-off before new transactions are tried again.
REVERTS_IN_A_ROW = 3
MIN_REVERT_BACKOFF_S = 30.0
MAX_REVERT_BACKOFF_S = 600.0


def inbox_call_gas(data: bytes) -> int:
    """The gas limit of a batcher transaction to the `BatchInbox` carrying `data` (b"" for a blob
    transaction): its intrinsic cost plus the inbox's work (the fixed part, and per 32-byte word
    the calldata copy, its memory and keccak256), or EIP-7623's floor if higher. A pure function
    of `data`, so that signing a recorded transaction again gives the same bytes."""
    words = (len(data) + 31) // 32
    execution = INBOX_FIXED_GAS + 12 * words + words * words // 512
    zeros = data.count(0)
    standard = TX_BASE_GAS + 16 * (len(data) - zeros) + 4 * zeros
    return max(standard + execution, floor_data_gas(data))


@dataclass
class StepReport(RoundCounts):
    """What one `step()` did (for tests and logs)."""

    l1_head: int = 0
    l1_safe: int = 0


def reconcile_nonce(state: BatcherState, pending_nonce: int) -> None:
    """Never trust a stored nonce over L1's. Nonces from L1's pending count up are free on L1;
    the state may still claim them only for transactions it recorded there without a gap
    (sent and forgotten by L1's pool, or recorded just before a crash): those are sent again
    with the same bytes. Anything beyond the first gap (the state of another L1, or of a
    pool that lost a run of transactions) is discarded and its frames go out again."""
    recorded = {tx.nonce for channel in state.channels for tx in channel.txs if tx.nonce >= pending_nonce}
    usable = pending_nonce
    while usable in recorded:
        usable += 1
    if state.next_nonce > usable:
        log.warning(
            "batcher state's next nonce %d is above L1's pending nonce %d with no transaction recorded in between:"
            " discarding it, using %d", state.next_nonce, pending_nonce, usable,
        )
        for channel in state.channels:
            channel.txs = [tx for tx in channel.txs if tx.nonce < usable]
    state.next_nonce = usable  # at least L1's pending nonce: one taken by another sender's pooled tx is never reused


class Batcher:
    def __init__(self, chain: Chain, txmgr: TxManager, *, config: BatcherConfig, state_path: Path) -> None:
        self.chain = chain
        self.txmgr = txmgr
        self.l1 = txmgr.l1
        self.config = config
        self.state_path = Path(state_path)
        self.batch_inbox = to_checksum_address(config.batch_inbox)
        self.state = self._load_or_create_state()
        self.manager = ChannelManager(self.state, config, chain_id=chain.chain_id)
        self._step_lock = threading.Lock()
        self._reverts_in_a_row = 0
        self._blocked: tuple[str, float] | None = None  # (the permanent cause of reverts, checked again at)
        self._reported: str | None = None  # the cause last logged (each is logged once)
        self._backoff_s = MIN_REVERT_BACKOFF_S
        self._stopping = StopSignal()
        self._stopped = asyncio.Event()
        self._running = False
        log.info(
            "batcher started",
            extra={"batcher": self.txmgr.address, "inbox": self.batch_inbox, "safe_l2": self.state.safe_l2_number,
                   "channels_in_flight": len(self.state.channels), "next_nonce": self.state.next_nonce,
                   "blobs": self.config.use_blobs, "compression": self.config.compression.value,
                   "span_batches": self.config.span_batches},
        )

    # --- state ----------------------------------------------------------------------------------

    def _load_or_create_state(self) -> BatcherState:
        genesis_hash = encode_hex(self.chain.genesis_hash)
        l1_chain_id = self.l1.chain_id
        pending_nonce = self.txmgr.pending_nonce()
        state = BatcherState.load(self.state_path)
        if state is None:
            state = BatcherState(
                l1_chain_id=l1_chain_id,
                l2_genesis_hash=genesis_hash,
                batcher=self.txmgr.address,
                batch_inbox=self.batch_inbox,
                safe_l2_number=0,
                safe_l2_hash=genesis_hash,
                next_nonce=pending_nonce,
            )
            state.save(self.state_path)
            return state
        expected = (l1_chain_id, genesis_hash, self.txmgr.address, self.batch_inbox)
        found = (state.l1_chain_id, state.l2_genesis_hash, to_checksum_address(state.batcher), to_checksum_address(state.batch_inbox))
        if found != expected:
            raise BatcherStateError(
                f"{self.state_path} belongs to another chain or batcher: (l1 chain, l2 genesis, batcher, inbox) = "
                f"{found}, this batcher is {expected}"
            )
        if state.l1_anchor_hash:
            # Same chain id, other history (a new anvil): its safe head and nonces mean nothing here.
            anchor = self.l1.block_hash(state.l1_anchor_number)
            here = "none" if anchor is None else encode_hex(anchor)
            if here != state.l1_anchor_hash:
                raise BatcherStateError(
                    f"{self.state_path} belongs to another L1 (it saw L1 block {state.l1_anchor_number} safe as"
                    f" {state.l1_anchor_hash}, this L1 has {here}): remove it to post this chain from genesis"
                )
        reconcile_nonce(state, pending_nonce)
        state.save(self.state_path)
        return state

    @property
    def metrics(self) -> BatcherMetrics:
        return self.state.metrics

    @property
    def safe_l2_block(self) -> int:
        return self.state.safe_l2_number

    def _save(self) -> None:
        self.state.save(self.state_path)
        self.manager.dirty = False

    # --- the service ----------------------------------------------------------------------------

    async def run(self) -> None:
        """Step every `poll_interval_s` until `stop()`; then post the open channel and persist."""
        self._running = True
        try:
            while not self._stopping.is_set():
                try:
                    await asyncio.to_thread(self.step)
                except TemporaryError as exc:
                    log.warning("batcher step failed, retrying: %s", exc)
                await self._stopping.wait(self.config.poll_interval_s)
            await asyncio.to_thread(self._drain)
        finally:
            self._running = False
            self._stopped.set()

    async def stop(self) -> None:
        """Stop cleanly: close the open channel, send its frames, persist. Transactions still in
        flight are tracked again by the next start (they are in the state file)."""
        self._stopping.set()
        if self._running:
            await self._stopped.wait()
        else:
            await asyncio.to_thread(self._drain)

    def _drain(self) -> None:
        try:
            self.step(close_open_channel=True)
        except TemporaryError as exc:
            log.warning("batcher could not post its open channel on shutdown: %s", exc)
        finally:
            with self._step_lock:
                self._save()

    # --- one round ------------------------------------------------------------------------------

    def step(self, *, close_open_channel: bool = False) -> StepReport:
        """One round of track, requeue, time out, confirm, fill, send, bump, persist (see the docstring).

        Blocking (L1 and chain I/O). Raises `TemporaryError` when L1 is unreachable: nothing is
        lost, call it again later."""
        with self._step_lock:
            manager = self.manager
            manager.counts = RoundCounts()
            try:
                head = self.l1.head()
                safe = self.l1.block_ref("safe")
                if safe is None:
                    raise TemporaryError("L1 has no safe block")
                fees = self.txmgr.market_fees(head)
                # Nonces below L1's count are used: never hand them out again (someone else may
                # have used the batcher key).
                latest_nonce = self.txmgr.latest_nonce()
                if latest_nonce > self.state.next_nonce:
                    log.warning("batcher account nonce moved past the state's", extra={"state": self.state.next_nonce, "l1": latest_nonce})
                    self.state.next_nonce = latest_nonce
                    manager.dirty = True
                manager.check_l2_reorg(self.chain.canonical_hash)
                self._track()
                # Pooled nonces of the key no record answers for (the state file was lost while a
                # transaction was pending): the `TxManager` takes them over once due, a blob one by
                # a blob cancel, so none stays a gap that every later batch queues behind.
                self.txmgr.take_over_due(owned={tx.nonce for _, tx in manager.live_txs()}, blob_sender=self.config.use_blobs)
                manager.requeue_unread()
                manager.l1_head = head.number
                manager.time_out(head.number)
                if manager.confirm(safe.number):
                    self.state.l1_anchor_number, self.state.l1_anchor_hash = safe.number, encode_hex(safe.hash)
                self._fill(head.number, close_open_channel)
                if self._blocked is not None and time.monotonic() >= self._blocked[1]:
                    self._check_permanent_revert()
                if self._blocked is None:
                    self._send_new(fees)
                self._bump_stuck(fees)
            except OSError as exc:
                raise TemporaryError(f"L1 request failed: {exc}") from exc
            finally:
                if manager.dirty:
                    self._save()
            return StepReport(**vars(manager.counts), l1_head=head.number, l1_safe=safe.number)

    # --- 1. tracking ----------------------------------------------------------------------------

    def _track(self) -> None:
        manager = self.manager
        latest_nonce: int | None = None  # read after the receipts it is judged with (below)
        for channel, tx in sorted(manager.live_txs(), key=lambda item: item[1].nonce):
            if tx.included:
                assert tx.included_block is not None
                if self._block_hash(tx.included_block) == tx.included_block_hash:
                    continue
                manager.tx_reorged(channel, tx)
            receipt = self.txmgr.find_receipt(tx.hashes)
            if receipt is not None:
                reverted = int(receipt["status"]) == 0
                manager.tx_included(channel, tx, encode_hex(receipt["transactionHash"]), int(receipt["blockNumber"]),
                                    encode_hex(receipt["blockHash"]), time.time(), reverted=reverted)
                log.log(
                    logging.WARNING if reverted else logging.INFO,
                    "batcher transaction reverted on L1: its channel is batched again" if reverted else "batcher transaction included",
                    extra={"tx": tx.included_hash, "l1_block": tx.included_block, "channel": channel.channel_id,
                           "frames": tx.frames, "gas_used": int(receipt["gasUsed"]), "status": int(receipt["status"])},
                )
                self._note_outcome(reverted)
                continue
            if tx.sent_at is not None and self.txmgr.in_pool(tx.hashes):
                continue
            # Recorded but never sent (a crash after the write-ahead), or forgotten by L1. Its nonce
            # is used elsewhere only by L1's nonce read now, after its receipt was missed: one read
            # at the step's start may predate an L1 reorg that dropped this transaction (and the
            # ones that used the nonces after it), so the frames would go out at a nonce past a gap.
            if latest_nonce is None:
                latest_nonce = self.txmgr.latest_nonce()
            if tx.nonce < latest_nonce:
                manager.tx_failed(channel, tx)  # its nonce is used by a transaction the batcher does not know
                continue
            reason = "recorded, not sent yet" if tx.sent_at is None else ("L1 reorg" if tx.reorged else "dropped by L1's pool")
            if self._send(channel, tx, reason=reason):
                manager.tx_sent(channel, tx, time.time(), repost=True)

    # --- reverts ----------------------------------------------------------------------------------

    def _note_outcome(self, reverted: bool) -> None:
        """Count reverts in a row; on one, look for a cause no new transaction would escape."""
        if not reverted:
            self._reverts_in_a_row, self._reported, self._backoff_s = 0, None, MIN_REVERT_BACKOFF_S
            return
        self._reverts_in_a_row += 1
        if self._blocked is None:
            self._check_permanent_revert()

    def _permanent_revert_cause(self) -> str | None:
        """Why every batcher transaction would revert, read from L1 now (the inbox's `NotBatcher`,
        `BatcherHasCode`), or `REVERTS_IN_A_ROW` reverts with no inclusion between; else None (a
        revert over an L1 block's batcher-data bound, `BatcherDataOverBlockBound`, is that block's)."""
        inbox = self.l1.contract("BatchInbox", self.batch_inbox)
        system_config = self.l1.call(inbox.functions.systemConfig())
        batcher = to_checksum_address(self.l1.call(self.l1.contract("SystemConfig", system_config).functions.batcher()))
        if batcher != to_checksum_address(self.txmgr.address):
            return (f"the inbox's batcher (SystemConfig.batcher()) is {batcher}, not this batcher's key"
                    f" {self.txmgr.address} (NotBatcher)")
        if self.l1.w3.eth.get_code(to_checksum_address(self.txmgr.address)):
            return f"the batcher account {self.txmgr.address} has code (BatcherHasCode)"
        if self._reverts_in_a_row >= REVERTS_IN_A_ROW:
            return f"{self._reverts_in_a_row} batcher transactions in a row reverted on L1, cause unknown"
        return None

    def _check_permanent_revert(self) -> None:
        """Send no new transaction while a permanent cause of reverts lasts: each cause logged once
        as an error, checked again after a back-off doubling from `MIN_REVERT_BACKOFF_S` to
        `MAX_REVERT_BACKOFF_S` (an unknown cause gets one more transaction each time)."""
        if self._blocked is not None and self._reverts_in_a_row >= REVERTS_IN_A_ROW:
            self._reverts_in_a_row = REVERTS_IN_A_ROW - 1  # try once more: one more revert blocks again
        cause = self._permanent_revert_cause()
        if cause is None:
            if self._blocked is not None:
                log.warning("batcher transactions should no longer revert: sending again", extra={"was": self._blocked[0]})
            self._blocked = None
            return
        if cause != self._reported:
            log.error("every batcher transaction reverts on L1: %s; no new one is sent until that changes"
                      " (checked again after %.0f s, backing off)", cause, self._backoff_s)
            self._reported = cause
        self._blocked = (cause, time.monotonic() + self._backoff_s)
        self._backoff_s = min(2 * self._backoff_s, MAX_REVERT_BACKOFF_S)

    @property
    def sending_blocked(self) -> str | None:
        """The permanent cause of reverts the batcher is waiting out, or None."""
        return None if self._blocked is None else self._blocked[0]

    def _block_hash(self, number: int) -> str | None:
        found = self.l1.block_hash(number)
        return None if found is None else encode_hex(found)

    # --- 4. filling -----------------------------------------------------------------------------

    def _fill(self, l1_head: int, close_open_channel: bool) -> None:
        number = self.manager.next_block()
        head_number = self.chain.head.block_number
        while number <= head_number:
            block_hash = self.chain.canonical_hash(number)
            if block_hash is None:
                break  # the head moved back under us: the next step sees the reorg
            header = self.chain.header_by_hash(Hash32(block_hash))
            raws = self.chain.raw_transactions(Hash32(block_hash))
            batch, starts_epoch = batch_of_block(number, header.parent_hash, header.timestamp, raws)
            self.manager.close_before_fresh_block(batch.l1_origin_number, l1_head)
            self.manager.add_block(number, block_hash, batch, starts_epoch)
            number += 1
        self.manager.close_if_due(l1_head, shutting_down=close_open_channel)

    # --- 5. sending -----------------------------------------------------------------------------

    def _send_new(self, fees: FeeCaps) -> None:
        while (work := self.manager.next_tx_frames()) is not None:
            channel, frames = work
            tx = TxRecord(
                nonce=self.state.next_nonce,
                frames=frames,
                blob=channel.blob,
                max_fee_per_gas=fees.max_fee_per_gas,
                max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
                max_fee_per_blob_gas=fees.max_fee_per_blob_gas if channel.blob else 0,
            )
            tx.hashes.append(self._sign(channel, tx).hash)
            self.manager.tx_recorded(channel, tx)
            self._save()  # write-ahead: the nonce and the frames are recorded before sending
            if not self._send(channel, tx, reason="new"):
                return  # try again next step (the record stays)
            self.manager.tx_sent(channel, tx, time.time())

    def _sign(self, channel: ChannelRecord, tx: TxRecord) -> SignedTx:
        """`tx` as recorded, signed: deterministic, so signing again after a restart gives the same hash."""
        fees = FeeCaps(tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas)
        if tx.blob:
            blobs = tuple(encode_blob(self.manager.tx_data(channel, [n])) for n in tx.frames)
            candidate = TxCandidate(to=self.batch_inbox, blobs=blobs, gas_limit=inbox_call_gas(b""))
        else:
            data = self.manager.tx_data(channel, tx.frames)
            candidate = TxCandidate(to=self.batch_inbox, data=data, gas_limit=inbox_call_gas(data))
        assert candidate.gas_limit is not None
        return self.txmgr.sign(candidate, nonce=tx.nonce, fees=fees, gas=candidate.gas_limit)

    def _send(self, channel: ChannelRecord, tx: TxRecord, *, reason: str) -> bool:
        """Send the newest version of `tx`. False: not sent now (logged), try again later."""
        signed = self._sign(channel, tx)
        if signed.hash != tx.hashes[-1]:
            # Signing is deterministic (RFC 6979); a different hash means the record changed.
            raise BatcherError(f"re-signing nonce {tx.nonce} gave {signed.hash}, the state recorded {tx.hashes[-1]}")
        try:
            self.txmgr.publish(signed)
        except L1InsufficientFunds as exc:
            raise BatcherError(f"batcher account {self.txmgr.address} cannot pay for its transactions: {exc}") from exc
        except L1TxRefused as exc:
            log.warning(
                "batcher transaction refused: %s", exc.message,
                extra={"tx": signed.hash, "nonce": tx.nonce, "channel": channel.channel_id, "reason": reason},
            )
            return False
        log.info(
            "batcher transaction sent (%s)", reason,
            extra={"tx": signed.hash, "nonce": tx.nonce, "channel": channel.channel_id, "frames": tx.frames,
                   "blob": tx.blob, "max_fee_per_gas": tx.max_fee_per_gas, "tip": tx.max_priority_fee_per_gas},
        )
        return True

    # --- 6. fee bumps ---------------------------------------------------------------------------

    def _bump_stuck(self, market: FeeCaps) -> None:
        now = time.time()
        resubmit_after_s = self.txmgr.config.resubmit_after_s
        for channel, tx in self.manager.live_txs():
            # Not sent yet here means L1 refused this round's send of the recorded bytes (after a
            # restart, its fees may be below a base fee that rose while the batcher was down, the
            # pooled copy dropped): bump it now, or its nonce stays a gap every later batch waits behind.
            if tx.included or (tx.sent_at is not None and now - tx.sent_at < resubmit_after_s):
                continue
            old = FeeCaps(tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas)
            bumped = self.txmgr.bump(old, market, blob=tx.blob)
            if bumped is None:
                log.error(
                    "batcher transaction stuck at the fee limit",
                    extra={"tx": tx.hashes[-1], "nonce": tx.nonce, "limit": self.txmgr.config.max_fee_per_gas_limit},
                )
                self.manager.tx_sent(channel, tx, now)  # do not log every step
                continue
            tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas = (
                bumped.max_fee_per_gas, bumped.max_priority_fee_per_gas, bumped.max_fee_per_blob_gas)
            tx.hashes.append(self._sign(channel, tx).hash)
            self._save()  # write-ahead, as for a new transaction
            waited = "its send refused" if tx.sent_at is None else f"{now - tx.sent_at:.0f} s"
            if self._send(channel, tx, reason=f"fee bump after {waited}"):
                self.manager.tx_bumped(tx)
                log.warning(
                    "bumped the fees of a stuck batcher transaction",
                    extra={"nonce": tx.nonce, "old_fees": old, "new_fees": bumped, "tx": tx.hashes[-1]},
                )
            else:
                # Refused: the older version is still the live one; the record must sign to it.
                tx.hashes.pop()
                tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas = (
                    old.max_fee_per_gas, old.max_priority_fee_per_gas, old.max_fee_per_blob_gas)
            self.manager.tx_sent(channel, tx, now)
