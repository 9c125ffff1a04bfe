"""`bridge.withdrawal.withdrawal_stage`: the one naming of a withdrawal's stage, used by
`lantau bridge withdrawal-status` and the explorer's rollup page (`lantau_bridgeWithdrawals`)."""

from __future__ import annotations

import pytest

from bridge.withdrawal import WithdrawalStatus, withdrawal_stage

UNPROVEN = WithdrawalStatus(None, None, None, False)
PROVEN = WithdrawalStatus(proven_at=1_000, l2_output_index=3, finalizable_at=1_013, finalized=False)


@pytest.mark.parametrize(("status", "has_output", "l1_time", "stage"), [
    (UNPROVEN, False, 5_000, "waiting for output"),
    (UNPROVEN, True, 5_000, "provable"),
    (PROVEN, True, 1_012, "proven"),
    (PROVEN, True, 1_013, "finalizable"),
    (PROVEN, True, None, "proven"),  # no L1 time asked: the CLI prints when it becomes finalizable
    (WithdrawalStatus(1_000, 3, 1_013, True), True, 1_013, "finalized"),
])
def test_each_stage(status: WithdrawalStatus, has_output: bool, l1_time: int | None, stage: str) -> None:
    assert withdrawal_stage(status, has_output=has_output, l1_time=l1_time) == stage
