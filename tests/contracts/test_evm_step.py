"""EVMStep (the interpreter of the one-step proof) against py-evm's LantauVM on the same flat
pre-state and transaction: success, gasUsed, logs hash and every witnessed account after the step
(tests/contracts/step_diff.py). Hand-written programs for each opcode family, the project's
transaction kinds (deposits included), and random programs (hypothesis)."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis.dev_accounts import dev_accounts
from node.vm import LantauTransactionBuilder
from tests.contracts.step_diff import PreAccount, StepContext, anvil_options, compare, harness  # noqa: F401 (fixtures)

CHAIN_ID = 901
SENDER_KEY = "0x" + "11" * 32
SENDER = bytes.fromhex(Account.from_key(SENDER_KEY).address[2:])
CONTRACT = bytes.fromhex("00000000000000000000000000000000000c0de1")
OTHER = bytes.fromhex("00000000000000000000000000000000000c0de2")
VAULT = bytes.fromhex("4200000000000000000000000000000000000019")
CTX = StepContext(chain_id=CHAIN_ID, block_hashes=tuple(keccak(bytes([i])) for i in range(256)), number=300)


def signed(*, to: bytes | None, data: bytes = b"", value: int = 0, gas: int = 1_000_000, nonce: int = 0,
           kind: int = 2, access_list: list[Any] | None = None) -> bytes:
    tx: dict[str, Any] = {"nonce": nonce, "gas": gas, "value": value, "data": data, "chainId": CHAIN_ID}
    if to is not None:
        tx["to"] = to_checksum_address(to)
    if kind == 2:
        tx.update(maxFeePerGas=100, maxPriorityFeePerGas=3, type=2)
    else:
        tx["gasPrice"] = 50
        if kind == 1:
            tx["type"] = 1
    if access_list is not None:
        tx["accessList"] = access_list
    return bytes(Account.sign_transaction(tx, SENDER_KEY).raw_transaction)


def deposit(*, to: bytes | None, data: bytes = b"", value: int = 0, mint: int = 0, gas: int = 1_000_000, sender: bytes = SENDER) -> bytes:
    tx = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=keccak(b"source"), from_=sender, to=to or b"", mint=mint, value=value, gas=gas, data=data,  # type: ignore[arg-type]
    )
    return tx.encode()


def base_pre(code: bytes = b"", storage: dict[int, int] | None = None) -> dict[bytes, PreAccount]:
    return {
        SENDER: PreAccount(balance=10**20),
        CONTRACT: PreAccount(balance=5, code=code, storage=storage or {}),
        OTHER: PreAccount(balance=0, nonce=1, code=bytes.fromhex("60016000556001600155366000f3")),
        VAULT: PreAccount(balance=1),
    }


def check(harness: Any, pre: dict[bytes, PreAccount], raw: bytes, ctx: StepContext = CTX) -> Any:
    problems, outcome = compare(harness, pre, raw, ctx)
    assert not problems, problems
    return outcome


def asm(*parts: Any) -> bytes:
    """Bytecode from ints (opcodes), ('push', value) and bytes."""
    out = b""
    for p in parts:
        if isinstance(p, int):
            out += bytes([p])
        elif isinstance(p, bytes):
            out += p
        else:
            value = p[1]
            n = max(1, (value.bit_length() + 7) // 8)
            out += bytes([0x5F + n]) + value.to_bytes(n, "big")
    return out


def push(v: int) -> tuple[str, int]:
    return ("push", v)


def push2(v: int) -> bytes:
    """PUSH2 of `v`: fixed width, so an offset can be patched in after the code is laid out."""
    return bytes([0x61]) + v.to_bytes(2, "big")


# storage, arithmetic, memory, return: store results of a handful of ops in slots 0..n
ARITH = asm(
    push(7), push(3), 0x0A, push(0), 0x55,  # 3**7 -> slot 0
    push(2**255), push(5), 0x05, push(1), 0x55,  # SDIV
    push(0xFF), push(1), 0x0B, push(2), 0x55,  # SIGNEXTEND
    push(3), push(2**256 - 8), 0x1D, push(3), 0x55,  # SAR
    push(31), push(0xAB), 0x1A, push(4), 0x55,  # BYTE
    push(0x1234), push(0), 0x52, push(32), push(0), 0x20, push(5), 0x55,  # KECCAK
    0x59, push(6), 0x55, 0x5A, push(7), 0x55, 0x58, push(8), 0x55,  # MSIZE GAS PC
    push(1), push(0), 0x55,  # overwrite slot 0 (refund paths)
    push(0), push(9), 0x55,
    push(32), push(0), 0xF3,
)


def test_plain_transfer_each_type(harness: Any) -> None:
    for kind in (0, 1, 2):
        assert compare(harness, base_pre(), signed(to=OTHER, value=12345, kind=kind, gas=21000 if kind else 30000), CTX)[0] == []


def test_arithmetic_storage_and_refunds(harness: Any) -> None:
    assert compare(harness, base_pre(ARITH, {0: 5, 9: 3}), signed(to=CONTRACT, data=b"\x01\x00\x02"), CTX)[0] == []


def test_access_list_and_calldata_floor(harness: Any) -> None:
    al = [{"address": to_checksum_address(CONTRACT), "storageKeys": ["0x" + "00" * 32, "0x" + "00" * 31 + "09"]}]
    assert compare(harness, base_pre(ARITH, {0: 5}), signed(to=CONTRACT, kind=1, access_list=al), CTX)[0] == []
    assert compare(harness, base_pre(), signed(to=OTHER, data=b"\xff" * 400, gas=200_000), CTX)[0] == []


def test_logs_calls_and_create(harness: Any) -> None:
    child = asm(push(0xBEEF), push(0), 0x52, push(1), push(2), push(32), push(0), 0xA2, push(32), push(0), 0xF3)
    init = asm(push(len(child)), 0x80, push(11), push(0), 0x39, push(0), 0xF3) + child  # returns `child` as code
    code = asm(push(len(init)), push2(0x100), push(0), 0x39)  # init at memory 0 (copied from the code's tail)
    # memory[0:len(init)] = init, CREATE it, CALL it, CREATE2 it, STATICCALL OTHER, DELEGATECALL OTHER
    body = asm(
        push(len(init)), push(0), push(0), 0xF0, 0x80, push(10), 0x55,  # CREATE -> slot 10
        push(32), push(0x200), push(0), push(0), push(0), 0x85, 0x5A, 0xF1, push(11), 0x55,  # CALL created
        push(0x200), 0x51, push(12), 0x55,
        push(0x5A17), push(len(init)), push(0), push(0), 0xF5, push(13), 0x55,  # CREATE2
        push(0), push(0), push(0), push(0), push(int.from_bytes(OTHER, "big")), push(50000), 0xFA, push(14), 0x55,
        push(0), push(0), push(0), push(0), push(int.from_bytes(OTHER, "big")), push(50000), 0xF4, push(15), 0x55,
        0x3D, push(16), 0x55, 0x50, 0x00,
    )
    prog = code.replace(push2(0x100), push2(len(code) + len(body))) + body + init
    assert compare(harness, base_pre(prog), signed(to=CONTRACT, gas=2_000_000), CTX)[0] == []


def test_selfdestruct_in_creation_and_outside(harness: Any) -> None:
    init = asm(push(int.from_bytes(OTHER, "big")), 0xFF)
    code = asm(push(len(init)), push2(0x100), push(0), 0x39, push(len(init)), push(0), push(3), 0xF0, push(1), 0x55, push(int.from_bytes(OTHER, "big")), 0xFF)
    code = code.replace(push2(0x100), push2(len(code)), 1) + init
    assert compare(harness, base_pre(code), signed(to=CONTRACT, gas=500_000), CTX)[0] == []


def test_revert_out_of_gas_and_transient(harness: Any) -> None:
    code = asm(push(1), push(7), 0x5D, push(7), 0x5C, push(0), 0x55, push(0), push(0), 0xFD)
    assert compare(harness, base_pre(code), signed(to=CONTRACT), CTX)[0] == []
    assert compare(harness, base_pre(asm(0x5B, push(0), 0x56)), signed(to=CONTRACT, gas=60_000), CTX)[0] == []
    loop = asm(push(1), push(0), 0x55, 0x5B, push(2), 0x56)
    assert compare(harness, base_pre(loop), signed(to=CONTRACT, gas=80_000), CTX)[0] == []


def test_contract_creation_tx(harness: Any) -> None:
    init = asm(push(0x42), push(0), 0x55, push(2), push(0), 0xF3)
    assert compare(harness, base_pre(), signed(to=None, data=init, gas=200_000), CTX)[0] == []


def test_precompiles(harness: Any) -> None:
    code = asm(
        push(0x20), push(0), 0x52,
        push(32), push(0x40), push(32), push(0), push(2), 0x5A, 0xFA, push(0), 0x55, push(0x40), 0x51, push(1), 0x55,
        push(32), push(0x40), push(32), push(0), push(4), 0x5A, 0xFA, push(2), 0x55,
        push(32), push(0x40), push(32), push(0), push(3), 0x5A, 0xFA, push(3), 0x55, push(0x40), 0x51, push(4), 0x55,
    )
    assert compare(harness, base_pre(code), signed(to=CONTRACT, gas=300_000), CTX)[0] == []


def test_deposits(harness: Any) -> None:
    pre = base_pre(ARITH, {0: 5})
    assert compare(harness, pre, deposit(to=CONTRACT, mint=10**18, value=10, gas=300_000), CTX)[0] == []
    assert compare(harness, pre, deposit(to=CONTRACT, mint=10**18, value=10**19, gas=300_000), CTX)[0] == []  # value above balance: failed
    assert compare(harness, pre, deposit(to=CONTRACT, mint=1, gas=21_001), CTX)[0] == []  # out of gas in the call
    assert compare(harness, pre, deposit(to=None, data=asm(push(1), push(0), 0xFD), mint=5, gas=100_000), CTX)[0] == []  # reverting creation
    fresh = bytes.fromhex("00000000000000000000000000000000000000aa")
    assert compare(harness, pre, deposit(to=OTHER, mint=7, gas=100_000, sender=fresh), CTX)[0] == []


def test_invalid_transactions(harness: Any) -> None:
    assert compare(harness, base_pre(), signed(to=OTHER, nonce=1), CTX)[0] == []
    assert compare(harness, base_pre(), signed(to=OTHER, gas=20_000), CTX)[0] == []
    poor = base_pre()
    poor[SENDER] = PreAccount(balance=1000)
    assert compare(harness, poor, signed(to=OTHER), CTX)[0] == []


OPCODES = [op for op in range(0x00, 0x100) if op not in (0xF0, 0xF5, 0xFF, 0x56, 0x57, 0x00, 0xFD, 0xF3, 0xFE) and not 0x60 <= op < 0x80]


@st.composite
def programs(draw: Any) -> bytes:
    n = draw(st.integers(1, 40))
    out = b""
    for _ in range(n):
        choice = draw(st.integers(0, 9))
        if choice < 4:
            value = draw(st.sampled_from([0, 1, 2, 31, 32, 255, 2**255, 2**256 - 1, int.from_bytes(OTHER, "big"), 0x40]))
            out += asm(push(value))
        elif choice < 6:
            out += bytes([draw(st.sampled_from([0x55, 0x54, 0x5C, 0x5D, 0x52, 0x51, 0xA1, 0xF1, 0xFA, 0xF4, 0x31, 0x3F]))])
        else:
            out += bytes([draw(st.sampled_from(OPCODES))])
    return out + asm(push(0), push(0), 0xF3)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(code=programs(), value=st.sampled_from([0, 1]))
def test_random_programs(harness: Any, code: bytes, value: int) -> None:
    pre = base_pre(code, {0: 1, 1: 2})
    assert compare(harness, pre, signed(to=CONTRACT, gas=400_000, value=value), CTX)[0] == []
