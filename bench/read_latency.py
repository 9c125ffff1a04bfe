"""Latency of one-transaction reads over JSON-RPC, in a 1-transaction and a 1,400-transaction block.

    python bench/read_latency.py [--big 1400] [--samples 200]
    python bench/read_latency.py --lantau-repo /tmp/lantau-before   # another checkout's node code

Issue 13, goal 1: `eth_getTransactionReceipt`, `eth_getTransactionByHash`,
`eth_getTransactionByBlockNumberAndIndex`, `eth_getTransactionByBlockHashAndIndex` and the logs
of one block (`eth_getLogs` by `blockHash`) must cost the same in both blocks (goal: p50 under
2 ms); `eth_getBlockByNumber` with hashes and with full transactions is printed beside them
(linear in the block by nature; its cost per transaction is the figure to watch). The chain is built in process on LevelDB with `Chain.build_block` (the bench token and
funded senders of `bench/tps.py`): block 1 holds one ERC-20 transfer (one log); block 2 holds
`--big` - 1 plain transfers and one ERC-20 transfer in the middle (one log). The RPC app is
served on a loopback port in a thread of this process and read over HTTP with one keep-alive
session; each sample reads a different transaction of the block (block 1: its only one).

Printed: p50 and p95 milliseconds per method and block (wall; the machine is shared, so the
process CPU time of the whole read phase is printed too).
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import asyncio  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Sequence  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--big", type=int, default=1_400, help="transactions in the big block")
    parser.add_argument("--samples", type=int, default=200, help="reads per method and block (at most)")
    parser.add_argument("--max-seconds", type=float, default=10.0, help="stop sampling a method after this")
    parser.add_argument("--lantau-repo", type=Path, default=REPO_ROOT, help="checkout whose node code to read from")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(args.lantau_repo), str(args.lantau_repo / "bench")]

    import requests
    from aiohttp import web

    from node.chain import BlockAttributes, Chain
    from node.rpc import RpcLimits, create_rpc_app
    from node.vm import LantauVM
    from node.service import L2Node
    from node.txpool import TxPool, TxPoolConfig
    import tps

    from eth_account import Account
    from eth_utils import to_canonical_address

    keys = tps.sender_keys(52)  # 50 for the plain transfers, two for the ERC-20 transfers
    senders = [to_canonical_address(Account.from_key(key).address) for key in keys]
    genesis = tps.bench_genesis(senders, args.big)
    plain = tps.sign_workload("transfer", keys[:50], args.big - 1, genesis.chain_id)
    erc20 = tps.sign_workload("erc20", keys[50:], 2, genesis.chain_id)
    builder = LantauVM.get_transaction_builder()

    with tempfile.TemporaryDirectory(prefix="lantau-read-latency-") as data_dir:
        chain = Chain.open(Path(data_dir), genesis)
        head = chain.head

        def attributes(parent: Any) -> BlockAttributes:
            return BlockAttributes(timestamp=parent.timestamp + 1, fee_recipient=genesis.coinbase,
                                   prev_randao=tps.PREV_RANDAO, gas_limit=genesis.gas_limit)

        small = chain.build_block(head, attributes(head), [builder.decode(erc20[0])])
        middle = len(plain) // 2
        big_txs = [builder.decode(raw) for raw in plain[:middle] + [erc20[1]] + plain[middle:]]
        big = chain.build_block(small.header, attributes(small.header), big_txs)
        assert len(big.block.transactions) == args.big and all(r.state_root == b"\x01" for r in big.receipts), "bench chain broken"
        assert len(small.receipts[0].logs) == 1

        backend = L2Node(chain=chain, txpool=TxPool(TxPoolConfig(chain_id=chain.chain_id, block_gas_limit=head.gas_limit)), journal=None)
        url = serve_in_thread(create_rpc_app(backend, limits=RpcLimits()), web)
        session = requests.Session()

        def call(method: str, params: list[Any]) -> Any:
            answer = session.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).json()
            assert "error" not in answer and answer["result"] is not None, (method, answer)
            return answer["result"]

        print(f"one-transaction reads over HTTP; block 1: 1 tx, block 2: {args.big} txs; node code from {args.lantau_repo}")
        print(f"{'method':<42} {'block':>6} {'samples':>7} {'p50 ms':>8} {'p95 ms':>8}")
        cpu_start = time.process_time()
        for built in (small, big):
            hashes = ["0x" + tx.hash.hex() for tx in built.block.transactions]
            block_hash = "0x" + built.header.hash.hex()
            number = hex(built.header.block_number)
            count = len(hashes)
            readers: list[tuple[str, str, Callable[[int], list[Any]]]] = [
                ("eth_getTransactionReceipt", "eth_getTransactionReceipt", lambda i: [hashes[i % count]]),
                ("eth_getTransactionByHash", "eth_getTransactionByHash", lambda i: [hashes[i % count]]),
                ("eth_getTransactionByBlockNumberAndIndex", "eth_getTransactionByBlockNumberAndIndex",
                 lambda i: [number, hex(i % count)]),
                ("eth_getTransactionByBlockHashAndIndex", "eth_getTransactionByBlockHashAndIndex",
                 lambda i: [block_hash, hex(i % count)]),
                ("eth_getLogs", "eth_getLogs", lambda i: [{"blockHash": block_hash}]),
                # Whole blocks answer in size with the block; per transaction they should cost
                # a list entry (hashes) or one formatted transaction (full), nothing more.
                ("eth_getBlockByNumber (hashes)", "eth_getBlockByNumber", lambda i: [number, False]),
                ("eth_getBlockByNumber (full)", "eth_getBlockByNumber", lambda i: [number, True]),
            ]
            for label, method, params in readers:
                times = []
                deadline = time.perf_counter() + args.max_seconds
                for sample in range(args.samples):
                    position = (sample * 7919) % count
                    start = time.perf_counter()
                    call(method, params(position))
                    times.append(time.perf_counter() - start)
                    if time.perf_counter() > deadline and len(times) >= 5:
                        break
                times.sort()
                p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
                print(f"{label:<42} {count:>6} {len(times):>7} {statistics.median(times) * 1e3:>8.2f} {p95 * 1e3:>8.2f}")
        print(f"process CPU over the reads (client + server): {time.process_time() - cpu_start:.2f} s")
        chain.close()


def serve_in_thread(app: Any, web: Any) -> str:
    """Run `app` on 127.0.0.1 (a free port) in a daemon thread's event loop; its URL."""
    ready = threading.Event()
    holder: dict[str, str] = {}

    def run() -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        runner = web.AppRunner(app)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        loop.run_until_complete(site.start())
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        holder["url"] = f"http://127.0.0.1:{port}/"
        ready.set()
        loop.run_forever()

    threading.Thread(target=run, daemon=True).start()
    ready.wait(30)
    return holder["url"]


if __name__ == "__main__":
    main()
