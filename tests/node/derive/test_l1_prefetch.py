"""`PrefetchingL1Source`: derivation over it reaches the same blocks as over the source itself,
through an L1 reorg and failing reads, and the inbox reads do happen ahead on its workers."""

from __future__ import annotations

import threading

import pytest

from node.chain import Chain
from node.derive.l1_prefetch import PrefetchingL1Source
from node.derive.pipeline import DerivationPipeline, DerivedBlock
from node.errors import ResetError, TemporaryError
from tests.harness.l1_history import FlakyInbox, L1History
from tests.node.derive.sequencing import GENESIS, Batcher, config
from tests.node.derive.test_pipeline import Scenario, assert_same_chain, derive_all


class ThreadNotingHistory(L1History):
    """The scenario's L1, noting which thread read each inbox."""

    reader_threads: list[str]

    def inbox_transactions(self, block, inbox):
        self.reader_threads.append(threading.current_thread().name)
        return super().inbox_transactions(block, inbox)


def _noting(l1: L1History) -> ThreadNotingHistory:
    noting = ThreadNotingHistory(l1.blocks, l1.deposits_by_hash, l1.txs_by_hash, l1.blobs_by_hash)
    noting.reader_threads = []
    return noting


def test_same_blocks_read_ahead_and_through_an_l1_reorg() -> None:
    scenario = Scenario(Batcher())
    for _ in range(5):
        scenario.run_round()
    l1 = _noting(scenario.l1)
    scenario.l1 = l1  # the scenario appends to the same history below
    verifier = Chain.open(None, GENESIS)
    source = PrefetchingL1Source(l1, inbox=config().batch_inbox, depth=3)
    pipeline = DerivationPipeline(config(), source, verifier)
    assert len(derive_all(pipeline)) == 30
    assert any(name.startswith("lantau-l1-prefetch") for name in l1.reader_threads)
    lost = scenario.blocks[24:30]
    posted_in_5 = l1.txs_by_hash[l1.blocks[5].hash]

    # L1 reorg: block 5 (read ahead on the old branch) is replaced by one without the batch.
    l1.fork_at(5)
    l1.append(160, mints=(5, 5), salt=b"fork")
    l1.append(172, salt=b"fork")
    with pytest.raises(ResetError):
        pipeline.step()
    pipeline.reset()
    assert derive_all(pipeline) == []
    l1.append(184, txs=posted_in_5)
    again = derive_all(pipeline)
    assert [d.header.hash for d in again] == [b.header.hash for b in lost]
    assert_same_chain(verifier, scenario.blocks)
    source.close()


def test_a_failed_read_ahead_is_asked_again_and_changes_nothing() -> None:
    scenario = Scenario(Batcher())
    for _ in range(3):
        scenario.run_round()

    flaky = FlakyInbox(scenario.l1.blocks, scenario.l1.deposits_by_hash, scenario.l1.txs_by_hash)
    flaky.failures = 3
    source = PrefetchingL1Source(flaky, inbox=config().batch_inbox, depth=2)
    pipeline = DerivationPipeline(config(), source, Chain.open(None, GENESIS))
    derived: list[DerivedBlock] = []
    while True:
        try:
            block = pipeline.step()
        except TemporaryError:
            continue  # as the driver does: retry
        if block is None:
            break
        derived.append(block)
    assert flaky.failures == 0  # every failure happened, on a worker or on the pipeline's call
    assert [d.header.hash for d in derived] == [b.header.hash for b in scenario.blocks]
    source.close()
