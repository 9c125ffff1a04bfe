"""Stage 4, the channel bank: frames -> complete channels (the OP Stack's Canyon rules, and Lantau's
channel id rule).

- A channel's id names the L1 block o it opens at (`node.channels.channel_id`: u64_be(o) ++ 8 bytes
  the batcher chooses; Lantau's rule, not OP's). A frame read from L1 block b is dropped (logged:
  "channel id names L1 block o outside [b - channel_timeout, b]") unless o <= b <= o +
  `channel_timeout`; the channel is dropped once incomplete past o + `channel_timeout`. So a
  channel's timeout and its place in the bank depend on its id alone, never on which of its frames
  a reader saw first: node's pipeline (reading from the chain's first L1 block) and a derivation
  trace starting with an empty bank at S hold a channel alike (docs/batches.md, "No backlog of
  channels").
- The bank is in the order of (o, then order of opening): a new channel goes after every channel
  held with an open block <= its own. Pruning and the timed-out sweep take the head.
- Frames of one channel may arrive in any order and across L1 blocks; they are assembled by
  frame number. A frame is dropped (with a logged reason) when: its id names an L1 block out of
  range (above); its number was already seen (duplicate); it is a second last frame; the channel
  is closed and its number is past the last frame. A last frame drops already-received frames numbered
  after it.
- A channel is ready when it has its last frame and every frame before it. **At most one channel
  becomes ready in an L1 block**: a frame that would make a channel ready while the bank holds
  another ready one drops that channel (logged: "second channel completed in one L1 block"), so
  the bank holds at most one ready channel, and `read` (called once a block, after the block's
  frames, by the pipeline and by derivation_commitment.py) reads it in the block it became ready:
  the first ready channel in the bank's order, whatever the channels before it (Canyon's
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

from node.channels import Frame, channel_open_block
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
    open_block: int  # the L1 block its id names
    frames: dict[int, bytes] = field(default_factory=dict)
    last_frame: int | None = None
    size: int = 0

    @property
    def ready(self) -> bool:
        return self.last_frame is not None and len(self.frames) == self.last_frame + 1

    def data(self) -> bytes:
        return b"".join(self.frames[i] for i in range(len(self.frames)))


class ChannelBank:
    def __init__(
        self, channel_timeout: int, max_size: int = MAX_CHANNEL_BANK_SIZE, max_frames: int = MAX_CHANNEL_BANK_FRAMES,
        *, replay: bool = False,
    ) -> None:
        """`replay`: a bank that only replays what derivation did (the batcher's and the challenger's
        reading of the inbox) logs what it drops at DEBUG: derivation itself reports it."""
        self.channel_timeout = channel_timeout
        self._drop_level = logging.DEBUG if replay else logging.WARNING
        self.max_size = max_size
        self.max_frames = max_frames
        self._channels: "OrderedDict[bytes, _Channel]" = OrderedDict()  # by open block, then order of opening
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
        """The channels held, in the bank's order (by open block, then order of opening)."""
        return tuple(
            OpenChannel(c.channel_id, c.open_block, tuple(sorted(c.frames.items())), c.last_frame)
            for c in self._channels.values()
        )

    def _timed_out(self, channel: _Channel, current: L1BlockRef) -> bool:
        return channel.open_block + self.channel_timeout < current.number

    def add_frame(self, frame: Frame, current: L1BlockRef) -> bool:
        """Take a frame read from L1 block `current`; False if it is dropped (its reason logged),
        True if its channel took it (the channel may then be dropped whole: a second completion,
        pruning)."""
        channel = self._channels.get(frame.channel_id)
        reason = self._out_of_range(frame, current) or (None if channel is None else self._refusal(channel, frame))
        if reason is not None:
            log.log(
                self._drop_level, "dropping frame: %s", reason,
                extra={"channel": frame.channel_id.hex(), "frame": frame.number, "l1_block": current.number},
            )
            return False
        if channel is None:
            channel = self._open(frame.channel_id)
        if frame.is_last:
            channel.last_frame = frame.number
            for number in [n for n in channel.frames if n > frame.number]:
                self._account(channel, -(len(channel.frames.pop(number)) + FRAME_ACCOUNTING_OVERHEAD), -1)
        channel.frames[frame.number] = frame.data
        self._account(channel, len(frame.data) + FRAME_ACCOUNTING_OVERHEAD, 1)
        if channel.ready and any(other.ready for other in self._channels.values() if other is not channel):
            self._remove(frame.channel_id)
            log.log(
                self._drop_level, "dropping channel: second channel completed in one L1 block",
                extra={"channel": frame.channel_id.hex(), "frame": frame.number, "l1_block": current.number},
            )
        self._prune()
        return True

    def _out_of_range(self, frame: Frame, current: L1BlockRef) -> str | None:
        """The channel id rule: a frame of L1 block b counts only if its id names a block o with
        o <= b <= o + channel_timeout (so its channel, held or not, has not timed out)."""
        opened = channel_open_block(frame.channel_id)
        if opened <= current.number <= opened + self.channel_timeout:
            return None
        return f"channel id names L1 block {opened} outside [{max(0, current.number - self.channel_timeout)}, {current.number}]"

    def _open(self, channel_id: bytes) -> _Channel:
        """A new channel, placed after every channel held whose open block is at or before its own."""
        channel = _Channel(channel_id, channel_open_block(channel_id))
        later = [(key, held) for key, held in self._channels.items() if held.open_block > channel.open_block]
        for key, _ in later:
            del self._channels[key]
        self._channels[channel_id] = channel
        self._channels.update(later)
        return channel

    def _refusal(self, channel: _Channel, frame: Frame) -> str | None:
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
            log.log(self._drop_level, "channel bank full: dropping oldest channel", extra={"channel": channel_id.hex()})

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
            log.log(
                self._drop_level, "dropping channel: timed out",
                extra={"channel": channel_id.hex(), "opened_at": channel.open_block, "l1_block": current.number},
            )
        ready = next((channel_id for channel_id, channel in self._channels.items() if channel.ready), None)
        return None if ready is None else (ready, self._remove(ready).data())
