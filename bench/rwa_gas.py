"""L2 gas per RWA operation, next to the figures of the layer before issue 17's changes.

    python bench/rwa_gas.py [--trades 20] [--holders 100]

In process, on the devnet genesis, with `bench/rwa_mix.py`'s untimed set-up (100 KYC'd traders,
three assets minted to all, approvals and HKD escrow). Each measured transaction is alone in its
block (`Chain.build_block`), so a block's `gas_used` is that transaction's gas, intrinsic gas
included:

- **transfer**: `RWAToken.transfer` between two traders who both hold the asset (mean of
  `--trades` transfers, random pairs and assets);
- **settle**: `SettlementEngine.settle` of a trade both parties signed, cash from the escrow
  (mean of `--trades`);
- **settleBatch / trade**: one non-atomic `settleBatch` of `--trades` trades, divided by the count;
- **coupon / holder**: one `CorporateActions.pushPayments` paying a green-bond coupon to
  `--holders` holders, divided by the count.

Gas is deterministic, so one run suffices. `BASELINE` holds the same figures measured on the
tree before issue 17 (main at 47e5ac8, same command and defaults; at 100 holders a push cost
42,382 gas per holder there); the table prints both. After issue 17 (per-investor holdings,
trusted-provider and split-epoch checks, cash only to eligible wallets):

    operation                    gas  baseline   change
    transfer                  77,616    72,318    +7.3%
    settle                   147,845   138,487    +6.8%
    settleBatch / trade      102,801    94,213    +9.1%
    coupon / holder           53,183    43,490   +22.3%

What the extra gas buys: a transfer reads each party's investor pin (two cold slots) and the
providers' trust; a settle also reads the asset's split epoch; a coupon checks each payee's
freeze, KYC and recovery (`RWAToken.cashRecipient`, one registry call).

ERC-7943 and ERC-2612 (RWAToken split into RWAToken + RWATokenExtension behind its fallback,
frozen amounts that may exceed the balance), measured on the same defaults:

    operation                    gas  baseline   change   before this change
    transfer                  77,920    72,318    +7.7%   77,616 (+304)
    settle                   148,238   138,487    +7.0%   147,845 (+393)
    settleBatch / trade      103,194    94,213    +9.5%   102,801 (+393)
    coupon / holder           53,159    43,490   +22.2%   53,183 (-24)

The hot paths stay in RWAToken (no DELEGATECALL on transfer, settle or coupon); the few hundred
gas are the reordered selector dispatch and the saturating unfrozen-balance check. The features
cost gas only when used (a call through the fallback pays one DELEGATECALL, ~2.7k gas cold).

Holds (`createHold`/`executeHold`/`releaseHold`): an account's held tokens are kept in the same
slot as its frozen ones, so a transfer still reads one slot for both:

    operation                    gas  baseline   change   before holds
    transfer                  77,937    72,318    +7.8%   77,920 (+17)
    settle                   148,255   138,487    +7.1%   148,238 (+17)
    settleBatch / trade      103,211    94,213    +9.6%   103,194 (+17)
    coupon / holder           53,137    43,490   +22.2%   53,159 (-22)

Consolidations (balances in fine units, the split checkpoint packing multiplier and divisor) and
DvP affirmation (a batch's per-trade gas reserve): a transfer reads the sender's balance once in
fine units and converts at the unit in force (one more warm read of the split history):

    operation                    gas  baseline   change   before consolidations
    transfer                  78,279    72,318    +8.2%   77,937 (+342)
    settle                   148,207   138,487    +7.0%   148,255 (-48)
    settleBatch / trade      103,393    94,213    +9.7%   103,211 (+182)
    coupon / holder           53,357    43,490   +22.7%   53,137 (+220)

Coupon dates (a coupon's pay time must be one of the bond terms' `couponDates`, checked once at
announcement, so a push pays as before) and one-transaction affirmation (`affirm` creates the hold
through `RWAToken.createHoldFrom`, which spends the seller's allowance through the same internal
`_spendAllowance` as `transferFrom`; ERC-20 cash legs lockable):

    operation                    gas  baseline   change   before this change
    transfer                  78,279    72,318    +8.2%   78,279 (0)
    settle                   148,263   138,487    +7.1%   148,207 (+56)
    settleBatch / trade      103,450    94,213    +9.8%   103,393 (+57)
    coupon / holder           53,357    43,490   +22.7%   53,357 (0)

Holds in RWAToken with ids namespaced by their creator (`holdIdOf`; moved out of
RWATokenExtension, so a hold no longer goes through the fallback) and record times a cancelled
distribution withdraws (`unscheduleRecordTime`): the hot paths are unchanged but for the selector
dispatch of a larger RWAToken:

    operation                    gas  baseline   change   before this change
    transfer                  78,303    72,318    +8.3%   78,279 (+24)
    settle                   148,310   138,487    +7.1%   148,263 (+47)
    settleBatch / trade      103,497    94,213    +9.9%   103,450 (+47)
    coupon / holder           53,285    43,490   +22.5%   53,357 (-72)
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth_account import Account  # noqa: E402
from eth_typing import Address  # noqa: E402
from eth_utils import keccak, to_canonical_address  # noqa: E402

import rwa_mix  # noqa: E402
from genesis.config import GenesisAccount  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.predeploys import CORPORATE_ACTIONS, SETTLEMENT_ENGINE  # noqa: E402
from node.chain import Chain  # noqa: E402
from rwa.trade import Trade, sign_trade  # noqa: E402
from rwa.types import NATIVE_HKD  # noqa: E402

ACTIONS = rwa_mix._contract("CorporateActions")
COUPON_KIND = 0
YEAR_S = 365 * 86_400

#: Gas per operation before issue 17 (main at 47e5ac8), `python bench/rwa_gas.py` defaults.
BASELINE: dict[str, int] = {
    "transfer": 72_318,
    "settle": 138_487,
    "settleBatch / trade": 94_213,
    "coupon / holder": 43_490,
}


def measure(trades: int, holders: int, seed: int) -> dict[str, int]:
    owner = Account.from_key(dev_accounts()[0].private_key)
    actors = rwa_mix.Actors(
        owner,
        tuple(rwa_mix._account(f"trader {i}") for i in range(rwa_mix.TRADERS)),
        tuple(rwa_mix._account(f"venue {i}") for i in range(rwa_mix.VENUES)),
        tuple(rwa_mix._account(f"reporter {i}") for i in range(rwa_mix.REPORTERS)),
    )
    genesis = rwa_mix.bench_genesis([*actors.traders, *actors.venues, *actors.reporters], 200)
    # The issuer funds a coupon on the whole bond (HK$40.5m on 10^9 tokens at 4.05%) up front.
    genesis = genesis.with_accounts({Address(to_canonical_address(owner.address)): GenesisAccount(balance=10**27)})
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="lantau-rwa-gas-") as data_dir:
        bench = rwa_mix.Bench(Chain.open(Path(data_dir), genesis), genesis)
        try:
            signer = rwa_mix.Signer(genesis.chain_id)
            assets = rwa_mix.set_up(bench, signer, actors)
            work = rwa_mix.Workloads(signer, actors, assets, genesis.chain_id, rng, assets)

            def alone(raw: bytes, *, events: tuple[str, int] | None = None, timestamp: int | None = None) -> int:
                built = bench.build(rwa_mix._decode([raw]), timestamp=timestamp)
                if events is not None:  # a batch must have done all its work, not skipped some
                    name, expected = events
                    topic = int.from_bytes(keccak(text=name), "big")
                    seen = sum(1 for log in built.receipts[0].logs if log.topics and log.topics[0] == topic)
                    if seen != expected:
                        raise SystemExit(f"{name}: {seen} events, expected {expected}")
                return built.header.gas_used

            transfer = sum(alone(work.rwa_transfer(0, 0)) for _ in range(trades)) // trades
            settle = sum(alone(work.dvp_settle(0, 0)) for _ in range(trades)) // trades

            batch, seller_sigs, buyer_sigs = [], [], []
            engine = rwa_mix._hex(SETTLEMENT_ENGINE)
            for salt in range(trades):
                seller, buyer = rng.sample(actors.traders, 2)
                trade = Trade(seller.address, buyer.address, assets[1], rng.randint(1, 100), NATIVE_HKD,
                              rng.randint(1, 1_000) * rwa_mix.HKD // 10, 2**40, 10**9 + salt)
                batch.append(trade.as_tuple())
                seller_sigs.append(sign_trade(trade, seller.key, genesis.chain_id, engine))
                buyer_sigs.append(sign_trade(trade, buyer.key, genesis.chain_id, engine))
            data = rwa_mix.ENGINE.encode_abi("settleBatch", [batch, seller_sigs, buyer_sigs, False])
            settled = ("TradeSettled(bytes32,address,address,address,uint256,address,uint256)", trades)
            settle_batch = alone(signer.sign(actors.venues[0], engine, data, gas=25_000_000), events=settled) // trades

            # A coupon is paid on one of the bond's coupon dates: the record time is the second
            # before the first, and the chain moves to it in one block.
            bond, actions = assets[0], rwa_mix._hex(CORPORATE_ACTIONS)
            pay = rwa_mix.coupon_dates(bench.chain, bond)[0]
            announce = ACTIONS.encode_abi("announceDistribution", [bond, COUPON_KIND, pay - 1, pay, pay + YEAR_S])
            # couponDue: supply x HK$1 face x 4.05% (18 decimals), what announcing a coupon must fund.
            supply = rwa_mix.TRADERS * rwa_mix.ASSETS[0][4]
            coupon_wei = supply * rwa_mix.HKD * 40_500 // (10**6 * 10**18)
            alone(signer.sign(owner, actions, announce, value=coupon_wei, gas=1_000_000))
            alone(signer.sign(owner, owner.address, value=1, gas=21_000), timestamp=pay)  # the pay time comes
            paid = [t.address for t in actors.traders[:holders]]
            push = ACTIONS.encode_abi("pushPayments", [1, paid])
            paid_events = ("DistributionPaid(uint256,address,uint256,uint256,bool)", holders)
            coupon = alone(signer.sign(owner, actions, push, gas=25_000_000), events=paid_events) // holders
        finally:
            bench.chain.close()
    return {"transfer": transfer, "settle": settle, "settleBatch / trade": settle_batch, "coupon / holder": coupon}


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trades", type=int, default=20, help="transfers, settles and trades in the batch")
    parser.add_argument("--holders", type=int, default=50,
                        help="holders paid by one pushPayments (the SDK's PUSH_CHUNK: within the L2 proof-cost caps)")
    parser.add_argument("--seed", type=int, default=852)
    args = parser.parse_args(argv)
    figures = measure(args.trades, min(args.holders, rwa_mix.TRADERS), args.seed)
    print(f"{'operation':<22} {'gas':>9} {'baseline':>9} {'change':>8}")
    for name, gas in figures.items():
        base = BASELINE[name]
        change = f"{(gas - base) / base:+.1%}" if base else "-"
        print(f"{name:<22} {gas:>9,} {base:>9,} {change:>8}")


if __name__ == "__main__":
    main()
