"""Merkle witnesses for the one-step proof: the trie nodes `PatriciaTrie` and `WitnessDB`
(contracts/src/L1/proof/) need, read from a py-trie / py-evm node DB.

The witness is a *node set*: RLP-encoded trie nodes, unordered, deduplicated, the state trie's
and every storage trie's together; the contract finds each by its keccak256 hash (an embedded
node, under 32 bytes, sits inside its parent and is never listed).

Which nodes an operation needs (docs/fault-proofs.md, "Node set"):

- get, insert, update of key k: every node on k's path from the root to where the walk stops
  (the proof of k's value or of its absence);
- delete of k: that path, and for every branch the delete leaves with a single entry, that
  entry's child node (the sibling of k's path): the branch collapses into a leaf or an extension
  merged with that child, so its kind and path must be read. A chain of deletes can collapse a
  branch none of whose other children lies on a deleted path (delete two of three children), so
  the siblings are found by replaying the writes, not by a rule on one path.

`trie_witness` replays reads and writes on py-trie's `HexaryTrie` over a view of the DB that
records every node read from the DB (writes go to an overlay, the DB is never changed). py-trie
reads exactly the nodes above (its `_normalize_branch_node` reads the one remaining child), so the
recorded reads are the node set. `WitnessDB.commit` applies every update before every delete, in
each trie; with the deletes last, the nodes they need do not depend on the order of the diffs
(a branch only loses entries, so it collapses once, onto the entry that remains at the end), and
the replay uses that order too.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass

import rlp
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.rlp.accounts import Account
from eth_hash.auto import keccak
from eth_typing import Address, Hash32
from trie import HexaryTrie
from trie.exceptions import ValidationError

__all__ = ["AccountWitness", "OperationReads", "StateWitness", "hexary_get", "state_witness", "trie_witness"]


class _RecordingDB(MutableMapping[bytes, bytes]):
    """`base` seen read-only: reads are recorded, writes land in an overlay."""

    def __init__(self, base: Mapping[bytes, bytes]) -> None:
        self._base = base
        self._overlay: dict[bytes, bytes] = {}
        self.read: dict[bytes, bytes] = {}

    def __getitem__(self, key: bytes) -> bytes:
        if key in self._overlay:
            return self._overlay[key]
        value = self._base[key]
        self.read[key] = value
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._overlay[key] = value

    def __delitem__(self, key: bytes) -> None:
        self._overlay.pop(key, None)

    def __contains__(self, key: object) -> bool:
        return key in self._overlay or key in self._base

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._overlay)

    def __len__(self) -> int:
        return len(self._overlay)


class OperationReads:
    """Trie operations replayed, one by one, over a witness's own node set (`nodes`, looked up by
    hash; the nodes the operations create kept in an overlay), recording what each reads and
    creates, so that a run of them, sent as one chunk, gets exactly the nodes it needs: those it
    reads that no earlier operation of the chunk created (`WitnessDB.loadChunk`/`commitChunk`
    add every node they create to their node set)."""

    def __init__(self, nodes: Iterable[bytes]) -> None:
        self.db = _OperationDB({keccak(node): node for node in nodes})
        self.operations: list[tuple[frozenset[bytes], dict[bytes, bytes]]] = []  # (read hashes, created)

    def record(self, operation: Callable[[], object]) -> None:
        """Run `operation` (py-trie calls over `self.db`) as the next operation."""
        self.db.reads, self.db.created = set(), {}
        operation()
        self.operations.append((frozenset(self.db.reads), self.db.created))

    def chunk_nodes(self, start: int, stop: int) -> list[bytes]:
        """The nodes operations `start..stop-1` need, as one chunk (sorted: deterministic)."""
        created: set[bytes] = set()
        needed: set[bytes] = set()
        for read, made in self.operations[start:stop]:
            needed |= read - created
            created |= made.keys()
        return sorted(self.db.node(h) for h in needed)


class _OperationDB(_RecordingDB):
    """`_RecordingDB` that also records reads of the overlay (`reads`) and every write (`created`)."""

    def __init__(self, base: Mapping[bytes, bytes]) -> None:
        super().__init__(base)
        self.reads: set[bytes] = set()
        self.created: dict[bytes, bytes] = {}

    def node(self, key: bytes) -> bytes:
        return self._overlay[key] if key in self._overlay else self._base[key]

    def __getitem__(self, key: bytes) -> bytes:
        value = self.node(key)
        self.reads.add(key)
        return value

    def __setitem__(self, key: bytes, value: bytes) -> None:
        super().__setitem__(key, value)
        self.created[key] = value


def trie_witness(
    db: Mapping[bytes, bytes],
    root: Hash32 | bytes,
    reads: Iterable[bytes] = (),
    writes: Sequence[tuple[bytes, bytes]] = (),
    *,
    in_order: bool = False,
) -> set[bytes]:
    """The nodes of the trie at `root` (nodes in `db` by hash) that prove every key of `reads`
    (value or absence) and let `writes` ((key, value), an empty value deletes) be applied: by
    default as `WitnessDB.commit` applies them (every update, then every delete), with
    `in_order` in the order given (as `PatriciaTrie` applied one by one). Keys are trie keys as
    they are (a secure trie's caller hashes them)."""
    recording = _RecordingDB(db)
    trie = HexaryTrie(recording, root)
    for key in [*reads, *(key for key, _ in writes)]:
        hexary_get(trie, key)
    ordered = list(writes) if in_order else [w for w in writes if w[1]] + [w for w in writes if not w[1]]
    for key, value in ordered:
        if value:
            trie.set(key, value)
        else:
            trie.delete(key)
    return set(recording.read.values())


@dataclass(frozen=True, slots=True)
class AccountWitness:
    """One account `WitnessDB.load` proves: its code (empty if absent) and the slots read."""

    address: Address
    code: bytes
    slots: tuple[int, ...]  # ascending

    def abi(self) -> tuple[bytes, bytes, list[bytes]]:
        """As `WitnessDB.AccountWitness` (address, code, bytes32[] slots) for web3/eth_abi."""
        return (self.address, self.code, [slot.to_bytes(32, "big") for slot in self.slots])


@dataclass(frozen=True, slots=True)
class StateWitness:
    """The arguments of `WitnessDB.load` (and the nodes of `WitnessDB.commit`) besides the root."""

    nodes: tuple[bytes, ...]  #             the node set, sorted (deterministic)
    accounts: tuple[AccountWitness, ...]  # ascending by address, as `load` requires

    def abi_accounts(self) -> list[tuple[bytes, bytes, list[bytes]]]:
        return [account.abi() for account in self.accounts]


def state_witness(
    db: Mapping[bytes, bytes],
    pre_root: Hash32,
    accounts: Mapping[Address, Collection[int]],
    post_root: Hash32 | None = None,
) -> StateWitness:
    """The witness of `accounts` (address -> the slots read or written) in the state at
    `pre_root`, from a py-evm node DB (`db` holds trie nodes by hash and code by code hash, as
    py-evm's `AccountDB` writes them).

    With `post_root` (the state after the transaction, in the same DB) the node set also covers
    `WitnessDB.commit` of the diffs pre -> post of these accounts and slots: the nodes their
    deletes need. Every account and slot the transaction changed must be in `accounts`."""
    nodes: set[bytes] = set()
    state_writes: list[tuple[bytes, bytes]] = []
    witnesses = []
    for address in sorted(accounts):
        slots = tuple(sorted(set(accounts[address])))
        state_key = keccak(address)
        pre = _account(db, pre_root, state_key)
        code = b"" if pre is None else _code(db, pre.code_hash)
        witnesses.append(AccountWitness(address=address, code=code, slots=slots))
        slot_keys = [keccak(slot.to_bytes(32, "big")) for slot in slots]
        storage_root = BLANK_ROOT_HASH if pre is None else pre.storage_root
        storage_writes: list[tuple[bytes, bytes]] = []
        if post_root is not None:
            post = _account(db, post_root, state_key)
            if post != pre:
                state_writes.append((state_key, b"" if post is None else rlp.encode(post)))
            if post is not None:
                post_storage = HexaryTrie(db, post.storage_root)
                pre_storage = HexaryTrie(db, storage_root)
                for key in slot_keys:
                    value = post_storage.get(key)
                    if value != pre_storage.get(key):
                        storage_writes.append((key, value))
        if storage_root != BLANK_ROOT_HASH:
            nodes |= trie_witness(db, storage_root, slot_keys, storage_writes)
    nodes |= trie_witness(db, pre_root, [keccak(a) for a in accounts], state_writes)
    return StateWitness(nodes=tuple(sorted(nodes)), accounts=tuple(witnesses))


def hexary_get(trie: HexaryTrie, key: bytes) -> bytes:
    """`trie.get(key)`, also where py-trie 4.0 raises `ValidationError`: a key that ends inside an
    extension's path (only keys of different lengths can), which the trie does not hold."""
    try:
        return trie.get(key)
    except ValidationError:
        return b""


def _account(db: Mapping[bytes, bytes], state_root: Hash32, state_key: bytes) -> Account | None:
    encoded = HexaryTrie(db, state_root).get(state_key)
    return rlp.decode(encoded, sedes=Account) if encoded else None


def _code(db: Mapping[bytes, bytes], code_hash: bytes) -> bytes:
    return b"" if code_hash == EMPTY_SHA3 else db[code_hash]
