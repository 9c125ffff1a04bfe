"""Stage 2 of `OneStepProof` in segments (docs/fault-proofs.md, "Segmented execution"):
`startExecution`, then `continueExecution` from each paused machine, every segment an L1
transaction on anvil (`prover.step_call.run_segments`), on the project's own transactions
(tests/contracts/step_workloads.py): the `PostState` must be the one-call `executeTransaction`'s
and `commitTransaction` must give the block header's stateRoot. Bad input: a machine no segment
left, a machine of another step, a `PreState` not loaded, another transaction, a malformed packed
machine, a copy from a data contract that is not there; each refused by name, with the recorded
machine still usable afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import Chain
from prover.packed_machine import MAX_DATA_BYTES, DataStore, pack_machine
from prover.step_call import StepCall, run_segments
from prover.witness import transaction_witness
from tests.contracts.step_diff import STEP_CALL_GAS, anvil_options, caps_abi  # noqa: F401 (fixtures)
from tests.contracts.step_workloads import Workload
from tests.contracts.test_evm_step_workloads import built  # noqa: F401 (fixture: the chain of workloads)
from tests.harness.evm import Contracts

#: Small enough that every workload below pauses at least once inside a call.
BUDGET = 150


@pytest.fixture(scope="module")
def proof(contracts: Contracts) -> Contract:
    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    return contracts.deploy("OneStepProofHarness", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))


def transact_with(contracts: Contracts, proof: Contract, gas_used: list[int]) -> Any:
    """`run_segments`' `transact`: eth_call for the return value, then the same call mined."""
    def transact(function: str, args: tuple[Any, ...]) -> Any:
        fn = getattr(proof.functions, function)(*args)
        result = fn.call({"gas": STEP_CALL_GAS})
        receipt = contracts.send(1, fn, gas=STEP_CALL_GAS)
        assert receipt["status"] == 1, function
        gas_used.append(receipt["gasUsed"])
        return result
    return transact


def _loaded(contracts: Contracts, proof: Contract, call: StepCall) -> Any:
    load = proof.functions.loadWitness(*call.load_args())
    pre = load.call({"gas": STEP_CALL_GAS})
    assert contracts.send(1, load, gas=STEP_CALL_GAS)["status"] == 1
    return pre


def test_workloads_in_segments_prove_to_the_block_state_root(proof: Contract, contracts: Contracts,
                                                              built: tuple[Chain, list[Workload]]) -> None:
    chain, workloads = built
    failures, paused_somewhere = [], 0
    for workload in workloads:
        if workload.name.startswith(("DvP settleBatch", "coupon pushPayments")):
            continue  # the batch workloads: bench/step_gas.py --segments (minutes each on anvil)
        call = StepCall.from_witness(transaction_witness(chain, workload.block_number, workload.index))
        pre = _loaded(contracts, proof, call)
        one_call = proof.functions.executeTransaction(*call.execute_args(pre)).call({"gas": STEP_CALL_GAS})
        post, machines = run_segments(call, pre, BUDGET, transact_with(contracts, proof, []))
        paused_somewhere += bool(machines)
        if tuple(post) != tuple(one_call):
            failures.append(f"{workload.name}: segmented {post}, one call {one_call}")
            continue
        contracts.send(1, proof.functions.commitTransaction(*call.commit_args(post)), gas=STEP_CALL_GAS)
        if proof.functions.postStateRoot(call.step_id()).call() != call.post_state_root:
            failures.append(f"{workload.name}: committed root is not the header's")
    assert not failures, "\n".join(failures)
    assert paused_somewhere >= 10


def test_bad_segment_input_is_refused_by_name(proof: Contract, contracts: Contracts,
                                              built: tuple[Chain, list[Workload]]) -> None:
    chain, workloads = built
    (workload,) = [w for w in workloads if w.name == "RWA transfer"]
    call = StepCall.from_witness(transaction_witness(chain, workload.block_number, workload.index))
    pre = _loaded(contracts, proof, call)
    machine, _ = proof.functions.startExecution(*call.start_args(pre, BUDGET)).call({"gas": STEP_CALL_GAS})
    assert machine, "the RWA transfer runs past one segment of BUDGET instructions"
    transact_with(contracts, proof, [])("startExecution", call.start_args(pre, BUDGET))
    step_id = call.step_id()

    forged = bytearray(machine)
    forged[-1] ^= 1  # one byte of the interpreter's memory changed
    name, args = contracts.revert_of(1, proof.functions.continueExecution(*call.continue_args(bytes(forged), BUDGET)))
    assert name == "MachineNotRecorded" and args[0] == step_id
    name, _ = contracts.revert_of(1, proof.functions.continueExecution(b"\x01" * 32, pack_machine(machine), BUDGET))
    assert name == "MachineNotRecorded"  # the machine of another step
    unloaded = (pre[0], pre[1][:-1])
    name, _ = contracts.revert_of(1, proof.functions.startExecution(*call.start_args(unloaded, BUDGET)))
    assert name == "PreStateNotLoaded"
    packed_pre, _, tx_hash, ctx, _ = call.start_args(pre, BUDGET)
    other_tx = (packed_pre, call.transaction + b"\x00", tx_hash, ctx, BUDGET)
    assert contracts.revert_of(1, proof.functions.startExecution(*other_tx))[0] == "TransactionNotClaimed"
    cut_pre = (packed_pre[:-1], call.transaction, tx_hash, ctx, BUDGET)  # the packed PreState cut short
    assert contracts.revert_of(1, proof.functions.startExecution(*cut_pre))[0] == "MalformedPackedMachine"

    # nothing was lost: the recorded machine still continues to the one-call PostState
    one_call = proof.functions.executeTransaction(*call.execute_args(pre)).call({"gas": STEP_CALL_GAS})
    machine_now, post = machine, None
    while machine_now:
        machine_now, post = transact_with(contracts, proof, [])("continueExecution",
                                                             call.continue_args(bytes(machine_now), BUDGET))
    assert tuple(post) == tuple(one_call)


def test_packed_machines_and_data_contracts(proof: Contract, contracts: Contracts,
                                            built: tuple[Chain, list[Workload]]) -> None:
    """A segment's machine packed with a code copied from a data contract `publishData` created
    (docs/fault-proofs.md, "Packed machines"); bad packings refused by name, the recorded machine
    still continuing to the one-call `PostState` afterwards; a segment re-sent from a machine already
    continued records the same next machine (segments are idempotent, for reorgs)."""
    chain, workloads = built
    (workload,) = [w for w in workloads if w.name == "RWA transfer"]
    call = StepCall.from_witness(transaction_witness(chain, workload.block_number, workload.index))
    pre = _loaded(contracts, proof, call)
    machine, _ = transact_with(contracts, proof, [])("startExecution", call.start_args(pre, BUDGET))
    machine, step_id = bytes(machine), call.step_id()

    # publishing: content-addressed, idempotent, at most 24,575 bytes
    code = max(call.codes(), key=len)
    publish = proof.functions.publishData(code)
    address = publish.call()
    for _ in range(2):
        receipt = contracts.send(1, publish)
        assert receipt["status"] == 1
        assert bytes(contracts.w3.eth.get_code(address)) == b"\x00" + code
    assert len(receipt["logs"]) == 1  # the DataPublished event again, no second contract
    name, args = contracts.revert_of(1, proof.functions.publishData(bytes(MAX_DATA_BYTES + 1)))
    assert (name, args) == ("DataTooLarge", (MAX_DATA_BYTES + 1, MAX_DATA_BYTES))

    stores = (DataStore(address, code),)
    packed = pack_machine(machine, stores)
    plain = pack_machine(machine)
    assert code in machine and len(packed) < len(plain) - len(code) // 2 < len(machine) // 2

    # bad packings: each by name, nothing recorded
    cut = packed[:-1]
    for bad, position in ((b"", 0), (b"\x00\x00", 0), (packed[:4] + b"\x5a", 4), (packed + b"\x00", len(packed)),
                          (cut, None)):
        name, args = contracts.revert_of(1, proof.functions.continueExecution(step_id, bad, BUDGET))
        assert name == "MalformedPackedMachine", (bad[:8], name)
        assert position is None or args == (position,)
    absent = (DataStore("0x" + "ab" * 20, code),)  # no data contract there: the words come out zero
    name, args = contracts.revert_of(1, proof.functions.continueExecution(step_id, pack_machine(machine, absent), BUDGET))
    assert name == "MachineNotRecorded" and args[0] == step_id
    shifted = (DataStore(address, code[32:]),)  # offsets 32 bytes off what the contract holds
    name, _ = contracts.revert_of(1, proof.functions.continueExecution(step_id, pack_machine(machine, shifted), BUDGET))
    assert name == "MachineNotRecorded"

    # nothing lost: the recorded machine continues (packed with the data contract) to the
    # one-call PostState; re-sending a segment records the same next machine
    one_call = proof.functions.executeTransaction(*call.execute_args(pre)).call({"gas": STEP_CALL_GAS})
    transact = transact_with(contracts, proof, [])
    first, _ = transact("continueExecution", (step_id, packed, BUDGET))
    again, _ = transact("continueExecution", (step_id, packed, BUDGET))
    assert bytes(first) == bytes(again)
    machine_now, post = first, None
    while machine_now:
        machine_now, post = transact("continueExecution", (step_id, pack_machine(bytes(machine_now), stores), BUDGET))
    assert tuple(post) == tuple(one_call)
