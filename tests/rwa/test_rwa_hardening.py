"""Smaller hardening of the RWA predeploys (issue 17, defect 8), each refusal shown to move nothing:

- the SettlementEngine has an owner (from genesis) who freezes an account's HKD escrow: no
  withdrawal and no payment from it;
- the PriceFeed takes no timestamp from the future, and with a deviation bound a far move waits
  for a second reporter;
- at most `MAX_PENDING_RECORD_TIMES` record times wait on a token; `decimals` at most 18.

Storage layouts, which a network upgrade of the predeploys must keep, are in
test_rwa_storage_layout.py.
"""

from __future__ import annotations

import pytest

from tests.rwa.rwa_chain import HK_STOCK, HKD, Chain, RWASystem, events


@pytest.mark.rwa_backends("l2")
def test_the_engine_owner_freezes_escrow(chain: Chain, rwa: RWASystem) -> None:
    engine = rwa.engine.functions
    assert engine.owner().call() == rwa.operator
    account = chain.new_address("escrow under investigation", fund_wei=10**21)
    chain.send(engine.deposit(), account, value=100 * HKD)
    assert chain.expect_revert(engine.setEscrowFrozen(account, True), account).name == "NotOwner"
    receipt = chain.send(engine.setEscrowFrozen(account, True), rwa.operator)
    assert events(rwa.engine, "EscrowFrozen", receipt) == [{"account": account, "frozen": True}]
    held = chain.balance(rwa.engine.address)
    for call in (engine.withdraw(1), engine.withdrawTo(rwa.operator, 1)):
        revert = chain.expect_revert(call, account)
        assert (revert.name, revert.args) == ("EscrowIsFrozen", (account,))
    assert engine.escrowOf(account).call() == 100 * HKD and chain.balance(rwa.engine.address) == held
    chain.send(engine.depositFor(account), rwa.operator, value=HKD)  # credits still arrive
    assert engine.escrowOf(account).call() == 101 * HKD
    chain.send(engine.setEscrowFrozen(account, False), rwa.operator)
    chain.send(engine.withdraw(101 * HKD), account)
    assert engine.escrowOf(account).call() == 0


@pytest.mark.rwa_backends("anvil")  # exact timestamps
def test_prices_come_from_the_past_and_far_moves_need_two_reporters(chain: Chain, rwa: RWASystem) -> None:
    feed = rwa.price_feed.functions
    asset = chain.new_address("gold claim token")
    first, second = (chain.new_address(f"gold reporter {i}", fund_wei=10**21) for i in (1, 2))
    for reporter in (first, second):
        chain.send(feed.setReporter(asset, reporter, True), rwa.operator)
    now = chain.now()
    chain.send(feed.submitPrice(asset, 18_000 * HKD, now), first)
    ahead = chain.now() + 2  # the next block is one second later: two seconds ahead of it still
    revert = chain.expect_revert(feed.submitPrice(asset, 18_001 * HKD, ahead), first)
    assert revert.name == "FutureTimestamp"
    assert tuple(feed.latestPriceUnchecked(asset).call()) == (18_000 * HKD, now)

    assert chain.expect_revert(feed.setMaxDeviation(asset, 1_000), first).name == "NotOwner"
    revert = chain.expect_revert(feed.setMaxDeviation(asset, 10_001), rwa.operator)
    assert (revert.name, revert.args) == ("InvalidDeviation", (10_001,))
    assert feed.maxDeviationBpsOf(asset).call() == 0
    chain.send(feed.setMaxDeviation(asset, 1_000), rwa.operator)  # 10%
    t1 = chain.advance(1)  # anvil blocks may share a second: observations must move on
    chain.send(feed.submitPrice(asset, 19_800 * HKD, t1), first)  # +10%: within the bound
    assert tuple(feed.latestPriceUnchecked(asset).call()) == (19_800 * HKD, t1)
    t2 = chain.advance(1)
    receipt = chain.send(feed.submitPrice(asset, 9_900 * HKD, t2), first)  # -50%: held
    assert events(rwa.price_feed, "PriceHeld", receipt) == [
        {"asset": asset, "price": 9_900 * HKD, "timestamp": t2, "reporter": first}
    ]
    assert tuple(feed.latestPriceUnchecked(asset).call()) == (19_800 * HKD, t1)
    revert = chain.expect_revert(feed.submitPrice(asset, 9_900 * HKD, t2), first)
    assert (revert.name, revert.args) == ("SecondReporterRequired", (asset, first))
    assert tuple(feed.latestPriceUnchecked(asset).call()) == (19_800 * HKD, t1)
    chain.send(feed.submitPrice(asset, 9_900 * HKD, t2), second)  # confirmed by a second reporter
    assert tuple(feed.latestPriceUnchecked(asset).call()) == (9_900 * HKD, t2)
    assert tuple(feed.heldPrice(asset).call()) == (0, 0)


@pytest.mark.rwa_backends("l2")
def test_pending_record_times_and_decimals_are_bounded(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("record-date issuer", fund_wei=10**21)
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Bounded", symbol="BND", asset_class=HK_STOCK,
                             decimals=0)
    t = token.functions
    most = t.MAX_PENDING_RECORD_TIMES().call()
    start = chain.now() + 3_600
    for i in range(most):
        chain.send(t.scheduleRecordTime(start + i), issuer)
    revert = chain.expect_revert(t.scheduleRecordTime(start + most), issuer)
    assert (revert.name, revert.args) == ("TooManyPendingRecordTimes", (most,))
    assert len(t.recordTimes().call()) == most and not t.isRecordTime(start + most).call()

    count = rwa.factory.functions.assetCount().call()
    params = ("Too fine", "FINE", 19, issuer, [], (HK_STOCK, "FINE-DECIMALS", "x", "HKD", b"\x00" * 32),
              (0, 0, 0, 0, []))
    revert = chain.expect_revert(rwa.factory.functions.createAsset(params), rwa.kyc_agent)
    assert (revert.name, revert.args) == ("InvalidDecimals", (19, 18))
    assert rwa.factory.functions.assetCount().call() == count
