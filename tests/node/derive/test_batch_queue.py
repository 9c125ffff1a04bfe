"""Stage 5: the batch queue judges batches against the safe head (accept / drop / future)."""

from __future__ import annotations

import dataclasses
import logging

import pytest
from eth_utils import keccak

from node.batches import SingularBatch, SpanBatch, batch_from_block
from node.chain import Chain
from node.derive.batch_queue import BatchQueue
from node.l1_info import L1Origin, read_l1_origin
from tests.harness.l1_history import L1History
from tests.node.derive.sequencing import GENESIS, Wallets, sequence_block

DRIFT = 30


@dataclasses.dataclass
class World:
    l1: L1History
    chain: Chain
    blocks: list  # L2 blocks 1..6 as the sequencer built them (index 0 = block 1)

    def header(self, number: int):
        return self.chain.header_by_number(number)

    def origin(self, number: int) -> L1Origin | None:
        return read_l1_origin(self.chain.state_at(self.header(number)))

    @property
    def l1_blocks(self) -> dict:
        return {b.number: b for b in self.l1.blocks}

    def batch(self, number: int) -> SingularBatch:
        return batch_from_block(self.blocks[number - 1])


@pytest.fixture(scope="module")
def world() -> World:
    """L1 blocks at 100, 112, 124, 136; L2 blocks at 101 103 113 115 125 127 (origins 0 0 1 1 2 2),
    each with one transfer."""
    l1 = L1History()
    for i in range(4):
        l1.append(100 + 12 * i)
    chain = Chain.open(None, GENESIS)
    wallets = Wallets()
    blocks = [sequence_block(chain, l1, now, [wallets.transfer()]).block for now in (101, 103, 113, 115, 125, 127)]
    return World(l1, chain, blocks)


def queue(**overrides: int) -> BatchQueue:
    return BatchQueue(**{"sequencing_window": 8, "max_sequencer_drift": DRIFT, **overrides})


def next_for(q: BatchQueue, world: World, safe_number: int, l1_blocks: dict | None = None):
    return q.next_batch(world.header(safe_number), world.origin(safe_number), l1_blocks or world.l1_blocks, world.chain)


def dropped(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("dropping batch")]


# --- singular batches --------------------------------------------------------------------------


def test_accepts_the_batch_that_builds_on_the_safe_head(world: World) -> None:
    q = queue()
    q.add(world.batch(2), world.l1.blocks[1])
    found = next_for(q, world, 1)
    assert found.batch == world.batch(2) and found.origin == world.l1.blocks[0] and found.inclusion == world.l1.blocks[1]
    assert len(q) == 0


def test_at_genesis_only_l1_block_0_is_an_origin(world: World, caplog: pytest.LogCaptureFixture) -> None:
    q = queue()
    genesis = world.header(0)
    other = dataclasses.replace(world.batch(1), l1_origin_number=1, l1_origin_hash=world.l1.blocks[1].hash, timestamp=113)
    q.add(other, world.l1.blocks[1])
    q.add(world.batch(1), world.l1.blocks[1])
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        found = q.next_batch(genesis, None, world.l1_blocks, world.chain)
    assert found.batch == world.batch(1)
    assert dropped(caplog) == ["dropping batch: L1 origin 1 is not one of (0,) (the parent's or the next)"]


def test_future_batches_wait_for_their_parent(world: World) -> None:
    q = queue()
    q.add(world.batch(3), world.l1.blocks[2])
    assert next_for(q, world, 1) is None
    assert len(q) == 1  # kept
    q.add(world.batch(2), world.l1.blocks[2])
    assert next_for(q, world, 1).batch == world.batch(2)
    assert next_for(q, world, 2).batch == world.batch(3)


def test_on_an_agreed_parent_a_batch_on_another_is_dropped(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """The derivation trace asks about one parent only: block 3's batch (singular, and a span of
    blocks 3-4) is never block 2's, so it is dropped there, where the pipeline keeps it."""
    span = span_of(world, 3, 4)
    q = queue()
    q.add(world.batch(3), world.l1.blocks[2])
    q.add(span, world.l1.blocks[2])
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        assert q.next_batch(world.header(1), world.origin(1), world.l1_blocks, world.chain, agreed_parent=True) is None
    assert dropped(caplog) == ["dropping batch: its parent is not the agreed parent: never this block's batch"] * 2
    assert len(q) == 0
    q.add(world.batch(3), world.l1.blocks[2])
    assert next_for(q, world, 1) is None and len(q) == 1  # the pipeline's question: kept


@pytest.mark.parametrize(
    "change, reason",
    [
        (dict(timestamp=101), "old: timestamp 101 is not after the safe head's 101"),
        (dict(l1_origin_number=2), "L1 origin 2 is not one of (0, 1) (the parent's or the next)"),
        (dict(l1_origin_hash=keccak(b"not L1 block 0")), "L1 origin hash does not match L1 block 0"),
        (dict(l1_origin_number=1, timestamp=105), "timestamp 105 is before its L1 origin's 112"),
        (dict(timestamp=100 + DRIFT + 1), "timestamp 131 beyond the sequencer drift of its L1 origin (and not empty)"),
        (dict(timestamp=131, transactions=()), "beyond the drift while the next L1 origin was available"),
    ],
)
def test_singular_batch_rules(world: World, caplog: pytest.LogCaptureFixture, change: dict, reason: str) -> None:
    batch = dataclasses.replace(world.batch(2), **change)
    if "l1_origin_number" in change and "l1_origin_hash" not in change:
        batch = dataclasses.replace(batch, l1_origin_hash=world.l1.blocks[batch.l1_origin_number].hash)
    q = queue()
    q.add(batch, world.l1.blocks[3])
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        assert next_for(q, world, 1) is None
    assert dropped(caplog) == [f"dropping batch: {reason}"]
    assert len(q) == 0


def test_an_empty_batch_beyond_the_drift_that_advances_the_origin_counts(world: World) -> None:
    """OP Stack derivation spec: past the drift only empty batches, and one that moves to the next
    L1 origin is always allowed (it is how a lagging sequencer catches up)."""
    batch = dataclasses.replace(world.batch(2), l1_origin_number=1, l1_origin_hash=world.l1.blocks[1].hash,
                                timestamp=112 + DRIFT + 1, transactions=())
    q = queue()
    q.add(batch, world.l1.blocks[3])
    assert next_for(q, world, 1).batch == batch


def test_an_empty_batch_beyond_the_drift_counts_when_l1_had_no_next_block_yet(world: World) -> None:
    """The sequencer could not move to an origin that did not exist: as OP's, an empty batch is
    valid past the drift if the next L1 block is newer than it; undecided until that block is read."""
    batch = dataclasses.replace(world.batch(2), timestamp=131, transactions=())
    q = queue()
    q.add(batch, world.l1.blocks[0])
    only_block_0 = {0: world.l1.blocks[0]}
    assert next_for(q, world, 1, only_block_0) is None and len(q) == 1  # undecided: kept
    late_block_1 = dataclasses.replace(world.l1.blocks[1], timestamp=200)
    assert next_for(q, world, 1, {0: world.l1.blocks[0], 1: late_block_1}).batch == batch


def test_inclusion_rules_on_arrival(world: World, caplog: pytest.LogCaptureFixture) -> None:
    q = queue(sequencing_window=3)
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        q.add(world.batch(5), world.l1.blocks[1])  # origin 2 in L1 block 1
        q.add(world.batch(2), world.l1.blocks[3])  # origin 0 + window 3 <= 3
        q.add(world.batch(3), world.l1.blocks[3])  # origin 1 + 3 > 3: in time
    assert dropped(caplog) == [
        "dropping batch: L1 origin 2 is after its inclusion block 1",
        "dropping batch: included in L1 block 3, after the sequencing window of origin 0",
    ]
    assert len(q) == 1


def test_a_batch_whose_origin_the_safe_head_has_passed_is_dropped(world: World, caplog: pytest.LogCaptureFixture) -> None:
    """What bounds the pipeline's queue: the safe head's origin only grows, so a batch (a span: its
    last block) of an earlier origin is never valid, whatever parent it names."""
    q = queue()
    stale = dataclasses.replace(world.batch(5), parent_hash=keccak(b"elsewhere"), l1_origin_number=0)
    q.add(stale, world.l1.blocks[1])  # origin 0, on another parent: future while the safe head's origin is 0
    late = SpanBatch.from_singular_batches([dataclasses.replace(world.batch(4), timestamp=130)], chain_id=GENESIS.chain_id, starts_epoch=True)
    q.add(dataclasses.replace(late, parent_check=keccak(b"elsewhere")[:20]), world.l1.blocks[2])  # origin 1, after block 5
    assert next_for(q, world, 1) is None and len(q) == 2  # origin 0: both kept
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        assert next_for(q, world, 3) is None  # origin 1: the singular batch can never be valid
        assert next_for(q, world, 5) is None  # origin 2: neither can the span
    assert dropped(caplog) == [
        "dropping batch: L1 origin 0 is before the safe head's 1: never valid",
        "dropping batch: span's last block: L1 origin 1 is before the safe head's 2: never valid",
    ]
    assert len(q) == 0


def test_no_flood_of_batches_on_other_parents_pushes_out_the_next_blocks(world: World) -> None:
    """Block 3's batch posted before block 2's, then more batches on other parents than the former
    cap (MAX_BUFFERED_BATCHES = 10,000, which dropped the oldest): block 3's is still taken after
    block 2's, as the trace from block 2 (which re-reads from S) takes it."""
    q = queue()
    q.add(world.batch(3), world.l1.blocks[1])
    junk = world.batch(4)
    for i in range(10_001):
        q.add(dataclasses.replace(junk, parent_hash=keccak(i.to_bytes(4, "big"))), world.l1.blocks[1])
    q.add(world.batch(2), world.l1.blocks[1])
    assert next_for(q, world, 1).batch == world.batch(2)
    assert next_for(q, world, 2).batch == world.batch(3)
    assert len(q) == 10_001  # the junk: origin 1 is the safe head's, so kept until it passes or is old


# --- span batches ------------------------------------------------------------------------------


def span_of(world: World, first: int, last: int, **change) -> SpanBatch:
    batches = [world.batch(n) for n in range(first, last + 1)]
    span = SpanBatch.from_singular_batches(batches, chain_id=GENESIS.chain_id, starts_epoch=True)
    return dataclasses.replace(span, **change)


def test_a_span_is_handed_out_block_by_block_exactly_as_its_singular_batches(world: World) -> None:
    q = queue()
    q.add(span_of(world, 2, 5), world.l1.blocks[3])
    for number in (2, 3, 4, 5):
        found = next_for(q, world, number - 1)
        assert found.batch == world.batch(number)  # parent and origin hashes filled back in
        assert found.origin.number == found.batch.l1_origin_number
    assert len(q) == 0 and next_for(q, world, 5) is None


def test_a_span_overlapping_the_safe_chain_applies_its_new_blocks(world: World) -> None:
    q = queue()
    q.add(span_of(world, 1, 4), world.l1.blocks[3])
    assert next_for(q, world, 2).batch == world.batch(3)
    assert next_for(q, world, 3).batch == world.batch(4)


def test_a_span_disagreeing_with_the_safe_chain_is_dropped(world: World, caplog: pytest.LogCaptureFixture) -> None:
    span = span_of(world, 1, 4)
    elements = list(span.elements)
    elements[1] = dataclasses.replace(elements[1], transactions=())  # block 2 without its transfer
    q = queue()
    q.add(dataclasses.replace(span, elements=tuple(elements)), world.l1.blocks[3])
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        assert next_for(q, world, 2) is None
    assert dropped(caplog) == ["dropping batch: span batch disagrees with safe block 2"]


@pytest.mark.parametrize(
    "change, reason",
    [
        (dict(l1_origin_check=bytes(20)), "l1_origin_check does not match the last block's L1 origin"),
        (dict(parent_check=bytes(20)), None),  # future: kept, not dropped
    ],
)
def test_span_checks(world: World, caplog: pytest.LogCaptureFixture, change: dict, reason: str | None) -> None:
    q = queue()
    q.add(span_of(world, 2, 4, **change), world.l1.blocks[3])
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        assert next_for(q, world, 1) is None
    assert dropped(caplog) == ([f"dropping batch: {reason}"] if reason else [])
    assert len(q) == (0 if reason else 1)


def test_one_bad_block_drops_the_whole_span(world: World, caplog: pytest.LogCaptureFixture) -> None:
    span = span_of(world, 2, 4)
    elements = list(span.elements)
    elements[2] = dataclasses.replace(elements[2], timestamp=112 + DRIFT + 1)  # block 4 past the drift
    q = queue()
    q.add(dataclasses.replace(span, elements=tuple(elements)), world.l1.blocks[3])
    with caplog.at_level(logging.WARNING, logger="lantau.derive"):
        assert next_for(q, world, 1) is None
    assert dropped(caplog) == [
        "dropping batch: span block 2: timestamp 143 beyond the sequencer drift of its L1 origin (and not empty)"
    ]


def test_the_rest_of_a_span_is_abandoned_if_the_safe_head_moves_elsewhere(world: World) -> None:
    q = queue()
    q.add(span_of(world, 2, 5), world.l1.blocks[3])
    assert next_for(q, world, 1).batch == world.batch(2)
    assert next_for(q, world, 3) is None  # the safe head is not block 2: the span's rest is dropped
    assert len(q) == 0
