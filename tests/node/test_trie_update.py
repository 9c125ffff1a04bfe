"""`apply_trie_changes` and `BufferedHexaryTrie` against py-evm's `HexaryTrie`, which applies
the same writes one key at a time: same root after every round, and every key readable back
from the nodes written."""

from __future__ import annotations

import random

import pytest
from eth.constants import BLANK_ROOT_HASH
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode

from node.trie_update import BufferedHexaryTrie, apply_trie_changes


def _random_round(rng: random.Random, live: dict[bytes, bytes], key_pool: list[bytes], writes: int) -> dict[bytes, bytes]:
    changes: dict[bytes, bytes] = {}
    for _ in range(writes):
        key = rng.choice(key_pool)
        if live and rng.random() < 0.3:
            changes[rng.choice(sorted(live))] = b""  # delete a key that exists
        elif rng.random() < 0.05:
            changes[key] = b""  # delete a key that may not exist
        else:
            # Values from 1 byte (leaves embedded in their parent) to well over 32.
            changes[key] = rng.randbytes(rng.choice([1, 3, 20, 40, 70]))
    return changes


def _check_rounds(key_pool: list[bytes], rounds: int, writes: int, seed: int) -> None:
    rng = random.Random(seed)
    reference = HexaryTrie({})
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT_HASH
    live: dict[bytes, bytes] = {}
    for _ in range(rounds):
        changes = _random_round(rng, live, key_pool, writes)
        for key, value in changes.items():
            reference[key] = value
            if value:
                live[key] = value
            else:
                live.pop(key, None)
        root = apply_trie_changes(db, root, changes)
        assert root == reference.root_hash
        stored = HexaryTrie(db, root)
        assert all(stored[key] == value for key, value in live.items())
    assert root == (reference.root_hash if live else BLANK_ROOT_HASH)


@pytest.mark.parametrize("seed", range(6))
def test_hashed_keys_match_hexary_trie_round_by_round(seed: int) -> None:
    # State-trie shape: 32-byte hashed keys, many writes per round (a block).
    key_pool = [keccak(b"account %d" % index) for index in range(400)]
    _check_rounds(key_pool, rounds=8, writes=150, seed=seed)


@pytest.mark.parametrize("seed", range(6))
def test_short_and_prefix_keys_match_hexary_trie(seed: int) -> None:
    # Keys of 0-3 bytes, some prefixes of others: branch values, extensions split and merged.
    rng = random.Random(1000 + seed)
    key_pool = sorted({rng.randbytes(rng.randint(0, 3)) for _ in range(60)} | {b"", b"\x01", b"\x01\x02"})
    _check_rounds(key_pool, rounds=20, writes=12, seed=seed)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.dictionaries(st.binary(max_size=3), st.binary(max_size=40), max_size=12), min_size=1, max_size=5))
def test_any_rounds_of_writes_match_hexary_trie(rounds: list[dict[bytes, bytes]]) -> None:
    reference = HexaryTrie({})
    db: dict[bytes, bytes] = {}
    root = BLANK_ROOT_HASH
    for changes in rounds:
        for key, value in changes.items():
            reference[key] = value
        root = apply_trie_changes(db, root, changes)
        assert root == reference.root_hash


def test_deleting_every_key_gives_the_empty_root() -> None:
    keys = [keccak(b"%d" % index) for index in range(50)]
    db: dict[bytes, bytes] = {}
    root = apply_trie_changes(db, BLANK_ROOT_HASH, {key: b"value %d" % index for index, key in enumerate(keys)})
    assert root != BLANK_ROOT_HASH
    assert apply_trie_changes(db, root, {key: b"" for key in keys}) == BLANK_ROOT_HASH


def test_no_changes_keep_the_root_and_write_nothing() -> None:
    db: dict[bytes, bytes] = {}
    root = apply_trie_changes(db, BLANK_ROOT_HASH, {b"k": b"v" * 40})
    written = dict(db)
    assert apply_trie_changes(db, root, {}) == root and db == written


def test_missing_node_is_refused_by_name_and_the_stored_trie_is_intact() -> None:
    db: dict[bytes, bytes] = {}
    keys = [keccak(b"%d" % index) for index in range(40)]
    root = apply_trie_changes(db, BLANK_ROOT_HASH, {key: b"x" * 40 for key in keys})
    root_node = db.pop(root)
    with pytest.raises(MissingTrieNode):
        apply_trie_changes(db, root, {keys[0]: b"y" * 40})
    db[root] = root_node
    assert all(HexaryTrie(db, root)[key] == b"x" * 40 for key in keys)


def test_buffered_trie_reads_its_waiting_writes_and_applies_them_on_root_hash() -> None:
    db: dict[bytes, bytes] = {}
    reference = HexaryTrie({})
    trie = BufferedHexaryTrie(db)
    for index in range(30):
        trie[keccak(b"%d" % index)] = reference[keccak(b"%d" % index)] = b"v%d" % index
    del trie[keccak(b"3")]
    del reference[keccak(b"3")]
    assert trie[keccak(b"4")] == b"v4" and trie[keccak(b"3")] == b"" and keccak(b"3") not in trie
    assert db == {}  # nothing applied yet
    assert trie.root_hash == reference.root_hash
    assert trie[keccak(b"4")] == b"v4" and keccak(b"5") in trie  # read back from the nodes written


def test_buffered_trie_squash_that_raises_drops_its_writes() -> None:
    trie = BufferedHexaryTrie({})
    trie[b"a"] = b"1"
    with pytest.raises(RuntimeError):
        with trie.squash_changes() as squashed:
            squashed[b"b"] = b"2"
            raise RuntimeError("refused")
    reference = HexaryTrie({})
    reference[b"a"] = b"1"
    assert trie.root_hash == reference.root_hash and trie[b"b"] == b""
