"""The proof-cost caps in EVMStep against node/vm.py's (docs/fault-proofs.md, "Proof-cost rule"):
one program that counts in every dimension (instructions in three frames and a precompile call,
accounts incl. a precompile and access-list entries, slots incl. an access-list key, code read by
EXTCODESIZE/CALL plus CREATE's init code, memory of every frame, frames entered) is run by py-evm with the caps
lifted to learn its counts; then, one dimension at a time, with that cap set to the count (the
transaction succeeds in both) and to the count - 1 (both fail it as out of gas: all gas used,
status 0, the fee charged, the state as after the gas purchase and nonce bump; a deposit keeps its
mint and nonce bump). Each time the whole PostState is compared (tests/contracts/step_diff.py)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from tests.contracts.step_diff import LIFTED_CAPS, anvil_options, compare, harness, run_pyevm  # noqa: F401 (fixtures)
from tests.contracts.test_evm_step import CONTRACT, CTX, OTHER, asm, base_pre, deposit, push, signed

PRECOMPILE_IDENTITY = 4
INIT = bytes.fromhex("600160005500")  # PUSH1 1 PUSH1 0 SSTORE STOP


def _program() -> bytes:
    absent = [int.from_bytes(bytes([0xA0 + i]) * 20, "big") for i in range(3)]
    return asm(
        push(1), push(0), 0x55,  # SSTORE slot 0 (undone past a cap)
        push(5), 0x54, 0x50,  # SLOAD slot 5
        push(6), 0x54, 0x50,  # SLOAD slot 6
        *[part for a in absent for part in (push(a), 0x31, 0x50)],  # BALANCE of three absent accounts
        push(int.from_bytes(OTHER, "big")), 0x3B, 0x50,  # EXTCODESIZE: OTHER's code read in full
        push(32), push(0), push(32), push(0), push(PRECOMPILE_IDENTITY), 0x5A, 0xFA, 0x50,  # STATICCALL identity
        push(0), push(0), push(0), push(0), push(0), push(int.from_bytes(OTHER, "big")), 0x5A, 0xF1, 0x50,  # CALL OTHER
        push(0xAA), push(0x200), 0x52,  # MSTORE at 0x200: 0x220 bytes of memory
        push(int.from_bytes(INIT, "big")), push(0), 0x52,  # init code at memory 26..31
        push(len(INIT)), push(32 - len(INIT)), push(0), 0xF0, 0x50,  # CREATE
        push(0x42), push(32), push(0), 0xA1,  # LOG1
        0x00,
    )


FIELDS = ("opcodes", "accounts", "slots", "code_bytes", "memory_bytes", "frames")


def _raw(kind: str) -> bytes:
    if kind == "deposit":
        return deposit(to=CONTRACT, mint=10**18, gas=400_000)
    return signed(to=CONTRACT, gas=400_000, access_list=[{"address": "0x" + "0b" * 20, "storageKeys": ["0x" + "00" * 31 + "07"]}])


@pytest.mark.parametrize("kind", ["tx", "deposit"])
@pytest.mark.parametrize("dimension", FIELDS)
def test_at_the_cap_succeeds_one_over_fails_identically(harness: Any, kind: str, dimension: str) -> None:
    pre = base_pre(code=_program(), storage={5: 9})
    raw = _raw(kind)
    lifted, _ = run_pyevm(pre, raw, CTX, LIFTED_CAPS)
    assert lifted.success, "the program must succeed with the caps lifted"
    count = getattr(lifted.proof_costs, dimension)
    assert count > 1
    at_cap = replace(LIFTED_CAPS, **{f"max_{dimension}": count})
    problems, outcome = compare(harness, pre, raw, CTX, at_cap)
    assert not problems, problems
    assert outcome.success and outcome.proof_costs.exceeded is None
    over = replace(LIFTED_CAPS, **{f"max_{dimension}": count - 1})
    problems, outcome = compare(harness, pre, raw, CTX, over)
    assert not problems, problems
    assert not outcome.success and outcome.proof_costs.exceeded == dimension
    assert outcome.gas_used == 400_000  # every gas unit of the transaction, as out of gas


def test_counts_are_the_l2s(harness: Any) -> None:
    """The program's counts, worked out by hand, so a change in what py-evm counts shows here."""
    lifted, _ = run_pyevm(base_pre(code=_program(), storage={5: 9}), _raw("tx"), CTX, LIFTED_CAPS)
    costs = lifted.proof_costs
    # sender, coinbase, CONTRACT, the access-list address, three absent, OTHER, identity, created
    assert costs.accounts == 10
    # CONTRACT's 0 (SSTORE), 5, 6; the access-list key; OTHER's 0 and 1; the created contract's 0
    assert costs.slots == 7
    # the top frame's code, OTHER's (once: EXTCODESIZE then CALL), the init code
    assert costs.code_bytes == len(_program()) + len(bytes.fromhex("60016000556001600155366000f3")) + len(INIT)
    # top frame 0x220 (MSTORE at 0x200), OTHER's frame 0x20 (CALLDATASIZE-long RETURN of 0), init 0
    assert costs.memory_bytes == 0x220
    # the top frame, the identity precompile's, OTHER's, the creation's
    assert costs.frames == 4


def test_devnet_caps_are_the_default(harness: Any) -> None:
    """With the rollup's caps (the default of `compare`), a tx over the devnet's opcode cap fails in
    both, the step stopping at instruction 250,001."""
    loop = asm(push(0), 0x5B, push(1), 0x01, push(2), 0x56)  # JUMPDEST at 2: x += 1 forever
    pre = base_pre(code=loop)
    raw = signed(to=CONTRACT, gas=6_000_000)
    problems, outcome = compare(harness, pre, raw, CTX)
    assert not problems, problems
    # the loop's 5 instructions cost 18 gas: 6M gas would allow ~1.67M, the cap stops it first
    assert outcome.proof_costs.exceeded == "opcodes" and not outcome.success
    assert outcome.gas_used == 6_000_000
    assert DEVNET_PROOF_COST_LIMITS.max_opcodes == 250_000


@pytest.mark.parametrize("kind", ["tx", "deposit"])
def test_devnet_frames_cap_stops_a_call_loop(harness: Any, kind: str) -> None:
    """A loop of CALLs to an account without code (a state test's Call50000): under the devnet
    caps both fail it as out of gas (the step when frame 1,025 is entered), far below the opcode cap."""
    empty = int.from_bytes(b"\xca" * 20, "big")
    loop = asm(0x5B, push(0), push(0), push(0), push(0), push(0), push(empty), 0x5A, 0xF1, 0x50, push(0), 0x56)
    pre = base_pre(code=loop)
    raw = deposit(to=CONTRACT, gas=1_000_000) if kind == "deposit" else signed(to=CONTRACT, gas=1_000_000)
    problems, outcome = compare(harness, pre, raw, CTX)
    assert not problems, problems
    assert outcome.proof_costs.exceeded == "frames" and not outcome.success
    # py-evm runs on to the gas limit (7,288 frames), the step stops entering frame 1,025
    assert outcome.proof_costs.frames > DEVNET_PROOF_COST_LIMITS.max_frames == 1_024
    assert outcome.gas_used == 1_000_000
