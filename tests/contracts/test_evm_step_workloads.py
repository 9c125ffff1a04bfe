"""The project's own transactions, built on the devnet genesis by the L2's block builder, through
EVMStep on the witness `prover.witness` records (tests/contracts/step_workloads.py): the step's
PostState must be the L2's, under the devnet's proof-cost caps."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

from node.chain import Chain
from tests.contracts.step_diff import anvil_options, harness  # noqa: F401 (fixtures)
from tests.contracts.step_workloads import Workload, build_workloads, run_workload

_BUILT: dict[str, Any] = {}


@pytest.fixture(scope="module")
def built() -> Iterator[tuple[Chain, list[Workload]]]:
    with tempfile.TemporaryDirectory() as tmp:
        chain, workloads = build_workloads(Path(tmp))
        try:
            yield chain, workloads
        finally:
            chain.close()


#: What each workload must do on the L2 (so a workload that silently stopped working shows).
EXPECTED_SUCCESS = {
    "deposit: reverting call (mint kept)": False,
    "RWA transfer out of gas": False,
    "DvP settleBatch of 45: past the opcode cap": False,
}


def test_every_workload_matches_the_l2(harness: Any, built: tuple[Chain, list[Workload]]) -> None:
    chain, workloads = built
    assert len(workloads) == 22
    failures = []
    for workload in workloads:
        result = run_workload(harness, chain, workload)
        if result.problems:
            failures.append(f"{workload.name}: {result.problems}")
        if result.witness.success != EXPECTED_SUCCESS.get(workload.name, True):
            failures.append(f"{workload.name}: L2 success {result.witness.success}")
        if workload.name.startswith("DvP settleBatch of 45"):
            assert result.witness.proof_costs.exceeded == "opcodes"
    assert not failures, "\n".join(failures)
