"""A whole game whose disputed transaction reads BLOCKHASH(number - 200) (docs/fault-proofs.md,
"Contexts the game derives": the BLOCKHASH window deeper than one step's calldata).

On the devnet (every party a separate process, `tests/e2e/dispute_devnet.py`), the test builds
the L2 chain past block 200 with the devnet's `evm_mine` (the sequencer's own loop waits while
the head is ahead of its clock, so the test alone decides what block B holds), makes the last
transaction of output block B a call that stores BLOCKHASH(B - 200), and moves both clocks up to
the head (`evm_increaseTime`). `lantau proposer --inject-fault state-root --inject-at B` lies
about the state after that transaction; the real `lantau challenger` plays to the leaf, records
the ancestor headers its step cannot carry (more than `MAX_ANCESTORS_IN_CALL` = 128) on the finish
leaf with `recordHeaders`, steps the transaction on L1 with a 200-hash window read partly from
that record, and wins.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from genesis.dev_accounts import dev_accounts
from prover.step_call import MAX_ANCESTORS_IN_CALL
from tests.e2e.dispute_devnet import (  # noqa: F401 (fixtures: daemons, devnet)
    CHALLENGER, daemons, deploy_runtime, devnet, last_in_output_block, lie_and_challenger,
    resolved_for_the_challenger, stepped_by_the_challenger,
)

pytestmark = pytest.mark.e2e

DEPTH = 200  # how far back the disputed transaction's BLOCKHASH reads
# SSTORE(0, BLOCKHASH(NUMBER - 200)); STOP  (PUSH1 200, NUMBER, SUB, BLOCKHASH, PUSH1 0, SSTORE, STOP)
RUNTIME = bytes.fromhex("60c843034060005500")
SENDER = dev_accounts()[6]


def test_a_game_whose_transaction_reads_blockhash_200_back_is_won_through_recorded_headers(devnet, daemons, tmp_path: Path) -> None:
    l2 = devnet["l2"]
    reader = deploy_runtime(l2, SENDER, RUNTIME)
    lie_block, call = last_in_output_block(l2, SENDER, DEPTH + 8, to=reader)
    block = l2.eth.get_block(lie_block)
    assert l2.eth.get_transaction_receipt(call)["status"] == 1
    stored = bytes(l2.eth.get_storage_at(reader, 0, lie_block))
    assert stored == bytes(l2.eth.get_block(lie_block - DEPTH)["hash"])  # it read BLOCKHASH(B - 200)

    play = lie_and_challenger(devnet, daemons, tmp_path, "state-root", lie_block)
    game, info, lines = stepped_by_the_challenger(devnet, play, lie_block, 420)
    steps = [line for line in lines if line.get("msg") == "played step"]
    assert [(s["l2_block"], s["tx_index"]) for s in steps] == [(lie_block, len(block["transactions"]) - 1)]
    recorded = sum(line["headers"] for line in lines if line.get("msg") == "recorded ancestor headers")
    # the window: the parent's hash, its header's parentHash, 128 headers in the step, the rest recorded
    assert recorded == DEPTH - 2 - MAX_ANCESTORS_IN_CALL
    oldest = devnet["verifier"].rpc("lantau_txWitness", [hex(lie_block), hex(len(block["transactions"]) - 1)])
    headers = [bytes.fromhex(h[2:]) for h in oldest["ancestryHeaders"]]
    assert len(headers) == DEPTH - 1 and game.header_recorded(headers[-1])  # B-200's child's header, recorded on L1
    assert game.claims()[-1].countered_by == CHALLENGER

    resolved_for_the_challenger(devnet, play, game, info)
