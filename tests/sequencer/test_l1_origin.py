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


def test_a_chain_behind_l1_catches_up_with_the_blocks_derivation_would_force() -> None:
    """Window 8: a chain whose next origin is 4 or more L1 blocks behind L1's head gets exactly the
    deposit-only block derivation forces there (origin + 1, its deposits, no pool transactions,
    stamped max(parent + 1, origin)); nearer, blocks still catch up (stamped by their origin, not
    the clock) while two L1 blocks follow the next origin; one L1 block behind, the clock."""
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    for k in range(10):
        l1.append(100 + k, mints=(k + 1,) if k == 2 else ())
    plans = []
    for _ in range(10):
        plan = plan_next_block(chain, chain.head, 200, l1, sequencing_window=8)
        built = chain.build_block(plan.parent, plan.attributes(200))
        origin = read_l1_origin(chain.state_at(built.header))
        plans.append((origin.number, plan.deposit_only, plan.catching_up, built.header.timestamp))
    # block 1 takes L1 block 0 (no sequencing window rule before the first origin); L1's head is 9
    assert plans == [(0, False, True, 100), (1, True, True, 101), (2, True, True, 102), (3, True, True, 103),
                     (4, True, True, 104), (5, True, True, 105), (6, False, True, 106), (7, False, True, 107),
                     (8, False, False, 200), (9, False, False, 201)]
    assert chain.state_at(chain.head).get_balance(DEPOSITOR) == 3  # L1 block 2's deposit, once


def test_without_a_window_the_origin_still_catches_up_on_its_own_timestamps() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    l1 = L1History()
    for k in range(4):
        l1.append(100 + 10 * k)
    stamps = []
    for _ in range(4):
        plan = plan_next_block(chain, chain.head, 500, l1)
        stamps.append((plan.origin.number, plan.deposit_only, chain.build_block(plan.parent, plan.attributes(500)).header.timestamp))
    assert stamps == [(0, False, 100), (1, False, 110), (2, False, 500), (3, False, 501)]
