"""Stage 4: the channel bank assembles frames into channels (OP's Canyon rules)."""

from __future__ import annotations

import logging
import random

import pytest

from node.channels import Frame, channel_id
from node.derive.channel_bank import FRAME_ACCOUNTING_OVERHEAD, MAX_CHANNEL_BANK_FRAMES, ChannelBank
from node.derive.l1_source import L1BlockRef

def cid(open_block: int, tag: int) -> bytes:
    """A valid channel id: it names L1 block `open_block` (node/channels.py `channel_id`)."""
    return channel_id(open_block, bytes([tag]) * 8)


def ids(open_block: int) -> tuple[bytes, bytes, bytes]:
    """Three channel ids naming `open_block`."""
    return cid(open_block, 0xAA), cid(open_block, 0xBB), cid(open_block, 0xCC)


def l1(number: int) -> L1BlockRef:
    return L1BlockRef(number, number.to_bytes(32, "big"), (number - 1).to_bytes(32, "big", signed=True), 100 + 12 * number, 7)


def frame(channel: bytes, number: int, data: bytes, last: bool = False) -> Frame:
    return Frame(channel, number, data, last)


def reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_frames_assemble_in_number_order_across_l1_blocks() -> None:
    A, _, _ = ids(10)
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 2, b"cc", last=True), l1(10))
    assert bank.read(l1(10)) is None
    bank.add_frame(frame(A, 0, b"aa"), l1(11))
    assert bank.read(l1(11)) is None
    bank.add_frame(frame(A, 1, b"bb"), l1(12))
    assert bank.read(l1(12)) == b"aabbcc"
    assert bank.read(l1(12)) is None and len(bank) == 0 and bank.size == 0


def test_duplicates_and_frames_past_the_end_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
    A, _, _ = ids(1)
    bank = ChannelBank(channel_timeout=4)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(A, 0, b"aa"), l1(1))
        bank.add_frame(frame(A, 0, b"XX"), l1(1))  # duplicate: the first one stays
        bank.add_frame(frame(A, 1, b"bb", last=True), l1(1))
        bank.add_frame(frame(A, 2, b"cc"), l1(1))  # after the last frame
        bank.add_frame(frame(A, 1, b"bb", last=True), l1(1))  # duplicate last
    assert reasons(caplog) == [
        "dropping frame: duplicate frame", "dropping frame: frame after the channel's last frame", "dropping frame: duplicate frame",
    ]
    assert bank.read(l1(1)) == b"aabb"


def test_a_second_last_frame_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    A, _, _ = ids(1)
    bank = ChannelBank(channel_timeout=4)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(A, 3, b"dd", last=True), l1(1))
        bank.add_frame(frame(A, 1, b"bb", last=True), l1(1))
    assert reasons(caplog) == ["dropping frame: second last frame for a closed channel"]


def test_a_last_frame_prunes_frames_numbered_after_it() -> None:
    A, _, _ = ids(1)
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 0, b"aa"), l1(1))
    bank.add_frame(frame(A, 5, b"ff"), l1(1))
    bank.add_frame(frame(A, 1, b"bb", last=True), l1(1))
    assert bank.size == 4 + 2 * FRAME_ACCOUNTING_OVERHEAD
    assert bank.read(l1(1)) == b"aabb"


def test_a_channel_must_complete_within_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    """Opened at L1 block 10 (its id names it) with timeout 4: frames count up to block 14, not at
    15; the timeout counts from the block the id names, not from the first frame read."""
    A, B, C = ids(10)
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 0, b"aa"), l1(10))
    bank.add_frame(frame(A, 1, b"bb"), l1(14))
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(A, 2, b"cc", last=True), l1(15))
        assert bank.read(l1(15)) is None
    assert reasons(caplog) == ["dropping frame: channel id names L1 block 10 outside [11, 15]", "dropping channel: timed out"]
    assert len(bank) == 0 and bank.size == 0
    bank.add_frame(frame(B, 0, b"x"), l1(10))
    bank.add_frame(frame(B, 1, b"y", last=True), l1(14))
    assert bank.read(l1(14)) == b"xy"
    bank.add_frame(frame(C, 0, b"z"), l1(13))  # first read at 13, opened at 10: times out after 14
    assert bank.open_channels()[0].open_block == 10
    assert bank.read(l1(14)) is None and len(bank) == 1 and bank.read(l1(15)) is None and len(bank) == 0


def test_a_frame_whose_id_names_a_block_out_of_range_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """A frame read from L1 block b counts only if its channel id names a block o with
    o <= b <= o + channel_timeout: one naming a later block (an L1 reorged to a shorter chain, or
    a hostile batcher) or a block more than the timeout back is dropped with the reason, and the
    bank is as it was (its channels, frames, size)."""
    bank = ChannelBank(channel_timeout=4)
    held = cid(8, 1)
    bank.add_frame(frame(held, 0, b"h0"), l1(10))
    before = (bank.open_channels(), bank.frames, bank.size)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(cid(11, 2), 0, b"ahead", last=True), l1(10))  # names the block after
        bank.add_frame(frame(cid(5, 3), 0, b"stale", last=True), l1(10))  # 10 > 5 + 4
        bank.add_frame(frame(held, 1, b"h1", last=True), l1(13))  # held, but 13 > 8 + 4
    assert reasons(caplog) == [
        "dropping frame: channel id names L1 block 11 outside [6, 10]",
        "dropping frame: channel id names L1 block 5 outside [6, 10]",
        "dropping frame: channel id names L1 block 8 outside [9, 13]",
    ]
    assert (bank.open_channels(), bank.frames, bank.size) == before
    assert bank.read(l1(10)) is None
    bank.add_frame(frame(cid(6, 2), 0, b"edge", last=True), l1(10))  # o = b - timeout: in range
    assert bank.read(l1(10)) == b"edge"


def test_the_bank_is_ordered_by_the_block_a_channel_id_names() -> None:
    """A new channel goes after every channel whose id names a block at or before its own, so
    pruning (and the timed-out sweep) take the channels naming the oldest blocks first, in
    whatever order their frames were read."""
    bank = ChannelBank(channel_timeout=10, max_frames=3)
    bank.add_frame(frame(cid(5, 1), 0, b"a"), l1(6))
    bank.add_frame(frame(cid(3, 2), 0, b"b"), l1(6))
    bank.add_frame(frame(cid(5, 3), 0, b"c"), l1(6))
    assert [(c.open_block, c.channel_id[-1]) for c in bank.open_channels()] == [(3, 2), (5, 1), (5, 3)]
    bank.add_frame(frame(cid(4, 4), 0, b"d"), l1(6))  # a fourth frame: the head (naming 3) goes
    assert [(c.open_block, c.channel_id[-1]) for c in bank.open_channels()] == [(4, 4), (5, 1), (5, 3)]
    assert bank.read(l1(15)) is None  # 4 + 10 < 15: timed out; 5 + 10 not yet
    assert [c.open_block for c in bank.open_channels()] == [5, 5]


def test_a_ready_channel_is_read_past_an_incomplete_first_one() -> None:
    """Canyon's rule: the first ready channel in the bank's order, not only the first channel."""
    A, B, _ = ids(1)
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 0, b"aa"), l1(1))
    bank.add_frame(frame(B, 0, b"bb", last=True), l1(1))
    assert bank.read(l1(1)) == b"bb"  # B, completed in block 1, read in it; A still open
    bank.add_frame(frame(A, 1, b"a2", last=True), l1(2))
    assert bank.read(l1(2)) == b"aaa2"
    assert bank.read(l1(2)) is None and len(bank) == 0 and bank.size == 0 and bank.frames == 0


def test_a_second_channel_completed_in_one_l1_block_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """At most one channel becomes ready in an L1 block: the frame completing a second one drops
    that channel (all its frames), the first is read in the block, and no ready channel is left to
    wait: no backlog (docs/batches.md, "No backlog of channels")."""
    (_, _, C), (A, B, _) = ids(1), ids(2)
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(C, 0, b"cc"), l1(1))  # open, incomplete, first in the bank's order
    bank.add_frame(frame(B, 0, b"b0"), l1(2))
    bank.add_frame(frame(A, 0, b"aa", last=True), l1(2))  # the first channel completed in block 2
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(B, 1, b"b1", last=True), l1(2))  # would complete a second one
    assert reasons(caplog) == ["dropping channel: second channel completed in one L1 block"]
    assert [c.channel_id for c in bank.open_channels()] == [C, A]
    assert bank.frames == 2 and bank.size == 2 * (FRAME_ACCOUNTING_OVERHEAD + 2)
    assert bank.read(l1(2)) == b"aa"
    assert bank.read(l1(2)) is None and [c.channel_id for c in bank.open_channels()] == [C]
    # B's frames sent again in the next block make a new channel B, read in that block.
    bank.add_frame(frame(B, 0, b"b0"), l1(3))
    bank.add_frame(frame(B, 1, b"b1", last=True), l1(3))
    assert bank.read(l1(3)) == b"b0b1" and bank.frames == 1


def test_a_channel_completed_in_a_block_is_read_in_it_not_later() -> None:
    """The channel read in a block is the one completed in it: a ready channel never waits, so
    none is read in a later block (the backlog d046248's one-read-a-block rule allowed)."""
    bank = ChannelBank(channel_timeout=4)
    for number, channel in enumerate((cid(1, 1), cid(2, 2), cid(3, 3)), start=1):
        bank.add_frame(frame(channel, 0, bytes([number]), last=True), l1(number))
        assert bank.read(l1(number)) == bytes([number])
        assert len(bank) == 0


def test_a_timed_out_first_channel_is_dropped_at_the_read() -> None:
    A, B = cid(1, 1), cid(3, 2)
    bank = ChannelBank(channel_timeout=2)
    bank.add_frame(frame(A, 0, b"aa"), l1(1))
    bank.add_frame(frame(B, 0, b"b0"), l1(3))
    assert bank.read(l1(3)) is None and len(bank) == 2
    assert bank.read(l1(4)) is None  # A (opened at 1) timed out at 4
    assert [c.channel_id for c in bank.open_channels()] == [B]


def test_the_bank_drops_its_oldest_channels_past_its_size() -> None:
    A, B, C = ids(1)
    bank = ChannelBank(channel_timeout=10, max_size=2 * (FRAME_ACCOUNTING_OVERHEAD + 10))
    bank.add_frame(frame(A, 0, b"a" * 10), l1(1))
    bank.add_frame(frame(B, 0, b"b" * 10), l1(1))
    bank.add_frame(frame(C, 0, b"c" * 10, last=True), l1(1))  # 3 x 210 bytes > 420: A goes
    assert len(bank) == 2 and bank.size == 2 * (FRAME_ACCOUNTING_OVERHEAD + 10)
    assert bank.read(l1(1)) == b"c" * 10
    assert [c.channel_id for c in bank.open_channels()] == [B]


def test_the_bank_drops_its_oldest_channels_past_its_frames(caplog: pytest.LogCaptureFixture) -> None:
    """At most MAX_CHANNEL_BANK_FRAMES frames: a frame past it drops the oldest channels (all their
    frames), whatever their size; the counters follow every way a frame leaves."""
    A, B, _ = ids(2)
    bank = ChannelBank(channel_timeout=10)
    for k in range(MAX_CHANNEL_BANK_FRAMES - 2):
        bank.add_frame(frame(cid(1, k), 0, b"x"), l1(1))  # channels of one frame, never closed
    bank.add_frame(frame(A, 1, b"a1"), l1(2))
    bank.add_frame(frame(A, 0, b"a0"), l1(2))
    assert bank.frames == MAX_CHANNEL_BANK_FRAMES and len(bank) == MAX_CHANNEL_BANK_FRAMES - 1
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(B, 0, b"b", last=True), l1(2))
    assert reasons(caplog) == ["channel bank full: dropping oldest channel"]
    assert bank.frames == MAX_CHANNEL_BANK_FRAMES and len(bank) == MAX_CHANNEL_BANK_FRAMES - 1
    assert bank.open_channels()[0].channel_id == cid(1, 1)  # channel 0 went, the rest in order
    bank.add_frame(frame(A, 0, b"a0", last=True), l1(2))  # a duplicate: dropped, nothing counted
    bank.add_frame(frame(A, 1, b"a1", last=True), l1(2))  # duplicate too
    assert bank.frames == MAX_CHANNEL_BANK_FRAMES
    assert bank.read(l1(2)) == b"b"  # B, ready, read in its block past the incomplete ones
    assert bank.read(l1(12)) is None  # every channel opened at 1 timed out (dropped), A (opened at 2) not complete
    assert bank.frames == 2 and len(bank) == 1


def test_an_honest_blocks_channel_is_read_in_it() -> None:
    """The honest batcher (sequencer/channel_manager.py: one transaction in flight, one channel a
    transaction) completes at most one channel an L1 block: each is read in its block, also
    behind a channel left open (an older batcher's, another sender's)."""
    bank = ChannelBank(channel_timeout=30)
    bank.add_frame(frame(cid(1, 0xAA), 0, b"a" * 1000), l1(1))
    whole = [cid(2 + k, k) for k in range(25)]
    for k, channel in enumerate(whole):
        bank.add_frame(frame(channel, 0, bytes([k]) * 100, last=True), l1(2 + k))
        assert bank.read(l1(2 + k)) == bytes([k]) * 100
    assert bank.frames == 1 and bank.read(l1(32)) is None and bank.frames == 0 and bank.size == 0


def test_a_bank_started_empty_reads_what_the_whole_run_reads_after_the_start_plus_a_timeout() -> None:
    """The argument of docs/batches.md "No backlog of channels", run: node's pipeline reads from
    block 0, the trace for a block whose parent's origin is O from S = O - timeout with an empty
    bank; from O + 1 on (where a channel can first carry that block's batch) they read the same
    channel in every block. Random channels, each id naming its opening block o, frames posted in
    o - 1 .. o + timeout + 1 (the ones out of range dropped), ids used again by later channels,
    frames duplicated and left out, several completing in one block, a bank of 8 frames so pruning
    runs: for every S, channels with frames on both sides of S (and ids used on both sides) are in
    both runs."""
    timeout, blocks = 4, 48
    crossing_starts = reused_across = 0
    for seed in range(12):
        rng = random.Random(seed)
        posted: dict[int, list[Frame]] = {b: [] for b in range(blocks)}
        used: list[bytes] = []
        reused: set[bytes] = set()
        for k in range(60):
            if used and rng.random() < 0.3:
                channel = rng.choice(used)  # an id used again, by another channel
                reused.add(channel)
            else:
                channel = cid(rng.randrange(blocks), k)
                used.append(channel)
            opened, count = int.from_bytes(channel[:8], "big"), rng.randint(1, 4)
            numbers = [n for n in range(count) if rng.random() < 0.9] or [0]
            for n in numbers + [rng.choice(numbers)]:  # one duplicate
                b = min(blocks - 1, max(0, opened + rng.randint(-1, timeout + 1)))
                posted[b].append(frame(channel, n, bytes([k, n]), last=n == count - 1))

        def reads(start: int) -> list[tuple[bytes, bytes] | None]:
            bank = ChannelBank(channel_timeout=timeout, max_frames=8)
            read: list[tuple[bytes, bytes] | None] = []
            for b in range(start, blocks):
                for f in posted[b]:
                    bank.add_frame(f, l1(b))
                read.append(bank.read_channel(l1(b)))
            return read

        whole = reads(0)
        for start in range(1, blocks - timeout - 1):
            before = {f.channel_id for b in range(start) for f in posted[b]}
            across = {f.channel_id for b in range(start, blocks) for f in posted[b]} & before
            crossing_starts += bool(across)
            reused_across += len(across & reused)
            first_carrying = start + timeout + 1  # O + 1
            assert reads(start)[first_carrying - start:] == whole[first_carrying:], (seed, start)
            assert sum(r is not None for r in whole[first_carrying:]) >= 1 or blocks - first_carrying < 12, (seed, start)
    assert crossing_starts > 0.9 * 12 * (blocks - timeout - 2) and reused_across > 300  # 486 of 504, 650


def test_a_channel_id_used_again_across_the_start_is_one_channel_in_both_banks() -> None:
    """The hostile sequence of docs/batches.md "No backlog of channels": frame 0 of x in S - 1,
    frame 1 in S + 1, frames 0 and 2 again in O + 1 = S + timeout + 1. x names S - 1, so the
    pipeline (from block 0) and the trace (from S) both hold it as one channel opened at S - 1,
    both drop the O + 1 frames as out of range, and both read the same thing in every block
    from S on (before the rule, the trace read x's data in O + 1 and the pipeline nothing)."""
    timeout, start = 4, 10
    x, other = cid(start - 1, 0x11), cid(start + timeout + 1, 0x22)
    posted = {
        start - 1: [frame(x, 0, b"x0")],
        start + 1: [frame(x, 1, b"x1")],
        start + timeout + 1: [frame(x, 0, b"n0"), frame(x, 2, b"n2", last=True), frame(other, 0, b"ok", last=True)],
    }

    def reads(first: int) -> list[tuple[bytes, bytes] | None]:
        bank = ChannelBank(channel_timeout=timeout)
        read: list[tuple[bytes, bytes] | None] = []
        for b in range(first, start + timeout + 3):
            for f in posted.get(b, []):
                bank.add_frame(f, l1(b))
            read.append(bank.read_channel(l1(b)))
            if b == start + 1:
                assert [(c.channel_id, c.open_block) for c in bank.open_channels()] == [(x, start - 1)]
        return read

    pipeline, trace = reads(0), reads(start)
    assert pipeline[start:] == trace
    assert trace[timeout + 1] == (other, b"ok") and all(r is None for r in trace[: timeout + 1])
