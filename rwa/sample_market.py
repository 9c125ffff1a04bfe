"""The devnet's sample alliance market: three licensed venues and one call auction for the sample
HK stock (0005.HK, HK$100 a share), with orders from five dev accounts.

Venues (alliance owner: dev 0, who also issues 0005.HK and allows all three for it):
dev 2 "Lion Rock Digital Exchange" (0.10%), dev 3 "Victoria Harbour ATS" (0.20%), dev 9 "Kowloon
Virtual Securities" (0.15%). Orders (shares, HKD limit): dev 1 sells 500 at 99 and dev 4 buys 400
at 102 (Lion Rock); dev 8 sells 800 at 101 and dev 5 buys 600 at 100 (Victoria Harbour); dev 7
sells 300 at 100 and dev 6 buys 300 at 98 (Kowloon). By hand: at HK$100 demand is 1,000 and supply
800, the largest volume any price gives (99: 500, 101: 400), so 800 shares cross at HK$100: dev 4
gets 400, dev 5 400 of its 600 (price-time priority), dev 1 delivers 500 and dev 7 300.

Dev 0, the KYC agent, registers the `CallAuction` as an institutional identity (it holds the sold
shares in custody while the auction settles); the settlement is the paged one (`AllianceMarket.settle`:
clearing, one page, claims).
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from web3 import Web3

from genesis.dev_accounts import dev_accounts
from rwa.auction import Side
from rwa.client import RWAClient
from rwa.market import Book
from rwa.market_client import AllianceMarket
from rwa.sample import KYC_VALID_S

HKD = 10**18
SAMPLE_STOCK_IDENTIFIER = "0005"
#: (dev account, name, licence reference, fee in basis points)
SAMPLE_VENUES = (
    (2, "Lion Rock Digital Exchange", "SFC CE BLR001 (sample)", 10),
    (3, "Victoria Harbour ATS", "SFC CE BVH002 (sample)", 20),
    (9, "Kowloon Virtual Securities", "SFC CE BKV003 (sample)", 15),
)
#: (venue index, dev account, side, shares, limit HKD)
SAMPLE_ORDERS = (
    (0, 1, Side.SELL, 500, 99),
    (0, 4, Side.BUY, 400, 102),
    (1, 8, Side.SELL, 800, 101),
    (1, 5, Side.BUY, 600, 100),
    (2, 7, Side.SELL, 300, 100),
    (2, 6, Side.BUY, 300, 98),
)
ESCROW_WEI = 100_000 * HKD  # each buyer's deposit in the auction escrow
#: From opening to the cut-off: the three venues commit concurrently, in the next block or two;
#: 5 s missed the cut-off on a loaded 2-core machine (commitBook then reverts AuctionClosed).
CUTOFF_S = 10


@dataclass(frozen=True, slots=True)
class SampleAuction:
    already_ran: bool
    venues: tuple[str, ...]
    auction_id: int
    price_wei: int
    volume: int

    def to_json(self) -> dict[str, Any]:
        return {"already_ran": self.already_ran, "venues": list(self.venues), "auction_id": self.auction_id,
                "price_hkd_wei": str(self.price_wei), "volume": self.volume}


def sample_auction(w3: Web3, *, platform_key: str | None = None) -> SampleAuction:
    """Registers the sample venues and runs the sample auction, unless already done (the sample
    issuance must have run: it creates 0005.HK)."""
    accounts = dev_accounts()
    platform = RWAClient(w3, Account.from_key(platform_key or accounts[0].private_key))
    market = AllianceMarket(platform)
    stock = platform.asset(SAMPLE_STOCK_IDENTIFIER).address
    venue_addresses = tuple(accounts[i].address for i, *_ in SAMPLE_VENUES)
    a = market.auction.functions
    for auction_id in range(1, int(a.auctionCount().call()) + 1):
        asset, _, status, price, volume = a.auctionOf(auction_id).call()
        if asset == stock and status == 2:
            return SampleAuction(True, venue_addresses, auction_id, int(price), int(volume))

    known = set(market.venue_registry.functions.venueOperators().call())
    new_venues = [(address, name, licence, address, fee_bps)
                  for (_, name, licence, fee_bps), address in zip(SAMPLE_VENUES, venue_addresses) if address not in known]

    def as_dev(index: int) -> AllianceMarket:
        return AllianceMarket(RWAClient(w3, Account.from_key(accounts[index].private_key)))

    # Different senders: their transactions go out together and land in the same block or two
    # (what keeps `lantau devnet`'s start-up short): the venues' registration beside the traders'
    # approvals and escrow deposits.
    custodian = market.custodian_identity_calls(KYC_VALID_S)
    with ThreadPoolExecutor(max_workers=len(SAMPLE_ORDERS) + 1) as pool:
        venues_done = pool.submit(market.register_and_allow, stock, new_venues, extra=custodian) if new_venues else None
        list(pool.map(lambda o: as_dev(o[1]).prepare_trader(stock, ESCROW_WEI if o[2] is Side.BUY else 0), SAMPLE_ORDERS))
        if venues_done is not None:
            venues_done.result()
        else:
            market.allow_venues(stock, venue_addresses)
            platform.transact_all(custodian)
        # Open, sign (off chain), commit the three books before the cut-off.
        auction_id, _ = as_dev(SAMPLE_VENUES[0][0]).open_auction(stock, CUTOFF_S)
        books = {i: market.new_book(auction_id, address) for i, address in enumerate(venue_addresses)}
        for venue, dev, side, shares, limit in SAMPLE_ORDERS:
            books[venue] = as_dev(dev).order(books[venue], side, shares, limit * HKD)
        list(pool.map(lambda i: as_dev(SAMPLE_VENUES[i][0]).commit(books[i]), books))
    plan, _ = as_dev(SAMPLE_VENUES[1][0]).settle(list(books.values()))
    return SampleAuction(False, venue_addresses, auction_id, plan.result.price, plan.result.volume)


def run_sample_market(l2_rpc_url: str) -> dict[str, Any]:
    """Blocking: the sample market against the node at `l2_rpc_url` (after the sample issuance);
    the summary as JSON (for devnet.json)."""
    w3 = Web3(Web3.HTTPProvider(l2_rpc_url, request_kwargs={"timeout": 60}))
    return sample_auction(w3).to_json()


def format_sample_market(summary: dict[str, Any]) -> str:
    """The banner's lines on the sample auction."""
    price_hkd = int(summary["price_hkd_wei"]) // HKD
    state = "already on chain" if summary["already_ran"] else "settled"
    return "\n".join([
        "", "Alliance market sample", "======================",
        f"  venues: {', '.join(name for _, name, _, _ in SAMPLE_VENUES)} (dev {', '.join(str(i) for i, *_ in SAMPLE_VENUES)})",
        f"  auction {summary['auction_id']} for 0005.HK {state}: {summary['volume']:,} shares crossed at HK${price_hkd} against HKD",
        "  try: lantau rwa market venues --devnet <data dir>",
    ])
