"""Root of an index-keyed Merkle-Patricia trie (transactions, receipts), built bottom-up.

A block's `transactions_root` and `receipts_root` commit to the trie that maps `rlp(i)` to the
i-th item. py-evm computes them by inserting the items one by one into a `HexaryTrie`, which
re-hashes the path to the root on every insert; this module builds the trie once from the
sorted keys instead, hashing each node exactly once (25x faster for a block of 500 items).

Node encodings (Yellow Paper, appendix D), with keys as nibble strings:

    leaf       rlp([hex_prefix(rest of key, leaf=True), value])
    extension  rlp([hex_prefix(shared nibbles, leaf=False), ref(child)])
    branch     rlp([ref(child 0), …, ref(child 15), value or b""])
    ref(node)  the node's own RLP, embedded, if it is shorter than 32 bytes, else keccak(rlp(node))

The root is `keccak(rlp(root node))` even when that RLP is shorter than 32 bytes, and the
empty trie's root is `keccak(rlp(b""))`.
"""

from __future__ import annotations

from typing import Sequence

from eth.constants import BLANK_ROOT_HASH
from eth_hash.auto import keccak
from eth_typing import Hash32

_EMPTY = b"\x80"  # rlp(b""): an empty branch slot or value


def ordered_trie_root(items: Sequence[bytes]) -> Hash32:
    """Root of the trie mapping `rlp(i)` to `items[i]`, as `make_trie_root_and_nodes` gives it.

    An empty item is left out of the trie, as writing `b""` to a `HexaryTrie` deletes the key.
    """
    # Sorting the keys' bytes sorts their nibble paths.
    pairs = sorted((_rlp_index(index), item) for index, item in enumerate(items) if item)
    if not pairs:
        return BLANK_ROOT_HASH
    nibble_pairs = [(nibbles_of(key), value) for key, value in pairs]
    return Hash32(keccak(_encode_node(nibble_pairs, 0, len(nibble_pairs), 0)))


def _rlp_index(index: int) -> bytes:
    """rlp(index) as an integer: the trie key of the index-th item."""
    if index == 0:
        return _EMPTY
    return rlp_bytes(index.to_bytes((index.bit_length() + 7) // 8, "big"))


def _encode_node(pairs: list[tuple[bytes, bytes]], start: int, stop: int, depth: int) -> bytes:
    """RLP of the node holding `pairs[start:stop]` (sorted, unique keys) below `depth` nibbles."""
    first_key, first_value = pairs[start]
    if stop - start == 1:
        return rlp_list(rlp_bytes(hex_prefix(first_key[depth:], is_leaf=True)) + rlp_bytes(first_value))

    # Sorted keys: the prefix all of them share is the prefix of the first and the last.
    last_key = pairs[stop - 1][0]
    shared = depth
    limit = min(len(first_key), len(last_key))
    while shared < limit and first_key[shared] == last_key[shared]:
        shared += 1
    if shared > depth:
        child = _encode_node(pairs, start, stop, shared)
        return rlp_list(rlp_bytes(hex_prefix(first_key[depth:shared], is_leaf=False)) + _ref(child))

    slots = [_EMPTY] * 16
    value = _EMPTY
    index = start
    if len(first_key) == depth:  # a key that ends here sorts first and is the branch's value
        value = rlp_bytes(first_value)
        index += 1
    while index < stop:
        nibble = pairs[index][0][depth]
        end = index + 1
        while end < stop and pairs[end][0][depth] == nibble:
            end += 1
        slots[nibble] = _ref(_encode_node(pairs, index, end, depth + 1))
        index = end
    return rlp_list(b"".join(slots) + value)


def _ref(encoded_node: bytes) -> bytes:
    """How a parent refers to a child: embedded if its RLP is under 32 bytes, else by hash."""
    if len(encoded_node) < 32:
        return encoded_node
    return b"\xa0" + keccak(encoded_node)


# Node encoding helpers, shared with `node.trie_update` (writes to a stored trie).
# Nibbles are held as bytes 0x00-0x0f; the hex digits of a key are its nibbles as text.
_HEX_DIGITS = b"0123456789abcdef"
_DIGIT_TO_NIBBLE = bytes.maketrans(_HEX_DIGITS, bytes(range(16)))
_NIBBLE_TO_DIGIT = bytes.maketrans(bytes(range(16)), _HEX_DIGITS)


def nibbles_of(key: bytes) -> bytes:
    return key.hex().encode().translate(_DIGIT_TO_NIBBLE)


def hex_prefix(nibbles: bytes, is_leaf: bool) -> bytes:
    """Compact (hex-prefix) encoding of a nibble path: flag nibble 2 for a leaf, +1 if odd."""
    digits = nibbles.translate(_NIBBLE_TO_DIGIT).decode()
    if len(nibbles) % 2:
        return bytes.fromhex(("3" if is_leaf else "1") + digits)
    return bytes.fromhex(("20" if is_leaf else "00") + digits)


def rlp_bytes(data: bytes) -> bytes:
    if len(data) == 1 and data[0] < 0x80:
        return data
    return _length_prefix(len(data), 0x80) + data


def rlp_list(payload: bytes) -> bytes:
    """RLP of a list whose items are already RLP-encoded and concatenated in `payload`."""
    return _length_prefix(len(payload), 0xC0) + payload


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    length_bytes = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(length_bytes)]) + length_bytes
