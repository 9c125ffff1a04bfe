"""The L1 proof libraries (`RLPReader`, `MerkleTrie`, `SecureMerkleTrie`) on a real EVM (anvil),
through `MerkleTrieHarness`, against two independent sources of tries and proofs:

- py-trie's `HexaryTrie`: seeded random tries with keys of random lengths sharing prefixes (so
  extensions, branches with values and keys that end at a branch appear) and values from 1 byte
  up (so nodes under 32 bytes are embedded in their parents). Its `get_proof` lists embedded
  nodes as their own elements; geth leaves them out, so each proof is also checked in that shape.
- anvil's own `eth_getProof`: an account against the block's stateRoot and storage slots against
  the account's storageHash, including absent accounts and slots.

The property checked everywhere: `get` returns the value the trie really holds, or reverts, and
it reverts with the named error the forgery calls for. Many cases run in one `eth_call`
(`getBatch`), each through an external self-call so that a revert is recorded, not fatal.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak
from eth_utils import to_checksum_address
from trie import HexaryTrie
from web3 import Web3
from web3.contract import Contract

from genesis.config import GenesisConfig
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from tests.harness.evm import Contracts, decode_custom_error

EMPTY_TRIE_ROOT = keccak(rlp.encode(b""))
BATCH_SIZE = 30
SEED = 20_240_611


@dataclass(frozen=True)
class Case:
    """One `get(key, proof, root)`; `expect` is the value, or `(error name, args)`, or for a
    proof that was not built for `key`, the set of answers a sound verifier may give."""

    key: bytes
    proof: tuple[bytes, ...]
    root: bytes
    expect: bytes | tuple[str, tuple[Any, ...]] | None = None
    true_value: bytes | None = None  # with expect None: the value may be returned, or a revert


def run_batch(harness: Contract, cases: Sequence[Case], *, secure: bool = False) -> list[tuple[bool, bytes]]:
    outcomes: list[tuple[bool, bytes]] = []
    for start in range(0, len(cases), BATCH_SIZE):
        chunk = cases[start : start + BATCH_SIZE]
        result = harness.functions.getBatch(
            [c.key for c in chunk], [list(c.proof) for c in chunk], [c.root for c in chunk], secure
        ).call()
        outcomes.extend((bool(ok), bytes(data)) for ok, data in result)
    return outcomes


def check_cases(harness: Contract, cases: Sequence[Case], *, secure: bool = False) -> None:
    abi = harness.abi
    failures = []
    for case, (ok, data) in zip(cases, run_batch(harness, cases, secure=secure), strict=True):
        if case.expect is None:  # soundness only: the true value or a revert, never a wrong value
            if ok and data != case.true_value:
                failures.append((case, f"returned {data.hex()} but the trie holds {case.true_value!r}"))
            continue
        if isinstance(case.expect, bytes):
            if not ok or data != case.expect:
                got = data.hex() if ok else decode_custom_error(abi, data)
                failures.append((case, f"expected value {case.expect.hex()}, got {got}"))
        else:
            got_error = None if ok else decode_custom_error(abi, data)
            if got_error != case.expect:
                failures.append((case, f"expected {case.expect}, got {got_error or data.hex()}"))
    assert not failures, f"{len(failures)} of {len(cases)} cases wrong, first: {failures[0]}"


# ---- py-trie tries ------------------------------------------------------------------------


def random_trie(rng: random.Random) -> dict[bytes, bytes]:
    """Keys of 0..40 bytes built on a few shared prefixes; values of 1..100 bytes, often tiny."""
    prefixes = [rng.randbytes(rng.randint(0, 3)) for _ in range(rng.randint(1, 4))]
    items: dict[bytes, bytes] = {}
    for _ in range(rng.randint(1, 40)):
        key = rng.choice(prefixes) + rng.randbytes(rng.choice([0, 1, 1, 1, 2, 2, 3, 4, 6, 8, 20, 32]))
        items[key] = rng.randbytes(rng.choice([1, 1, 1, 2, 3, 4, 8, 16, 31, 32, 33, 64, 100]))
    return items


def build(items: dict[bytes, bytes]) -> HexaryTrie:
    trie = HexaryTrie({})
    for key, value in items.items():
        trie[key] = value
    return trie


def pytrie_proof(trie: HexaryTrie, key: bytes) -> tuple[bytes, ...]:
    """py-trie's proof, node by node as RLP: embedded nodes are listed as their own elements."""
    return tuple(rlp.encode(node) for node in trie.get_proof(key))


def geth_shape(proof: tuple[bytes, ...]) -> tuple[bytes, ...]:
    """The same proof as geth gives it: nodes embedded in their parent are not repeated."""
    return proof[:1] + tuple(node for node in proof[1:] if len(node) >= 32)


def flip(proof: tuple[bytes, ...], rng: random.Random) -> tuple[tuple[bytes, ...], int]:
    index = rng.randrange(len(proof))
    node = bytearray(proof[index])
    node[rng.randrange(len(node))] ^= rng.randint(1, 255)
    return proof[:index] + (bytes(node),) + proof[index + 1 :], index


def absent_key(rng: random.Random, items: dict[bytes, bytes]) -> bytes:
    keys = list(items)
    while True:
        choice = rng.random()
        if choice < 0.4:  # a present key cut short: may end at an extension or a branch
            key = rng.choice(keys)[: rng.randint(0, 3)]
        elif choice < 0.8:  # a present key with something appended or its last byte changed
            base = rng.choice(keys)
            key = base + rng.randbytes(rng.randint(1, 3)) if rng.random() < 0.5 or not base else base[:-1] + bytes([base[-1] ^ 1])
        else:
            key = rng.randbytes(rng.randint(0, 33))
        if key not in items:
            return key


def pytrie_cases(rng: random.Random, items: dict[bytes, bytes]) -> list[Case]:
    trie = build(items)
    root = trie.root_hash
    keys = list(items)
    cases: list[Case] = []
    for key in rng.sample(keys, min(len(keys), 8)):
        proof = pytrie_proof(trie, key)
        geth = geth_shape(proof)
        value = items[key]
        cases.append(Case(key, proof, root, value))
        cases.append(Case(key, geth, root, value))
        # One flipped byte in any node: that node no longer hashes to what its parent commits to.
        for shape in (proof, geth):
            flipped, index = flip(shape, rng)
            cases.append(Case(key, flipped, root, ("InvalidNodeHash", (index,))))
        # Without its last element: still valid if that was an embedded node, else short.
        if len(proof) > 1:
            last_embedded = len(proof[-1]) < 32
            cases.append(Case(key, proof[:-1], root, value if last_embedded else ("MissingProofNode", (len(proof) - 1,))))
        # An element too many.
        cases.append(Case(key, proof + (proof[0],), root, ("UnusedProofNodes", (len(proof), len(proof) + 1))))
        # Another trie's root.
        cases.append(Case(key, proof, keccak(root), ("InvalidNodeHash", (0,))))
        # A proof built for another key: the true value of `other`, or a revert, never a lie.
        other = rng.choice(keys)
        cases.append(Case(other, proof, root, None, items[other]))
        cases.append(Case(other, geth, root, None, items[other]))
    for _ in range(4):
        key = absent_key(rng, items)
        proof = pytrie_proof(trie, key)
        cases.append(Case(key, proof, root, ("KeyNotFound", (key,))))
        cases.append(Case(key, geth_shape(proof), root, ("KeyNotFound", (key,))))
        # Any proof offered for an absent key reverts (it cannot prove a value that is not there).
        cases.append(Case(key, pytrie_proof(trie, rng.choice(keys)), root, None, None))
    return cases


def test_random_pytrie_proofs(mpt_harness: Contract) -> None:
    """Hundreds of seeded random cases: present keys (both proof shapes), flipped bytes, short and
    long proofs, wrong roots, proofs for other keys and absent keys."""
    rng = random.Random(SEED)
    cases: list[Case] = []
    node_kinds = {"embedded": 0, "branch_value": 0, "extension": 0}
    for _ in range(36):
        items = random_trie(rng)
        cases += pytrie_cases(rng, items)
        trie = build(items)
        for key in items:
            for node in trie.get_proof(key):
                node_kinds["embedded"] += len(rlp.encode(node)) < 32
                node_kinds["branch_value"] += len(node) == 17 and node[16] != b""
                node_kinds["extension"] += len(node) == 2 and node[0][0] >> 4 in (0, 1)
    # The generator really produces the node shapes the verifier must handle.
    assert all(count > 20 for count in node_kinds.values()), node_kinds
    assert len(cases) > 1000
    check_cases(mpt_harness, cases)


def test_every_single_byte_flip_of_one_proof_reverts(mpt_harness: Contract) -> None:
    """Exhaustively: flipping any bit pattern into any byte of any node of a 4+ node proof."""
    rng = random.Random(SEED + 1)
    items = {bytes([1, 2, i]) + rng.randbytes(30): rng.randbytes(40) for i in range(40)}
    items[b"\x01\x02\x05"] = b"\x07"  # a short key with a tiny value: an embedded leaf
    trie = build(items)
    key = next(k for k in items if len(trie.get_proof(k)) >= 3)
    proof = pytrie_proof(trie, key)
    cases = []
    for index, node in enumerate(proof):
        for position in range(len(node)):
            forged = bytearray(node)
            forged[position] ^= 1 << rng.randrange(8)
            cases.append(Case(key, proof[:index] + (bytes(forged),) + proof[index + 1 :], trie.root_hash, ("InvalidNodeHash", (index,))))
    assert len(cases) > 150
    check_cases(mpt_harness, cases)


def test_key_that_ends_at_a_branch(mpt_harness: Contract) -> None:
    """A key that is a prefix of other keys lives in a branch's value slot; an absent prefix ends
    at an empty value slot."""
    items = {b"\xab": b"prefix value", b"\xab\x01" + bytes(31): b"x" * 40, b"\xab\x02" + bytes(31): b"y" * 40}
    trie = build(items)
    proof = pytrie_proof(trie, b"\xab")
    assert [len(rlp.decode(n)) for n in proof] == [2, 17]  # extension, then the branch with the value
    check_cases(
        mpt_harness,
        [
            Case(b"\xab", proof, trie.root_hash, b"prefix value"),
            Case(b"\xab\x01" + bytes(31), pytrie_proof(trie, b"\xab\x01" + bytes(31)), trie.root_hash, b"x" * 40),
        ],
    )
    del trie[b"\xab"]
    check_cases(mpt_harness, [Case(b"\xab", pytrie_proof(trie, b"\xab"), trie.root_hash, ("KeyNotFound", (b"\xab",)))])


def with_nibble_changed(key: bytes, position: int) -> bytes:
    changed = bytearray(key)
    changed[position // 2] ^= 0x10 if position % 2 == 0 else 0x01
    return bytes(changed)


@pytest.mark.parametrize("branch_nibbles", [0, 1, 2])
def test_long_leaf_paths_compare_every_nibble(mpt_harness: Contract, branch_nibbles: int) -> None:
    """A leaf path of 80, 79 or 78 nibbles (starting at an even or odd nibble) against keys that
    differ from it in exactly one nibble, at every position: each is absent. The verifier
    compares up to 63 nibbles a word, so this pins every chunk boundary and both alignments."""
    key = bytes(range(0x11, 0x11 + 40))
    items = {key: b"v" * 40}
    for depth in range(branch_nibbles):  # neighbours that force a branch at nibble `depth`
        items[with_nibble_changed(key, depth)] = b"w" * 40
    trie = build(items)
    cases = [Case(key, pytrie_proof(trie, key), trie.root_hash, b"v" * 40)]
    for position in range(branch_nibbles, 80):
        absent = with_nibble_changed(key, position)
        cases.append(Case(absent, pytrie_proof(trie, absent), trie.root_hash, ("KeyNotFound", (absent,))))
    leaf = rlp.decode(pytrie_proof(trie, key)[-1])
    assert len(leaf) == 2 and len(leaf[0]) * 2 - (1 if leaf[0][0] & 0x10 else 2) == 80 - branch_nibbles
    check_cases(mpt_harness, cases)


def test_try_get_and_verify_inclusion(mpt_harness: Contract) -> None:
    rng = random.Random(SEED + 2)
    items = random_trie(rng) | {b"\x10\x20": b"\x33"}
    trie = build(items)
    root = trie.root_hash
    present = pytrie_proof(trie, b"\x10\x20")
    absent_key_ = b"\x10\x20\x30\x40\x50"
    absent = pytrie_proof(trie, absent_key_)
    f = mpt_harness.functions
    assert f.tryGet(b"\x10\x20", list(present), root).call() == [True, b"\x33"]
    assert f.tryGet(absent_key_, list(absent), root).call() == [False, b""]
    assert f.verifyInclusion(b"\x10\x20", b"\x33", list(present), root).call() is True
    assert f.verifyInclusion(b"\x10\x20", b"\x34", list(present), root).call() is False
    # An empty trie: geth proves any key with no nodes, py-trie with none as well.
    assert f.tryGet(b"\x01", [], EMPTY_TRIE_ROOT).call() == [False, b""]
    assert f.tryGet(b"\x01", [rlp.encode(b"")], EMPTY_TRIE_ROOT).call() == [False, b""]


def test_forged_nodes_with_valid_hashes(mpt_harness: Contract) -> None:
    """Nodes that hash correctly (the root is made from them) but are no valid trie nodes, or are
    no valid RLP: each gets its own named error."""
    key = b"\x12\x34"

    def leaf(path: Any, value: Any) -> bytes:  # a two-item node: leaf or extension by its flag
        return rlp.encode([path, value])

    big = b"\xee" * 32
    embedded_big = [b"\x20" + b"\x00" * 10, b"v" * 30]  # 45 bytes of RLP: must have been hashed
    forged: list[tuple[bytes, tuple[str, tuple[Any, ...]]]] = [
        (rlp.encode([b"\x20\x12\x34", b"v", b"x"]), ("InvalidNode", (0,))),  # three items
        (rlp.encode([]), ("InvalidNode", (0,))),  # no items
        (leaf(b"\x20\x12\x34", b""), ("InvalidNode", (0,))),  # a leaf with an empty value
        (leaf(b"\x40\x12\x34", b"v"), ("InvalidNode", (0,))),  # hex-prefix flag 4
        (leaf(b"\x21\x12\x34", b"v"), ("InvalidNode", (0,))),  # even flag, non-zero padding nibble
        (leaf(b"", b"v"), ("InvalidNode", (0,))),  # no hex-prefix byte at all
        (leaf([b"\x20"], b"v"), ("RLPNotAString", ())),  # path is a list
        (leaf(b"\x00", big), ("InvalidNode", (0,))),  # extension with an empty path
        (leaf(b"\x00\x12", b""), ("InvalidNode", (0,))),  # extension without a child
        (leaf(b"\x00\x12", b"\x00" * 31), ("InvalidNode", (0,))),  # child reference of 31 bytes
        (leaf(b"\x00\x12", embedded_big), ("InvalidNode", (0,))),  # embedded node of >= 32 bytes
        (bytes([0xC0 + 18]) + b"\x80" * 16 + b"\x81\x05", ("RLPNonCanonicalSingleByte", ())),  # inside a branch
        (b"\x81\x05", ("RLPNonCanonicalSingleByte", ())),  # the root is a string, and non-canonical
        (leaf(b"\x20\x12\x34", b"v") + b"\x00", ("RLPTrailingBytes", (6, 7))),
        (b"\xb8\x05hello", ("RLPNonCanonicalLength", ())),  # long form for 5 bytes
        (b"\xc3\x83ab", ("RLPTruncated", (4, 3))),  # an item inside claims more than the list holds
        (rlp.encode(b"not a list"), ("RLPNotAList", ())),
    ]
    cases = [Case(key, (node,), keccak(node), expect) for node, expect in forged]
    # A branch whose child slot for the key's first nibble (1) has no child: a valid exclusion.
    branch = rlp.encode([b""] * 17)
    cases.append(Case(key, (branch,), keccak(branch), ("KeyNotFound", (key,))))
    # Proofs that are empty or point past their end.
    cases.append(Case(key, (), keccak(b"x"), ("EmptyProof", ())))
    child = leaf(b"\x32\x34", b"w" * 40)  # odd leaf "234": the nibbles after "1"
    parent = rlp.encode([b""] + [keccak(child)] + [b""] * 15)
    cases.append(Case(key, (parent,), keccak(parent), ("MissingProofNode", (1,))))
    cases.append(Case(key, (parent, child), keccak(parent), b"w" * 40))
    check_cases(mpt_harness, cases)


# ---- RLPReader -----------------------------------------------------------------------------


def random_rlp_structure(rng: random.Random, depth: int = 0) -> Any:
    if depth < 3 and rng.random() < 0.3:
        return [random_rlp_structure(rng, depth + 1) for _ in range(rng.choice([0, 1, 2, 3, 17, 40]))]
    return rng.randbytes(rng.choice([0, 1, 1, 2, 20, 55, 56, 57, 200, 300]))


def test_rlp_reader_matches_pyrlp(mpt_harness: Contract) -> None:
    rng = random.Random(SEED + 3)
    f = mpt_harness.functions
    for _ in range(40):
        structure = [random_rlp_structure(rng) for _ in range(rng.choice([0, 1, 2, 17, 60]))]
        encoded = rlp.encode(structure)
        assert f.rlpReadList(encoded).call() == [rlp.encode(item) for item in structure]
    for size in (0, 1, 2, 55, 56, 255, 256, 70_000):
        payload = bytes([0x7F]) if size == 1 else rng.randbytes(size)
        assert f.rlpReadBytes(rlp.encode(payload)).call() == payload
    assert f.rlpReadBytes(b"\x00").call() == b"\x00"  # a byte below 0x80 is its own encoding
    assert f.rlpReadBytes(b"\x81\x80").call() == b"\x80"


@pytest.mark.parametrize(
    ("encoded", "error"),
    [
        (b"", ("RLPEmptyInput", ())),
        (b"\x83ab", ("RLPTruncated", (4, 3))),
        (b"\xb9\x01", ("RLPTruncated", (3, 2))),  # length of length cut short
        (b"\xb9\x00\x40" + b"a" * 64, ("RLPNonCanonicalLength", ())),  # leading zero in the length
        (b"\xb8\x37" + b"a" * 55, ("RLPNonCanonicalLength", ())),  # long form for 55 bytes
        (b"\xb8\x38" + b"a" * 55, ("RLPTruncated", (58, 57))),
        (b"\x81\x7f", ("RLPNonCanonicalSingleByte", ())),
        (b"\x82ab\x00", ("RLPTrailingBytes", (3, 4))),
        (b"\xc1\x01", ("RLPNotAString", ())),
    ],
)
def test_rlp_reader_refuses(mpt_harness: Contract, contracts: Contracts, encoded: bytes, error: tuple[str, tuple[Any, ...]]) -> None:
    assert contracts.revert_of(0, mpt_harness.functions.rlpReadBytes(encoded)) == error


def test_rlp_reader_refuses_lists(mpt_harness: Contract, contracts: Contracts) -> None:
    f = mpt_harness.functions
    assert contracts.revert_of(0, f.rlpReadList(b"\x83abc")) == ("RLPNotAList", ())
    assert contracts.revert_of(0, f.rlpReadList(b"\xf8\x02\x01\x02")) == ("RLPNonCanonicalLength", ())
    assert contracts.revert_of(0, f.rlpReadList(b"\xc3\x01\x82a")) == ("RLPTruncated", (3, 2))


# ---- anvil's eth_getProof ------------------------------------------------------------------


@pytest.fixture(scope="module")
def passer_with_withdrawals(contracts: Contracts) -> tuple[Contract, list[bytes]]:
    """An L2ToL1MessagePasser on anvil with 40 withdrawals, so its storage trie has some depth.
    Returns the contract and the storage slots of the recorded withdrawal hashes."""
    passer = contracts.deploy("L2ToL1MessagePasser")
    # The withdrawal gas bound the L2 genesis writes (slot 4); without it the passer refuses all.
    max_gas = GenesisConfig.load().alloc[L2_TO_L1_MESSAGE_PASSER].storage[4]
    contracts.anvil.rpc("anvil_setStorageAt", [passer.address, "0x" + (4).to_bytes(32, "big").hex(), "0x" + max_gas.to_bytes(32, "big").hex()])
    slots = []
    for i in range(40):
        receipt = contracts.ok(i % 10, passer.functions.initiateWithdrawal(contracts.address(3), 100_000 + i, bytes([i]) * i), value=i * 10**12)  # whole L1 units: the passer refuses dust
        (event,) = passer.events.MessagePassed().process_receipt(receipt)
        slots.append(keccak(event["args"]["withdrawalHash"] + bytes(32)))
    return passer, slots


def slot_hex(slot: bytes | int) -> str:
    """A storage slot as eth_getProof wants it: 32 bytes of hex (anvil refuses odd digit counts)."""
    return "0x" + (slot.to_bytes(32, "big") if isinstance(slot, int) else slot).hex()


def as_int(word: int | bytes) -> int:
    return word if isinstance(word, int) else int.from_bytes(bytes(word), "big")


def account_rlp(proof: Any) -> bytes:
    return rlp.encode([proof["nonce"], proof["balance"], bytes(proof["storageHash"]), bytes(proof["codeHash"])])


def test_account_and_storage_proofs_from_anvil(mpt_harness: Contract, contracts: Contracts, passer_with_withdrawals: tuple[Contract, list[bytes]]) -> None:
    passer, slots = passer_with_withdrawals
    w3 = contracts.w3
    block = w3.eth.get_block("latest")
    proof = w3.eth.get_proof(passer.address, [slot_hex(s) for s in slots[:5]] + [slot_hex(1)], block["number"])
    f = mpt_harness.functions
    address = bytes.fromhex(passer.address[2:])

    value = f.secureGet(address, [bytes(n) for n in proof["accountProof"]], bytes(block["stateRoot"])).call()
    assert value == account_rlp(proof)
    assert rlp.decode(value)[2] == bytes(proof["storageHash"]) != EMPTY_TRIE_ROOT

    storage_root = bytes(proof["storageHash"])
    for entry in proof["storageProof"]:
        nodes = [bytes(n) for n in entry["proof"]]
        slot_key = as_int(entry["key"]).to_bytes(32, "big")
        assert f.secureGet(slot_key, nodes, storage_root).call() == rlp.encode(as_int(entry["value"]))
        assert f.secureVerifyInclusion(slot_key, rlp.encode(as_int(entry["value"])), nodes, storage_root).call() is True
    assert [as_int(e["value"]) for e in proof["storageProof"]] == [1] * 5 + [40]  # slot 1: the nonce


def test_absent_account_and_slot_from_anvil(mpt_harness: Contract, contracts: Contracts, passer_with_withdrawals: tuple[Contract, list[bytes]]) -> None:
    passer, _ = passer_with_withdrawals
    w3 = contracts.w3
    block = w3.eth.get_block("latest")
    f = mpt_harness.functions
    nobody = to_checksum_address("0x" + "5a" * 20)
    missing = w3.eth.get_proof(nobody, [], block["number"])
    account_nodes = [bytes(n) for n in missing["accountProof"]]
    assert f.secureTryGet(bytes.fromhex(nobody[2:]), account_nodes, bytes(block["stateRoot"])).call() == [False, b""]

    empty_slot = (7).to_bytes(32, "big")
    proof = w3.eth.get_proof(passer.address, [slot_hex(7)], block["number"])
    nodes = [bytes(n) for n in proof["storageProof"][0]["proof"]]
    assert f.secureTryGet(empty_slot, nodes, bytes(proof["storageHash"])).call() == [False, b""]
    assert contracts.revert_of(0, f.secureGet(empty_slot, nodes, bytes(proof["storageHash"])))[0] == "KeyNotFound"

    # An EOA: empty storage trie, and its account proves as rlp([nonce, balance, emptyRoot, emptyCode]).
    eoa = contracts.address(4)
    eoa_proof = w3.eth.get_proof(eoa, [slot_hex(7)], block["number"])
    assert bytes(eoa_proof["storageHash"]) == EMPTY_TRIE_ROOT
    value = f.secureGet(bytes.fromhex(eoa[2:]), [bytes(n) for n in eoa_proof["accountProof"]], bytes(block["stateRoot"])).call()
    assert value == account_rlp(eoa_proof)
    storage_nodes = [bytes(n) for n in eoa_proof["storageProof"][0]["proof"]]
    assert f.secureTryGet(empty_slot, storage_nodes, EMPTY_TRIE_ROOT).call() == [False, b""]


def test_anvil_proofs_with_a_flipped_byte_revert(mpt_harness: Contract, contracts: Contracts, passer_with_withdrawals: tuple[Contract, list[bytes]]) -> None:
    passer, slots = passer_with_withdrawals
    w3 = contracts.w3
    block = w3.eth.get_block("latest")
    proof = w3.eth.get_proof(passer.address, [slot_hex(s) for s in slots], block["number"])
    rng = random.Random(SEED + 4)
    cases = []
    account_nodes = tuple(bytes(n) for n in proof["accountProof"])
    address = bytes.fromhex(passer.address[2:])
    cases.append(Case(address, account_nodes, bytes(block["stateRoot"]), account_rlp(proof)))
    for _ in range(20):
        forged, index = flip(account_nodes, rng)
        cases.append(Case(address, forged, bytes(block["stateRoot"]), ("InvalidNodeHash", (index,))))
    storage_root = bytes(proof["storageHash"])
    for slot, entry in zip(slots, proof["storageProof"], strict=True):
        nodes = tuple(bytes(n) for n in entry["proof"])
        cases.append(Case(slot, nodes, storage_root, b"\x01"))
        forged, index = flip(nodes, rng)
        cases.append(Case(slot, forged, storage_root, ("InvalidNodeHash", (index,))))
    check_cases(mpt_harness, cases, secure=True)


def test_withdrawal_proof_end_to_end(mpt_harness: Contract, contracts: Contracts, passer_with_withdrawals: tuple[Contract, list[bytes]]) -> None:
    """What the portal will check, on anvil standing in for the L2: the output root of a block
    commits to the passer's storage root, in which the withdrawal's slot holds 1."""
    from node.output_root import output_root, withdrawal_storage_key

    passer, _ = passer_with_withdrawals
    receipt = contracts.ok(2, passer.functions.initiateWithdrawal(contracts.address(5), 250_000, b"hello"), value=10**18)
    (event,) = passer.events.MessagePassed().process_receipt(receipt)
    slot = withdrawal_storage_key(event["args"]["withdrawalHash"])
    w3 = contracts.w3
    block = w3.eth.get_block(receipt["blockNumber"])
    proof = w3.eth.get_proof(passer.address, [slot_hex(slot)], block["number"])
    root = output_root(bytes(block["stateRoot"]), bytes(proof["storageHash"]), bytes(block["hash"]))
    assert mpt_harness.functions.outputRoot(bytes(block["stateRoot"]), bytes(proof["storageHash"]), bytes(block["hash"])).call() == root
    nodes = [bytes(n) for n in proof["storageProof"][0]["proof"]]
    assert mpt_harness.functions.secureVerifyInclusion(slot, b"\x01", nodes, bytes(proof["storageHash"])).call() is True


def test_gas_of_a_storage_proof(mpt_harness: Contract, contracts: Contracts, passer_with_withdrawals: tuple[Contract, list[bytes]], record_property: Any) -> None:
    """Gas of `SecureMerkleTrie.get` for a storage proof of the 41-slot passer (3-4 nodes),
    printed for the record; the bound only catches a gross regression."""
    passer, slots = passer_with_withdrawals
    proof = contracts.w3.eth.get_proof(passer.address, [slot_hex(slots[0])], "latest")
    nodes = [bytes(n) for n in proof["storageProof"][0]["proof"]]
    value, gas = mpt_harness.functions.measureGet(slots[0], nodes, bytes(proof["storageHash"]), True).call()
    assert value == b"\x01"
    record_property("storage_proof_nodes", len(nodes))
    record_property("merkle_trie_get_gas", gas)
    print(f"SecureMerkleTrie.get: {gas} gas for a storage proof of {len(nodes)} nodes ({sum(map(len, nodes))} bytes)")
    assert gas < 60_000
