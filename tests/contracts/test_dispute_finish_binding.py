"""The finish leaf bound to execution (docs/fault-proofs.md, "Binding the four fields to
execution"): a dishonest challenger who disputes an honest output with a block header forged in one
of transactionsRoot, receiptsRoot, logsBloom or gasUsed loses to the honest proposer.

Before the binding, the finish leaf took those four fields from the header its stepper showed, so
such a challenger countered the honest leaf at `stepFinish` with its forged header and won. Now the
claims below the split are hashes of `BlockAccumulator.Acc`, and `stepFinish` reads the four fields
from the agreed final acc: the forged header is refused (`HeaderMismatch(field)`), a forged acc too
(`AccumulatorMismatch`), the liar has no step, and the proposer's output stands.

The players are the shipped `prover.challenger.Challenger` daemons on test_dispute_played's chain and
L1 contracts (test_dispute_challengers' set-up); the liar's trace claims the honest state and accs
and an output root whose block hash is that of the forged header."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
import rlp
from eth_utils import keccak

from genesis.artifacts import load_artifact
from node.output_root import output_root
from prover.block_accumulator import Acc
from prover.dispute_trace import ChainTrace
from prover.faults import forged_header
from tests.contracts.step_diff import anvil_options  # noqa: F401 (fixture: anvil with a high gas limit)
from tests.contracts.test_dispute_challengers import (
    DEFENDER_WINS, DISHONEST, LIE_BLOCK, finish, play, player, the_game,
)
from tests.contracts.test_dispute_played import PROPOSER, L2, l2, propose, system  # noqa: F401 (fixtures)
from tests.harness.evm import Contracts

#: The header fields execution decides, by index in the header's RLP list.
EXECUTION_FIELDS = {"transactions-root": 4, "receipts-root": 5, "logs-bloom": 6, "gas-used": 10}
#: `Acc` field each header field is read from.
ACC_FIELD = {4: "transactions_root", 5: "receipts_root", 6: "logs_bloom", 10: "cumulative_gas_used"}


class ForgedFinishTrace(ChainTrace):
    """The honest chain, except that block `LIE_BLOCK`'s output root is that of its header with
    field `field` forged (every state root and acc right): what a challenger claims who means to
    win at the finish leaf."""

    def __init__(self, l2: L2, field: int) -> None:
        super().__init__(l2.chain)
        self.field = field

    def forged_header(self) -> bytes:
        return forged_header(self.block(LIE_BLOCK).header, self.field)

    def output_root(self, number: int) -> bytes:
        if number != LIE_BLOCK:
            return super().output_root(number)
        b = self.block(number)
        return bytes(output_root(b.state_root, b.withdrawal_storage_root, keccak(self.forged_header())))


@pytest.mark.parametrize("field", list(EXECUTION_FIELDS.values()), ids=list(EXECUTION_FIELDS))
def test_a_dishonest_challenger_forging_an_execution_field_loses_at_the_finish(
        contracts: Contracts, system, l2: L2, isolated, field: int) -> None:
    oracle = system["oracle"]
    honest = ChainTrace(l2.chain)
    index = propose(contracts, oracle, honest.output_root(LIE_BLOCK))
    defender = player(contracts, system, PROPOSER, honest, create_games=False)
    lie = ForgedFinishTrace(l2, field)
    liar = player(contracts, system, DISHONEST, lie)
    assert liar.step()  # disputes the honest output
    game = the_game(system, contracts)
    play([defender, liar], until=lambda: False, passes=40)
    info = game.info()
    leaf = game.claims()[-1]
    assert leaf.depth == info.max_depth and leaf.claimant == defender.address and leaf.countered_by == "0x" + "00" * 20
    k = (leaf.position - (1 << info.max_depth)) % info.trace_length
    assert k in (info.trace_length - 2, info.trace_length - 1)  # the game narrowed to the finish leaf
    assert liar.metrics.steps == 0  # the liar's own step (the true header) is valid: not sent

    # The liar tries the forged header, then an acc forged to match it: both refused by name.
    block, parent = honest.block(LIE_BLOCK), honest.block(LIE_BLOCK - 1)
    last = block.accs()[-1]
    starting = parent.output_root_proof()
    input0 = block.input_leaf(info.trace_length - 1)  # the subgame's leaf T-1: past its transactions
    proof = list(block.finish_proof(parent.header))
    proof[1] = lie.forged_header()
    forged_value = rlp.decode(proof[1])[field]
    is_attack = k == info.trace_length - 1
    contract = game.contract
    abi = [*contract.abi, *load_artifact("BlockFinishLeaf").abi]  # the leaf's errors bubble up

    def refusal(call: Any) -> tuple[str, tuple[Any, ...]]:
        return contracts.revert_of_raw(DISHONEST, {"to": call.address, "data": call._encode_transaction_data()}, abi)

    call = contract.functions.stepFinish(leaf.index, is_attack, starting, input0, last.abi_tuple(), tuple(proof))
    assert refusal(call) == ("HeaderMismatch", (field,))
    forged_acc = dataclasses.replace(last, **{ACC_FIELD[field]: int.from_bytes(forged_value, "big")
                                              if field == 10 else forged_value})
    assert isinstance(forged_acc, Acc) and forged_acc != last
    call = contract.functions.stepFinish(leaf.index, is_attack, starting, input0, forged_acc.abi_tuple(), tuple(proof))
    assert refusal(call) == ("AccumulatorMismatch", (last.claim(), forged_acc.claim()))
    # With the true acc and header, L1 computes the honest output: the step is valid, no counter.
    proof[1] = block.header
    call = contract.functions.stepFinish(leaf.index, is_attack, starting, input0, last.abi_tuple(), tuple(proof))
    assert refusal(call) == ("ValidStep", ())

    finish(contracts, [defender, liar], game)
    assert game.status() == DEFENDER_WINS
    assert oracle.functions.nextOutputIndex().call() == index + 1  # the honest output stays
    assert liar.metrics.credit_claimed_wei == 0
    assert defender.metrics.credit_claimed_wei == sum(c.bond_wei for c in game.claims()[1:])
