"""Stage 3: frames from batcher data; a malformed batcher transaction is dropped whole."""

from __future__ import annotations

import logging

import pytest

from node.channels import Frame, encode_batcher_tx_data
from node.derive.frames import frames_from_batcher_data

CHANNEL = bytes(16)


def test_frames_of_every_good_transaction_in_order_bad_ones_dropped(caplog: pytest.LogCaptureFixture) -> None:
    first = [Frame(CHANNEL, 0, b"a", False), Frame(CHANNEL, 1, b"b", False)]
    second = [Frame(CHANNEL, 2, b"c", True)]
    half_good = encode_batcher_tx_data([Frame(CHANNEL, 9, b"z", False)]) + b"\xff"  # good frame + junk
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        frames = frames_from_batcher_data(
            [encode_batcher_tx_data(first), b"\x01garbage", half_good, b"", encode_batcher_tx_data(second)], l1_block=7
        )
    assert frames == first + second
    assert [r.reason for r in caplog.records] == ["UnknownDerivationVersion", "TruncatedFrame", "EmptyBatcherTransaction"]
    assert all(r.l1_block == 7 for r in caplog.records)
