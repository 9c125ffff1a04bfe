"""Distributions and splits that keep their economics (issue 17, defects 3, 4 and 5).

- An unclaimed distribution is not swept back to the issuer before holders had
  `MIN_CLAIM_PERIOD` to claim; the issuer cancels (and is refunded in full) only before the
  record time.
- A split is refused on a bond (it would multiply what redemption owes); a trade signed before a
  split does not settle after it (it binds the asset's split epoch).
- A coupon pays the bond's rate on each holder's record-date units, not a pot funded on the
  supply at announcement: a mint between announcement and record date does not dilute it.
- A coupon is paid on one of the bond's coupon dates (`BondTerms.couponDates`), one coupon per
  date: any other pay time is refused (`NotACouponDate`), a second coupon for a date too
  (`CouponDateTaken`), until the first is cancelled; the factory refuses a coupon-paying bond
  whose dates cannot be paid (none, not ascending, past, after maturity).

Bond of these tests: 0 decimals, HK$1,000 face per token, 5% a year paid once, so one coupon is
HK$50 per token, computed by hand. Its coupon dates are two minutes after issue (so that a test sees
one paid, on the L2's clock) and the maturity.
"""

from __future__ import annotations

from typing import Any

import pytest

from rwa.trade import Trade, sign_trade
from rwa.types import NATIVE_HKD
from tests.rwa.rwa_chain import COUPON, DAY, DIVIDEND, GREEN_BOND, HK_STOCK, HKD, YEAR, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

COUPON_PER_TOKEN = 50 * HKD


def _bond(chain: Chain, rwa: RWASystem, label: str) -> tuple[Any, str, str]:
    issuer = chain.new_address(f"{label} issuer", fund_wei=10**23)
    agent = chain.new_address(f"{label} agent", fund_wei=10**21)
    now = chain.now()
    token = rwa.create_asset(issuer=issuer, agents=[agent], name=f"{label} 5% note", symbol="N5", decimals=0,
                             asset_class=GREEN_BOND, bond=(1_000 * HKD, 50_000, 1, now + YEAR, [now + 120, now + YEAR]))
    return token, issuer, agent


def test_claim_period_and_cancel_before_the_record_date(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("dividend issuer", fund_wei=10**23)
    agent = chain.new_address("dividend agent", fund_wei=10**21)
    holder = chain.new_address("dividend holder", fund_wei=10**21)
    rwa.register([holder])
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Cancelled dividend", symbol="CXD",
                             asset_class=HK_STOCK, decimals=0)
    chain.send(token.functions.mint(holder, 10), agent)
    actions = rwa.actions.functions
    record = chain.now() + 20
    count = actions.distributionCount().call()
    pot = chain.balance(rwa.actions.address)

    # Two seconds of claim period (what main allowed) is refused; nothing is taken.
    call = actions.announceDistribution(token.address, DIVIDEND, record, record + 1, record + 3)
    revert = chain.expect_revert(call, issuer, value=10 * HKD)
    assert (revert.name, revert.args) == ("ClaimPeriodTooShort", (record + 1, record + 3, record + 1 + 30 * DAY))
    assert actions.distributionCount().call() == count and chain.balance(rwa.actions.address) == pot

    receipt = chain.send(
        actions.announceDistribution(token.address, DIVIDEND, record, record + 1, record + 1 + 30 * DAY),
        issuer, value=10 * HKD,
    )
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    dividend = announced["id"]
    assert chain.expect_revert(actions.cancelDistribution(dividend), holder).name == "NotIssuerOrAgent"
    before = chain.balance(issuer)
    receipt = chain.send(actions.cancelDistribution(dividend), agent)  # an agent cancels: the issuer is refunded
    assert events(rwa.actions, "DistributionCancelled", receipt) == [
        {"id": dividend, "refundWei": 10 * HKD, "issuer": issuer}
    ]
    assert chain.balance(issuer) - before == 10 * HKD
    assert chain.balance(rwa.actions.address) == pot
    assert chain.expect_revert(actions.claim(dividend), holder).name == "DistributionIsClosed"

    # After the record time it is too late to cancel.
    record = chain.now() + 3
    receipt = chain.send(
        actions.announceDistribution(token.address, DIVIDEND, record, record + 1, record + 1 + 30 * DAY),
        issuer, value=10 * HKD,
    )
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    chain.advance(record - chain.now())
    revert = chain.expect_revert(actions.cancelDistribution(announced["id"]), issuer)
    assert revert.name == "RecordTimePassed" and revert.args[:2] == (announced["id"], record)
    assert chain.balance(rwa.actions.address) == pot + 10 * HKD


def test_no_split_on_a_bond(chain: Chain, rwa: RWASystem) -> None:
    token, issuer, agent = _bond(chain, rwa, "unsplittable")
    revert = chain.expect_revert(rwa.actions.functions.announceStockSplit(token.address, 10, chain.now() + 100), issuer)
    assert (revert.name, revert.args) == ("SplitOnBond", (1_000 * HKD,))
    assert chain.expect_revert(token.functions.scheduleSplit(2, chain.now() + 100), agent).name == "SplitOnBond"
    assert token.functions.splitCount().call() == 0


def test_a_trade_signed_before_a_split_does_not_settle_after_it(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("split issuer", fund_wei=10**21)
    seller, buyer = chain.new_account("split seller"), chain.new_account("split buyer")
    rwa.register([seller.address, buyer.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Split Co", symbol="SPL", asset_class=HK_STOCK,
                             decimals=0)
    t, engine = token.functions, rwa.engine
    chain.send(t.mint(seller.address, 100), issuer)
    chain.send(t.approve(engine.address, 2**256 - 1), seller.address)
    chain.send(engine.functions.deposit(), buyer.address, value=500 * HKD)
    chain_id = chain.w3.eth.chain_id

    def signed(trade: Trade) -> tuple[Any, bytes, bytes]:
        return (trade.as_tuple(), sign_trade(trade, seller.key, chain_id, engine.address),
                sign_trade(trade, buyer.key, chain_id, engine.address))

    assert t.splitEpoch().call() == 0
    expiry = chain.now() + 3_600
    before_split = Trade(seller.address, buyer.address, token.address, 10, NATIVE_HKD, 500 * HKD, expiry, 1, 0)
    effective = chain.now() + 3
    chain.send(rwa.actions.functions.announceStockSplit(token.address, 10, effective), issuer)
    assert t.splitEpoch().call() == 0  # scheduled, not yet in effect
    chain.advance(effective - chain.now())
    assert t.splitEpoch().call() == 1 and t.balanceOf(seller.address).call() == 1_000

    revert = chain.expect_revert(engine.functions.settle(*signed(before_split)), issuer)
    assert revert.name == "SplitSinceSigned" and revert.args[1:] == (0, 1)
    assert (t.balanceOf(seller.address).call(), t.balanceOf(buyer.address).call()) == (1_000, 0)
    assert engine.functions.escrowOf(buyer.address).call() == 500 * HKD

    # Signed again at the new epoch, for the same value: 100 shares after the 10:1 split.
    after_split = Trade(seller.address, buyer.address, token.address, 100, NATIVE_HKD, 500 * HKD, expiry, 2, 1)
    chain.send(engine.functions.settle(*signed(after_split)), issuer)
    assert (t.balanceOf(seller.address).call(), t.balanceOf(buyer.address).call()) == (900, 100)
    chain.send(engine.functions.withdraw(500 * HKD), seller.address)  # leave the engine as found


def test_coupon_pays_the_rate_on_record_date_units(chain: Chain, rwa: RWASystem) -> None:
    token, issuer, agent = _bond(chain, rwa, "rate")
    a, b, late = (chain.new_address(f"coupon holder {n}", fund_wei=10**21) for n in ("a", "b", "minted late"))
    rwa.register([a, b, late])
    t, actions = token.functions, rwa.actions.functions
    chain.send(t.batchMint([a, b], [1, 2]), agent)
    assert actions.couponDue(token.address).call() == 3 * COUPON_PER_TOKEN
    pay = t.bondTerms().call()[4][0]  # the first coupon date
    record = pay - 1
    deadline = pay + 30 * DAY
    call = actions.announceDistribution(token.address, COUPON, record, pay, deadline)
    revert = chain.expect_revert(call, issuer, value=3 * COUPON_PER_TOKEN - 1)
    assert (revert.name, revert.args) == ("CouponUnderfunded", (token.address, 3 * COUPON_PER_TOKEN - 1,
                                                                3 * COUPON_PER_TOKEN))
    receipt = chain.send(call, issuer, value=3 * COUPON_PER_TOKEN)
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    coupon = announced["id"]
    chain.send(t.mint(late, 3), agent)  # between announcement and record date: the supply doubles
    chain.advance(pay - chain.now())

    # Each record-date token earns HK$50, not HK$150 / 6 = HK$25.
    assert [actions.entitlement(coupon, h).call() for h in (a, b, late)] == [50 * HKD, 100 * HKD, 150 * HKD]
    before = {h: chain.balance(h) for h in (a, b, late)}
    chain.send(actions.pushPayments(coupon, [a, b]), agent)
    assert {h: chain.balance(h) - before[h] for h in (a, b)} == {a: 50 * HKD, b: 100 * HKD}
    # The pot funded on the announcement-day supply is spent: the late holder waits for a top-up.
    revert = chain.expect_revert(actions.pushPayments(coupon, [late]), agent)
    assert (revert.name, revert.args) == ("DistributionOverpaid", (coupon, 0, 150 * HKD))
    assert chain.balance(late) == before[late]
    chain.send(actions.topUpDistribution(coupon), issuer, value=150 * HKD)
    chain.send(actions.pushPayments(coupon, [late]), agent)
    assert chain.balance(late) - before[late] == 150 * HKD


def test_a_coupon_is_paid_only_on_a_coupon_date_once(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("schedule issuer", fund_wei=10**23)
    holder = chain.new_address("schedule holder", fund_wei=10**21)
    rwa.register([holder])
    now = chain.now()
    dates = [now + 100, now + 200, now + YEAR]
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Scheduled 5% note", symbol="S5", decimals=0,
                             asset_class=GREEN_BOND, bond=(1_000 * HKD, 50_000, 3, now + YEAR, dates))
    chain.send(token.functions.mint(holder, 2), issuer)
    actions = rwa.actions.functions
    due = 2 * 1_000 * HKD * 50_000 // (10**6 * 3)

    def state() -> tuple[int, int, int, int]:
        return (actions.distributionCount().call(), chain.balance(rwa.actions.address),
                actions.couponOfDate(token.address, dates[0]).call(), actions.couponOfDate(token.address, dates[1]).call())

    before = state()
    # Between two coupon dates, or a day after one: not a coupon date; nothing is taken.
    for pay in (now + 150, dates[0] + DAY):
        revert = chain.expect_revert(actions.announceDistribution(token.address, COUPON, now + 50, pay, pay + 30 * DAY),
                                     issuer, value=due)
        assert (revert.name, revert.args) == ("NotACouponDate", (token.address, pay))
    assert state() == before

    first = events(rwa.actions, "DistributionAnnounced", chain.send(
        actions.announceDistribution(token.address, COUPON, now + 50, dates[0], dates[0] + 30 * DAY), issuer, value=due))[0]["id"]
    assert actions.couponOfDate(token.address, dates[0]).call() == first
    # A second coupon for the same date is refused, whatever its record time.
    taken = state()
    revert = chain.expect_revert(actions.announceDistribution(token.address, COUPON, now + 60, dates[0], dates[0] + 30 * DAY),
                                 issuer, value=due)
    assert (revert.name, revert.args) == ("CouponDateTaken", (token.address, dates[0], first))
    assert state() == taken
    # The next date is free; cancelling the first coupon frees its date again.
    second = events(rwa.actions, "DistributionAnnounced", chain.send(
        actions.announceDistribution(token.address, COUPON, now + 150, dates[1], dates[1] + 30 * DAY), issuer, value=due))[0]["id"]
    assert actions.couponOfDate(token.address, dates[1]).call() == second
    chain.send(actions.cancelDistribution(first), issuer)
    assert actions.couponOfDate(token.address, dates[0]).call() == 0
    again = events(rwa.actions, "DistributionAnnounced", chain.send(
        actions.announceDistribution(token.address, COUPON, now + 60, dates[0], dates[0] + 30 * DAY), issuer, value=due))[0]["id"]
    assert actions.couponOfDate(token.address, dates[0]).call() == again
    assert (second, again) == (first + 1, first + 2)


def test_the_factory_refuses_coupon_dates_that_cannot_be_paid(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("bad schedule issuer", fund_wei=10**21)
    now = chain.now()
    count = rwa.factory.functions.assetCount().call()
    for dates, why in (
        ([], "a coupon needs coupon dates"),
        ([now + 200, now + 100], "coupon dates must be ascending and in the future"),
        ([now - 10, now + YEAR], "coupon dates must be ascending and in the future"),
        ([now + 100, now + YEAR + 1], "a coupon date after maturity"),
    ):
        params = ("Bad schedule", "BAD", 0, issuer, [issuer], (GREEN_BOND, f"BAD-{len(dates)}-{why[:3]}", "Issuer", "HKD", b"\x01" * 32),
                  (1_000 * HKD, 50_000, 2, now + YEAR, dates))
        revert = chain.expect_revert(rwa.factory.functions.createAsset(params), rwa.kyc_agent)
        assert (revert.name, revert.args) == ("InvalidBondTerms", (why,))
    assert rwa.factory.functions.assetCount().call() == count
