"""`WitnessDB.load` / `commit` (contracts/src/L1/proof/) on anvil against py-evm's own state.

A state is built with py-evm's `AccountDB` (accounts with code and storage, a storage trie deep
enough for collapses), then changed in py-evm as a transaction would change it: balances and
nonces, new slots, changed slots, cleared slots (deletes that collapse branches), an account
deleted, an account created with storage, an account's storage reset and rewritten. The node set
comes from `prover.trie_witness.state_witness`; `load` must return py-evm's values, and `commit`
of the same diffs must return py-evm's post-state root. Every bad witness is refused by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import rlp
from eth.constants import BLANK_ROOT_HASH
from eth.db.account import AccountDB
from eth.rlp.accounts import Account
from eth.db.atomic import AtomicDB
from eth_hash.auto import keccak
from eth_typing import Address
from eth_utils import to_checksum_address
from trie import HexaryTrie
from web3.contract import Contract

from prover.trie_witness import state_witness
from tests.harness.evm import Contracts

CODE_A = bytes.fromhex("6080604052348015600f57600080fd5b50")
CODE_B = bytes.fromhex("60016000556002600155")


def _address(n: int) -> Address:
    return Address(n.to_bytes(20, "big"))


ALICE, BOB, TOKEN, VAULT, DOOMED, FRESH, RESET, ABSENT = (_address(n) for n in (0xA1, 0xB0, 0x70, 0x7A, 0xD0, 0xF0, 0xE5, 0xAB))
TOKEN_SLOTS = range(0, 40)  # a storage trie of 40 leaves: branches that collapse when slots clear


@dataclass
class Scenario:
    db: AtomicDB
    pre_root: bytes
    post_root: bytes
    touched: dict[Address, list[int]]
    diffs: list[tuple]  # StepTypes.AccountDiff tuples


@pytest.fixture(scope="module")
def harness(contracts: Contracts) -> Contract:
    return contracts.deploy("WitnessDBHarness")


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    db = AtomicDB()
    state = AccountDB(db)
    state.set_balance(ALICE, 10**21)
    state.set_nonce(ALICE, 7)
    state.set_balance(BOB, 5)
    state.set_code(TOKEN, CODE_A)
    state.set_nonce(TOKEN, 1)
    for slot in TOKEN_SLOTS:
        state.set_storage(TOKEN, slot, (slot + 1) * 0x1_0000_0000_0000_0000_0000)
    state.set_code(VAULT, CODE_B)
    state.set_storage(VAULT, 1, 1)
    state.set_balance(DOOMED, 3)
    state.set_storage(RESET, 5, 55)
    state.set_storage(RESET, 6, 66)
    state.set_balance(RESET, 1)
    state.persist()
    pre_root = state.state_root

    post = AccountDB(db, pre_root)
    post.set_balance(ALICE, 10**21 - 12345)
    post.set_nonce(ALICE, 8)
    post.set_balance(BOB, 5 + 12000)
    cleared = [3, 4, 5, 17, 18, 30, 31, 32, 33, 34, 35]
    for slot in cleared:
        post.set_storage(TOKEN, slot, 0)
    post.set_storage(TOKEN, 1, 0xFFFF)  # changed
    post.set_storage(TOKEN, 1000, 7)  # new
    post.set_storage(VAULT, 1, 0)  # its only slot: storage back to the empty trie
    post.delete_account(DOOMED)
    post.set_code(FRESH, CODE_B)
    post.set_nonce(FRESH, 1)
    post.set_storage(FRESH, 0, 1)
    post.set_storage(FRESH, 1, 2)
    post.delete_storage(RESET)
    post.set_nonce(RESET, 1)
    post.set_storage(RESET, 6, 6)
    post.persist()
    post_root = post.state_root

    def diff(address: Address, slots: list[tuple[int, int]], *, deleted: bool = False, reset: bool = False) -> tuple:
        return (
            to_checksum_address(address),
            deleted,
            reset,
            post.get_nonce(address),
            post.get_balance(address),
            post.get_code_hash(address),
            [(s.to_bytes(32, "big"), v.to_bytes(32, "big")) for s, v in slots],
        )

    diffs = [
        diff(TOKEN, [(s, 0) for s in cleared] + [(1, 0xFFFF), (1000, 7)]),
        diff(ALICE, []),
        diff(DOOMED, [], deleted=True),
        diff(BOB, []),
        diff(VAULT, [(1, 0)]),
        diff(FRESH, [(0, 1), (1, 2)], reset=True),
        diff(RESET, [(6, 6)], reset=True),
    ]
    touched = {
        ALICE: [],
        BOB: [],
        TOKEN: [*cleared, 1, 2, 1000],
        VAULT: [1],
        DOOMED: [],
        FRESH: [0, 1],
        RESET: [5, 6],
        ABSENT: [9],
    }
    return Scenario(db, pre_root, post_root, touched, diffs)


def _post_state(diffs: list[tuple]) -> tuple:
    return (diffs, True, 21000, b"\x00" * 32)


def test_commit_reaches_py_evm_post_root(harness: Contract, scenario: Scenario) -> None:
    witness = state_witness(scenario.db, scenario.pre_root, scenario.touched, scenario.post_root)
    root = harness.functions.commit(scenario.pre_root, list(witness.nodes), _post_state(scenario.diffs)).call()
    assert root == scenario.post_root


def test_commit_in_any_diff_order_reaches_the_same_root(harness: Contract, scenario: Scenario) -> None:
    """Deletes run after writes, so the witness is the same for any order of the diffs."""
    witness = state_witness(scenario.db, scenario.pre_root, scenario.touched, scenario.post_root)
    reordered = [dict(zip(range(7), d)) for d in reversed(scenario.diffs)]
    diffs = [(*[d[i] for i in range(6)], list(reversed(d[6]))) for d in reordered]
    assert harness.functions.commit(scenario.pre_root, list(witness.nodes), _post_state(diffs)).call() == scenario.post_root


def test_witness_without_post_root_lacks_a_collapse_sibling(harness: Contract, contracts: Contracts, scenario: Scenario) -> None:
    """The proofs of the touched keys alone do not suffice: clearing slots collapses branches
    onto siblings no cleared slot's path holds."""
    proofs_only = state_witness(scenario.db, scenario.pre_root, scenario.touched)
    name, _ = contracts.revert_of(0, harness.functions.commit(scenario.pre_root, list(proofs_only.nodes), _post_state(scenario.diffs)))
    assert name == "MissingTrieNode"


def test_load_returns_py_evm_values(harness: Contract, scenario: Scenario) -> None:
    witness = state_witness(scenario.db, scenario.pre_root, scenario.touched)
    pre = harness.functions.load(scenario.pre_root, list(witness.nodes), witness.abi_accounts()).call()
    state = AccountDB(scenario.db, scenario.pre_root)
    root, accounts = pre
    assert root == scenario.pre_root
    assert [a[0] for a in accounts] == [to_checksum_address(a) for a in sorted(scenario.touched)]
    for addr, exists, nonce, balance, storage_root, code_hash, code, slots in accounts:
        address = Address(bytes.fromhex(addr[2:]))
        assert exists == state.account_exists(address)
        assert (nonce, balance) == (state.get_nonce(address), state.get_balance(address))
        if exists:
            leaf = rlp.decode(HexaryTrie(scenario.db, scenario.pre_root).get(keccak(address)), sedes=Account)
            assert storage_root == leaf.storage_root
            assert (code_hash, code) == (state.get_code_hash(address), state.get_code(address))
        else:
            assert (storage_root, code_hash, code) == (b"\x00" * 32, b"\x00" * 32, b"")
        assert [(int.from_bytes(k, "big"), int.from_bytes(v, "big")) for k, v in slots] == [
            (s, state.get_storage(address, s)) for s in sorted(scenario.touched[address])
        ]
    assert any(int.from_bytes(v, "big") for a in accounts for _, v in a[7])  # real values were read


def test_load_then_commit_on_one_node_set(harness: Contract, scenario: Scenario) -> None:
    witness = state_witness(scenario.db, scenario.pre_root, scenario.touched, scenario.post_root)
    root, load_gas, commit_gas = harness.functions.loadAndCommit(
        scenario.pre_root, list(witness.nodes), witness.abi_accounts(), _post_state(scenario.diffs)
    ).call()
    assert root == scenario.post_root
    assert load_gas > 0 and commit_gas > 0


# ---- bad witnesses --------------------------------------------------------------------------


def _load_error(harness: Contract, contracts: Contracts, root: bytes, nodes: list[bytes], accounts: list) -> tuple:
    return contracts.revert_of(0, harness.functions.load(root, nodes, accounts))


def test_bad_witnesses_are_refused_by_name(harness: Contract, contracts: Contracts, scenario: Scenario) -> None:
    witness = state_witness(scenario.db, scenario.pre_root, scenario.touched)
    nodes = list(witness.nodes)
    accounts = witness.abi_accounts()
    token = next(i for i, a in enumerate(accounts) if a[0] == TOKEN)
    absent = next(i for i, a in enumerate(accounts) if a[0] == ABSENT)

    wrong_code = [*accounts]
    wrong_code[token] = (TOKEN, CODE_B, accounts[token][2])
    assert _load_error(harness, contracts, scenario.pre_root, nodes, wrong_code) == (
        "WrongCodeHash", (to_checksum_address(TOKEN), keccak(CODE_A), keccak(CODE_B))
    )
    code_for_absent = [*accounts]
    code_for_absent[absent] = (ABSENT, CODE_B, [])
    assert _load_error(harness, contracts, scenario.pre_root, nodes, code_for_absent) == (
        "WrongCodeHash", (to_checksum_address(ABSENT), b"\x00" * 32, keccak(CODE_B))
    )
    twice = [accounts[0], *accounts]
    assert _load_error(harness, contracts, scenario.pre_root, nodes, twice) == ("DuplicateWitness", (to_checksum_address(accounts[0][0]),))
    unsorted = [accounts[1], accounts[0], *accounts[2:]]
    assert _load_error(harness, contracts, scenario.pre_root, nodes, unsorted) == ("UnsortedWitness", (to_checksum_address(accounts[0][0]),))
    slots = accounts[token][2]
    dup_slot = [*accounts]
    dup_slot[token] = (TOKEN, CODE_A, [slots[0], *slots])
    assert _load_error(harness, contracts, scenario.pre_root, nodes, dup_slot) == ("DuplicateSlotWitness", (to_checksum_address(TOKEN), slots[0]))
    unsorted_slots = [*accounts]
    unsorted_slots[token] = (TOKEN, CODE_A, [slots[1], slots[0], *slots[2:]])
    assert _load_error(harness, contracts, scenario.pre_root, nodes, unsorted_slots) == ("UnsortedSlotWitness", (to_checksum_address(TOKEN), slots[0]))

    # a witness for another pre-state root: its root node is not in this node set
    other_root = scenario.post_root
    assert _load_error(harness, contracts, other_root, nodes, accounts) == ("WitnessForAnotherRoot", (other_root,))
    # a node left out of the set
    state_root_node = scenario.db[scenario.pre_root]
    without_root_node = [n for n in nodes if n != state_root_node]
    assert _load_error(harness, contracts, scenario.pre_root, without_root_node, accounts) == (
        "WitnessForAnotherRoot", (scenario.pre_root,))
    # a forged node: a changed balance hashes to another node, which its parent does not name
    forged = [n for n in nodes]
    alice_leaf = next(n for n in nodes if rlp.encode(10**21) in n)
    forged[forged.index(alice_leaf)] = alice_leaf.replace(rlp.encode(10**21), rlp.encode(10**21 + 1))
    assert _load_error(harness, contracts, scenario.pre_root, forged, accounts)[0] == "MissingTrieNode"


def test_malformed_account_and_slot_values_are_refused(harness: Contract, contracts: Contracts) -> None:
    db: dict[bytes, bytes] = {}
    state = HexaryTrie(db)
    storage = HexaryTrie(db)
    storage.set(keccak((1).to_bytes(32, "big")), b"\x82\x00\x01")  # leading zero: not canonical
    good = rlp.encode([0, 1, storage.root_hash, keccak(b"")])
    state.set(keccak(ALICE), good)
    state.set(keccak(BOB), rlp.encode([0, 1, BLANK_ROOT_HASH]))  # three fields
    nodes = list(db.values())
    root = state.root_hash
    assert _load_error(harness, contracts, root, nodes, [(BOB, b"", [])]) == ("BadAccount", (to_checksum_address(BOB),))
    assert _load_error(harness, contracts, root, nodes, [(ALICE, b"", [(1).to_bytes(32, "big")])]) == (
        "BadStorageValue", (to_checksum_address(ALICE), (1).to_bytes(32, "big"))
    )
