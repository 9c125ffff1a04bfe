"""The L2 state on `node.state_db`'s buffered tries against py-evm's own `AccountDB`: the same
post-state root, gas and status for a share of the shared Ethereum state tests (storage writes,
deletions, self-destructs, reverts, creations), and the same blocks from `Chain.build_block`."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth.db.account import AccountDB
from eth.rlp.accounts import Account as AccountRLP
from eth.vm.forks.prague.state import PragueState
from hypothesis import example, given, settings
from hypothesis import strategies as st
from eth.chains.base import Chain as PyEvmChain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.exceptions import VMError
from eth_utils import ValidationError
from trie import HexaryTrie

from eth_account import Account

from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import SEQUENCER_FEE_VAULT
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS
from node.chain import BlockAttributes, Chain
from node.state_db import FlatAccountDB, encode_account
from node.vm import LantauState, LantauTransactionBuilder, LantauVM
from tests.contracts.step_diff import PreAccount, StepContext
from tests.contracts.step_diff import _state as pre_state
from tests.contracts.step_state_tests import FIXTURES, Case, cases, exclusion, fixture_files

SHARE = 20  # every 20th fixture file, every other case of it: ~400 cases
CASES = [case for case in cases(fixture_files(SHARE)) if exclusion(case) is None][::2]
if not CASES:  # an empty parametrize would be one silent skip
    raise RuntimeError(f"no state tests under {FIXTURES}: the shared state-test fixtures are missing")

STOCK_STATE = LantauState.configure(__name__="LantauStateOnStockAccountDB", account_db_class=AccountDB)


def _post_state(state_class: Any, pre: dict[bytes, PreAccount], raw_tx: bytes, ctx: StepContext) -> tuple[Any, ...]:
    _, db, pre_root = pre_state(pre, ctx, DEVNET_PROOF_COST_LIMITS, state_class)
    state = state_class(db, ctx.execution_context(), pre_root)
    tx = LantauTransactionBuilder.decode(raw_tx)
    try:
        computation = state.apply_transaction(tx)
    except (ValidationError, VMError) as exc:
        return ("invalid", type(exc).__name__, pre_root)
    state.persist()
    root = state.state_root
    # Every account the transaction touched reads back from the stored nodes.
    stored = HexaryTrie(db, root)
    for address in pre:
        stored.get(bytes(address).rjust(20, b"\0"))
    return (computation.is_success, LantauVM.finalize_gas_used(tx, computation), pre_root, root)


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2**64 - 1), st.integers(0, 2**256 - 1), st.binary(min_size=32, max_size=32))
def test_account_encoding_is_pyrlps(nonce: int, balance: int, root: bytes) -> None:
    account = AccountRLP(nonce, balance, root, root[::-1])
    assert encode_account(account) == rlp.encode(account, sedes=AccountRLP)


def test_the_l2_state_uses_the_flat_account_db() -> None:
    assert LantauVM.with_proof_cost_limits(DEVNET_PROOF_COST_LIMITS)._state_class.account_db_class is FlatAccountDB


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_state_test_post_root_matches_stock_account_db(case: Case) -> None:
    buffered = _post_state(LantauState, case.pre, case.raw_tx, case.ctx)
    stock = _post_state(STOCK_STATE, case.pre, case.raw_tx, case.ctx)
    assert buffered == stock



# --- the flat database against py-evm's AccountDB, operation by operation ----------------------

ADDRESSES = [bytes([index]) * 20 for index in range(1, 5)]
SLOTS = [0, 1, 2**255 + 7]
_address = st.sampled_from(ADDRESSES)
_slot = st.sampled_from(SLOTS)
_value = st.sampled_from([0, 1, 2, 2**256 - 1])
OPERATIONS = st.one_of(
    st.tuples(st.just("balance"), _address, _value),
    st.tuples(st.just("nonce"), _address, st.sampled_from([0, 1, 7, 2**64 - 1])),
    st.tuples(st.just("storage"), _address, _slot, _value),
    st.tuples(st.just("code"), _address, st.sampled_from([b"", b"\x00", b"\x60\x01"])),
    st.tuples(st.just("delete_code"), _address),
    st.tuples(st.just("delete_storage"), _address),
    st.tuples(st.just("delete_account"), _address),
    st.tuples(st.just("touch"), _address),
    st.tuples(st.just("warm_address"), _address),
    st.tuples(st.just("warm_slot"), _address, _slot),
    st.sampled_from([("lock",), ("root",), ("persist",)]),
)
_CHECKPOINTS = st.sampled_from([("record",), ("record",), ("commit",), ("discard",), ("discard",)])
OPERATIONS = st.one_of(OPERATIONS, _CHECKPOINTS, _CHECKPOINTS)  # checkpoints a third of the operations


def _views(db: Any, wiped: set[bytes]) -> tuple[Any, ...]:
    """Everything a state reads from the database: accounts, slots (current and, where py-evm's
    answer is defined alike, the transaction's original value) and EIP-2929 warmth."""
    accounts = tuple((db.account_exists(a), db.get_balance(a), db.get_nonce(a), db.get_code_hash(a), db.get_code(a),
                      db.account_is_empty(a), db.is_address_warm(a)) for a in ADDRESSES)
    slots = tuple((db.get_storage(a, s), None if a in wiped else db.get_storage(a, s, from_journal=False),
                   db.is_storage_warm(a, s)) for a in ADDRESSES for s in SLOTS)
    return accounts, slots


_A, _B = ADDRESSES[0], ADDRESSES[3]  # one with storage and code in the pre-state, one without an account


@settings(max_examples=150, deadline=None)
@given(st.lists(OPERATIONS, max_size=40))
# A CREATE's wipe and a self-destruct, reverted; nested frames, the inner one reverted; a slot
# written twice in a transaction (its original value), then cleared; a created account deleted.
@example([("record",), ("delete_storage", _A), ("storage", _A, 0, 5), ("discard",)])
@example([("record",), ("delete_account", _A), ("discard",), ("root",)])
@example([("record",), ("storage", _A, 1, 2), ("record",), ("warm_slot", _A, 1), ("balance", _B, 1),
          ("storage", _A, 1, 3), ("discard",), ("commit",), ("storage", _A, 1, 0), ("persist",)])
@example([("touch", _B), ("code", _B, b"\x00"), ("lock",), ("delete_account", _B), ("root",)])
def test_flat_account_db_answers_as_py_evms_account_db(operations: list[tuple[Any, ...]]) -> None:
    """Every read after every operation, and the state root, the same on both databases:
    checkpoints nested, committed and discarded (also across a storage wipe and an account
    deletion), transactions locked, roots made and persisted between them. The one documented
    difference (a slot's original value after the transaction wiped that address's storage) is
    left out of the comparison."""
    pre = {address: index for index, address in enumerate(ADDRESSES[:3], start=1)}
    dbs = [FlatAccountDB(AtomicDB(MemoryDB())), AccountDB(AtomicDB(MemoryDB()))]
    for db in dbs:  # a pre-state with balances, code and storage, persisted
        for address, index in pre.items():
            db.set_balance(address, index)
            db.set_code(address, bytes([0x60, index]))
            db.set_storage(address, 1, index)
        db.persist()
    assert dbs[0].state_root == dbs[1].state_root
    checkpoints: list[list[Any]] = []
    wiped: set[bytes] = set()  # addresses whose storage this transaction wiped
    for operation in operations:
        name, args = operation[0], operation[1:]
        if name == "record":
            checkpoints.append([db.record() for db in dbs])
        elif name in ("commit", "discard"):
            if checkpoints:
                for db, checkpoint in zip(dbs, checkpoints.pop()):
                    getattr(db, name)(checkpoint)
        elif name in ("lock", "root", "persist"):
            if checkpoints:  # only between transactions, as the VM calls them
                continue
            for db in dbs:
                {"lock": db.lock_changes, "root": db.make_state_root, "persist": db.persist}[name]()
            wiped.clear() if name == "lock" else None
            assert dbs[0].state_root == dbs[1].state_root, operation
        elif name == "delete_account" and not dbs[1].account_exists(args[0]):
            continue  # py-evm's raises KeyError for an account that does not exist; the VM never asks
        elif name in ("delete_storage", "delete_account") and args[0] in wiped:
            continue  # py-evm's reverts across one wipe of an address at most; the VM wipes once a frame
        else:
            for db in dbs:
                method = {"balance": "set_balance", "nonce": "set_nonce", "storage": "set_storage", "code": "set_code",
                          "touch": "touch_account", "warm_address": "mark_address_warm",
                          "warm_slot": "mark_storage_warm"}.get(name, name)
                getattr(db, method)(*args)
            if name in ("delete_storage", "delete_account"):
                wiped.add(args[0])
        assert _views(dbs[0], wiped) == _views(dbs[1], wiped), operation
    for db in dbs:
        db.lock_changes()
        db.persist()
    assert dbs[0].state_root == dbs[1].state_root
    assert _views(dbs[0], set()) == _views(dbs[1], set())


GENESIS = GenesisConfig.load()
# Init code that stores 1..8 in slots 0..7, then returns empty code: storage tries grow.
STORING_INIT_CODE = b"".join(bytes([0x60, value, 0x60, value - 1, 0x55]) for value in range(1, 9)) + b"\x00"


def _signed(key: str, nonce: int, **fields: Any) -> Any:
    tx = {"value": 0, "gas": 100_000, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": 7, "nonce": nonce,
          "chainId": GENESIS.chain_id, "type": 2, "data": b"", **fields}
    return LantauVM.get_transaction_builder().decode(bytes(Account.sign_transaction(tx, key).raw_transaction))


def _stock_chain() -> Chain:
    vm_class = LantauVM.configure(__name__="LantauVMOnStockAccountDB", _state_class=STOCK_STATE)
    chain_class = PyEvmChain.configure(__name__="StockChain", vm_configuration=((0, vm_class),), chain_id=GENESIS.chain_id)
    chain = Chain(db=AtomicDB(MemoryDB()), genesis=GENESIS, chain_class=chain_class)
    chain._initialise()
    return chain


def test_chain_builds_the_same_blocks_as_on_stock_account_db() -> None:
    buffered, stock = Chain.open(None, GENESIS), _stock_chain()
    senders = dev_accounts()[:4]
    nonces = [0] * len(senders)
    for block in range(3):
        txs = []
        for index in range(60):
            which = index % len(senders)
            if index % 10 == 0:
                txs.append(_signed(senders[which].private_key, nonces[which], to=b"", data=STORING_INIT_CODE, gas=300_000))
            else:
                to = bytes([block + 1]) * 12 + index.to_bytes(8, "big")
                txs.append(_signed(senders[which].private_key, nonces[which], to=to, value=10**12 + index, gas=21_000))
            nonces[which] += 1
        heads = []
        for chain in (buffered, stock):
            attributes = BlockAttributes(timestamp=chain.head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT,
                                         prev_randao=b"\x01" * 32, gas_limit=chain.head.gas_limit)
            built = chain.build_block(chain.head, attributes, txs)
            assert not built.rejected and all(c.is_success for c in built.computations)
            heads.append(built.header)
        assert heads[0].state_root == heads[1].state_root and heads[0].hash == heads[1].hash


# --- the interpreter's inlined gas charge against py-evm's own loop ----------------------------

STOCK_PRAGUE_STATE = PragueState
SENDER_KEY = b"\x42" * 32
LOOP_FOREVER = bytes.fromhex("5b600056")  # JUMPDEST PUSH1 0 JUMP
STORE_THEN_LOOP = bytes.fromhex("600160005560016001555b600a56")  # two SSTOREs, then a loop
ARITHMETIC = bytes.fromhex("6001600201600302600404600506600052600060205200")  # ADD MUL DIV SMOD MSTORE ... STOP




def _stack_shuffle() -> bytes:
    """PUSH1..PUSH17 and PUSH32 (distinct values), PUSH0, DUP16, SWAP16, SWAP1, DUP3, POP, SWAP7;
    then the top 8 items to memory and their keccak to slot 0: the post-state fixes the stack
    the stack instructions left (`node.evm_stack.stack_opcodes`)."""
    code = b"".join(bytes([0x5F + size]) + bytes(range(size, 0, -1)) for size in range(1, 18))
    code += b"\x7f" + bytes(range(0xA0, 0xC0)) + b"\x5f" + bytes.fromhex("8f9f908250" "96")
    code += b"".join(bytes([0x60, 32 * word, 0x52]) for word in range(8))
    return code + bytes.fromhex("6101005f20" "5f55" "00")  # keccak(memory[0:256]) -> slot 0, STOP


STACK_SHUFFLE = _stack_shuffle()
def _alu() -> bytes:
    """Each inlined two-operand instruction (`node.evm_stack.inline_opcodes`) on PUSH bytes, on
    results (ints) and at the 2**256 wrap, ISZERO, MLOAD/MSTORE growing memory, JUMPI taken and
    not; every result stored to memory, then keccak(memory) -> slot 0."""
    big = b"\x7f" + b"\xff" * 32  # PUSH32 2**256-1
    cases = [(b"\x60\x07", b"\x60\x05", op) for op in (0x01, 0x02, 0x03, 0x04, 0x10, 0x11, 0x14, 0x16, 0x17, 0x18)]
    cases += [(big, b"\x60\x06", 0x01), (b"\x60\x06", b"\x60\x05", 0x03), (big, big, 0x02), (b"\x5f", b"\x60\x09", 0x04),
              (b"\x60\xf1", b"\x60\x04", 0x1B), (big, b"\x61\x01\x2c", 0x1B), (big, b"\x60\xff", 0x1C),
              (big, b"\x61\x01\x00", 0x1C), (b"\x60\x03", b"\x60\x03", 0x14)]
    code = b""
    for word, (right, left, opcode) in enumerate(cases):  # left is pushed last: the top
        code += right + left + bytes([opcode, 0x61]) + (32 * word).to_bytes(2, "big") + b"\x52"
    code += bytes.fromhex("5f15" "6000" "15" "01" "61 0400 52".replace(" ", ""))  # ISZERO(0) + ISZERO(0x00): to 0x400
    code += bytes.fromhex("6020 51 6040 51 01 6105e0 52".replace(" ", ""))  # MLOAD two words, their sum far out
    after = len(code) + 12  # the JUMPDEST below
    code += bytes.fromhex("5f") + bytes([0x61]) + after.to_bytes(2, "big") + bytes.fromhex("57")  # JUMPI not taken
    code += bytes.fromhex("6001") + bytes([0x61]) + after.to_bytes(2, "big") + bytes.fromhex("57" "00")  # JUMPI taken
    code += bytes.fromhex("5b" "610600" "5f" "20" "5f" "55" "00")  # JUMPDEST keccak(memory[0:0x600]) -> slot 0
    return code


ALU = _alu()
JUMP_INTO_PUSH_DATA = bytes.fromhex("605b600156")  # the JUMPDEST byte at 1 is PUSH data
JUMP_PAST_END = bytes.fromhex("61ffff56")
JUMPI_TO_NON_JUMPDEST = bytes.fromhex("6001600057")
PUSH0_UNTIL_FULL = bytes.fromhex("5b5f600056")  # JUMPDEST PUSH0 PUSH1 0 JUMP: FullStack at 1,025
DUP1_UNTIL_FULL = bytes.fromhex("5f5b80600156")  # PUSH0, JUMPDEST DUP1 PUSH1 1 JUMP: FullStack
SWAP16_SHORT = bytes.fromhex("5f" * 16 + "9f")  # SWAP16 on 16 items: InsufficientStack
DUP16_SHORT = bytes.fromhex("5f" * 15 + "8f")  # DUP16 on 15 items
POP_EMPTY = bytes.fromhex("50")
TRUNCATED_PUSH = bytes.fromhex("5f61ff")  # PUSH2 with one byte of code left: zero-padded


@pytest.mark.parametrize("code", [LOOP_FOREVER, STORE_THEN_LOOP, ARITHMETIC, STACK_SHUFFLE, PUSH0_UNTIL_FULL,
                                  DUP1_UNTIL_FULL, SWAP16_SHORT, DUP16_SHORT, POP_EMPTY, TRUNCATED_PUSH, ALU,
                                  JUMP_INTO_PUSH_DATA, JUMP_PAST_END, JUMPI_TO_NON_JUMPDEST])
def test_execution_and_out_of_gas_match_py_evm_at_every_gas_limit(code: bytes) -> None:
    """Every gas limit from the intrinsic 21,000 up to past what the code needs: same status,
    gas and post-state as py-evm's own interpreter (base fee 0, so no fee vault differs)."""
    sender = Account.from_key(SENDER_KEY)
    contract = b"\xc0" * 20
    pre = {bytes.fromhex(sender.address[2:]): PreAccount(balance=10**18), contract: PreAccount(code=code)}
    ctx = StepContext(base_fee=0)
    for gas in [*range(21_000, 21_120), 21_500, 22_000, 22_500, 30_000, 50_000, 70_000]:
        tx = {"to": contract, "value": 0, "gas": gas, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1, "nonce": 0,
              "chainId": ctx.chain_id, "type": 2, "data": b""}
        raw = bytes(Account.sign_transaction(tx, SENDER_KEY).raw_transaction)
        assert _post_state(LantauState, pre, raw, ctx) == _post_state(STOCK_PRAGUE_STATE, pre, raw, ctx), gas
