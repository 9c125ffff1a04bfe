"""A dishonest challenger's `DerivationBisection` against an honest block claim, on the devnet
(docs/fault-proofs.md, "The game's level"; issue 16: a dishonest challenger never wins against an
honest proposer). `lantau challenger --dishonest --lie derivation-end` disputes a correct output
with made-up output roots; the honest `lantau challenger` defends it down to the span's first
block, whose block claim names node's `derivationEnd`. The liar opens the bisection against that
`derivationEnd` with a derivation trace that parts from node's at the L1 block where node finds
the block's batch and plays it down to the leaf (the honest side's: the bisection's depth is
even), where its step over that real L1 block is refused by `DerivationStep` (`ValidStep`). The
bisection and the game resolve for the defender, the output stays and finalizes, and every bond
the liar posted (game and bisection) is paid to the honest challenger. Every party a separate
process: an honest `lantau proposer`, both challengers following the devnet's verifier
(tests/e2e/dispute_devnet.py). The game is read and resolved by hand on the way (`lantau dispute
show` draws the bisection under its block claim; `lantau dispute resolve` from a third account is
refused while the bisection's leaf has clock left, naming that claim, nothing resolved, and once
the clocks ran out, with both challengers stopped, resolves the bisection before the block claim), and the honest
challenger, started again, claims its bonds.
"""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from bridge.l1_contract_clients import NO_ADDRESS, DerivationBisectionClient, DisputeGameClient
from genesis.dev_accounts import dev_accounts
from genesis.rollup_config import RollupConfig
from prover.dispute_player import GameShape
from prover.dispute_trace import NodeTrace
from prover.rollup_client import RollupClient
from tests.e2e.dispute_devnet import (  # noqa: F401  (fixtures: daemons, devnet)
    CHALLENGER, DEFENDER_WINS, daemons, devnet, lantau_dispute, wait_for, warp,
)

pytestmark = pytest.mark.e2e

LIAR, BYSTANDER = dev_accounts()[4], dev_accounts()[5]


def test_a_dishonest_challenger_loses_the_bisection_of_an_honest_derivation_end(devnet, daemons, tmp_path: Path) -> None:
    l1, oracle, factory = devnet["l1"], devnet["oracle"], devnet["factory"]
    bisection = DerivationBisectionClient(l1, RollupConfig.load(devnet["rollup_config"]).contracts["DerivationBisection"])
    verifier = NodeTrace(RollupClient(devnet["verifier"].rpc_url))
    proposer = daemons(tmp_path / "proposer.log", "proposer", *devnet["dir_args"])
    honest = daemons(tmp_path / "challenger.log", "challenger", *devnet["challenger_args"],
                     "--data-dir", str(tmp_path / "challenger"))
    # the liar comes once the first output is final, so the block it is bisected down to has a parent
    # after genesis (its L1 origin proven in the parent's state, not the rollup's start block)
    wait_for("the first output final", lambda: oracle.next_output_index() and oracle.is_output_finalized(0), 240, (proposer, honest))
    liar = daemons(tmp_path / "dishonest.log", "challenger", *devnet["challenger_args"], "--dishonest", "--lie",
                   "derivation-end", "--max-disputes", "1", "--key", LIAR.private_key, "--data-dir", str(tmp_path / "dishonest"))
    logs = (proposer, honest, liar)

    game_address = wait_for("the dishonest challenger to dispute an output",
                            lambda: factory.game_count() and factory.game_at(0), 240, logs)
    game = DisputeGameClient(l1, game_address)
    info = game.info()
    assert info.root_claim == oracle.l2_output(info.output_index).output_root == verifier.output_root(info.l2_block_number)

    block_claim = wait_for("the honest challenger's block claim",
                           lambda: next((c for c in game.claims() if c.depth == info.split_depth + 1), None), 240, logs)
    number = GameShape.of(info).block_of(block_claim.position)
    assert block_claim.claimant == CHALLENGER
    assert number == info.starting_block_number + 1 > 1  # every output root of the liar's is made up: the span's first block
    honest_end = verifier.derivation_end(number).commitment()
    assert game.block_derivation(block_claim.index) == honest_end

    opened = wait_for("the liar to open the bisection (once E is on L1)",
                      lambda: bisection.info(game_address, block_claim.index), 240, logs)
    trace = verifier.derivation_commitments(number)
    assert (opened.first, opened.last, opened.l2_block_number) == (trace.first, trace.last, number)

    def refused_steps() -> list[dict]:
        return [line for line in liar.log_lines() if str(line.get("msg")).startswith("L1 refuses the bisection's bisectionstep")]

    refusal = wait_for("the liar's step at the bisection's leaf refused", refused_steps, 300, logs)[0]
    assert refusal["revert"] == "ValidStep"
    found_at = trace.commitments.index(trace.commitments[-1])  # where node's state reaches its end: the batch found
    assert refusal["l1_block"] == opened.first + found_at <= opened.last  # a real L1 block, run by DerivationStep
    claims = bisection.claims(opened)
    leaf = claims[refusal["leaf"]]
    assert leaf.depth == bisection.depth() and leaf.claimant == CHALLENGER and leaf.countered_by == NO_ADDRESS
    assert claims[0].value == honest_end and claims[0].claimant == CHALLENGER  # the root: the honest block claim's end
    assert {c.claimant for c in claims[1:] if c.depth % 2} == {LIAR.address}  # the liar played its lie to the leaf
    assert {c.claimant for c in claims[1:] if c.depth % 2 == 0} == {CHALLENGER}
    assert max(c.depth for c in game.claims()) == info.split_depth + 1  # nobody bisected the block's transactions
    assert not [line for line in liar.log_lines() if line.get("msg") in ("played bisection step", "played step", "played stepInput")]
    shown = lantau_dispute("show", game_address, *devnet["dir_args"]).splitlines()
    (heading,) = [line for line in shown if "derivation bisection of" in line]
    assert f"#{block_claim.index}'s derivationEnd: L1 blocks {opened.first} .. {opened.last} (depth {bisection.depth()})" in heading
    drawn = [line for line in shown if line.lstrip().startswith("b#")]
    assert len(drawn) == len(claims) and "derivation after E (the end)" in drawn[0]
    assert f"derivation after L1 block {opened.first + found_at - (0 if refusal['attack'] else 1)}" in drawn[leaf.index]

    early = lantau_dispute("resolve", game_address, *devnet["dir_args"], "--key", BYSTANDER.private_key, returncode=1)
    assert f"claim b#{len(claims) - 1} of #{block_claim.index}'s derivation bisection: its clock has" in early  # the leaf's
    assert game.status() == 0 and not any(bisection.resolved(opened, c.index) for c in claims)  # nothing resolved

    liar.kill(signal.SIGTERM)  # its step refused, the liar owes what it cannot make
    honest.kill(signal.SIGTERM)  # resolved by hand below, by a third account (anyone may resolve)
    warp(devnet, info.max_clock_duration_s + 1)  # past the clocks
    resolved = lantau_dispute("resolve", game_address, *devnet["dir_args"], "--key", BYSTANDER.private_key)
    assert "resolved: defender wins" in resolved
    assert game.status() == DEFENDER_WINS and all(bisection.resolved(opened, c.index) for c in claims)
    honest = daemons(tmp_path / "challenger.log", "challenger", *devnet["challenger_args"],
                     "--data-dir", str(tmp_path / "challenger"))  # started again: it claims its bonds from L1's record
    logs = (proposer, honest, liar)
    assert bisection.root_countered_by(game_address, block_claim.index) == NO_ADDRESS
    assert game.claim(block_claim.index).countered_by == NO_ADDRESS
    assert oracle.l2_output(info.output_index).output_root == info.root_claim  # the output stays
    assert game.credit(LIAR.address) == 0 == bisection.credit(game_address, LIAR.address)
    game_claims = game.claims()
    liar_bonds = sum(c.bond_wei for c in (*claims, *game_claims) if c.claimant == LIAR.address)
    assert liar_bonds > 0

    warp(devnet, info.bond_delay_s + 1)

    def claimed_credit() -> dict[str, int]:  # each claim is on L1 before the challenger logs it
        return {line["msg"]: int(line["credit_wei"]) for line in honest.log_lines()
                if line.get("msg") in ("claimed credit", "claimed bisection credit")}

    claimed = wait_for("the honest challenger to claim its bisection and game credit",
                       lambda: len(claimed_credit()) == 2 and claimed_credit(), 120, logs)
    assert bisection.credit(game_address, CHALLENGER) == 0 == game.credit(CHALLENGER)
    # every bond of the bisection and every claim's below the game's root, the liar's among them
    assert claimed == {"claimed bisection credit": sum(c.bond_wei for c in claims),
                       "claimed credit": sum(c.bond_wei for c in game_claims[1:])}
    assert wait_for("the output final", lambda: oracle.is_output_finalized(info.output_index), 120, logs)
