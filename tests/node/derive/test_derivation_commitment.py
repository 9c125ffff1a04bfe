"""The derivation-state commitment (node/derive/derivation_commitment.py): node's own stages run
from the empty state at S over S .. E for the block after an agreed parent."""

from __future__ import annotations

import dataclasses
import logging
import os

import pytest

from eth_abi import encode
from eth_utils import keccak

from node.batches import batch_from_block, encode_batch
from node.chain import Chain
from node.channels import Frame, channel_id, encode_batcher_tx_data, encode_channel
from node.derive.channel_bank import OpenChannel
from node.derive.derivation_commitment import (
    EMPTY_STATE, DerivationState, DerivationTrace, QueuedBatch, derivation_range,
)
from node.derive.pipeline import DerivationPipeline
from node.errors import L1BlockOutsideDerivationRange
from node.rpc.errors import INVALID_PARAMS, error_object
from node.l1_info import L1Origin
from tests.harness.l1_history import L1History, batcher_tx
from tests.node.derive.sequencing import GENESIS, Batcher, config, sequence_block
from tests.node.derive.test_pipeline import Scenario, derive_all


def test_the_encoding_by_hand() -> None:
    """Known answer from eth_abi (an independent encoder): one channel of two frames, one queued batch, found."""
    channel = OpenChannel(cid(0x11, 7), 7, ((0, b"ab"), (1, b"cde")), 1)
    queued = QueuedBatch(b"\x01batch", 9)
    found = QueuedBatch(b"\x00other", 10)
    f1 = keccak(encode(["bytes32", "uint256", "bytes32", "uint256"], [bytes(32), 0, keccak(b"ab"), 2]))
    f2 = keccak(encode(["bytes32", "uint256", "bytes32", "uint256"], [f1, 1, keccak(b"cde"), 3]))
    bank = keccak(encode(["bytes32", "bytes16", "uint256", "uint256", "bytes32"], [bytes(32), cid(0x11, 7), 7, 2, f2]))
    queue = keccak(encode(["bytes32", "bytes32", "uint256"], [bytes(32), keccak(b"\x01batch"), 9]))
    found_leaf = keccak(encode(["bytes32", "uint256"], [keccak(b"\x00other"), 10]))
    expected = keccak(encode(["bytes32", "bytes32", "bytes32"], [bank, queue, found_leaf]))
    assert DerivationState((channel,), (queued,), found).commitment() == expected
    assert EMPTY_STATE.commitment() == keccak(bytes(96))
    open_channel = OpenChannel(cid(0x11, 7), 7, ((0, b"ab"),), None)  # no last frame: closing 0
    assert DerivationState((open_channel,), (), None).commitment() != DerivationState((channel,), (), None).commitment()


def test_the_range() -> None:
    cfg = config(sequencing_window=8, channel_timeout=4)
    assert derivation_range(cfg, None) == (0, 7)
    assert derivation_range(cfg, L1Origin(2, bytes(32), 0)) == (0, 10)  # S clamped at l1_start_block
    assert derivation_range(cfg, L1Origin(10, bytes(32), 3)) == (6, 18)  # O - 4 .. O + 1 + 8 - 1


def test_the_batch_found_is_the_one_the_pipeline_derives_each_block_from() -> None:
    """For every block of a sequencer's chain (span batches, channels split over two L1 blocks),
    the trace from its parent finds a batch in the L1 block the pipeline derived it from, and the
    commitments stop changing once it is found."""
    scenario = Scenario(Batcher(span_batches=True, max_frame_data=500), split_channels=True)
    for _ in range(6):
        scenario.run_round()
    scenario.flush()
    for _ in range(9):
        scenario.l1.append(100 + 12 * len(scenario.l1.blocks))
    verifier = Chain.open(None, GENESIS)
    derived = derive_all(DerivationPipeline(config(), scenario.l1, verifier))
    # The empty L1 blocks after the batches end the windows of L1 blocks 6.. : forced blocks follow.
    assert [d.deposit_only for d in derived] == [False] * len(scenario.blocks) + [True] * (len(derived) - len(scenario.blocks))
    assert len(derived) > len(scenario.blocks)
    for block in [*derived[1 : len(scenario.blocks) : 5], derived[len(scenario.blocks)]]:
        parent = verifier.header_by_number(block.header.block_number - 1)
        trace = DerivationTrace(config(), verifier, parent, scenario.l1)
        commitments = trace.commitments()
        assert len(commitments) == trace.last - trace.first + 1
        assert trace.state_before(trace.first) == EMPTY_STATE
        if block.deposit_only:
            assert trace.found is None and block.derived_from.number == trace.last + 1
            continue
        assert trace.found is not None and trace.found.inclusion == block.derived_from.number
        at = trace.found.inclusion - trace.first
        assert all(c == commitments[at] for c in commitments[at:])
        assert trace.state_after(trace.found.inclusion - 1).found is None
        assert trace.state_before(trace.found.inclusion) == trace.state_after(trace.found.inclusion - 1)


def _single_block_chain() -> tuple[L1History, Chain, bytes]:
    """L1 blocks 0..2, one sequenced L2 block on origin 0; returns its batch's bytes."""
    l1 = L1History()
    sequencer = Chain.open(None, GENESIS)
    l1.append(100)
    batch = encode_batch(batch_from_block(sequence_block(sequencer, l1, 101).block))
    return l1, sequencer, batch


def cid(tag: int, open_block: int) -> bytes:
    """A valid channel id naming L1 block `open_block` (node/channels.py `channel_id`)."""
    return channel_id(open_block, bytes([tag]) * 8)


def _post(l1: L1History, *frames: Frame, timestamp: int | None = None) -> None:
    l1.append(timestamp or 100 + 12 * len(l1.blocks), txs=[batcher_tx(encode_batcher_tx_data(list(frames)))])


def test_a_second_valid_batch_for_the_block_changes_nothing_found() -> None:
    l1, sequencer, batch = _single_block_chain()
    first = encode_channel([batch])
    _post(l1, Frame(cid(0x01, len(l1.blocks)), 0, first, True))
    _post(l1, Frame(cid(0x02, len(l1.blocks)), 0, first, True))  # the same batch again, another channel
    for _ in range(6):
        l1.append(100 + 12 * len(l1.blocks))
    genesis = sequencer.header_by_number(0)
    trace = DerivationTrace(config(), sequencer, genesis, l1)
    assert trace.found == QueuedBatch(batch, 1)
    commitments = trace.commitments()
    assert commitments[1] == commitments[2] == commitments[-1]  # the second channel changed nothing
    assert trace.state_after(0) == EMPTY_STATE


def test_garbage_an_unclosed_and_a_timed_out_channel_find_nothing() -> None:
    """Garbage is dropped whole (the state stays empty); an unclosed channel is held until it
    times out (channel_timeout 4), then dropped; no batch: the block is the forced one."""
    l1, sequencer, batch = _single_block_chain()
    channel = encode_channel([batch])
    l1.append(112, txs=[batcher_tx(os.urandom(200)), batcher_tx(b"\x00" + cid(0x66, 1) + b"\x00\x00\x00\x00\x00\x05hello\x01")])
    _post(l1, Frame(cid(0x03, len(l1.blocks)), 0, channel[:10], False))  # opens at 2, never closed
    for _ in range(5):
        l1.append(100 + 12 * len(l1.blocks))
    trace = DerivationTrace(config(), sequencer, sequencer.header_by_number(0), l1)
    assert (trace.first, trace.last) == (0, 7)
    assert trace.found is None
    assert trace.state_after(1) == EMPTY_STATE
    held = trace.state_after(2).channels
    assert held == (OpenChannel(cid(3, 2), 2, ((0, channel[:10]),), None),)
    assert trace.state_after(6).channels == held  # 2 + 4 = 6: not yet timed out
    # The bank drops a timed-out channel when it is read again: the channel stays until a read.
    assert trace.state_after(7).channels == ()
    assert trace.commitments()[7] == EMPTY_STATE.commitment()


def test_an_l1_block_outside_the_range_is_refused_by_name() -> None:
    """The trace is the one home of its range check: an L1 block before S or past E is
    `L1BlockOutsideDerivationRange` (JSON-RPC -32602 through the error table), and the trace
    answers the blocks inside it as before."""
    l1, sequencer, _ = _single_block_chain()
    for _ in range(7):
        l1.append(100 + 12 * len(l1.blocks))
    trace = DerivationTrace(config(), sequencer, sequencer.header_by_number(0), l1)
    assert (trace.first, trace.last) == (0, 7)
    before = trace.commitments()
    for ask in (trace.state_before, trace.state_after, trace.arrivals):
        with pytest.raises(L1BlockOutsideDerivationRange) as refused:
            ask(8)
        assert (refused.value.l1_block, refused.value.first, refused.value.last) == (8, 0, 7)
    assert error_object(refused.value) == {"code": INVALID_PARAMS, "message": "L1 block 8 is outside the range 0..7 of the block's derivation"}
    assert trace.commitments() == before and trace.state_after(7).commitment() == before[7]


def test_a_batch_for_a_later_block_is_dropped_on_the_agreed_parent() -> None:
    """A batch whose parent is not the agreed one (block 2's, before block 1's) is never block 1's:
    the trace drops it (the pipeline keeps it for block 2), so nothing waits in the queue."""
    l1 = L1History()
    sequencer = Chain.open(None, GENESIS)
    l1.append(100)
    one = encode_batch(batch_from_block(sequence_block(sequencer, l1, 101).block))
    two = encode_batch(batch_from_block(sequence_block(sequencer, l1, 103).block))
    _post(l1, Frame(cid(0x04, len(l1.blocks)), 0, encode_channel([two]), True))
    _post(l1, Frame(cid(0x05, len(l1.blocks)), 0, encode_channel([one]), True))
    for _ in range(6):
        l1.append(100 + 12 * len(l1.blocks))
    trace = DerivationTrace(config(), sequencer, sequencer.header_by_number(0), l1)
    assert trace.arrivals(1) == (QueuedBatch(two, 1),) and trace.state_after(1) == EMPTY_STATE
    assert trace.state_after(2) == DerivationState((), (), QueuedBatch(one, 2))
    # block 2's own trace (parent: block 1) finds it where it came
    assert DerivationTrace(config(), sequencer, sequencer.header_by_number(1), l1).found == QueuedBatch(two, 1)


def test_the_pipeline_keeps_a_batch_posted_before_its_parents_and_derives_what_the_trace_finds(caplog: pytest.LogCaptureFixture) -> None:
    """Block 2's batch posted (L1 block 1) before block 1's (L1 block 2), with junk on other parents
    between: the pipeline keeps block 2's (future), takes block 1's, then block 2's, the very batch
    each block's trace finds; a pipeline started again at block 1 (a restart, the trace's S) too.
    Dropping it on arrival (OP's Holocene) would leave block 2 to a later batch or its window while
    block 2's trace, re-reading from S, finds it."""
    l1 = L1History()
    sequencer = Chain.open(None, GENESIS)
    l1.append(100)
    one = encode_batch(batch_from_block(sequence_block(sequencer, l1, 101).block))
    two_block = sequence_block(sequencer, l1, 103).block
    two = encode_batch(batch_from_block(two_block))
    junk = [encode_batch(dataclasses.replace(batch_from_block(two_block), parent_hash=keccak(bytes([i])))) for i in range(3)]
    _post(l1, Frame(cid(0x04, len(l1.blocks)), 0, encode_channel([two, *junk]), True))
    _post(l1, Frame(cid(0x05, len(l1.blocks)), 0, encode_channel([*junk, one]), True))
    for _ in range(6):
        l1.append(100 + 12 * len(l1.blocks))
    verifier = Chain.open(None, GENESIS)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        derived = derive_all(DerivationPipeline(config(), l1, verifier))
    assert not [r for r in caplog.records if r.getMessage().startswith("dropping batch") and "parent" in r.getMessage()]
    assert [d.header.hash for d in derived[:2]] == [sequencer.header_by_number(1).hash, sequencer.header_by_number(2).hash]
    assert [d.derived_from.number for d in derived[:2]] == [2, 2]
    for block, batch, inclusion in ((1, one, 2), (2, two, 1)):
        trace = DerivationTrace(config(), verifier, verifier.header_by_number(block - 1), l1)
        assert trace.found == QueuedBatch(batch, inclusion)
    restarted = Chain.open(None, GENESIS)
    first = derive_all(DerivationPipeline(config(), l1, restarted))[0]
    again = derive_all(DerivationPipeline(config(), l1, restarted, safe_head=first.header))
    assert again[0].header.hash == derived[1].header.hash
