"""Consolidations (reverse splits) and their fractions (issue 17, features: reverse splits).

A tokenized HK stock (0 decimals) held as 105, 1,000 and 12,347 shares (13,452) is consolidated
10 into 1 with the PriceFeed reference at HK$3.40 a share. By hand: the holders keep 10, 100 and
1,234 shares and fractions of 5, 0 and 7 old shares; the fractions are cashed out at 5 x 3.40 =
HK$17.00 and 7 x 3.40 = HK$23.80. Conservation: the fine supply (old shares) falls by exactly the
fractions burnt (13,452 -> 13,440) and the fund by exactly what was paid; afterwards the supply
(1,344) is the sum of the balances again. Refusals move nothing: a bond (`SplitOnBond`), no
reference price (`NoReferencePrice`), a ratio of 1, a cash-out before the effective time, a fund too small
(`FractionFundShort`), a second consolidation while the first's fund is open. A trade signed before
the consolidation does not settle after it (`SplitSinceSigned`, it binds the split epoch).
"""

from __future__ import annotations

from typing import Any

import pytest

from rwa.trade import Trade, sign_trade
from rwa.types import NATIVE_HKD
from tests.rwa.rwa_chain import GREEN_BOND, HK_STOCK, HKD, YEAR, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

SHARES = (105, 1_000, 12_347)
PRICE = 340 * HKD // 100  # HK$3.40 a share


def _set_reference_price(chain: Chain, rwa: RWASystem, asset: str, price_wei: int) -> None:
    reporter = chain.new_address("consolidation price reporter", fund_wei=10**20)
    chain.send(rwa.price_feed.functions.setReporter(asset, reporter, True), rwa.operator)
    chain.send(rwa.price_feed.functions.submitPrice(asset, price_wei, chain.now()), reporter)


def test_consolidation_cashes_out_fractions_and_conserves_units_and_cash(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("consolidating company", fund_wei=10**23)
    agent = chain.new_address("consolidation registrar", fund_wei=10**21)
    a, b = chain.new_account("consolidation holder a"), chain.new_account("consolidation holder b")
    c = chain.new_address("consolidation holder c", fund_wei=10**21)
    holders = [a.address, b.address, c]
    rwa.register(holders)
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Odd Lot Holdings", symbol="ODD",
                             asset_class=HK_STOCK, decimals=0)
    t, actions, engine = token.functions, rwa.actions.functions, rwa.engine
    chain.send(t.batchMint(holders, list(SHARES)), agent)
    pot = chain.balance(rwa.actions.address)

    # No reference price yet: refused, nothing scheduled.
    effective = chain.now() + 30
    revert = chain.expect_revert(actions.announceConsolidation(token.address, 10, effective), issuer, value=20 * HKD)
    assert revert.name == "NoReferencePrice" and t.splitCount().call() == 0
    _set_reference_price(chain, rwa, token.address, PRICE)
    assert chain.expect_revert(actions.announceConsolidation(token.address, 1, effective), issuer).name == "InvalidSplitRatio"
    assert chain.expect_revert(actions.announceConsolidation(token.address, 10, effective), a.address).name == "NotIssuerOrAgent"
    assert t.splitCount().call() == 0 and chain.balance(rwa.actions.address) == pot

    # A trade signed at epoch 0 for 100 pre-consolidation shares.
    chain.send(t.approve(engine.address, 2**256 - 1), a.address)
    chain.send(engine.functions.deposit(), b.address, value=340 * HKD)
    chain_id = chain.w3.eth.chain_id
    before = Trade(a.address, b.address, token.address, 100, NATIVE_HKD, 340 * HKD, chain.now() + 3_600, 7, 0)

    receipt = chain.send(actions.announceConsolidation(token.address, 10, effective), issuer, value=20 * HKD)
    (announced,) = events(rwa.actions, "ConsolidationAnnounced", receipt)
    assert (announced["ratio"], announced["effectiveTime"], announced["priceWeiPerToken"]) == (10, effective, PRICE)
    assert chain.expect_revert(actions.announceConsolidation(token.address, 2, effective + 10), issuer).name == "FractionCashOutOpen"
    assert chain.expect_revert(actions.cashOutFractions(token.address, holders), issuer).name == "ConsolidationNotEffective"
    assert t.balanceOf(a.address).call() == 105  # not yet in effect

    chain.advance(effective - chain.now())
    assert [t.balanceOf(h).call() for h in holders] == [10, 100, 1_234]
    assert [t.fractionOf(h).call() for h in holders] == [5, 0, 7]
    assert t.totalSupply().call() == 1_345 and t.splitEpoch().call() == 1 and t.divisorAt(chain.now()).call() == 10

    # The trade signed before the consolidation is refused; nothing moved.
    sigs = (sign_trade(before, a.key, chain_id, engine.address), sign_trade(before, b.key, chain_id, engine.address))
    revert = chain.expect_revert(engine.functions.settle(before.as_tuple(), *sigs), issuer)
    assert revert.name == "SplitSinceSigned" and revert.args[1:] == (0, 1)
    assert t.balanceOf(a.address).call() == 10 and engine.functions.escrowOf(b.address).call() == 340 * HKD

    # Whole units move; a fraction cannot (a holds 10 and 0.5 of a share).
    assert chain.expect_revert(t.transfer(b.address, 11), a.address).name == "TransferNotCompliant"
    chain.send(t.transfer(b.address, 3), a.address)
    assert (t.balanceOf(a.address).call(), t.balanceOf(b.address).call(), t.fractionOf(a.address).call()) == (7, 103, 5)

    # c is frozen: its fraction waits; a is paid 5 x 3.40.
    chain.send(t.setAddressFrozen(c, True), agent)
    a_before = chain.balance(a.address)
    receipt = chain.send(actions.cashOutFractions(token.address, holders), b.address)
    assert events(rwa.actions, "FractionCashedOut", receipt) == [
        {"token": token.address, "holder": a.address, "payee": a.address, "fineUnits": 5, "amountWei": 17 * HKD}
    ]
    assert chain.balance(a.address) - a_before == 17 * HKD
    assert [t.fractionOf(h).call() for h in holders] == [0, 0, 7] and t.totalSupply().call() == 1_344

    # Unfrozen, c's 7 x 3.40 = 23.80 exceeds the HK$3 left in the fund: refused, nothing moved.
    chain.send(t.setAddressFrozen(c, False), agent)
    revert = chain.expect_revert(actions.cashOutFractions(token.address, [c]), b.address)
    assert (revert.name, revert.args) == ("FractionFundShort", (token.address, 3 * HKD, 2_380 * HKD // 100))
    assert t.fractionOf(c).call() == 7 and chain.balance(rwa.actions.address) == pot + 3 * HKD
    chain.send(actions.fundFractionCashOut(token.address), issuer, value=30 * HKD)
    c_before = chain.balance(c)
    chain.send(actions.cashOutFractions(token.address, [c]), b.address)
    assert chain.balance(c) - c_before == 2_380 * HKD // 100

    # Conservation: supply = sum of balances, every fraction gone, the fund paid exactly 40.80.
    balances = [t.balanceOf(h).call() for h in holders]
    assert balances == [7, 103, 1_234] and t.totalSupply().call() == sum(balances) == 1_344
    cash_out = actions.fractionCashOut(token.address).call()
    assert (cash_out[5], cash_out[6]) == (50 * HKD, 4_080 * HKD // 100)  # funded, paid
    issuer_before = chain.balance(issuer)
    assert chain.expect_revert(actions.closeFractionCashOut(token.address), a.address).name == "NotIssuerOrAgent"
    receipt = chain.send(actions.closeFractionCashOut(token.address), agent)
    assert chain.balance(issuer) - issuer_before == 50 * HKD - 4_080 * HKD // 100
    assert chain.balance(rwa.actions.address) == pot
    assert chain.expect_revert(actions.cashOutFractions(token.address, holders), b.address).name == "NoFractionCashOut"

    # Signed again at the new epoch: 10 consolidated shares for the same HK$340.
    after = Trade(a.address, b.address, token.address, 5, NATIVE_HKD, 170 * HKD, chain.now() + 3_600, 8, 1)
    sigs = (sign_trade(after, a.key, chain_id, engine.address), sign_trade(after, b.key, chain_id, engine.address))
    chain.send(engine.functions.settle(after.as_tuple(), *sigs), issuer)
    assert (t.balanceOf(a.address).call(), t.balanceOf(b.address).call()) == (2, 108)
    chain.send(engine.functions.withdraw(170 * HKD), a.address)
    chain.send(engine.functions.withdraw(170 * HKD), b.address)  # leave the engine as found


def test_no_consolidation_on_a_bond(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("consolidating bond issuer", fund_wei=10**22)
    agent = chain.new_address("consolidating bond agent", fund_wei=10**21)
    now = chain.now()
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Unconsolidatable note", symbol="UCN", decimals=0,
                             asset_class=GREEN_BOND, bond=(1_000 * HKD, 50_000, 1, now + YEAR, [now + YEAR]))
    _set_reference_price(chain, rwa, token.address, 1_000 * HKD)
    pot = chain.balance(rwa.actions.address)
    revert = chain.expect_revert(rwa.actions.functions.announceConsolidation(token.address, 10, now + 100), issuer,
                                 value=HKD)
    assert (revert.name, revert.args) == ("SplitOnBond", (1_000 * HKD,))
    assert chain.expect_revert(token.functions.scheduleConsolidation(10, now + 100), agent).name == "SplitOnBond"
    assert token.functions.splitCount().call() == 0 and chain.balance(rwa.actions.address) == pot


def test_fractions_only_the_supply_role_burns(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("fraction issuer", fund_wei=10**22)
    holder = chain.new_address("fraction holder", fund_wei=10**21)
    rwa.register([holder])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Fraction Co", symbol="FRC",
                             asset_class=HK_STOCK, decimals=0)
    chain.send(token.functions.mint(holder, 25), issuer)
    revert = chain.expect_revert(token.functions.burnFraction(holder), holder)
    assert revert.name == "NotAgent" and token.functions.balanceOf(holder).call() == 25
