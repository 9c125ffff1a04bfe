"""L2 gas of the alliance market's call auction per order and per cleared auction, for books of
10, 100 and 500 orders, next to bilateral DvP. The settlement is paged (`CallAuction`): the
matcher's clearing, then pages of `MAX_FILLS_PER_PAGE` fills into the auction's custody, then the
parties' claims, `MAX_CLAIMS_PER_TX` per transaction (`rwa/market_client.py`, what the CLI and the
devnet use).

    python bench/auction.py [--orders 10,100,500] [--seed 852]

In process, on the devnet genesis (block gas limit raised so a 500-order settle fits in a block;
the devnet's own limit is printed beside it), with `bench/rwa_mix.py`'s set-up (100 KYC'd
traders holding the 0-decimal HK stock). Three venues are registered and allowed for the stock,
the auction is registered as a KYC'd (custodian) identity, the stock gets a PriceFeed price
(HK$100) and every trader approves the auction and deposits HKD in its escrow. Per book size: one
auction, random orders (buys limited at HK$99-105, sells at HK$95-101, 1-100 shares, spread over
the three venues), each venue commits its root, the cut-off passes, a venue submits the clearing
of `rwa.auction.match` (the market's own rule), then every page and claim transaction. Each
measured transaction is alone in its block, so the block's `gas_used` is its gas (intrinsic
included); its block is replayed (`prover.witness.block_proof_costs`) for the largest page's and
claim's share of the L2 per-transaction proof-cost caps.

Results (bench/README.md). Before (one `settle` transaction per auction): ~70k gas per fill at 25
fills; from ~35 fills a settle exceeded the opcode cap (250,000), so 100 and 500 orders could not
clear. Paged: every book size clears, in 1 + pages + claims transactions: 10 orders 1,223,919 gas
(3 transactions), 100 orders 11,521,351 (9), 500 orders 44,739,601 (25; 89,479 gas per order,
108,855 per fill); a page of 20 fills dispatches ~138k opcodes, code bytes (81%) bind first.

Also: a bilateral trade of the stock arranged at a venue (`SettlementEngine.settleAtVenue`,
tagged with the venue) next to the same kind of trade through plain `settle` (mean of 10 each).

Baseline: bilateral DvP through `SettlementEngine.settleBatch`, 102,801 gas per trade (two
parties, one asset leg, one cash leg: `bench/rwa_gas.py` after issue 17). An auction fill is one
party's side: an auction trade pairing one buy and one sell costs about two fills.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402

import rwa_mix  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.generate import DEVNET_GAS_LIMIT  # noqa: E402
from genesis.predeploys import CALL_AUCTION, COMPLIANCE, IDENTITY_REGISTRY, PRICE_FEED, SETTLEMENT_ENGINE, VENUE_REGISTRY  # noqa: E402
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS  # noqa: E402
from node.chain import Chain  # noqa: E402
from prover.witness import block_proof_costs  # noqa: E402
from rwa.auction import Side  # noqa: E402
from rwa.market import Order, SignedOrder, book_root, settlement, sign_order  # noqa: E402
from rwa.market_client import MAX_CLAIMS_PER_TX, MAX_FILLS_PER_PAGE  # noqa: E402
from rwa.types import HONG_KONG, InvestorCategory  # noqa: E402
from rwa.trade import Trade, sign_trade, sign_venue_trade  # noqa: E402
from rwa.types import NATIVE_HKD  # noqa: E402

HKD = rwa_mix.HKD
REFERENCE = 100 * HKD
BENCH_GAS_LIMIT = 400_000_000
#: Bilateral DvP, `SettlementEngine.settleBatch` per trade (bench/rwa_gas.py after issue 17).
BASELINE_SETTLE_BATCH_PER_TRADE = 102_801
AUCTION, VENUES, COMPLIANCE_ABI, FEED = (
    rwa_mix._contract(n) for n in ("CallAuction", "VenueRegistry", "Compliance", "PriceFeed")
)


RFQ_TRADES = 10


@dataclasses.dataclass(frozen=True, slots=True)
class AuctionCost:
    """One cleared auction: its size, the gas of each step, and the largest share of any proof-cost
    cap taken by one page or claim transaction (with the cap's name)."""

    orders: int
    fills: int
    pages: int
    claims: int  # claim transactions
    commit_per_venue: int
    clearing: int
    pages_gas: int
    claims_gas: int
    worst_share: float
    worst_cap: str
    worst_opcodes: int  # the most opcodes one page or claim transaction dispatched

    @property
    def total(self) -> int:
        """Gas of the settlement (clearing, pages, claims); the commits are the venues' own."""
        return self.clearing + self.pages_gas + self.claims_gas


def cap_share(costs: Any) -> tuple[float, str]:
    """The largest share of a cap `costs` (ProofCosts) takes, and that cap's name."""
    limits = DEVNET_PROOF_COST_LIMITS
    shares = {name: getattr(costs, name) / getattr(limits, f"max_{name}")
              for name in ("opcodes", "accounts", "slots", "code_bytes", "memory_bytes", "frames")}
    name = max(shares, key=lambda n: shares[n])
    return shares[name], name


def measure(order_counts: Sequence[int], seed: int) -> tuple[list[AuctionCost], dict[str, int]]:
    """Per book size, the cost of one cleared auction; and the mean gas of a bilateral trade of the
    stock settled plainly (`settle`) and at a venue (`settleAtVenue`, tagged), each submitted by
    venue 0."""
    owner = Account.from_key(dev_accounts()[0].private_key)
    actors = rwa_mix.Actors(
        owner,
        tuple(rwa_mix._account(f"trader {i}") for i in range(rwa_mix.TRADERS)),
        tuple(rwa_mix._account(f"venue {i}") for i in range(3)),
        tuple(rwa_mix._account(f"reporter {i}") for i in range(rwa_mix.REPORTERS)),
    )
    genesis = rwa_mix.bench_genesis([*actors.traders, *actors.venues, *actors.reporters], 200)
    genesis = dataclasses.replace(genesis, gas_limit=BENCH_GAS_LIMIT)
    rng = random.Random(seed)
    auction, registry = rwa_mix._hex(CALL_AUCTION), rwa_mix._hex(VENUE_REGISTRY)
    results: list[AuctionCost] = []
    with tempfile.TemporaryDirectory(prefix="lantau-auction-gas-") as data_dir:
        bench = rwa_mix.Bench(Chain.open(Path(data_dir), genesis), genesis)
        try:
            signer = rwa_mix.Signer(genesis.chain_id)
            stock = rwa_mix.set_up(bench, signer, actors)[1]  # the 0-decimal HK stock, issuer = owner
            venues = [v.address for v in actors.venues]
            raw = [signer.sign(owner, registry, VENUES.encode_abi("registerVenue", [v, f"Venue {i}", f"CE{i}", v, 10 * (i + 1)]),
                               gas=300_000) for i, v in enumerate(venues)]
            raw.append(signer.sign(owner, rwa_mix._hex(COMPLIANCE), COMPLIANCE_ABI.encode_abi("setVenuesAllowed", [stock, venues, True]), gas=300_000))
            raw.append(signer.sign(owner, rwa_mix._hex(PRICE_FEED), FEED.encode_abi("setReporter", [stock, owner.address, True]), gas=100_000))
            # The auction holds sold shares in custody while it settles: a KYC'd identity.
            raw.append(signer.sign(owner, rwa_mix._hex(IDENTITY_REGISTRY), rwa_mix.REGISTRY.encode_abi("registerIdentity", [
                auction, HONG_KONG, int(InvestorCategory.INSTITUTIONAL), bench.chain.head.timestamp + 10 * 365 * 86_400]), gas=200_000))
            bench.build(rwa_mix._decode(raw))
            now = bench.chain.head.timestamp
            raw = [signer.sign(owner, rwa_mix._hex(PRICE_FEED), FEED.encode_abi("submitPrice", [stock, REFERENCE, now]), gas=200_000)]
            for trader in actors.traders:
                raw.append(signer.sign(trader, stock, rwa_mix.TOKEN.encode_abi("approve", [auction, 2**256 - 1]), gas=100_000))
                raw.append(signer.sign(trader, auction, AUCTION.encode_abi("deposit", []), value=rwa_mix.ESCROW_WEI, gas=100_000))
            bench.build(rwa_mix._decode(raw))

            def alone(raw_tx: bytes) -> int:
                built = bench.build(rwa_mix._decode([raw_tx]))
                if not built.computations[0].is_success:
                    raise SystemExit(f"failed: {built.computations[0].error}")
                return built.header.gas_used

            rfq: dict[str, int] = {"settle": 0, "settleAtVenue": 0}
            engine = rwa_mix._hex(SETTLEMENT_ENGINE)
            rfq_rng = random.Random(seed + 1)  # its own draws: the auctions' books stay those of `seed`
            for n in range(2 * RFQ_TRADES):
                seller, buyer = rfq_rng.sample(actors.traders, 2)
                trade = Trade(seller.address, buyer.address, stock, rfq_rng.randint(1, 100), NATIVE_HKD, rfq_rng.randint(1, 1_000) * HKD // 10, 2**40, 10**9 + n)
                venue = actors.venues[0]
                if n % 2 == 0:
                    sigs = [sign_trade(trade, p.key, genesis.chain_id, engine) for p in (seller, buyer)]
                    rfq["settle"] += alone(signer.sign(venue, engine, rwa_mix.ENGINE.encode_abi("settle", [trade.as_tuple(), *sigs]), gas=1_000_000))
                else:
                    sigs = [sign_venue_trade(trade, venue.address, p.key, genesis.chain_id, engine) for p in (seller, buyer)]
                    rfq["settleAtVenue"] += alone(signer.sign(venue, engine, rwa_mix.ENGINE.encode_abi("settleAtVenue", [trade.as_tuple(), *sigs]), gas=1_000_000))
            rfq = {name: total // RFQ_TRADES for name, total in rfq.items()}

            for auction_id, count in enumerate(order_counts, start=1):
                cutoff = bench.chain.head.timestamp + 5  # open, three commits, then the cut-off
                alone(signer.sign(actors.venues[0], auction, AUCTION.encode_abi("openAuction", [stock, cutoff]), gas=300_000))
                books: dict[str, list[SignedOrder]] = {v: [] for v in venues}
                for n in range(count):
                    trader = actors.traders[n % len(actors.traders)]
                    side = Side.BUY if rng.random() < 0.5 else Side.SELL
                    limit = rng.randint(99, 105) if side is Side.BUY else rng.randint(95, 101)
                    venue = rng.choice(venues)
                    order = Order(trader.address, stock, venue, auction_id, side, rng.randint(1, 100), limit * HKD,
                                  n, 2**40, rng.getrandbits(64))
                    books[venue].append(sign_order(order, trader.key, genesis.chain_id, auction))
                commits = [alone(signer.sign(actors.venues[i], auction, AUCTION.encode_abi(
                    "commitBook", [auction_id, book_root([s.order_id for s in books[v]])]), gas=200_000))
                    for i, v in enumerate(venues) if books[v]]
                while bench.chain.head.timestamp < cutoff:
                    alone(signer.sign(owner, owner.address, value=1, gas=21_000))
                plan = settlement(books, REFERENCE)
                paged = plan.paged(MAX_FILLS_PER_PAGE)
                matcher = actors.venues[1]
                clearing = alone(signer.sign(matcher, auction, AUCTION.encode_abi("submitClearing", list(paged.clearing_args())), gas=500_000))
                step_gas = BENCH_GAS_LIMIT - 1_000_000  # so the caps, not the gas limit, bound a step
                worst, worst_opcodes = (0.0, ""), 0

                def step(raw_tx: bytes) -> int:
                    nonlocal worst, worst_opcodes
                    gas = alone(raw_tx)
                    costs = block_proof_costs(bench.chain, bench.chain.head)[-1]
                    worst, worst_opcodes = max(worst, cap_share(costs)), max(worst_opcodes, costs.opcodes)
                    return gas

                pages_gas = sum(step(signer.sign(matcher, auction, AUCTION.encode_abi(
                    "settlePage", list(page.settle_page_args(auction_id))), gas=step_gas)) for page in paged.pages)
                settled_topic = int.from_bytes(keccak(text="AuctionSettled(uint64,address,uint256,uint256,address)"), "big")
                if not any(log.topics and log.topics[0] == settled_topic for log in bench.chain.receipts(bench.chain.head.hash)[-1].logs):
                    raise SystemExit(f"auction {auction_id} did not settle")
                parties = paged.parties() + venues  # the traders, and the venues (their own fee recipients)
                chunks = [parties[i:i + MAX_CLAIMS_PER_TX] for i in range(0, len(parties), MAX_CLAIMS_PER_TX)]
                claims_gas = sum(step(signer.sign(matcher, auction, AUCTION.encode_abi("claim", [auction_id, chunk]), gas=step_gas))
                                 for chunk in chunks)
                commit = sum(commits) // len(commits)
                results.append(AuctionCost(count, len(plan.fills), len(paged.pages), len(chunks), commit, clearing, pages_gas, claims_gas, *worst, worst_opcodes))
        finally:
            bench.chain.close()
    return results, rfq


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", default="10,100,500", help="book sizes (orders per auction)")
    parser.add_argument("--seed", type=int, default=852)
    args = parser.parse_args(argv)
    rows, rfq = measure([int(n) for n in args.orders.split(",")], args.seed)
    tagged, plain = rfq["settleAtVenue"], rfq["settle"]
    print(f"bilateral trade of the stock at a venue (settleAtVenue, tagged) {tagged:,} gas vs plain settle {plain:,} "
          f"({tagged - plain:+,}, mean of {RFQ_TRADES} each)")
    print(f"devnet block gas limit {DEVNET_GAS_LIMIT:,}; baseline: bilateral settleBatch "
          f"{BASELINE_SETTLE_BATCH_PER_TRADE:,} gas per trade (2 sides)")
    print(f"page: at most {MAX_FILLS_PER_PAGE} fills; claim: at most {MAX_CLAIMS_PER_TX} parties")
    print(f"{'orders':>6} {'fills':>6} {'txs':>5} {'commit/venue':>13} {'clearing':>9} {'pages':>11} {'claims':>10} "
          f"{'settlement':>11} {'per order':>10} {'per fill':>9} {'per 2 fills vs DvP':>19} {'largest cap share':>22} {'most opcodes':>13}")
    for r in rows:
        per_fill = r.total // max(r.fills, 1)
        ratio = 2 * per_fill / BASELINE_SETTLE_BATCH_PER_TRADE
        print(f"{r.orders:>6} {r.fills:>6} {1 + r.pages + r.claims:>5} {r.commit_per_venue:>13,} {r.clearing:>9,} {r.pages_gas:>11,} "
              f"{r.claims_gas:>10,} {r.total:>11,} {r.total // r.orders:>10,} {per_fill:>9,} {ratio:>18.2f}x {r.worst_share:>10.0%} {r.worst_cap:<12} {r.worst_opcodes:>12,}")


if __name__ == "__main__":
    main()
