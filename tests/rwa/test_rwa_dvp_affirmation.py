"""DvP with both legs locked on affirmation, in one transaction (issue 17, features: holds used by
the settlement engine). `SettlementEngine.affirm` creates the hold on the seller's asset units
(`RWAToken.createHoldFrom`, the engine's id = the trade id, kept under `holdIdOf(engine, trade
id)`, notary = the engine, spending the seller's allowance to the engine) and locks the buyer's cash: native HKD out of its escrow, or the HKD
stablecoin as an ERC-20 (the L1 token's contract, `HKDStablecoin`, here on L2 as the bridged
token) out of its wallet into the engine. Both or neither: a failing affirm leaves no hold and no
lock. From then neither leg can leave: the seller cannot transfer the held units, the buyer cannot
take the cash back, neither can cancel. `settleAffirmed` delivers both; after expiry
`releaseAffirmed` gives both back.

Conservation, by hand: seller 1,000 units, buyer HK$600; the trade is 400 units for HK$500.
Settled: seller 600 units + HK$500, buyer 400 units + HK$100; released: as before the trade. The
engine's native balance equals escrows plus locked native cash, its token balance the locked
token cash, throughout.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from rwa.trade import Trade, sign_trade
from rwa.types import NATIVE_HKD
from tests.rwa.rwa_chain import AGRICULTURAL, HKD, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

NONE, ACTIVE, EXECUTED, RELEASED = 0, 1, 2, 3  # RWATokenBase.HoldStatus
OPEN, SETTLED, CANCELLED, AFFIRMED = 0, 1, 2, 3  # SettlementEngine.TradeStatus
TOKEN_HKD = 10**6  # the HKD stablecoin's 6 decimals


def _setup(chain: Chain, rwa: RWASystem, label: str, *, token_cash: bool = False) -> dict[str, Any]:
    issuer = chain.new_address(f"{label} issuer", fund_wei=10**21)
    seller, buyer = chain.new_account(f"{label} seller"), chain.new_account(f"{label} buyer")
    rwa.register([seller.address, buyer.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name=f"{label} receivable", symbol="AFR",
                             asset_class=AGRICULTURAL, decimals=0)
    chain.send(token.functions.mint(seller.address, 1_000), issuer)
    engine = rwa.engine
    cash = None
    if token_cash:
        cash = chain.deploy("HKDStablecoin", "Hong Kong Dollar (bridged)", "HKD", issuer, sender=issuer)
        for role in ("MINTER_ROLE", "BLACKLISTER_ROLE"):
            chain.send(cash.functions.grantRole(getattr(cash.functions, role)().call(), issuer), issuer)
        chain.send(cash.functions.mint(buyer.address, 600 * TOKEN_HKD), issuer)
        pay_token, pay_amount = cash.address, 500 * TOKEN_HKD
    else:
        chain.send(engine.functions.deposit(), buyer.address, value=600 * HKD)
        pay_token, pay_amount = NATIVE_HKD, 500 * HKD
    expiry = chain.now() + 60
    trade = Trade(seller.address, buyer.address, token.address, 400, pay_token, pay_amount, expiry, 1, 0)
    chain_id = chain.w3.eth.chain_id
    sigs = (sign_trade(trade, seller.key, chain_id, engine.address), sign_trade(trade, buyer.key, chain_id, engine.address))
    trade_id = engine.functions.tradeId(trade.as_tuple()).call()
    # The engine's hold of the trade, in the engine's namespace (computed here from its definition).
    hold_id = keccak(abi_encode(["address", "bytes32"], [engine.address, trade_id]))
    assert token.functions.holdIdOf(engine.address, trade_id).call() == hold_id
    return {"token": token, "issuer": issuer, "seller": seller.address, "buyer": buyer.address, "trade": trade,
            "sigs": sigs, "id": trade_id, "hold": hold_id, "cash": cash}


def _legs(chain: Chain, rwa: RWASystem, s: dict[str, Any]) -> tuple[int, ...]:
    """Asset units (seller, buyer, held), cash (seller, buyer, engine: escrows or token balances),
    trade status, hold status."""
    t, e = s["token"].functions, rwa.engine.functions
    if s["cash"] is None:
        cash = (e.escrowOf(s["seller"]).call(), e.escrowOf(s["buyer"]).call(), chain.balance(rwa.engine.address))
    else:
        balance = s["cash"].functions.balanceOf
        cash = (balance(s["seller"]).call(), balance(s["buyer"]).call(), balance(rwa.engine.address).call())
    return (t.balanceOf(s["seller"]).call(), t.balanceOf(s["buyer"]).call(), t.heldBalanceOf(s["seller"]).call(),
            *cash, e.tradeStatus(s["id"]).call(), t.holdOf(s["hold"]).call()[5])


@pytest.mark.parametrize("token_cash", [False, True], ids=["native HKD", "HKD token"])
def test_one_affirm_locks_both_legs_then_settles(chain: Chain, rwa: RWASystem, token_cash: bool) -> None:
    s = _setup(chain, rwa, "affirmed" + (" token" if token_cash else ""), token_cash=token_cash)
    t, e = s["token"].functions, rwa.engine.functions
    trade, unit = s["trade"].as_tuple(), (TOKEN_HKD if token_cash else HKD)
    cash = s["cash"].functions if token_cash else None

    # Refusals, each leaving no hold and no lock. The seller has not approved the engine yet: the
    # token refuses the hold after the cash leg was taken, and the whole affirm reverts.
    if token_cash:
        chain.send(cash.approve(rwa.engine.address, 500 * unit), s["buyer"])  # type: ignore[union-attr]
    before = _legs(chain, rwa, s)
    assert before[6:] == (OPEN, NONE)
    revert = chain.expect_revert(e.affirm(trade, *s["sigs"]), s["issuer"])
    assert (revert.name, revert.args) == ("ERC20InsufficientAllowance", (rwa.engine.address, 0, 400))
    assert _legs(chain, rwa, s) == before
    chain.send(t.approve(rwa.engine.address, 400), s["seller"])
    # The buyer's cash cannot be taken: its escrow frozen by the platform, or its HKD token frozen by the issuer.
    if token_cash:
        chain.send(cash.freeze(s["buyer"]), s["issuer"])  # type: ignore[union-attr]
        assert chain.expect_revert(e.affirm(trade, *s["sigs"]), s["issuer"]).name == "AccountFrozen"
        chain.send(cash.unfreeze(s["buyer"]), s["issuer"])  # type: ignore[union-attr]
    else:
        chain.send(e.setEscrowFrozen(s["buyer"], True), rwa.operator)
        assert chain.expect_revert(e.affirm(trade, *s["sigs"]), s["issuer"]).name == "EscrowIsFrozen"
        chain.send(e.setEscrowFrozen(s["buyer"], False), rwa.operator)
    # 700 of the seller's 1,000 units are frozen: 300 free cannot be held for 400, and the cash
    # stays the buyer's.
    chain.send(t.freezePartialTokens(s["seller"], 700), s["issuer"])
    revert = chain.expect_revert(e.affirm(trade, *s["sigs"]), s["issuer"])
    assert (revert.name, revert.args) == ("ERC7943InsufficientUnfrozenBalance", (s["seller"], 400, 300))
    chain.send(t.unfreezePartialTokens(s["seller"], 700), s["issuer"])
    assert _legs(chain, rwa, s) == before

    receipt = chain.send(e.affirm(trade, *s["sigs"]), s["issuer"])  # anyone with both signatures
    assert events(rwa.engine, "TradeAffirmed", receipt) == [
        {"tradeId": s["id"], "holdId": s["hold"], "payToken": s["trade"].pay_token, "lockedAmount": 500 * unit}]
    assert t.holdOf(s["hold"]).call() == [s["seller"], rwa.engine.address, s["buyer"], 400, s["trade"].expiry, ACTIVE]
    if token_cash:  # the buyer's tokens sit in the engine
        assert _legs(chain, rwa, s) == (1_000, 0, 400, 0, 100 * unit, 500 * unit, AFFIRMED, ACTIVE)
    else:  # the cash only changed ledgers
        assert _legs(chain, rwa, s) == (1_000, 0, 400, 0, 100 * unit, before[5], AFFIRMED, ACTIVE)

    # Locked: the seller cannot move the held units, the buyer cannot take the cash back, no one
    # cancels, settles it the ordinary way or affirms it twice.
    locked = _legs(chain, rwa, s)
    assert chain.expect_revert(t.transfer(s["buyer"], 601), s["seller"]).name == "TransferNotCompliant"
    if not token_cash:
        assert chain.expect_revert(e.withdraw(101 * HKD), s["buyer"]).name == "InsufficientEscrow"
    assert chain.expect_revert(e.cancel(trade), s["buyer"]).name == "TradeIsAffirmed"
    assert chain.expect_revert(e.settle(trade, *s["sigs"]), s["issuer"]).name == "TradeIsAffirmed"
    assert chain.expect_revert(e.affirm(trade, *s["sigs"]), s["issuer"]).name == "TradeIsAffirmed"
    assert chain.expect_revert(t.releaseHold(s["hold"]), s["seller"]).name == "HoldNotExpired"
    assert chain.expect_revert(e.releaseAffirmed(trade), s["seller"]).name == "TradeNotExpired"
    assert _legs(chain, rwa, s) == locked

    chain.send(e.settleAffirmed(trade), s["issuer"])  # anyone settles
    if token_cash:
        assert _legs(chain, rwa, s) == (600, 400, 0, 500 * unit, 100 * unit, 0, SETTLED, EXECUTED)
    else:
        assert _legs(chain, rwa, s) == (600, 400, 0, 500 * unit, 100 * unit, before[5], SETTLED, EXECUTED)
        chain.send(e.withdraw(500 * HKD), s["seller"])
        chain.send(e.withdraw(100 * HKD), s["buyer"])
        assert chain.balance(rwa.engine.address) == before[5] - 600 * HKD
    assert chain.expect_revert(e.settleAffirmed(trade), s["issuer"]).name == "TradeNotAffirmed"


def test_a_hold_made_with_the_trade_id_does_not_block_the_affirm(chain: Chain, rwa: RWASystem) -> None:
    """Hold-id griefing: the trade id is known from the signed terms, so another holder of the
    asset (and the seller itself) can make a hold with it before the affirm. Each such hold lives
    in its creator's namespace, so the engine's hold is still free and the affirm locks both legs
    (before namespacing, the affirm reverted `HoldExists` and the parties had to re-sign)."""
    s = _setup(chain, rwa, "squatted")
    t, e = s["token"].functions, rwa.engine.functions
    griefer = chain.new_address("squatting holder", fund_wei=10**21)
    rwa.register([griefer])
    chain.send(t.mint(griefer, 5), s["issuer"])
    chain.send(t.approve(rwa.engine.address, 400), s["seller"])
    for creator in (griefer, s["seller"]):
        chain.send(t.createHold(s["id"], creator, s["buyer"], 1, s["trade"].expiry), creator)  # the trade id
        assert t.holdOf(keccak(abi_encode(["address", "bytes32"], [creator, s["id"]]))).call()[0] == creator
    before = _legs(chain, rwa, s)
    assert before[2:] == (1, 0, 600 * HKD, before[5], OPEN, NONE)  # the seller's own hold of 1 unit
    receipt = chain.send(e.affirm(s["trade"].as_tuple(), *s["sigs"]), s["issuer"])
    assert [ev["holdId"] for ev in events(rwa.engine, "TradeAffirmed", receipt)] == [s["hold"]]
    assert _legs(chain, rwa, s) == (1_000, 0, 401, 0, 100 * HKD, before[5], AFFIRMED, ACTIVE)
    chain.send(e.settleAffirmed(s["trade"].as_tuple()), s["issuer"])
    assert _legs(chain, rwa, s)[:3] + _legs(chain, rwa, s)[6:] == (600, 400, 1, SETTLED, EXECUTED)


@pytest.mark.parametrize("token_cash", [False, True], ids=["native HKD", "HKD token"])
def test_an_affirmed_trade_that_does_not_settle_releases_both_legs_after_expiry(chain: Chain, rwa: RWASystem,
                                                                               token_cash: bool) -> None:
    s = _setup(chain, rwa, "expiring" + (" token" if token_cash else ""), token_cash=token_cash)
    t, e = s["token"].functions, rwa.engine.functions
    trade, unit = s["trade"].as_tuple(), (TOKEN_HKD if token_cash else HKD)
    chain.send(t.approve(rwa.engine.address, 400), s["seller"])
    if token_cash:
        chain.send(s["cash"].functions.approve(rwa.engine.address, 500 * unit), s["buyer"])
    before = _legs(chain, rwa, s)
    chain.send(e.affirm(trade, s["sigs"][0], b""), s["buyer"])  # the buyer affirms with its own key
    assert _legs(chain, rwa, s)[:5] == (1_000, 0, 400, 0, 100 * unit)

    # The buyer is frozen on the asset before settlement: the hold's checked transfer refuses,
    # both legs stay locked.
    chain.send(t.setAddressFrozen(s["buyer"], True), s["issuer"])
    locked = _legs(chain, rwa, s)
    assert chain.expect_revert(e.settleAffirmed(trade), s["seller"]).name == "TransferNotCompliant"
    assert _legs(chain, rwa, s) == locked

    chain.advance(s["trade"].expiry - chain.now() + 1)
    assert chain.expect_revert(e.settleAffirmed(trade), s["seller"]).name == "TradeExpired"
    receipt = chain.send(e.releaseAffirmed(trade), s["issuer"])  # anyone, after expiry
    assert events(rwa.engine, "AffirmationReleased", receipt) == [
        {"tradeId": s["id"], "holdId": s["hold"], "refundedAmount": 500 * unit}
    ]
    assert _legs(chain, rwa, s) == (*before[:6], CANCELLED, RELEASED)  # as before the trade
    if not token_cash:
        chain.send(e.withdraw(600 * HKD), s["buyer"])
