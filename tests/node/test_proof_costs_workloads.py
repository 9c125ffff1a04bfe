"""The proof-cost caps do not refuse the project's own workloads (bench/proof_costs.py): each
one succeeds under the devnet caps, and its counts are within them (counts, not time)."""

from __future__ import annotations

import dataclasses

from bench.proof_costs import measure, table
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS


def test_every_workload_fits_the_devnet_caps() -> None:
    results = measure()
    print("\n" + table(results))
    assert len(results) == 14
    caps = DEVNET_PROOF_COST_LIMITS
    for result in results:
        costs = result.costs
        assert result.success, result
        assert costs.exceeded is None, result
        assert costs.opcodes <= caps.max_opcodes and costs.accounts <= caps.max_accounts, result
        assert costs.slots <= caps.max_slots and costs.code_bytes <= caps.max_code_bytes, result
        assert costs.memory_bytes <= caps.max_memory_bytes and costs.frames <= caps.max_frames, result
    by_name = {r.name: r.costs for r in results}
    # The big ones really are big: a cap a tenth as high would refuse them.
    assert by_name["DvP settleBatch of 25 (atomic=True)"].opcodes > caps.max_opcodes // 10
    assert by_name["coupon pushPayments chunk of 50"].accounts > 50
    assert by_name["coupon pushPayments chunk of 50"].frames > caps.max_frames // 4
    assert dataclasses.asdict(by_name["HKD transfer"]) == {
        "opcodes": 1, "accounts": 3, "slots": 0, "code_bytes": 0, "memory_bytes": 0, "frames": 1, "exceeded": None}
