"""Run the PatriciaTrie-vs-py-trie differential (tests/contracts/test_patricia_trie.py) with any
number of random sequences: `python scripts/trie_differential.py --sequences 50000`. CI runs
10,000 (the default); 80 % start from the empty trie, 20 % from a witnessed random trie."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=10_000, help="sequences in all (default 10,000)")
    args = parser.parse_args()
    env = {**os.environ, "TRIE_DIFFERENTIAL_SCALE": str(args.sequences / 10_000)}
    test = "tests/contracts/test_patricia_trie.py"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--timeout=0", test, "-k", "sequences"]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
