"""Fuzz `lantau node`'s JSON-RPC for N requests and print the figures (issue 10).

    python scripts/rpc_fuzz.py --requests 100000 [--seed 1] [--concurrency 8]

Starts a node on a free port in a temporary data dir (stopped at the end, also on failure),
sends the cases of `tests/e2e/rpc_fuzz.py` over HTTP and WebSocket, and prints crashes (the
process died; it is restarted to go on), hangs (no answer in 30 s), malformed answers and
internal errors (-32603), with the first examples of each. Exit status 1 if any.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.e2e import rpc_fuzz  # noqa: E402
from tests.harness.node_process import LantauNodeProcess  # noqa: E402

CHUNK = 500


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    tally = rpc_fuzz.Tally()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="lantau-fuzz-") as tmp:
        node = LantauNodeProcess(Path(tmp) / "node", block_time_s=0).start()
        try:
            while tally.requests < args.requests:
                count = min(CHUNK, args.requests - tally.requests)
                cases = [rpc_fuzz.make_case(rng) for _ in range(count)]
                asyncio.run(rpc_fuzz.run_cases(node.rpc_url, cases, tally, concurrency=args.concurrency))
                if node.process.poll() is not None:
                    tally.crashes += 1
                    tally.examples.append("crash:\n" + node.output[-2000:])
                    node = LantauNodeProcess(Path(tmp) / f"node{tally.crashes}", block_time_s=0).start()
                print(f"[{time.monotonic() - started:7.0f} s] {tally.summary()}", flush=True)
        finally:
            try:
                node.stop(timeout_s=20)
            except RuntimeError:
                pass
            node.kill()
    print(f"seed {args.seed}: {tally.summary()} in {time.monotonic() - started:.0f} s")
    for example in tally.examples:
        print("  " + example[:600])
    return 1 if tally.failures else 0


if __name__ == "__main__":
    sys.exit(main())
