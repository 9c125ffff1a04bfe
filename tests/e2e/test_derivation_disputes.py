"""A false `derivationEnd` disputed end to end on the devnet (docs/fault-proofs.md, "The game's
level"): the liar's block claim says derivation found no batch for a block the batcher batched
(`found` = 0), naming the block's deposits alone and the state after them. `stepInput` cannot
refute it (the claim's own end state says no batch came: `DerivationMismatch` for the truth's), nor
can the block's transactions (they execute as named): the challenger plays neither and opens `DerivationBisection` against the claim's `derivationEnd`, both daemons play
it over the block's L1 range, and the challenger's step runs the L1 block where its node finds
the batch through `DerivationStep`. Every party a separate process (tests/e2e/dispute_devnet.py).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bridge.devnet import fill_blocks_through
from bridge.l1_contract_clients import NO_ADDRESS, DerivationBisectionClient, DisputeGameClient
from genesis.rollup_config import RollupConfig
from prover.dispute_trace import NodeTrace
from prover.faults import FaultKind, LyingTrace
from prover.rollup_client import RollupClient
from tests.e2e.dispute_devnet import (  # noqa: F401  (fixtures: daemons, devnet)
    CHALLENGER, CHALLENGER_WINS, PROPOSER, daemons, devnet, lie_and_challenger, next_quiet_output_block, wait_for,
    warp,
)

pytestmark = pytest.mark.e2e


def test_a_false_derivation_end_loses_the_bisection(devnet, daemons, tmp_path: Path) -> None:
    """`--inject-fault derivation-end`: the challenger bisects the liar's `derivationEnd` over the
    block's L1 range (S .. E from `DerivationStep.derivationRange`), steps at a real L1 block (the
    one where node finds the batch), the bisection's root is countered by the challenger, the
    game's `resolveClaim` counts the block claim countered, the game resolves for the challenger,
    the lie leaves the oracle, and the challenger is paid (the liar's oracle bond among its credit)."""
    l1, oracle, factory, l2 = devnet["l1"], devnet["oracle"], devnet["factory"], devnet["l2"]
    rollup = RollupConfig.load(devnet["rollup_config"])
    bisection = DerivationBisectionClient(l1, rollup.contracts["DerivationBisection"])
    verifier = NodeTrace(RollupClient(devnet["verifier"].rpc_url))
    lie_block = next_quiet_output_block(l2)
    fill_blocks_through(l2, lie_block)
    wait_for("the verifier's safe head past the lie block", lambda: verifier.safe_l2_number() >= lie_block, 180)
    truth = verifier.block(lie_block)
    assert len(truth.tx_hashes) > 1 and verifier.derivation_end(lie_block).found != bytes(32)  # batched, with user transactions
    play = lie_and_challenger(devnet, daemons, tmp_path, "derivation-end", lie_block)
    logs, lie_index = play.logs, play.lie_index

    wait_for("the lie on L1", lambda: oracle.next_output_index() > lie_index, 240, logs)
    posted = oracle.l2_output(lie_index)
    lying = LyingTrace(verifier, FaultKind.DERIVATION_END, lie_block)
    assert posted.output_root == lying.output_root(lie_block) != truth.output_root
    assert lying.block(lie_block).tx_hashes == truth.tx_hashes[:1]  # the L1-info deposit alone (no deposits here)
    game_address = wait_for("the challenger to dispute the lie", lambda: factory.game_count() and factory.game_at(0), 240, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()

    def block_claim() -> int | None:
        return next((c.index for c in game.claims() if c.depth == info.split_depth + 1 and c.claimant == PROPOSER), None)

    claim = wait_for("the liar's block claim", block_claim, 240, logs)
    assert game.block_derivation(claim) == lying.derivation_end(lie_block).commitment() != verifier.derivation_end(lie_block).commitment()
    opened = wait_for("the challenger to open the bisection (once E is on L1)", lambda: bisection.info(game_address, claim), 240, logs)
    trace = verifier.derivation_commitments(lie_block)
    assert (opened.first, opened.last, opened.l2_block_number) == (trace.first, trace.last, lie_block)

    def stepped() -> list[dict]:
        return [line for line in play.challenger.log_lines() if line.get("msg") == "played bisection step"]

    steps = wait_for("the challenger's step at the bisection's leaf", stepped, 300, logs)
    (step,) = steps
    assert not step["padding"] and opened.first <= step["l1_block"] <= opened.last  # a real L1 block: DerivationStep ran
    found_at = opened.first + trace.commitments.index(trace.commitments[-1])
    assert step["l1_block"] == found_at  # where node finds the batch (the first commitment of the end state)
    claims = bisection.claims(opened)
    assert claims[0].value == game.block_derivation(claim) and claims[0].claimant == PROPOSER
    leaf = next(c for c in claims if c.index == step["leaf"])
    assert leaf.countered_by == CHALLENGER and leaf.claimant == PROPOSER
    assert {c.claimant for c in claims[1:] if c.depth % 2} == {CHALLENGER}  # the opener's side: odd depths
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 0} == {PROPOSER}  # the liar played its lie down to the leaf

    warp(l1, info.max_clock_duration_s + 1)  # nothing is owed any more: past the clocks
    wait_for("the game resolved", lambda: game.status() != 0, 240, logs)
    assert game.status() == CHALLENGER_WINS
    assert bisection.root_countered_by(game_address, claim) == CHALLENGER
    assert game.claim(claim).countered_by == CHALLENGER  # the block claim: countered by its derivationEnd's bisection
    assert max(c.depth for c in game.claims()) == info.split_depth + 1  # nobody bisected the block's transactions
    assert not [line for line in play.challenger.log_lines() if line.get("msg") in ("played step", "played stepInput")]
    for index in range(lie_index, oracle.next_output_index()):  # any output there now is a true one
        assert oracle.l2_output(index).output_root != posted.output_root
    forfeited = int(factory.contract.events.GameResolved().get_logs(from_block=0)[0]["args"]["forfeited"])
    assert forfeited >= oracle.required_bond() and game.credit(PROPOSER) == 0 == bisection.credit(game_address, PROPOSER)
    owed_in_bisection = bisection.credit(game_address, CHALLENGER)
    assert owed_in_bisection == sum(c.bond_wei for c in claims)  # every bond of the bisection, the liar's among them
    assert game.credit(CHALLENGER) >= forfeited
    wait_for("the challenger to claim its bisection credit",
             lambda: [line for line in play.challenger.log_lines() if line.get("msg") == "claimed bisection credit"], 240, logs)
    assert bisection.credit(game_address, CHALLENGER) == 0
    assert game.claim(claim).countered_by != NO_ADDRESS
