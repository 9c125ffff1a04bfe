"""The dispute game's transaction leaf decided by a step proven beforehand (docs/fault-proofs.md,
"Segmented execution"): a transaction too long for one L1 transaction is proven by anyone in
stages (`loadWitness`, execute in segments, `commitTransaction`) on the game's own `OneStepProof`,
and `stepTransaction` with an empty witness takes the post-state root it recorded and the
`PostState` it executed (shown in `BlockAccumulator.Tries.stagedPost`, for the receipt). The game of
test_dispute_played (a proposer lying about transaction 1 of block 3) is played to the leaf; the
challenger's empty-witness step is refused by name (`TransactionNotProven`) until the step is
proven, the game unchanged, and then counters the leaf."""

from __future__ import annotations

from typing import Any

import rlp
from eth_utils import keccak
from web3.contract import Contract

from genesis.artifacts import load_artifact
from prover.block_accumulator import NO_STAGED_POST
from prover.dispute_block import input_leaf
from prover.step_call import StepCall, run_segments
from prover.witness import transaction_witness
from tests.contracts.step_diff import STEP_CALL_GAS, anvil_options  # noqa: F401 (fixture)
from tests.contracts.test_dispute_played import (  # noqa: F401 (fixtures: l2, system)
    CHALLENGER, MAX_DEPTH, PROPOSER, TRACE, Game, L2, Player, block_of, l2, lie_from_block_3_tx_1, open_game, propose,
    system, trace_index,
)
from tests.contracts.test_one_step_proof_segmented import transact_with
from tests.harness.evm import Contracts

BUDGET = 1  # tiny transactions here: one instruction a segment still pauses


def _empty_witness_step(game: Game, index: int, p: int, is_attack: bool,
                        staged_post: tuple[Any, ...] = NO_STAGED_POST, *, starting_of: int | None = None,
                        parent_of: int | None = None) -> tuple[Any, StepCall]:
    """`stepTransaction` on leaf `index` with no witness (the raw transaction and, once proven,
    the `PostState` OneStepProof executed), and the step it names; `starting_of` / `parent_of`:
    the output proof / the parent header of another block shown instead of the agreed parent's."""
    number = game.start + block_of(p) + 1
    k = trace_index(p, MAX_DEPTH) % TRACE + (0 if is_attack else 1)
    call = StepCall.from_witness(transaction_witness(game.l2.chain, number, k))
    starting = game.l2.output_proof(number - 1 if starting_of is None else starting_of)
    block = game.l2.blocks[number]
    pre = block.acc_before(k, game.l2.outputs[number - 1].state_root).abi_tuple()
    ancestry = call.ancestry()
    if parent_of is not None:
        ancestry = (rlp.encode(game.l2.chain.header_by_number(parent_of)), *ancestry[1:])
    step = game.game.functions.stepTransaction(index, is_attack, starting, input_leaf(*game.l2.inputs(number), k),
                                               call.tx_proof(staged=True), ancestry, pre,
                                               block.step_tries(k, staged_post))
    return step, call


def _prove_in_segments(contracts: Contracts, one_step: Contract, call: StepCall) -> tuple[int, Any]:
    """The step proven on L1 by anyone: load, execute in segments of BUDGET instructions, commit."""
    gas: list[int] = []
    transact = transact_with(contracts, one_step, gas)
    pre = transact("loadWitness", call.load_args())
    post, machines = run_segments(call, pre, BUDGET, transact)
    transact("commitTransaction", call.commit_args(post))
    assert one_step.functions.postStateRoot(call.step_id()).call() == call.post_state_root
    return len(machines) + 1, post


def test_a_leaf_countered_by_a_step_proven_in_segments(contracts: Contracts, system, l2: L2, isolated) -> None:
    honest = Player("honest (challenger)", CHALLENGER, l2, 0)
    liar = Player("liar (proposer)", PROPOSER, l2, 0, lie_from_block_3_tx_1)
    game = open_game(contracts, system, l2, propose(contracts, system["oracle"], liar.output(4)), honest)
    # the honest side steps with an empty witness only: nothing proven yet, so no winning step
    game.step_call = lambda i, p, is_attack: ("stepTransaction (empty witness)",
                                              _empty_witness_step(game, i, p, is_attack)[0])
    moves = game.play((liar, honest), first=1)
    assert moves[-1] == "honest (challenger): no winning step", moves
    leaf = game.game.functions.claimDataLen().call() - 1
    _, _, _, _, claim, p, _, _ = game.claim(leaf)
    step, call = _empty_witness_step(game, leaf, p, is_attack=honest.value(p) != claim)
    assert call.transaction == transaction_witness(l2.chain, 3, 1).transaction  # the storage write
    abi = [*game.game.abi, *load_artifact("BlockAccumulator").abi, *load_artifact("BlockFinishLeaf").abi]  # errors bubble up

    def refusal(step: Any) -> tuple[str, tuple[Any, ...]]:
        return contracts.revert_of_raw(CHALLENGER, {"to": step.address, "data": step._encode_transaction_data()}, abi)

    assert refusal(step) == ("TransactionNotProven", (call.step_id(),))
    # the context is derived from the agreed parent: another output shown, or another parent header, is refused
    is_attack = honest.value(p) != claim
    assert refusal(_empty_witness_step(game, leaf, p, is_attack, starting_of=1)[0]) == ("InvalidStartingOutput", ())
    other = rlp.encode(l2.chain.header_by_number(1))
    assert refusal(_empty_witness_step(game, leaf, p, is_attack, parent_of=1)[0]) == (
        "ParentHeaderMismatch", (l2.chain.header_by_number(2).hash, keccak(other)))
    assert game.game.functions.claimDataLen().call() == leaf + 1
    assert game.claim(leaf)[1] == "0x" + "00" * 20  # not countered: the refusal changed nothing

    one_step = contracts.w3.eth.contract(address=game.game.functions.oneStepProof().call(),
                                         abi=list(load_artifact("OneStepProof").abi))
    segments, post = _prove_in_segments(contracts, one_step, call)
    assert segments == 5  # PUSH1, CALLDATALOAD, PUSH1, SSTORE, STOP: one instruction a segment
    # the PostState shown must be the one executed: another gas used is refused by name
    forged = (post[0], post[1], post[2] + 1, post[3])
    assert refusal(_empty_witness_step(game, leaf, p, honest.value(p) != claim, forged)[0]) == (
        "PostStateNotExecuted", (call.step_id(),))
    step, _ = _empty_witness_step(game, leaf, p, honest.value(p) != claim, post)
    assert contracts.ok(CHALLENGER, step)["status"] == 1
    assert game.claim(leaf)[1] == contracts.address(CHALLENGER)  # countered by the proven step
