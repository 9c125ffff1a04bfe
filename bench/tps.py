"""Throughput of Lantau's block building against py-evm's stock mining path.

    python bench/tps.py [--txs 2000] [--block-size 500] [--workload transfer erc20]
    python bench/tps.py --rpc http://127.0.0.1:8545 [--txs 2000]

In-process mode signs N transactions per workload (plain HKD-native transfers; ERC-20
`transfer` calls on a minimal token), then applies the same transactions in blocks of
`--block-size` twice:

- **lantau**: `node.chain.Chain.open(tmpdir, genesis)` on LevelDB, `Chain.build_block`;
  persisting every block (state, body, receipts, indexes, head) is inside the timing.
- **py-evm**: a stock `MiningChain` with `PragueVM` on a `MemoryDB`, `mine_all` (which runs
  `apply_all_transactions`), same genesis alloc, same transactions.

Both paths must agree on the gas used, the transactions root and the receipts root of every
block. State roots differ by design: Lantau credits the base fee to `BaseFeeVault` instead of
burning it. Signing and decoding are outside the timings (a node decodes at RPC ingest).

`--rpc URL` mode is end to end against a node already running: `bench/rpc_e2e.py`'s workload
(which also starts the nodes itself, lantau and anvil side by side).
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


def _chunks(items: Sequence[SignedTransactionAPI], size: int) -> list[Sequence[SignedTransactionAPI]]:
    return [items[start:start + size] for start in range(0, len(items), size)]


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


def run_lantau(genesis: GenesisConfig, raw: Sequence[bytes], block_size: int,
               profile: cProfile.Profile | None = None) -> RunResult:
    with tempfile.TemporaryDirectory(prefix="lantau-bench-") as data_dir:
        chain = Chain.open(Path(data_dir), genesis)
        blocks = _chunks(_decode_all(raw), block_size)

        def build_all() -> tuple[BlockSummary, ...]:
            summaries = []
            parent = chain.head
            for transactions in blocks:
                attributes = BlockAttributes(
                    timestamp=parent.timestamp + 1, fee_recipient=genesis.coinbase,
                    prev_randao=PREV_RANDAO, gas_limit=genesis.gas_limit,
                )
                built = chain.build_block(parent, attributes, transactions)
                if built.rejected:
                    raise RuntimeError(f"lantau rejected {len(built.rejected)} txs: {built.rejected[0].reason}")
                parent = built.header
                summaries.append(_summary(parent, built.computations))
            return tuple(summaries)

        try:
            return _timed(build_all, len(raw), profile)
        finally:
            chain.close()


def run_pyevm(genesis: GenesisConfig, raw: Sequence[bytes], block_size: int,
              profile: cProfile.Profile | None = None) -> RunResult:
    chain_class = MiningChain.configure(
        __name__="StockPragueChain", vm_configuration=((0, PragueVM),), chain_id=genesis.chain_id
    )
    chain = chain_class.from_genesis(AtomicDB(MemoryDB()), genesis_header_params(genesis), genesis_state(genesis))
    blocks = _chunks(_decode_all(raw, PragueVM), block_size)

    def mine_all() -> tuple[BlockSummary, ...]:
        summaries = []
        for transactions in blocks:
            parent = chain.get_canonical_head()
            # The same header fields as the Lantau block (py-evm would drift the gas limit).
            chain.header = chain.create_header_from_parent(
                parent, timestamp=parent.timestamp + 1, coinbase=genesis.coinbase,
                mix_hash=PREV_RANDAO, gas_limit=genesis.gas_limit,
            )
            result, _, computations = chain.mine_all(transactions)
            summaries.append(_summary(result.imported_block.header, computations))
        return tuple(summaries)

    return _timed(mine_all, len(raw), profile)


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


def run_in_process(args: argparse.Namespace) -> None:
    keys = sender_keys(args.senders)
    senders = [Address(to_canonical_address(Account.from_key(key).address)) for key in keys]
    genesis = bench_genesis(senders, args.block_size)
    print(f"eth-hash backend: {type(keccak.hasher.__self__).__name__}; rlp backend: "  # type: ignore[attr-defined]
          f"{'rusty-rlp' if 'rusty_rlp' in vars(rlp.codec) else 'pure Python'}")
    print(f"{args.txs} txs per workload in blocks of {args.block_size}, {args.senders} senders, "
          f"gas limit {genesis.gas_limit:,}")
    rows = [HEADER]
    profile = cProfile.Profile() if args.profile else None
    for workload in args.workload:
        raw = sign_workload(workload, keys, args.txs, genesis.chain_id)
        best: dict[str, RunResult] = {}
        paths = [("py-evm", run_pyevm), ("lantau", run_lantau)]
        for attempt in range(args.repeat):
            for path, run in paths if attempt % 2 == 0 else paths[::-1]:  # alternate who goes first
                result = run(genesis, raw, args.block_size)
                if path not in best or result.seconds < best[path].seconds:
                    best[path] = result
        if profile is not None:  # a separate run: cProfile slows Python code several times over
            run_lantau(genesis, raw, args.block_size, profile)
        check_agreement(workload, best["lantau"], best["py-evm"])
        rows.append(table_row(workload, "py-evm", best["py-evm"], best["py-evm"]))
        rows.append(table_row(workload, "lantau", best["lantau"], best["py-evm"]))
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


# --- end to end over JSON-RPC ------------------------------------------------------------------


def run_rpc(args: argparse.Namespace) -> None:
    """End to end against a node already running at `args.rpc`: the workload of
    `bench/rpc_e2e.py` (funded senders, batches of 100 sends, every receipt polled)."""
    import rpc_e2e

    e2e_args = argparse.Namespace(txs=args.txs, senders=rpc_e2e.DEFAULT_SENDERS, read_load=0, timeout_s=args.rpc_timeout_s)
    result = rpc_e2e.run_workload(f"node at {args.rpc}", args.rpc, None, e2e_args, watch_heads=False)
    rpc_e2e.print_results([result], None, e2e_args)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=2_000, help="transactions per workload")
    parser.add_argument("--block-size", type=int, default=500, help="transactions per block")
    parser.add_argument("--senders", type=int, default=200, help="distinct funded senders")
    parser.add_argument("--workload", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--repeat", type=int, default=3, help="runs per path; the best is reported")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the lantau path to FILE")
    parser.add_argument("--rpc", metavar="URL", help="end to end: send plain transfers to a node at URL")
    parser.add_argument("--rpc-timeout-s", type=float, default=300.0)
    args = parser.parse_args(argv)
    if args.rpc:
        run_rpc(args)
    else:
        run_in_process(args)


if __name__ == "__main__":
    main()
