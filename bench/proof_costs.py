"""What the project's own transactions use of the proof-cost caps (docs/fault-proofs.md).

    python bench/proof_costs.py

In process, on the devnet genesis with the RWA predeploys, after `bench/rwa_mix.py`'s set-up
(100 KYC'd traders, three assets minted to each, escrow and approvals): each workload is one
transaction in a block of its own, built with `Chain.build_block` under the devnet caps, then its
block is replayed (`prover.witness.block_proof_costs`) for the counts. Workloads: the L1-info
system deposit every block starts with, a user deposit (mint to an account) and one calling a
contract, a plain HKD transfer, an RWA transfer, a DvP `settle`, `settleBatch` of 25 (atomic and
not), a coupon `pushPayments` chunk of 50 holders (the chunk tests/rwa and the SDK use), a price update, a
withdrawal (`L2ToL1MessagePasser.initiateWithdrawal`), `AssetFactory.createAsset`, and the
deployment of the biggest L2 contract (RWAToken, 24 kB of runtime code).

The table prints each transaction's counts beside the caps and its share of the tightest cap;
`tests/node/test_proof_costs.py` asserts every workload succeeds under the caps.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import random  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eth.abc import SignedTransactionAPI  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_typing import Address, Hash32  # noqa: E402
from eth_utils import keccak, to_canonical_address  # noqa: E402

from bench.rwa_mix import (  # noqa: E402
    ENGINE,
    HKD,
    Actors,
    Bench,
    Signer,
    Workloads,
    _account,
    _contract,
    _decode,
    _hex,
    bench_genesis,
    coupon_dates,
    set_up,
    view_call,
)
from genesis.artifacts import load_artifact  # noqa: E402
from genesis.config import GenesisAccount  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.predeploys import CORPORATE_ACTIONS, L2_TO_L1_MESSAGE_PASSER, SETTLEMENT_ENGINE  # noqa: E402
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits  # noqa: E402
from node.chain import BlockAttributes, Chain  # noqa: E402
from node.derive.l1_source import L1BlockRef  # noqa: E402
from node.l1_info import l1_info_deposit  # noqa: E402
from rwa.trade import Trade, sign_trade  # noqa: E402
from rwa.types import NATIVE_HKD  # noqa: E402
from node.vm import LantauTransactionBuilder, ProofCosts  # noqa: E402
from prover.witness import block_proof_costs  # noqa: E402

TRADERS = 100
BATCH = 25
PUSH_CHUNK = 50
COUPON = 0  # DistributionKind.COUPON
ACTIONS, PASSER = _contract("CorporateActions"), _contract("L2ToL1MessagePasser")


@dataclass(frozen=True, slots=True)
class WorkloadCost:
    name: str
    gas_used: int
    success: bool
    costs: ProofCosts


@dataclass
class _Run:
    bench: Bench
    signer: Signer
    actors: Actors
    results: list[WorkloadCost]

    def one(self, name: str, raw: bytes | None = None, *, forced: Sequence[SignedTransactionAPI] = (), seconds: int = 1) -> None:
        """Build a block holding just this transaction (or deposit) and record its counts."""
        chain = self.bench.chain
        parent = chain.head
        # prevRandao by derivation's rule (node/derive/attributes.py), which the dispute game derives
        # a block's from (keccak256 of the parent hash): these blocks are disputed in tests too
        attributes = BlockAttributes(timestamp=parent.timestamp + seconds, fee_recipient=self.bench.genesis.coinbase,
                                     prev_randao=Hash32(keccak(parent.hash)), gas_limit=self.bench.genesis.gas_limit,
                                     forced_transactions=tuple(forced))
        built = chain.build_block(parent, attributes, _decode([raw]) if raw is not None else ())
        if built.rejected:
            raise SystemExit(f"{name}: rejected: {built.rejected[0].reason}")
        costs = block_proof_costs(chain, built.header)[-1]
        receipt = built.receipts[-1]
        self.results.append(WorkloadCost(name, receipt.gas_used - (built.receipts[-2].gas_used if len(built.receipts) > 1 else 0),
                                         bool(receipt.state_root == b"\x01"), costs))

    def sign(self, account: Account, to: str, data: bytes | str = b"", *, value: int = 0, gas: int) -> bytes:
        return self.signer.sign(account, to, data, value=value, gas=gas)


def measure(limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS) -> list[WorkloadCost]:
    """Every workload, each in its own block on a fresh chain under `limits`."""
    owner = Account.from_key(dev_accounts()[0].private_key)
    actors = Actors(owner, tuple(_account(f"trader {i}") for i in range(TRADERS)),
                    tuple(_account(f"venue {i}") for i in range(5)), tuple(_account(f"reporter {i}") for i in range(4)))
    genesis = bench_genesis([owner, *actors.traders, *actors.venues, *actors.reporters], block_size=200)
    # The issuer funds a coupon on 1e9 bond units (10M to each of 100 traders) at 4.05%.
    genesis = genesis.with_accounts({Address(to_canonical_address(owner.address)): GenesisAccount(balance=10**27)})
    with tempfile.TemporaryDirectory() as tmp:
        chain = Chain.open(Path(tmp), genesis, proof_cost_limits=limits)
        try:
            bench = Bench(chain, genesis)
            signer = Signer(genesis.chain_id)
            assets = set_up(bench, signer, actors)
            run = _Run(bench, signer, actors, [])
            _workloads(run, assets, genesis.chain_id)
            return run.results
        finally:
            chain.close()


def _workloads(run: _Run, assets: list[str], chain_id: int) -> None:
    rng = random.Random(14)
    owner, traders = run.actors.owner, run.actors.traders
    work = Workloads(run.signer, run.actors, assets, chain_id, rng, [assets[0]])
    head = run.bench.chain.head
    origin = L1BlockRef(1_000, Hash32(keccak(b"l1 origin")), Hash32(keccak(b"l1 parent")), head.timestamp, 7 * 10**9)
    run.one("deposit: L1-info system tx", forced=[l1_info_deposit(origin, 1)])
    user = Address(to_canonical_address(traders[0].address))
    run.one("deposit: mint to an account", forced=[LantauTransactionBuilder.new_deposit_transaction(
        source_hash=Hash32(keccak(b"user deposit 1")), from_=user, to=Address(keccak(b"fresh")[:20]),
        mint=10 * HKD, value=10 * HKD, gas=100_000, data=b"")])
    run.one("deposit: escrow in SettlementEngine", forced=[LantauTransactionBuilder.new_deposit_transaction(
        source_hash=Hash32(keccak(b"user deposit 2")), from_=user, to=SETTLEMENT_ENGINE,
        mint=10 * HKD, value=10 * HKD, gas=200_000, data=bytes.fromhex(ENGINE.encode_abi("deposit", [])[2:]))])
    run.one("HKD transfer", work.plain_transfer(0, 0))
    run.one("RWA transfer", work.rwa_transfer(0, 0))
    run.one("DvP settle", work.dvp_settle(0, 0))
    engine = _hex(SETTLEMENT_ENGINE)
    for atomic in (True, False):
        trades, seller_sigs, buyer_sigs = [], [], []
        for i in range(BATCH):
            seller, buyer = traders[(2 * i) % TRADERS], traders[(2 * i + 1) % TRADERS]
            trade = Trade(seller.address, buyer.address, assets[i % len(assets)], 1 + i, NATIVE_HKD,
                          (i + 1) * HKD // 10, 2**40, 10_000 + i + (BATCH if atomic else 0))
            trades.append(trade.as_tuple())
            seller_sigs.append(sign_trade(trade, seller.key, chain_id, engine))
            buyer_sigs.append(sign_trade(trade, buyer.key, chain_id, engine))
        data = ENGINE.encode_abi("settleBatch", [trades, seller_sigs, buyer_sigs, atomic])
        run.one(f"DvP settleBatch of {BATCH} (atomic={atomic})", run.sign(run.actors.venues[0], engine, data, gas=15_000_000))
    run.one("price update", work.price_update(run.bench.chain.head.timestamp + 1, 0))
    data = PASSER.encode_abi("initiateWithdrawal", [traders[1].address, 100_000, b""])
    run.one("withdrawal (initiateWithdrawal)", run.sign(traders[1], _hex(L2_TO_L1_MESSAGE_PASSER), data, value=HKD, gas=200_000))

    # A coupon on the green bond (assets[0]), owner = issuer: announce it for the bond's first
    # coupon date (record time the second before), then push in the block stamped that date.
    actions = _hex(CORPORATE_ACTIONS)
    pay = coupon_dates(run.bench.chain, assets[0])[0]
    due = _call_int(run.bench.chain, actions, ACTIONS.encode_abi("couponDue", [assets[0]]))
    data = ACTIONS.encode_abi("announceDistribution", [assets[0], COUPON, pay - 1, pay, pay + 30 * 86_400])
    run.one("coupon announceDistribution", run.sign(owner, actions, data, value=due, gas=1_000_000))
    holders = [t.address for t in traders[:PUSH_CHUNK]]
    distribution = _call_int(run.bench.chain, actions, ACTIONS.encode_abi("distributionCount", []))
    data = ACTIONS.encode_abi("pushPayments", [distribution, holders])
    run.one(f"coupon pushPayments chunk of {PUSH_CHUNK}", run.sign(owner, actions, data, gas=15_000_000),
            seconds=pay - run.bench.chain.head.timestamp)

    run.one("AssetFactory.createAsset", _create_asset(run, run.bench.chain.head.timestamp))
    token = load_artifact("RWAToken")
    run.one(f"deploy RWAToken ({len(token.deployed_bytecode):,} B runtime)",
            run.sign(owner, "", token.bytecode, gas=10_000_000))


def _create_asset(run: _Run, now: int) -> bytes:
    from bench.rwa_mix import FACTORY
    from genesis.predeploys import ASSET_FACTORY
    from rwa.types import AssetClass

    owner = run.actors.owner
    params = ("Proof Cost Bond", "PCB", 18, owner.address, [owner.address],
              (int(AssetClass.GREEN_BOND), "BENCH-PCB", "Bench issuer", "HKD", keccak(text="PCB")),
              (HKD, 40_500, 1, now + 365 * 86_400, [now + 365 * 86_400]))
    return run.sign(owner, _hex(ASSET_FACTORY), FACTORY.encode_abi("createAsset", [params]), gas=5_000_000)


def _call_int(chain: Chain, to: str, data: str) -> int:
    """A view call on the head's state that returns one integer."""
    return int.from_bytes(view_call(chain, to, data)[:32], "big")


def table(results: Sequence[WorkloadCost], limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS) -> str:
    caps = limits.abi_tuple()
    header = (f"{'workload':<40} {'L2 gas':>9} {'opcodes':>7} {'accounts':>8} {'slots':>5} {'code B':>6} "
              f"{'memory B':>8} {'frames':>6} {'max %':>5}  ok")
    lines = [header, "-" * len(header),
             f"{'caps':<40} {'':>9} {caps[0]:>7,} {caps[1]:>8,} {caps[2]:>5,} {caps[3]:>6,} {caps[4]:>8,} {caps[5]:>6,}"]
    for r in results:
        c = r.costs
        counts = (c.opcodes, c.accounts, c.slots, c.code_bytes, c.memory_bytes, c.frames)
        share = max(n / cap for n, cap in zip(counts, caps))
        lines.append(f"{r.name:<40} {r.gas_used:>9,} {counts[0]:>7,} {counts[1]:>8,} {counts[2]:>5,} {counts[3]:>6,} "
                     f"{counts[4]:>8,} {counts[5]:>6,} {share:>5.0%}  {'yes' if r.success else 'NO (' + str(c.exceeded) + ')'}")
    return "\n".join(lines)


def main() -> None:
    limits = ProofCostLimits(10**9, 10**9, 10**9, 10**9, 10**9, 10**9) if "--unbounded" in sys.argv else DEVNET_PROOF_COST_LIMITS
    print(table(measure(limits), limits))


if __name__ == "__main__":
    main()
