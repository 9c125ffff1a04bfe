"""Bilateral / RFQ trades of the alliance market: a trade arranged at a licensed venue settles
through `SettlementEngine.settleAtVenue`, signed by both parties for that venue (EIP-712
`VenueTrade(venue, trade)`, rwa/trade.py) and tagged `VenueTradeSettled(tradeId, venue, asset)`.

Each refusal names its error and moves nothing: a submitter that is not an active venue (never
registered, or suspended), a venue the issuer has not allowed for the asset, signatures given for
another venue, a plain trade's signatures, and a second settlement of the same trade."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from web3.contract import Contract

from genesis.predeploys import RWA_PREDEPLOYS
from rwa.client import RWAClient
from rwa.market_client import AllianceMarket
from rwa.trade import Trade, sign_trade, sign_venue_trade, venue_trade_id
from rwa.types import NATIVE_HKD
from tests.rwa.rwa_chain import HK_STOCK, HKD, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

SHARES = 1_000
PRICE_WEI = 100 * HKD  # per share
ACTIVE, SUSPENDED = 1, 2  # VenueRegistry.VenueStatus


@dataclass
class Desk:
    chain: Chain
    engine: Contract
    registry: Contract
    token: Contract
    seller: LocalAccount
    buyer: LocalAccount
    allowed: list[LocalAccount]  # two venues the issuer allows for the stock
    not_allowed: LocalAccount  # a registered venue the issuer has not allowed
    salt: Any

    def trade(self, shares: int = 10) -> Trade:
        return Trade(self.seller.address, self.buyer.address, self.token.address, shares, NATIVE_HKD,
                     shares * PRICE_WEI, self.chain.now() + 3_600, next(self.salt))

    def signatures(self, trade: Trade, venue: str) -> tuple[bytes, bytes]:
        chain_id, engine = self.chain.w3.eth.chain_id, self.engine.address
        return (sign_venue_trade(trade, venue, self.seller.key, chain_id, engine),
                sign_venue_trade(trade, venue, self.buyer.key, chain_id, engine))

    def state(self) -> tuple[int, ...]:
        t, e = self.token.functions, self.engine.functions
        return (t.balanceOf(self.seller.address).call(), t.balanceOf(self.buyer.address).call(),
                e.escrowOf(self.seller.address).call(), e.escrowOf(self.buyer.address).call(), self.chain.balance(self.engine.address))


@pytest.fixture(scope="module")
def desk(chain: Chain, rwa: RWASystem) -> Iterator[Desk]:
    registry = chain.at("VenueRegistry", "0x" + RWA_PREDEPLOYS["VenueRegistry"].hex())
    venues = [chain.new_account(f"rfq venue {n}") for n in range(3)]
    for n, venue in enumerate(venues):
        chain.send(registry.functions.registerVenue(venue.address, f"RFQ venue {n}", f"SFC CE RFQ{n:03d}", venue.address, 10), rwa.operator)
    issuer = chain.new_address("rfq issuer", fund_wei=10**21)
    seller, buyer = chain.new_account("rfq seller"), chain.new_account("rfq buyer", fund_wei=10**24)
    rwa.register([seller.address, buyer.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Tokenized 0700", symbol="0700.HK", asset_class=HK_STOCK, decimals=0)
    chain.send(token.functions.mint(seller.address, SHARES), issuer)
    chain.send(rwa.compliance.functions.setVenuesAllowed(token.address, [venues[0].address, venues[1].address], True), issuer)
    chain.send(token.functions.approve(rwa.engine.address, 2**256 - 1), seller.address)
    chain.send(rwa.engine.functions.deposit(), buyer.address, value=10**5 * HKD)
    yield Desk(chain, rwa.engine, registry, token, seller, buyer, venues[:2], venues[2], iter(range(1, 10**9)))
    # The engine's HKD is the session's to share (test_rwa_dvp counts it): take ours back out.
    for party in (seller, buyer):
        left = rwa.engine.functions.escrowOf(party.address).call()
        if left:
            chain.send(rwa.engine.functions.withdraw(left), party.address)


def test_a_trade_at_a_venue_settles_and_is_tagged(desk: Desk) -> None:
    trade = desk.trade(25)
    venue = desk.allowed[0]
    before = desk.state()
    receipt = desk.chain.send(desk.engine.functions.settleAtVenue(trade.as_tuple(), *desk.signatures(trade, venue.address)), venue.address)
    trade_id = venue_trade_id(trade, venue.address, desk.chain.w3.eth.chain_id, desk.engine.address)
    assert trade_id == desk.engine.functions.venueTradeId(trade.as_tuple(), venue.address).call()
    (tagged,) = events(desk.engine, "VenueTradeSettled", receipt)
    assert (tagged["tradeId"], tagged["venue"], tagged["asset"]) == (trade_id, venue.address, desk.token.address)
    (settled,) = events(desk.engine, "TradeSettled", receipt)
    assert settled["tradeId"] == trade_id
    cash = 25 * PRICE_WEI
    assert desk.state() == (before[0] - 25, before[1] + 25, before[2] + cash, before[3] - cash, before[4])
    assert desk.engine.functions.tradeStatus(trade_id).call() == 1  # Settled
    # The same trade again: refused, nothing moves.
    after = desk.state()
    revert = desk.chain.expect_revert(desk.engine.functions.settleAtVenue(trade.as_tuple(), *desk.signatures(trade, venue.address)), venue.address)
    assert (revert.name, revert.args) == ("TradeAlreadySettled", (trade_id,))
    assert desk.state() == after


def test_only_an_active_allowed_venue_settles(desk: Desk) -> None:
    trade = desk.trade()
    stranger = desk.chain.new_account("not a venue")
    before = desk.state()
    call = desk.engine.functions.settleAtVenue(trade.as_tuple(), *desk.signatures(trade, stranger.address))
    revert = desk.chain.expect_revert(call, stranger.address)
    assert (revert.name, revert.args) == ("NotActiveVenue", (stranger.address,))
    outsider = desk.not_allowed
    call = desk.engine.functions.settleAtVenue(trade.as_tuple(), *desk.signatures(trade, outsider.address))
    revert = desk.chain.expect_revert(call, outsider.address)
    assert (revert.name, revert.args) == ("VenueNotAllowed", (desk.token.address, outsider.address))
    # A suspended venue settles nothing until the alliance owner reactivates it.
    venue = desk.allowed[1]
    owner = desk.registry.functions.owner().call()
    desk.chain.send(desk.registry.functions.setVenueStatus(venue.address, SUSPENDED), owner)
    call = desk.engine.functions.settleAtVenue(trade.as_tuple(), *desk.signatures(trade, venue.address))
    assert desk.chain.expect_revert(call, venue.address).name == "NotActiveVenue"
    desk.chain.send(desk.registry.functions.setVenueStatus(venue.address, ACTIVE), owner)
    assert desk.state() == before


def test_signatures_bind_the_venue(desk: Desk) -> None:
    trade = desk.trade()
    first, second = desk.allowed
    chain_id, engine = desk.chain.w3.eth.chain_id, desk.engine.address
    before = desk.state()
    # Signed for the first venue, submitted by the second: not what the parties agreed.
    call = desk.engine.functions.settleAtVenue(trade.as_tuple(), *desk.signatures(trade, first.address))
    revert = desk.chain.expect_revert(call, second.address)
    assert (revert.name, revert.args) == ("InvalidSignature", (venue_trade_id(trade, second.address, chain_id, engine), desk.seller.address))
    # A plain bilateral trade's signatures do not settle it under a venue.
    plain = (sign_trade(trade, desk.seller.key, chain_id, engine), sign_trade(trade, desk.buyer.key, chain_id, engine))
    revert = desk.chain.expect_revert(desk.engine.functions.settleAtVenue(trade.as_tuple(), *plain), first.address)
    assert revert.name == "InvalidSignature"
    assert desk.state() == before
    # Signed for the first venue and submitted by it (through the SDK): settles.
    receipt = AllianceMarket(RWAClient(desk.chain.w3, first)).settle_at_venue(trade, *desk.signatures(trade, first.address))
    (tagged,) = events(desk.engine, "VenueTradeSettled", receipt)
    assert tagged["venue"] == first.address
    assert desk.state()[1] == before[1] + trade.asset_amount
