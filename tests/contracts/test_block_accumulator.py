"""`BlockAccumulator.step` on a real anvil with the real `OneStepProof`: for every transaction of
blocks with deposits (the L1-info-less user deposits of test_witness's chain and one that withdraws:
a deposit receipt with depositNonce, depositReceiptVersion and a log), a legacy transfer, a creation,
a self-destruct and a revert, the hash of the `Acc` L1 computes from the one before equals Python's
(`prover.block_accumulator`, whose last acc is py-evm's header: tests/prover/test_block_accumulator.py).
A step shown other logs than the execution's is refused by name."""

from __future__ import annotations

from typing import Any

import pytest
from web3.contract import Contract

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import Chain
from prover.dispute_block import dispute_block
from prover.step_call import StepCall
from prover.witness import transaction_witness
from tests.contracts.step_diff import STEP_CALL_GAS, anvil_options, caps_abi  # noqa: F401 (fixture)
from tests.harness.evm import Contracts
from tests.prover.test_block_accumulator import chain, witness_chain  # noqa: F401 (fixtures: the L2 chain)


@pytest.fixture(scope="module")
def step_contracts(contracts: Contracts) -> tuple[Contract, Contract]:
    """(OneStepProof, the BlockAccumulator its finish leaf deployed)."""
    from genesis.artifacts import load_artifact

    step = contracts.deploy("EVMStep", contracts.deploy("EVMTx").address, contracts.deploy("EVMPrecompiles").address)
    one_step = contracts.deploy("OneStepProof", step.address, caps_abi(DEVNET_PROOF_COST_LIMITS))
    finish = contracts.deploy("BlockFinishLeaf", "0x" + "42" * 20, 901)  # the context is given here, not derived
    accumulator = contracts.w3.eth.contract(address=finish.functions.accumulator().call(),
                                            abi=list(load_artifact("BlockAccumulator").abi))
    return one_step, accumulator


def _step_args(chain: Chain, number: int, k: int) -> tuple[Any, ...]:
    block = dispute_block(chain, number)
    call = StepCall.from_witness(transaction_witness(chain, number, k))
    pre = block.acc_before(k, chain.header_by_number(number - 1).state_root)
    return pre.abi_tuple(), k, block.tx_hashes[k], call.tx_proof(), call.context, block.step_tries(k)


def test_every_step_gives_pythons_acc(contracts: Contracts, step_contracts: tuple[Contract, Contract],
                                      chain: Chain) -> None:
    one_step, accumulator = step_contracts
    deposits = 0
    for number in range(1, int(chain.head.block_number) + 1):
        block = dispute_block(chain, number)
        parent_root = chain.header_by_number(number - 1).state_root
        assert bytes(accumulator.functions.initialHash(parent_root).call()) == block.acc_before(0, parent_root).claim()
        for k in range(len(block.tx_hashes)):
            args = _step_args(chain, number, k)
            got = accumulator.functions.step(one_step.address, *args).call({"gas": STEP_CALL_GAS})
            assert bytes(got) == block.claims()[k], f"block {number} tx {k}"
            deposits += block.raw_transactions[k][0] == 0x7E
    assert deposits >= 4


def test_logs_other_than_the_executions_are_refused(contracts: Contracts, step_contracts: tuple[Contract, Contract],
                                                    chain: Chain) -> None:
    one_step, accumulator = step_contracts
    number = int(chain.head.block_number)
    block = dispute_block(chain, number)
    k = next(i for i, r in enumerate(block.raw_receipts) if block.step_tries(i)[2] != b"\xc0")  # a tx with a log
    pre, _, tx_hash, tx_proof, context, tries = _step_args(chain, number, k)
    bad = (tries[0], tries[1], b"\xc0", tries[3])  # "no logs"
    assert contracts.revert_of(0, accumulator.functions.step(one_step.address, pre, k, tx_hash, tx_proof, context, bad)) == (
        "LogsMismatch", (_logs_hash(tries[2]), _logs_hash(b"\xc0")))
    # the contract holds no state: the true logs still give Python's acc
    assert bytes(accumulator.functions.step(one_step.address, pre, k, tx_hash, tx_proof, context, tries).call(
        {"gas": STEP_CALL_GAS})) == block.claims()[k]


def _logs_hash(logs: bytes) -> bytes:
    from eth_utils import keccak
    return keccak(logs)
