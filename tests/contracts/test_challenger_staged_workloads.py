"""The challenger daemon proves the step of a real long transaction in stages and segments under
the real caps (docs/fault-proofs.md, "Segmented execution", The challenger): the project's own
workloads (tests/contracts/step_workloads.py, each alone in its block), a lying proposer's output
whose state root after that transaction is made up (`--inject-fault state-root`), and the shipped
`Challenger` with its default `StagedStepConfig` (EIP-7825's 16,777,216 a transaction, 2,000
instructions a segment) on an anvil with the devnet's L1 block gas limit (anvil's default,
30,000,000).

- A DvP settle: its one-call proof (~21M by `eth_estimateGas`) fits the L1 block but not the cap,
  so the daemon chooses the staged path by its estimate: load, segments, commit, each an L1
  transaction with a gas limit at most the cap, then the step with the empty witness; it wins.
- A bond redemption after maturity: its one-call proof (~28M of proof alone, more with the game's
  step) does not fit the L1 block, so `eth_estimateGas` fails for want of gas, not by a revert.
  The daemon takes that as "above the cap" and stages it too, instead of stopping the game on an
  error; it wins.

The set-up is test_dispute_played's rules (outputs every 4 L2 blocks, a block trace of 8), the
oracle starting 4 blocks before the lie, its agreed start that block's output root."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from web3.contract import Contract

from bridge.l1_client import L1CallReverted, L1Client
from bridge.l1_contract_clients import DisputeGameClient
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import Chain
from node.outputs import output_at_block
from prover.challenger import ONE_CALL_MEASURE_GAS
from prover.dispute_trace import ChainTrace
from prover.faults import FaultKind, LyingTrace
from prover.staged_step import EIP_7825_TX_GAS_CAP, ZERO_ROOT
from tests.contracts.step_workloads import Workload, build_workloads
from tests.contracts.test_dispute_challengers import CHALLENGER_WINS, HONEST_A, NO_ONE, finish, play, player, the_game
from tests.contracts.test_dispute_played import INTERVAL, PROPOSER, deploy_system, propose
from tests.harness.evm import Contracts

L1_BLOCK_GAS_LIMIT = 30_000_000  # anvil's default, the devnet's L1
#: An L1 whose blocks take 20M gas (above the cap): a bond redemption's one-call step (~24M of
#: proof alone) does not fit one of its blocks.
SMALL_L1_BLOCK_GAS_LIMIT = 20_000_000


@pytest.fixture(scope="module")
def workloads() -> Iterator[tuple[Chain, dict[str, Workload]]]:
    with tempfile.TemporaryDirectory() as tmp:
        chain, placed = build_workloads(Path(tmp))
        try:
            yield chain, {w.name: w for w in placed}
        finally:
            chain.close()


def _sent_by(contracts: Contracts, address: str, since: int) -> list[tuple[int, int]]:
    """(gas limit, gas used) of every L1 transaction `address` sent after block `since`."""
    w3 = contracts.w3
    out = []
    for number in range(since + 1, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(number, full_transactions=True)["transactions"]:
            if tx["from"] == address:
                out.append((int(tx["gas"]), int(w3.eth.get_transaction_receipt(tx["hash"])["gasUsed"])))
    return out


def _one_call_proof(contracts: Contracts, chain: Chain, workload: Workload) -> dict[str, Any]:
    """The L1 transaction of `workload`'s one-call proof (`OneStepProof.proveTransaction`)."""
    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    proof = contracts.deploy("OneStepProof", step.address, DEVNET_PROOF_COST_LIMITS.abi_tuple())
    witness = ChainTrace(chain).transaction_step(workload.block_number, workload.index)
    return {"from": contracts.address(1), "to": proof.address, "data": witness.prove_calldata()}


def _won_staged(contracts: Contracts, chain: Chain, workload: Workload) -> tuple[DisputeGameClient, int, list[tuple[int, int]]]:
    """The lie about `workload`'s block, the honest daemon and the liar playing it to the leaf and
    to the end; returns the game, the daemon's staged transactions and every transaction it sent."""
    block = workload.block_number
    start = block - INTERVAL
    system: dict[str, Contract] = deploy_system(contracts, output_at_block(chain, chain.header_by_number(start)).output_root,
                                                start)
    lie = LyingTrace(ChainTrace(chain), FaultKind.STATE_ROOT, block)
    index = propose(contracts, system["oracle"], lie.output_root(block))
    liar = player(contracts, system, PROPOSER, lie, create_games=False)
    honest = player(contracts, system, HONEST_A, ChainTrace(chain))  # default config: the real cap
    assert honest.config.staged.tx_gas_cap == EIP_7825_TX_GAS_CAP
    since = contracts.w3.eth.block_number
    assert honest.step() and honest.metrics.games_created == 1
    game = the_game(system, contracts)
    play([liar, honest], until=lambda: game.claims()[-1].countered_by != NO_ONE)
    assert game.claims()[-1].countered_by == honest.address
    assert honest.metrics.steps == 1
    witness = ChainTrace(chain).transaction_step(block, workload.index)
    one_step = L1Client(contracts.w3).contract("OneStepProof", game.contract.functions.oneStepProof().call())
    # the daemon proved the disputed transaction on L1 the staged way: its root is the header's
    assert one_step.functions.postStateRoot(witness.step_id()).call() == witness.post_state_root
    assert witness.post_state_root == chain.header_by_number(block).state_root != ZERO_ROOT
    sent = _sent_by(contracts, honest.address, since)
    finish(contracts, [liar, honest], game)
    assert game.status() == CHALLENGER_WINS
    assert system["oracle"].functions.nextOutputIndex().call() == index  # the lie is gone
    assert honest.metrics.games_won == 1 and liar.metrics.games_lost == 1
    return game, honest.metrics.staged_transactions, sent


def test_a_dvp_settle_is_staged_by_its_estimate_under_the_real_cap(
        contracts: Contracts, workloads: tuple[Chain, dict[str, Workload]], isolated) -> None:
    chain, placed = workloads
    settle = placed["DvP settle"]
    one_call = L1Client(contracts.w3).estimate_gas(_one_call_proof(contracts, chain, settle))
    assert EIP_7825_TX_GAS_CAP < one_call < L1_BLOCK_GAS_LIMIT  # fits the block, not the cap

    _, staged, sent = _won_staged(contracts, chain, settle)
    assert staged >= 1 + 2 + 1  # load, two segments at least, commit
    assert all(limit <= EIP_7825_TX_GAS_CAP for limit, _ in sent)  # every transaction within the cap
    print(f"\nDvP settle: one call {one_call:,} L1 gas; staged in {staged} transactions, the daemon's largest "
          f"{max(used for _, used in sent):,}")


def test_a_bond_redemption_whose_estimate_exceeds_the_l1_block_is_staged_not_an_error(
        contracts: Contracts, workloads: tuple[Chain, dict[str, Workload]], isolated) -> None:
    chain, placed = workloads
    redeem = placed["bond redeem after maturity"]
    assert contracts.w3.eth.get_block("latest")["gasLimit"] == L1_BLOCK_GAS_LIMIT
    contracts.anvil.rpc("evm_setBlockGasLimit", [hex(SMALL_L1_BLOCK_GAS_LIMIT)])
    try:
        contracts.mine()
        assert contracts.w3.eth.get_block("latest")["gasLimit"] == SMALL_L1_BLOCK_GAS_LIMIT
        # the one-call proof alone needs more than the block holds: its estimate fails unnamed
        proof = _one_call_proof(contracts, chain, redeem)
        with pytest.raises(L1CallReverted) as unnamed:
            L1Client(contracts.w3).estimate_gas(proof)
        assert unnamed.value.revert is None
        assert L1Client(contracts.w3).estimate_gas(proof | {"gas": ONE_CALL_MEASURE_GAS}) > SMALL_L1_BLOCK_GAS_LIMIT
        _, staged, sent = _won_staged(contracts, chain, redeem)
    finally:
        contracts.anvil.rpc("evm_setBlockGasLimit", [hex(L1_BLOCK_GAS_LIMIT)])
    assert staged >= 1 + 2 + 1
    assert all(limit <= EIP_7825_TX_GAS_CAP for limit, _ in sent)
    print(f"\nbond redemption: staged in {staged} transactions, the daemon's largest {max(used for _, used in sent):,}")
