"""Decide every block of a long random chain on L1 and compare with node's derivation
(tests/e2e/test_input_oracle.py, `test_inputs_of_a_sequencers_blocks_decided_on_l1`): a real
sequencer on a real anvil runs idle stretches, bursts of up to 40 transfers and HKD deposits until
the chain has N blocks; then every block's transactions and timestamp, with the batch that carries
it, must be accepted by `InputOracle` exactly as node derived them, and the lies of the test refuted.
`python scripts/input_oracle_differential.py --blocks 300 --seed 1`. CI runs the short chain."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=300, help="L2 blocks of the chain (default 300)")
    parser.add_argument("--seed", type=int, default=15, help="random seed of the workload (default 15)")
    args = parser.parse_args()
    env = {**os.environ, "INPUT_ORACLE_BLOCKS": str(args.blocks), "INPUT_ORACLE_SEED": str(args.seed), "ETH_HASH_BACKEND": "pysha3"}
    test = "tests/e2e/test_input_oracle.py"
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--timeout=0", test, "-k", "sequencers"]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
