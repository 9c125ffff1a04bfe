"""Record-date snapshots of RWAToken against an eager Python model.

The token keeps history lazily (only the first write after a record time has passed saves the
old balance) and applies splits lazily (a multiplier history). The model below does neither: it
holds every balance, multiplies every balance when a split takes effect, and remembers the whole
state at the end of every second. Random blocks (several transactions each, so writes share a
second, including the record second itself) mix transfers, mints, burns, record times scheduled
in any order and splits; afterwards `balanceOfAt` and `totalSupplyAt` at every record time, and
the current balances, must equal the model's.
"""

from __future__ import annotations

import random
from typing import Any

import pytest

from tests.rwa.rwa_chain import HK_STOCK, Chain, RWASystem

# Several transactions per block at chosen timestamps (evm_setAutomine, evm_mine): anvil.
pytestmark = pytest.mark.rwa_backends("anvil")

SEEDS = (7, 8, 9)
BLOCKS = 40


@pytest.fixture
def stock(chain: Chain, rwa: RWASystem) -> tuple[Any, str, list[str]]:
    issuer = chain.new_address("snapshot issuer", fund_wei=10**21)
    agent = chain.new_address("snapshot agent", fund_wei=10**21)
    holders = [chain.new_address(f"snapshot holder {i}", fund_wei=10**21) for i in range(6)]
    rwa.register(holders)
    token = rwa.create_asset(
        issuer=issuer, agents=[agent], name="Snapshot Test Co", symbol="SNAP", asset_class=HK_STOCK, decimals=0
    )
    chain.send(token.functions.batchMint(holders[:4], [1_000_000, 2_000_000, 300_000, 4_000_000]), agent)
    return token, agent, holders


@pytest.mark.parametrize("seed", SEEDS)
def test_balances_at_record_times_match_an_eager_model(
    chain: Chain, stock: tuple[Any, str, list[str]], seed: int
) -> None:
    token, agent, holders = stock
    rng = random.Random(seed)
    t = token.functions
    balances = {h: t.balanceOf(h).call() for h in holders}
    end_of_second: dict[int, dict[str, int]] = {}  # block timestamp -> balances after its block
    splits: list[tuple[int, int]] = []  # (effective time, ratio), ascending
    record_times: set[int] = set()
    timestamp = chain.now()
    last_split = 0

    def apply_splits(after: int, upto: int, book: dict[str, int]) -> dict[str, int]:
        factor = 1
        for effective, ratio in splits:
            if after < effective <= upto:
                factor *= ratio
        return {h: v * factor for h, v in book.items()}

    chain.anvil.rpc("evm_setAutomine", [False])
    try:
        for _ in range(BLOCKS):
            previous, timestamp = timestamp, timestamp + rng.choice([1, 1, 2, 3])
            balances = apply_splits(previous, timestamp, balances)
            sent: list[tuple[bytes, tuple[str, ...]]] = []
            for _ in range(rng.randint(1, 3)):
                kind = rng.choice(["transfer", "transfer", "transfer", "mint", "burn", "record", "split"])
                if kind == "transfer":
                    src, dst = rng.sample(holders, 2)
                    # at most a quarter per transaction, so any order of a block's three succeeds
                    op = ("transfer", src, dst, str(rng.randint(0, balances[src] // 4)))
                    call, sender = t.transfer(dst, int(op[3])), src
                elif kind == "mint":
                    dst = rng.choice(holders)
                    op = ("mint", dst, str(rng.randint(1, 500_000)))
                    call, sender = t.mint(dst, int(op[2])), agent
                elif kind == "burn":
                    src = rng.choice(holders)
                    op = ("burn", src, str(rng.randint(0, balances[src] // 4)))
                    call, sender = t.burn(src, int(op[2])), agent
                elif kind == "record":
                    record = timestamp + rng.choice([0, 0, 1, 2, 5, 9])
                    record_times.add(record)
                    op = ("record",)
                    call, sender = t.scheduleRecordTime(record), agent
                else:
                    effective = max(timestamp, last_split) + rng.randint(1, 4)
                    ratio = rng.choice([2, 3, 10])
                    splits.append((effective, ratio))
                    last_split = effective
                    op = ("split",)
                    call, sender = t.scheduleSplit(ratio, effective), agent
                tx = call.build_transaction({"from": sender, "gas": 1_000_000})
                sent.append((chain.w3.eth.send_transaction(tx), op))
            chain.anvil.rpc("evm_mine", [timestamp])
            receipts = [chain.w3.eth.get_transaction_receipt(h) for h, _ in sent]
            assert all(r["status"] == 1 for r in receipts)
            assert len({r["blockNumber"] for r in receipts}) == 1
            for _, (_, op) in sorted(zip(receipts, sent), key=lambda x: x[0]["transactionIndex"]):
                if op[0] == "transfer":
                    balances[op[1]] -= int(op[3])
                    balances[op[2]] += int(op[3])
                elif op[0] == "mint":
                    balances[op[1]] += int(op[2])
                elif op[0] == "burn":
                    balances[op[1]] -= int(op[2])
            end_of_second[timestamp] = dict(balances)
    finally:
        chain.anvil.rpc("evm_setAutomine", [True])

    chain.advance(max([*record_times, last_split, timestamp]) - chain.now() + 1)
    assert record_times, "the seed scheduled no record time"
    for record in sorted(record_times):
        last_block = max(ts for ts in end_of_second if ts <= record)
        expected = apply_splits(last_block, record, end_of_second[last_block])
        assert {h: t.balanceOfAt(h, record).call() for h in holders} == expected, f"record time {record}"
        assert t.totalSupplyAt(record).call() == sum(expected.values())
    now_expected = apply_splits(timestamp, chain.now(), balances)
    assert {h: t.balanceOf(h).call() for h in holders} == now_expected
    assert t.totalSupply().call() == sum(now_expected.values())
    assert t.holderCount().call() == sum(1 for v in now_expected.values() if v)
    assert list(t.recordTimes().call()) == sorted(record_times)


def test_only_scheduled_and_passed_record_times_answer(chain: Chain, stock: tuple[Any, str, list[str]]) -> None:
    token, agent, holders = stock
    t = token.functions
    now = chain.now()
    assert chain.revert_of(t.balanceOfAt(holders[0], now - 1), holders[0]).name == "NotARecordTime"
    assert chain.expect_revert(t.scheduleRecordTime(now - 1), agent).name == "RecordTimeInPast"
    assert chain.expect_revert(t.scheduleRecordTime(now + 100), holders[0]).name == "NotAgent"
    chain.send(t.scheduleRecordTime(now + 100), agent)
    revert = chain.revert_of(t.totalSupplyAt(now + 100), holders[0])
    assert revert.name == "FutureLookup"
    chain.advance(101)
    assert t.totalSupplyAt(now + 100).call() == 7_300_000


def test_an_emptied_account_reads_zero_at_a_later_record_time(chain: Chain, stock: tuple[Any, str, list[str]]) -> None:
    """Holder 0 holds 1,000,000 at R1, nothing at R2 (it sent everything after R1 and received
    again only after R2), 5 at R3."""
    token, agent, holders = stock
    t = token.functions
    h, other = holders[0], holders[1]
    r1 = chain.now() + 5
    chain.send(t.scheduleRecordTime(r1), agent)
    chain.advance(r1 + 1 - chain.now())
    chain.send(t.transfer(other, 1_000_000), h)
    r2 = chain.now() + 5
    chain.send(t.scheduleRecordTime(r2), agent)
    chain.advance(r2 + 1 - chain.now())
    chain.send(t.transfer(h, 5), other)
    r3 = chain.now() + 1
    chain.send(t.scheduleRecordTime(r3), agent)
    chain.advance(2)
    assert [t.balanceOfAt(h, r).call() for r in (r1, r2, r3)] == [1_000_000, 0, 5]
    assert [t.balanceOfAt(other, r).call() for r in (r1, r2, r3)] == [2_000_000, 3_000_000, 2_999_995]
