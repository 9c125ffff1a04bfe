"""The alliance market on the L2 node: venues (VenueRegistry), venue filtering (Compliance) and the
uniform-price call auction (CallAuction) settling a tokenized HK stock against native HKD.

Random order books (hypothesis) spread over three venues settle on chain exactly as the Python
matching rule (`rwa.auction`) computes: every trader's shares and HKD escrow move by the rule's
fills at the rule's price, minus / plus each venue's fee, and shares and HKD are conserved (the
auction's HKD balance is the sum of its escrows). Each refusal (an uncommitted or late order, a
non-KYC'd or venue-disallowed investor, a price outside the band, a limit violated, an overfill,
a bad signature, an expired order, a lying matcher) names its error and leaves every balance and
the auction as they were. A contract wallet trades with an ERC-1271 signature."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from web3.contract import Contract

from genesis.predeploys import RWA_PREDEPLOYS
from rwa.auction import Side
from rwa.market_client import AllianceMarket
from rwa.client import RWAClient
from rwa.market import Book, MatcherResultMismatch, Order, SignedOrder, book_root, settlement, sign_order, verify_settlement
from tests.rwa.rwa_chain import HK_STOCK, HKD, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

REFERENCE = 100 * HKD  # HK$100 a share, the PriceFeed price
FEES_BPS = (10, 20, 30)
TRADERS = 6
SHARES_EACH = 10_000
ESCROW_EACH = 10_000_000 * HKD
SETTLE_GAS = 20_000_000


@dataclass(repr=False)
class Market:
    chain: Chain
    rwa: RWASystem
    venues: Contract
    auction: Contract
    token: Contract
    issuer: str
    venue_keys: list[LocalAccount]
    fee_recipients: list[str]
    traders: list[LocalAccount]
    salts: Any = field(default_factory=lambda: iter(range(1, 10**9)))

    def open(self, seconds: int = 20) -> tuple[int, int]:
        cutoff = self.chain.now() + seconds
        receipt = self.chain.send(self.auction.functions.openAuction(self.token.address, cutoff), self.venue_keys[0].address)
        return events(self.auction, "AuctionOpened", receipt)[0]["auctionId"], cutoff

    def order(self, auction_id: int, trader: LocalAccount, side: Side, amount: int, limit_hkd: int, venue: int, *, expiry: int | None = None) -> SignedOrder:
        order = Order(
            trader=trader.address,
            asset=self.token.address,
            venue=self.venue_keys[venue].address,
            auction_id=auction_id,
            side=side,
            amount=amount,
            limit_price=limit_hkd * HKD,
            placed_at=next(self.salts),
            expiry=expiry if expiry is not None else self.chain.now() + 3_600,
            salt=next(self.salts),
        )
        return sign_order(order, trader.key, self.chain.w3.eth.chain_id, self.auction.address)

    def commit(self, auction_id: int, books: dict[str, list[SignedOrder]]) -> None:
        for venue, book in books.items():
            if book:
                call = self.auction.functions.commitBook(auction_id, book_root([s.order_id for s in book]))
                self.chain.send(call, venue)

    def close(self, cutoff: int) -> None:
        self.chain.advance(max(0, cutoff - self.chain.now()))

    def snapshot(self) -> tuple[Any, ...]:
        people = [t.address for t in self.traders] + self.fee_recipients
        f = self.auction.functions
        return (
            tuple(self.token.functions.balanceOf(p).call() for p in people),
            tuple(f.escrowOf(p).call() for p in people),
            self.chain.balance(self.auction.address),
            f.auctionCount().call(),
        )


@pytest.fixture(scope="module")
def market(chain: Chain, rwa: RWASystem) -> Market:
    venues = chain.at("VenueRegistry", "0x" + RWA_PREDEPLOYS["VenueRegistry"].hex())
    auction = chain.at("CallAuction", "0x" + RWA_PREDEPLOYS["CallAuction"].hex())
    venue_keys = [chain.new_account(f"venue {n}") for n in range(3)]
    fee_recipients = [chain.new_address(f"venue fees {n}") for n in range(3)]
    for n, (venue, fee) in enumerate(zip(venue_keys, FEES_BPS)):
        call = venues.functions.registerVenue(venue.address, f"Venue {n}", f"SFC CE AAA{n:03d}", fee_recipients[n], fee)
        chain.send(call, rwa.operator)
    issuer = chain.new_address("listed company", fund_wei=10**24)
    registrar = chain.new_address("share registrar", fund_wei=10**21)
    traders = [chain.new_account(f"trader {n}", fund_wei=ESCROW_EACH + 10**21) for n in range(TRADERS)]
    rwa.register([t.address for t in traders])
    token = rwa.create_asset(issuer=issuer, agents=[registrar], name="HSBC (tokenized)", symbol="0005.HK", asset_class=HK_STOCK, decimals=0)
    chain.send(token.functions.batchMint([t.address for t in traders], [SHARES_EACH] * TRADERS), registrar)
    chain.send(rwa.compliance.functions.setVenuesAllowed(token.address, [v.address for v in venue_keys], True), issuer)
    chain.send(rwa.price_feed.functions.setReporter(token.address, rwa.operator, True), rwa.operator)
    chain.send(rwa.price_feed.functions.submitPrice(token.address, REFERENCE, chain.now()), rwa.operator)
    for trader in traders:
        chain.send(token.functions.approve(auction.address, 2**256 - 1), trader.address)
        chain.send(auction.functions.deposit(), trader.address, value=ESCROW_EACH)
    return Market(chain, rwa, venues, auction, token, issuer, venue_keys, fee_recipients, traders)


def expected_after(market: Market, before: tuple[Any, ...], plan: Any) -> tuple[Any, ...]:
    """The snapshot the rule's fills should leave: shares, escrows with fees, HKD unchanged."""
    people = [t.address for t in market.traders] + market.fee_recipients
    shares, escrow = list(before[0]), list(before[1])
    price = plan.result.price
    for signed, amount, _ in plan.fills:
        o = signed.order
        who = people.index(o.trader)
        venue = [v.address for v in market.venue_keys].index(o.venue)
        cash = amount * price  # 0 decimals: one share per unit
        fee = cash * FEES_BPS[venue] // 10_000
        if o.side is Side.BUY:
            shares[who] += amount
            escrow[who] -= cash + fee
        else:
            shares[who] -= amount
            escrow[who] += cash - fee
        escrow[len(market.traders) + venue] += fee
    return tuple(shares), tuple(escrow), before[2], before[3]


order_rows = st.lists(
    st.tuples(st.integers(0, TRADERS - 1), st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 60), st.integers(95, 105), st.integers(0, 2)),
    min_size=2,
    max_size=14,
)


@settings(max_examples=8, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=order_rows)
def test_random_books_settle_as_the_python_rule(market: Market, rows: list[tuple[int, Side, int, int, int]]) -> None:
    chain, f = market.chain, market.auction.functions
    auction_id, cutoff = market.open()
    books: dict[str, list[SignedOrder]] = {v.address: [] for v in market.venue_keys}
    for trader, side, amount, limit, venue in rows:
        books[market.venue_keys[venue].address].append(market.order(auction_id, market.traders[trader], side, amount, limit, venue))
    market.commit(auction_id, books)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    before = market.snapshot()
    matcher = market.venue_keys[1].address
    if plan.result.volume == 0:
        assert chain.revert_of(f.settle(auction_id, REFERENCE, []), matcher).name == "NothingToSettle"
        return
    receipt = chain.send(f.settle(auction_id, plan.result.price, plan.settle_args()), matcher, gas=SETTLE_GAS)
    (settled,) = events(market.auction, "AuctionSettled", receipt)
    assert (settled["price"], settled["volume"]) == (plan.result.price, plan.result.volume)
    after = market.snapshot()
    assert after == expected_after(market, before, plan)
    assert sum(after[0]) == sum(before[0]) == TRADERS * SHARES_EACH  # shares conserved
    assert after[2] == before[2] and sum(after[1]) == sum(before[1])  # HKD conserved in the escrow
    assert f.auctionOf(auction_id).call()[2] == 2  # Settled
    venue_books = [Book(chain.w3.eth.chain_id, market.auction.address, auction_id, v, tuple(o)) for v, o in books.items() if o]
    AllianceMarket(RWAClient(chain.w3)).audit(venue_books)  # the honest result passes every venue's audit
    # Every fill within its limit (the rule's and the contract's check agree).
    for signed, _, _ in plan.fills:
        o = signed.order
        assert o.limit_price >= plan.result.price if o.side is Side.BUY else o.limit_price <= plan.result.price


def _crossing_auction(market: Market, *, buyer: LocalAccount | None = None) -> tuple[int, dict[str, list[SignedOrder]], int]:
    """An auction with a buy of 10 at HK$101 (venue 0) and a sell of 10 at HK$99 (venue 1), committed."""
    auction_id, cutoff = market.open()
    buy = market.order(auction_id, buyer or market.traders[0], Side.BUY, 10, 101, 0)
    sell = market.order(auction_id, market.traders[1], Side.SELL, 10, 99, 1)
    books = {market.venue_keys[0].address: [buy], market.venue_keys[1].address: [sell]}
    market.commit(auction_id, books)
    return auction_id, books, cutoff


def _refused(market: Market, auction_id: int, price: int, fills: list[Any], error: str) -> None:
    before = market.snapshot()
    revert = market.chain.expect_revert(market.auction.functions.settle(auction_id, price, fills), market.venue_keys[2].address)
    assert revert.name == error, revert
    assert market.snapshot() == before
    assert market.auction.functions.auctionOf(auction_id).call()[2] == 1  # still Open


def test_uncommitted_and_late_orders_are_refused(market: Market) -> None:
    auction_id, books, cutoff = _crossing_auction(market)
    # Added by the matcher after the cut-off, in no committed book.
    extra = market.order(auction_id, market.traders[2], Side.SELL, 5, 95, 0)
    market.close(cutoff)
    late = market.auction.functions.commitBook(auction_id, book_root([extra.order_id]))
    assert market.chain.expect_revert(late, market.venue_keys[0].address).name == "AuctionClosed"
    plan = settlement(books, REFERENCE)
    args = plan.settle_args()
    forged = [(extra.order.as_tuple(), 5, extra.signature, args[0][3]), *args]
    _refused(market, auction_id, plan.result.price, forged, "OrderNotCommitted")
    # A book from a venue that never committed.
    other = replace(extra.order, venue=market.venue_keys[2].address)
    signed = sign_order(other, market.traders[2].key, market.chain.w3.eth.chain_id, market.auction.address)
    _refused(market, auction_id, plan.result.price, [*args, (other.as_tuple(), 5, signed.signature, [])], "BookNotCommitted")
    # The honest result still settles afterwards.
    market.chain.send(market.auction.functions.settle(auction_id, plan.result.price, args), market.venue_keys[2].address, gas=SETTLE_GAS)


def test_non_kyc_and_disallowed_venue_are_refused(chain: Chain, market: Market) -> None:
    outsider = chain.new_account("no KYC", fund_wei=10**24)
    chain.send(market.auction.functions.deposit(), outsider.address, value=10**21)
    market.traders.append(outsider)  # in the snapshot too
    try:
        auction_id, books, cutoff = _crossing_auction(market, buyer=outsider)
        market.close(cutoff)
        plan = settlement(books, REFERENCE)
        before = market.snapshot()
        revert = chain.expect_revert(market.auction.functions.settle(auction_id, plan.result.price, plan.settle_args()), market.venue_keys[2].address)
        assert (revert.name, revert.args[0]) == ("TransferNotCompliant", 7)  # receiver not KYC verified
        assert market.snapshot() == before
    finally:
        market.traders.pop()
    # The issuer withdraws venue 1 after it committed: its orders no longer settle; nor can a
    # disallowed venue commit or open.
    auction_id, books, cutoff = _crossing_auction(market)
    venue1 = market.venue_keys[1].address
    chain.send(market.rwa.compliance.functions.setVenuesAllowed(market.token.address, [venue1], False), market.issuer)
    try:
        assert chain.expect_revert(market.auction.functions.commitBook(auction_id, b"\x01" * 32), venue1).name == "VenueNotAllowed"
        market.close(cutoff)
        plan = settlement(books, REFERENCE)
        _refused(market, auction_id, plan.result.price, plan.settle_args(), "VenueNotAllowed")
    finally:
        chain.send(market.rwa.compliance.functions.setVenuesAllowed(market.token.address, [venue1], True), market.issuer)


def test_a_lying_matcher_is_refused_by_the_band_and_by_recomputation(market: Market) -> None:
    auction_id, books, cutoff = _crossing_auction(market)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    assert plan.result.price == 99 * HKD  # equal volume at 99 and 101: closer to 100... the lower
    args = plan.settle_args()
    # Outside the 10% band around the PriceFeed price, even with orders that would accept it.
    _refused(market, auction_id, 120 * HKD, args, "PriceOutsideBand")
    # Inside the band but beyond the buyer's limit.
    _refused(market, auction_id, 102 * HKD, args, "LimitViolated")
    # Inside both limits but not the rule's price: the contract cannot see the other books'
    # alternatives, every venue's recomputation does.
    with pytest.raises(MatcherResultMismatch, match="clearing price"):
        verify_settlement(books, REFERENCE, 100 * HKD, {s.order_id: a for s, a, _ in plan.fills})
    with pytest.raises(MatcherResultMismatch, match="fills"):
        verify_settlement(books, REFERENCE, 99 * HKD, {s.order_id: a - 1 for s, a, _ in plan.fills})
    verify_settlement(books, REFERENCE, 99 * HKD, {s.order_id: a for s, a, _ in plan.fills})
    # Such a lie settles (both limits hold, inside the band); the audit of the settled auction
    # against the committed books names it, which is what a venue disputes with.
    market.chain.send(market.auction.functions.settle(auction_id, 100 * HKD, args), market.venue_keys[2].address, gas=SETTLE_GAS)
    auditor = AllianceMarket(RWAClient(market.chain.w3))
    venue_books = [Book(market.chain.w3.eth.chain_id, market.auction.address, auction_id, venue, tuple(orders)) for venue, orders in books.items()]
    with pytest.raises(MatcherResultMismatch, match="clearing price"):
        auditor.audit(venue_books)


def test_tampered_fills_are_refused(chain: Chain, market: Market) -> None:
    auction_id, books, cutoff = _crossing_auction(market)
    plan = settlement(books, REFERENCE)
    price, (buy, sell) = plan.result.price, plan.settle_args()
    _refused(market, auction_id, price, [buy, sell], "AuctionNotClosed")
    market.close(cutoff)
    _refused(market, auction_id, price, [(buy[0], 11, *buy[2:]), (sell[0], 11, *sell[2:])], "Overfill")
    _refused(market, auction_id, price, [buy, sell, sell], "OrderFilledTwice")
    _refused(market, auction_id, price, [(buy[0], 5, *buy[2:]), sell], "VolumeMismatch")
    _refused(market, auction_id, price, [(buy[0], buy[1], sell[2], buy[3]), sell], "InvalidOrderSignature")
    # Expired: a fresh auction whose buy order expires right at the cut-off's block.
    auction_id, cutoff = market.open()
    short = market.order(auction_id, market.traders[0], Side.BUY, 10, 101, 0, expiry=cutoff - 1)
    sell2 = market.order(auction_id, market.traders[1], Side.SELL, 10, 99, 1)
    books = {market.venue_keys[0].address: [short], market.venue_keys[1].address: [sell2]}
    market.commit(auction_id, books)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    _refused(market, auction_id, plan.result.price, plan.settle_args(), "OrderExpired")
    # Only an active venue matches.
    stranger = chain.new_address("not a venue", fund_wei=10**21)
    assert chain.revert_of(market.auction.functions.settle(auction_id, plan.result.price, plan.settle_args()), stranger).name == "NotActiveVenue"


def test_venue_registry_is_governed_by_the_alliance_owner(chain: Chain, market: Market) -> None:
    v = market.venues.functions
    venue = market.venue_keys[0].address
    assert tuple(v.venue(venue).call())[:3] == (market.fee_recipients[0], FEES_BPS[0], 1)  # Active
    assert chain.revert_of(v.setVenueStatus(venue, 2), venue).name == "NotOwner"
    assert chain.revert_of(v.setVenueFee(venue, venue, 101), market.rwa.operator).name == "FeeTooHigh"
    assert chain.revert_of(v.registerVenue(venue, "x", "y", venue, 1), market.rwa.operator).name == "VenueAlreadyRegistered"
    assert chain.revert_of(market.rwa.compliance.functions.setVenuesAllowed(market.token.address, [venue], False), venue).name == "NotAssetOwner"


def test_a_contract_wallet_trades_with_an_erc1271_signature(chain: Chain, market: Market) -> None:
    """A KYC'd contract wallet (ERC-1271: its owner's key signs for it) buys in an auction; a
    signature by another key is refused with nothing moved."""
    owner = chain.new_account("wallet owner", fund_wei=10**23)
    wallet = chain.deploy("TestERC1271Wallet", owner.address, sender=owner.address)
    market.rwa.register([wallet.address])
    chain.send(wallet.functions.execute(market.auction.address, 10**22, b""), owner.address, value=10**22)  # escrow
    assert market.auction.functions.escrowOf(wallet.address).call() == 10**22

    auction_id, cutoff = market.open()
    order = Order(wallet.address, market.token.address, market.venue_keys[0].address, auction_id, Side.BUY, 10,
                  101 * HKD, next(market.salts), chain.now() + 3_600, next(market.salts))
    chain_id = chain.w3.eth.chain_id
    by_owner = sign_order(order, owner.key, chain_id, market.auction.address)
    by_stranger = sign_order(order, market.traders[3].key, chain_id, market.auction.address)
    sell = market.order(auction_id, market.traders[1], Side.SELL, 10, 99, 1)
    books = {market.venue_keys[0].address: [by_owner], market.venue_keys[1].address: [sell]}
    market.commit(auction_id, books)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    (buy_args, sell_args) = plan.settle_args()
    forged = (buy_args[0], buy_args[1], by_stranger.signature, buy_args[3])
    _refused(market, auction_id, plan.result.price, [forged, sell_args], "InvalidOrderSignature")
    chain.send(market.auction.functions.settle(auction_id, plan.result.price, [buy_args, sell_args]), market.venue_keys[2].address, gas=SETTLE_GAS)
    assert market.token.functions.balanceOf(wallet.address).call() == 10
    cash = 10 * plan.result.price
    assert market.auction.functions.escrowOf(wallet.address).call() == 10**22 - cash - cash * FEES_BPS[0] // 10_000
