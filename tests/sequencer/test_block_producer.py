"""The block producer's clock rule (issue 10 finding 3): never stamp a block ahead of the
wall clock; after a stall, skip the missed slots instead of catching up on them."""

from __future__ import annotations

import asyncio
import time

import pytest

from genesis.config import GenesisConfig
from node.chain import BlockAttributes
from node.service import L2Node
from sequencer.block_producer import BlockProducer, ProducerConfig, SlotSkipped


@pytest.fixture
def node() -> L2Node:
    node = L2Node.open(None, GenesisConfig.load())
    yield node
    node.close()


async def test_a_stalled_loop_skips_slots_instead_of_stamping_ahead(node: L2Node) -> None:
    """Was: after the event loop stalled 4 s, the loop built the 4 missed blocks back to back,
    each one second after the last, leaving the head ~3 s ahead of the clock for good."""
    producer = BlockProducer(node, ProducerConfig(block_time_s=1.0))
    task = asyncio.create_task(producer.run())
    try:
        while node.chain.head.block_number < 1:
            await asyncio.sleep(0.05)
        time.sleep(4.0)  # the event loop stalls (as under 12 filters of 100k addresses)
        built_before = node.chain.head.block_number
        await asyncio.sleep(0.5)  # the loop resumes: the old code caught up here
    finally:
        await producer.stop()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    head = node.chain.head
    assert head.timestamp <= time.time(), f"head stamped {head.timestamp - time.time():.1f} s ahead of the clock"
    assert head.block_number <= built_before + 1


async def test_on_the_clock_refuses_a_timestamp_ahead_of_the_wall_clock(node: L2Node) -> None:
    chain = node.chain
    ahead = chain.head.timestamp + 1
    ahead = max(ahead, int(time.time()) + 30)
    attributes = BlockAttributes(timestamp=ahead, fee_recipient=b"\0" * 20, prev_randao=b"\0" * 32,
                                 gas_limit=chain.head.gas_limit, forced_transactions=())
    node.on_new_block(chain.build_block(chain.head, attributes, []))
    producer = BlockProducer(node, ProducerConfig(block_time_s=1.0))
    with pytest.raises(SlotSkipped):
        await producer.produce_block(on_the_clock=True)
    assert chain.head.timestamp == ahead
    # On demand (no block time; a devnet without L1, as anvil's automine) it still builds.
    built = await producer.produce_block()
    assert built.header.timestamp == ahead + 1


async def test_the_fee_recipient_is_the_attributes_rule_not_an_option(node: L2Node) -> None:
    """Was: `ProducerConfig.fee_recipient` could be set while derivation pays the
    SequencerFeeVault, so setting it forked every verifier. The option is gone; the producer's
    attributes are `attributes_on`'s, the rule derivation uses, and its blocks pay the vault."""
    from dataclasses import fields

    from genesis.predeploys import SEQUENCER_FEE_VAULT
    from node.derive.attributes import attributes_on

    assert "fee_recipient" not in {f.name for f in fields(ProducerConfig)}
    with pytest.raises(TypeError):
        ProducerConfig(block_time_s=0, fee_recipient=b"\1" * 20)  # type: ignore[call-arg]
    producer = BlockProducer(node, ProducerConfig(block_time_s=0))
    parent, attributes = producer.next_attributes()
    assert attributes == attributes_on(parent, attributes.timestamp, ())
    built = await producer.produce_block()
    assert built.header.coinbase == SEQUENCER_FEE_VAULT
