"""Run the shared Ethereum state tests through EVMStep (on anvil) and py-evm's LantauVM, and print
pass / fail / excluded counts with reasons (tests/contracts/step_state_tests.py says how a case is
built and what is excluded).

Usage: python scripts/step_state_tests.py [--share N] [--match TEXT] [--show-failures]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from web3 import Web3  # noqa: E402

from bridge.anvil import AnvilOptions, AnvilProcess  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402
from tests.contracts.conftest import Contracts  # noqa: E402
from tests.contracts.step_diff import deploy_step  # noqa: E402
from tests.contracts.step_state_tests import cases, fixture_files, run_case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--share", type=int, default=1, help="every N-th fixture file")
    parser.add_argument("--match", default="", help="only fixture paths containing this text")
    parser.add_argument("--show-failures", action="store_true")
    args = parser.parse_args()
    anvil = AnvilProcess(AnvilOptions(extra_args=("--gas-limit", "3000000000")))
    anvil.start()
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 120}))
        contracts = Contracts(w3=w3, anvil=anvil, keys=tuple(a.private_key for a in dev_accounts()))
        harness = deploy_step(contracts.deploy)
        counts: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        files = [p for p in fixture_files(args.share) if args.match in str(p)]
        for case in cases(files):
            status, detail = run_case(harness, case)
            counts[status] += 1
            if status == "excluded":
                reasons[detail[:90]] += 1
            if status == "fail" and args.show_failures:
                print(f"FAIL {case.name}: {detail}", flush=True)
        print(f"files {len(files)}: pass {counts['pass']}, fail {counts['fail']}, excluded {counts['excluded']}")
        for reason, n in reasons.most_common():
            print(f"  excluded {n}: {reason}")
    finally:
        anvil.stop()


if __name__ == "__main__":
    main()
