"""Origin selection and epoch deposits (pure: an in-memory L1 history stands in for L1 data)."""

from __future__ import annotations

from genesis.config import GenesisConfig
from node.chain import Chain
from node.l1_info import read_l1_origin
from sequencer.l1_origin import plan_next_block
from tests.harness.l1_history import DEPOSITOR, L1History


def build_next(chain: Chain, l1: L1History, timestamp: int):
    plan = plan_next_block(chain, chain.head, timestamp, l1)
    return plan, chain.build_block(plan.parent, plan.attributes(timestamp))


def test_origin_advances_one_l1_block_at_a_time_and_deposits_come_once() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    l1.append(100)
    l1.append(110, mints=(5,))
    l1.append(120, mints=(7, 11))
    seen = []
    for t in (101, 111, 115, 121, 122):
        plan, built = build_next(chain, l1, t)
        origin = read_l1_origin(chain.state_at(built.header))
        seen.append((origin.number, origin.sequence_number, len(built.block.transactions)))
    # (origin, sequence number, txs = L1-info + deposits of a new origin)
    assert seen == [(0, 0, 1), (1, 0, 2), (1, 1, 1), (2, 0, 3), (2, 1, 1)]
    assert chain.state_at(chain.head).get_balance(DEPOSITOR) == 5 + 7 + 11


def test_origin_waits_for_l2_time_to_reach_the_l1_block() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    l1.append(100)
    l1.append(200)
    build_next(chain, l1, 101)
    plan, _ = build_next(chain, l1, 150)
    assert plan.origin.number == 0  # block 1 is newer than the L2 block


def test_reorged_origin_abandons_l2_blocks_and_its_deposits() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    l1.append(100)
    l1.append(110, mints=(5,))
    build_next(chain, l1, 101)
    build_next(chain, l1, 111)
    assert chain.state_at(chain.head).get_balance(DEPOSITOR) == 5
    l1.fork_at(1)
    l1.append(110, salt=b"other")  # block 1 again, without the deposit
    plan, built = build_next(chain, l1, 112)
    assert [h.block_number for h in plan.abandoned] == [2]
    assert built.header.block_number == 2 and plan.parent.block_number == 1
    assert chain.state_at(chain.head).get_balance(DEPOSITOR) == 0
    assert read_l1_origin(chain.state_at(chain.head)).hash == l1.blocks[1].hash
