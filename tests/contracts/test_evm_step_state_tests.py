"""A representative share of the shared Ethereum state tests through EVMStep vs py-evm's LantauVM
(every 60th fixture file, in a stable order); scripts/step_state_tests.py runs them all."""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.step_diff import anvil_options, harness  # noqa: F401 (fixtures)
from tests.contracts.step_state_tests import FIXTURES, Case, cases, fixture_files, run_case

SHARE = 60
CASES = list(cases(fixture_files(SHARE)))
if not CASES:  # an empty parametrize would be one silent skip
    raise RuntimeError(f"no state tests under {FIXTURES}: the shared state-test fixtures are missing")


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_state_test_case(harness: Any, case: Case) -> None:
    status, detail = run_case(harness, case)
    # An excluded case (a tx type the L2 refuses, an unpriced precompile, past a proof-cost cap)
    # is still run: run_case reports it excluded only with its reason, never silently.
    if status == "excluded":
        assert detail, "an exclusion must say why"
        return
    assert status == "pass", detail
