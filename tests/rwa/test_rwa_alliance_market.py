"""The alliance market on the L2 node: venues (VenueRegistry), venue filtering (Compliance) and the
uniform-price call auction (CallAuction) settling a tokenized HK stock against native HKD, in
pages: the matcher's clearing (price, volume, root of the pages), each page's legs into the
auction's custody, the parties' claims once the last page makes it final.

Random order books (hypothesis) cut into many pages settle on chain exactly as the Python matching
rule (`rwa.auction`) computes: every trader's shares and HKD escrow move by the rule's fills at the
rule's price, minus / plus each venue's fee, and shares and HKD are conserved after every page
(traders' shares + custody; escrows + claims = the auction's HKD). A page that fails verification
blocks finality; after the window anyone cancels and the claims give everything back. Each
refusal (an uncommitted or late order, a non-KYC'd or venue-disallowed investor, a price outside
the band, a limit violated, an overfill, an order in two pages, totals that do not balance, a page
not committed, a bad signature, an expired order, a refund before the window closed, a double
claim) names its error and leaves every balance and the auction as they were. A contract wallet
trades with an ERC-1271 signature."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner
from web3.contract import Contract

from genesis.predeploys import RWA_PREDEPLOYS
from node.cli import app
from rwa.auction import Side
from rwa.market_client import AllianceMarket, AuctionNotEnded, ClaimsLeftUnpaid
from rwa.client import RWAClient
from rwa.types import DistributionKind
from rwa.auction import AuctionResult
from rwa.market import (
    Book,
    FillArgs,
    MatcherResultMismatch,
    Order,
    PagedSettlement,
    Settlement,
    SignedOrder,
    book_proofs,
    book_root,
    paged_settlement,
    settlement,
    sign_order,
    verify_settlement,
)
from tests.rwa.rwa_chain import HK_STOCK, HKD, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

REFERENCE = 100 * HKD  # HK$100 a share, the PriceFeed price
FEES_BPS = (10, 20, 30)
TRADERS = 6
SHARES_EACH = 10_000
ESCROW_EACH = 10_000_000 * HKD
SETTLE_GAS = 20_000_000
SETTLED, SETTLING, CANCELLED = 2, 3, 4  # CallAuction.AuctionStatus


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
    registrar: str  # the stock's agent (freezes)
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

    @property
    def people(self) -> list[str]:
        return [t.address for t in self.traders] + self.fee_recipients

    def snapshot(self) -> tuple[Any, ...]:
        """Shares and escrow of every trader and fee recipient, the auction's HKD and custody
        shares, its auction count."""
        f = self.auction.functions
        return (
            tuple(self.token.functions.balanceOf(p).call() for p in self.people),
            tuple(f.escrowOf(p).call() for p in self.people),
            self.chain.balance(self.auction.address),
            f.auctionCount().call(),
            self.token.functions.balanceOf(self.auction.address).call(),
        )

    def claims(self, auction_id: int) -> tuple[Any, ...]:
        return tuple(tuple(self.auction.functions.claimOf(auction_id, p).call()) for p in self.people)

    def submit(self, paged: PagedSettlement, *, price: int | None = None, volume: int | None = None) -> None:
        """The matcher (venue 1) submits the clearing of `paged` (its price and volume unless given)."""
        args = list(paged.clearing_args())
        args[1] = price if price is not None else args[1]
        args[2] = volume if volume is not None else args[2]
        self.chain.send(self.auction.functions.submitClearing(*args), self.venue_keys[1].address)

    def settle_page(self, paged: PagedSettlement, index: int) -> dict[str, Any]:
        call = self.auction.functions.settlePage(*paged.pages[index].settle_page_args(paged.auction_id))
        return self.chain.send(call, self.venue_keys[2].address, gas=SETTLE_GAS)

    def claim_all(self, auction_id: int) -> None:
        """Pays every trader and fee recipient with a claim, in one transaction."""
        tokens, cash = self.auction.functions.claimable(auction_id, self.people).call()
        due = [p for p, t, c in zip(self.people, tokens, cash) if t or c]
        self.chain.send(self.auction.functions.claim(auction_id, due), self.traders[0].address, gas=SETTLE_GAS)

    def settle(self, plan: Settlement, page_fills: int = 20) -> PagedSettlement:
        paged = plan.paged(page_fills)
        self.submit(paged)
        for index in range(len(paged.pages)):
            self.settle_page(paged, index)
        self.claim_all(paged.auction_id)
        return paged


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
    if not rwa.registry.functions.isVerified(auction.address).call():
        rwa.register([auction.address])  # the auction holds sold shares in custody while it settles
    for trader in traders:
        chain.send(token.functions.approve(auction.address, 2**256 - 1), trader.address)
        chain.send(auction.functions.deposit(), trader.address, value=ESCROW_EACH)
    return Market(chain, rwa, venues, auction, token, issuer, venue_keys, fee_recipients, traders, registrar)


def expected_after(market: Market, before: tuple[Any, ...], plan: Any) -> tuple[Any, ...]:
    """The snapshot the rule's fills should leave once every claim is paid: shares, escrows with
    fees; the auction's HKD, count and custody unchanged."""
    people = market.people
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
    return tuple(shares), tuple(escrow), before[2], before[3], before[4]


def assert_conserved(market: Market, before: tuple[Any, ...], auction_id: int) -> None:
    """Shares: traders' + the auction's custody; HKD: escrows + the claims' HKD still held
    (buyers' payments while settling) = the auction's balance, unchanged."""
    now = market.snapshot()
    assert sum(now[0]) + now[4] == sum(before[0]) + before[4]
    status = market.auction.functions.auctionOf(auction_id).call()[2]
    claims = market.claims(auction_id)
    held = sum(c[2] for c in claims) if status in (SETTLING, CANCELLED) else sum(c[1] for c in claims)
    assert sum(now[1]) + held == sum(before[1]) and now[2] == before[2]


order_rows = st.lists(
    st.tuples(st.integers(0, TRADERS - 1), st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 60), st.integers(95, 105), st.integers(0, 2)),
    min_size=2,
    max_size=24,
)


@settings(max_examples=6, deadline=None, phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(rows=order_rows, page_fills=st.integers(1, 4))
def test_random_books_settle_in_pages_as_the_python_rule(market: Market, rows: list[tuple[int, Side, int, int, int]], page_fills: int) -> None:
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
        assert chain.revert_of(f.submitClearing(auction_id, REFERENCE, 0, b"\x01" * 32, 1), matcher).name == "NothingToSettle"
        return
    paged = plan.paged(page_fills)
    market.submit(paged)
    for index in range(len(paged.pages)):
        assert f.auctionOf(auction_id).call()[2] == SETTLING
        receipt = market.settle_page(paged, index)
        assert_conserved(market, before, auction_id)
    (settled,) = events(market.auction, "AuctionSettled", receipt)
    assert (settled["price"], settled["volume"]) == (plan.result.price, plan.result.volume)
    assert f.auctionOf(auction_id).call()[2] == SETTLED
    market.claim_all(auction_id)
    after = market.snapshot()
    assert after == expected_after(market, before, plan)
    assert sum(after[0]) == sum(before[0]) == TRADERS * SHARES_EACH  # shares conserved
    assert after[2] == before[2] and sum(after[1]) == sum(before[1])  # HKD conserved in the escrow
    assert all(c == (0, 0, 0, 0) for c in market.claims(auction_id))
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


def _pages(auction_id: int, price: int, volume: int, *pages: list[FillArgs]) -> PagedSettlement:
    """A clearing of the given pages (a matcher's, honest or not)."""
    return paged_settlement(auction_id, AuctionResult(price, volume, 0, ()), pages)


def _refused(market: Market, call: Any, error: str, sender: str | None = None) -> Any:
    """`call` reverts with `error` and leaves balances, escrows, custody and claims as they were."""
    auction_id = call.args[0]
    before, claims, status = market.snapshot(), market.claims(auction_id), market.auction.functions.auctionOf(auction_id).call()[2]
    revert = market.chain.expect_revert(call, sender or market.venue_keys[2].address)
    assert revert.name == error, revert
    assert market.snapshot() == before and market.claims(auction_id) == claims
    assert market.auction.functions.auctionOf(auction_id).call()[2] == status
    return revert


def _page_refused(market: Market, paged: PagedSettlement, index: int, error: str) -> Any:
    return _refused(market, market.auction.functions.settlePage(*paged.pages[index].settle_page_args(paged.auction_id)), error)


def test_a_page_that_fails_verification_blocks_finality_then_refunds_return_everything(market: Market) -> None:
    """A matcher commits two pages: the honest buy, then a sell that is in no committed book. The
    first page takes the buyer's HKD into custody; the second can never verify, so the auction
    cannot become final; a refund before the window closes is refused; after it, anyone cancels
    and the claims return every share and HK$ (claiming twice refused)."""
    f = market.auction.functions
    auction_id, books, cutoff = _crossing_auction(market)
    extra = market.order(auction_id, market.traders[2], Side.SELL, 10, 99, 1)  # never committed
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    (buy, sell) = plan.fills
    paged = _pages(auction_id, plan.result.price, plan.result.volume, [buy], [(extra, 10, sell[2])])
    before = market.snapshot()
    market.submit(paged)
    _refused(market, f.claim(auction_id, [market.traders[0].address]), "WrongAuctionStatus")
    market.settle_page(paged, 0)
    assert market.snapshot()[1][0] < before[1][0]  # the buyer's HKD is in custody
    assert_conserved(market, before, auction_id)
    _page_refused(market, paged, 1, "OrderNotCommitted")
    _page_refused(market, paged, 0, "PageAlreadySettled")
    _refused(market, f.cancel(auction_id), "SettlementWindowOpen")
    deadline = f.clearingOf(auction_id).call()[4]
    market.chain.advance(deadline - market.chain.now() + 1)
    _page_refused(market, paged, 1, "SettlementWindowClosed")
    market.chain.send(f.cancel(auction_id), market.traders[5].address)  # anyone
    assert f.auctionOf(auction_id).call()[2] == CANCELLED
    _refused(market, f.claim(auction_id, [market.fee_recipients[0]]), "NothingToClaim")  # fees only on a settled auction
    market.claim_all(auction_id)
    assert market.snapshot() == before
    _refused(market, f.claim(auction_id, [market.traders[0].address]), "NothingToClaim")


def test_claims_pay_once_after_the_last_page(market: Market) -> None:
    f = market.auction.functions
    auction_id, books, cutoff = _crossing_auction(market)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    before = market.snapshot()
    paged = plan.paged(1)
    market.submit(paged)
    market.settle_page(paged, 0)
    buyer = market.traders[0].address
    _refused(market, f.claim(auction_id, [buyer]), "WrongAuctionStatus")  # not final yet
    market.settle_page(paged, 1)
    shares = market.token.functions.balanceOf(buyer).call()
    market.chain.send(f.claim(auction_id, [buyer]), market.traders[3].address)  # anyone pays anyone
    assert market.token.functions.balanceOf(buyer).call() == shares + 10
    _refused(market, f.claim(auction_id, [buyer]), "NothingToClaim")
    _refused(market, f.cancel(auction_id), "AuctionAlreadySettled")
    market.claim_all(auction_id)
    assert market.snapshot() == expected_after(market, before, plan)


def test_a_party_that_cannot_receive_keeps_its_claim_and_blocks_nobody(chain: Chain, market: Market, tmp_path: Path) -> None:
    """The buyer's wallet is frozen after the auction settled: the SDK pays the seller and the
    venues, names the buyer (`ClaimsLeftUnpaid`), and the buyer's claim stays on chain until its
    wallet is unfrozen, then `lantau rwa market claim` pays it: nothing stranded, nobody blocked.
    Before the auction ended, paying claims is refused (`AuctionNotEnded`) with nothing moved."""
    f = market.auction.functions
    auction_id, books, cutoff = _crossing_auction(market)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    before = market.snapshot()
    paged = plan.paged(20)
    market.submit(paged)
    payer_key = chain.new_account("claims payer")
    payer = AllianceMarket(RWAClient(chain.w3, payer_key))
    with pytest.raises(AuctionNotEnded, match="settling"):
        payer.pay_claims(auction_id, market.people)
    assert market.snapshot() == before and f.auctionOf(auction_id).call()[2] == SETTLING
    market.settle_page(paged, 0)
    buyer, seller = market.traders[0].address, market.traders[1].address
    chain.send(market.token.functions.setAddressFrozen(buyer, True), market.registrar)
    try:
        owed = tuple(f.claimOf(auction_id, buyer).call())
        with pytest.raises(ClaimsLeftUnpaid, match=buyer) as unpaid:
            payer.pay_claims(auction_id, market.people)
        assert [p for p, _ in unpaid.value.unpaid] == [buyer] and "receiver address frozen" in unpaid.value.unpaid[0][1]
        assert tuple(f.claimOf(auction_id, buyer).call()) == owed and owed[3] == 10
        assert tuple(f.claimOf(auction_id, seller).call()) == (0, 0, 0, 0)  # the seller was paid
    finally:
        chain.send(market.token.functions.setAddressFrozen(buyer, False), market.registrar)
    book_files = []
    for venue, orders in books.items():
        book_files.append(tmp_path / f"book-{venue}.json")
        Book(chain.w3.eth.chain_id, market.auction.address, auction_id, venue, tuple(orders)).save(book_files[-1])
    cli = [str(auction_id), *map(str, book_files), "--l2-rpc", chain.w3.provider.endpoint_uri, "--key", "0x" + payer_key.key.hex()]  # type: ignore[attr-defined]
    result = CliRunner().invoke(app, ["rwa", "market", "claim", *cli])
    assert result.exit_code == 0 and "claims paid in 1 transaction(s)" in result.output, result.output
    assert market.snapshot() == expected_after(market, before, plan)
    result = CliRunner().invoke(app, ["rwa", "market", "claim", *cli])
    assert result.exit_code == 0 and "no claim left to pay" in result.output, result.output


def test_uncommitted_and_late_orders_are_refused(market: Market) -> None:
    auction_id, books, cutoff = _crossing_auction(market)
    # Added by the matcher after the cut-off, in no committed book.
    extra = market.order(auction_id, market.traders[2], Side.SELL, 5, 95, 0)
    market.close(cutoff)
    late = market.auction.functions.commitBook(auction_id, book_root([extra.order_id]))
    assert market.chain.expect_revert(late, market.venue_keys[0].address).name == "AuctionClosed"
    plan = settlement(books, REFERENCE)
    (buy, sell) = plan.fills
    other = replace(extra.order, venue=market.venue_keys[2].address)
    foreign = sign_order(other, market.traders[2].key, market.chain.w3.eth.chain_id, market.auction.address)
    paged = _pages(auction_id, plan.result.price, plan.result.volume, [(extra, 5, sell[2])], [(foreign, 5, [])], [buy], [sell])
    market.submit(paged)
    _page_refused(market, paged, 0, "OrderNotCommitted")
    _page_refused(market, paged, 1, "BookNotCommitted")  # a book from a venue that never committed
    # A page that is not the committed one.
    _refused(market, market.auction.functions.settlePage(auction_id, 2, [paged.pages[3].settle_page_args(auction_id)[2][0]], list(paged.pages[2].proof)), "PageNotCommitted")
    _refused(market, market.auction.functions.settlePage(auction_id, 4, [], []), "PageOutOfRange")


def test_non_kyc_and_disallowed_venue_are_refused(chain: Chain, market: Market) -> None:
    outsider = chain.new_account("no KYC", fund_wei=10**24)
    chain.send(market.auction.functions.deposit(), outsider.address, value=10**21)
    market.traders.append(outsider)  # in the snapshot too
    try:
        auction_id, books, cutoff = _crossing_auction(market, buyer=outsider)
        market.close(cutoff)
        paged = settlement(books, REFERENCE).paged(20)
        market.submit(paged)
        revert = _page_refused(market, paged, 0, "BuyerCannotReceive")
        assert revert.args[1] == outsider.address
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
        paged = settlement(books, REFERENCE).paged(20)
        market.chain.send(market.auction.functions.submitClearing(*paged.clearing_args()), market.venue_keys[0].address)
        _page_refused(market, paged, 0, "VenueNotAllowed")
    finally:
        chain.send(market.rwa.compliance.functions.setVenuesAllowed(market.token.address, [venue1], True), market.issuer)


def test_a_lying_matcher_is_refused_by_the_band_and_by_recomputation(market: Market) -> None:
    f = market.auction.functions
    auction_id, books, cutoff = _crossing_auction(market)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    assert plan.result.price == 99 * HKD  # equal volume at 99 and 101: closer to 100... the lower
    paged = plan.paged(20)
    # Outside the 10% band around the PriceFeed price, even with orders that would accept it.
    _refused(market, f.submitClearing(auction_id, 120 * HKD, 10, paged.pages_root, 1), "PriceOutsideBand")
    # Inside the band but beyond the buyer's limit: the clearing is taken, its page refused.
    market.submit(paged, price=102 * HKD)
    _page_refused(market, paged, 0, "LimitViolated")
    # Inside both limits but not the rule's price: the contract cannot see the other books'
    # alternatives, every venue's recomputation does.
    with pytest.raises(MatcherResultMismatch, match="clearing price"):
        verify_settlement(books, REFERENCE, 100 * HKD, {s.order_id: a for s, a, _ in plan.fills})
    with pytest.raises(MatcherResultMismatch, match="fills"):
        verify_settlement(books, REFERENCE, 99 * HKD, {s.order_id: a - 1 for s, a, _ in plan.fills})
    verify_settlement(books, REFERENCE, 99 * HKD, {s.order_id: a for s, a, _ in plan.fills})
    # Such a lie settles (both limits hold, inside the band); the audit of the settled auction
    # against the committed books names it, which is what a venue disputes with.
    auction_id, books, cutoff = _crossing_auction(market)
    market.close(cutoff)
    lie = settlement(books, REFERENCE)
    market.settle(Settlement(replace(lie.result, price=100 * HKD), lie.fills))
    auditor = AllianceMarket(RWAClient(market.chain.w3))
    venue_books = [Book(market.chain.w3.eth.chain_id, market.auction.address, auction_id, venue, tuple(orders)) for venue, orders in books.items()]
    with pytest.raises(MatcherResultMismatch, match="clearing price"):
        auditor.audit(venue_books)


def test_tampered_fills_are_refused(chain: Chain, market: Market) -> None:
    f = market.auction.functions
    auction_id, books, cutoff = _crossing_auction(market)
    plan = settlement(books, REFERENCE)
    price, volume = plan.result.price, plan.result.volume
    (buy, sell) = plan.fills
    honest = plan.paged(20)
    _refused(market, f.submitClearing(*honest.clearing_args()), "AuctionNotClosed")
    market.close(cutoff)
    stranger = chain.new_address("not a venue", fund_wei=10**21)
    _refused(market, f.submitClearing(*honest.clearing_args()), "NotActiveVenue", sender=stranger)
    paged = _pages(auction_id, price, volume, [(buy[0], 11, buy[2]), (sell[0], 11, sell[2])], [buy], [buy], [sell])
    market.submit(paged)
    _page_refused(market, paged, 0, "Overfill")
    market.settle_page(paged, 1)
    _page_refused(market, paged, 2, "OrderFilledTwice")  # the buy again, in another page
    # Expired: a fresh auction whose buy order expires right at the cut-off's block; and a page
    # whose totals pass the committed volume.
    auction_id, cutoff = market.open()
    short = market.order(auction_id, market.traders[0], Side.BUY, 10, 101, 0, expiry=cutoff - 1)
    sell2 = market.order(auction_id, market.traders[1], Side.SELL, 10, 99, 1)
    buy3 = market.order(auction_id, market.traders[2], Side.BUY, 10, 101, 0)
    books = {market.venue_keys[0].address: [short, buy3], market.venue_keys[1].address: [sell2]}
    market.commit(auction_id, books)
    market.close(cutoff)
    proofs = {**book_proofs([short.order_id, buy3.order_id]), **book_proofs([sell2.order_id])}
    paged = _pages(auction_id, 99 * HKD, 4, [(short, 10, proofs[short.order_id])], [(buy3, 5, proofs[buy3.order_id]), (sell2, 5, proofs[sell2.order_id])])
    market.submit(paged)
    _page_refused(market, paged, 0, "OrderExpired")
    revert = _page_refused(market, paged, 1, "VolumeMismatch")  # 5 and 5 beyond the committed 4
    assert tuple(revert.args) == (5, 5, 4)


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
    (buy, sell_fill) = plan.fills
    honest = plan.paged(1)
    market.submit(honest)
    # The same page (same order, same amount: the committed leaf) with another key's signature.
    forged = _pages(auction_id, plan.result.price, plan.result.volume, [(by_stranger, buy[1], buy[2])], [sell_fill])
    assert forged.pages_root == honest.pages_root
    _page_refused(market, forged, 0, "InvalidOrderSignature")
    market.settle_page(honest, 0)
    market.settle_page(honest, 1)
    market.chain.send(market.auction.functions.claim(auction_id, [wallet.address]), owner.address)
    market.claim_all(auction_id)
    assert market.token.functions.balanceOf(wallet.address).call() == 10
    cash = 10 * plan.result.price
    assert market.auction.functions.escrowOf(wallet.address).call() == 10**22 - cash - cash * FEES_BPS[0] // 10_000


def test_the_auction_custody_is_no_investor_under_the_asset_rules(chain: Chain, market: Market) -> None:
    """Under a holder cap of the investors now holding plus two, a maximum balance of 10 shares and
    a daily limit of 10 shares, two sellers sell 10 each to two new buyers 10 each, one fill a page:
    custody holds 20 shares (above the maximum balance), pays out 20 in a day (above the daily
    limit) and would take a holder's place, yet the auction settles, because `Compliance` sees the
    auction as a custodian, not an investor. The investors' own rules still bind: a third new buyer
    (above the holder cap) or an order above its maximum balance is refused (`BuyerCannotReceive`,
    nothing moved)."""
    f, token, compliance = market.auction.functions, market.token, market.rwa.compliance
    assert compliance.functions.CALL_AUCTION().call() == market.auction.address  # genesis/predeploys.py's
    buyers = [chain.new_account(f"custody-rule buyer {n}", fund_wei=10**23) for n in range(3)]
    market.rwa.register([b.address for b in buyers])
    for buyer in buyers:
        chain.send(f.deposit(), buyer.address, value=10**22)
    holders = token.functions.holderCount().call()
    assert token.functions.balanceOf(market.auction.address).call() == 0
    # lockupUntil, maxHolders, countryRestricted, professionalOnly, maxBalance, dailyLimit
    chain.send(compliance.functions.setRules(token.address, (0, holders + 2, False, False, 10, 10)), market.issuer)
    try:
        auction_id, cutoff = market.open()
        sellers = market.traders[1], market.traders[2]
        sells = [market.order(auction_id, s, Side.SELL, 10, 99, 1) for s in sellers]
        buys = [market.order(auction_id, b, Side.BUY, 10, 101, 0) for b in buyers[:2]]
        books = {market.venue_keys[0].address: buys, market.venue_keys[1].address: sells}
        market.commit(auction_id, books)
        market.close(cutoff)
        plan = settlement(books, REFERENCE)
        assert plan.result.volume == 20
        shares_before = [token.functions.balanceOf(s.address).call() for s in sellers]
        paged = market.settle(plan, page_fills=1)  # claims of the traders and venues paid
        assert len(paged.pages) == 4 and f.auctionOf(auction_id).call()[2] == SETTLED
        chain.send(f.claim(auction_id, [b.address for b in buyers[:2]]), buyers[0].address)
        assert [token.functions.balanceOf(b.address).call() for b in buyers] == [10, 10, 0]
        assert [token.functions.balanceOf(s.address).call() for s in sellers] == [b - 10 for b in shares_before]
        assert token.functions.balanceOf(market.auction.address).call() == 0
        assert token.functions.holderCount().call() == holders + 2

        # The investors' rules bind as in any transfer: a third new holder, a balance above 10.
        auction_id, cutoff = market.open()
        third = market.order(auction_id, buyers[2], Side.BUY, 10, 101, 0)
        more = market.order(auction_id, buyers[0], Side.BUY, 1, 101, 0)
        sell = market.order(auction_id, market.traders[3], Side.SELL, 11, 99, 1)
        books = {market.venue_keys[0].address: [third, more], market.venue_keys[1].address: [sell]}
        market.commit(auction_id, books)
        market.close(cutoff)
        plan = settlement(books, REFERENCE)
        paged = plan.paged(1)
        market.submit(paged)
        buy_pages = [i for i, page in enumerate(paged.pages) if page.fills[0][0].order.side is Side.BUY]
        assert len(buy_pages) == 2
        for index in buy_pages:
            _page_refused(market, paged, index, "BuyerCannotReceive")
    finally:
        chain.send(compliance.functions.setRules(token.address, (0, 0, False, False, 0, 0)), market.issuer)


def test_a_buyer_must_be_able_to_receive_all_it_buys_in_the_auction(chain: Chain, market: Market) -> None:
    """Under a maximum balance of 10 shares a new buyer's two orders of 6 each are each within it,
    together not: the page of the second is refused (`BuyerCannotReceive`, nothing moved), so no
    claim is taken that the buyer could never receive. The auction cannot become final; after its
    window it is cancelled and the claims give the buyer's HKD back."""
    f, token, compliance = market.auction.functions, market.token, market.rwa.compliance
    buyer = chain.new_account("two-order buyer", fund_wei=10**23)
    market.rwa.register([buyer.address])
    chain.send(f.deposit(), buyer.address, value=10**22)
    chain.send(compliance.functions.setRules(token.address, (0, 0, False, False, 10, 0)), market.issuer)
    try:
        auction_id, cutoff = market.open()
        buys = [market.order(auction_id, buyer, Side.BUY, 6, 101, 0) for _ in range(2)]
        sell = market.order(auction_id, market.traders[1], Side.SELL, 12, 99, 1)
        books = {market.venue_keys[0].address: buys, market.venue_keys[1].address: [sell]}
        market.commit(auction_id, books)
        market.close(cutoff)
        plan = settlement(books, REFERENCE)
        assert plan.result.volume == 12
        paged = plan.paged(1)
        market.submit(paged)
        first, second = [i for i, page in enumerate(paged.pages) if page.fills[0][0].order.side is Side.BUY]
        market.settle_page(paged, first)
        assert tuple(f.claimOf(auction_id, buyer.address).call())[3] == 6
        _page_refused(market, paged, second, "BuyerCannotReceive")
        assert tuple(f.claimOf(auction_id, buyer.address).call())[3] == 6
    finally:
        chain.send(compliance.functions.setRules(token.address, (0, 0, False, False, 0, 0)), market.issuer)
    chain.advance(int(f.clearingOf(auction_id).call()[4]) - chain.now() + 1)
    chain.send(f.cancel(auction_id), buyer.address)
    chain.send(f.claim(auction_id, [buyer.address]), buyer.address)
    assert f.escrowOf(buyer.address).call() == 10**22 and token.functions.balanceOf(buyer.address).call() == 0


DIVIDEND = 1  # CorporateActions.DistributionKind
SETTLEMENT_WINDOW_S = 600  # CallAuction.SETTLEMENT_WINDOW_S


def _announce_dividend(market: Market, record: int) -> Any:
    """The issuer's dividend of HK$1,000 on the stock, recorded at `record` (a call, not sent)."""
    pay = record + 1
    return market.rwa.actions.functions.announceDistribution(market.token.address, DIVIDEND, record, pay, pay + 31 * 86_400)


def test_no_record_date_falls_inside_a_settlement_window(chain: Chain, market: Market) -> None:
    """A record date inside a settlement window would snapshot the shares in custody as the
    auction's, which cannot pass the payment on. Both directions are refused with
    `RecordTimeInSettlementWindow`, nothing moved: a clearing while a record time of the asset is
    pending before its deadline (the auction stays open; cleared once the record time passed), and
    a dividend announced with a record time up to the asset's `settlingUntil` (no distribution, no
    HKD taken); one recorded after the deadline is announced, and the auction's custody is
    entitled to nothing."""
    f, actions = market.auction.functions, market.rwa.actions
    auction_id, books, cutoff = _crossing_auction(market)
    record = cutoff + 30
    chain.send(_announce_dividend(market, record), market.issuer, value=1_000 * HKD)
    market.close(cutoff)
    plan = settlement(books, REFERENCE)
    paged = plan.paged(20)
    clearing = f.submitClearing(*paged.clearing_args())
    revert = _refused(market, clearing, "RecordTimeInSettlementWindow", market.venue_keys[1].address)
    assert revert.args[1] == record
    assert f.auctionOf(auction_id).call()[2] == 1  # Open: the clearing may come after the record time
    chain.advance(record - chain.now() + 1)
    chain.send(market.rwa.price_feed.functions.submitPrice(market.token.address, REFERENCE, chain.now()), market.rwa.operator)
    receipt = chain.send(clearing, market.venue_keys[1].address)
    deadline = f.clearingOf(auction_id).call()[4]
    assert f.settlingUntil(market.token.address).call() == deadline
    assert f.clearingOf(auction_id).call()[7] == receipt["blockNumber"]  # where its pages' logs start

    count, held_wei = actions.functions.distributionCount().call(), chain.balance(actions.address)
    for inside in (chain.now() + 5, deadline):
        revert = chain.expect_revert(_announce_dividend(market, inside), market.issuer, value=1_000 * HKD)
        assert revert.name == "RecordTimeInSettlementWindow" and revert.args[2] == deadline, revert
    assert actions.functions.distributionCount().call() == count and chain.balance(actions.address) == held_wei
    market.settle_page(paged, 0)
    assert market.token.functions.balanceOf(market.auction.address).call() == 10  # custody, meanwhile
    # The SDK picks a record time after the window by itself.
    announced = RWAClient(chain.w3, chain.keys[market.issuer]).announce_distribution(
        market.token.address, kind=DistributionKind.DIVIDEND, amount_wei=1_000 * HKD)
    assert announced.record_time == deadline + 1 and actions.functions.distributionCount().call() == count + 1
    market.claim_all(auction_id)
    chain.advance(deadline + 2 - chain.now())
    assert actions.functions.entitlement(count + 1, market.auction.address).call() == 0


def test_a_cancelled_dividend_unschedules_its_record_time_and_clearings_resume(chain: Chain, market: Market) -> None:
    """Two dividends share a record time inside the coming settlement window, so the clearing is
    refused (`RecordTimeInSettlementWindow`). Cancelling one leaves the time scheduled (the other
    still records at it); cancelling the last withdraws it from the token (`recordTimes`,
    `isRecordTime`), and the same clearing goes through at once, before the record time would
    have passed (before the fix it stayed refused until then). Only CorporateActions withdraws a
    record time: the issuer's registrar, an agent with the corporate-actions role, is refused
    `NotCorporateActions`; and CorporateActions itself is refused `RecordTimeNotPending` for a time
    never scheduled or already passed (an eth_call from its address): each with the token's record
    times as they were."""
    f, actions, t = market.auction.functions, market.rwa.actions.functions, market.token.functions
    auction_id, books, cutoff = _crossing_auction(market)
    record = cutoff + 120
    first = actions.distributionCount().call() + 1
    for _ in range(2):
        chain.send(_announce_dividend(market, record), market.issuer, value=1_000 * HKD)
    assert actions.distributionsAt(market.token.address, record).call() == 2
    market.close(cutoff)
    paged = settlement(books, REFERENCE).paged(20)
    clearing = f.submitClearing(*paged.clearing_args())
    assert _refused(market, clearing, "RecordTimeInSettlementWindow", market.venue_keys[1].address).args[1] == record

    chain.send(actions.cancelDistribution(first), market.issuer)
    assert t.isRecordTime(record).call() and record in t.recordTimes().call()
    assert _refused(market, clearing, "RecordTimeInSettlementWindow", market.venue_keys[1].address).args[1] == record

    # Refusals on the token, with its record times intact.
    times = t.recordTimes().call()
    revert = chain.expect_revert(t.unscheduleRecordTime(record), market.registrar)
    assert (revert.name, revert.args) == ("NotCorporateActions", (market.registrar,))
    for never_or_passed in (record + 1, *[time for time in times if time < chain.now()][:1]):
        revert = chain.revert_of(t.unscheduleRecordTime(never_or_passed), market.rwa.actions.address)
        assert (revert.name, revert.args) == ("RecordTimeNotPending", (never_or_passed,))
    assert t.recordTimes().call() == times and t.isRecordTime(record).call()

    refund = chain.balance(market.issuer)
    receipt = chain.send(actions.cancelDistribution(first + 1), market.issuer)
    assert events(market.token, "RecordTimeUnscheduled", receipt) == [{"recordTime": record, "by": market.rwa.actions.address}]
    assert chain.balance(market.issuer) > refund  # the HK$1,000 back, less the gas
    assert not t.isRecordTime(record).call() and record not in t.recordTimes().call()
    assert actions.distributionsAt(market.token.address, record).call() == 0
    assert chain.now() < record  # not waiting for the cancelled record time to pass
    chain.send(clearing, market.venue_keys[1].address)
    market.settle_page(paged, 0)
    market.claim_all(auction_id)
    assert market.token.functions.balanceOf(market.auction.address).call() == 0


def test_a_cancelled_auction_gives_a_seller_its_daily_volume_back(chain: Chain, market: Market) -> None:
    """Under a daily limit of 10 shares a seller's sale of 10 into custody uses its whole day;
    when the auction is cancelled (its buy page in no committed book) the refund gives the volume
    back: the seller may send 10 shares again that day. Only the auction may give volume back
    (`NotCallAuction`, nothing changed)."""
    f, token, compliance = market.auction.functions, market.token, market.rwa.compliance
    seller, receiver = chain.new_account("daily-limit seller", fund_wei=10**21), market.traders[4]
    market.rwa.register([seller.address])  # a fresh investor: no sale counted today yet
    chain.send(token.functions.batchMint([seller.address], [20]), market.registrar)
    chain.send(token.functions.approve(market.auction.address, 2**256 - 1), seller.address)
    if chain.now() % 86_400 > 86_400 - 3 * SETTLEMENT_WINDOW_S:  # the sale and the refund on one UTC day
        chain.advance(86_400 - chain.now() % 86_400 + 1)
    chain.send(market.rwa.price_feed.functions.submitPrice(token.address, REFERENCE, chain.now()), market.rwa.operator)
    chain.send(compliance.functions.setRules(token.address, (0, 0, False, False, 0, 10)), market.issuer)
    try:
        auction_id, cutoff = market.open()
        buy = market.order(auction_id, market.traders[0], Side.BUY, 10, 101, 0)
        sell = market.order(auction_id, seller, Side.SELL, 10, 99, 1)
        books = {market.venue_keys[0].address: [buy], market.venue_keys[1].address: [sell]}
        market.commit(auction_id, books)
        extra = market.order(auction_id, market.traders[2], Side.BUY, 10, 101, 0)  # never committed
        market.close(cutoff)
        plan = settlement(books, REFERENCE)
        (buy, sell) = plan.fills
        paged = _pages(auction_id, plan.result.price, plan.result.volume, [(extra, 10, buy[2])], [sell])
        market.submit(paged)
        market.settle_page(paged, 1)  # the sale into custody
        assert compliance.functions.dailyVolume(token.address, seller.address).call() == 10
        chain.advance(int(f.clearingOf(auction_id).call()[4]) - chain.now() + 1)
        chain.send(f.cancel(auction_id), seller.address)
        shares = token.functions.balanceOf(seller.address).call()
        chain.send(f.claim(auction_id, [seller.address]), seller.address)
        assert token.functions.balanceOf(seller.address).call() == shares + 10
        assert compliance.functions.dailyVolume(token.address, seller.address).call() == 0
        chain.send(token.functions.transfer(receiver.address, 10), seller.address)  # its day's 10 again
        assert compliance.functions.dailyVolume(token.address, seller.address).call() == 10
        release = compliance.functions.releaseDailyVolume(token.address, seller.address, 10, chain.now() // 86_400)
        assert chain.expect_revert(release, seller.address).name == "NotCallAuction"
        assert compliance.functions.dailyVolume(token.address, seller.address).call() == 10
    finally:
        chain.send(compliance.functions.setRules(token.address, (0, 0, False, False, 0, 0)), market.issuer)


def test_a_fill_above_uint128_is_refused_not_wrapped(chain: Chain, market: Market) -> None:
    """Claims are uint128: a sale of 2**128 shares would have recorded a claim of 0 (the cast
    wrapped) while the shares went into custody. The cast is checked: the page is refused
    (`SafeCastOverflowedUintDowncast`), nothing moved."""
    whale = chain.new_account("uint128 seller", fund_wei=10**21)
    market.rwa.register([whale.address])
    huge = 2**128
    chain.send(market.token.functions.batchMint([whale.address], [huge]), market.registrar)
    chain.send(market.token.functions.approve(market.auction.address, 2**256 - 1), whale.address)
    auction_id, cutoff = market.open()
    sell = market.order(auction_id, whale, Side.SELL, huge, 99, 1)
    market.commit(auction_id, {market.venue_keys[1].address: [sell]})
    market.close(cutoff)
    # Two pages, so the sale's page is not the last (whose totals must balance).
    paged = _pages(auction_id, REFERENCE, huge, [(sell, huge, [])], [(sell, 1, [])])
    market.submit(paged)
    _page_refused(market, paged, 0, "SafeCastOverflowedUintDowncast")
    assert market.token.functions.balanceOf(whale.address).call() == huge
    assert tuple(market.auction.functions.claimOf(auction_id, whale.address).call()) == (0, 0, 0, 0)
