"""Throughput of Lantau's block building against py-evm's stock mining path.

    python bench/tps.py --all                    # issue 13's three comparisons in one run (`make bench`)
    python bench/tps.py [--txs 2000] [--block-size 500] [--workload transfer erc20 rwa-mix]
    python bench/tps.py --rpc http://127.0.0.1:8545 [--txs 2000]

In-process mode signs N transactions per workload (plain HKD-native transfers; ERC-20
`transfer` calls on a minimal token; `rwa-mix`: `bench/rwa_mix.py`'s RWA transfers, DvP settles
and price updates on the devnet genesis's RWA predeploys, after its set-up blocks, which both
paths apply untimed), then applies the same transactions in the same blocks twice:

- **lantau**: `node.chain.Chain.open(tmpdir, genesis)` on LevelDB, `Chain.build_block`;
  persisting every block (state, body, receipts, indexes, head) is inside the timing.
- **py-evm**: a stock `MiningChain` with `PragueVM` on a `MemoryDB`, `mine_all` (which runs
  `apply_all_transactions`), same genesis alloc, same transactions.

Both paths must agree on the gas used, the transactions root and the receipts root of every
block. State roots differ by design: Lantau credits the base fee to `BaseFeeVault` instead of
burning it. Signing and decoding are outside the timings (a node decodes at RPC ingest).

`--rpc URL` mode is end to end against a node already running: `bench/rpc_e2e.py`'s workload
(which also starts the nodes itself, lantau and anvil side by side).

`--all` runs, in one process and one go: `bench/rpc_e2e.py` (lantau node vs anvil automine,
both started here, every receipt polled), the in-process comparison above for all three
workloads, and `bench/derive.py` (a verifier deriving from a real anvil vs the sequencer
building the same blocks: blocks/s and Mgas/s of both), then one summary table with the
figures when issue 13 was filed and the last ones recorded in bench/README.md beside this
run's.
"""

from __future__ import annotations

import os

# Before anything imports eth_hash: pycryptodome's keccak is ~7x slower than pysha3's. Both
# paths use the same backend, so the comparison stays fair.
os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import cProfile  # noqa: E402
import dataclasses  # noqa: E402
import gc  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import eth.db.trie  # noqa: E402
import rlp.codec  # noqa: E402
from eth.abc import SignedTransactionAPI  # noqa: E402
from eth.chains.base import MiningChain  # noqa: E402
from eth.db.atomic import AtomicDB  # noqa: E402
from eth.db.backends.memory import MemoryDB  # noqa: E402
from eth.vm.forks.prague import PragueVM  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_hash.auto import keccak  # noqa: E402
from eth_typing import Address, Hash32  # noqa: E402
from eth_utils import to_canonical_address  # noqa: E402

from genesis.builder import genesis_header_params, genesis_state  # noqa: E402
from genesis.config import GenesisAccount, GenesisConfig  # noqa: E402
from node.chain import BlockAttributes, Chain  # noqa: E402
from node.trie_cache import FLAT_TRIE_CACHE  # noqa: E402
from node.vm import LantauVM  # noqa: E402

# A minimal ERC-20, compiled once with the pinned solc 0.8.28 (solcjs standard JSON,
# optimizer on, 200 runs, evmVersion cancun); this is its runtime code:
#
#     contract BenchToken {
#         mapping(address => uint256) public balanceOf;  // slot 0
#         event Transfer(address indexed from, address indexed to, uint256 value);
#         function transfer(address to, uint256 value) external returns (bool) {
#             uint256 balance = balanceOf[msg.sender];
#             require(balance >= value, "insufficient balance");
#             unchecked { balanceOf[msg.sender] = balance - value; }
#             balanceOf[to] += value;
#             emit Transfer(msg.sender, to, value);
#             return true;
#         }
#     }
#
# Storage layout (from the compiler): `balanceOf` is slot 0, so balanceOf[a] lives at
# keccak(pad32(a) ++ pad32(0)); `token_balance_slot` below must agree with it.
BENCH_TOKEN_RUNTIME = bytes.fromhex(
    "608060405234801561000f575f5ffd5b5060043610610034575f3560e01c806370a0823114610038578063a9059c"
    "bb1461006a575b5f5ffd5b610057610046366004610185565b5f6020819052908152604090205481565b60405190"
    "81526020015b60405180910390f35b61007d6100783660046101a5565b61008d565b6040519015158152602001610061"
    "565b335f90815260208190526040812054828110156100e75760405162461bcd60e51b815260206004820152601460"
    "2482015273696e73756666696369656e742062616c616e636560601b604482015260640160405180910390fd5b335f"
    "9081526020819052604080822085840390556001600160a01b0386168252812080548592906101199084906101cd56"
    "5b90915550506040518381526001600160a01b0385169033907fddf252ad1be2c89b69c2b068fc378daa952ba7f163"
    "c4a11628f55a4df523b3ef9060200160405180910390a360019150505b92915050565b80356001600160a01b03811681"
    "14610180575f5ffd5b919050565b5f60208284031215610195575f5ffd5b61019e8261016a565b9392505050565b5f"
    "5f604083850312156101b6575f5ffd5b6101bf8361016a565b946020939093013593505050565b8082018082111561"
    "016457634e487b7160e01b5f52601160045260245ffdfea2646970667358221220377485e73915e44720c4ccfe4685"
    "63ab5b9476e906b23d1a5654e05a4233ddff64736f6c634300081c0033"
)
BENCH_TOKEN_ADDRESS = Address(bytes.fromhex("00000000000000000000000000000000be4c2020"))
TRANSFER_SELECTOR = keccak(b"transfer(address,uint256)")[:4]

TRANSFER_GAS = 21_000
ERC20_TRANSFER_GAS = 60_000  # a transfer to a new holder uses ~51k; the bound sets txs per block
SENDER_BALANCE_WEI = 10**24
SENDER_TOKEN_BALANCE = 10**30
MAX_FEE_PER_GAS = 1_000 * 10**9  # far above any base fee a bench run reaches
PRIORITY_FEE_PER_GAS = 10**6
RECIPIENT_POOL = 1_000  # transfers cycle through this many recipients: new holders, then existing
PREV_RANDAO = Hash32(keccak(b"lantau bench prev_randao"))
WORKLOADS = ("transfer", "erc20")


# --- workload ----------------------------------------------------------------------------------


def token_balance_slot(holder: Address) -> int:
    """Solidity's slot of `balanceOf[holder]` for a mapping at slot 0."""
    return int.from_bytes(keccak(holder.rjust(32, b"\x00") + (0).to_bytes(32, "big")), "big")


def sender_keys(count: int) -> list[bytes]:
    return [keccak(b"lantau bench sender %d" % index) for index in range(count)]


def recipient(index: int) -> Address:
    return Address(keccak(b"lantau bench recipient %d" % (index % RECIPIENT_POOL))[:20])


def bench_genesis(senders: Sequence[Address], block_size: int) -> GenesisConfig:
    """The devnet genesis plus funded senders and the bench token holding their balances."""
    base = GenesisConfig.load()
    accounts = {sender: GenesisAccount(balance=SENDER_BALANCE_WEI) for sender in senders}
    accounts[BENCH_TOKEN_ADDRESS] = GenesisAccount(
        code=BENCH_TOKEN_RUNTIME,
        storage={token_balance_slot(sender): SENDER_TOKEN_BALANCE for sender in senders},
    )
    gas_limit = max(base.gas_limit, block_size * ERC20_TRANSFER_GAS)
    return dataclasses.replace(base.with_accounts(accounts), gas_limit=gas_limit)


def erc20_transfer_data(to: Address, amount: int) -> bytes:
    return TRANSFER_SELECTOR + to.rjust(32, b"\x00") + amount.to_bytes(32, "big")


def sign_workload(workload: str, keys: Sequence[bytes], count: int, chain_id: int,
                  first_nonces: Sequence[int] | None = None, max_fee: int = MAX_FEE_PER_GAS) -> list[bytes]:
    """`count` signed EIP-1559 transactions, round-robin over the senders (raw EIP-2718 bytes)."""
    nonces = list(first_nonces) if first_nonces is not None else [0] * len(keys)
    raw = []
    for index in range(count):
        sender = index % len(keys)
        to = recipient(index)
        tx: dict[str, Any] = {
            "type": 2, "chainId": chain_id, "nonce": nonces[sender],
            "maxFeePerGas": max_fee, "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS,
        }
        if workload == "transfer":
            tx.update(to=to, value=10**12 + index, gas=TRANSFER_GAS, data=b"")
        else:
            tx.update(to=BENCH_TOKEN_ADDRESS, value=0, gas=ERC20_TRANSFER_GAS, data=erc20_transfer_data(to, 1 + index))
        raw.append(bytes(Account.sign_transaction(tx, keys[sender]).raw_transaction))
        nonces[sender] += 1
    return raw


# --- the two paths -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Workload:
    """Signed transactions in blocks, on a genesis; `setup_blocks` go first, untimed."""

    name: str
    genesis: GenesisConfig
    blocks: tuple[tuple[bytes, ...], ...]
    setup_blocks: tuple[tuple[bytes, ...], ...] = ()

    @property
    def txs(self) -> int:
        return sum(len(block) for block in self.blocks)


@dataclass(frozen=True, slots=True)
class BlockSummary:
    gas_used: int
    failed_txs: int  # reverted or out of gas: must be 0, or the workload is broken (e.g. token slots)
    transaction_root: bytes
    receipt_root: bytes
    state_root: bytes


@dataclass(frozen=True, slots=True)
class RunResult:
    seconds: float
    cpu_seconds: float  # this process's CPU time: robust to other processes sharing the machine
    txs: int
    gas: int
    blocks: tuple[BlockSummary, ...]


def _decode_all(raw: Sequence[bytes], vm_class: type[PragueVM] = LantauVM) -> list[SignedTransactionAPI]:
    # Fresh objects per path: a decoded transaction caches its sender and hash. Each path
    # decodes with its own VM's transaction classes (how each recovers senders is part of it).
    builder = vm_class.get_transaction_builder()
    return [builder.decode(item) for item in raw]


def chunked(raw: Sequence[bytes], size: int) -> tuple[tuple[bytes, ...], ...]:
    return tuple(tuple(raw[start:start + size]) for start in range(0, len(raw), size))


def _timed(run: Callable[[], tuple[BlockSummary, ...]], txs: int, profile: cProfile.Profile | None) -> RunResult:
    eth.db.trie._make_trie_root_and_nodes.cache_clear()  # no root carried over from the other path
    FLAT_TRIE_CACHE.clear()  # nor flat reads from an earlier run of the same blocks
    gc.collect()
    start, cpu_start = time.perf_counter(), time.process_time()
    if profile is not None:
        profile.enable()
    blocks = run()
    if profile is not None:
        profile.disable()
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return RunResult(seconds, cpu_seconds, txs, sum(block.gas_used for block in blocks), blocks)


def run_lantau(workload: Workload, profile: cProfile.Profile | None = None) -> RunResult:
    genesis = workload.genesis
    with tempfile.TemporaryDirectory(prefix="lantau-bench-") as data_dir:
        chain = Chain.open(Path(data_dir), genesis)

        def build(transactions: Sequence[SignedTransactionAPI]) -> BlockSummary:
            parent = chain.head
            attributes = BlockAttributes(
                timestamp=parent.timestamp + 1, fee_recipient=genesis.coinbase,
                prev_randao=PREV_RANDAO, gas_limit=genesis.gas_limit,
            )
            built = chain.build_block(parent, attributes, transactions)
            if built.rejected:
                raise RuntimeError(f"lantau rejected {len(built.rejected)} txs: {built.rejected[0].reason}")
            return _summary(built.header, built.computations)

        try:
            for setup in workload.setup_blocks:
                build(_decode_all(setup))
            blocks = [_decode_all(block) for block in workload.blocks]
            return _timed(lambda: tuple(build(transactions) for transactions in blocks), workload.txs, profile)
        finally:
            chain.close()


def run_pyevm(workload: Workload, profile: cProfile.Profile | None = None) -> RunResult:
    genesis = workload.genesis
    chain_class = MiningChain.configure(
        __name__="StockPragueChain", vm_configuration=((0, PragueVM),), chain_id=genesis.chain_id
    )
    chain = chain_class.from_genesis(AtomicDB(MemoryDB()), genesis_header_params(genesis), genesis_state(genesis))

    def mine(transactions: Sequence[SignedTransactionAPI]) -> BlockSummary:
        parent = chain.get_canonical_head()
        # The same header fields as the Lantau block (py-evm would drift the gas limit).
        chain.header = chain.create_header_from_parent(
            parent, timestamp=parent.timestamp + 1, coinbase=genesis.coinbase,
            mix_hash=PREV_RANDAO, gas_limit=genesis.gas_limit,
        )
        result, _, computations = chain.mine_all(transactions)
        return _summary(result.imported_block.header, computations)

    for setup in workload.setup_blocks:
        mine(_decode_all(setup, PragueVM))
    blocks = [_decode_all(block, PragueVM) for block in workload.blocks]
    return _timed(lambda: tuple(mine(transactions) for transactions in blocks), workload.txs, profile)


def _summary(header: Any, computations: Sequence[Any]) -> BlockSummary:
    failed = sum(1 for computation in computations if not computation.is_success)
    return BlockSummary(header.gas_used, failed, header.transaction_root, header.receipt_root, header.state_root)


def check_agreement(workload: str, lantau: RunResult, pyevm: RunResult) -> None:
    if len(lantau.blocks) != len(pyevm.blocks):
        raise SystemExit(f"{workload}: lantau built {len(lantau.blocks)} blocks, py-evm {len(pyevm.blocks)}")
    for number, (ours, stock) in enumerate(zip(lantau.blocks, pyevm.blocks), start=1):
        if ours.failed_txs or stock.failed_txs:
            raise SystemExit(f"{workload}: block {number} has failed transactions (lantau "
                             f"{ours.failed_txs}, py-evm {stock.failed_txs}): the workload is broken")
        for name in ("gas_used", "transaction_root", "receipt_root"):
            if getattr(ours, name) != getattr(stock, name):
                raise SystemExit(
                    f"{workload}: block {number} {name} differs: lantau {getattr(ours, name)!r}, "
                    f"py-evm {getattr(stock, name)!r}"
                )


# --- output ------------------------------------------------------------------------------------

HEADER = f"{'workload':<9} {'path':<7} {'txs':>6} {'seconds':>8} {'tx/s':>8} {'Mgas/s':>7} {'ratio':>6} {'cpu s':>7} {'cpu ratio':>9}"


def table_row(workload: str, path: str, result: RunResult, baseline: RunResult) -> str:
    tps = result.txs / result.seconds
    mgas = result.gas / result.seconds / 1e6
    ratio = baseline.seconds / result.seconds
    cpu_ratio = baseline.cpu_seconds / result.cpu_seconds
    return (f"{workload:<9} {path:<7} {result.txs:>6} {result.seconds:>8.2f} {tps:>8.1f} {mgas:>7.2f} {ratio:>6.2f}"
            f" {result.cpu_seconds:>7.2f} {cpu_ratio:>9.2f}")


def in_process_workloads(args: argparse.Namespace) -> list[Workload]:
    keys = sender_keys(args.senders)
    senders = [Address(to_canonical_address(Account.from_key(key).address)) for key in keys]
    genesis = bench_genesis(senders, args.block_size)
    workloads = [Workload(name, genesis, chunked(sign_workload(name, keys, args.txs, genesis.chain_id), args.block_size))
                 for name in args.workload if name != "rwa-mix"]
    if "rwa-mix" in args.workload:
        import rwa_mix  # bench/rwa_mix.py: the RWA predeploys' set-up and the mix

        mix_genesis, setup, blocks = rwa_mix.signed_mix(args.rwa_txs, args.rwa_block_size,
                                                        rwa_mix.parse_mix(RWA_MIX), seed=852)
        workloads.append(Workload("rwa-mix", mix_genesis, tuple(map(tuple, blocks)), tuple(setup)))
    return workloads


def run_in_process(args: argparse.Namespace) -> dict[str, tuple[RunResult, RunResult]]:
    """Every workload through both paths, best of `args.repeat` each; (lantau, py-evm) by workload."""
    print(f"eth-hash backend: {type(keccak.hasher.__self__).__name__}; rlp backend: "  # type: ignore[attr-defined]
          f"{'rusty-rlp' if 'rusty_rlp' in vars(rlp.codec) else 'pure Python'}")
    print(f"transfer/erc20: {args.txs} txs in blocks of {args.block_size}, {args.senders} senders; rwa-mix: "
          f"{args.rwa_txs} txs ({RWA_MIX}: RWA transfers, DvP settles, price updates) in blocks of "
          f"{args.rwa_block_size} after bench/rwa_mix.py's untimed set-up")
    rows = [HEADER]
    profile = cProfile.Profile() if args.profile else None
    results: dict[str, tuple[RunResult, RunResult]] = {}
    for workload in in_process_workloads(args):
        best: dict[str, RunResult] = {}
        paths = [("py-evm", run_pyevm), ("lantau", run_lantau)]
        for attempt in range(args.repeat):
            for path, run in paths if attempt % 2 == 0 else paths[::-1]:  # alternate who goes first
                result = run(workload)
                if path not in best or result.seconds < best[path].seconds:
                    best[path] = result
        if profile is not None:  # a separate run: cProfile slows Python code several times over
            run_lantau(workload, profile)
        check_agreement(workload.name, best["lantau"], best["py-evm"])
        rows.append(table_row(workload.name, "py-evm", best["py-evm"], best["py-evm"]))
        rows.append(table_row(workload.name, "lantau", best["lantau"], best["py-evm"]))
        results[workload.name] = (best["lantau"], best["py-evm"])
    print()
    print("\n".join(rows))
    print(f"\nBest of {args.repeat} per path. ratio = tx/s over py-evm's tx/s (wall clock); cpu ratio = the same")
    print("on this process's CPU time, which other load on the machine disturbs less.")
    print("py-evm: stock MiningChain.mine_all, PragueVM, MemoryDB. lantau: Chain.build_block, LevelDB,")
    print("every block persisted (state, body, receipts, indexes, head) in one write batch.")
    print("Every transaction succeeded; gas used, transactions root and receipts root agree in every")
    print("block. State roots differ by design: Lantau credits the base fee to BaseFeeVault, py-evm burns it.")
    if profile is not None:
        profile.dump_stats(args.profile)
        print(f"cProfile of the lantau path written to {args.profile}")
    return results


# --- end to end over JSON-RPC ------------------------------------------------------------------


def run_rpc(args: argparse.Namespace) -> None:
    """End to end against a node already running at `args.rpc`: the workload of
    `bench/rpc_e2e.py` (funded senders, batches of 100 sends, every receipt polled)."""
    import rpc_e2e

    e2e_args = argparse.Namespace(txs=args.txs, senders=rpc_e2e.DEFAULT_SENDERS, read_load=0, timeout_s=args.rpc_timeout_s)
    result = rpc_e2e.run_workload(f"node at {args.rpc}", args.rpc, None, e2e_args, watch_heads=False)
    rpc_e2e.print_results([result], None, e2e_args)


# --- all three comparisons of issue 13 in one run ----------------------------------------------

#: The figures when issue 13 was filed (its text), and the last recorded ones (bench/README.md;
#: in process: issue 13's fourth session, before and after its flat state layer), printed beside this run's.
ISSUE_BASELINE = {
    "e2e": "6-13 tx/s vs anvil ~1,000-1,480: ~0.01x",
    "e2e-cpu": "-",
    "transfer": "1.27x cpu (1.16-1.58x wall)",
    "erc20": "1.16x cpu",
    "rwa-mix": "not measured",
    "derive": "0.52x wall, 0.78x cpu",
    "derive-production": "not measured",
    "cadence": "36 s gap after a 900-tx block",
}
PREVIOUS = {  # `make bench` on an idle machine, 2026-12-05 (main 39d50fc; the e2e pair an hour earlier too)
    "e2e": "1.29-2.92x (anvil 390-881 tx/s)",
    "e2e-cpu": "1.50-3.59x",
    "cadence": "p95 1.04-1.06 max 1.06 s, 0/15 out",
    "transfer": "3.22x cpu",
    "erc20": "3.47x cpu",
    "rwa-mix": "3.61x cpu",
    "derive": "0.79x wall, 0.97x crit.",
    "derive-production": "1.70x wall, 2.02x crit.",
}
GOAL = {"e2e": ">= 0.5x", "e2e-cpu": "", "cadence": "all 0.8-1.2 s", "transfer": ">= 3x", "erc20": ">= 3x",
        "rwa-mix": ">= 3x", "derive": ">= 1.5x", "derive-production": ">= 1.5x"}


def e2e_ratio_text(lantau: Any, anvil: Any) -> str:
    if lantau.failure or anvil.failure:
        return "; ".join(f"{r.name} failed" for r in (lantau, anvil) if r.failure)
    missing = "" if lantau.received == lantau.txs and anvil.received == anvil.txs else " (timed out, partial)"
    return f"{lantau.tx_per_s:,.0f} vs {anvil.tx_per_s:,.0f} tx/s: {lantau.tx_per_s / anvil.tx_per_s:.2f}x{missing}"


def e2e_cpu_ratio_text(lantau: Any, anvil: Any) -> str:
    if lantau.failure or anvil.failure or not lantau.node_cpu_s or not anvil.node_cpu_s:
        return "-"
    ours, theirs = lantau.received / lantau.node_cpu_s, anvil.received / anvil.node_cpu_s
    return f"{ours:,.0f} vs {theirs:,.0f} tx: {ours / theirs:.2f}x"


def cadence_text(cadence: Any, block_time_s: float) -> str:
    import rpc_e2e

    if isinstance(cadence, str):
        return cadence
    loaded = cadence[-1]
    if not loaded.gaps_s:
        return "no block gaps seen"
    return (f"p50 {rpc_e2e.percentile(loaded.gaps_s, 0.5):.2f} p95 {rpc_e2e.percentile(loaded.gaps_s, 0.95):.2f} "
            f"max {max(loaded.gaps_s):.2f} s, {loaded.outside(block_time_s)}/{len(loaded.gaps_s)} out")


def run_all(args: argparse.Namespace) -> None:
    """Issue 13's "done when": lantau vs anvil end to end, lantau vs stock py-evm in process, and
    a verifier vs the sequencer, in one run, then a summary with the earlier figures beside."""
    import derive
    import rpc_e2e

    print("=== 1. end to end over JSON-RPC: lantau node vs anvil automine (bench/rpc_e2e.py) ===")
    e2e_args = rpc_e2e.argument_parser().parse_args(["--txs", str(args.txs), "--timeout-s", str(args.rpc_timeout_s)])
    e2e = rpc_e2e.compare_with_anvil(e2e_args)
    rpc_e2e.print_results(e2e, e2e_args.block_time, e2e_args)
    anvil, lantau = e2e[0], e2e[-1]

    print("\n=== 1b. block cadence under read load (bench/rpc_e2e.py --cadence --read-load 4) ===")
    cadence_args = rpc_e2e.argument_parser().parse_args(["--cadence", "--read-load", "4",
                                                         "--timeout-s", str(args.rpc_timeout_s)])
    try:
        cadence: list[rpc_e2e.CadencePhase] | str = rpc_e2e.measure_cadence(cadence_args)
        rpc_e2e.print_cadence(cadence, cadence_args)
    except rpc_e2e.RUN_FAILURES as error:  # the other comparisons still run on a box that chokes
        cadence = f"failed: {type(error).__name__}: {error}".splitlines()[0][:120]
        print(cadence)

    print("\n=== 2. in process: Lantau's build_block vs stock py-evm (bench/tps.py) ===")
    in_process = run_in_process(args)

    print("\n=== 3. a verifier deriving from L1 vs the sequencer building (bench/derive.py) ===")
    derived = derive.measure(derive.argument_parser().parse_args([]))
    derive.print_result(derived)

    print("\n=== issue 13: this run, beside the figures when the issue was filed and the last ones ===")
    print(f"{'comparison':<30} {'this run':<46} {'issue filed':<40} {'last run':<36} {'goal'}")
    rows = [("e2e lantau / anvil tx/s", e2e_ratio_text(lantau, anvil), "e2e"),
            ("  per node CPU second", e2e_cpu_ratio_text(lantau, anvil), "e2e-cpu"),
            ("block gaps, 4 read threads", cadence_text(cadence, cadence_args.block_time), "cadence")]
    for name, (ours, stock) in in_process.items():
        rows.append((f"in process {name} / py-evm",
                     f"{stock.cpu_seconds / ours.cpu_seconds:.2f}x cpu ({stock.seconds / ours.seconds:.2f}x wall)", name))
    rows.append(("verifier / sequencer blocks/s",
                 f"{derived.ratio:.2f}x wall, {derived.cpu_ratio:.2f}x cpu, "
                 f"{derived.sequencer_build.cpu_seconds / derived.pipeline_thread_cpu_s:.2f}x critical path", "derive"))
    rows.append(("  / sequencer's production", f"{derived.production_ratio:.2f}x wall, "
                 f"{derived.sequencer_production.cpu_seconds / derived.pipeline_thread_cpu_s:.2f}x critical path",
                 "derive-production"))
    for label, now, key in rows:
        print(f"{label:<30} {now:<46} {ISSUE_BASELINE[key]:<40} {PREVIOUS[key]:<36} {GOAL[key]}")
    sequencer = derived.sequencer_build
    print(f"{'  verifier blocks/s, Mgas/s':<30} {derived.blocks / derived.derive_s:.1f} blocks/s, "
          f"{derived.gas / derived.derive_s / 1e6:.2f} Mgas/s (sequencer {derived.blocks / sequencer.seconds:.1f} "
          f"blocks/s, {derived.gas / sequencer.seconds / 1e6:.2f} Mgas/s)")


RWA_MIX = "transfer=60,dvp=25,price=15"


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=2_000, help="transactions per workload")
    parser.add_argument("--block-size", type=int, default=500, help="transactions per block")
    parser.add_argument("--senders", type=int, default=200, help="distinct funded senders")
    parser.add_argument("--workload", nargs="+", choices=(*WORKLOADS, "rwa-mix"), default=[*WORKLOADS, "rwa-mix"])
    parser.add_argument("--rwa-txs", type=int, default=1_000, help="transactions of the rwa-mix workload")
    parser.add_argument("--rwa-block-size", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3, help="runs per path; the best is reported")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the lantau path to FILE")
    parser.add_argument("--rpc", metavar="URL", help="end to end: send plain transfers to a node at URL")
    parser.add_argument("--rpc-timeout-s", type=float, default=300.0)
    parser.add_argument("--all", action="store_true",
                        help="issue 13's three comparisons in one run: rpc_e2e.py (lantau vs anvil), this in-process "
                             "bench (transfer, erc20, rwa-mix vs py-evm) and derive.py (verifier vs sequencer)")
    args = parser.parse_args(argv)
    if args.all:
        run_all(args)
    elif args.rpc:
        run_rpc(args)
    else:
        run_in_process(args)


if __name__ == "__main__":
    main()
