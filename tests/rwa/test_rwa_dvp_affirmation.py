"""DvP with both legs locked on affirmation (issue 17, features: holds used by the settlement
engine). The seller reserves the asset leg with a hold whose notary is the engine; `affirm` checks
the hold and moves the buyer's cash from its escrow into the trade's lock. From then neither leg
can leave: the seller cannot transfer the held units, the buyer cannot withdraw the locked cash,
neither can cancel. `settleAffirmed` delivers both; after expiry `releaseAffirmed` gives both back.

Conservation, by hand: seller 1,000 units, buyer HK$600 in escrow; the trade is 400 units for
HK$500. Settled: seller 600 units + HK$500 escrow, buyer 400 units + HK$100 escrow; released: as
before the trade. The engine's native balance equals escrows plus locked cash throughout.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from rwa.trade import Trade, sign_trade
from rwa.types import NATIVE_HKD
from tests.rwa.rwa_chain import AGRICULTURAL, HKD, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

ACTIVE, EXECUTED, RELEASED = 1, 2, 3  # RWATokenBase.HoldStatus
AFFIRMED = 3  # SettlementEngine.TradeStatus


def _setup(chain: Chain, rwa: RWASystem, label: str) -> dict[str, Any]:
    issuer = chain.new_address(f"{label} issuer", fund_wei=10**21)
    seller, buyer = chain.new_account(f"{label} seller"), chain.new_account(f"{label} buyer")
    rwa.register([seller.address, buyer.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name=f"{label} receivable", symbol="AFR",
                             asset_class=AGRICULTURAL, decimals=0)
    chain.send(token.functions.mint(seller.address, 1_000), issuer)
    engine = rwa.engine
    chain.send(engine.functions.deposit(), buyer.address, value=600 * HKD)
    expiry = chain.now() + 60
    trade = Trade(seller.address, buyer.address, token.address, 400, NATIVE_HKD, 500 * HKD, expiry, 1, 0)
    chain_id = chain.w3.eth.chain_id
    sigs = (sign_trade(trade, seller.key, chain_id, engine.address), sign_trade(trade, buyer.key, chain_id, engine.address))
    return {"token": token, "issuer": issuer, "seller": seller.address, "buyer": buyer.address, "trade": trade,
            "sigs": sigs, "id": engine.functions.tradeId(trade.as_tuple()).call(), "hold": keccak(text=f"{label} hold")}


def _legs(rwa: RWASystem, s: dict[str, Any]) -> tuple[int, ...]:
    t, e = s["token"].functions, rwa.engine.functions
    return (t.balanceOf(s["seller"]).call(), t.balanceOf(s["buyer"]).call(), t.heldBalanceOf(s["seller"]).call(),
            e.escrowOf(s["seller"]).call(), e.escrowOf(s["buyer"]).call(), e.tradeStatus(s["id"]).call())


def test_affirmation_locks_both_legs_then_settles(chain: Chain, rwa: RWASystem) -> None:
    s = _setup(chain, rwa, "affirmed")
    t, e = s["token"].functions, rwa.engine.functions
    trade, hold = s["trade"].as_tuple(), s["hold"]
    engine_wei = chain.balance(rwa.engine.address)

    # Refused without a matching hold; nothing moves.
    before = _legs(rwa, s)
    revert = chain.expect_revert(e.affirm(trade, hold, *s["sigs"]), s["issuer"])
    assert (revert.name, revert.args[2]) == ("HoldMismatch", "hold not active")
    chain.send(t.createHold(hold, rwa.engine.address, s["buyer"], 399, s["trade"].expiry), s["seller"])
    revert = chain.expect_revert(e.affirm(trade, hold, *s["sigs"]), s["issuer"])
    assert (revert.name, revert.args[2]) == ("HoldMismatch", "hold amount differs from the asset amount")
    other = keccak(text="hold for another notary")
    chain.send(t.createHold(other, s["issuer"], s["buyer"], 400, s["trade"].expiry), s["seller"])
    revert = chain.expect_revert(e.affirm(trade, other, *s["sigs"]), s["issuer"])
    assert (revert.name, revert.args[2]) == ("HoldMismatch", "hold parties differ from the trade's")
    chain.send(t.releaseHold(other), s["issuer"])
    assert _legs(rwa, s)[:2] == before[:2] and _legs(rwa, s)[3:] == before[3:]

    good = keccak(text="affirmed good hold")
    chain.send(t.createHold(good, rwa.engine.address, s["buyer"], 400, s["trade"].expiry), s["seller"])
    receipt = chain.send(e.affirm(trade, good, *s["sigs"]), s["issuer"])
    assert events(rwa.engine, "TradeAffirmed", receipt) == [{"tradeId": s["id"], "holdId": good, "lockedWei": 500 * HKD}]
    assert _legs(rwa, s) == (1_000, 0, 799, 0, 100 * HKD, AFFIRMED)  # 399 of the first hold + 400
    assert chain.balance(rwa.engine.address) == engine_wei  # the cash only changed ledgers

    # Locked: the seller cannot move the held units, the buyer cannot take the cash back, no one
    # cancels, settles it the ordinary way or affirms it twice.
    assert chain.expect_revert(t.transfer(s["buyer"], 202), s["seller"]).name == "TransferNotCompliant"
    assert chain.expect_revert(e.withdraw(101 * HKD), s["buyer"]).name == "InsufficientEscrow"
    assert chain.expect_revert(e.cancel(trade), s["buyer"]).name == "TradeIsAffirmed"
    assert chain.expect_revert(e.settle(trade, *s["sigs"]), s["issuer"]).name == "TradeIsAffirmed"
    assert chain.expect_revert(e.affirm(trade, good, *s["sigs"]), s["issuer"]).name == "TradeIsAffirmed"
    assert chain.expect_revert(t.releaseHold(good), s["seller"]).name == "HoldNotExpired"
    assert chain.expect_revert(e.releaseAffirmed(trade), s["seller"]).name == "TradeNotExpired"
    assert _legs(rwa, s) == (1_000, 0, 799, 0, 100 * HKD, AFFIRMED)

    chain.send(e.settleAffirmed(trade), s["issuer"])  # anyone settles
    assert _legs(rwa, s) == (600, 400, 399, 500 * HKD, 100 * HKD, 1)
    assert t.holdOf(good).call()[5] == EXECUTED
    assert chain.expect_revert(e.settleAffirmed(trade), s["issuer"]).name == "TradeNotAffirmed"
    chain.send(e.withdraw(500 * HKD), s["seller"])
    chain.send(e.withdraw(100 * HKD), s["buyer"])
    assert chain.balance(rwa.engine.address) == engine_wei - 600 * HKD


def test_an_affirmed_trade_that_does_not_settle_releases_both_legs_after_expiry(chain: Chain, rwa: RWASystem) -> None:
    s = _setup(chain, rwa, "expiring")
    t, e = s["token"].functions, rwa.engine.functions
    trade, hold = s["trade"].as_tuple(), s["hold"]
    chain.send(t.createHold(hold, rwa.engine.address, s["buyer"], 400, s["trade"].expiry + 30), s["seller"])
    chain.send(e.affirm(trade, hold, *s["sigs"]), s["buyer"])
    assert _legs(rwa, s) == (1_000, 0, 400, 0, 100 * HKD, AFFIRMED)

    # The buyer is frozen before settlement: the hold's checked transfer refuses, both stay locked.
    chain.send(t.setAddressFrozen(s["buyer"], True), s["issuer"])
    assert chain.expect_revert(e.settleAffirmed(trade), s["seller"]).name == "TransferNotCompliant"
    assert _legs(rwa, s) == (1_000, 0, 400, 0, 100 * HKD, AFFIRMED)

    chain.advance(s["trade"].expiry - chain.now() + 1)
    assert chain.expect_revert(e.settleAffirmed(trade), s["seller"]).name == "TradeExpired"
    receipt = chain.send(e.releaseAffirmed(trade), s["issuer"])  # anyone, after expiry
    assert events(rwa.engine, "AffirmationReleased", receipt) == [
        {"tradeId": s["id"], "holdId": hold, "refundedWei": 500 * HKD}
    ]
    assert _legs(rwa, s) == (1_000, 0, 0, 0, 600 * HKD, 2)  # as before the trade; cancelled
    assert t.holdOf(hold).call()[5] == RELEASED
    chain.send(e.withdraw(600 * HKD), s["buyer"])
