"""The challenger daemon counters a lie in a transaction whose one-call step is above its L1 gas
cap by proving the step in stages and segments (`prover.staged_step`, docs/fault-proofs.md,
"Segmented execution"), then stepping with the empty witness.

The set-up is test_dispute_challengers' (the shipped `Challenger` daemons one pass at a time on a
real anvil with the real game contracts), the liar's trace lying from block 4's transaction 1, the
storage write (PUSH1, CALLDATALOAD, PUSH1, SSTORE, STOP), so the step executes code. The transactions of that chain are small, so the daemon's cap is lowered to
`CAP` (below the one-call step, above every stage at `BUDGET` instructions a segment): the same
code path a DvP settle takes under EIP-7825's 16,777,216 (bench/step_segments.py: 17.1M in one
call, 3 segments of at most 9.9M).

What it shows: a previous run killed after two stages (its memory lost, L1 keeping the loaded
witness and the first segment) is continued by a fresh daemon, which sends only the rest; an L1
reorg that takes the step, the commit and the last segment is answered by sending exactly those
again; the liar loses. Bad input: a stage above the cap is refused by name before anything is
sent (no nonce used, nothing recorded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from web3.contract import Contract

from bridge.l1_client import L1Client
from bridge.l1_contract_clients import DisputeGameClient, DisputeGameFactoryClient, OutputOracleClient
from bridge.tx_manager import TxManager
from prover.challenger import Challenger, ChallengerConfig, ChallengerState
from eth_utils import keccak

from prover.dispute_trace import ChainTrace
from prover.faults import FaultKind, LyingTrace
from prover.staged_step import StagedStep, StagedStepConfig, StageTooLarge
from tests.contracts.step_diff import anvil_options  # noqa: F401 (fixture: anvil with a high gas limit)
from tests.contracts.test_dispute_challengers import (
    CHALLENGER_WINS, HONEST_A, LIE_BLOCK, NO_ONE, finish, play, player, the_game,
)
from tests.contracts.test_dispute_played import L2, PROPOSER, l2, propose, system  # noqa: F401 (fixtures)
from tests.harness.evm import Contracts

CAP = 1_500_000
BUDGET = 1  # one instruction a segment: the storage write takes 5
ZERO = b"\x00" * 32
LIE_TX = 1  # the storage write of block 4


class LieFromTheStorageWrite(LyingTrace):
    """Block 4's state roots made up from transaction `LIE_TX` on (and so its output root)."""

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        roots = self.inner.state_roots(number)
        if number != LIE_BLOCK:
            return roots
        return tuple(root if k < LIE_TX else keccak(b"made up" + bytes([k])) for k, root in enumerate(roots))


def lying_proposer(contracts: Contracts, system: dict[str, Contract], l2: L2) -> tuple[Challenger, int]:
    """Posts output 0 with the lie about block 4, and the player that defends it."""
    trace = LieFromTheStorageWrite(ChainTrace(l2.chain), FaultKind.STATE_ROOT, LIE_BLOCK)
    index = propose(contracts, system["oracle"], trace.output_root(LIE_BLOCK))
    return player(contracts, system, PROPOSER, trace, create_games=False), index


def staged_player(contracts: Contracts, system: dict[str, Contract], l2: L2, state_path: Path | None) -> Challenger:
    l1 = L1Client(contracts.w3)
    config = ChallengerConfig(poll_interval_s=0, staged=StagedStepConfig(tx_gas_cap=CAP, segment_budget=BUDGET))
    return Challenger(OutputOracleClient(l1, system["oracle"].address), DisputeGameFactoryClient(l1, system["factory"].address),
                      TxManager(l1, contracts.keys[HONEST_A]), ChainTrace(l2.chain), config, state_path=state_path)


def _one_step(contracts: Contracts, game: DisputeGameClient) -> Contract:
    return L1Client(contracts.w3).contract("OneStepProof", game.contract.functions.oneStepProof().call())


def test_the_daemon_counters_a_lie_in_a_transaction_above_its_cap_in_segments(
        contracts: Contracts, system, l2: L2, isolated, tmp_path: Path) -> None:
    state_path = tmp_path / "challenger.json"
    liar, index = lying_proposer(contracts, system, l2)
    honest = staged_player(contracts, system, l2, state_path)
    assert honest.step() and honest.metrics.games_created == 1
    game = the_game(system, contracts)
    one_step = _one_step(contracts, game)
    witness = ChainTrace(l2.chain).transaction_step(LIE_BLOCK, LIE_TX)  # where the lie starts
    l1 = L1Client(contracts.w3)
    # the one-call proof alone (the game's step adds its own work) is above the daemon's cap
    assert one_step.functions.proveTransaction(*witness.prove_args()).estimate_gas() > CAP

    # A previous run of the same daemon, killed after two stages: L1 keeps what it sent.
    killed = StagedStep(l1, TxManager(l1, contracts.keys[HONEST_A]), one_step.address, witness,
                        StagedStepConfig(tx_gas_cap=CAP, segment_budget=BUDGET))
    sent_before = [killed.advance() for _ in range(2)]
    assert [r["status"] for r in sent_before] == [1, 1]
    assert all(r["gasUsed"] <= CAP for r in sent_before)
    assert one_step.functions.postStateRoot(witness.step_id()).call() == ZERO

    restarted = staged_player(contracts, system, l2, state_path)
    play([liar, restarted], until=lambda: game.claims()[-1].countered_by != NO_ONE)
    leaf = game.claims()[-1]
    assert leaf.countered_by == restarted.address
    assert one_step.functions.postStateRoot(witness.step_id()).call() == witness.post_state_root
    # load, segments, commit: the restart sent all but the two stages already on L1
    assert 2 + restarted.metrics.staged_transactions == 1 + 5 + 1  # load, 5 segments, commit
    assert restarted.metrics.steps == 1
    state = ChallengerState.load(state_path)
    assert state.staged == {"0x" + witness.step_id().hex(): restarted.metrics.staged_transactions}

    # An L1 reorg takes the step, the commit and the last segment: exactly those are sent again.
    sent = restarted.metrics.staged_transactions
    contracts.anvil.rpc("anvil_reorg", [3, []])
    assert game.claims()[-1].countered_by == NO_ONE
    assert one_step.functions.postStateRoot(witness.step_id()).call() == ZERO
    play([liar, restarted], until=lambda: game.claims()[-1].countered_by != NO_ONE)
    assert restarted.metrics.staged_transactions == sent + 2
    assert game.claims()[-1].countered_by == restarted.address
    assert one_step.functions.postStateRoot(witness.step_id()).call() == witness.post_state_root

    finish(contracts, [liar, restarted], game)
    assert game.status() == CHALLENGER_WINS
    assert system["oracle"].functions.nextOutputIndex().call() == index  # the lie is gone


def test_a_stage_above_the_cap_is_refused_by_name_and_nothing_is_sent(
        contracts: Contracts, system, l2: L2, isolated) -> None:
    liar, _ = lying_proposer(contracts, system, l2)
    honest = staged_player(contracts, system, l2, None)
    assert honest.step()
    game = the_game(system, contracts)
    one_step = _one_step(contracts, game)
    witness = ChainTrace(l2.chain).transaction_step(LIE_BLOCK, LIE_TX)
    l1 = L1Client(contracts.w3)
    txmgr = TxManager(l1, contracts.keys[HONEST_A])
    nonce = contracts.w3.eth.get_transaction_count(txmgr.address)
    staged = StagedStep(l1, txmgr, one_step.address, witness, StagedStepConfig(tx_gas_cap=100_000, segment_budget=BUDGET))
    with pytest.raises(StageTooLarge) as refused:
        staged.advance()
    assert refused.value.function == "loadWitnessChunk" and refused.value.gas > 100_000 and refused.value.cap == 100_000
    assert contracts.w3.eth.get_transaction_count(txmgr.address) == nonce  # nothing sent
    assert one_step.functions.postStateRoot(witness.step_id()).call() == ZERO
    # the same step under a cap it fits goes through from where it stood
    staged = StagedStep(l1, txmgr, one_step.address, witness, StagedStepConfig(tx_gas_cap=CAP, segment_budget=BUDGET))
    while staged.advance() is not None:
        pass
    assert one_step.functions.postStateRoot(witness.step_id()).call() == witness.post_state_root
