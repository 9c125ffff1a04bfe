"""The batcher's counters (Prometheus `lantau_batcher_<name>`), kept in its state file so they
survive restarts, and the one rule of what a first send counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the records hold the metrics' inputs; the state file holds both
    from sequencer.batcher_state import ChannelRecord, TxRecord


@dataclass
class BatcherMetrics:
    """Counters for Prometheus (`lantau_batcher_<name>`); they survive restarts."""

    channels_opened: int = 0
    channels_confirmed: int = 0
    channels_abandoned: int = 0
    channels_unread: int = 0  # all frames landed, derivation reads it not, or one of its txs reverted (`ChannelManager.requeue_unread`): abandoned
    txs_reverted: int = 0  # included with receipt status 0: derivation ignores them, their channel is batched again
    frames_posted: int = 0  # distinct frames sent for the first time (re-sends are `reposts`)
    bytes_posted: int = 0  # batcher tx data bytes of those frames (calldata, or blob data)
    txs_sent: int = 0  # first sends of a nonce
    fee_bumps: int = 0
    reposts: int = 0  # transactions sent again after an L1 reorg or a dropped pool entry
    l2_blocks_posted: int = 0
    last_post_time: float = 0.0  # unix time of the last first send
    safe_l2_block: int = 0

    def count_first_send(self, channel: ChannelRecord, tx: TxRecord, frame_bytes: dict[int, int], now: float) -> None:
        """Count a nonce's first send; each frame counts once, even if sent again under a new
        nonce (after its first nonce was used elsewhere). `frame_bytes`: batcher tx data bytes
        of each frame alone."""
        self.txs_sent += 1
        self.last_post_time = now
        new = [n for n in tx.frames if n not in channel.counted_frames]
        channel.counted_frames.extend(new)
        self.frames_posted += len(new)
        self.bytes_posted += sum(frame_bytes[n] for n in new)
        if len(channel.counted_frames) == len(channel.frames) and new:
            self.l2_blocks_posted += channel.block_count
