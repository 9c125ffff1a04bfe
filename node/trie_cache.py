"""Flat reads of tries in memory, keyed by root: a key read once is not walked down again.

Each block gets a fresh py-evm state, so without this every account and storage slot a block
touches is first read by walking its trie from LevelDB (decoding 3-5 nodes), although the
previous block read or wrote the same keys a moment ago. `FlatTrieCache` keeps, per trie root,
the key -> value pairs read or written at that root; when a root's writes are applied
(`node.trie_update.BufferedHexaryTrie`), its pairs carry over to the new root with the writes
on top.

A root commits to the whole content of its trie, so an entry under a root can never be wrong:
not after a reorg (another branch's state has other roots), not after a restart (the cache is in
memory, and a root read again from disk is the same content), not across databases or tries
(two tries with one root hold the same pairs). The cache only saves walks; a miss reads the
trie. It keeps the roots used last, at most `MAX_ROOTS` of them and `MAX_ENTRIES` pairs in all
(a root's pairs are copied to the next root, so each block's state root holds its own copy):
a few tens of MB, whatever the state's size.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Mapping

from eth.constants import BLANK_ROOT_HASH

MAX_ROOTS = 256
MAX_ENTRIES = 200_000
#: Pairs carried to a new root are copied below this size (the old root stays readable, as
#: RPC reads of the parent block while the next one is built); above it they are moved.
COPY_BELOW_ENTRIES = 20_000


class FlatTrieCache:
    """key -> value pairs of tries by root (b"" for a key the trie does not hold). Thread-safe."""

    def __init__(self, max_roots: int = MAX_ROOTS, max_entries: int = MAX_ENTRIES) -> None:
        self._roots: OrderedDict[bytes, dict[bytes, bytes]] = OrderedDict()
        self._max_roots = max_roots
        self._max_entries = max_entries
        self._entries = 0  # pairs under all roots
        self._lock = threading.Lock()

    def get(self, root: bytes, key: bytes) -> bytes | None:
        """The value of `key` in the trie at `root`, or None if not known here."""
        with self._lock:
            pairs = self._roots.get(root)
            return None if pairs is None else pairs.get(key)

    def put(self, root: bytes, key: bytes, value: bytes) -> None:
        """Record what the trie at `root` holds at `key` (read from the trie itself)."""
        if root == BLANK_ROOT_HASH:
            return
        with self._lock:
            pairs = self._roots.get(root)
            if pairs is None:
                pairs = self._roots[root] = {}
            else:
                self._roots.move_to_end(root)
            if len(pairs) >= self._max_entries:  # one root alone at the bound starts over
                self._entries -= len(pairs)
                pairs.clear()
            if key not in pairs:
                self._entries += 1
            pairs[key] = value
            self._evict()

    def advance(self, old_root: bytes, new_root: bytes, changes: Mapping[bytes, bytes]) -> None:
        """`new_root` is `old_root` with `changes` applied (b"" deletes): carry the pairs over."""
        if new_root == BLANK_ROOT_HASH:
            return
        with self._lock:
            old = self._roots.get(old_root)
            if old is None:
                pairs = dict(changes)
            elif len(old) < COPY_BELOW_ENTRIES:
                pairs = {**old, **changes}
            else:
                pairs = self._roots.pop(old_root)
                self._entries -= len(pairs)
                pairs.update(changes)
            if len(pairs) > self._max_entries:
                pairs = dict(changes)
            replaced = self._roots.pop(new_root, None)
            if replaced is not None:
                self._entries -= len(replaced)
            self._roots[new_root] = pairs
            self._entries += len(pairs)
            self._evict()

    def clear(self) -> None:
        with self._lock:
            self._roots.clear()
            self._entries = 0

    @property
    def entries(self) -> int:
        """Pairs held under all roots."""
        return self._entries

    def _evict(self) -> None:
        """Drop the roots used longest ago until both bounds hold (the newest root stays: it is
        the one being read, and `put` keeps it under the entry bound)."""
        while len(self._roots) > 1 and (len(self._roots) > self._max_roots or self._entries > self._max_entries):
            _, pairs = self._roots.popitem(last=False)
            self._entries -= len(pairs)


#: The node's one cache: every buffered trie (state and storage, any chain) shares it.
FLAT_TRIE_CACHE = FlatTrieCache()
