"""Run the BatchReader-vs-node differential (tests/contracts/test_batch_reader.py) with any number
of random channels: `python scripts/batch_reader_differential.py --cases 2000 --seed 1`. CI runs
12 (the test's default); each case is a FastLZ channel of 1-2 random span batches of up to 12
blocks and up to 40 transactions a block, of every batchable kind, read on L1 and by node."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=500, help="random channels (default 500)")
    parser.add_argument("--seed", type=int, default=15, help="random seed (default 15, CI's)")
    args = parser.parse_args()
    env = {**os.environ, "BATCH_READER_CASES": str(args.cases), "BATCH_READER_SEED": str(args.seed), "ETH_HASH_BACKEND": "pysha3"}
    test = "tests/contracts/test_batch_reader.py"
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--timeout=0", test, "-k", "random_channels"]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
