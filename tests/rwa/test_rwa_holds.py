"""Holds (issue 17, features): escrowed, expiring reservations of an investor's tokens that only
the hold's notary (a venue, a settlement agent) executes, to the recipient named when the hold was
made and through the asset's checks; anyone frees them after expiry. Held tokens stay in the
balance (and in record-date snapshots) but cannot move, be burnt, force-transferred or recovered
away. Every refusal leaves balances, holds and frozen amounts as they were."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from tests.rwa.rwa_chain import AGRICULTURAL, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

ACTIVE, EXECUTED, RELEASED = 1, 2, 3  # HoldStatus
BALANCE_FROZEN, RECEIVER_FROZEN = 5, 3  # TransferCodes


@pytest.fixture
def held(chain: Chain, rwa: RWASystem) -> dict[str, Any]:
    issuer = chain.new_address("hold issuer", fund_wei=10**21)
    seller, buyer = (chain.new_address(f"hold {who}", fund_wei=10**21) for who in ("seller", "buyer"))
    notary = chain.new_address("hold notary (a venue)", fund_wei=10**21)
    rwa.register([seller, buyer])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Sheung Shui Lychee Receivable", symbol="SSLY",
                             asset_class=AGRICULTURAL, decimals=0)
    chain.send(token.functions.mint(seller, 1_000), issuer)
    hold_id = keccak(text=f"trade {token.address} 1")
    expiry = chain.now() + 3_600
    receipt = chain.send(token.functions.createHold(hold_id, notary, buyer, 600, expiry), seller)
    assert events(token, "HoldCreated", receipt) == [
        {"holdId": hold_id, "holder": seller, "notary": notary, "recipient": buyer, "amount": 600, "expiry": expiry}
    ]
    return {"token": token, "issuer": issuer, "seller": seller, "buyer": buyer, "notary": notary, "id": hold_id,
            "expiry": expiry}


def _state(h: dict[str, Any]) -> tuple[Any, ...]:
    t = h["token"].functions
    return (t.balanceOf(h["seller"]).call(), t.balanceOf(h["buyer"]).call(), t.heldBalanceOf(h["seller"]).call(),
            t.frozenTokens(h["seller"]).call(), tuple(t.holdOf(h["id"]).call()))


def test_held_tokens_stay_in_the_balance_but_do_not_move(chain: Chain, held: dict[str, Any]) -> None:
    t, seller, buyer = held["token"].functions, held["seller"], held["buyer"]
    assert (t.balanceOf(seller).call(), t.heldBalanceOf(seller).call(), t.frozenTokens(seller).call()) == (1_000, 600, 0)
    assert t.holdOf(held["id"]).call() == [seller, held["notary"], buyer, 600, held["expiry"], ACTIVE]
    before = _state(held)
    revert = chain.expect_revert(t.transfer(buyer, 401), seller)
    assert (revert.name, revert.args[0]) == ("TransferNotCompliant", BALANCE_FROZEN)
    assert not t.canTransfer(seller, buyer, 401).call()
    # The holder cannot hold the same tokens twice, nor reuse an id.
    revert = chain.expect_revert(t.createHold(keccak(text="second"), held["notary"], buyer, 401, held["expiry"]), seller)
    assert (revert.name, revert.args) == ("ERC7943InsufficientUnfrozenBalance", (seller, 401, 400))
    revert = chain.expect_revert(t.createHold(held["id"], held["notary"], buyer, 1, held["expiry"]), seller)
    assert (revert.name, revert.args) == ("HoldExists", (held["id"],))
    revert = chain.expect_revert(t.createHold(keccak(text="late"), held["notary"], buyer, 1, chain.now() - 1), seller)
    assert revert.name == "InvalidHold"
    # Agents cannot take held tokens either: burn, forced transfer.
    revert = chain.expect_revert(t.burn(seller, 401), held["issuer"])
    assert (revert.name, revert.args) == ("TokensOnHold", (seller, 600))
    revert = chain.expect_revert(t.forcedTransfer(seller, buyer, 401, "order 1"), held["issuer"])
    assert revert.name == "TokensOnHold"
    assert _state(held) == before
    chain.send(t.transfer(buyer, 400), seller)  # the free part moves
    assert (t.balanceOf(seller).call(), t.balanceOf(buyer).call()) == (600, 400)


def test_agent_freeze_stacks_on_a_hold(chain: Chain, held: dict[str, Any]) -> None:
    t, seller, issuer = held["token"].functions, held["seller"], held["issuer"]
    receipt = chain.send(t.setFrozenTokens(seller, 300), issuer)
    assert events(held["token"], "Frozen", receipt) == [{"account": seller, "amount": 300}]
    assert (t.frozenTokens(seller).call(), t.heldBalanceOf(seller).call()) == (300, 600)
    assert chain.expect_revert(t.transfer(held["buyer"], 101), seller).args[0] == BALANCE_FROZEN
    chain.send(t.transfer(held["buyer"], 100), seller)
    # Unfreezing releases the agents' part only; the hold stays.
    chain.send(t.setFrozenTokens(seller, 0), issuer)
    assert (t.frozenTokens(seller).call(), t.heldBalanceOf(seller).call(), t.balanceOf(seller).call()) == (0, 600, 900)


def test_only_the_notary_executes_to_the_named_recipient(chain: Chain, held: dict[str, Any]) -> None:
    token, seller, buyer, notary = held["token"], held["seller"], held["buyer"], held["notary"]
    t = token.functions
    before = _state(held)
    for caller in (seller, buyer):
        revert = chain.expect_revert(t.executeHold(held["id"]), caller)
        assert (revert.name, revert.args) == ("NotHoldNotary", (held["id"], caller))
    revert = chain.expect_revert(t.releaseHold(held["id"]), seller)  # not expired: the seller cannot back out
    assert (revert.name, revert.args) == ("HoldNotExpired", (held["id"], held["expiry"]))
    # The execution is a transfer by the holder: a frozen recipient refuses it, and the hold stays.
    chain.send(t.setAddressFrozen(buyer, True), held["issuer"])
    revert = chain.expect_revert(t.executeHold(held["id"]), notary)
    assert (revert.name, revert.args[0]) == ("TransferNotCompliant", RECEIVER_FROZEN)
    assert _state(held) == before
    chain.send(t.setAddressFrozen(buyer, False), held["issuer"])

    receipt = chain.send(t.executeHold(held["id"]), notary)
    assert events(token, "HoldExecuted", receipt) == [{"holdId": held["id"], "notary": notary, "amount": 600}]
    assert events(token, "Transfer", receipt) == [{"from": seller, "to": buyer, "value": 600}]
    assert _state(held)[:4] == (400, 600, 0, 0) and t.holdOf(held["id"]).call()[5] == EXECUTED
    revert = chain.expect_revert(t.executeHold(held["id"]), notary)
    assert (revert.name, revert.args) == ("HoldNotActive", (held["id"], EXECUTED))


def test_an_expired_hold_is_freed_by_anyone_and_cannot_execute(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("short hold issuer", fund_wei=10**21)
    seller, buyer, notary, anyone = (chain.new_address(f"short hold {i}", fund_wei=10**21) for i in range(4))
    rwa.register([seller, buyer])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Short Hold Co", symbol="SHC",
                             asset_class=AGRICULTURAL, decimals=0)
    t = token.functions
    chain.send(t.mint(seller, 50), issuer)
    hold_id = keccak(text=f"short {token.address}")
    expiry = chain.now() + 5
    chain.send(t.createHold(hold_id, notary, buyer, 50, expiry), seller)
    chain.advance(10)
    revert = chain.expect_revert(t.executeHold(hold_id), notary)
    assert (revert.name, revert.args) == ("HoldExpired", (hold_id, expiry))
    assert (t.balanceOf(seller).call(), t.heldBalanceOf(seller).call()) == (50, 50)
    receipt = chain.send(t.releaseHold(hold_id), anyone)
    assert events(token, "HoldReleased", receipt) == [{"holdId": hold_id, "by": anyone, "amount": 50}]
    assert (t.heldBalanceOf(seller).call(), t.holdOf(hold_id).call()[5]) == (0, RELEASED)
    chain.send(t.transfer(buyer, 50), seller)
    assert t.balanceOf(buyer).call() == 50
