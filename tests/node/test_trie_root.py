"""`ordered_trie_root` against py-evm's own trie code, which inserts the items one by one."""

from __future__ import annotations

import random

import pytest
import rlp
from eth.constants import BLANK_ROOT_HASH
from eth.db.trie import make_trie_root_and_nodes
from eth.vm.forks.prague import PragueVM
from eth_keys import keys
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st
from trie import HexaryTrie

from node.trie_root import ordered_trie_root

SIZES = [0, 1, 2, 15, 16, 17, 127, 128, 129, 500, 1000]


def hexary_trie_root(items: list[bytes]) -> bytes:
    """The independent answer: py-evm's `HexaryTrie`, one insert per item."""
    trie = HexaryTrie({})
    for index, item in enumerate(items):
        trie[rlp.encode(index)] = item
    return trie.root_hash


class _Encoded:
    """What `make_trie_root_and_nodes` takes: anything with `encode()`."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def encode(self) -> bytes:
        return self.data


def random_items(n: int, seed: int, max_size: int = 120) -> list[bytes]:
    rng = random.Random(seed)
    # Sizes from 1 byte (a leaf that is embedded in its parent) to well over 32.
    return [rng.randbytes(rng.randint(1, max_size)) for _ in range(n)]


def test_empty_trie_root_is_keccak_of_rlp_empty_string() -> None:
    assert ordered_trie_root([]) == BLANK_ROOT_HASH == keccak(b"\x80")


def test_single_item_root_by_hand() -> None:
    # One item: the root is a leaf with the whole key rlp(0) = 0x80 -> nibbles [8, 0], even
    # length, so hex-prefix 0x20 0x80; the node is rlp([0x2080, b"x"]) = c4 82 20 80 78.
    assert ordered_trie_root([b"x"]) == keccak(bytes.fromhex("c482208078"))


@pytest.mark.parametrize("n", SIZES)
def test_matches_make_trie_root_and_nodes_random_sizes(n: int) -> None:
    items = random_items(n, seed=n)
    expected, _ = make_trie_root_and_nodes(tuple(_Encoded(item) for item in items))
    assert ordered_trie_root(items) == expected == hexary_trie_root(items)


@pytest.mark.parametrize("n", SIZES)
def test_matches_hexary_trie_with_tiny_items(n: int) -> None:
    # 1–3 byte items make leaves, and even branches, shorter than 32 bytes: embedded nodes.
    items = random_items(n, seed=1000 + n, max_size=3)
    assert ordered_trie_root(items) == hexary_trie_root(items)


@pytest.mark.parametrize("n", SIZES)
def test_matches_hexary_trie_with_single_byte_items(n: int) -> None:
    # A byte < 0x80 is its own RLP: the smallest leaves there are.
    items = [bytes([index % 0x80]) for index in range(n)]
    assert ordered_trie_root(items) == hexary_trie_root(items)


def test_matches_hexary_trie_with_large_items() -> None:
    # Items over 55 bytes take RLP's long-string prefix, nodes over 55 bytes the long-list one.
    items = random_items(300, seed=7, max_size=5000)
    assert ordered_trie_root(items) == hexary_trie_root(items)


def test_empty_item_is_absent_like_a_hexary_trie_delete() -> None:
    items = [b"a", b"", b"c" * 40, b""]
    assert ordered_trie_root(items) == hexary_trie_root(items) == ordered_trie_root([b"a", b"", b"c" * 40])
    assert ordered_trie_root([b""]) == BLANK_ROOT_HASH


def test_order_matters() -> None:
    assert ordered_trie_root([b"a", b"b"]) != ordered_trie_root([b"b", b"a"])


def test_matches_transaction_and_receipt_roots_of_real_objects() -> None:
    """Signed transactions (legacy and EIP-1559) and receipts, as `build_block` passes them."""
    key = keys.PrivateKey(b"\x01" * 32)
    builder = PragueVM.get_transaction_builder()
    txs = []
    for nonce in range(130):
        if nonce % 2:
            unsigned = builder.new_unsigned_dynamic_fee_transaction(
                chain_id=4852, nonce=nonce, max_priority_fee_per_gas=1, max_fee_per_gas=10**10,
                gas=21_000, to=b"\x22" * 20, value=nonce, data=b"", access_list=(),
            )
        else:
            unsigned = builder.create_unsigned_transaction(
                nonce=nonce, gas_price=10**10, gas=21_000, to=b"\x22" * 20, value=nonce, data=b"",
            )
        txs.append(unsigned.as_signed_transaction(key, chain_id=4852) if nonce % 2 else unsigned.as_signed_transaction(key))
    receipt_builder = PragueVM.get_receipt_builder()
    receipts = [
        receipt_builder.decode(bytes(raw))
        for raw in (b"\x02" + rlp.encode([1, 21_000 * (i + 1), b"\x00" * 256, []]) for i in range(130))
    ]
    assert ordered_trie_root([tx.encode() for tx in txs]) == make_trie_root_and_nodes(txs)[0]
    assert ordered_trie_root([r.encode() for r in receipts]) == make_trie_root_and_nodes(receipts)[0]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.binary(min_size=0, max_size=70), max_size=300))
def test_matches_hexary_trie_property(items: list[bytes]) -> None:
    assert ordered_trie_root(items) == hexary_trie_root(items)
