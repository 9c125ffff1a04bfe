"""Transaction witnesses (prover/witness.py) on real blocks: deposits, HKD transfers, a contract
call that writes, deletes and reads storage, reads other accounts and calls a precompile, a
creation, a self-destruct in creation, a revert.

For every transaction of those blocks:
- the witness's pre/post roots are the chain's own per-transaction re-execution, and the last
  post root is the block's state root;
- the witness is complete: the transaction re-executed on a state holding ONLY the witnessed
  accounts and slots (a fresh MemoryDB; every other account absent) ends with the same values
  for every witnessed account and slot, the same status and gas as on the full state;
- and exact: that re-execution reads every witnessed account and slot, and nothing else.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from eth.constants import BLANK_ROOT_HASH
from eth.db.account import AccountDB
from eth.db.atomic import AtomicDB
from eth.db.chain import ChainDB
from eth.db.backends.memory import MemoryDB
from eth_abi import decode as abi_decode
from eth_account import Account
from eth_utils import keccak, to_canonical_address

from genesis.config import GenesisAccount, GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.errors import InvalidParams
from node.rpc.params import bind_params
from node.deposit_tx import is_deposit, user_deposit_source_hash
from node.vm import LantauTransactionBuilder, LantauVM
from prover.witness import (
    BLOCK_CONTEXT_ABI,
    PRE_STATE_ABI,
    TransactionWitness,
    WitnessError,
    intermediate_state_roots,
    transaction_witness,
    witness_rpc_methods,
)

DEV = dev_accounts()
OTHER = to_canonical_address("0x" + "0a" * 20)  # read with BALANCE
CODE_HOLDER = to_canonical_address("0x" + "0c" * 20)  # read with EXTCODESIZE
COUNTER = to_canonical_address("0x" + "c0" * 20)
REVERTER = to_canonical_address("0x" + "5e" * 20)
BENEFICIARY = to_canonical_address("0x" + "be" * 20)
DEPOSITOR = to_canonical_address("0x" + "d0" * 20)

# slot0 += 1; slot1 = CALLER; slot2 = 0 (it holds 5: a delete); BALANCE(OTHER); EXTCODESIZE(CODE_HOLDER);
# STATICCALL sha256 (precompile 0x02); STOP
COUNTER_CODE = bytes.fromhex(
    "600054600101600055" "33600155" "6000600255" "73" + OTHER.hex() + "3150" "73" + CODE_HOLDER.hex() + "3b50"
    "600060006000600060025afa50" "00"
)
# SSTORE(0, 7); return the one-byte runtime code 0x00
CREATION_CODE = bytes.fromhex("6007600055" "6000600053" "60016000f3")
# SELFDESTRUCT(BENEFICIARY) in the init code: EIP-6780 deletes the new account
SELF_DESTRUCT_CODE = bytes.fromhex("73" + BENEFICIARY.hex() + "ff")

GENESIS = GenesisConfig.load().with_accounts({
    OTHER: GenesisAccount(balance=12345),
    CODE_HOLDER: GenesisAccount(code=b"\x60\x00" * 20),
    COUNTER: GenesisAccount(code=COUNTER_CODE, storage={2: 5, 9: 9}),
    REVERTER: GenesisAccount(code=bytes.fromhex("60006000fd")),
})


def signed(sender: int, nonce: int, *, to: bytes | str, value: int = 0, data: bytes = b"", gas: int = 200_000, legacy: bool = False):
    tx = {"to": to, "value": value, "data": data, "gas": gas, "nonce": nonce, "chainId": GENESIS.chain_id}
    if legacy:
        tx["gasPrice"] = 2 * 10**9
    else:
        tx.update(type=2, maxFeePerGas=3 * 10**9, maxPriorityFeePerGas=5)
    return LantauVM.get_transaction_builder().decode(bytes(Account.sign_transaction(tx, DEV[sender].private_key).raw_transaction))


def deposit(log_index: int, *, to: bytes, mint: int, gas: int = 200_000):
    return LantauTransactionBuilder.new_deposit_transaction(
        source_hash=user_deposit_source_hash(b"\x77" * 32, log_index), from_=DEPOSITOR, to=to, mint=mint, value=0,
        gas=gas, data=b"")


def build(chain: Chain, txs, deposits=()):
    parent = chain.head
    attributes = BlockAttributes(timestamp=parent.timestamp + 2, fee_recipient=SEQUENCER_FEE_VAULT,
                                 prev_randao=keccak(parent.hash), gas_limit=parent.gas_limit,
                                 forced_transactions=tuple(deposits))
    built = chain.build_block(parent, attributes, txs)
    assert not built.rejected
    return built


@pytest.fixture(scope="module")
def chain() -> Chain:
    chain = Chain.open(None, GENESIS)
    build(chain, [
        signed(1, 0, to=DEV[2].address, value=10**18),
        signed(2, 0, to=DEV[3].address, value=7, legacy=True),
        signed(1, 1, to=COUNTER),
        signed(3, 0, to="", data=CREATION_CODE),
    ], deposits=[deposit(0, to=DEPOSITOR, mint=10**18), deposit(1, to=COUNTER, mint=0)])
    build(chain, [
        signed(4, 0, to="", data=SELF_DESTRUCT_CODE, value=1234),
        signed(1, 2, to=COUNTER),  # slot2 already 0, slot1 unchanged: reads without writes
        signed(5, 0, to=REVERTER),
        signed(4, 1, to=DEV[6].address, value=1),
    ], deposits=[deposit(2, to=REVERTER, mint=3)])
    return chain


def all_witnesses(chain: Chain) -> list[TransactionWitness]:
    return [transaction_witness(chain, number, i)
            for number in (1, 2) for i in range(len(chain.raw_transactions(chain.header_by_number(number).hash)))]


@pytest.fixture(scope="module")
def witnesses(chain: Chain) -> list[TransactionWitness]:
    return all_witnesses(chain)


def test_roots_are_the_per_transaction_re_execution(chain: Chain, witnesses: list[TransactionWitness]) -> None:
    for number in (1, 2):
        header = chain.header_by_number(number)
        roots = intermediate_state_roots(chain, header)
        assert roots[-1] == header.state_root
        mine = [w for w in witnesses if w.block_number == number]
        assert [w.post_state_root for w in mine] == roots
        parent_root = chain.header_by_number(number - 1).state_root
        assert [w.pre_state_root for w in mine] == [parent_root, *roots[:-1]]
        assert all(w.intermediate_roots == tuple(roots[: w.index + 1]) for w in mine)
        receipts = chain.receipts(header.hash)
        assert [w.success for w in mine] == [r.state_root == b"\x01" for r in receipts]
        cumulative = [r.gas_used for r in receipts]
        assert [w.gas_used for w in mine] == [b - a for a, b in zip([0, *cumulative], cumulative)]
        assert [w.context.gas_used_before for w in mine] == [0, *cumulative[:-1]]


def test_the_witness_names_what_each_kind_of_transaction_touches(witnesses: list[TransactionWitness]) -> None:
    counter_call = witnesses[4]  # block 1: two deposits, two transfers, then the call
    touched = counter_call.touched()
    assert touched[COUNTER] == (0, 1, 2)  # slot 9 is never read
    assert {OTHER, CODE_HOLDER, b"\x00" * 19 + b"\x02", SEQUENCER_FEE_VAULT} <= set(touched)
    counter = next(a for a in counter_call.accounts if a.address == COUNTER)
    # Pre-state values: the deposit calling COUNTER ran first (slot0 = 1, slot1 = DEPOSITOR, slot2 deleted).
    assert [(s.key, s.value) for s in counter.slots] == [(0, 1), (1, int.from_bytes(DEPOSITOR, "big")), (2, 0)]
    assert next(a for a in counter_call.accounts if a.address == CODE_HOLDER).code_read
    assert not next(a for a in counter_call.accounts if a.address == OTHER).code_read
    destroyed = witnesses[7]  # block 2: a deposit, then the self-destructing creation
    created = next(a for a in destroyed.accounts if not a.exists and a.address not in (BENEFICIARY, SEQUENCER_FEE_VAULT))
    assert created.balance == 0 and created.slots == ()
    assert BENEFICIARY in destroyed.touched()


def test_a_state_of_only_the_witness_gives_the_same_result(chain: Chain, witnesses: list[TransactionWitness]) -> None:
    """Completeness (same post values) and exactness (the re-execution reads every witnessed item
    and nothing else) of every witness."""
    for witness in witnesses:
        header = chain.header_by_number(witness.block_number)
        tx = chain.transactions(header.hash)[witness.index]

        # The full state after the transaction: the block replayed up to it.
        full = chain.replay_vm(header)
        running = full.get_header()
        for earlier in chain.transactions(header.hash)[: witness.index + 1]:
            receipt, _ = full.apply_transaction(running, earlier)
            running = full.add_receipt_to_header(running, receipt)
        expected_gas = receipt.gas_used - witness.context.gas_used_before

        # A state holding only the witnessed accounts and slots.
        minimal_db = AtomicDB(MemoryDB())
        accounts = AccountDB(minimal_db, BLANK_ROOT_HASH)
        for account in witness.accounts:
            if account.exists:
                accounts.set_balance(account.address, account.balance)
                accounts.set_nonce(account.address, account.nonce)
                accounts.set_code(account.address, account.code)
                for slot in account.slots:
                    if slot.value:
                        accounts.set_storage(account.address, slot.key, slot.value)
        accounts.persist()
        # Headers (BLOCKHASH) from the chain; the state only from minimal_db (a missing account is absent).
        for number in range(witness.block_number):
            parent = chain.header_by_number(number)
            minimal_db[parent.hash] = chain.db[parent.hash]
        header_at = full.get_header().copy(state_root=accounts.state_root, gas_used=witness.context.gas_used_before)
        minimal = type(full)(header=header_at, chaindb=ChainDB(minimal_db), chain_context=full.chain_context,
                             consensus_context=full.consensus_context)
        minimal.state.persist()
        minimal_receipt, computation = minimal.apply_transaction(header_at, tx)
        meta = minimal.state.persist()

        assert computation.is_success == witness.success, witness.index
        assert minimal_receipt.gas_used - witness.context.gas_used_before == expected_gas == witness.gas_used
        for account in witness.accounts:
            a = account.address
            got = (minimal.state.account_exists(a), minimal.state.get_nonce(a), minimal.state.get_balance(a),
                   minimal.state.get_code_hash(a))
            want = (full.state.account_exists(a), full.state.get_nonce(a), full.state.get_balance(a),
                    full.state.get_code_hash(a))
            assert got == want, (witness.block_number, witness.index, a.hex())
            for slot in account.slots:
                assert minimal.state.get_storage(a, slot.key) == full.state.get_storage(a, slot.key)
        assert set(meta.accounts_queried) == {a.address for a in witness.accounts}, (witness.block_number, witness.index)
        for account in witness.accounts:
            assert set(meta.get_slots_queried(account.address)) == {s.key for s in account.slots}


def test_abi_encodings_match_step_types(witnesses: list[TransactionWitness]) -> None:
    witness = witnesses[4]
    ((root, accounts),) = abi_decode([PRE_STATE_ABI], witness.pre_state_abi())
    assert root == witness.pre_state_root
    assert [to_canonical_address(a[0]) for a in accounts] == [a.address for a in witness.accounts]
    counter = next(a for a in accounts if to_canonical_address(a[0]) == COUNTER)
    assert counter[1:6] == (True, 0, 0, next(a.storage_root for a in witness.accounts if a.address == COUNTER), keccak(COUNTER_CODE))
    assert counter[6] == COUNTER_CODE and counter[7] == ((b"\0" * 32, (1).to_bytes(32, "big")),
                                                        ((1).to_bytes(32, "big"), DEPOSITOR.rjust(32, b"\0")),
                                                        ((2).to_bytes(32, "big"), b"\0" * 32))
    ((number, timestamp, base_fee, coinbase, randao, gas_limit, chain_id, gas_before, hashes),) = abi_decode(
        [BLOCK_CONTEXT_ABI], witness.context_abi())
    assert (number, chain_id, gas_before) == (1, GENESIS.chain_id, witness.context.gas_used_before)
    assert to_canonical_address(coinbase) == SEQUENCER_FEE_VAULT and hashes == (witness.context.block_hashes[0],)
    decoded = json.loads(json.dumps(witness.to_json()))
    assert decoded["preStateRoot"] == "0x" + witness.pre_state_root.hex()
    assert decoded["proofCosts"]["slots"] == hex(witness.proof_costs.slots) == "0x3"
    assert decoded["preStateAbi"] == "0x" + witness.pre_state_abi().hex()


def test_lantau_tx_witness_rpc(chain: Chain, witnesses: list[TransactionWitness]) -> None:
    method = witness_rpc_methods(chain)["lantau_txWitness"]

    def call(*params: str) -> Any:  # as the server calls it: params bound by the method's spec
        return asyncio.run(method.handler(None, *bind_params(list(params), method.params)))

    assert call("0x1", "0x4") == witnesses[4].to_json()
    with pytest.raises(InvalidParams, match="invalid argument 1"):
        call("0x1", "4")
    with pytest.raises(InvalidParams, match="no index 9"):
        call("0x2", "0x9")


def test_trie_nodes_come_from_the_trie_side(witnesses: list[TransactionWitness]) -> None:
    for witness in witnesses:
        assert witness.trie_nodes, witness.index
        assert any(keccak(node) == witness.pre_state_root for node in witness.trie_nodes)


def test_no_witness_for_a_missing_block_or_index(chain: Chain) -> None:
    with pytest.raises(WitnessError, match="no canonical block 9"):
        transaction_witness(chain, 9, 0)
    with pytest.raises(WitnessError, match="no index 7"):
        transaction_witness(chain, 2, 7)


def test_deposits_are_witnessed_too(witnesses: list[TransactionWitness]) -> None:
    kinds = [is_deposit(LantauVM.get_transaction_builder().decode(w.transaction)) for w in witnesses]
    assert kinds.count(True) == 3
    mint_only = witnesses[0]
    assert DEPOSITOR in mint_only.touched() and mint_only.success
