"""The derivation service while its L1 goes away and comes back (issue 11, defect 9): before, the
first L1 error in the finality check escaped `step()`, the driver's task ended and the verifier
exited. Now it retries with a doubling interval, logs one line when L1 goes and one when it is
back, and derives on from where it was."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

import pytest

from node.chain import Chain
from node.channels import Compression
from node.derive.driver import MAX_RETRY_INTERVAL_S, DerivationDriver
from node.derive.pipeline import DerivationPipeline
from node.errors import TemporaryError
from node.heads import Heads
from tests.harness.l1_history import L1History
from tests.node.derive.sequencing import GENESIS, Batcher, config
from tests.node.derive.test_pipeline import Scenario, derive_all


@dataclass
class FlakyL1:
    """An L1 source that answers nothing (TemporaryError, as `RpcL1Source` raises for a refused
    connection) while `down`."""

    l1: L1History
    down: bool = False
    calls_while_down: int = 0

    def __getattr__(self, name: str):  # head, block_by_number, deposits, inbox_transactions, blobs
        method = getattr(self.l1, name)

        def call(*args, **kwargs):
            if self.down:
                self.calls_while_down += 1
                raise TemporaryError("L1 unreachable: connection refused")
            return method(*args, **kwargs)

        return call


async def test_a_verifier_keeps_retrying_while_l1_is_down_and_derives_when_it_is_back(caplog: pytest.LogCaptureFixture) -> None:
    scenario = Scenario(Batcher(Compression.FASTLZ, span_batches=False, max_frame_data=700))
    for _ in range(3):
        scenario.run_round()
    expected = derive_all(DerivationPipeline(config(), scenario.l1, Chain.open(None, GENESIS)))[-1].header
    source = FlakyL1(scenario.l1)
    verifier = Chain.open(None, GENESIS)
    driver = DerivationDriver(
        DerivationPipeline(config(), source, verifier), Heads(verifier), asyncio.Lock(), on_new_head=lambda header: None,
        l1_finalized=lambda: source.head(), poll_interval_s=0.01,
    )
    source.down = True  # L1 goes away after the verifier started
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        task = asyncio.create_task(driver.run())
        await asyncio.sleep(0.5)
        assert not task.done(), "the driver stopped when L1 went away"
        assert 3 <= source.calls_while_down <= 12  # backing off: 0.01, 0.02, 0.04 … s, not 50 tries
        assert driver.retry_interval_s() > 0.1
        source.down = False
        for _ in range(200):
            if verifier.head.block_number == expected.block_number:
                break
            await asyncio.sleep(0.05)
        await driver.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert verifier.head.hash == expected.hash and expected.block_number > 0 and driver.l1_failures == 0
    lines = [r.getMessage() for r in caplog.records if r.name == "lantau.derive" and ("L1" in r.getMessage())]
    assert lines[0] == f"derivation waits for L1, retrying with backoff (up to every {MAX_RETRY_INTERVAL_S:.0f} s): L1 unreachable: connection refused"
    assert sum("waits for L1" in line for line in lines) == 1 and sum(line == "L1 is back: derivation goes on" for line in lines) == 1


def test_the_retry_interval_doubles_up_to_the_cap() -> None:
    driver = DerivationDriver(None, None, None, on_new_head=None, l1_finalized=None, poll_interval_s=0.5)  # type: ignore[arg-type]
    intervals = []
    for failures in range(8):
        driver.l1_failures = failures
        intervals.append(driver.retry_interval_s())
    assert intervals == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0, 10.0, 10.0]


def sequencer_driver(chain: Chain, l1: L1History, heads_seen: list) -> DerivationDriver:
    return DerivationDriver(
        DerivationPipeline(config(sequencing_window=2), l1, chain), Heads(chain), asyncio.Lock(),
        on_new_head=heads_seen.append, l1_finalized=lambda: None, is_sequencer=True,
    )


def test_derivation_past_a_stopped_sequencers_head_is_logged_as_growth_not_as_a_difference(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Was: every block a sequencer's derivation built was logged "derived block differs from the
    sequencer's own" (an error, counted in `mismatches`), also the deposit-only blocks forced past
    the head of a sequencer that was stopped while their windows passed, where nothing differs:
    the chain grows from L1. Now those are an info record saying so; a block that really replaces
    the sequencer's is still the error."""
    from tests.node.derive.sequencing import Wallets, sequence_block

    l1 = L1History()
    l1.append(100, mints=(5,))
    chain = Chain.open(None, GENESIS)
    stopped_head = sequence_block(chain, l1, 100).header  # the block derivation forces there; then the sequencer stops
    for k in range(1, 4):
        l1.append(100 + 12 * k)
    seen: list = []
    driver = sequencer_driver(chain, l1, seen)
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        derived = driver.step()
    built = [d for d in derived if d.built is not None]
    assert built and all(d.deposit_only for d in built) and built[0].header.parent_hash == stopped_head.hash
    assert derived[0].built is None and derived[0].header.hash == stopped_head.hash  # the sequencer's own, adopted
    records = [r for r in caplog.records if "derived block" in r.getMessage()]
    assert [r.levelno for r in records] == [logging.INFO] * len(built)
    assert all(r.getMessage().startswith("derived block extends the chain past the sequencer's head") for r in records)
    assert [(r.number, r.sequencer_head) for r in records] == [(d.header.block_number, d.header.block_number - 1) for d in built]
    assert driver.mismatches == 0 and seen == [d.header for d in built] and chain.head.hash == built[-1].header.hash

    # A block of the sequencer's own that L1 contradicts (never posted, its window passed): replaced.
    wallets = Wallets()
    chain = Chain.open(None, GENESIS)
    l1 = L1History()
    l1.append(100, mints=(5,))
    unsafe = [sequence_block(chain, l1, 101 + i, [wallets.transfer()]).header for i in range(3)]
    for k in range(1, 3):
        l1.append(100 + 12 * k)
    caplog.clear()
    driver = sequencer_driver(chain, l1, [])
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        [forced] = driver.step()
    [record] = [r for r in caplog.records if "derived block" in r.getMessage()]
    assert record.levelno == logging.ERROR and record.getMessage().startswith("derived block differs from the sequencer's own")
    assert (record.number, record.sequencer_head, record.replaced_blocks) == (1, 3, 3) and forced.header.hash != unsafe[0].hash
    assert driver.mismatches == 1
