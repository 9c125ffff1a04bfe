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
from hypothesis import given, settings
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
from node.state_db import BufferedAccountDB, encode_account
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


def test_the_l2_state_uses_the_buffered_account_db() -> None:
    assert LantauVM.with_proof_cost_limits(DEVNET_PROOF_COST_LIMITS)._state_class.account_db_class is BufferedAccountDB


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_state_test_post_root_matches_stock_account_db(case: Case) -> None:
    buffered = _post_state(LantauState, case.pre, case.raw_tx, case.ctx)
    stock = _post_state(STOCK_STATE, case.pre, case.raw_tx, case.ctx)
    assert buffered == stock


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


@pytest.mark.parametrize("code", [LOOP_FOREVER, STORE_THEN_LOOP, ARITHMETIC])
def test_execution_and_out_of_gas_match_py_evm_at_every_gas_limit(code: bytes) -> None:
    """Every gas limit from the intrinsic 21,000 up to past what the code needs: same status,
    gas and post-state as py-evm's own interpreter (base fee 0, so no fee vault differs)."""
    sender = Account.from_key(SENDER_KEY)
    contract = b"\xc0" * 20
    pre = {bytes.fromhex(sender.address[2:]): PreAccount(balance=10**18), contract: PreAccount(code=code)}
    ctx = StepContext(base_fee=0)
    for gas in [*range(21_000, 21_120), 30_000, 50_000, 70_000]:
        tx = {"to": contract, "value": 0, "gas": gas, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1, "nonce": 0,
              "chainId": ctx.chain_id, "type": 2, "data": b""}
        raw = bytes(Account.sign_transaction(tx, SENDER_KEY).raw_transaction)
        assert _post_state(LantauState, pre, raw, ctx) == _post_state(STOCK_PRAGUE_STATE, pre, raw, ctx), gas
