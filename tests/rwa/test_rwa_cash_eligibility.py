"""Cash respects freezes and KYC (issue 17, defect 2): a dividend or a redemption is never paid to a
frozen wallet, to a wallet whose identity was deleted or expired, or to a lost wallet. A claim is
refused with the reason; a push holds the entitlement (not swept to the issuer at closing) and
anyone releases it once the holder may receive; a lost wallet's cash goes to the wallet the
registry recovered it to.

Holdings of the dividend test (0 decimals, 1,000 units): frozen 100, deleted 200, lost 300,
plain 400; HK$1,000 paid, so each receives HK$1 per unit exactly (no rounding dust).
"""

from __future__ import annotations

import pytest

from tests.rwa.rwa_chain import DIVIDEND, GREEN_BOND, HK_STOCK, HKD, YEAR, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

FROZEN_TEXT = "receiver address frozen"
NOT_VERIFIED_TEXT = "receiver not KYC verified"


def test_dividend_is_held_from_frozen_deleted_and_lost_wallets(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("cash issuer", fund_wei=10**22)
    agent = chain.new_address("cash agent", fund_wei=10**21)
    frozen, deleted, lost, plain = (chain.new_address(f"holder {n}", fund_wei=10**21) for n in
                                    ("frozen", "deleted", "lost", "plain"))
    rwa.register([frozen, deleted, lost, plain])
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Dividend Co", symbol="DIVC",
                             asset_class=HK_STOCK, decimals=0)
    t, actions = token.functions, rwa.actions.functions
    chain.send(t.batchMint([frozen, deleted, lost, plain], [100, 200, 300, 400]), agent)
    record = chain.now() + 3
    receipt = chain.send(actions.announceDistribution(token.address, DIVIDEND, record, record + 1, record + 2 * YEAR),
                         issuer, value=1_000 * HKD)
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    dividend = announced["id"]
    chain.advance(record + 1 - chain.now())

    # Between the record date and the payment: one holder frozen, one KYC deleted, one wallet lost.
    chain.send(t.setAddressFrozen(frozen, True), agent)
    chain.send(rwa.registry.functions.deleteIdentity(deleted), rwa.kyc_agent)
    new_wallet = chain.new_address("lost holder's new wallet")
    chain.send(rwa.registry.functions.recoverIdentity(lost, new_wallet), rwa.kyc_agent)

    # A claim is refused with the reason, and moves nothing.
    pot = chain.balance(rwa.actions.address)
    revert = chain.expect_revert(actions.claim(dividend), frozen)
    assert (revert.name, revert.args) == ("PaymentWithheld", (dividend, frozen, frozen, FROZEN_TEXT))
    assert chain.balance(rwa.actions.address) == pot
    revert = chain.expect_revert(actions.claim(dividend), deleted)
    assert revert.args == (dividend, deleted, deleted, NOT_VERIFIED_TEXT)
    assert actions.entitlement(dividend, frozen).call() == 100 * HKD  # still owed

    # A push holds what the frozen and deleted holders are due, and pays the lost wallet's owner.
    holders = (frozen, deleted, lost, plain)
    before = {h: chain.balance(h) for h in (*holders, new_wallet)}
    receipt = chain.send(actions.pushPayments(dividend, list(holders)), issuer)
    assert [(e["holder"], e["amountWei"], e["reason"]) for e in events(rwa.actions, "PaymentHeld", receipt)] == [
        (frozen, 100 * HKD, FROZEN_TEXT), (deleted, 200 * HKD, NOT_VERIFIED_TEXT)
    ]
    assert events(rwa.actions, "PaidToRecoveredWallet", receipt) == [
        {"id": dividend, "lostWallet": lost, "payee": new_wallet}
    ]
    moved = {h: chain.balance(h) - before[h] for h in before}
    assert moved == {frozen: 0, deleted: 0, lost: 0, plain: 400 * HKD, new_wallet: 300 * HKD}
    assert actions.heldWei(dividend, frozen).call() == 100 * HKD

    # Closing returns nothing to the issuer: the held HK$300 stay for their holders.
    issuer_before = chain.balance(issuer)
    receipt = chain.send(actions.closeDistribution(dividend), agent)
    assert events(rwa.actions, "DistributionClosed", receipt)[0]["remainderWei"] == 0
    assert chain.balance(issuer) == issuer_before

    # Released once the holder may receive (anyone may call), not before.
    revert = chain.expect_revert(actions.releaseHeld(dividend, frozen), plain)
    assert (revert.name, revert.args) == ("PaymentWithheld", (dividend, frozen, frozen, FROZEN_TEXT))
    assert actions.heldWei(dividend, frozen).call() == 100 * HKD
    chain.send(t.setAddressFrozen(frozen, False), agent)
    before = chain.balance(frozen)
    chain.send(actions.releaseHeld(dividend, frozen), plain)
    assert chain.balance(frozen) - before == 100 * HKD
    assert chain.expect_revert(actions.releaseHeld(dividend, frozen), plain).name == "NothingHeld"
    assert chain.expect_revert(actions.releaseHeld(dividend, deleted), plain).args[3] == NOT_VERIFIED_TEXT
    assert actions.heldWei(dividend, deleted).call() == 200 * HKD


def test_redemption_is_withheld_from_a_frozen_or_unverified_holder(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("short bond issuer", fund_wei=10**22)
    agent = chain.new_address("short bond agent", fund_wei=10**21)
    frozen, expired, plain = (chain.new_address(f"bond holder {n}", fund_wei=10**21) for n in
                              ("frozen", "expired", "plain"))
    rwa.register([frozen, plain])
    rwa.register([expired], kyc_expiry=chain.now() + 20)
    maturity = chain.now() + 30
    token = rwa.create_asset(issuer=issuer, agents=[agent], name="Thirty-second note", symbol="TSN",
                             asset_class=GREEN_BOND, decimals=0, bond=(HKD, 0, 0, maturity, []))
    t, actions = token.functions, rwa.actions.functions
    chain.send(t.batchMint([frozen, expired, plain], [10, 20, 30]), agent)
    chain.send(t.setAddressFrozen(frozen, True), agent)
    chain.send(actions.fundRedemption(token.address), issuer, value=60 * HKD)
    chain.advance(maturity - chain.now())

    for holder, text in ((frozen, FROZEN_TEXT), (expired, NOT_VERIFIED_TEXT)):
        revert = chain.expect_revert(actions.redeem(token.address), holder)
        assert (revert.name, revert.args) == ("RedemptionWithheld", (token.address, holder, holder, text))
    assert tuple(actions.redemption(token.address).call()) == (60 * HKD, 0, 0)
    before = {h: chain.balance(h) for h in (frozen, expired, plain)}
    chain.send(actions.redeemFor(token.address, [frozen, expired, plain]), agent)
    assert {h: chain.balance(h) - before[h] for h in before} == {frozen: 0, expired: 0, plain: 30 * HKD}
    assert (t.balanceOf(frozen).call(), t.balanceOf(expired).call(), t.balanceOf(plain).call()) == (10, 20, 0)
