"""L2 gas of the alliance market's call auction (`CallAuction.settle`) per order and per cleared
auction, for books of 10, 100 and 500 orders, next to bilateral DvP.

    python bench/auction.py [--orders 10,100,500] [--seed 852]

In process, on the devnet genesis (block gas limit raised so a 500-order settle fits in a block;
the devnet's own limit is printed beside it), with `bench/rwa_mix.py`'s set-up (100 KYC'd
traders holding the 0-decimal HK stock). Three venues are registered and allowed for the stock,
the stock gets a PriceFeed price (HK$100) and every trader approves the auction and deposits HKD
in its escrow. Per book size: one auction, random orders (buys limited at HK$99-105, sells at
HK$95-101, 1-100 shares, spread over the three venues), each venue commits its root, the cut-off
passes, a venue settles the result of `rwa.auction.match` (the market's own rule). Each measured
transaction is alone in its block, so the block's `gas_used` is its gas (intrinsic included).

Results (bench/README.md): ~70k gas per fill at 25 fills (1.36x bilateral DvP per pair of sides);
from ~35 fills a settle exceeds the L2 per-transaction opcode cap (250,000), so 100 and 500 orders
are refused (the bench prints the proof costs): settlement in chunks is open.

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
from typing import Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402
from eth_utils import keccak  # noqa: E402

import rwa_mix  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.generate import DEVNET_GAS_LIMIT  # noqa: E402
from genesis.predeploys import CALL_AUCTION, COMPLIANCE, PRICE_FEED, SETTLEMENT_ENGINE, VENUE_REGISTRY  # noqa: E402
from node.chain import Chain  # noqa: E402
from rwa.auction import Side  # noqa: E402
from rwa.market import Order, SignedOrder, book_root, settlement, sign_order  # noqa: E402
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


def measure(order_counts: Sequence[int], seed: int) -> tuple[list[tuple[int, int, int, int | str]], dict[str, int]]:
    """Per book size: (orders, fills, commit gas per venue, settle gas or why it failed); and the
    mean gas of a bilateral trade of the stock settled plainly (`settle`) and at a venue
    (`settleAtVenue`, tagged), each submitted by venue 0."""
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
    results: list[tuple[int, int, int, int | str]] = []
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
                data = AUCTION.encode_abi("settle", [auction_id, plan.result.price, plan.settle_args()])
                raw_settle = signer.sign(actors.venues[1], auction, data, gas=BENCH_GAS_LIMIT - 1_000_000)
                parent = bench.chain.head
                attributes = rwa_mix.BlockAttributes(timestamp=parent.timestamp + 1, fee_recipient=genesis.coinbase,
                                                     prev_randao=rwa_mix.PREV_RANDAO, gas_limit=genesis.gas_limit)
                built = bench.chain.build_block(parent, attributes, rwa_mix._decode([raw_settle]))
                if not built.computations[0].is_success:
                    # Refused by the L2's per-transaction proof-cost caps (genesis/rollup_config.py):
                    # it reverted, nothing settled; the auction stays open.
                    results.append((count, len(plan.fills), sum(commits) // len(commits), str(built.computations[0].error)))
                    continue
                settled_topic = int.from_bytes(keccak(text="AuctionSettled(uint64,address,uint256,uint256,address)"), "big")
                if not any(log.topics and log.topics[0] == settled_topic for log in built.receipts[0].logs):
                    raise SystemExit(f"auction {auction_id} did not settle")
                results.append((count, len(plan.fills), sum(commits) // len(commits), built.header.gas_used))
        finally:
            bench.chain.close()
    return results, rfq


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", default="10,20,30,100,500", help="book sizes (orders per auction)")
    parser.add_argument("--seed", type=int, default=852)
    args = parser.parse_args(argv)
    rows, rfq = measure([int(n) for n in args.orders.split(",")], args.seed)
    tagged, plain = rfq["settleAtVenue"], rfq["settle"]
    print(f"bilateral trade of the stock at a venue (settleAtVenue, tagged) {tagged:,} gas vs plain settle {plain:,} "
          f"({tagged - plain:+,}, mean of {RFQ_TRADES} each)")
    print(f"devnet block gas limit {DEVNET_GAS_LIMIT:,}; baseline: bilateral settleBatch "
          f"{BASELINE_SETTLE_BATCH_PER_TRADE:,} gas per trade (2 sides)")
    print(f"{'orders':>6} {'fills':>6} {'commit/venue':>13} {'settle':>12} {'settle/fill':>12} {'per 2 fills vs DvP':>19} {'fits devnet block':>18}")
    for orders, fills, commit, settle in rows:
        if isinstance(settle, str):
            print(f"{orders:>6} {fills:>6} {commit:>13,}  settle refused: {settle}")
            continue
        per_fill = settle // max(fills, 1)
        ratio = 2 * per_fill / BASELINE_SETTLE_BATCH_PER_TRADE
        print(f"{orders:>6} {fills:>6} {commit:>13,} {settle:>12,} {per_fill:>12,} {ratio:>18.2f}x {str(settle <= DEVNET_GAS_LIMIT):>18}")


if __name__ == "__main__":
    main()
