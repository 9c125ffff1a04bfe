"""Holds (issue 17, features): escrowed, expiring reservations of an investor's tokens that only
the hold's notary (a venue, a settlement agent) executes, to the recipient named when the hold was
made and through the asset's checks; anyone frees them after expiry. Held tokens stay in the
balance (and in record-date snapshots) but cannot move, be burnt, force-transferred or recovered
away. Every refusal leaves balances, holds and frozen amounts as they were.

Hold ids are namespaced by their creator: the hold a creator makes with its own id `u` is kept
under `keccak256(abi.encode(creator, u))` (`holdIdOf`), so the same `u` used by someone else is
another hold, never a `HoldExists` for the first creator."""

from __future__ import annotations

from typing import Any

import pytest
from eth_abi import encode as abi_encode
from eth_utils import keccak

from tests.rwa.rwa_chain import AGRICULTURAL, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

ACTIVE, EXECUTED, RELEASED = 1, 2, 3  # HoldStatus
BALANCE_FROZEN, RECEIVER_FROZEN = 5, 3  # TransferCodes


def namespaced(creator: str, user_hold_id: bytes) -> bytes:
    """The id a token keeps a hold under, computed here from its definition."""
    return keccak(abi_encode(["address", "bytes32"], [creator, user_hold_id]))


@pytest.fixture
def held(chain: Chain, rwa: RWASystem) -> dict[str, Any]:
    issuer = chain.new_address("hold issuer", fund_wei=10**21)
    seller, buyer = (chain.new_address(f"hold {who}", fund_wei=10**21) for who in ("seller", "buyer"))
    notary = chain.new_address("hold notary (a venue)", fund_wei=10**21)
    rwa.register([seller, buyer])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Sheung Shui Lychee Receivable", symbol="SSLY",
                             asset_class=AGRICULTURAL, decimals=0)
    chain.send(token.functions.mint(seller, 1_000), issuer)
    user_hold_id = keccak(text=f"trade {token.address} 1")
    hold_id = namespaced(seller, user_hold_id)
    assert token.functions.holdIdOf(seller, user_hold_id).call() == hold_id
    expiry = chain.now() + 3_600
    receipt = chain.send(token.functions.createHold(user_hold_id, notary, buyer, 600, expiry), seller)
    assert events(token, "HoldCreated", receipt) == [
        {"holdId": hold_id, "holder": seller, "notary": notary, "recipient": buyer, "amount": 600, "expiry": expiry}
    ]
    return {"token": token, "issuer": issuer, "seller": seller, "buyer": buyer, "notary": notary, "id": hold_id,
            "user_id": user_hold_id, "expiry": expiry}


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
    revert = chain.expect_revert(t.createHold(held["user_id"], held["notary"], buyer, 1, held["expiry"]), seller)
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
    user_hold_id = keccak(text=f"short {token.address}")
    hold_id = namespaced(seller, user_hold_id)
    expiry = chain.now() + 5
    chain.send(t.createHold(user_hold_id, notary, buyer, 50, expiry), seller)
    chain.advance(10)
    revert = chain.expect_revert(t.executeHold(hold_id), notary)
    assert (revert.name, revert.args) == ("HoldExpired", (hold_id, expiry))
    assert (t.balanceOf(seller).call(), t.heldBalanceOf(seller).call()) == (50, 50)
    receipt = chain.send(t.releaseHold(hold_id), anyone)
    assert events(token, "HoldReleased", receipt) == [{"holdId": hold_id, "by": anyone, "amount": 50}]
    assert (t.heldBalanceOf(seller).call(), t.holdOf(hold_id).call()[5]) == (0, RELEASED)
    chain.send(t.transfer(buyer, 50), seller)
    assert t.balanceOf(buyer).call() == 50


def test_a_creators_hold_id_is_out_of_anyone_elses_reach(chain: Chain, held: dict[str, Any]) -> None:
    """Another holder creating a hold with the seller's id makes its own hold (under its own
    namespaced id) and leaves the seller's untouched; the seller's next id is still free to it."""
    token, seller, buyer, notary = held["token"], held["seller"], held["buyer"], held["notary"]
    t = token.functions
    chain.send(t.transfer(buyer, 100), seller)
    before = _state(held)
    receipt = chain.send(t.createHold(held["user_id"], notary, seller, 100, held["expiry"]), buyer)
    buyer_hold = namespaced(buyer, held["user_id"])
    assert buyer_hold != held["id"]
    assert [e["holdId"] for e in events(token, "HoldCreated", receipt)] == [buyer_hold]
    assert t.holdOf(buyer_hold).call() == [buyer, notary, seller, 100, held["expiry"], ACTIVE]
    assert _state(held) == before and t.heldBalanceOf(buyer).call() == 100
    # The seller's own ids stay the seller's: a new one is free, and its first one still executes.
    next_id = keccak(text="seller's next")
    chain.send(t.createHold(next_id, notary, buyer, 100, held["expiry"]), seller)
    assert t.holdOf(namespaced(seller, next_id)).call()[0] == seller
    chain.send(t.executeHold(held["id"]), notary)
    assert t.holdOf(held["id"]).call()[5] == EXECUTED and t.holdOf(buyer_hold).call()[5] == ACTIVE
