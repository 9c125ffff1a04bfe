"""Stages 1 and 3 of `OneStepProof` in chunks (docs/fault-proofs.md, "Load and commit in chunks"):
the staged step of a real transaction (tests/contracts/step_workloads.py) driven by
`prover.staged_step.StagedStep` under a lowered cap per L1 transaction, so that its load and its
commit each take several chunks, every one a mined L1 transaction on anvil (its execution, above
such a cap even in segments, is sent as one transaction; bench/step_segments.py runs the whole
staged step of the batch workloads under EIP-7825's cap); the post-state root recorded must be py-evm's (the block's intermediate
root after the transaction). Bad input: a chunk from a progress or cursor no chunk reached (out of
order, another step), a commit before the execution, a continued account with code, accounts out
of order across chunks, a `PreState` other than the one loaded; each refused by name, and the proof
then goes on to the same root."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from web3.contract import Contract

from bridge.l1_client import L1Client
from bridge.tx_manager import TxManager
from genesis.artifacts import load_artifact
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import Chain
from prover.staged_step import StagedStep, StagedStepConfig, StageTooLarge
from prover.step_call import StepCall
from prover.step_chunks import CommitChunks, LoadChunks, commit_start, load_start, merge_accounts
from prover.witness import transaction_witness
from tests.contracts.step_diff import STEP_CALL_GAS, anvil_options, caps_abi  # noqa: F401 (fixtures)
from tests.contracts.step_workloads import Workload
from tests.contracts.test_evm_step_workloads import built  # noqa: F401 (fixture: the chain of workloads)
from tests.harness.evm import Contracts

#: Low enough that the DvP settle's load (5.6M as one transaction) and commit (3.35M) need chunks. Its
#: execution does not fit such a cap in segments (a segment's fixed part, the machine re-sent, is
#: above it: docs/fault-proofs.md, "What remains"): the test sends it as one transaction.
LOWERED_CAP = 2_000_000
WHOLE_EXECUTION = 10**9  # a segment budget no transaction reaches: execution in one segment


@pytest.fixture(scope="module")
def proof(contracts: Contracts) -> Contract:
    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    return contracts.deploy("OneStepProof", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))


def _call(built: tuple[Chain, list[Workload]], name: str) -> StepCall:
    chain, workloads = built
    (workload,) = [w for w in workloads if w.name == name]
    return StepCall.from_witness(transaction_witness(chain, workload.block_number, workload.index))


def _advance_until_refused(contracts: Contracts, proof: Contract, staged: StagedStep, sent: Counter[str]) -> StageTooLarge | None:
    """`staged.advance()` until the proof is done (None) or a stage is refused (the refusal)."""
    for _ in range(100):
        try:
            receipt = staged.advance()
        except StageTooLarge as refused:
            return refused
        if receipt is None:
            return None
        assert receipt["gasUsed"] <= LOWERED_CAP
        sent[proof.decode_function_input(contracts.w3.eth.get_transaction(receipt["transactionHash"])["input"])[0].fn_name] += 1
    raise AssertionError(f"no end after 100 transactions: {sent}")


def test_dvp_settle_loads_and_commits_in_chunks_under_a_lowered_cap_to_py_evms_root(
        proof: Contract, contracts: Contracts, built: tuple[Chain, list[Workload]]) -> None:  # noqa: F811
    call = _call(built, "DvP settle")
    f = proof.functions
    assert f.loadWitness(*call.load_args()).estimate_gas({"gas": STEP_CALL_GAS}) > LOWERED_CAP
    l1 = L1Client(contracts.w3)
    staged = StagedStep(l1, TxManager(l1, contracts.keys[1]), proof.address, call,
                        StagedStepConfig(tx_gas_cap=LOWERED_CAP, segment_budget=WHOLE_EXECUTION))
    sent: Counter[str] = Counter()
    refused = _advance_until_refused(contracts, proof, staged, sent)
    assert refused is not None and refused.function == "startExecution" and refused.gas > LOWERED_CAP
    assert sent == Counter({"loadWitnessChunk": sent["loadWitnessChunk"]}) and sent["loadWitnessChunk"] >= 2, sent
    # the PreState the chunks loaded, executed as one transaction (this test's L1 allows it)
    pre = staged.pre_state()
    assert contracts.send(1, f.executeTransaction(*call.execute_args(pre)), gas=STEP_CALL_GAS)["status"] == 1
    # a fresh driver (a restarted daemon) finds the load and the execution on L1: only commit chunks left
    restarted = StagedStep(l1, TxManager(l1, contracts.keys[1]), proof.address, call,
                           StagedStepConfig(tx_gas_cap=LOWERED_CAP, segment_budget=WHOLE_EXECUTION))
    commits: Counter[str] = Counter()
    assert _advance_until_refused(contracts, proof, restarted, commits) is None
    assert commits == Counter({"commitTransactionChunk": commits["commitTransactionChunk"]})
    assert commits["commitTransactionChunk"] >= 2, commits
    assert bytes(f.postStateRoot(call.step_id()).call()) == call.post_state_root


def test_bad_chunks_are_refused_by_name_and_the_proof_goes_on(
        proof: Contract, contracts: Contracts, built: tuple[Chain, list[Workload]]) -> None:  # noqa: F811
    call = _call(built, "RWA transfer")
    f = proof.functions
    load = LoadChunks(call)
    start = load_start(call.pre_state_root)
    half = len(load) // 2
    first = f.loadWitnessChunk(*load.args(start, 0, half))
    reached, first_accounts = first.call({"gas": STEP_CALL_GAS})
    # out of order: the second chunk before the first is on L1
    second_args = load.args(reached, half, len(load))
    assert _error(contracts, f.loadWitnessChunk(*second_args)) == "LoadNotRecorded"
    assert contracts.send(1, first, gas=STEP_CALL_GAS)["status"] == 1
    assert contracts.send(1, first, gas=STEP_CALL_GAS)["status"] == 1  # idempotent: sent twice, same record
    # across chunks: accounts must keep ascending, a continued account comes without code
    progress, nodes, witnesses = second_args
    if witnesses[0][0] == reached[3]:  # the second chunk continues the first's last account
        with_code = [(witnesses[0][0], b"\x00", witnesses[0][2]), *witnesses[1:]]
        assert _error(contracts, f.loadWitnessChunk(progress, nodes, with_code)) == "CodeInContinuedWitness"
    earlier = [call.accounts[0][:2] + ([],)]  # the first account again, below the last loaded
    assert _error(contracts, f.loadWitnessChunk(progress, list(call.trie_nodes), earlier)) in (
        "UnsortedWitness", "CodeInContinuedWitness")
    # the part loaded so far is a PreState; the whole one is not loaded yet
    rest = f.loadWitnessChunk(*second_args)
    _, rest_accounts = rest.call({"gas": STEP_CALL_GAS})
    pre = (call.pre_state_root, merge_accounts(first_accounts, rest_accounts))
    execute = f.executeTransaction(*call.execute_args(pre))
    assert _error(contracts, execute) == "PreStateNotLoaded"
    assert contracts.send(1, rest, gas=STEP_CALL_GAS)["status"] == 1
    post = execute.call({"gas": STEP_CALL_GAS})
    # commit before the execution is on L1
    commit = CommitChunks(call, post)
    assert commit.post_state_root == call.post_state_root  # the Python replay agrees with py-evm
    cursor = commit_start(call.pre_state_root)
    cut = len(commit) // 2
    assert _error(contracts, f.commitTransactionChunk(*commit.args(cursor, 0, cut))) == "PostStateNotExecuted"
    assert contracts.send(1, execute, gas=STEP_CALL_GAS)["status"] == 1
    head = f.commitTransactionChunk(*commit.args(cursor, 0, cut))
    middle = head.call({"gas": STEP_CALL_GAS})
    tail = f.commitTransactionChunk(*commit.args(middle, cut, len(commit)))
    assert _error(contracts, tail) == "CommitNotRecorded"  # out of order
    assert contracts.send(1, head, gas=STEP_CALL_GAS)["status"] == 1
    # a cursor of another step: the same cursor under another transaction's execution
    other = _call(built, "DvP settle")
    foreign = list(commit.args(middle, cut, len(commit)))
    foreign[1] = other.transaction_hash
    assert _error(contracts, f.commitTransactionChunk(*foreign)) == "PostStateNotExecuted"
    assert bytes(f.postStateRoot(call.step_id()).call()) == b"\x00" * 32  # nothing proven by the refusals
    assert contracts.send(1, tail, gas=STEP_CALL_GAS)["status"] == 1
    assert bytes(f.postStateRoot(call.step_id()).call()) == call.post_state_root


def _error(contracts: Contracts, call: Any) -> str:
    """The name of the custom error `call` reverts with (OneStepProof's or WitnessChunks')."""
    tx = {"to": call.address, "data": call._encode_transaction_data()}
    return contracts.revert_of_raw(1, tx, [*load_artifact("OneStepProof").abi, *load_artifact("WitnessChunks").abi])[0]
