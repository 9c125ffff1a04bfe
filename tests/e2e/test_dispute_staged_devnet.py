"""The staged step played by a real `lantau challenger` process on `lantau devnet`
(docs/fault-proofs.md, "Segmented execution" and "The challenger"): the disputed transaction is
too long for one L1 transaction's proof, so the challenger proves it in stages over real L1
transactions (load, execution segments, commit, each under EIP-7825's 16,777,216 gas) and then
steps with the empty witness.

The transaction is a loop of 1,500 rounds (10,502 instructions: at ~1,800 L1 gas an instruction its
one-call proof is ~21M, above the cap, within the devnet L1 block's 30M), placed last in output
block B with the devnet's `evm_mine` (`dispute_devnet.last_in_output_block`); `lantau proposer
--inject-fault state-root --inject-at B` lies about the state after it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.dev_accounts import dev_accounts
from prover.staged_step import EIP_7825_TX_GAS_CAP
from tests.e2e.dispute_devnet import (  # noqa: F401 (fixtures: daemons, devnet)
    CHALLENGER, daemons, deploy_runtime, devnet, last_in_output_block, lie_and_challenger,
    resolved_for_the_challenger, stepped_by_the_challenger,
)

pytestmark = pytest.mark.e2e

ROUNDS = 1_500
# PUSH2 1500; JUMPDEST; PUSH1 1; SWAP1; SUB; DUP1; PUSH1 3; JUMPI; STOP  (7 instructions a round)
LOOP = bytes.fromhex("61") + ROUNDS.to_bytes(2, "big") + bytes.fromhex("5b600190038060035700")
SENDER = dev_accounts()[7]


def test_a_real_challenger_proves_a_long_transaction_in_stages_on_the_devnet(devnet, daemons, tmp_path: Path) -> None:
    l2 = devnet["l2"]
    loop = deploy_runtime(l2, SENDER, LOOP)
    lie_block, call = last_in_output_block(l2, SENDER, 0, to=loop)
    assert l2.eth.get_transaction_receipt(call)["status"] == 1
    tx_index = len(l2.eth.get_block(lie_block)["transactions"]) - 1

    play = lie_and_challenger(devnet, daemons, tmp_path, "state-root", lie_block)
    game, info, lines = stepped_by_the_challenger(devnet, play, lie_block, 600)
    measured = [line["l1_gas"] for line in lines if line.get("msg") == "one-call step above the L1 block gas limit"]
    stages = [line["l1_gas"] for line in lines if line.get("msg") == "staged step: sent a stage"]
    steps = [line for line in lines if line.get("msg") == "played step"]
    # load, at least 10,502 / 2,000 instruction segments, commit: each an L1 transaction under the cap
    assert len(stages) >= 8 and max(stages) <= EIP_7825_TX_GAS_CAP, stages
    assert [(s["l2_block"], s["tx_index"]) for s in steps] == [(lie_block, tx_index)]
    assert steps[0]["l1_gas"] <= EIP_7825_TX_GAS_CAP  # the step itself reads the staged result
    assert not measured or measured[0] > EIP_7825_TX_GAS_CAP
    assert game.claims()[-1].countered_by == CHALLENGER
    print(f"\nstaged step of a {ROUNDS}-round loop: {len(stages)} stages, L1 gas {sum(stages):,} "
          f"(max {max(stages):,}), then the step {steps[0]['l1_gas']:,}")

    resolved_for_the_challenger(devnet, play, game, info)
