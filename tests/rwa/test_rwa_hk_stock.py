"""A tokenized Hong Kong stock (HKEX code "0700", 0 decimals: one token is one share): a cash
dividend of HK$3.40 a share, then a 1-for-10 split, then a dividend of HK$0.34 a share on the
split shares. Balances before and after are exact; a record date before the split still reads
the shares as they were.

By hand: holders of 100, 1,000 and 12,345 shares (13,445 in all) receive 340, 3,400 and
41,973 HKD of the first dividend; after the split they hold 1,000, 10,000 and 123,450 shares and
receive 340, 3,400 and 41,973 HKD again (0.34 x 10 = 3.40).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.rwa.rwa_chain import DIVIDEND, HK_STOCK, HKD, Chain, RWASystem, events

SHARES = (100, 1_000, 12_345)

pytestmark = pytest.mark.rwa_backends("l2")


@pytest.fixture(scope="module")
def stock(chain: Chain, rwa: RWASystem) -> tuple[Any, str, str, tuple[str, str, str]]:
    issuer = chain.new_address("listed company", fund_wei=10**24)
    agent = chain.new_address("share registrar", fund_wei=10**21)
    holders = tuple(chain.new_address(f"shareholder {n}", fund_wei=10**21) for n in "abc")
    rwa.register(list(holders))
    token = rwa.create_asset(
        issuer=issuer,
        agents=[agent],
        name="Tencent Holdings Ltd (tokenized)",
        symbol="0700.HK",
        asset_class=HK_STOCK,
        identifier="0700",
        decimals=0,
        issuer_name="Tencent Holdings Limited",
    )
    chain.send(token.functions.batchMint(list(holders), list(SHARES)), agent)
    return token, issuer, agent, holders  # type: ignore[return-value]


def _pay_dividend(chain: Chain, rwa: RWASystem, token: Any, issuer: str, per_share_wei: int) -> tuple[int, int]:
    """Announces a dividend with a record time 30 s ahead; returns (id, record time)."""
    record = chain.now() + 30
    amount = per_share_wei * token.functions.totalSupply().call()
    receipt = chain.send(
        rwa.actions.functions.announceDistribution(token.address, DIVIDEND, record, record + 30, record + 30 + 30 * 86_400),
        issuer,
        value=amount,
    )
    return events(rwa.actions, "DistributionAnnounced", receipt)[0]["id"], record


def test_cash_dividend_then_1_for_10_split_then_dividend(chain: Chain, rwa: RWASystem, stock: Any) -> None:
    token, issuer, agent, holders = stock
    t, actions = token.functions, rwa.actions.functions
    assert t.decimals().call() == 0 and t.assetInfo().call()[1] == "0700"

    first, first_record = _pay_dividend(chain, rwa, token, issuer, 34 * HKD // 10)  # HK$3.40 a share
    chain.advance(60)
    before = [chain.balance(h) for h in holders]
    chain.send(actions.pushPayments(first, list(holders)), agent)
    assert [chain.balance(h) - b for h, b in zip(holders, before)] == [340 * HKD, 3_400 * HKD, 41_973 * HKD]

    # A dividend whose record date falls before the split but which is paid after it.
    second, second_record = _pay_dividend(chain, rwa, token, issuer, 10 * HKD)
    chain.send(t.freezePartialTokens(holders[2], 45), agent)

    effective = chain.now() + 120
    assert (
        chain.revert_of(actions.announceStockSplit(token.address, 10, effective), holders[0]).name == "NotIssuerOrAgent"
    )
    assert chain.revert_of(actions.announceStockSplit(token.address, 1, effective), issuer).name == "InvalidSplitRatio"
    assert (
        chain.revert_of(actions.announceStockSplit(token.address, 10, chain.now()), issuer).name == "SplitNotInFuture"
    )
    chain.send(actions.announceStockSplit(token.address, 10, effective), issuer)
    assert [t.balanceOf(h).call() for h in holders] == list(SHARES)  # not yet

    chain.advance(effective - chain.now())
    assert [t.balanceOf(h).call() for h in holders] == [10 * s for s in SHARES]
    assert t.totalSupply().call() == 10 * sum(SHARES)
    assert t.frozenTokens(holders[2]).call() == 450
    assert t.multiplierAt(effective).call() == 10 and t.multiplierAt(effective - 1).call() == 1
    # History before the split still reads the old shares.
    assert [t.balanceOfAt(h, first_record).call() for h in holders] == list(SHARES)
    assert t.totalSupplyAt(second_record).call() == sum(SHARES)

    # Post-split shares move one by one; 7 is not a multiple of 10.
    chain.send(t.transfer(holders[1], 7), holders[0])
    assert [t.balanceOf(h).call() for h in holders[:2]] == [993, 10_007]
    chain.send(t.transfer(holders[0], 7), holders[1])

    # The second dividend (record before the split) pays on the pre-split snapshot: HK$10 a share.
    before = [chain.balance(h) for h in holders]
    chain.send(actions.pushPayments(second, list(holders)), agent)
    assert [chain.balance(h) - b for h, b in zip(holders, before)] == [1_000 * HKD, 10_000 * HKD, 123_450 * HKD]

    third, _ = _pay_dividend(chain, rwa, token, issuer, 34 * HKD // 100)  # HK$0.34 a split share
    chain.advance(60)
    before = [chain.balance(h) for h in holders]
    chain.send(actions.pushPayments(third, list(holders)), agent)
    assert [chain.balance(h) - b for h, b in zip(holders, before)] == [340 * HKD, 3_400 * HKD, 41_973 * HKD]
    for d in (first, second, third):
        receipt = chain.send(actions.closeDistribution(d), agent)
        assert events(rwa.actions, "DistributionClosed", receipt)[0]["remainderWei"] == 0

    # A second split compounds exactly (x10 then x3), and a scheduled split can be withdrawn.
    chain.send(actions.announceStockSplit(token.address, 3, chain.now() + 10), issuer)
    chain.send(t.scheduleSplit(2, chain.now() + 100), agent)
    chain.send(t.cancelScheduledSplit(), agent)
    chain.advance(11)
    assert [t.balanceOf(h).call() for h in holders] == [30 * s for s in SHARES]
    assert t.totalSupply().call() == 30 * sum(SHARES) and t.splitCount().call() == 2
