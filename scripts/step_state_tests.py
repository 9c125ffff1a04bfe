"""Run the shared Ethereum state tests through EVMStep (on anvil) and py-evm's LantauVM, and print
pass / fail / excluded counts with reasons (tests/contracts/step_state_tests.py says how a case is
built and what is excluded).

Usage: python scripts/step_state_tests.py [--share N [--offset K]] [--match TEXT] [--show-failures]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


from tests.contracts.step_diff import step_on_anvil  # noqa: E402
from tests.contracts.step_state_tests import cases, fixture_files, run_case  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--share", type=int, default=1, help="every N-th fixture file")
    parser.add_argument("--offset", type=int, default=0, help="starting from the K-th (shards: --share 2 --offset 0/1)")
    parser.add_argument("--match", default="", help="only fixture paths containing this text")
    parser.add_argument("--show-failures", action="store_true")
    parser.add_argument("--skip", type=int, default=0, help="leave out the first K of those files")
    parser.add_argument("--take", type=int, default=0, help="then take only M files (0: all)")
    parser.add_argument("--per-case", action="store_true", help="a line per case, as it finishes")
    args = parser.parse_args()
    with step_on_anvil() as (_, harness):
        counts: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        files = [p for p in fixture_files(1)[args.offset::args.share] if args.match in str(p)]
        files = files[args.skip:args.skip + args.take if args.take else None]
        for n, case in enumerate(cases(files), 1):
            if n % 500 == 0:
                print(f"... {n} cases: {dict(counts)}", file=sys.stderr, flush=True)
            status, detail = run_case(harness, case)
            counts[status] += 1
            if status == "excluded":
                reasons[detail[:90]] += 1
            if status == "fail" and args.show_failures:
                print(f"FAIL {case.name}: {detail}", flush=True)
            if args.per_case:  # one line a case: a run cut short still reports what it did
                print(f"CASE {status} {case.name} | {detail[:90] if status == 'excluded' else ''}", flush=True)
        print(f"files {len(files)}: pass {counts['pass']}, fail {counts['fail']}, excluded {counts['excluded']}")
        for reason, n in reasons.most_common():
            print(f"  excluded {n}: {reason}")


if __name__ == "__main__":
    main()
