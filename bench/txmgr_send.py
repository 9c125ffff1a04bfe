"""Latency and L1 requests of one `TxManager.send` (bridge/tx_manager.py) against anvil, this
checkout beside a baseline checkout.

    python bench/txmgr_send.py --baseline-repo /tmp/lantau-before [--rounds 6 --sends 25]

One anvil (automine: a block per transaction, so a send returns at its first receipt poll) is
started here; each checkout's `TxManager` runs in its own child process (`--child`) on its own dev
key, and the two alternate in `--rounds` rounds of `--sends` sends each, so both see the same load.
Each send is a plain transfer whose gas the manager estimates (`eth_estimateGas`), as a service's
contract call is. Printed per checkout: wall milliseconds per send (p50, p90) and JSON-RPC
requests per send by method (counted at the child's HTTP provider: the figure that does not move
with the machine's load). Nothing is asserted about time.

Run when the takeover's reads left the hot path (main 9f44a90 as the baseline, 6 x 25 sends, load
11.5): 12.48 requests per send (eth_getTransactionCount 1.23) against 14.33 (3.16), p50 63.5 ms
against 73.2 ms; p90 ~318 ms in both (a receipt not there at the first poll waits one 0.25 s poll).
"""

from __future__ import annotations

import os

os.environ.setdefault("ETH_HASH_BACKEND", "pysha3")

import argparse  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Sequence  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent


def child(rpc_url: str, key_index: int, sends: int) -> dict[str, Any]:
    """`sends` sends through this checkout's `TxManager`: their wall times and request counts."""
    from web3 import HTTPProvider, Web3

    from bridge.l1_client import L1Client
    from bridge.tx_manager import TxCandidate, TxManager
    from genesis.dev_accounts import dev_accounts

    requests: Counter[str] = Counter()

    class CountingProvider(HTTPProvider):
        def make_request(self, method: Any, params: Any) -> Any:
            requests[str(method)] += 1
            return super().make_request(method, params)

    account, recipient = dev_accounts()[key_index], dev_accounts()[9]
    manager = TxManager(L1Client(Web3(CountingProvider(rpc_url))), account.private_key)
    manager.send(TxCandidate(to=recipient.address, value=1))  # start-up (a takeover check, chain id, ...)
    requests.clear()
    times_ms: list[float] = []
    for _ in range(sends):
        started = time.perf_counter()
        receipt = manager.send(TxCandidate(to=recipient.address, value=1))
        times_ms.append((time.perf_counter() - started) * 1_000)
        if receipt["status"] != 1:
            raise SystemExit(f"a send failed: {receipt}")
    return {"times_ms": times_ms, "requests": dict(requests)}


def run_child(repo: Path, rpc_url: str, key_index: int, sends: int) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", "--rpc", rpc_url, "--key-index", str(key_index),
         "--sends", str(sends)],
        cwd=repo, env=dict(os.environ, PYTHONPATH=str(repo)), capture_output=True, text=True, timeout=600,
    )
    if out.returncode != 0:
        raise SystemExit(f"the child in {repo} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.splitlines()[-1])


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline-repo", type=Path, help="checkout whose TxManager is the baseline (none: this one alone)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--sends", type=int, default=25, help="sends per round and checkout")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--rpc", help=argparse.SUPPRESS)
    parser.add_argument("--key-index", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        sys.path.insert(0, os.getcwd())
        print(json.dumps(child(args.rpc, args.key_index, args.sends)))
        return

    sys.path.insert(0, str(REPO_ROOT))
    from bridge.anvil import AnvilProcess

    checkouts = {"this": REPO_ROOT} | ({"baseline": args.baseline_repo.resolve()} if args.baseline_repo else {})
    times: dict[str, list[float]] = {name: [] for name in checkouts}
    requests: dict[str, Counter[str]] = {name: Counter() for name in checkouts}
    with AnvilProcess() as anvil:
        for round_number in range(args.rounds):
            order = list(checkouts.items())
            for key_index, (name, repo) in enumerate(order[round_number % 2:] + order[:round_number % 2], start=1):
                result = run_child(repo, anvil.rpc_url, key_index if name == "this" else key_index + 2, args.sends)
                times[name] += result["times_ms"]
                requests[name].update(result["requests"])
    load = os.getloadavg()[0]
    print(f"TxManager.send against anvil (automine), {args.rounds} x {args.sends} sends per checkout, load {load:.1f}")
    for name, repo in checkouts.items():
        samples = sorted(times[name])
        sends = len(samples)
        per_send = {method: count / sends for method, count in sorted(requests[name].items())}
        print(f"  {name:9} {repo}: p50 {statistics.median(samples):.1f} ms, p90 {samples[int(0.9 * (sends - 1))]:.1f} ms,"
              f" {sum(per_send.values()):.2f} requests per send")
        print("            " + ", ".join(f"{method} {count:.2f}" for method, count in per_send.items()))


if __name__ == "__main__":
    main()
