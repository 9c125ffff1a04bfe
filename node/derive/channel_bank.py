"""Stage 4, the channel bank: frames -> complete channels (the OP Stack's Canyon rules).

- A channel opens at the L1 block where its first frame (by arrival) was read; every frame
  must arrive by L1 block `open + channel_timeout`, or the channel is dropped.
- Frames of one channel may arrive in any order and across L1 blocks; they are assembled by
  frame number. A frame is dropped (with a logged reason) when: its number was already seen
  (duplicate); it is a second last frame; the channel is closed and its number is past the
  last frame; its channel has timed out. A last frame drops already-received frames numbered
  after it.
- A channel is ready when it has its last frame and every frame before it. **At most one channel
  becomes ready in an L1 block**: a frame that would make a channel ready while the bank holds
  another ready one drops that channel (logged: "second channel completed in one L1 block"), so
  the bank holds at most one ready channel, and `read` (called once a block, after the block's
  frames, by the pipeline and by derivation_commitment.py) reads it in the block it became ready:
  the first ready channel in the order of opening, whatever the channels before it (Canyon's
  rule), after the timed-out incomplete channels at the head are dropped. No ready channel is
  left after a block's read, so there is no backlog of complete channels: one derivation step on
  L1 (`DerivationStep`) decodes at most one channel, the one completed in its L1 block, within
  the channel bounds of node/channels.py (docs/batches.md, "What one derivation step reads"),
  and a derivation trace that starts with an empty bank reads every channel completed in its
  range in the same block as node's pipeline (docs/batches.md, "No backlog of channels").
- The bank holds at most `max_size` bytes (frame data + 200 per frame, as OP's) and at most
  `MAX_CHANNEL_BANK_FRAMES` frames (Lantau's: the leaf on L1 is shown every frame held by its
  length and hash, docs/batches.md "What a derivation step is shown"); past either, the oldest
  channels are dropped.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass, field

from node.channels import Frame
from node.l1_block_ref import L1BlockRef

log = logging.getLogger("lantau.derive")

#: OP's MaxChannelBankSize and per-frame accounting overhead.
MAX_CHANNEL_BANK_SIZE = 100_000_000
FRAME_ACCOUNTING_OVERHEAD = 200
#: Frames the bank holds at most (Lantau's rule, not OP's): an honest batcher's L1 block brings at
#: most ~25 (16 pending transactions, a block's blobs), and its complete channels are read in it.
MAX_CHANNEL_BANK_FRAMES = 64


@dataclass(frozen=True, slots=True)
class OpenChannel:
    """A channel the bank holds, as its state is committed to (node/derive/derivation_commitment.py):
    its frames by number, `last_frame` None until its closing frame arrived."""

    channel_id: bytes
    open_block: int
    frames: tuple[tuple[int, bytes], ...]
    last_frame: int | None


@dataclass
class _Channel:
    channel_id: bytes
    open_block: L1BlockRef
    frames: dict[int, bytes] = field(default_factory=dict)
    last_frame: int | None = None
    size: int = 0

    @property
    def ready(self) -> bool:
        return self.last_frame is not None and len(self.frames) == self.last_frame + 1

    def data(self) -> bytes:
        return b"".join(self.frames[i] for i in range(len(self.frames)))


class ChannelBank:
    def __init__(self, channel_timeout: int, max_size: int = MAX_CHANNEL_BANK_SIZE, max_frames: int = MAX_CHANNEL_BANK_FRAMES) -> None:
        self.channel_timeout = channel_timeout
        self.max_size = max_size
        self.max_frames = max_frames
        self._channels: "OrderedDict[bytes, _Channel]" = OrderedDict()  # in order of opening
        self._size = 0
        self._frames = 0

    @property
    def size(self) -> int:
        return self._size

    @property
    def frames(self) -> int:
        """The frames held, in every channel."""
        return self._frames

    def __len__(self) -> int:
        return len(self._channels)

    def open_channels(self) -> tuple[OpenChannel, ...]:
        """The channels held, in the bank's order (of opening)."""
        return tuple(
            OpenChannel(c.channel_id, c.open_block.number, tuple(sorted(c.frames.items())), c.last_frame)
            for c in self._channels.values()
        )

    def _timed_out(self, channel: _Channel, current: L1BlockRef) -> bool:
        return channel.open_block.number + self.channel_timeout < current.number

    def add_frame(self, frame: Frame, current: L1BlockRef) -> None:
        """Take a frame read from L1 block `current`."""
        channel = self._channels.get(frame.channel_id)
        if channel is None:
            channel = _Channel(frame.channel_id, current)
            self._channels[frame.channel_id] = channel
        reason = self._refusal(channel, frame, current)
        if reason is not None:
            log.warning(
                "dropping frame: %s", reason,
                extra={"channel": frame.channel_id.hex(), "frame": frame.number, "l1_block": current.number},
            )
            return
        if frame.is_last:
            channel.last_frame = frame.number
            for number in [n for n in channel.frames if n > frame.number]:
                self._account(channel, -(len(channel.frames.pop(number)) + FRAME_ACCOUNTING_OVERHEAD), -1)
        channel.frames[frame.number] = frame.data
        self._account(channel, len(frame.data) + FRAME_ACCOUNTING_OVERHEAD, 1)
        if channel.ready and any(other.ready for other in self._channels.values() if other is not channel):
            self._remove(frame.channel_id)
            log.warning(
                "dropping channel: second channel completed in one L1 block",
                extra={"channel": frame.channel_id.hex(), "frame": frame.number, "l1_block": current.number},
            )
        self._prune()

    def _refusal(self, channel: _Channel, frame: Frame, current: L1BlockRef) -> str | None:
        if self._timed_out(channel, current):
            return "channel timed out"
        if frame.number in channel.frames:
            return "duplicate frame"
        if channel.last_frame is not None:
            if frame.is_last:
                return "second last frame for a closed channel"
            if frame.number > channel.last_frame:
                return "frame after the channel's last frame"
        return None

    def _account(self, channel: _Channel, delta: int, frames: int) -> None:
        channel.size += delta
        self._size += delta
        self._frames += frames

    def _remove(self, channel_id: bytes) -> _Channel:
        channel = self._channels.pop(channel_id)
        self._size -= channel.size
        self._frames -= len(channel.frames)
        return channel

    def _prune(self) -> None:
        while (self._size > self.max_size or self._frames > self.max_frames) and self._channels:
            channel_id = next(iter(self._channels))
            self._remove(channel_id)
            log.warning("channel bank full: dropping oldest channel", extra={"channel": channel_id.hex()})

    def read(self, current: L1BlockRef) -> bytes | None:
        """The data of the ready channel, if the bank holds one (at most one: `add_frame`), after
        the timed-out incomplete channels at the head are dropped. Called once per L1 block, after
        its frames: the channel read is the one completed in that block."""
        read = self.read_channel(current)
        return None if read is None else read[1]

    def read_channel(self, current: L1BlockRef) -> tuple[bytes, bytes] | None:
        """`read`, with the channel's id: (id, data)."""
        while self._channels:
            channel_id, channel = next(iter(self._channels.items()))
            if channel.ready or not self._timed_out(channel, current):
                break
            self._remove(channel_id)
            log.warning(
                "dropping channel: timed out",
                extra={"channel": channel_id.hex(), "opened_at": channel.open_block.number, "l1_block": current.number},
            )
        ready = next((channel_id for channel_id, channel in self._channels.items() if channel.ready), None)
        return None if ready is None else (ready, self._remove(ready).data())
