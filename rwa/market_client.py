"""The alliance market over an `RWAClient`: venues (VenueRegistry), the issuer's venue allow-list
(Compliance), and the call auction's steps (CallAuction): open, order (signed into a venue's book
file), commit, match (the rule, recomputed from the books), settle (the clearing, its pages, the
parties' claims: as many transactions as the book needs). What `lantau rwa market …` and the
devnet sample use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_utils import keccak, to_checksum_address
from web3.contract import Contract

from genesis.predeploys import CALL_AUCTION, VENUE_REGISTRY
from rwa.auction import Side
from rwa.client import LOGS_BLOCK_RANGE, Call, RWAClient, revert_error
from rwa.contracts import contract_at
from rwa.errors import RWAError
from rwa.market import Book, Order, PagedSettlement, Settlement, settlement, sign_order, verify_settlement
from rwa.trade import Trade
from rwa.types import HONG_KONG, InvestorCategory

VENUE_STATUS = ("none", "active", "suspended", "revoked")
AUCTION_STATUS = ("none", "open", "settled", "settling", "cancelled")  # CallAuction.AuctionStatus
AUCTION_SETTLED, AUCTION_CANCELLED = 2, 4
#: Index of `clearedBlock` in `CallAuction.clearingOf` (price, volume, pagesRoot, matcher, deadline,
#: pageCount, pagesIn, clearedBlock, bought, sold).
CLEARED_BLOCK_FIELD = 7
#: Fills per `settlePage` and parties per `claim` transaction that the L2's per-transaction
#: proof-cost caps (250,000 opcodes, 512 slots) admit with margin (bench/auction.py).
MAX_FILLS_PER_PAGE = 20
MAX_CLAIMS_PER_TX = 40


class BookNotAsCommitted(RWAError):
    def __init__(self, venue: str, committed: bytes, computed: bytes) -> None:
        super().__init__(f"venue {venue}'s book file has root 0x{computed.hex()}, on chain it committed 0x{committed.hex()}")
        self.venue = venue


class AuctionNotEnded(RWAError):
    """Claims are paid once an auction is settled or cancelled; this one is neither yet."""

    def __init__(self, auction_id: int, status: int) -> None:
        super().__init__(f"auction {auction_id} is {AUCTION_STATUS[status]}: claims are paid once it is settled or cancelled")
        self.auction_id, self.status = auction_id, status


class ClaimsLeftUnpaid(RWAError):
    """Parties of an ended auction whose claim cannot be paid now; each keeps its claim on chain."""

    def __init__(self, auction_id: int, unpaid: Sequence[tuple[str, str]], paid_transactions: int) -> None:
        reasons = "; ".join(f"{party}: {why}" for party, why in unpaid)
        super().__init__(f"auction {auction_id}: {len(unpaid)} claim(s) kept on chain, not payable now ({reasons}); "
                         f"the other parties were paid in {paid_transactions} transaction(s)")
        self.auction_id, self.unpaid = auction_id, tuple(unpaid)


@dataclass(frozen=True, slots=True)
class VenueView:
    operator: str
    name: str
    licence: str
    fee_recipient: str
    fee_bps: int
    status: str


class AllianceMarket:
    def __init__(self, client: RWAClient) -> None:
        self.client = client
        self.venue_registry: Contract = contract_at(client.w3, "VenueRegistry", "0x" + VENUE_REGISTRY.hex())
        self.auction: Contract = contract_at(client.w3, "CallAuction", "0x" + CALL_AUCTION.hex())

    # --- venues ---------------------------------------------------------------------------------

    def venues(self) -> list[VenueView]:
        rows = []
        for operator in self.venue_registry.functions.venueOperators().call():
            fee_recipient, fee_bps, status, name, licence = self.venue_registry.functions.venue(operator).call()
            rows.append(VenueView(operator, name, licence, fee_recipient, fee_bps, VENUE_STATUS[status]))
        return rows

    def _register_venue_call(self, operator: str, name: str, licence: str, fee_recipient: str, fee_bps: int) -> Any:
        return self.venue_registry.functions.registerVenue(to_checksum_address(operator), name, licence, to_checksum_address(fee_recipient), fee_bps)

    def _allow_venues_call(self, asset: str, venues: Sequence[str], allowed: bool) -> Any:
        return self.client.contracts.compliance.functions.setVenuesAllowed(asset, [to_checksum_address(v) for v in venues], allowed)

    def register_venue(self, operator: str, name: str, licence: str, fee_recipient: str, fee_bps: int) -> dict[str, Any]:
        return self.client.transact(self._register_venue_call(operator, name, licence, fee_recipient, fee_bps))

    def allow_venues(self, asset: str, venues: Sequence[str], allowed: bool = True) -> dict[str, Any]:
        return self.client.transact(self._allow_venues_call(asset, venues, allowed))

    def register_and_allow(self, asset: str, venues: Sequence[tuple[str, str, str, str, int]], *, extra: Sequence[Call] = ()) -> list[dict[str, Any]]:
        """The alliance owner (also the asset's issuer) registers `venues` (operator, name,
        licence, fee recipient, fee bps) and allows them all for `asset`, with `extra` calls:
        independent calls, sent back to back."""
        calls = [Call(self._register_venue_call(*venue)) for venue in venues]
        calls.append(Call(self._allow_venues_call(asset, [v[0] for v in venues], True)))
        return self.client.transact_all([*calls, *extra])

    def custodian_identity_calls(self, kyc_valid_s: int, country: int = HONG_KONG) -> list[Call]:
        """While an auction settles, the `CallAuction` holds the sold tokens in custody, so it must
        be a verified identity of the registry (by a KYC agent the assets trust): the signer, a KYC
        agent, registers it as an institution; nothing when it already is verified."""
        registry = self.client.contracts.registry.functions
        if registry.isVerified(self.auction.address).call():
            return []
        expiry = self.client.chain_time() + kyc_valid_s
        return [Call(registry.registerIdentity(self.auction.address, country, int(InvestorCategory.INSTITUTIONAL), expiry))]

    # --- bilateral / RFQ trades at a venue ------------------------------------------------------

    def settle_at_venue(self, trade: Trade, seller_signature: bytes, buyer_signature: bytes) -> dict[str, Any]:
        """The signer, an active venue allowed for the asset, settles a trade both parties signed
        for it (`sign_venue_trade`) through SettlementEngine, tagged with the venue."""
        call = self.client.contracts.engine.functions.settleAtVenue(trade.as_tuple(), seller_signature, buyer_signature)
        return self.client.transact(call)

    # --- the auction ----------------------------------------------------------------------------

    def open_auction(self, asset: str, seconds: int) -> tuple[int, int]:
        cutoff = self.client.chain_time() + seconds
        receipt = self.client.transact(self.auction.functions.openAuction(asset, cutoff))
        (opened,) = self.auction.events.AuctionOpened().process_receipt(receipt)
        return int(opened["args"]["auctionId"]), cutoff

    def prepare_trader(self, asset: str, escrow_wei: int) -> list[dict[str, Any]]:
        """The signer's side of trading: approves the auction for `asset`, tops up its HKD escrow."""
        calls = [Call(self.client.token(asset).functions.approve(self.auction.address, 2**256 - 1))]
        if escrow_wei:
            calls.append(Call(self.auction.functions.deposit(), escrow_wei))
        return self.client.transact_all(calls)

    def new_book(self, auction_id: int, venue: str) -> Book:
        return Book(self.client.chain_id, self.auction.address, auction_id, to_checksum_address(venue), ())

    def open_book(self, book_file: Path, auction_id: int | None, venue: str | None) -> Book:
        """The venue's book in `book_file`, or a new empty book for `auction_id` at `venue` when
        the file does not exist yet (ValueError without them)."""
        if book_file.exists():
            return Book.load(book_file)
        if auction_id is None or venue is None:
            raise ValueError("a new book needs --auction and --venue")
        return self.new_book(auction_id, venue)

    def new_order(self, book: Book, trader: str, side: Side, amount: int, limit_price_wei: int, *, expiry_s: int = 86_400,
                  salt: int | None = None) -> Order:
        """`trader`'s order for `book`'s auction and venue, placed now (time priority), unsigned."""
        (asset, *_) = self.auction.functions.auctionOf(book.auction_id).call()
        now = self.client.chain_time()
        return Order(to_checksum_address(trader), asset, book.venue, book.auction_id, side, amount, limit_price_wei,
                     now * 1_000 + len(book.orders), now + expiry_s, salt if salt is not None else len(book.orders) + now)

    def order(self, book: Book, side: Side, amount: int, limit_price_wei: int, *, expiry_s: int = 86_400, salt: int | None = None) -> Book:
        """The signer's order, signed into `book` (its venue's book for the auction)."""
        order = self.new_order(book, self.client.address, side, amount, limit_price_wei, expiry_s=expiry_s, salt=salt)
        assert self.client.account is not None
        return book.with_order(sign_order(order, self.client.account.key, book.chain_id, book.call_auction))

    def commit(self, book: Book) -> dict[str, Any]:
        """The signer (the book's venue) commits the book's root."""
        return self.client.transact(self.auction.functions.commitBook(book.auction_id, book.root()))

    def reference_price(self, asset: str) -> int:
        return int(self.client.contracts.price_feed.functions.latestPrice(asset).call()[0])

    def match(self, books: Sequence[Book]) -> Settlement:
        """The rule's result over the books, after checking each is the one its venue committed."""
        auction_ids = {b.auction_id for b in books}
        if len(auction_ids) != 1:
            raise RWAError(f"books of several auctions: {sorted(auction_ids)}")
        (auction_id,) = auction_ids
        for book in books:
            committed = bytes(self.auction.functions.bookRoot(auction_id, book.venue).call())
            if committed != book.root():
                raise BookNotAsCommitted(book.venue, committed, book.root())
        asset = self.auction.functions.auctionOf(auction_id).call()[0]
        return settlement({b.venue: b.orders for b in books}, self.reference_price(asset))

    def settled_result(self, auction_id: int) -> tuple[int, dict[bytes, int]]:
        """The price and fills (order id -> amount) a matcher settled, from the `OrderFilled` events
        of its pages. Only the auction's own blocks are read: from the clearing's block (recorded
        by the contract, `Clearing.clearedBlock`) until the fills add up to the settled volume on
        both sides, so an audit costs the same however long the chain has grown."""
        status, price, volume = self.auction.functions.auctionOf(auction_id).call()[2:5]
        if status != AUCTION_SETTLED:
            raise RWAError(f"auction {auction_id} has not settled")
        cleared_block = int(self.auction.functions.clearingOf(auction_id).call()[CLEARED_BLOCK_FIELD])
        topic = "0x" + bytes(keccak(text="OrderFilled(uint64,bytes32,address,address,uint8,uint256,uint256,uint256)")).hex()
        head = int(self.client.w3.eth.block_number)
        fills: dict[bytes, int] = {}
        side_totals = [0, 0]  # bought, sold
        for start in range(cleared_block, head + 1, LOGS_BLOCK_RANGE):
            logs = self.client.w3.eth.get_logs({
                "address": self.auction.address, "topics": [topic, "0x" + auction_id.to_bytes(32, "big").hex()],
                "fromBlock": start, "toBlock": min(head, start + LOGS_BLOCK_RANGE - 1),
            })
            for log in logs:
                args = self.auction.events.OrderFilled().process_log(log)["args"]
                fills[bytes(args["orderId"])] = int(args["amount"])
                side_totals[int(args["side"])] += int(args["amount"])
            if side_totals == [volume, volume]:
                break
        return int(price), fills

    def audit(self, books: Sequence[Book]) -> Settlement:
        """Recomputes a settled auction from the committed books; raises `MatcherResultMismatch`
        when the matcher's price or fills are not the rule's (the evidence a venue disputes with)."""
        plan = self.match(books)
        price, fills = self.settled_result(books[0].auction_id)
        asset = self.auction.functions.auctionOf(books[0].auction_id).call()[0]
        verify_settlement({b.venue: b.orders for b in books}, self.reference_price(asset), price, fills)
        return plan

    def settle(self, books: Sequence[Book]) -> tuple[Settlement, list[dict[str, Any]]]:
        """Matches the books and settles the result as the signer (an active venue): the clearing,
        then its pages (`MAX_FILLS_PER_PAGE` fills each), then every party's claim; the receipts,
        none when nothing crosses."""
        cutoff = int(self.auction.functions.auctionOf(books[0].auction_id).call()[1])
        self.client.wait_for_chain_time(cutoff)
        plan = self.match(books)
        if plan.result.volume == 0:
            return plan, []
        paged = plan.paged(MAX_FILLS_PER_PAGE)
        receipts = [self.client.transact(self.auction.functions.submitClearing(*paged.clearing_args()))]
        receipts += self.settle_pages(paged)
        receipts += self.pay_claims(paged.auction_id, [*paged.parties(), *self._fee_recipients(books)])
        return plan, receipts

    def settle_pages(self, paged: PagedSettlement) -> list[dict[str, Any]]:
        """Sends every page not yet settled; the last one alone, after the others landed (it makes
        the auction final, a different path to estimate)."""
        f = self.auction.functions
        pending = [p for p in paged.pages if not f.pageSettled(paged.auction_id, p.index).call()]
        calls = [Call(f.settlePage(*p.settle_page_args(paged.auction_id))) for p in pending]
        return self.client.transact_all(calls[:-1]) + self.client.transact_all(calls[-1:])

    def pay_claims(self, auction_id: int, parties: Sequence[str]) -> list[dict[str, Any]]:
        """Pays every one of `parties` that has a claim on the (settled or cancelled) auction,
        `MAX_CLAIMS_PER_TX` per transaction. A party that cannot be paid now (its wallet frozen or
        no longer KYC'd: the token refuses the shares) is left out, so it blocks nobody else, and
        keeps its claim on chain for a later `claim`; `ClaimsLeftUnpaid` then names each one, after
        the others are paid. `AuctionNotEnded` before the auction is settled or cancelled."""
        f = self.auction.functions
        status = int(f.auctionOf(auction_id).call()[2])
        if status not in (AUCTION_SETTLED, AUCTION_CANCELLED):
            raise AuctionNotEnded(auction_id, status)
        candidates = list(dict.fromkeys(to_checksum_address(p) for p in parties))
        tokens, cash = f.claimable(auction_id, candidates).call()
        due = [p for p, t, c in zip(candidates, tokens, cash) if t or c]
        payable: list[str] = []
        unpaid: list[tuple[str, str]] = []
        for chunk in (due[i:i + MAX_CLAIMS_PER_TX] for i in range(0, len(due), MAX_CLAIMS_PER_TX)):
            if self.client.call_revert(f.claim(auction_id, chunk)) is None:
                payable += chunk
                continue
            for party in chunk:  # find who cannot be paid
                revert = self.client.call_revert(f.claim(auction_id, [party]))
                if revert is None:
                    payable.append(party)
                else:
                    unpaid.append((party, str(revert_error("claim", revert))))
        chunks = [payable[i:i + MAX_CLAIMS_PER_TX] for i in range(0, len(payable), MAX_CLAIMS_PER_TX)]
        receipts = self.client.transact_all([Call(f.claim(auction_id, chunk)) for chunk in chunks], preflight=False)
        if unpaid:
            raise ClaimsLeftUnpaid(auction_id, unpaid, len(receipts))
        return receipts

    def cancel_and_refund(self, auction_id: int, parties: Sequence[str]) -> list[dict[str, Any]]:
        """After the settlement window of an unfinished auction: cancels it and returns every
        party's tokens and HKD."""
        receipts = [self.client.transact(self.auction.functions.cancel(auction_id))]
        return receipts + self.pay_claims(auction_id, parties)

    def claimants(self, books: Sequence[Book]) -> list[str]:
        """Every party that may hold a claim on the books' auction: the traders of their orders
        and their venues' fee recipients."""
        return [s.order.trader for b in books for s in b.orders] + self._fee_recipients(books)

    def _fee_recipients(self, books: Sequence[Book]) -> list[str]:
        return [self.venue_registry.functions.venue(b.venue).call()[0] for b in books]
