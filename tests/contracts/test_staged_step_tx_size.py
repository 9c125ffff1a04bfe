"""Every L1 transaction of a staged step under geth's transaction size (docs/fault-proofs.md,
"Packed machines"): geth's pool refuses a transaction over 128 KiB (131,072 B, RLP-encoded and
signed; anvil accepts it). The challenger's driver (`prover.staged_step.StagedStep`, its default
`StagedStepConfig`: EIP-7825's cap per L1 transaction, segments of 2,000 instructions, calldata at
most 120,000 B) proves a workload's step on anvil; each transaction sent is read back raw
(`eth_getRawTransactionByHash`) and measured, its gas checked against the cap, and the post-state
root recorded must be py-evm's. The DvP settle's machine was 158,848 B, sent whole in each
segment (158,980 B of calldata) before machines were packed; the DvP settleBatch of 25's was up
to 431,904 B. Refused: a step whose transaction would carry more than `max_calldata_bytes`, by
name, with nothing sent."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Iterator

import pytest
from eth_utils import to_canonical_address
from web3.contract import Contract

from bridge.l1_client import L1Client
from bridge.l1_contract_clients import candidate_of
from bridge.tx_manager import TxManager
from node.chain import Chain
from prover.staged_step import EIP_7825_TX_GAS_CAP, MIN_PUBLISHED_CODE_BYTES, CalldataTooLarge, StagedStep, StagedStepConfig
from prover.step_call import StepCall
from prover.witness import transaction_witness
from tests.contracts.step_diff import anvil_options  # noqa: F401 (fixture)
from tests.contracts.step_workloads import Workload, build_cap_corner
from tests.contracts.test_evm_step_workloads import built  # noqa: F401 (fixture: the chain of workloads)
from tests.contracts.test_one_step_proof_chunks import _call, proof  # noqa: F401 (fixture: a OneStepProof)
from tests.harness.evm import Contracts

#: geth's `txMaxSize`.
GETH_TX_MAX_SIZE = 131_072


def _prove_staged(contracts: Contracts, proof: Contract, call: StepCall,
                  config: StagedStepConfig = StagedStepConfig()) -> tuple[Counter[str], int]:
    """Drives the staged step to its end; (transactions per function, the largest signed size),
    every signed transaction under geth's size and `config`'s calldata limit."""
    l1 = L1Client(contracts.w3)
    staged = StagedStep(l1, TxManager(l1, contracts.keys[1]), proof.address, call, config)
    sent: Counter[str] = Counter()
    largest = 0
    while (receipt := staged.advance()) is not None:
        tx_hash = receipt["transactionHash"]
        raw = bytes.fromhex(l1.rpc("eth_getRawTransactionByHash", ["0x" + bytes(tx_hash).hex()]).removeprefix("0x"))
        calldata = bytes(contracts.w3.eth.get_transaction(tx_hash)["input"])
        function = proof.decode_function_input(calldata)[0].fn_name
        assert len(calldata) < len(raw) < GETH_TX_MAX_SIZE, (function, len(raw))
        assert len(calldata) <= config.max_calldata_bytes, (function, len(calldata))
        assert receipt["gasUsed"] <= EIP_7825_TX_GAS_CAP, (function, receipt["gasUsed"])
        sent[function] += 1
        largest = max(largest, len(raw))
    assert bytes(proof.functions.postStateRoot(call.step_id()).call()) == call.post_state_root
    return sent, largest


def test_dvp_settle_staged_step_fits_geths_transaction_size(
        proof: Contract, contracts: Contracts, built: tuple[Chain, list[Workload]]) -> None:  # noqa: F811
    call = _call(built, "DvP settle")
    sent, largest = _prove_staged(contracts, proof, call)
    assert sent["continueExecution"] >= 2, sent  # machines handed on
    assert sent["publishData"] == 0, sent  # packed plainly it fits: no code published for it
    assert largest < 100_000


def test_a_transaction_above_the_calldata_limit_is_refused_with_nothing_sent(
        proof: Contract, contracts: Contracts, built: tuple[Chain, list[Workload]]) -> None:  # noqa: F811
    call = _call(built, "RWA transfer")
    l1 = L1Client(contracts.w3)
    txmgr = TxManager(l1, contracts.keys[2])
    nonce = l1.nonce(txmgr.address)
    # a limit below any load chunk's calldata (its LoadProgress alone is 256 bytes)
    limit = 300
    staged = StagedStep(l1, txmgr, proof.address, call, StagedStepConfig(max_calldata_bytes=limit))
    with pytest.raises(CalldataTooLarge) as refused:
        staged.advance()
    assert refused.value.function == "loadWitnessChunk" and refused.value.size > limit
    assert l1.nonce(txmgr.address) == nonce  # nothing sent
    assert bytes(proof.functions.postStateRoot(call.step_id()).call()) == b"\x00" * 32


@pytest.mark.campaign  # CI: the DvP settle above (its machine was over the limit too)
@pytest.mark.timeout(2400)  # 92 L1 transactions of up to 16.7M gas, each estimated, called and mined: ~10 min
def test_settle_batch_of_25_staged_step_fits_geths_transaction_size(
        proof: Contract, contracts: Contracts, built: tuple[Chain, list[Workload]]) -> None:  # noqa: F811
    call = _call(built, "DvP settleBatch of 25 (atomic=True)")
    sent, largest = _prove_staged(contracts, proof, call)
    assert sent["continueExecution"] >= 50 and sent["publishData"] >= 1, sent
    assert largest < 120_500


def _cap_corner_call(tmp: Path, memory_bytes: int, slots: int, seed: bytes = b"cap corner", code_bytes: int = 0) -> StepCall:
    chain, workload = build_cap_corner(tmp, memory_bytes, slots, seed, code_bytes)
    try:
        return StepCall.from_witness(transaction_witness(chain, workload.block_number, workload.index))
    finally:
        chain.close()


@pytest.fixture(scope="module")
def small_corner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StepCall]:
    """The cap corner scaled down: 32 KiB of pseudo-random memory and 8 slots, against a calldata
    limit of 24,000 B (the full corner: 256 KiB against 120,000 B)."""
    yield _cap_corner_call(tmp_path_factory.mktemp("corner"), 32_768, 8)


#: The small corner's limits: its machines (~33 kB, almost no zero byte) pack plainly above both.
SMALL_CORNER = StagedStepConfig(max_calldata_bytes=24_000, codes_on_l1_above_bytes=20_000)


def test_small_cap_corner_copies_its_memory_from_data_contracts(proof: Contract, contracts: Contracts,
                                                                small_corner: StepCall) -> None:
    sent, largest = _prove_staged(contracts, proof, small_corner, SMALL_CORNER)
    assert sent["continueExecution"] >= 2, sent
    # no code reaches MIN_PUBLISHED_CODE_BYTES: every data contract is a piece of memory, the full
    # ones first (a run's last piece changes as memory grows)
    assert not [code for code in small_corner.codes() if len(code) >= MIN_PUBLISHED_CODE_BYTES]
    assert 1 <= sent["publishData"] <= 2 * sent["continueExecution"], sent
    assert largest < SMALL_CORNER.max_calldata_bytes + 200, largest  # the signature and fields: ~120 B


def test_a_memory_piece_from_a_wrong_data_contract_is_refused_and_the_step_continues(
        proof: Contract, contracts: Contracts, tmp_path: Path) -> None:
    """A segment copying its memory from a data contract that holds other words (one byte changed,
    published by anyone) unpacks to another machine: `MachineNotRecorded`, nothing recorded; the
    driver's own packing then continues to py-evm's root."""
    call = _cap_corner_call(tmp_path, 40_960, 4, b"another corner")  # other words: pieces of its own
    l1 = L1Client(contracts.w3)
    txmgr = TxManager(l1, contracts.keys[1])
    staged = StagedStep(l1, txmgr, proof.address, call, SMALL_CORNER)
    published: bytes | None = None
    while published is None:
        receipt = staged.advance()
        assert receipt is not None
        calldata = bytes(contracts.w3.eth.get_transaction(receipt["transactionHash"])["input"])
        function, args = proof.decode_function_input(calldata)
        if function.fn_name == "publishData":
            published = bytes(args["data"])
    genuine = to_canonical_address(proof.functions.publishData(published).call())
    forged_data = bytearray(published)
    forged_data[len(forged_data) // 2] ^= 1
    forged = to_canonical_address(proof.functions.publishData(bytes(forged_data)).call())
    txmgr.send(candidate_of(proof.functions.publishData(bytes(forged_data)), gas_limit=EIP_7825_TX_GAS_CAP))
    segment = staged._next_missing()  # the segment copying from the piece just published
    assert segment.fn_name == "continueExecution" and genuine in segment.args[1]
    step_id, packed, budget = segment.args
    nonce = l1.nonce(txmgr.address)
    name, revert_args = contracts.revert_of(1, proof.functions.continueExecution(
        step_id, packed.replace(genuine, forged), budget))
    assert name == "MachineNotRecorded" and revert_args[0] == step_id
    assert l1.nonce(txmgr.address) == nonce
    while staged.advance() is not None:
        pass
    assert bytes(proof.functions.postStateRoot(call.step_id()).call()) == call.post_state_root


def test_segments_above_the_cap_at_the_configured_budget_are_sent_at_a_halved_one(
        proof: Contract, contracts: Contracts, tmp_path: Path) -> None:
    """A machine with its memory near the cap makes a segment's fixed part large: at the
    configured budget a segment passes the gas cap, so the driver halves the budget for it (the
    budget decides only the gas): every transaction under the cap, the root py-evm's."""
    call = _cap_corner_call(tmp_path, 32_768, 8, b"a lowered cap")
    config = StagedStepConfig(tx_gas_cap=3_000_000, max_calldata_bytes=24_000, codes_on_l1_above_bytes=20_000)
    l1 = L1Client(contracts.w3)
    staged = StagedStep(l1, TxManager(l1, contracts.keys[1]), proof.address, call, config)
    budgets: list[int] = []
    while (receipt := staged.advance()) is not None:
        assert receipt["gasUsed"] <= config.tx_gas_cap
        function, args = proof.decode_function_input(bytes(contracts.w3.eth.get_transaction(receipt["transactionHash"])["input"]))
        if function.fn_name in ("startExecution", "continueExecution"):
            budgets.append(args["budget"])
    assert budgets and min(budgets) < config.segment_budget, budgets
    assert bytes(proof.functions.postStateRoot(call.step_id()).call()) == call.post_state_root


@pytest.mark.campaign  # CI: the small corner above; this one is ~100 L1 transactions of up to 16.7M gas (~4 min)
@pytest.mark.timeout(2400)
def test_the_cap_corner_staged_step_fits_geths_transaction_size(proof: Contract, contracts: Contracts,
                                                                tmp_path: Path) -> None:
    """The caps' corner with the driver's defaults: 98,304 code bytes, 262,144 B of pseudo-random
    memory and 512 slots (machines up to ~636 kB)."""
    call = _cap_corner_call(tmp_path, 262_144, 512, b"the cap corner", code_bytes=98_304)
    sent, largest = _prove_staged(contracts, proof, call)
    assert sent["continueExecution"] >= 10 and sent["publishData"] >= 8, sent
    assert largest < 120_500
