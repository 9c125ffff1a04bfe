"""How fast a verifier derives the L2 chain from L1, next to the sequencer building the same blocks.

    python bench/derive.py [--blocks 100] [--block-size 50] [--workload transfer|erc20]

One run, end to end, on real components:

1. a devnet L1 (anvil with Lantau's L1 contracts, automine);
2. the **sequencer** (baseline): an `L2Node` on LevelDB (its pool journal included) produces
   `--blocks` blocks of `--block-size` signed transactions (bench/tps.py's workloads and
   genesis) the way the node does: each block's transactions arrive as JSON-RPC batches of
   `eth_sendRawTransaction` (`--send-batch`, 100 as issue 13's client sends; senders recovered
   together in the worker process, each send admitted by `L2Node.send_raw_transaction`, one
   journal fsync per batch), then `select_transactions`, `Chain.build_block` and
   `on_new_block` (pool pruning), each block's L1 origin and deposits chosen by
   `sequencer.l1_origin.plan_next_block` over `RpcL1Source` (those L1 reads are not timed).
   Two baselines: `Chain.build_block` alone (execution + persistence; the strict one, and the
   one of earlier runs, whose senders were recovered inside it), and the whole production
   (admission + selection + build + pruning, the worker's recoveries in its CPU);
3. the **batcher** posts them (`sequencer.batcher.Batcher`, its defaults: FastLZ span batches,
   100 KB channels, calldata), untimed;
4. the **verifier**: a fresh `Chain` on LevelDB and `DerivationPipeline` over `RpcL1Source`
   behind the L1 prefetcher (as node/cli.py), with the node's worker process running (it decodes
   channels ahead with their senders, node/derive/decode_ahead.py; its CPU time is counted with
   the verifier's), timed from the first `step()` to the last block; the time inside its
   `Chain.build_block` is measured too, so the rest — L1 reads over JSON-RPC, decompression,
   batch decoding and checks — shows as the difference. The CPU time of the thread running the
   pipeline is printed too: the critical path, which the wall clock approaches on an idle
   machine with a core free for the worker, and split by the stage `step()` spends it in (L1
   traversal, retrieval, frames and channels, batch queue and attributes with the batch's
   transactions decoded for py-evm, `build_block`).

The verifier must reach the sequencer's block hash and state root at every block, or the bench
fails. Nothing is asserted about time.
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import gc  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Sequence  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tps  # noqa: E402  (bench/tps.py: workloads, funded senders, the bench token)
from eth_account import Account  # noqa: E402
from eth_typing import Address, Hash32  # noqa: E402
from eth_utils import keccak, to_canonical_address  # noqa: E402
from web3 import Web3  # noqa: E402

from bridge.devnet import start_l1_devnet  # noqa: E402
from bridge.l1_client import L1Client  # noqa: E402
from bridge.l1_source import RpcL1Source  # noqa: E402
from bridge.tx_manager import TxManager  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from genesis.rollup_config import CHANNEL_TIMEOUT, MAX_SEQUENCER_DRIFT, SEQUENCING_WINDOW  # noqa: E402
from genesis.predeploys import SEQUENCER_FEE_VAULT  # noqa: E402
from node import durability  # noqa: E402
from node.chain import BlockAttributes, Chain  # noqa: E402
from node.derive.config import RollupDerivationConfig  # noqa: E402
from node.derive.l1_prefetch import PrefetchingL1Source  # noqa: E402
from node.derive import pipeline as pipeline_module  # noqa: E402
from node.derive.pipeline import DerivationPipeline  # noqa: E402
from node.rpc.eth import MIN_SENDS_RECOVERED_AHEAD  # noqa: E402
from node.service import L2Node  # noqa: E402
from node.trie_cache import FLAT_TRIE_CACHE  # noqa: E402
from node.tx_sender import RECOVERED_AHEAD  # noqa: E402
from node.worker_process import SECOND_CORE  # noqa: E402
from rpc_e2e import process_cpu_s  # noqa: E402
from sequencer.batcher import Batcher, BatcherConfig  # noqa: E402
from sequencer.l1_origin import plan_next_block  # noqa: E402


@dataclass
class Timed:
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # this process's CPU time: robust to other load on the machine
    thread_cpu_seconds: float = 0.0  # the calling thread's CPU time alone
    calls: int = 0


def timing(owner: Any, method: str, into: Timed) -> None:
    """Wrap `owner.<method>` (an instance's, shadowing its class's) so the time spent inside
    it is summed in `into`."""
    inner = getattr(owner, method)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start, cpu_start, thread_start = time.perf_counter(), time.process_time(), time.thread_time()
        try:
            return inner(*args, **kwargs)
        finally:
            into.seconds += time.perf_counter() - start
            into.cpu_seconds += time.process_time() - cpu_start
            into.thread_cpu_seconds += time.thread_time() - thread_start
            into.calls += 1

    setattr(owner, method, timed)


@dataclass(frozen=True, slots=True)
class PipelineStages:
    """The pipeline thread's time by stage (`DerivationPipeline.step` calls each of these)."""

    l1_traversal: Timed  # `L1Traversal.next_block`: the head and block-by-number round trips to L1
    retrieval: Timed  # `retrieve`: the block's inbox transactions and deposits (read ahead by the prefetcher)
    ingest: Timed  # frames, channel bank, channels taken decoded from the worker
    next_inputs: Timed  # batch queue checks, attributes, the batch's raw transactions decoded for py-evm
    build_block: Timed  # `Chain.build_block`: execution, roots, persistence

    def rows(self) -> list[tuple[str, Timed]]:
        return [("L1 traversal (head, block reads)", self.l1_traversal), ("retrieval (inbox, deposits)", self.retrieval),
                ("frames + channel bank + channels", self.ingest),
                ("batch queue + attributes + tx decode", self.next_inputs), ("build_block", self.build_block)]


def timing_stages(pipeline: DerivationPipeline, build: Timed) -> PipelineStages:
    """Time `pipeline`'s stages on its own thread (its traversal is the one of a pipeline never reset)."""
    stages = PipelineStages(Timed(), Timed(), Timed(), Timed(), build)
    timing(pipeline.traversal, "next_block", stages.l1_traversal)
    timing(pipeline_module, "retrieve", stages.retrieval)  # `step` calls the module's name
    timing(pipeline, "_ingest", stages.ingest)
    timing(pipeline, "_next_inputs", stages.next_inputs)
    return stages


async def send_batch(node: L2Node, raws: Sequence[bytes]) -> None:
    """`raws` sent as one JSON-RPC batch of `eth_sendRawTransaction` is handled by the node
    (`node.rpc.server` and `node.rpc.eth`, without the HTTP and JSON): senders recovered together
    in the worker process, each send admitted, one journal fsync before the answer."""
    with durability.collect() as owed:
        if len(raws) >= MIN_SENDS_RECOVERED_AHEAD:
            await RECOVERED_AHEAD.recover_in_worker(raws)
        for item in raws:
            await node.send_raw_transaction(item)
        await owed.settle()


@dataclass(frozen=True, slots=True)
class DeriveResult:
    workload: str
    blocks: int
    block_size: int
    gas: int
    txs_posted: int
    bytes_posted: int
    sequencer_build: Timed
    sequencer_production: Timed  # admission of every send + selection + build + pool pruning
    send_batch: int  # eth_sendRawTransaction calls per JSON-RPC batch
    verifier_build: Timed
    derive_s: float
    derive_cpu_s: float  # the verifier's process (all threads) and its worker process (`worker_cpu_s`)
    worker_cpu_s: float
    pipeline_thread_cpu_s: float  # the thread running `DerivationPipeline.step`: the critical path
    channels: int  # channels the verifier read
    channels_decoded_ahead: int  # of which decoded by the worker process ahead (`node.derive.decode_ahead`)
    stages: PipelineStages

    @property
    def txs(self) -> int:
        return self.blocks * self.block_size

    @property
    def ratio(self) -> float:
        """Verifier blocks/s over the sequencer's (wall clock)."""
        return self.sequencer_build.seconds / self.derive_s

    @property
    def cpu_ratio(self) -> float:
        return self.sequencer_build.cpu_seconds / self.derive_cpu_s

    @property
    def production_ratio(self) -> float:
        """Verifier blocks/s over the sequencer's whole production rate (wall clock)."""
        return self.sequencer_production.seconds / self.derive_s


def measure(args: argparse.Namespace) -> DeriveResult:
    """Build, post and derive `args.blocks` blocks; raise SystemExit if any block differs."""
    keys = tps.sender_keys(args.senders)
    senders = [Address(to_canonical_address(Account.from_key(key).address)) for key in keys]
    genesis = tps.bench_genesis(senders, args.block_size)
    raw = tps.sign_workload(args.workload, keys, args.blocks * args.block_size, genesis.chain_id)

    devnet = start_l1_devnet(genesis, block_time_s=None)
    try:
        with tempfile.TemporaryDirectory(prefix="lantau-bench-derive-") as tmp:
            w3 = Web3(Web3.HTTPProvider(devnet.anvil.rpc_url, request_kwargs={"timeout": 60}))
            l1 = RpcL1Source(w3, devnet.deployment.lantau_portal)

            # A running node's worker process (sender recovery of send batches and of a verifier's
            # channels) started long before either side's work.
            worker_pid = SECOND_CORE.start().result(timeout=120)

            # --- the sequencer (baseline): the block producer's path ---
            node = L2Node.open(Path(tmp) / "sequencer", genesis)
            sequencer = node.chain
            sequencer_build, production = Timed(), Timed()
            timing(sequencer, "build_block", sequencer_build)
            gas = 0
            loop = asyncio.new_event_loop()
            worker_cpu_start = process_cpu_s(worker_pid)
            gc.collect()
            for index in range(args.blocks):
                head = sequencer.head
                timestamp = max(int(time.time()), head.timestamp + 1)
                plan = plan_next_block(sequencer, head, timestamp, l1)
                attributes = BlockAttributes(
                    timestamp=max(timestamp, plan.origin.timestamp), fee_recipient=SEQUENCER_FEE_VAULT,
                    prev_randao=Hash32(keccak(plan.parent.hash)), gas_limit=plan.parent.gas_limit,
                    forced_transactions=plan.forced_transactions,
                )
                start, cpu_start = time.perf_counter(), time.process_time()
                block_raw = raw[index * args.block_size:(index + 1) * args.block_size]
                for first in range(0, len(block_raw), args.send_batch):
                    loop.run_until_complete(send_batch(node, block_raw[first:first + args.send_batch]))
                reserved_gas = sum(tx.gas for tx in attributes.forced_transactions)
                transactions = node.select_transactions(plan.parent, attributes.gas_limit - reserved_gas)
                built = sequencer.build_block(plan.parent, attributes, transactions)
                node.on_new_block(built)
                production.seconds += time.perf_counter() - start
                production.cpu_seconds += time.process_time() - cpu_start
                production.calls += 1
                if len(built.block.transactions) != len(block_raw) + len(attributes.forced_transactions) or built.rejected or any(
                    not c.is_success for c in built.computations
                ):
                    raise SystemExit(f"block {index + 1}: a transaction was left out, rejected or failed: the workload is broken")
                gas += built.header.gas_used
            production.cpu_seconds += process_cpu_s(worker_pid) - worker_cpu_start
            loop.close()

            # --- the batcher (untimed) ---
            batcher = Batcher(
                sequencer, TxManager(L1Client(w3), dev_accounts()[1].private_key),
                config=BatcherConfig(batch_inbox=devnet.deployment.batch_inbox, max_channel_blocks=10_000, max_channel_duration_s=3600),
                state_path=Path(tmp) / "batcher.json",
            )
            while batcher.metrics.l2_blocks_posted < args.blocks:
                batcher.step(close_open_channel=True)
            posted = batcher.metrics

            # --- the verifier ---
            verifier = Chain.open(Path(tmp) / "verifier", genesis)
            verifier_build = Timed()
            timing(verifier, "build_block", verifier_build)
            config = RollupDerivationConfig(
                batch_inbox=to_canonical_address(devnet.deployment.batch_inbox), batcher_address=to_canonical_address(dev_accounts()[1].address),
                sequencing_window=SEQUENCING_WINDOW, channel_timeout=CHANNEL_TIMEOUT, max_sequencer_drift=MAX_SEQUENCER_DRIFT,
            )
            pipeline = DerivationPipeline(config, PrefetchingL1Source(l1, inbox=config.batch_inbox), verifier)  # as node/cli.py
            stages = timing_stages(pipeline, verifier_build)
            FLAT_TRIE_CACHE.clear()  # a verifier is another process: nothing read by the sequencer here
            # The worker's CPU time from here on is counted with the verifier's.
            worker_cpu_start = process_cpu_s(worker_pid)
            gc.collect()
            start, cpu_start, thread_cpu_start = time.perf_counter(), time.process_time(), time.thread_time()
            derived = 0
            while pipeline.step() is not None:
                derived += 1
            derive_s = time.perf_counter() - start
            pipeline_thread_cpu_s = time.thread_time() - thread_cpu_start
            worker_cpu_s = process_cpu_s(worker_pid) - worker_cpu_start
            derive_cpu_s = time.process_time() - cpu_start + worker_cpu_s

            if derived != args.blocks or verifier.head.hash != sequencer.head.hash:
                raise SystemExit(f"verifier derived {derived} blocks to {verifier.head.hash.hex()}, sequencer head is "
                                 f"{sequencer.head.hash.hex()}")
            for number in range(1, args.blocks + 1):
                ours, theirs = sequencer.header_by_number(number), verifier.header_by_number(number)
                if (ours.hash, ours.state_root) != (theirs.hash, theirs.state_root):
                    raise SystemExit(f"block {number} differs between the sequencer and the verifier")
            node.close()
            verifier.close()
    finally:
        devnet.stop()

    return DeriveResult(args.workload, args.blocks, args.block_size, gas, posted.txs_sent, posted.bytes_posted,
                        sequencer_build, production, args.send_batch, verifier_build, derive_s, derive_cpu_s, worker_cpu_s, pipeline_thread_cpu_s,
                        posted.channels_opened, pipeline.channels_ahead.taken, stages)


def print_result(result: DeriveResult) -> None:
    txs, blocks, gas = result.txs, result.blocks, result.gas
    sequencer = result.sequencer_build
    print(f"{result.workload}: {blocks} L2 blocks of {result.block_size} txs ({txs} txs, {gas / 1e6:.1f} Mgas), "
          f"LevelDB on both sides; posted in {result.txs_posted} calldata txs, {result.bytes_posted:,} bytes "
          f"({result.bytes_posted / txs:.1f} B/tx, span batches, the batcher's default compression)")
    print(f"{'path':<34} {'seconds':>8} {'blocks/s':>9} {'tx/s':>8} {'Mgas/s':>7} {'ratio':>6} {'cpu s':>7} {'cpu ratio':>9}")
    production = result.sequencer_production
    rows = [
        ("sequencer: build_block (baseline)", sequencer.seconds, sequencer.cpu_seconds),
        ("sequencer: sends + select + build", production.seconds, production.cpu_seconds),
        ("verifier: derive from L1 (total)", result.derive_s, result.derive_cpu_s),
        ("  of which build_block", result.verifier_build.seconds, result.verifier_build.cpu_seconds),
        ("  of which L1 reads + decoding", result.derive_s - result.verifier_build.seconds,
         result.derive_cpu_s - result.verifier_build.cpu_seconds),
    ]
    for name, seconds, cpu_seconds in rows:
        ratio = sequencer.seconds / seconds
        cpu_ratio = sequencer.cpu_seconds / cpu_seconds
        print(f"{name:<34} {seconds:>8.2f} {blocks / seconds:>9.1f} {txs / seconds:>8.1f} {gas / seconds / 1e6:>7.2f} "
              f"{ratio:>6.2f} {cpu_seconds:>7.2f} {cpu_ratio:>9.2f}")
    print(f"verifier cpu includes {result.worker_cpu_s:.2f} s of the worker process (node/worker_process.py: "
          f"{result.channels_decoded_ahead} of {result.channels} channels decoded ahead with their senders, "
          "node/derive/decode_ahead.py)")
    print(f"verifier's pipeline thread (the critical path; L1 prefetch threads and the worker run beside it): "
          f"{result.pipeline_thread_cpu_s:.2f} cpu s, {sequencer.cpu_seconds / result.pipeline_thread_cpu_s:.2f}x "
          f"the sequencer's build cpu, {production.cpu_seconds / result.pipeline_thread_cpu_s:.2f}x its production cpu")
    print(f"verifier vs the sequencer's whole production (sends admitted in batches of {result.send_batch}, selection, "
          f"build, pool pruning; its worker's recoveries in its cpu): {result.production_ratio:.2f}x wall, "
          f"{production.cpu_seconds / result.derive_cpu_s:.2f}x cpu")
    print("the pipeline thread's cpu by stage:")
    for name, timed in result.stages.rows():
        share = timed.thread_cpu_seconds / result.pipeline_thread_cpu_s
        print(f"  {name:<38} {timed.thread_cpu_seconds:>6.2f} cpu s {share:>6.1%}  ({timed.seconds:.2f} s wall, {timed.calls} calls)")
    print("ratio = the sequencer's build time over this row's time (1.00: as fast as building the blocks);")
    print("cpu ratio = the same on this process's CPU time (anvil's own CPU is not in it), which other load")
    print("on the machine disturbs less. L1 reads wait on anvil over JSON-RPC: wall clock, little CPU here.")
    print("Every derived block has the sequencer's hash and state root.")


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--blocks", type=int, default=100)
    parser.add_argument("--block-size", type=int, default=50, help="transactions per L2 block")
    parser.add_argument("--senders", type=int, default=100)
    parser.add_argument("--send-batch", type=int, default=100, help="eth_sendRawTransaction calls per JSON-RPC batch")
    parser.add_argument("--workload", choices=tps.WORKLOADS, default="transfer")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    print_result(measure(argument_parser().parse_args(argv)))


if __name__ == "__main__":
    main()
