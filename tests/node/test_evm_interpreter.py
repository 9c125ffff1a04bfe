"""Lantau's interpreter (`node.evm_interpreter`: instructions in the loop, CALL frames set up in
`node.evm_calls`) against py-evm's own: the same L2 state class with py-evm's Prague table and
py-evm's frame set-up (`REFERENCE_STATE`), on

- a share of the shared Ethereum state tests from the folders about calls, creation, reverts,
  static calls, depth, memory, return data and self-destruct: status, gas used, post-state root,
  output, logs, the error's class and the proof-cost counts, each identical;
- programs of several frames (nested reverts, out of gas in a child, static violations,
  precompile calls, CREATE and CREATE2 in a child, SELFDESTRUCT of a contract created in the same
  transaction and of an older one, value to a new account) at every gas limit around the points
  where each frame runs out of gas.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth.abc import ComputationAPI
from eth.exceptions import VMError
from eth.vm.forks.frontier.computation import FrontierComputation
from eth.vm.forks.prague.computation import PragueComputation
from eth_account import Account
from eth_utils import ValidationError, keccak

from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.vm import LantauComputation, LantauState, LantauTransactionBuilder, LantauVM
from tests.contracts.step_diff import PreAccount, StepContext
from tests.contracts.step_diff import _state as pre_state
from tests.contracts.step_state_tests import FIXTURES, Case, cases, exclusion

ReferenceComputation = LantauComputation.configure(
    __name__="ReferenceComputation",
    opcodes=dict(PragueComputation.opcodes),  # py-evm's entries; not Lantau's table: the plain loop
    apply_message=FrontierComputation.__dict__["apply_message"],  # py-evm's frame set-up
)
REFERENCE_STATE = LantauState.configure(__name__="ReferenceState", computation_class=ReferenceComputation)

FOLDERS = ("stCallCodes", "stCallCreateCallCodeTest", "stCallDelegateCodesCallCodeHomestead", "stCreate2",
           "stCreateTest", "stDelegatecallTestHomestead", "stRevertTest", "stStaticCall", "stSystemOperationsTest",
           "stMemoryTest", "stReturnDataTest", "stSelfBalance", "stRecursiveCreate", "stInitCodeTest",
           "stRefundTest", "stSStoreTest", "stLogTests", "stPreCompiledContracts", "stZeroCallsRevert",
           "stNonZeroCallsTest", "stEIP150Specific", "stMemExpandingEIP150Calls", "stShift", "stStackTests")
SHARE = 12  # every 12th file of those folders


def _fixture_files() -> list[Any]:
    files = sorted(path for folder in FOLDERS for path in (FIXTURES / folder).rglob("*.json"))
    return files[::SHARE]


CASES = [case for case in cases(_fixture_files()) if exclusion(case) is None]
if not CASES:  # an empty parametrize would be one silent skip
    raise RuntimeError(f"no state tests under {FIXTURES}: the shared state-test fixtures are missing")


def _outcome(state_class: Any, pre: dict[bytes, PreAccount], raw_tx: bytes, ctx: StepContext) -> tuple[Any, ...]:
    """Everything a transaction's run decides: status, gas, post-state root, output, logs, the
    error's class and the proof-cost counts (or the refusal)."""
    _, db, pre_root = pre_state(pre, ctx, DEVNET_PROOF_COST_LIMITS, state_class)
    state = state_class(db, ctx.execution_context(), pre_root)
    tx = LantauTransactionBuilder.decode(raw_tx)
    try:
        computation: ComputationAPI = state.apply_transaction(tx)
    except (ValidationError, VMError) as exc:
        return ("invalid", type(exc).__name__, str(exc), pre_root)
    state.persist()
    error = type(computation.error).__name__ if computation.is_error else None
    return (computation.is_success, LantauVM.finalize_gas_used(tx, computation), state.state_root,
            computation.output, tuple(computation.get_log_entries()), error, state.proof_meter.counts())


def test_the_reference_is_py_evms_interpreter() -> None:
    assert ReferenceComputation.opcodes is not LantauComputation.opcodes
    assert all(ReferenceComputation.opcodes[op] is PragueComputation.opcodes[op] for op in PragueComputation.opcodes)
    assert len(CASES) > 100, len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_state_test_matches_py_evms_interpreter(case: Case) -> None:
    assert _outcome(LantauState, case.pre, case.raw_tx, case.ctx) == _outcome(REFERENCE_STATE, case.pre, case.raw_tx,
                                                                             case.ctx)


# --- programs of several frames, at every gas limit around their out-of-gas points -------------

SENDER_KEY = b"\x42" * 32
TOP = b"\xc0" * 20
CHILD = b"\xc1" * 20  # stores, logs, returns 32 bytes
REVERTER = b"\xc2" * 20  # stores, then reverts with 4 bytes
LOOPER = b"\xc3" * 20  # loops until out of gas
FACTORY = b"\xc4" * 20  # CREATE and CREATE2 of a contract that self-destructs when called
OLD_SELFDESTRUCT = b"\xc5" * 20  # self-destructs (an old contract: EIP-6780 keeps it)
NEW_ACCOUNT = b"\xd0" * 20  # no account: a call with value creates it


def _push(value: int) -> bytes:
    data = value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")
    return bytes([0x5F + len(data)]) + data


def _call(opcode: int, address: bytes, gas: int = 40_000, value: int = 0, args: tuple[int, int] = (0, 0),
          ret: tuple[int, int] = (0, 32)) -> bytes:
    """CALL-family instruction with its operands pushed (gas 0: GAS, all the frame can give);
    the success flag is left for the caller to store."""
    code = _push(ret[1]) + _push(ret[0]) + _push(args[1]) + _push(args[0])
    if opcode in (0xF1, 0xF2):
        code += _push(value)
    code += b"\x73" + address  # PUSH20
    code += _push(gas) if gas else b"\x5a"  # GAS
    return code + bytes([opcode])


def _store_result(slot: int) -> bytes:
    return _push(slot) + b"\x55"  # SSTORE(slot, flag)


CHILD_CODE = bytes.fromhex("602a600155" "60016002a0" "7f" + "11" * 32 + "5f52" "60205ff3")  # SSTORE 1=42, LOG0, RETURN word
REVERTER_CODE = bytes.fromhex("6007600355" "63deadbeef5f52" "6004601cfd")  # SSTORE 3=7, REVERT 4 bytes
LOOPER_CODE = bytes.fromhex("5b600056")
SELFDESTRUCT_CODE = bytes.fromhex("73" + "ee" * 20 + "ff")  # SELFDESTRUCT to 0xee..ee
# Init code that returns SELFDESTRUCT_CODE as the runtime code.
INIT_CODE = bytes([0x60 + len(SELFDESTRUCT_CODE) - 1]) + SELFDESTRUCT_CODE + bytes.fromhex(
    "5f52" + f"60{len(SELFDESTRUCT_CODE):02x}" + f"60{32 - len(SELFDESTRUCT_CODE):02x}" + "f3")
FACTORY_CODE = (
    b"\x7f" + INIT_CODE.ljust(32, b"\x00") + bytes.fromhex("5f52")  # init code to memory[0:32]
    + _push(len(INIT_CODE)) + b"\x5f\x5f\xf0" + bytes.fromhex("80600a55")  # CREATE, address to slot 10
    + _push(0x5A17) + _push(len(INIT_CODE)) + b"\x5f\x5f\xf5" + bytes.fromhex("80600b55")  # CREATE2 to slot 11
    + bytes.fromhex("5f5f5f5f5f") + b"\x85\x5a\xf1" + _store_result(12)  # CALL the CREATEd one: it self-destructs
    + bytes.fromhex("5f5f5f5f5f") + b"\x86\x5a\xf1" + _store_result(13)  # and the CREATE2 one
    + b"\x00"
)
# CALL CHILD; CALL REVERTER (returndata copied); STATICCALL CHILD (SSTORE in static: fails);
# DELEGATECALL CHILD (stores in TOP); CALLCODE CHILD; CALL LOOPER with 5,000 gas (out of gas);
# identity and sha256 precompiles; CALL FACTORY; CALL OLD_SELFDESTRUCT; CALL NEW_ACCOUNT with
# value; CALL an address that is not an account; then RETURNDATASIZE and memory to storage.
TOP_CODE = (
    _call(0xF1, CHILD) + _store_result(100)
    + _call(0xF1, REVERTER, ret=(64, 32)) + _store_result(101) + b"\x3d" + _store_result(102)
    + _call(0xFA, CHILD) + _store_result(103)
    + _call(0xF4, CHILD) + _store_result(104)
    + _call(0xF2, CHILD) + _store_result(105)
    + _call(0xF1, LOOPER, gas=5_000) + _store_result(106)
    + _call(0xF1, b"\x00" * 19 + b"\x04", args=(0, 64), ret=(128, 64)) + _store_result(107)
    + _call(0xFA, b"\x00" * 19 + b"\x02", args=(0, 64), ret=(192, 32)) + _store_result(108)
    + _call(0xF1, FACTORY, gas=200_000) + _store_result(109)
    + _call(0xF1, OLD_SELFDESTRUCT) + _store_result(110)
    + _call(0xF1, NEW_ACCOUNT, value=5) + _store_result(111)
    + _call(0xF1, b"\xd1" * 20) + _store_result(112)
    + bytes.fromhex("61010060002060c855")  # keccak(memory[0:256]) -> slot 200
    + b"\x00"
)
PRE = {
    TOP: PreAccount(balance=10**6, code=TOP_CODE), CHILD: PreAccount(code=CHILD_CODE),
    REVERTER: PreAccount(code=REVERTER_CODE), LOOPER: PreAccount(code=LOOPER_CODE),
    FACTORY: PreAccount(code=FACTORY_CODE, nonce=1), OLD_SELFDESTRUCT: PreAccount(balance=3, code=SELFDESTRUCT_CODE),
}


def _gas_limits(pre: dict[bytes, PreAccount], to: bytes) -> list[int]:
    """A coarse scan from the intrinsic gas to past what the transaction uses with plenty, and,
    wherever the outcome (`_key`) changes between two scanned limits, the exact
    limit where it does (bisection) and two on each side of it."""
    full = _run(pre, to, 3_000_000)
    assert full[0] is True, full
    needed = full[1]
    step = 4_999
    coarse = list(range(21_000, needed + 2 * step, step))
    keys = {gas: _key(pre, to, gas) for gas in coarse}
    limits = set(coarse) | {needed - 1, needed, needed + 1}
    for low, high in zip(coarse, coarse[1:]):
        if keys[low] == keys[high]:
            continue
        low_key = keys[low]
        while high - low > 1:  # keys[low] is low_key, high's differs
            middle = (low + high) // 2
            if _key(pre, to, middle) == low_key:
                low = middle
            else:
                high = middle
        limits.update(range(high - 2, high + 3))
    return sorted(limits)


def _key(pre: dict[bytes, PreAccount], to: bytes, gas: int) -> tuple[Any, ...]:
    """What changes only where some frame's fate does: status, error, instructions and frames
    run (not the root: a failed transaction's fee, hence its root, moves with every limit)."""
    outcome = _run(pre, to, gas)
    return outcome[0], outcome[-2], outcome[-1]


def _run(pre: dict[bytes, PreAccount], to: bytes, gas: int, state_class: Any = LantauState) -> tuple[Any, ...]:
    sender = Account.from_key(SENDER_KEY)
    pre = {bytes.fromhex(sender.address[2:]): PreAccount(balance=10**18), **pre}
    ctx = StepContext(base_fee=0)
    tx = {"to": to, "value": 3, "gas": gas, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1, "nonce": 0,
          "chainId": ctx.chain_id, "type": 2, "data": bytes(range(1, 40))}
    raw = bytes(Account.sign_transaction(tx, SENDER_KEY).raw_transaction)
    return _outcome(state_class, pre, raw, ctx)


def test_the_program_exercises_every_frame_kind() -> None:
    """With plenty of gas: which calls succeed (slots 100-112) is what each frame is built to do."""
    sender = Account.from_key(SENDER_KEY)
    pre = {bytes.fromhex(sender.address[2:]): PreAccount(balance=10**18), **PRE}
    ctx = StepContext(base_fee=0)
    tx = {"to": TOP, "value": 0, "gas": 3_000_000, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1, "nonce": 0,
          "chainId": ctx.chain_id, "type": 2, "data": b""}
    _, db, pre_root = pre_state(pre, ctx, DEVNET_PROOF_COST_LIMITS, LantauState)
    state = LantauState(db, ctx.execution_context(), pre_root)
    computation = state.apply_transaction(LantauTransactionBuilder.decode(bytes(Account.sign_transaction(tx, SENDER_KEY).raw_transaction)))
    assert computation.is_success
    flags = [state.get_storage(TOP, slot) for slot in range(100, 113)]
    #        CALL REVERT          STATIC DELEGATE CALLCODE LOOPER IDENTITY SHA256 FACTORY OLD NEW  NONE
    assert flags == [1, 0, 4, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1], flags
    assert state.get_storage(CHILD, 1) == 42 and state.get_storage(TOP, 1) == 42  # CALL and DELEGATECALL stored
    assert state.get_storage(REVERTER, 3) == 0  # the revert undid its store
    created = state.get_storage(FACTORY, 10).to_bytes(20, "big")
    created2 = state.get_storage(FACTORY, 11).to_bytes(20, "big")
    assert created2 == keccak(b"\xff" + FACTORY + (0x5A17).to_bytes(32, "big") + keccak(INIT_CODE))[12:]
    assert state.get_code(created) == b"" and state.get_code(created2) == b""  # created and destroyed in one tx
    assert state.get_code(OLD_SELFDESTRUCT) == SELFDESTRUCT_CODE  # EIP-6780: an old contract stays
    assert state.get_balance(OLD_SELFDESTRUCT) == 0 and state.get_balance(b"\xee" * 20) == 3
    assert state.get_balance(NEW_ACCOUNT) == 5


def test_several_frames_match_py_evm_at_every_gas_limit() -> None:
    for gas in _gas_limits(PRE, TOP):
        assert _run(PRE, TOP, gas) == _run(PRE, TOP, gas, REFERENCE_STATE), gas


def _readers() -> bytes:
    """SLT/SGT on both signs, SHA3 growing memory, CALLDATALOAD in and past the data, SLOAD cold
    and warm, GAS, CALLVALUE, CALLER, CALLDATASIZE, RETURNDATASIZE: each result to a slot."""
    minus_one = b"\x7f" + b"\xff" * 32
    code = b""
    for slot, (right, left, opcode) in enumerate([(b"\x60\x01", minus_one, 0x12), (minus_one, b"\x60\x01", 0x12),
                                                  (b"\x60\x01", minus_one, 0x13), (minus_one, b"\x60\x01", 0x13),
                                                  (minus_one, minus_one, 0x12)]):
        code += right + left + bytes([opcode]) + _push(slot) + b"\x55"
    code += bytes.fromhex("6050 6010 20 6010 55")  # keccak(memory[0x10:0x60]) -> slot 16
    code += bytes.fromhex("5f35 6011 55" "6002 35 6012 55" "61ffff 35 6013 55")  # CALLDATALOAD 0, 2, 0xffff
    code += bytes.fromhex("6010 54 6014 55" "6010 54 6015 55")  # SLOAD 16 twice (cold, warm)
    code += bytes.fromhex("5a 6016 55" "34 6017 55" "33 6018 55" "36 6019 55" "3d 601a 55" "00")
    return code


def test_inlined_readers_match_py_evm_at_every_gas_limit() -> None:
    readers = b"\xca" * 20
    pre = {readers: PreAccount(code=_readers(), storage={16: 5})}
    for gas in _gas_limits(pre, readers):
        assert _run(pre, readers, gas) == _run(pre, readers, gas, REFERENCE_STATE), gas


def _recursion(depth_slot: int) -> bytes:
    """Calls itself with all its gas, storing the depth it reached (CALLDATA word + 1) first."""
    return (bytes.fromhex("5f35600101") + bytes.fromhex("80") + _push(depth_slot) + b"\x55"  # depth+1 -> slot
            + bytes.fromhex("5f52") + bytes.fromhex("5f5f60205f5f") + b"\x30\x5a\xf1" + b"\x00")


def test_deep_recursion_matches_py_evm() -> None:
    """A contract calling itself until the gas (63/64 per frame) or the 1024-frame limit stops it."""
    recursive = b"\xc9" * 20
    pre = {recursive: PreAccount(code=_recursion(7))}
    for gas in (100_000, 1_000_000, 29_000_000):
        ours = _run(pre, recursive, gas)
        assert ours == _run(pre, recursive, gas, REFERENCE_STATE), gas
        assert ours[0] is True and ours[-1].frames > 50, ours


def test_a_frame_has_py_evms_attributes() -> None:
    """`LantauComputation.__init__` (py-evm's chain of __init__s in one): the attributes py-evm's
    Prague computation sets, with equal values (the stack's and the code stream's kinds aside),
    the stack proxies bound to the frame's own stack, the coinbase warm; and a child message
    built by `node.evm_frames.child_message` equal, slot by slot, to py-evm's."""
    from eth.vm.message import Message

    ctx = StepContext(base_fee=0)
    _, db, root = pre_state({TOP: PreAccount(code=TOP_CODE)}, ctx, DEVNET_PROOF_COST_LIMITS, LantauState)
    states = [LantauState(db, ctx.execution_context(), root) for _ in range(2)]
    message = Message(gas=50_000, to=TOP, sender=CHILD, value=7, data=b"\x01\x02", code=TOP_CODE, depth=3)
    context = states[0].get_transaction_context(LantauTransactionBuilder.decode(
        bytes(Account.sign_transaction({"to": TOP, "value": 0, "gas": 50_000, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1,
                                        "nonce": 0, "chainId": ctx.chain_id, "type": 2, "data": b""},
                                       SENDER_KEY).raw_transaction)))
    ours = LantauComputation(states[0], message, context)
    stock = PragueComputation(states[1], message, context)
    proxies = {"stack_" + name for name in ("pop_ints", "pop_bytes", "pop_any", "pop1_int", "pop1_bytes", "pop1_any",
                                            "push_int", "push_bytes")}
    assert set(vars(ours)) == set(vars(stock)) | proxies
    for name, value in vars(stock).items():
        if name in ("state", "code", "_stack", "_memory", "_gas_meter"):  # each its own (compared below)
            continue
        assert getattr(ours, name) == value, name
    assert ours.state is states[0] and ours._gas_meter.gas_remaining == stock._gas_meter.gas_remaining == 50_000
    assert ours._gas_meter.refund_strategy is stock._gas_meter.refund_strategy
    assert ours.stack_push_int.__self__ is ours._stack and bytes(ours._memory._bytes) == b""
    assert states[0].is_address_warm(states[0].coinbase) and states[1].is_address_warm(states[1].coinbase)
    kwargs = {"sender": CHILD, "code_address": REVERTER, "should_transfer_value": False, "is_static": True}
    for extra in ({}, kwargs, {"create_address": FACTORY}):
        mine = ours.prepare_child_message(gas=9, to=TOP, value=0, data=b"\x05", code=b"\x00", **extra)
        theirs = stock.prepare_child_message(gas=9, to=TOP, value=0, data=b"\x05", code=b"\x00", **extra)
        assert {slot: getattr(mine, slot, None) for slot in Message.__slots__} == \
            {slot: getattr(theirs, slot, None) for slot in Message.__slots__}
