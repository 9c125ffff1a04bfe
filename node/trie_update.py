"""Many writes to a stored Merkle-Patricia trie at once, each changed node hashed once.

py-evm writes a block's account and storage changes into its `HexaryTrie` key by key, and each
write re-encodes and re-hashes every node on the path to the root: the root of a 1,500-account
trie is hashed once per changed account. `apply_trie_changes` takes all of a block's writes
together, descends only into the subtrees they touch, and encodes each new node once. The trie
of a set of keys is unique, so the root is the one `HexaryTrie` computes (differential tests in
tests/node/test_trie_update.py, deletions included).

Nodes (as `node.trie_root` encodes them; keys are nibble strings, 0x00-0x0f per byte):

    leaf       [hex_prefix(path, leaf=True), value]
    extension  [hex_prefix(path, leaf=False), ref(child)]
    branch     [ref(child 0), …, ref(child 15), value or b""]

A child is referred to by the keccak of its RLP, or embedded if that RLP is under 32 bytes. New
nodes are written to the database keyed by their hash (the root always); old nodes are left in
place, as `HexaryTrie.squash_changes` leaves the nodes it started from.

`BufferedHexaryTrie` puts this behind `HexaryTrie`'s interface: writes wait in a dict and are
applied together when the root hash is asked for (`node.state_db`'s account database makes the
state and storage roots with it); reads go through `node.trie_cache`'s flat pairs by root first.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Iterator, Mapping, MutableMapping, Union

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth_hash.auto import keccak
from eth_typing import Hash32
from trie import HexaryTrie
from trie.exceptions import MissingTrieNode

from node.trie_cache import FLAT_TRIE_CACHE, FlatTrieCache
from node.trie_root import hex_prefix, nibbles_of, rlp_bytes, rlp_list

_EMPTY_SLOT = b"\x80"  # rlp(b""): an empty branch slot or branch value
_DIGITS_TO_NIBBLES = bytes.maketrans(b"0123456789abcdef", bytes(range(16)))

# A raw child reference as decoded from a stored node: a 32-byte hash or an embedded node (a list).
RawRef = Union[bytes, list]


@dataclass(slots=True)
class _Stored:
    """An unchanged child, kept as its parent referred to it (decoded only if needed)."""

    raw: RawRef


@dataclass(slots=True)
class _Leaf:
    path: bytes
    value: bytes


@dataclass(slots=True)
class _Extension:
    path: bytes
    child: "_Child"


@dataclass(slots=True)
class _Branch:
    children: list["_Child"]
    value: bytes


_Node = Union[_Leaf, _Extension, _Branch]
_Child = Union[_Node, _Stored, None]
_Changes = list[tuple[bytes, bytes]]  # (full nibble key, value; b"" deletes), sorted by key


def apply_trie_changes(db: MutableMapping[bytes, bytes], root_hash: Hash32, changes: Mapping[bytes, bytes]) -> Hash32:
    """The root of the trie at `root_hash` after `changes` (key -> value; an empty value deletes
    the key, as in `HexaryTrie`). New nodes are written to `db`; a node missing from `db` raises
    `trie.exceptions.MissingTrieNode`, as `HexaryTrie` does."""
    if not changes:
        return root_hash
    items = sorted((nibbles_of(key), value) for key, value in changes.items())
    root = None if root_hash == BLANK_ROOT_HASH else _load(db, root_hash, root_hash, items[0][0])
    new_root = _apply(db, root_hash, root, items, 0)
    if new_root is None:
        return BLANK_ROOT_HASH
    encoded = _encode(db, new_root)
    new_root_hash = Hash32(keccak(encoded))
    db[new_root_hash] = encoded
    return new_root_hash


# --- reading stored nodes --------------------------------------------------------------------


def _load(db: Mapping[bytes, bytes], root_hash: Hash32, node_hash: bytes, key: bytes) -> _Node | None:
    try:
        encoded = db[node_hash]
    except KeyError:
        raise MissingTrieNode(Hash32(node_hash), root_hash, _key_bytes(key)) from None
    return _parse(rlp.decode(encoded))


def _parse(raw: RawRef) -> _Node | None:
    if raw == b"":
        return None
    if len(raw) == 17:
        return _Branch([None if child == b"" else _Stored(child) for child in raw[:16]], raw[16])
    digits = raw[0].hex().encode().translate(_DIGITS_TO_NIBBLES)
    flag = digits[0]
    path = digits[1:] if flag & 1 else digits[2:]
    if flag & 2:
        return _Leaf(path, raw[1])
    return _Extension(path, _Stored(raw[1]))


def _resolve(db: Mapping[bytes, bytes], root_hash: Hash32, child: _Child, key: bytes) -> _Node | None:
    if not isinstance(child, _Stored):
        return child
    if isinstance(child.raw, list):  # embedded
        return _parse(child.raw)
    return _load(db, root_hash, child.raw, key)


def _key_bytes(nibbles: bytes) -> bytes:
    digits = bytes(nibbles).translate(bytes.maketrans(bytes(range(16)), b"0123456789abcdef"))
    return bytes.fromhex(digits.decode() + ("0" if len(digits) % 2 else ""))


# --- applying the changes --------------------------------------------------------------------


def _apply(db: MutableMapping[bytes, bytes], root_hash: Hash32, node: _Node | None, items: _Changes, depth: int) -> _Node | None:
    """`node` (at `depth` nibbles) with `items` (all under it) applied, normalised."""
    if node is None:
        return _build([item for item in items if item[1]], depth)
    if isinstance(node, _Leaf):
        # The leaf and the writes are all the keys under here: rebuild the subtree from them.
        leaf_key = items[0][0][:depth] + node.path
        merged = dict(items)
        merged.setdefault(leaf_key, node.value)
        return _build(sorted(item for item in merged.items() if item[1]), depth)
    if isinstance(node, _Extension):
        end = depth + len(node.path)
        if all(key[depth:end] == node.path for key, _ in items):
            child = _apply(db, root_hash, _resolve(db, root_hash, node.child, items[0][0]), items, end)
            return _prefixed(node.path, child)
        # A write leaves the extension's path: it becomes a branch at its first nibble.
        rest = node.path[1:]
        slot: _Child = _Extension(rest, node.child) if rest else node.child
        children: list[_Child] = [None] * 16
        children[node.path[0]] = slot
        node = _Branch(children, b"")
    children = list(node.children)
    value = node.value
    index = 0
    while index < len(items):
        key = items[index][0]
        if len(key) == depth:  # the branch's own value (never for fixed-length keys)
            value = items[index][1]
            index += 1
            continue
        nibble = key[depth]
        end = index + 1
        while end < len(items) and items[end][0][depth] == nibble:
            end += 1
        child = _resolve(db, root_hash, children[nibble], key)
        children[nibble] = _apply(db, root_hash, child, items[index:end], depth + 1)
        index = end
    occupied = [nibble for nibble in range(16) if children[nibble] is not None]
    if len(occupied) > 1 or (occupied and value):
        return _Branch(children, value)
    if not occupied:
        return _Leaf(b"", value) if value else None
    # One child and no value: the branch folds into its child's path.
    nibble = occupied[0]
    child_key = items[0][0][:depth] + bytes([nibble])
    return _prefixed(bytes([nibble]), _resolve(db, root_hash, children[nibble], child_key))


def _prefixed(path: bytes, child: _Node | None) -> _Node | None:
    """An extension by `path` to `child`, merged into it if it is a leaf or an extension."""
    if child is None:
        return None
    if isinstance(child, _Leaf):
        return _Leaf(path + child.path, child.value)
    if isinstance(child, _Extension):
        return _Extension(path + child.path, child.child)
    return _Extension(path, child)


def _build(items: _Changes, depth: int) -> _Node | None:
    """The subtree holding exactly `items` (sorted, values non-empty) below `depth` nibbles."""
    if not items:
        return None
    first_key, first_value = items[0]
    if len(items) == 1:
        return _Leaf(first_key[depth:], first_value)
    last_key = items[-1][0]
    shared = depth
    limit = min(len(first_key), len(last_key))
    while shared < limit and first_key[shared] == last_key[shared]:
        shared += 1
    if shared > depth:
        return _Extension(first_key[depth:shared], _build(items, shared))
    children: list[_Child] = [None] * 16
    value = b""
    index = 0
    if len(first_key) == depth:  # a key that ends here sorts first and is the branch's value
        value = first_value
        index = 1
    while index < len(items):
        nibble = items[index][0][depth]
        end = index + 1
        while end < len(items) and items[end][0][depth] == nibble:
            end += 1
        children[nibble] = _build(items[index:end], depth + 1)
        index = end
    return _Branch(children, value)


# --- encoding --------------------------------------------------------------------------------


def _encode(db: MutableMapping[bytes, bytes], node: _Node) -> bytes:
    if isinstance(node, _Leaf):
        return rlp_list(rlp_bytes(hex_prefix(node.path, is_leaf=True)) + rlp_bytes(node.value))
    if isinstance(node, _Extension):
        return rlp_list(rlp_bytes(hex_prefix(node.path, is_leaf=False)) + _ref(db, node.child))
    slots = b"".join(_ref(db, child) for child in node.children)
    return rlp_list(slots + (rlp_bytes(node.value) if node.value else _EMPTY_SLOT))


def _ref(db: MutableMapping[bytes, bytes], child: _Child) -> bytes:
    """How a parent refers to `child`: embedded under 32 bytes, else by hash (stored)."""
    if child is None:
        return _EMPTY_SLOT
    if isinstance(child, _Stored):
        return rlp.encode(child.raw) if isinstance(child.raw, list) else b"\xa0" + child.raw
    encoded = _encode(db, child)
    if len(encoded) < 32:
        return encoded
    node_hash = keccak(encoded)
    db[node_hash] = encoded
    return b"\xa0" + node_hash


# --- HexaryTrie's interface, writes applied together ------------------------------------------


class BufferedHexaryTrie:
    """A `HexaryTrie` whose writes wait until the root hash is read, then apply together.

    Reads see the waiting writes. As in `HexaryTrie`, writing b"" deletes a key and a missing
    key reads as b"". Only the interface py-evm's `AccountDB`, `HashTrie` and `StorageLookup`
    use is offered.
    """

    def __init__(
        self, db: MutableMapping[bytes, bytes], root_hash: Hash32 = BLANK_ROOT_HASH, prune: bool = False,
        *, cache: FlatTrieCache = FLAT_TRIE_CACHE,
    ) -> None:
        # `prune` is accepted for HexaryTrie's signature: old nodes are never deleted here,
        # as squash_changes never deletes nodes that existed before it started.
        self.db = db
        self._trie = HexaryTrie(db, root_hash)
        self._pending: dict[bytes, bytes] = {}
        self._cache = cache

    @property
    def root_hash(self) -> Hash32:
        if self._pending:
            pending, self._pending = self._pending, {}
            old_root = Hash32(self._trie.root_hash)
            self._trie.root_hash = apply_trie_changes(self.db, old_root, pending)
            self._cache.advance(old_root, self._trie.root_hash, pending)
        return Hash32(self._trie.root_hash)

    @root_hash.setter
    def root_hash(self, value: Hash32) -> None:
        self._pending = {}
        self._trie.root_hash = value

    def get(self, key: bytes) -> bytes:
        if key in self._pending:
            return self._pending[key]
        root = self._trie.root_hash
        value = self._cache.get(root, key)
        if value is None:
            value = self._trie.get(key)
            self._cache.put(root, key, value)
        return value

    def set(self, key: bytes, value: bytes) -> None:
        self._pending[key] = value

    def delete(self, key: bytes) -> None:
        self._pending[key] = b""

    def exists(self, key: bytes) -> bool:
        return self.get(key) != b""

    __getitem__ = get
    __setitem__ = set
    __delitem__ = delete
    __contains__ = exists

    @contextlib.contextmanager
    def squash_changes(self) -> Iterator["BufferedHexaryTrie"]:
        """Writes inside the block apply together or, if it raises, not at all."""
        saved = dict(self._pending)
        try:
            yield self
            self.root_hash  # noqa: B018  # apply now, inside the block, as HexaryTrie does
        except BaseException:
            self._pending = saved
            raise
