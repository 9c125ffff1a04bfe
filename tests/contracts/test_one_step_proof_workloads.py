"""The whole one-step proof (`OneStepProof`: load -> execute -> commit) on the project's own
transactions (tests/contracts/step_workloads.py: deposits, HKD and ERC-20 transfers, RWA transfer,
DvP settle and settleBatch, coupon announce and push, withdrawal, redemption, creations, out of
gas, past the opcode cap), each the last transaction of its block, from the witness
`prover.witness` produces with its trie nodes: the root the step returns must be the block
header's stateRoot, in one call and staged (three L1 transactions). Prints the L1 gas of each part
(docs/fault-proofs.md, "The whole step")."""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import Chain
from prover.step_call import StepCall
from prover.witness import transaction_witness
from tests.harness.evm import Contracts
from tests.contracts.step_diff import STEP_CALL_GAS, anvil_options, caps_abi  # noqa: F401 (fixtures)
from tests.contracts.step_workloads import Workload
from tests.contracts.test_evm_step_workloads import built  # noqa: F401 (fixture: the chain of workloads)

EIP_7825_TX_GAS_CAP = 16_777_216


@pytest.fixture(scope="module")
def proof(contracts: Contracts) -> Contract:
    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    return contracts.deploy("OneStepProofHarness", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))


# Every workload's witness and step in one test: minutes of CPU; under `make test`'s two workers on
# a busy 2-core machine it ran past the suite's 300 s default.
@pytest.mark.timeout(900)
def test_every_workload_proves_to_the_block_state_root(proof: Contract, contracts: Contracts,
                                                       built: tuple[Chain, list[Workload]]) -> None:
    chain, workloads = built
    rows, failures = [], []
    for workload in workloads:
        witness = transaction_witness(chain, workload.block_number, workload.index)
        call = StepCall.from_witness(witness)
        header_root = chain.header_by_number(workload.block_number).state_root
        m = proof.functions.measure(*call.prove_args()).call({"gas": STEP_CALL_GAS})
        post_root, success, gas_used, logs_hash, load_gas, execute_gas, commit_gas = m
        if (post_root, success, gas_used, logs_hash) != (header_root, witness.success, witness.gas_used, witness.logs_hash):
            failures.append(f"{workload.name}: step {m[:4]}, L2 {(header_root, witness.success, witness.gas_used, witness.logs_hash)}")
            continue
        total = proof.functions.proveTransaction(*call.prove_args()).estimate_gas({"gas": STEP_CALL_GAS})
        staged = _staged(contracts, proof, call)
        rows.append((workload.name, witness.gas_used, load_gas, execute_gas, commit_gas, total, staged))
    _print(rows)
    assert not failures, "\n".join(failures)


def _staged(contracts: Contracts, proof: Contract, call: StepCall) -> tuple[int, int, int]:
    load = proof.functions.loadWitness(*call.load_args())
    pre = load.call({"gas": STEP_CALL_GAS})
    gas = [contracts.send(1, load, gas=STEP_CALL_GAS)["gasUsed"]]
    execute = proof.functions.executeTransaction(*call.execute_args(pre))
    post = execute.call({"gas": STEP_CALL_GAS})
    gas.append(contracts.send(1, execute, gas=STEP_CALL_GAS)["gasUsed"])
    gas.append(contracts.send(1, proof.functions.commitTransaction(*call.commit_args(post)), gas=STEP_CALL_GAS)["gasUsed"])
    step_id = proof.functions.stepId(call.pre_state_root, call.transaction_hash, call.context).call()
    assert proof.functions.postStateRoot(step_id).call() == call.post_state_root
    return gas[0], gas[1], gas[2]


def _print(rows: list[tuple[Any, ...]]) -> None:
    def fits(g: int) -> str:
        return "yes" if g <= EIP_7825_TX_GAS_CAP else "no"

    print(f"\n| transaction | L2 gas | load | execute | commit | one call (tx gas) | fits | staged: load tx | execute tx | commit tx | fits |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, l2_gas, load, execute, commit, total, staged in rows:
        print(f"| {name} | {l2_gas:,} | {load:,} | {execute:,} | {commit:,} | {total:,} | {fits(total)} | "
              + " | ".join(f"{g:,}" for g in staged) + f" | {fits(max(staged))} |")
