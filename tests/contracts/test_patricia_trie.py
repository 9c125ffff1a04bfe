"""`PatriciaTrie` (contracts/src/L1/proof/) on a real EVM (anvil) against py-trie's `HexaryTrie`.

Differential: random sequences of insert / update / delete (hypothesis), with keys of lengths 1 to
8 drawn mostly from a few bytes so that they share prefixes (extensions, splits, keys that end at a
branch), values of 1 to 40 bytes (leaves under and over 32 bytes, so embedded and hashed nodes),
half the sequences ending by deleting every key left (down to the empty trie), a fifth of them in
the secure (keccak-keyed) variant. The root after every single update and the value of every key
at the end must equal py-trie's. `SEQUENCES_FROM_EMPTY` start from the empty trie (every node is
one the contract created); `SEQUENCES_FROM_WITNESS` start from a random trie known to the contract
only through the node set `prover.trie_witness.trie_witness` builds for that sequence, so a node a
delete needs and the witness lacks fails the test with `MissingTrieNode`.

Many sequences run in one `eth_call` (`runSequences`), each in its own external self-call.

Malformed nodes: each category of forgery is refused with its named error.
"""

from __future__ import annotations

import os
import random
from collections.abc import Sequence
from dataclasses import dataclass

import pytest
import rlp
from eth_hash.auto import keccak
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from web3.contract import Contract

from bridge.anvil import AnvilOptions
from prover.trie_witness import hexary_get, trie_witness
from tests.harness.evm import Contracts, decode_custom_error

EMPTY_ROOT = keccak(rlp.encode(b""))
CALL_GAS = 1_900_000_000
# 10,000 sequences in all by default; TRIE_DIFFERENTIAL_SCALE=0.1 runs a tenth (quick local runs).
_SCALE = float(os.environ.get("TRIE_DIFFERENTIAL_SCALE", "1"))
BATCH = 50
SEQUENCES_FROM_EMPTY = int(8_000 * _SCALE)
SEQUENCES_FROM_WITNESS = int(2_000 * _SCALE)


@pytest.fixture(scope="module")
def anvil_options() -> AnvilOptions:
    """Calls may burn ~2G gas: a batch of 50 sequences costs ~50-150M."""
    return AnvilOptions(extra_args=("--gas-limit", "2000000000"))


@pytest.fixture(scope="module")
def harness(contracts: Contracts) -> Contract:
    return contracts.deploy("PatriciaTrieHarness")


# ---- the differential --------------------------------------------------------------------------


@dataclass(frozen=True)
class TrieSequence:
    """Updates (key, value; b"" deletes) from `root`, whose nodes are `nodes`."""

    root: bytes
    nodes: tuple[bytes, ...]
    updates: tuple[tuple[bytes, bytes], ...]
    secure: bool

    def expected(self, db: dict[bytes, bytes]) -> tuple[list[bytes], list[bytes], list[bytes]]:
        """py-trie's root after each update, and the final value of every key touched."""
        trie = HexaryTrie(dict(db), self.root)
        roots = []
        for key, value in self.updates:
            trie_key = keccak(key) if self.secure else key
            if value:
                trie.set(trie_key, value)
            else:
                trie.delete(trie_key)
            roots.append(trie.root_hash)
        probes = sorted({key for key, _ in self.updates})
        return roots, probes, [hexary_get(trie, keccak(k) if self.secure else k) for k in probes]


_PREFIX_BYTES = st.sampled_from([0x00, 0x01, 0x10, 0x11, 0x1F, 0xA0, 0xFF])
KEYS = st.one_of(
    st.lists(_PREFIX_BYTES, min_size=1, max_size=5).map(bytes),
    st.binary(min_size=1, max_size=8),
)
VALUES = st.one_of(st.binary(min_size=1, max_size=4), st.binary(min_size=20, max_size=40))


@st.composite
def update_lists(draw: st.DrawFn, base_keys: Sequence[bytes] = ()) -> tuple[tuple[bytes, bytes], ...]:
    pool = draw(st.lists(KEYS, min_size=1, max_size=6, unique=True)) + list(base_keys)
    ops = draw(
        st.lists(
            st.tuples(st.sampled_from(pool), st.one_of(st.just(b""), VALUES, VALUES)),
            min_size=1,
            max_size=10,
        )
    )
    if draw(st.booleans()):  # then delete every key: down to the empty trie (from empty)
        ops += [(key, b"") for key in draw(st.permutations(pool))]
    return tuple(ops)


def run_and_compare(harness: Contract, sequences: Sequence[TrieSequence], db: dict[bytes, bytes]) -> int:
    """How many sequences matched py-trie (all, or an AssertionError names the first that did not)."""
    calls = []
    expected = []
    for seq in sequences:
        roots, probes, values = seq.expected(db)
        expected.append((roots, values))
        keys = [k for k, _ in seq.updates]
        calls.append((seq.root, list(seq.nodes), keys, [v for _, v in seq.updates], probes, seq.secure))
    outcomes = harness.functions.runSequences(calls).call({"gas": CALL_GAS})
    for seq, (ok, roots, values, revert), (want_roots, want_values) in zip(sequences, outcomes, expected, strict=True):
        assert ok, f"{seq} reverted {decode_custom_error(harness.abi, bytes(revert))}"
        got = [bytes(r) for r in roots]
        if got != want_roots:
            at = next(i for i, (a, b) in enumerate(zip(got, want_roots)) if a != b)
            raise AssertionError(f"root differs from py-trie's after update {at} of {seq}")
        assert [bytes(v) for v in values] == want_values, f"values differ from py-trie's after {seq}"
    return len(outcomes)


@settings(
    max_examples=max(1, SEQUENCES_FROM_EMPTY // BATCH),
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # shrinking a batch of 50 sequences takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(batch=st.lists(st.tuples(update_lists(), st.integers(0, 4)), min_size=BATCH, max_size=BATCH))
def test_sequences_from_the_empty_trie_match_py_trie(harness: Contract, batch: list) -> None:
    sequences = [TrieSequence(EMPTY_ROOT, (), ops, secure=(flag == 0)) for ops, flag in batch]
    assert run_and_compare(harness, sequences, {}) == len(sequences) == BATCH


def _random_trie(rng: random.Random, size: int) -> tuple[dict[bytes, bytes], bytes, list[bytes]]:
    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    keys = []
    for _ in range(size):
        key = bytes(rng.choice([0x00, 0x01, 0x10, 0x11, 0xA0, rng.randrange(256)]) for _ in range(rng.randint(1, 6)))
        trie.set(key, rng.randbytes(rng.choice([1, 3, 25, 33, 40])))
        keys.append(key)
    return db, trie.root_hash, keys


@settings(
    max_examples=max(1, SEQUENCES_FROM_WITNESS // BATCH),
    deadline=None,
    database=None,
    phases=(Phase.explicit, Phase.generate),  # shrinking a batch of 50 sequences takes minutes
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(seed=st.integers(0, 2**32), data=st.data())
def test_sequences_from_a_witnessed_trie_match_py_trie(harness: Contract, seed: int, data: st.DataObject) -> None:
    """From a random trie of 5-60 keys known only through the witness `trie_witness` builds for
    the sequence's keys and updates: the witness suffices for every collapse a delete causes."""
    rng = random.Random(seed)
    db, root, base_keys = _random_trie(rng, rng.randint(5, 60))
    sequences = []
    for _ in range(BATCH):
        ops = data.draw(update_lists(base_keys=rng.sample(base_keys, min(len(base_keys), 6))))
        nodes = trie_witness(db, root, [k for k, _ in ops], ops, in_order=True)
        sequences.append(TrieSequence(root, tuple(sorted(nodes)), ops, secure=False))
    assert run_and_compare(harness, sequences, db) == len(sequences) == BATCH


def test_witness_holds_only_needed_nodes_for_a_collapse(harness: Contract, contracts: Contracts) -> None:
    """Deleting two of a branch's three leaves collapses it onto the third, which lies on neither
    deleted key's path: the witness holds that sibling, and without it the delete reverts
    `MissingTrieNode(sibling hash)`."""
    db: dict[bytes, bytes] = {}
    trie = HexaryTrie(db)
    for key in (b"\x10", b"\x20", b"\x30"):
        trie.set(key, key * 40)  # distinct hashed leaves
    ops = ((b"\x10", b""), (b"\x20", b""))
    nodes = trie_witness(db, trie.root_hash, [], ops)
    sibling = rlp.encode([b"\x30", b"\x30" * 40])  # leaf of 0x30 under nibble 3: path [0], hex-prefix 0x30
    assert sibling in nodes and len(nodes) == 4  # root branch + the three leaves
    root = trie.root_hash
    call = harness.functions.runSequence((root, list(nodes), [k for k, _ in ops], [b"", b""], [], False))
    roots, _ = call.call({"gas": CALL_GAS})
    trie.delete(b"\x10")
    trie.delete(b"\x20")
    assert bytes(roots[-1]) == trie.root_hash
    without = [n for n in nodes if n != sibling]
    call = harness.functions.runSequence((root, without, [k for k, _ in ops], [b"", b""], [], False))
    assert contracts.revert_of(0, call) == ("MissingTrieNode", (keccak(sibling),))


# ---- malformed nodes -----------------------------------------------------------------------------


def _hp(nibbles: Sequence[int], leaf: bool) -> bytes:
    flag = (2 if leaf else 0) + len(nibbles) % 2
    if len(nibbles) % 2:
        first, rest = bytes([flag << 4 | nibbles[0]]), nibbles[1:]
    else:
        first, rest = bytes([flag << 4]), nibbles
    return first + bytes(rest[i] << 4 | rest[i + 1] for i in range(0, len(rest), 2))


def _branch(children: dict[int, bytes], value: bytes = b"") -> list[bytes]:
    return [children.get(i, b"") for i in range(16)] + [value]


LONG = b"L" * 40
LEAF_1 = rlp.encode([_hp([1], True), LONG])  # leaf of key 0x?1 under a branch, hashed


LEAF_2 = rlp.encode([_hp([2], True), LONG])


def _rooted(root_node: bytes, *others: bytes) -> tuple[bytes, list[bytes]]:
    return keccak(root_node), [root_node, *others]


def _list(payload: bytes) -> bytes:
    """An RLP list header (short form) over raw `payload`."""
    return bytes([0xC0 + len(payload)]) + payload


TWO_LEAVES = rlp.encode(_branch({0: keccak(LEAF_1), 1: keccak(LEAF_2)}))

# name: (root, nodes, key, operation, secure, expected error)
MALFORMED: dict[str, tuple[bytes, list[bytes], bytes, str, bool, tuple[str, tuple[object, ...]]]] = {
    "missing root": (keccak(b"absent"), [], b"\x01", "get", False, ("MissingTrieNode", (keccak(b"absent"),))),
    "missing child": (*_rooted(TWO_LEAVES, LEAF_2), b"\x01", "get", False, ("MissingTrieNode", (keccak(LEAF_1),))),
    "sibling missing for a collapse": (
        *_rooted(TWO_LEAVES, LEAF_1), b"\x01", "remove", False, ("MissingTrieNode", (keccak(LEAF_2),))
    ),
    "node not a list": (*_rooted(rlp.encode(b"x" * 40)), b"\x01", "get", False, ("NodeNotAList", ())),
    "truncated node": (*_rooted(rlp.encode([_hp([0, 1], True), LONG])[:-1]), b"\x01", "get", False, ("BadRLP", ())),
    "trailing bytes": (*_rooted(rlp.encode([_hp([0, 1], True), LONG]) + b"\x00"), b"\x01", "get", False, ("BadRLP", ())),
    "single byte as a one-byte string": (
        *_rooted(_list(rlp.encode(_hp([0, 1], True)) + b"\x81\x05")), b"\x01", "get", False, ("BadRLP", ())
    ),
    "long-form length under 56": (
        *_rooted(b"\xf8\x24" + rlp.encode(_hp([0, 1], True)) + rlp.encode(b"y" * 32)), b"\x01", "get", False, ("BadRLP", ())
    ),
    "three items": (*_rooted(rlp.encode([_hp([0, 1], True), LONG, b"x"])), b"\x01", "get", False, ("BadNodeItemCount", (3,))),
    "flag nibble 4": (*_rooted(rlp.encode([b"\x40\x01", LONG])), b"\x01", "get", False, ("BadHexPrefix", ())),
    "even path with padding nibble 5": (*_rooted(rlp.encode([b"\x25\x01", LONG])), b"\x01", "get", False, ("BadHexPrefix", ())),
    "empty hex-prefix": (*_rooted(rlp.encode([b"", LONG])), b"\x01", "get", False, ("BadHexPrefix", ())),
    "path a list": (*_rooted(rlp.encode([[b"\x20"], LONG])), b"\x01", "get", False, ("BadHexPrefix", ())),
    "empty extension path": (
        *_rooted(rlp.encode([b"\x00", keccak(TWO_LEAVES)]), TWO_LEAVES), b"\x01", "get", False, ("EmptyExtensionPath", ())
    ),
    "child of 5 bytes": (
        *_rooted(rlp.encode(_branch({0: b"12345", 1: keccak(LEAF_2)}))), b"\x01", "get", False, ("BadChildReference", ())
    ),
    "embedded child of 32 bytes": (
        *_rooted(rlp.encode(_branch({0: [_hp([1], True), b"z" * 29], 1: keccak(LEAF_2)}))),
        b"\x01",
        "get",
        False,
        ("BadChildReference", ()),
    ),
    "extension to nothing": (*_rooted(rlp.encode([_hp([0], False), b""])), b"\x01", "get", False, ("BadChildReference", ())),
    "extension to a leaf": (
        *_rooted(rlp.encode([_hp([0], False), keccak(LEAF_1)]), LEAF_1), b"\x01", "get", False, ("ExtensionChildNotBranch", ())
    ),
    "leaf value a list": (*_rooted(rlp.encode([_hp([0, 1], True), [b"a" * 40]])), b"\x01", "get", False, ("ValueNotAString", ())),
    "empty leaf value": (*_rooted(rlp.encode([_hp([0, 1], True), b""])), b"\x01", "get", False, ("EmptyLeafValue", ())),
    "value in a branch of a secure trie": (
        *_rooted(rlp.encode(_branch({0: keccak(LEAF_1), 1: keccak(LEAF_2)}, b"value"))), b"\x01", "get", True, ("ValueInBranch", ())
    ),
    "branch with one entry, emptied by a delete": (
        *_rooted(rlp.encode(_branch({}, b"only" * 10))), b"", "remove", False, ("DegenerateBranch", ())
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_witness_is_refused_with_its_named_error(harness: Contract, contracts: Contracts, name: str) -> None:
    root, nodes, key, operation, secure, error = MALFORMED[name]
    if operation == "get":
        call = harness.functions.get(root, nodes, key, secure)
    else:
        call = harness.functions.remove(root, nodes, key, secure)
    assert contracts.revert_of(0, call) == error


def test_update_and_insert_refuse_the_same_forgeries(harness: Contract, contracts: Contracts) -> None:
    """The walk of an update is the walk of a get: a forged node on the path is refused too."""
    root, nodes, key, _, _, error = MALFORMED["extension to a leaf"]
    assert contracts.revert_of(0, harness.functions.update(root, nodes, key, b"new", False)) == error
    root, nodes, key, _, _, error = MALFORMED["missing child"]
    assert contracts.revert_of(0, harness.functions.update(root, nodes, key, b"new", False)) == error
