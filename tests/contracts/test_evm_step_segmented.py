"""Segmented execution of EVMStep (docs/fault-proofs.md, "Segmented execution"): the step paused
every `budget` instructions and resumed from the machine it returned, against py-evm's LantauVM on
the same flat pre-state (tests/contracts/step_diff.py): success, gasUsed, logs hash and every
witnessed account must be py-evm's whatever the budget, with pauses inside calls, creations,
reverts, self-destructs, transient storage and past a proof-cost cap."""

from __future__ import annotations

import dataclasses
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from tests.contracts.step_diff import (  # noqa: F401 (fixtures)
    anvil_options, compare, harness, measure_step_segmented, pre_state_abi, run_pyevm,
)
from tests.contracts.test_evm_step import (
    ARITH, CONTRACT, CTX, OTHER, asm, base_pre, deposit, programs, push, push2, signed,
)


def _calls_and_creations() -> bytes:
    """test_evm_step's CREATE, CALL, CREATE2, STATICCALL, DELEGATECALL tree with logs."""
    child = asm(push(0xBEEF), push(0), 0x52, push(1), push(2), push(32), push(0), 0xA2, push(32), push(0), 0xF3)
    init = asm(push(len(child)), 0x80, push(11), push(0), 0x39, push(0), 0xF3) + child
    code = asm(push(len(init)), push2(0x100), push(0), 0x39)
    body = asm(
        push(len(init)), push(0), push(0), 0xF0, 0x80, push(10), 0x55,
        push(32), push(0x200), push(0), push(0), push(0), 0x85, 0x5A, 0xF1, push(11), 0x55,
        push(0x200), 0x51, push(12), 0x55,
        push(0x5A17), push(len(init)), push(0), push(0), 0xF5, push(13), 0x55,
        push(0), push(0), push(0), push(0), push(int.from_bytes(OTHER, "big")), push(50000), 0xFA, push(14), 0x55,
        push(0), push(0), push(0), push(0), push(int.from_bytes(OTHER, "big")), push(50000), 0xF4, push(15), 0x55,
        0x3D, push(16), 0x55, 0x50, 0x00,
    )
    return code.replace(push2(0x100), push2(len(code) + len(body))) + body + init


def test_calls_creations_and_logs_paused_at_every_instruction(harness: Any) -> None:
    prog = _calls_and_creations()
    for budget in (1, 2, 7, 40):
        problems, outcome = compare(harness, base_pre(prog), signed(to=CONTRACT, gas=2_000_000), CTX, budget=budget)
        assert problems == [], (budget, problems)
        # a pause before every budget-th instruction: ceil(instructions / budget) segments
        assert outcome.segments == -(-outcome.proof_costs.opcodes // budget) and outcome.proof_costs.opcodes == 92
    assert compare(harness, base_pre(prog), signed(to=CONTRACT, gas=2_000_000), CTX, budget=10**9)[1].segments == 1


def test_storage_refunds_reverts_and_transient_in_segments(harness: Any) -> None:
    reverting = asm(push(1), push(7), 0x5D, push(7), 0x5C, push(0), 0x55, push(0), push(0), 0xFD)
    loop_out_of_gas = asm(push(1), push(0), 0x55, 0x5B, push(2), 0x56)
    cases = [
        (base_pre(ARITH, {0: 5, 9: 3}), signed(to=CONTRACT, data=b"\x01\x00\x02")),
        (base_pre(reverting), signed(to=CONTRACT)),
        (base_pre(loop_out_of_gas), signed(to=CONTRACT, gas=80_000)),
        (base_pre(), signed(to=None, data=asm(push(0x42), push(0), 0x55, push(2), push(0), 0xF3), gas=200_000)),
    ]
    for pre, raw in cases:
        for budget in (1, 3):
            problems, _ = compare(harness, pre, raw, CTX, budget=budget)
            assert problems == [], (budget, problems)


def test_selfdestruct_and_deposits_in_segments(harness: Any) -> None:
    init = asm(push(int.from_bytes(OTHER, "big")), 0xFF)
    code = asm(push(len(init)), push2(0x100), push(0), 0x39, push(len(init)), push(0), push(3), 0xF0, push(1), 0x55,
               push(int.from_bytes(OTHER, "big")), 0xFF)
    code = code.replace(push2(0x100), push2(len(code)), 1) + init
    assert compare(harness, base_pre(code), signed(to=CONTRACT, gas=500_000), CTX, budget=2)[0] == []
    pre = base_pre(ARITH, {0: 5})
    assert compare(harness, pre, deposit(to=CONTRACT, mint=10**18, value=10, gas=300_000), CTX, budget=1)[0] == []
    creation = deposit(to=None, data=asm(push(1), push(0), 0xFD), mint=5, gas=100_000)  # reverting creation
    assert compare(harness, pre, creation, CTX, budget=1)[0] == []


def test_proof_cost_cap_passed_in_a_later_segment(harness: Any) -> None:
    """The opcode cap is passed in the fifth segment: the whole transaction fails as out of gas,
    its writes of earlier segments undone (the journal travels with the machine)."""
    limits = dataclasses.replace(DEVNET_PROOF_COST_LIMITS, max_opcodes=40)
    loop = asm(push(1), push(0), 0x55, 0x5B, push(5), 0x80, 0x55, push(5), 0x56)  # SSTOREs, then loop forever
    problems, outcome = compare(harness, base_pre(loop), signed(to=CONTRACT, gas=900_000), CTX, limits, budget=8)
    assert problems == []
    assert outcome.proof_costs.exceeded == "opcodes" and not outcome.success
    assert outcome.segments == 6  # 40 instructions in segments of 8, then the 41st passes the cap


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=programs(), value=st.sampled_from([0, 1]), budget=st.integers(1, 12))
def test_random_programs_in_segments(harness: Any, code: bytes, value: int, budget: int) -> None:
    problems, _ = compare(harness, base_pre(code, {0: 1, 1: 2}), signed(to=CONTRACT, gas=400_000, value=value), CTX,
                          budget=budget)
    assert problems == []


def test_the_machine_handed_on_is_the_live_state_only(harness: Any) -> None:
    """A loop of 40 STATICCALLs leaves 40 dead frames (stack, memory, buffers) behind; the machine
    a segment hands on (compacted by MachineCompaction) holds none of them: it is no bigger at the
    end of the loop than after its first calls, and the result is py-evm's."""
    callee = asm(push(7), push(0), 0x52, push(32), push(0), 0xF3)  # returns one word of memory
    code = asm(
        push(40), 0x5B,  # counter; loop at pc 2
        push(32), push(0x40), push(0), push(0), push(int.from_bytes(OTHER, "big")), push(30000), 0xFA, 0x50,
        push(1), 0x90, 0x03, 0x80, push(2), 0x57, 0x00,  # counter - 1; loop while non-zero
    )
    pre = base_pre(code)
    pre[OTHER].code = callee
    raw = signed(to=CONTRACT, gas=2_000_000)
    problems, outcome = compare(harness, pre, raw, CTX, budget=25)
    assert problems == [] and outcome.success and outcome.proof_costs.frames == 41
    expected, root = run_pyevm(pre, raw, CTX)
    error, post, machines = measure_step_segmented(harness, pre_state_abi(pre, expected.witness, root), raw,
                                                   CTX.abi(), DEVNET_PROOF_COST_LIMITS, 25)
    assert error is None and len(machines) >= 20
    assert len(machines[-1]) <= len(machines[2])  # 40 calls later: nothing of the dead frames kept
