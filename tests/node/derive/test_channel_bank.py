"""Stage 4: the channel bank assembles frames into channels (OP's Canyon rules)."""

from __future__ import annotations

import logging

import pytest

from node.channels import Frame
from node.derive.channel_bank import FRAME_ACCOUNTING_OVERHEAD, MAX_CHANNEL_BANK_FRAMES, ChannelBank
from node.derive.l1_source import L1BlockRef

A, B, C = b"\xaa" * 16, b"\xbb" * 16, b"\xcc" * 16


def l1(number: int) -> L1BlockRef:
    return L1BlockRef(number, number.to_bytes(32, "big"), (number - 1).to_bytes(32, "big", signed=True), 100 + 12 * number, 7)


def frame(channel: bytes, number: int, data: bytes, last: bool = False) -> Frame:
    return Frame(channel, number, data, last)


def reasons(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records]


def test_frames_assemble_in_number_order_across_l1_blocks() -> None:
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 2, b"cc", last=True), l1(10))
    assert bank.read(l1(10)) is None
    bank.add_frame(frame(A, 0, b"aa"), l1(11))
    assert bank.read(l1(11)) is None
    bank.add_frame(frame(A, 1, b"bb"), l1(12))
    assert bank.read(l1(12)) == b"aabbcc"
    assert bank.read(l1(12)) is None and len(bank) == 0 and bank.size == 0


def test_duplicates_and_frames_past_the_end_are_dropped(caplog: pytest.LogCaptureFixture) -> None:
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
    bank = ChannelBank(channel_timeout=4)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(A, 3, b"dd", last=True), l1(1))
        bank.add_frame(frame(A, 1, b"bb", last=True), l1(1))
    assert reasons(caplog) == ["dropping frame: second last frame for a closed channel"]


def test_a_last_frame_prunes_frames_numbered_after_it() -> None:
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 0, b"aa"), l1(1))
    bank.add_frame(frame(A, 5, b"ff"), l1(1))
    bank.add_frame(frame(A, 1, b"bb", last=True), l1(1))
    assert bank.size == 4 + 2 * FRAME_ACCOUNTING_OVERHEAD
    assert bank.read(l1(1)) == b"aabb"


def test_a_channel_must_complete_within_the_timeout(caplog: pytest.LogCaptureFixture) -> None:
    """Opened at L1 block 10 with timeout 4: frames count up to block 14, not at 15."""
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 0, b"aa"), l1(10))
    bank.add_frame(frame(A, 1, b"bb"), l1(14))
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(A, 2, b"cc", last=True), l1(15))
        assert bank.read(l1(15)) is None
    assert reasons(caplog) == ["dropping frame: channel timed out", "dropping channel: timed out"]
    assert len(bank) == 0 and bank.size == 0
    bank.add_frame(frame(B, 0, b"x"), l1(10))
    bank.add_frame(frame(B, 1, b"y", last=True), l1(14))
    assert bank.read(l1(14)) == b"xy"


def test_only_the_first_opened_channel_is_read() -> None:
    bank = ChannelBank(channel_timeout=4)
    bank.add_frame(frame(A, 0, b"aa"), l1(1))
    bank.add_frame(frame(B, 0, b"bb", last=True), l1(1))
    assert bank.read(l1(1)) is None  # B is ready but waits for A
    bank.add_frame(frame(A, 1, b"a2", last=True), l1(2))
    assert bank.read(l1(2)) == b"aaa2"
    assert bank.read(l1(2)) == b"bb"


def test_a_timed_out_first_channel_lets_the_next_one_through() -> None:
    bank = ChannelBank(channel_timeout=2)
    bank.add_frame(frame(A, 0, b"aa"), l1(1))
    bank.add_frame(frame(B, 0, b"bb", last=True), l1(3))
    assert bank.read(l1(3)) is None
    assert bank.read(l1(4)) == b"bb"  # A (opened at 1) timed out at 4


def test_the_bank_drops_its_oldest_channels_past_its_size() -> None:
    bank = ChannelBank(channel_timeout=10, max_size=2 * (FRAME_ACCOUNTING_OVERHEAD + 10))
    bank.add_frame(frame(A, 0, b"a" * 10), l1(1))
    bank.add_frame(frame(B, 0, b"b" * 10, last=True), l1(1))
    assert bank.read(l1(1)) is None  # A first, incomplete
    bank.add_frame(frame(C, 0, b"c" * 10, last=True), l1(1))  # 3 x 210 bytes > 420: A goes
    assert len(bank) == 2 and bank.size == 2 * (FRAME_ACCOUNTING_OVERHEAD + 10)
    assert bank.read(l1(1)) == b"b" * 10
    assert bank.read(l1(1)) == b"c" * 10


def test_the_bank_drops_its_oldest_channels_past_its_frames(caplog: pytest.LogCaptureFixture) -> None:
    """At most MAX_CHANNEL_BANK_FRAMES frames: a frame past it drops the oldest channels (all their
    frames), whatever their size; the counters follow every way a frame leaves."""
    bank = ChannelBank(channel_timeout=10)
    for k in range(MAX_CHANNEL_BANK_FRAMES - 2):
        bank.add_frame(frame(bytes([k]) * 16, 0, b"x"), l1(1))  # channels of one frame, never closed
    bank.add_frame(frame(A, 1, b"a1"), l1(2))
    bank.add_frame(frame(A, 0, b"a0"), l1(2))
    assert bank.frames == MAX_CHANNEL_BANK_FRAMES and len(bank) == MAX_CHANNEL_BANK_FRAMES - 1
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        bank.add_frame(frame(B, 0, b"b", last=True), l1(2))
    assert reasons(caplog) == ["channel bank full: dropping oldest channel"]
    assert bank.frames == MAX_CHANNEL_BANK_FRAMES and len(bank) == MAX_CHANNEL_BANK_FRAMES - 1
    assert bank.open_channels()[0].channel_id == bytes([1]) * 16  # channel 0 went, the rest in order
    bank.add_frame(frame(A, 0, b"a0", last=True), l1(2))  # a duplicate: dropped, nothing counted
    bank.add_frame(frame(A, 1, b"a1", last=True), l1(2))  # duplicate too
    assert bank.frames == MAX_CHANNEL_BANK_FRAMES
    assert bank.read(l1(12)) is None  # every channel opened at 1 timed out (dropped), A (opened at 2) not complete
    assert bank.frames == 3 and len(bank) == 2


def test_an_honest_blocks_frames_are_all_read() -> None:
    """An honest batcher's busiest L1 block, 16 pending calldata transactions and 9 blobs, each one
    frame of a whole channel, behind the open channel it is sending: all held, then all read."""
    bank = ChannelBank(channel_timeout=10)
    bank.add_frame(frame(A, 0, b"a" * 1000), l1(1))
    whole = [bytes([k]) * 16 for k in range(25)]
    for k, channel in enumerate(whole):
        bank.add_frame(frame(channel, 0, bytes([k]) * 100, last=True), l1(2))
    bank.add_frame(frame(A, 1, b"a", last=True), l1(2))
    assert bank.frames == 27 <= MAX_CHANNEL_BANK_FRAMES
    read = [bank.read(l1(2)) for _ in range(26)]
    assert read == [b"a" * 1001, *(bytes([k]) * 100 for k in range(25))] and bank.frames == 0 and bank.size == 0
