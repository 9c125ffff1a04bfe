"""The one runner of the differential campaigns (`batch_reader_differential.py`,
`input_oracle_differential.py`): each is a pytest test whose size and seed come from the
environment; a campaign script names the test, its `-k` selector and its options, and this module
parses the command line and runs pytest from the repository root with those variables set."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

REPO_ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True, slots=True)
class CampaignOption:
    """A command-line flag (`--<name>`) passed to the test as environment variable `env`."""

    name: str
    env: str
    default: int
    help: str


def run_campaign(doc: str, test: str, selector: str, options: Sequence[CampaignOption]) -> int:
    """Parse `sys.argv` for `options`, run `pytest test -k selector` with them; its exit code."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    for option in options:
        parser.add_argument(f"--{option.name}", type=int, default=option.default, help=f"{option.help} (default {option.default})")
    args = parser.parse_args()
    env = {**os.environ, "ETH_HASH_BACKEND": "pysha3"}
    env.update({option.env: str(getattr(args, option.name.replace("-", "_"))) for option in options})
    command = [sys.executable, "-m", "pytest", "-q", "-s", "-p", "no:cacheprovider", "--timeout=0", test, "-k", selector]
    return subprocess.run(command, cwd=REPO_ROOT, env=env, check=False).returncode
