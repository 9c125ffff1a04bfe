"""The batcher: posts the sequencer's L2 blocks to L1, where verifiers derive them from.

    L2 chain (unsafe blocks) -> ChannelBuilder (node/channels.py) -> frames
        -> batcher transactions to the batch inbox (calldata, or EIP-4844 blobs)
        -> tracked until their L1 block is `safe` -> the channel's L2 blocks are posted for good

`Batcher.step()` does one round, synchronously (tests drive it directly; `run()` calls it from a
worker thread every `poll_interval_s`):

1. **Track** every transaction in flight: find its receipt (any of its fee-bumped versions);
   check that an included one is still in the canonical L1 block; a transaction that L1
   dropped (a reorg, or a pool that forgot it) is sent again, signed again to the same bytes
   (same nonce and fees: the same hash). A nonce that L1 used for something else frees the
   frames it carried: they go out again under a new nonce.
2. **Time out**: a channel whose first frame landed in L1 block O and is still incomplete when
   L1 reaches O + channel_timeout would be dropped by derivation: it and every later channel are
   abandoned and their L2 blocks go into a new channel (the abandoned transactions still settle,
   their frames are just never completed).
3. **Confirm**: a channel whose every frame is in an L1 block at or below L1's `safe` block is
   done: `safe_l2` moves to its last L2 block and it leaves the state.
4. **Fill**: L2 blocks after the last one in a channel, up to the chain's head, go into the open
   `ChannelBuilder`. It closes when it reaches `target_channel_size` compressed bytes, holds
   `max_channel_blocks` blocks, is `max_channel_duration_s` old, or when the sequencing window
   of its first block's L1 origin is within `sub_safety_margin` L1 blocks of closing.
5. **Send** the frames of closed channels, oldest first, one frame per calldata transaction
   (a frame per blob, up to `max_blobs_per_tx` blobs, for blob transactions), at most
   `max_pending_txs` transactions not yet included.
6. **Bump** the fees of a transaction not included `resubmit_after_s` after it was sent: the
   same nonce with max fee and tip +`fee_bump_percent` % (geth's pool wants +10 %), blob fee
   +`blob_fee_bump_percent` % (geth's blob pool wants +100 %), never below the current market,
   never above `max_fee_per_gas_limit`.
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
pending nonce (`_reconcile_nonce`), and a state file of another L1 (block 0 differs, e.g. a new
anvil with the same chain id) is refused.

**L2 reorgs.** If the last L2 block of an in-flight channel (or of the open builder) is no
longer canonical, that channel and the later ones are abandoned and batching resumes from the
last canonical block the batcher had.

**Defaults, by measurement** — `bench/batch_size.py` (500 L2 transactions in blocks of 10,
six blocks per L1 origin, 100 KB channels; L1 = anvil, hardfork Bpo1). Bytes posted to L1 per
L2 transaction (frames, headers and version bytes included) and L1 gas per L2 transaction for
calldata, measured from anvil's receipts (they equal EIP-7623's floor, 40 gas per non-zero byte;
EIP-2028's 16/4 pricing would give ~1,400-1,600):

    encoding                 HKD transfers            ERC-20 transfers
                           B/tx  vs OP   gas/tx     B/tx  vs OP   gas/tx
    zlib singular (OP's)   97.4  1.000    3,925     98.0  1.000    3,950
    brotli singular        93.7  0.962    3,776     94.1  0.960    3,794
    zlib span              87.6  0.899    3,532     89.7  0.915    3,615
    brotli span            85.8  0.881    3,465     87.2  0.890    3,518   <- the default

Closing channels every 10 blocks (`--max-channel-blocks 10`, the devnet setting) keeps the
order: 98.0 / 94.7 / 88.6 / 87.0 B/tx (transfers), 98.9 / 95.6 / 91.1 / 88.8 (ERC-20). Span
batches save ~10 %, brotli another 2-4 %; brotli-10 costs about twice zlib-9's CPU (80-470 ms
per 45-60 KB channel on this machine, once per channel): cheap next to the gas it saves.
Blobs: 131,072 blob gas per blob whatever its fill, plus 21,000 gas per blob transaction; the
one ~43 KB channel above in a blob is 262 blob gas + 42 gas per L2 transaction (87 blob gas if
the blob were full), against 3,465 gas in calldata.

Calldata is the default (`use_blobs=False`): at devnet volumes a channel fills a few percent of
a blob, and a blob costs a fixed 131,072 blob gas plus a beacon-API read for every verifier.
Blobs are fully supported (`use_blobs=True`: KZG loaded once per process, EIP-7594 cell proofs,
derivation reads them through `L1Source.blobs`) and pay off once channels near a blob's size.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.signers.local import LocalAccount
from eth_typing import Hash32
from eth_utils import encode_hex, to_checksum_address
from web3 import Web3
from web3.exceptions import BlockNotFound, TransactionNotFound, Web3Exception

from node.batches import SingularBatch, l1_origin_of_transactions
from node.blobs import MAX_BLOB_DATA_SIZE, encode_blob
from node.chain import Chain
from node.channels import FRAME_OVERHEAD, MAX_FRAME_DATA, ChannelBuilder, Compression, Frame, encode_batcher_tx_data
from node.deposit_tx import DEPOSIT_TX_TYPE
from node.errors import ChannelFull, LantauError, TemporaryError, UnencodableBatch
from node.vm import LantauVM
from sequencer.batcher_state import BatcherMetrics, BatcherState, BatcherStateError, ChannelRecord, TxRecord
from sequencer.blobs import MAX_BLOBS_PER_TX, BlobSidecar, blob_sidecar, sign_blob_transaction

log = logging.getLogger("lantau.batcher")

TX_BASE_GAS = 21_000
#: Largest frame data a blob holds: the blob's data minus the version byte and frame header.
BLOB_FRAME_DATA = MAX_BLOB_DATA_SIZE - 1 - FRAME_OVERHEAD

# Chosen by bench/batch_size.py (see the module docstring).
DEFAULT_COMPRESSION = Compression.BROTLI
DEFAULT_SPAN_BATCHES = True

__all__ = ["Batcher", "BatcherConfig", "BatcherError", "BatcherMetrics", "BatcherStateError", "StepReport"]


class BatcherError(LantauError):
    """The batcher cannot go on without an operator (a block it cannot encode, no funds...)."""


@dataclass(frozen=True, slots=True)
class BatcherConfig:
    batch_inbox: str
    batcher_private_key: str = field(repr=False)  # never in logs
    compression: Compression = DEFAULT_COMPRESSION
    span_batches: bool = DEFAULT_SPAN_BATCHES
    use_blobs: bool = False
    target_channel_size: int = 100_000  # compressed bytes: about one blob, or one calldata tx
    max_frame_data: int = 120_000  # calldata frames (geth's pool takes txs up to 128 KiB)
    max_blobs_per_tx: int = MAX_BLOBS_PER_TX
    max_channel_blocks: int = 10  # devnet: with 1 s L2 blocks, safe moves within seconds
    max_channel_duration_s: float = 10.0
    sequencing_window: int = 40  # the rollup config's (genesis/rollup_config.py)
    channel_timeout: int = 20  # the rollup config's
    sub_safety_margin: int = 10  # close a channel this many L1 blocks before its window ends
    max_pending_txs: int = 16  # sent, not yet included
    resubmit_after_s: float = 24.0
    fee_bump_percent: float = 12.5
    blob_fee_bump_percent: float = 100.0
    min_priority_fee_per_gas: int = 10**9
    max_fee_per_gas_limit: int = 10**12  # 1,000 gwei: never bump past it
    poll_interval_s: float = 1.0

    def __post_init__(self) -> None:
        if self.fee_bump_percent < 10:
            raise ValueError("fee_bump_percent below 10: L1 pools would refuse the replacement")
        if not 1 <= self.max_frame_data <= MAX_FRAME_DATA:
            raise ValueError(f"max_frame_data must be in 1..{MAX_FRAME_DATA}")
        if not 1 <= self.max_blobs_per_tx <= MAX_BLOBS_PER_TX:
            raise ValueError(f"max_blobs_per_tx must be in 1..{MAX_BLOBS_PER_TX}")
        if self.max_channel_blocks < 1 or self.max_pending_txs < 1:
            raise ValueError("max_channel_blocks and max_pending_txs must be >= 1")


@dataclass(frozen=True, slots=True)
class StepReport:
    """What one `step()` did (for tests and logs)."""

    l1_head: int
    l1_safe: int
    blocks_added: int = 0
    channels_closed: int = 0
    txs_sent: int = 0
    txs_included: int = 0
    reposts: int = 0
    fee_bumps: int = 0
    channels_confirmed: int = 0
    channels_abandoned: int = 0


@dataclass
class _OpenChannel:
    builder: ChannelBuilder
    opened_at: float  # monotonic
    blocks: list[tuple[int, bytes]] = field(default_factory=list)  # (number, hash)
    first_origin: int = 0


@dataclass
class _Round:
    """Counters of the current step."""

    blocks_added: int = 0
    channels_closed: int = 0
    txs_sent: int = 0
    txs_included: int = 0
    reposts: int = 0
    fee_bumps: int = 0
    channels_confirmed: int = 0
    channels_abandoned: int = 0


def calldata_gas(data: bytes) -> int:
    """Gas of a plain transaction carrying `data` to an account without code: the intrinsic
    cost (EIP-2028: 16 per non-zero byte, 4 per zero byte) or EIP-7623's floor (Prague: 10 per
    token, a non-zero byte being 4 tokens), whichever is higher."""
    zeros = data.count(0)
    nonzeros = len(data) - zeros
    return max(TX_BASE_GAS + 16 * nonzeros + 4 * zeros, TX_BASE_GAS + 10 * (zeros + 4 * nonzeros))


class Batcher:
    def __init__(self, chain: Chain, l1: Web3, *, config: BatcherConfig, state_path: Path) -> None:
        self.chain = chain
        self.l1 = l1
        self.config = config
        self.state_path = Path(state_path)
        self.account: LocalAccount = Account.from_key(config.batcher_private_key)
        self.batch_inbox = to_checksum_address(config.batch_inbox)
        self._l1_chain_id = int(l1.eth.chain_id)
        self.state = self._load_or_create_state()
        self._open: _OpenChannel | None = None
        self._dirty = False
        self._sidecars: dict[tuple[str, tuple[int, ...]], BlobSidecar] = {}
        self._step_lock = threading.Lock()
        self._stopping = asyncio.Event()
        self._stopped = asyncio.Event()
        self._running = False
        self._warned_safe_reorg = False
        log.info(
            "batcher started",
            extra={"batcher": self.account.address, "inbox": self.batch_inbox, "safe_l2": self.state.safe_l2_number,
                   "channels_in_flight": len(self.state.channels), "next_nonce": self.state.next_nonce,
                   "blobs": self.config.use_blobs, "compression": self.config.compression.value,
                   "span_batches": self.config.span_batches},
        )

    # --- state ----------------------------------------------------------------------------------

    def _load_or_create_state(self) -> BatcherState:
        genesis_hash = encode_hex(self.chain.genesis_hash)
        pending_nonce = int(self.l1.eth.get_transaction_count(self.account.address, "pending"))
        state = BatcherState.load(self.state_path)
        if state is None:
            state = BatcherState(
                l1_chain_id=self._l1_chain_id,
                l2_genesis_hash=genesis_hash,
                batcher=self.account.address,
                batch_inbox=self.batch_inbox,
                safe_l2_number=0,
                safe_l2_hash=genesis_hash,
                next_nonce=pending_nonce,
            )
            state.save(self.state_path)
            return state
        expected = (self._l1_chain_id, genesis_hash, self.account.address, self.batch_inbox)
        found = (state.l1_chain_id, state.l2_genesis_hash, to_checksum_address(state.batcher), to_checksum_address(state.batch_inbox))
        if found != expected:
            raise BatcherStateError(
                f"{self.state_path} belongs to another chain or batcher: (l1 chain, l2 genesis, batcher, inbox) = "
                f"{found}, this batcher is {expected}"
            )
        if state.l1_anchor_hash:
            # Same chain id, other history (a new anvil): its safe head and nonces mean nothing here.
            try:
                here = encode_hex(self.l1.eth.get_block(state.l1_anchor_number)["hash"])
            except BlockNotFound:
                here = "none"
            if here != state.l1_anchor_hash:
                raise BatcherStateError(
                    f"{self.state_path} belongs to another L1 (it saw L1 block {state.l1_anchor_number} safe as"
                    f" {state.l1_anchor_hash}, this L1 has {here}): remove it to post this chain from genesis"
                )
        self._reconcile_nonce(state, pending_nonce)
        state.save(self.state_path)
        return state

    def _reconcile_nonce(self, state: BatcherState, pending_nonce: int) -> None:
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

    @property
    def metrics(self) -> BatcherMetrics:
        return self.state.metrics

    @property
    def safe_l2_block(self) -> int:
        return self.state.safe_l2_number

    def _save(self) -> None:
        self.state.save(self.state_path)
        self._dirty = False

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
                try:
                    await asyncio.wait_for(self._stopping.wait(), self.config.poll_interval_s)
                except asyncio.TimeoutError:
                    pass
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
        """One round of track, time out, confirm, fill, send, bump, persist (see the docstring).

        Blocking (L1 and chain I/O). Raises `TemporaryError` when L1 is unreachable: nothing is
        lost, call it again later."""
        with self._step_lock:
            r = _Round()
            try:
                head = self.l1.eth.get_block("latest")
                safe_block = self.l1.eth.get_block("safe")
                l1_head, l1_safe = int(head["number"]), int(safe_block["number"])
                fees = _Fees.from_block(self.l1, head, self.config)
                # Nonces below L1's count are used: never hand them out again (someone else may
                # have used the batcher key).
                latest_nonce = int(self.l1.eth.get_transaction_count(self.account.address, "latest"))
                if latest_nonce > self.state.next_nonce:
                    log.warning("batcher account nonce moved past the state's", extra={"state": self.state.next_nonce, "l1": latest_nonce})
                    self.state.next_nonce = latest_nonce
                    self._dirty = True
                self._check_l2_reorg(r)
                self._track(latest_nonce, r)
                self._time_out(l1_head, r)
                if self._confirm(l1_safe, r):
                    self.state.l1_anchor_number, self.state.l1_anchor_hash = l1_safe, encode_hex(safe_block["hash"])
                self._fill(l1_head, r, close_open_channel)
                self._send_new(fees, r)
                self._bump_stuck(fees, r)
            except (Web3Exception, OSError) as exc:
                raise TemporaryError(f"L1 request failed: {exc}") from exc
            finally:
                if self._dirty:
                    self._save()
            return StepReport(l1_head, l1_safe, **vars(r))

    # --- 1. tracking ----------------------------------------------------------------------------

    def _live_txs(self) -> list[tuple[ChannelRecord, TxRecord]]:
        return [(channel, tx) for channel in self.state.channels for tx in channel.txs]

    def _track(self, latest_nonce: int, r: _Round) -> None:
        for channel, tx in sorted(self._live_txs(), key=lambda item: item[1].nonce):
            if tx.included:
                if self._still_included(tx):
                    continue
                tx.reorged += 1
                log.warning(
                    "L1 reorg dropped a batcher transaction",
                    extra={"tx": tx.included_hash, "l1_block": tx.included_block, "channel": channel.channel_id, "nonce": tx.nonce},
                )
                tx.included_hash = tx.included_block = tx.included_block_hash = None
                self._dirty = True
            receipt = self._find_receipt(tx)
            if receipt is not None:
                if tx.sent_at is None:  # sent just before a crash that kept it from being noted
                    tx.sent_at = time.time()
                    self._count_first_send(channel, tx)
                tx.included_hash = encode_hex(receipt["transactionHash"])
                tx.included_block = int(receipt["blockNumber"])
                tx.included_block_hash = encode_hex(receipt["blockHash"])
                r.txs_included += 1
                self._dirty = True
                log.info(
                    "batcher transaction included",
                    extra={"tx": tx.included_hash, "l1_block": tx.included_block, "channel": channel.channel_id,
                           "frames": tx.frames, "gas_used": int(receipt["gasUsed"]), "status": int(receipt["status"])},
                )
                continue
            if tx.sent_at is not None and any(self._in_pool(h) for h in tx.hashes):
                continue
            # Recorded but never sent (a crash after the write-ahead), or forgotten by L1.
            if tx.nonce < latest_nonce:
                # Its nonce is used by a transaction the batcher does not know: free the frames.
                log.warning(
                    "batcher nonce used elsewhere: its frames go out again under a new nonce",
                    extra={"nonce": tx.nonce, "channel": channel.channel_id, "frames": tx.frames},
                )
                channel.txs.remove(tx)
                self._dirty = True
                continue
            reason = "recorded, not sent yet" if tx.sent_at is None else ("L1 reorg" if tx.reorged else "dropped by L1's pool")
            if self._send(channel, tx, reason=reason):
                if tx.sent_at is None:  # its first send after all
                    r.txs_sent += 1
                    self._count_first_send(channel, tx)
                else:
                    r.reposts += 1
                    self.metrics.reposts += 1
                tx.sent_at = time.time()
                self._dirty = True

    def _still_included(self, tx: TxRecord) -> bool:
        assert tx.included_block is not None
        try:
            block = self.l1.eth.get_block(tx.included_block)
        except BlockNotFound:
            return False
        if encode_hex(block["hash"]) != tx.included_block_hash:
            return False
        return True

    def _find_receipt(self, tx: TxRecord) -> Any | None:
        for tx_hash in reversed(tx.hashes):
            try:
                receipt = self.l1.eth.get_transaction_receipt(tx_hash)
            except TransactionNotFound:
                continue
            if receipt is None or receipt.get("blockNumber") is None:
                continue
            # A node may still answer for a block it has just reorganised away.
            try:
                block = self.l1.eth.get_block(int(receipt["blockNumber"]))
            except BlockNotFound:
                continue
            if bytes(block["hash"]) == bytes(receipt["blockHash"]):
                return receipt
        return None

    def _in_pool(self, tx_hash: str) -> bool:
        try:
            found = self.l1.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return False
        return found is not None

    # --- 2. timeouts ----------------------------------------------------------------------------

    def _time_out(self, l1_head: int, r: _Round) -> None:
        for index, channel in enumerate(self.state.channels):
            if channel.abandoned:
                continue
            included = [tx.included_block for tx in channel.txs if tx.included_block is not None]
            complete = not channel.unassigned_frames() and all(tx.included for tx in channel.txs)
            if included and not complete and l1_head >= min(included) + self.config.channel_timeout:
                self._abandon_from(index, f"channel timed out: opened in L1 block {min(included)}, incomplete at {l1_head}", r)
                return

    def _abandon_from(self, index: int, reason: str, r: _Round) -> None:
        """Abandon channel `index` and every later one; their L2 blocks go into new channels."""
        for channel in self.state.channels[index:]:
            if channel.abandoned:
                continue
            # Frames without a transaction are never sent; recorded transactions are still sent
            # and tracked until they settle: their nonces are handed out, and a gap would
            # block every later batcher transaction.
            channel.abandoned = reason
            r.channels_abandoned += 1
            self.metrics.channels_abandoned += 1
            log.warning(
                "abandoning channel: %s", reason,
                extra={"channel": channel.channel_id, "l2_blocks": f"{channel.first_block}-{channel.last_block}"},
            )
        if self._open is not None:
            log.info("discarding the open channel: its blocks are batched again", extra={"blocks": len(self._open.blocks)})
            self._open = None
        self._dirty = True

    # --- 3. confirmation ------------------------------------------------------------------------

    def _confirm(self, l1_safe: int, r: _Round) -> bool:
        """Retire the channels that are safe on L1; True if any was."""
        kept: list[ChannelRecord] = []
        blocked = confirmed = False
        for channel in self.state.channels:
            settled = all(tx.included and tx.included_block <= l1_safe for tx in channel.txs)  # type: ignore[operator]
            if channel.abandoned:
                if settled:
                    self._dirty = True
                    continue  # nothing more to watch
                kept.append(channel)
                continue
            if not blocked and settled and not channel.unassigned_frames():
                self.state.safe_l2_number, self.state.safe_l2_hash = channel.last_block, channel.last_block_hash
                self.metrics.channels_confirmed += 1
                self.metrics.safe_l2_block = channel.last_block
                r.channels_confirmed += 1
                self._dirty = confirmed = True
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

    # --- L2 reorgs ------------------------------------------------------------------------------

    def _check_l2_reorg(self, r: _Round) -> None:
        if self.chain.canonical_hash(self.state.safe_l2_number) != _bytes(self.state.safe_l2_hash):
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
            if self.chain.canonical_hash(channel.last_block) != _bytes(channel.last_block_hash):
                self._abandon_from(index, f"L2 reorg: block {channel.last_block} is no longer canonical", r)
                return
        if self._open is not None and self._open.blocks:
            number, block_hash = self._open.blocks[-1]
            if self.chain.canonical_hash(number) != block_hash:
                log.warning("L2 reorg under the open channel: batching its blocks again", extra={"block": number})
                self._open = None

    # --- 4. filling -----------------------------------------------------------------------------

    def _next_block(self) -> int:
        if self._open is not None and self._open.blocks:
            return self._open.blocks[-1][0] + 1
        for channel in reversed(self.state.channels):
            if not channel.abandoned:
                return channel.last_block + 1
        return self.state.safe_l2_number + 1

    def _new_builder(self) -> ChannelBuilder:
        max_frame_data = BLOB_FRAME_DATA if self.config.use_blobs else self.config.max_frame_data
        return ChannelBuilder(
            channel_id=os.urandom(16),
            chain_id=self.chain.chain_id,
            compression=self.config.compression,
            span_batches=self.config.span_batches,
            target_size=self.config.target_channel_size,
            max_frame_data=max_frame_data,
        )

    def _fill(self, l1_head: int, r: _Round, close_open_channel: bool) -> None:
        number = self._next_block()
        head_number = self.chain.head.block_number
        while number <= head_number:
            block_hash = self.chain.canonical_hash(number)
            if block_hash is None:
                break  # the head moved back under us: the next step sees the reorg
            batch, starts_epoch = self._batch(number, block_hash)
            if self._open is None:
                self._open = _OpenChannel(self._new_builder(), time.monotonic(), first_origin=batch.l1_origin_number)
            try:
                self._open.builder.add_batch(batch, starts_epoch=starts_epoch)
            except ChannelFull:
                if not self._open.blocks:
                    raise BatcherError(f"L2 block {number} alone exceeds a channel's decompressed size limit")
                self._close_open(r, "full (decompressed size limit)")
                continue
            except UnencodableBatch as exc:
                raise BatcherError(f"cannot batch L2 block {number}: {exc}") from exc
            self._open.blocks.append((number, block_hash))
            r.blocks_added += 1
            number += 1
            if self._open.builder.is_full:
                self._close_open(r, "target size reached")
            elif self._open.builder.block_count >= self.config.max_channel_blocks:
                self._close_open(r, f"{self.config.max_channel_blocks} blocks")
        if self._open is None or not self._open.blocks:
            return
        if close_open_channel:
            self._close_open(r, "shutting down")
        elif time.monotonic() - self._open.opened_at >= self.config.max_channel_duration_s:
            self._close_open(r, f"open for {self.config.max_channel_duration_s} s")
        elif l1_head >= self._open.first_origin + self.config.sequencing_window - self.config.sub_safety_margin:
            self._close_open(r, f"sequencing window of L1 origin {self._open.first_origin} ends soon")

    def _batch(self, number: int, block_hash: bytes) -> tuple[SingularBatch, bool]:
        header = self.chain.header_by_hash(Hash32(block_hash))
        raws = self.chain.raw_transactions(Hash32(block_hash))
        if not raws:
            raise BatcherError(f"L2 block {number} has no L1-info deposit")
        origin = l1_origin_of_transactions([LantauVM.get_transaction_builder().decode(raws[0])], number)
        batch = SingularBatch(
            parent_hash=Hash32(header.parent_hash),
            l1_origin_number=origin.number,
            l1_origin_hash=origin.hash,
            timestamp=header.timestamp,
            transactions=tuple(raw for raw in raws if raw[0] != DEPOSIT_TX_TYPE),
        )
        return batch, origin.sequence_number == 0

    def _close_open(self, r: _Round, reason: str) -> None:
        assert self._open is not None and self._open.blocks
        builder = self._open.builder
        frames = builder.frames()
        first, last = self._open.blocks[0], self._open.blocks[-1]
        channel = ChannelRecord(
            channel_id=builder.channel_id.hex(),
            first_block=first[0],
            last_block=last[0],
            last_block_hash=encode_hex(last[1]),
            frames=[frame.data.hex() for frame in frames],
            blob=self.config.use_blobs,
            block_count=len(self._open.blocks),
            rlp_bytes=len(builder.rlp_batches()),
        )
        self.state.channels.append(channel)
        self._open = None
        self._dirty = True
        r.channels_closed += 1
        self.metrics.channels_opened += 1
        log.info(
            "channel closed: %s", reason,
            extra={"channel": channel.channel_id, "l2_blocks": f"{channel.first_block}-{channel.last_block}",
                   "frames": len(frames), "compressed": builder.compressed_size, "uncompressed": channel.rlp_bytes},
        )

    # --- 5. sending -----------------------------------------------------------------------------

    def _send_new(self, fees: "_Fees", r: _Round) -> None:
        pending = sum(1 for _, tx in self._live_txs() if not tx.included)
        for channel in self.state.channels:
            if channel.abandoned:
                continue
            while pending < self.config.max_pending_txs and (unassigned := channel.unassigned_frames()):
                per_tx = self.config.max_blobs_per_tx if channel.blob else 1
                tx = TxRecord(
                    nonce=self.state.next_nonce,
                    frames=unassigned[:per_tx],
                    blob=channel.blob,
                    max_fee_per_gas=fees.max_fee_per_gas,
                    max_priority_fee_per_gas=fees.max_priority_fee_per_gas,
                    max_fee_per_blob_gas=fees.max_fee_per_blob_gas if channel.blob else 0,
                )
                channel.txs.append(tx)
                self.state.next_nonce += 1
                tx.hashes.append(self._sign(channel, tx)[0])
                self._save()  # write-ahead: the nonce and the frames are recorded before sending
                if not self._send(channel, tx, reason="new"):
                    return  # try again next step (the record stays)
                tx.sent_at = time.time()
                pending += 1
                r.txs_sent += 1
                self._count_first_send(channel, tx)
                self._dirty = True

    def _count_first_send(self, channel: ChannelRecord, tx: TxRecord) -> None:
        """Count a nonce's first send; each frame counts once, even if sent again under a new
        nonce (after its first nonce was used elsewhere)."""
        m = self.metrics
        m.txs_sent += 1
        m.last_post_time = time.time()
        new = [n for n in tx.frames if n not in channel.counted_frames]
        channel.counted_frames.extend(new)
        m.frames_posted += len(new)
        m.bytes_posted += sum(len(self._tx_data(channel, [n])) for n in new)
        if len(channel.counted_frames) == len(channel.frames) and new:
            m.l2_blocks_posted += channel.block_count

    def _frames(self, channel: ChannelRecord, numbers: list[int]) -> list[Frame]:
        last = len(channel.frames) - 1
        return [Frame(bytes.fromhex(channel.channel_id), n, bytes.fromhex(channel.frames[n]), n == last) for n in numbers]

    def _tx_data(self, channel: ChannelRecord, numbers: list[int]) -> bytes:
        return encode_batcher_tx_data(self._frames(channel, numbers))

    def _sign(self, channel: ChannelRecord, tx: TxRecord) -> tuple[str, bytes]:
        """(hash, raw network form) of `tx` as recorded: deterministic, so signing again after a
        restart gives the same hash."""
        base: dict[str, Any] = {
            "chainId": self._l1_chain_id,
            "nonce": tx.nonce,
            "to": self.batch_inbox,
            "value": 0,
            "maxFeePerGas": tx.max_fee_per_gas,
            "maxPriorityFeePerGas": tx.max_priority_fee_per_gas,
        }
        if not tx.blob:
            data = self._tx_data(channel, tx.frames)
            signed = Account.sign_transaction(dict(base, type=2, gas=calldata_gas(data), data=data), self.account.key)
            return encode_hex(signed.hash), bytes(signed.raw_transaction)
        sidecar = self._sidecar(channel, tx.frames)
        blob_tx = dict(base, gas=TX_BASE_GAS, data=b"", maxFeePerBlobGas=tx.max_fee_per_blob_gas)
        signed_blob = sign_blob_transaction(blob_tx, self.account.key, sidecar)
        return encode_hex(signed_blob.hash), signed_blob.network_form

    def _sidecar(self, channel: ChannelRecord, numbers: list[int]) -> BlobSidecar:
        key = (channel.channel_id, tuple(numbers))
        if key not in self._sidecars:
            if len(self._sidecars) > 64:
                self._sidecars.clear()
            self._sidecars[key] = blob_sidecar([encode_blob(self._tx_data(channel, [n])) for n in numbers])
        return self._sidecars[key]

    def _send(self, channel: ChannelRecord, tx: TxRecord, *, reason: str) -> bool:
        """Send the newest version of `tx`. False: not sent now (logged), try again later."""
        tx_hash, raw = self._sign(channel, tx)
        if tx_hash != tx.hashes[-1]:
            # Signing is deterministic (RFC 6979); a different hash means the record changed.
            raise BatcherError(f"re-signing nonce {tx.nonce} gave {tx_hash}, the state recorded {tx.hashes[-1]}")
        try:
            self.l1.eth.send_raw_transaction(raw)
        except (Web3Exception, ValueError) as exc:
            message = str(exc).lower()
            if "already known" in message or "already imported" in message:
                return True
            if "insufficient funds" in message:
                raise BatcherError(f"batcher account {self.account.address} cannot pay for its transactions: {exc}") from exc
            log.warning(
                "batcher transaction refused: %s", exc,
                extra={"tx": tx_hash, "nonce": tx.nonce, "channel": channel.channel_id, "reason": reason},
            )
            return False
        log.info(
            "batcher transaction sent (%s)", reason,
            extra={"tx": tx_hash, "nonce": tx.nonce, "channel": channel.channel_id, "frames": tx.frames,
                   "blob": tx.blob, "max_fee_per_gas": tx.max_fee_per_gas, "tip": tx.max_priority_fee_per_gas},
        )
        return True

    # --- 6. fee bumps ---------------------------------------------------------------------------

    def _bump_stuck(self, fees: "_Fees", r: _Round) -> None:
        now = time.time()
        for channel, tx in self._live_txs():
            if tx.included or tx.sent_at is None or now - tx.sent_at < self.config.resubmit_after_s:
                continue
            bumped = fees.bump(tx, self.config)
            if bumped is None:
                log.error(
                    "batcher transaction stuck at the fee limit",
                    extra={"tx": tx.hashes[-1], "nonce": tx.nonce, "limit": self.config.max_fee_per_gas_limit},
                )
                tx.sent_at = now  # do not log every step
                continue
            old = (tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas)
            tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas = bumped
            tx.hashes.append(self._sign(channel, tx)[0])
            self._save()  # write-ahead, as for a new transaction
            if self._send(channel, tx, reason=f"fee bump after {now - tx.sent_at:.0f} s"):
                r.fee_bumps += 1
                self.metrics.fee_bumps += 1
                log.warning(
                    "bumped the fees of a stuck batcher transaction",
                    extra={"nonce": tx.nonce, "old_fees": old, "new_fees": bumped, "tx": tx.hashes[-1]},
                )
            else:
                # Refused: the older version is still the live one; the record must sign to it.
                tx.hashes.pop()
                tx.max_fee_per_gas, tx.max_priority_fee_per_gas, tx.max_fee_per_blob_gas = old
            tx.sent_at = now
            self._dirty = True


@dataclass(frozen=True, slots=True)
class _Fees:
    """Fees for a new batcher transaction, from L1's latest block."""

    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    max_fee_per_blob_gas: int

    @classmethod
    def from_block(cls, l1: Web3, head: Any, config: BatcherConfig) -> "_Fees":
        base_fee = int(head.get("baseFeePerGas", 0) or 0)
        tip = max(config.min_priority_fee_per_gas, int(l1.eth.max_priority_fee))
        blob_base_fee = int(l1.eth.blob_base_fee)
        # Twice the base fee: still included after six full blocks of +12.5 % each.
        return cls(2 * base_fee + tip, tip, max(2 * blob_base_fee, 1))

    def bump(self, tx: TxRecord, config: BatcherConfig) -> tuple[int, int, int] | None:
        """The replacement's (max fee, tip, blob fee), or None past `max_fee_per_gas_limit`."""
        factor = 1 + config.fee_bump_percent / 100
        tip = max(self.max_priority_fee_per_gas, math.ceil(tx.max_priority_fee_per_gas * factor), tx.max_priority_fee_per_gas + 1)
        fee = max(self.max_fee_per_gas, math.ceil(tx.max_fee_per_gas * factor), tx.max_fee_per_gas + 1, tip)
        blob_fee = 0
        if tx.blob:
            blob_factor = 1 + config.blob_fee_bump_percent / 100
            blob_fee = max(self.max_fee_per_blob_gas, math.ceil(tx.max_fee_per_blob_gas * blob_factor), tx.max_fee_per_blob_gas + 1)
        if fee > config.max_fee_per_gas_limit:
            return None
        return fee, tip, blob_fee


def _bytes(hex_value: str) -> bytes:
    return bytes.fromhex(hex_value.removeprefix("0x"))
