"""The whole pipeline, pure: a sequencer builds blocks, a batcher posts them to an in-memory L1,
and a verifier on a fresh chain derives the same blocks from L1 alone."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pytest

from node.chain import Chain
from node.channels import Compression, Frame, channel_id, encode_batcher_tx_data, encode_channel
from node.batches import SingularBatch, batch_from_block, encode_batch
from node.derive.pipeline import DerivationPipeline, DerivedBlock
from node.errors import ResetError, TemporaryError
from tests.harness.l1_history import DEPOSITOR, STRANGER, FlakyInbox, L1History, SentTransaction, batcher_tx
from tests.node.derive.sequencing import GENESIS, Batcher, Wallets, config, sequence_block

L1_BLOCK_TIME = 12
L2_BLOCK_TIME = 2


@dataclass
class Scenario:
    """L1 block k at 100 + 12k with k mints of k; six L2 blocks per L1 block, 0-3 transfers
    each; the batcher posts what was built during L1 block k in L1 block k + 1."""

    batcher: Batcher
    split_channels: bool = False  # post each channel's second half one L1 block later
    l1: L1History = field(default_factory=L1History)
    chain: Chain = field(default_factory=lambda: Chain.open(None, GENESIS))
    wallets: Wallets = field(default_factory=Wallets)
    blocks: list = field(default_factory=list)  # every block the sequencer built
    posted: int = 0  # how many of them the batcher has posted
    carry: list = field(default_factory=list)

    def __post_init__(self) -> None:
        self.l1.append(100, mints=(1,))

    def run_round(self, extra_l1_txs: list[SentTransaction] = ()) -> None:
        k = len(self.l1.blocks)
        for j in range(L1_BLOCK_TIME // L2_BLOCK_TIME):
            now = 100 + L1_BLOCK_TIME * (k - 1) + L2_BLOCK_TIME * j
            txs = [self.wallets.transfer(legacy=(j == 3)) for _ in range(self.wallets.rng.randrange(4))]
            self.blocks.append(sequence_block(self.chain, self.l1, now, txs).block)
        posting = self.batcher.post(self.blocks[self.posted :], open_block=k - 1)
        self.posted = len(self.blocks)
        if self.split_channels:
            half = len(posting) // 2
            txs, self.carry = self.carry + posting[:half], posting[half:]
        else:
            txs = posting
        # the extra transactions after the batcher's: a junk channel completed first would take the
        # L1 block's one channel completion (channel_bank.py) and the batcher's would be dropped
        self.l1.append(100 + L1_BLOCK_TIME * k, mints=(k,) * (k % 3), txs=[*txs, *extra_l1_txs])

    def flush(self, idle_blocks: int = 0) -> None:
        """Post what is carried, then `idle_blocks` L1 blocks without batcher data."""
        if self.carry:
            self.l1.append(100 + L1_BLOCK_TIME * len(self.l1.blocks), txs=self.carry)
            self.carry = []
        for _ in range(idle_blocks):
            self.l1.append(100 + L1_BLOCK_TIME * len(self.l1.blocks))


def derive_all(pipeline: DerivationPipeline) -> list[DerivedBlock]:
    derived = []
    while (block := pipeline.step()) is not None:
        derived.append(block)
    return derived


def assert_same_chain(verifier: Chain, blocks: list) -> None:
    for block in blocks:
        mine = verifier.header_by_number(block.header.block_number)
        assert (mine.hash, mine.state_root) == (block.header.hash, block.header.state_root)


@pytest.mark.parametrize(
    "batcher, split",
    [
        (Batcher(Compression.FASTLZ, span_batches=False, max_frame_data=700, frames_per_tx=3), False),
        (Batcher(Compression.FASTLZ, span_batches=True, max_frame_data=500), True),
    ],
    ids=["singular", "span-split"],
)
def test_verifier_derives_the_sequencers_blocks_ignoring_garbage(batcher: Batcher, split: bool, caplog: pytest.LogCaptureFixture) -> None:
    scenario = Scenario(batcher, split_channels=split)
    # A stranger posts a well-formed channel with a batch for block 1 that has no transactions:
    # counted, it would replace the sequencer's block 1. The batcher's key also posts junk.
    forged = SingularBatch(scenario.chain.header_by_number(0).hash, 0, scenario.l1.blocks[0].hash, 101, ())
    forged_channel = encode_channel([encode_batch(forged)])
    forged_tx = batcher_tx(encode_batcher_tx_data([Frame(channel_id(1, b"\x55" * 8), 0, forged_channel, True)]), sender=STRANGER)
    # posted in L1 blocks 1 and 5 (rounds 0 and 4), naming L1 block 1 (channel_timeout 4)
    junk = [batcher_tx(os.urandom(300)), batcher_tx(b"\x00" + channel_id(1, b"\x66" * 8) + b"\x00\x00\x00\x00\x00\x05hello\x01")]
    incremental = DerivationPipeline(config(), scenario.l1, Chain.open(None, GENESIS))
    derived_while_growing: list[DerivedBlock] = []
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        for k in range(10):
            scenario.run_round(extra_l1_txs=[forged_tx, *junk] if k in (0, 4) else [])
            derived_while_growing += derive_all(incremental)
        scenario.flush(idle_blocks=2)
        derived_while_growing += derive_all(incremental)

    verifier = Chain.open(None, GENESIS)
    pipeline = DerivationPipeline(config(), scenario.l1, verifier)
    derived = derive_all(pipeline)

    assert [d.header.hash for d in derived] == [b.header.hash for b in scenario.blocks]
    assert [d.header.hash for d in derived_while_growing] == [b.header.hash for b in scenario.blocks]
    assert_same_chain(verifier, scenario.blocks)
    assert not any(d.deposit_only for d in derived)
    assert pipeline.safe_head.hash == scenario.blocks[-1].header.hash
    assert sum(len(b.transactions) for b in scenario.blocks) > 100
    minted = 1 + sum(k * (k % 3) for k in range(1, 10))  # L1 block 10 is no L2 block's origin yet
    assert verifier.state_at(pipeline.safe_head).get_balance(DEPOSITOR) == minted
    messages = [r.getMessage() for r in caplog.records]
    assert "ignoring inbox transaction: not from the batcher" in messages
    assert any(m.startswith("dropping batcher transaction") for m in messages)
    assert "dropping channel: second channel completed in one L1 block" in messages  # the junk "hello" channel


def test_l1_reorg_that_drops_a_batch_resets_and_derives_again() -> None:
    scenario = Scenario(Batcher())
    for _ in range(5):
        scenario.run_round()
    verifier = Chain.open(None, GENESIS)
    pipeline = DerivationPipeline(config(), scenario.l1, verifier)
    assert len(derive_all(pipeline)) == 30
    lost = scenario.blocks[24:30]  # built during L1 block 4 (their origin), posted in L1 block 5
    posted_in_5 = scenario.l1.txs_by_hash[scenario.l1.blocks[5].hash]
    assert pipeline.safe_l1 == scenario.l1.blocks[5]

    # L1 reorg: block 5 is replaced by one without the batcher's transactions.
    scenario.l1.fork_at(5)
    scenario.l1.append(160, mints=(5, 5), salt=b"fork")
    scenario.l1.append(172, salt=b"fork")
    with pytest.raises(ResetError):
        pipeline.step()
    safe = pipeline.reset()
    # Blocks 25-30 keep a canonical origin (L1 block 4) but lost the L1 block they came from.
    assert safe.hash == pipeline.safe_head.hash == scenario.blocks[23].header.hash
    assert derive_all(pipeline) == []

    # The batcher posts the lost blocks again: the verifier derives the very same blocks.
    scenario.l1.append(184, txs=posted_in_5)
    again = derive_all(pipeline)
    assert [d.header.hash for d in again] == [b.header.hash for b in lost]
    assert all(d.derived_from == scenario.l1.blocks[7] for d in again)
    assert_same_chain(verifier, scenario.blocks)


def test_reorg_of_an_origin_walks_back_past_blocks_built_on_it() -> None:
    scenario = Scenario(Batcher())
    for _ in range(4):
        scenario.run_round()
    verifier = Chain.open(None, GENESIS)
    pipeline = DerivationPipeline(config(), scenario.l1, verifier)
    derive_all(pipeline)
    origin_2 = scenario.l1.blocks[2]
    scenario.l1.fork_at(2)
    for k in range(2, 6):
        scenario.l1.append(100 + 12 * k, salt=b"other")
    with pytest.raises(ResetError):
        pipeline.step()
    safe = pipeline.reset()
    from node.l1_info import read_l1_origin

    origin = read_l1_origin(verifier.state_at(safe))
    assert origin.number < 2 and safe.hash == scenario.blocks[safe.block_number - 1].header.hash
    assert all(read_l1_origin(verifier.state_at(b.header)).hash != origin_2.hash for b in scenario.blocks[: safe.block_number])


def test_sequencing_window_forces_deposit_only_blocks() -> None:
    """No batch in time, window 4: reading L1 block n + 4 forces the deposit-only block of
    origin n. The sequencer's batch for origin 0, included in L1 block 4, is too late."""
    l1 = L1History()
    sequencer = Chain.open(None, GENESIS)
    l1.append(100, mints=(5,))
    late_batch = batch_from_block(sequence_block(sequencer, l1, 101).block)
    l1.append(112, mints=(7, 11))
    l1.append(124)
    l1.append(136)
    verifier = Chain.open(None, GENESIS)
    pipeline = DerivationPipeline(config(sequencing_window=4), l1, verifier)
    assert pipeline.step() is None and pipeline.l1_position.number == 3
    channel = encode_channel([encode_batch(late_batch)])
    l1.append(148, txs=[batcher_tx(encode_batcher_tx_data([Frame(channel_id(4, b"\x01" * 8), 0, channel, True)]))])
    first = pipeline.step()
    assert first.deposit_only and first.derived_from.number == 4 and first.l1_origin.number == 0
    assert GENESIS.timestamp < 100 and first.header.timestamp == 100  # max(genesis + 1, origin 0's 100)
    assert first.header.hash != sequencer.head.hash
    assert len(verifier.transactions(first.header.hash)) == 2  # L1 info + the deposit
    assert pipeline.step() is None
    l1.append(160)
    second = pipeline.step()
    assert second.deposit_only and second.l1_origin.number == 1 and second.header.timestamp == 112
    assert len(verifier.transactions(second.header.hash)) == 3
    assert verifier.state_at(second.header).get_balance(DEPOSITOR) == 5 + 7 + 11
    assert pipeline.step() is None


def test_a_temporary_l1_failure_changes_nothing() -> None:
    scenario = Scenario(Batcher())
    for _ in range(3):
        scenario.run_round()

    flaky = FlakyInbox(scenario.l1.blocks, scenario.l1.deposits_by_hash, scenario.l1.txs_by_hash)
    pipeline = DerivationPipeline(config(), flaky, Chain.open(None, GENESIS))
    derived: list[DerivedBlock] = []
    failures = 0
    while True:
        try:
            block = pipeline.step()
        except TemporaryError:
            failures += 1
            continue
        if block is None:
            break
        derived.append(block)
    assert failures == 2
    assert [d.header.hash for d in derived] == [b.header.hash for b in scenario.blocks]
    assert flaky.reads == [0, 1, 2, 3]  # block 2 read once, when it succeeded


@pytest.mark.parametrize("span", [False, True], ids=["singular", "span"])
def test_a_new_pipeline_continues_from_a_given_safe_head(span: bool) -> None:
    """As after a restart: start on block 9 of a chain derived before (mid-span for spans)."""
    scenario = Scenario(Batcher(span_batches=span))
    for _ in range(4):
        scenario.run_round()
    verifier = Chain.open(None, GENESIS)
    derive_all(DerivationPipeline(config(), scenario.l1, verifier))
    restarted = DerivationPipeline(config(), scenario.l1, verifier, safe_head=verifier.header_by_number(9))
    again = derive_all(restarted)
    assert [d.header.hash for d in again] == [b.header.hash for b in scenario.blocks[9:]]
    assert all(d.built is None for d in again)  # the chain had them: adopted, not rebuilt


def test_a_sequencer_deriving_its_own_chain_adopts_its_blocks_and_keeps_the_unsafe_ones() -> None:
    scenario = Scenario(Batcher(span_batches=True))
    for _ in range(3):
        scenario.run_round()
    unsafe = [sequence_block(scenario.chain, scenario.l1, 140 + 2 * i).block for i in range(3)]  # not posted
    head = scenario.chain.head
    assert head.hash == unsafe[-1].header.hash
    pipeline = DerivationPipeline(config(), scenario.l1, scenario.chain)
    derived = derive_all(pipeline)
    assert [d.header.hash for d in derived] == [b.header.hash for b in scenario.blocks[:18]]
    assert all(d.built is None for d in derived)  # adopted, not rebuilt
    assert scenario.chain.head.hash == head.hash  # the unsafe blocks are still there
    assert pipeline.safe_head.block_number == 18


def test_derivation_replaces_unsafe_blocks_that_l1_contradicts() -> None:
    """The sequencer's block 1 was never posted; the window forces a deposit-only block 1 that
    replaces it (and drops the sequencer's later blocks from the canonical chain)."""
    l1 = L1History()
    l1.append(100, mints=(5,))
    chain = Chain.open(None, GENESIS)
    wallets = Wallets()
    unsafe = [sequence_block(chain, l1, 101 + i, [wallets.transfer()]).block for i in range(3)]
    for k in range(1, 3):
        l1.append(100 + 12 * k)
    pipeline = DerivationPipeline(config(sequencing_window=2), l1, chain)
    forced = pipeline.step()
    assert forced.deposit_only and forced.built is not None
    assert forced.header.block_number == 1 and forced.header.hash != unsafe[0].header.hash
    assert chain.head.hash == forced.header.hash and chain.canonical_hash(2) is None
