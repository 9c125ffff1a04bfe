"""The L2's account database: a flat view of accounts and storage slots over the state trie,
an undo log for checkpoints, and each trie updated once per state root.

py-evm's `AccountDB` stacks four layers per key (journal over cache over key logger over trie)
for accounts, and four more per storage slot of every account (journal over locked changes over
cache over lookup). Every checkpoint (one per transaction and one per call frame) records a
level in the account journal, the bytecode journal, the warm-access journal and the storage
journal of every account whose storage the block has written so far; every commit merges those
levels back, and every read walks down the layers.

Here the state is two dicts: address -> account (`FlatAccount`, or None for no account) and,
per address, slot -> value (`_StorageView`), holding what was read or written since this
database was opened. A write appends (what it changed, the value before) to one undo log, so a
checkpoint is the log's length, committing one is nothing, and discarding one undoes the log's
entries back to it. The tries are touched only to read a key not seen yet (through
`node.trie_cache`'s flat pairs, then the trie) and by `make_state_root`, which applies every
changed slot and account together (`node.trie_update.BufferedHexaryTrie`: each changed node
hashed once). Accounts are RLP-encoded from their fields by the compiled encoder
(`node.rlp_raw`). Code is kept by its hash (`CODE_CACHE`): a hash names one code, so a cached
code is never another one's.

What py-evm's `AccountDB` answers, this answers, at every checkpoint: the same state roots,
storage roots, trie nodes, and the same witness metadata from `persist` (accounts, slots and
bytecodes read). One difference, in a case only a genesis can set up: the original value of a
slot (EIP-2200's, `get_storage(..., from_journal=False)`) after the transaction wiped the storage
of an address that already held storage is the value the slot had when the transaction began
(as geth answers); py-evm answers 0 or an earlier transaction's write of that block.
tests/node/test_state_db.py runs shared state tests, whole blocks, and checkpoints nested and
discarded against py-evm's stock `AccountDB`.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable, NamedTuple, Optional

import rlp
from eth.abc import AtomicDatabaseAPI, AccountDatabaseAPI, MetaWitnessAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.db.accesslog import KeyAccessLoggerAtomicDB
from eth.db.batch import BatchDB
from eth.db.journal import get_next_checkpoint
from eth.typing import JournalDBCheckpoint
from eth.db.witness import AccountQueryTracker, MetaWitness
from eth.vm.interrupt import MissingBytecode
from eth.validation import validate_canonical_address, validate_is_bytes, validate_uint64, validate_uint256
from eth_hash.auto import keccak
from eth_typing import Address, Hash32

from node.rlp_raw import encode_items, uint
from node.trie_update import BufferedHexaryTrie


class FlatAccount(NamedTuple):
    """An account's four fields, as py-evm's `Account` names them."""

    nonce: int
    balance: int
    storage_root: bytes
    code_hash: bytes


BLANK_ACCOUNT = FlatAccount(0, 0, BLANK_ROOT_HASH, EMPTY_SHA3)


def encode_account(account: Any) -> bytes:
    """`rlp.encode(account, sedes=Account)`: [nonce, balance, storage root, code hash], integers
    big-endian without leading zeros (zero as the empty string)."""
    return encode_items([uint(account.nonce), uint(account.balance), account.storage_root, account.code_hash])


def decode_account(encoded: bytes) -> FlatAccount:
    nonce, balance, storage_root, code_hash = rlp.decode(encoded)
    return FlatAccount(int.from_bytes(nonce, "big"), int.from_bytes(balance, "big"), storage_root, code_hash)


def storage_key(slot: int) -> bytes:
    """The storage trie's key of `slot`: keccak of the slot as 32 bytes."""
    return keccak(slot.to_bytes(32, "big"))


def decode_storage_value(encoded: bytes) -> int:
    """A storage trie value (the RLP of the value's big-endian bytes, no leading zeros)."""
    if not encoded:
        return 0
    return int.from_bytes(encoded[1:] if encoded[0] >= 0x80 else encoded, "big")


class CodeCache:
    """Contract code by code hash, the last `max_entries` codes put (first in, first out). A hash
    names one code, so an entry is never wrong for any chain, branch or database. Threads may share
    it: each dict operation is atomic under the GIL (two puts at once may evict one code more)."""

    def __init__(self, max_entries: int = 1_024) -> None:
        self._codes: OrderedDict[bytes, bytes] = OrderedDict()
        self._max_entries = max_entries

    def get(self, code_hash: bytes) -> Optional[bytes]:
        return self._codes.get(code_hash)

    def put(self, code_hash: bytes, code: bytes) -> None:
        self._codes[code_hash] = code
        if len(self._codes) > self._max_entries:
            self._codes.popitem(last=False)


#: The node's one code cache (every state, every chain in the process).
CODE_CACHE = CodeCache()


class _StorageView:
    """One address's storage as this database sees it: `values` holds the slots read or written,
    `dirty` those written since the last state root; a slot not in `values` is read from the
    storage trie at `root` (the blank trie after a wipe)."""

    __slots__ = ("root", "values", "dirty", "accessed")

    def __init__(self, root: bytes, accessed: set[int]) -> None:
        self.root = root
        self.values: dict[int, int] = {}
        self.dirty: set[int] = set()
        self.accessed = accessed  # slots read since the last persist (the witness metadata)


# Undo-log entry kinds: (kind, ...) tuples, undone newest first.
_ACCOUNT, _SLOT, _VIEW, _WARM, _CODE = range(5)
_UNREAD = object()  # a slot's value before a write that had not been read yet


class FlatAccountDB(AccountDatabaseAPI):
    """py-evm's `AccountDatabaseAPI` on flat dicts with an undo log (see the module doc)."""

    def __init__(self, db: AtomicDatabaseAPI, state_root: Hash32 = BLANK_ROOT_HASH) -> None:
        self._raw_db = KeyAccessLoggerAtomicDB(db, log_missing_keys=False)
        self._nodes = BatchDB(self._raw_db, read_through_deletes=True)  # new trie nodes and code, until persist
        self._root = state_root
        self._state_trie = BufferedHexaryTrie(self._nodes, state_root)
        self._reset_views()
        self._reset_access_trackers()

    def _reset_views(self) -> None:
        self._accounts: dict[Address, Optional[FlatAccount]] = {}
        self._storage: dict[Address, _StorageView] = {}
        self._dirty_accounts: set[Address] = set()
        self._dirty_storage: set[Address] = set()  # addresses whose view has dirty slots or was wiped
        self._new_code: dict[bytes, bytes] = {}
        self._undo: list[tuple[Any, ...]] = []
        self._marks: dict[JournalDBCheckpoint, int] = {}  # open checkpoint -> the undo log's length then
        self._warm: set[Any] = set()  # addresses and (address, slot) pairs accessed this transaction
        self._tx_original: dict[tuple[Address, int], int] = {}  # slots written this transaction: value before

    def _reset_access_trackers(self) -> None:
        self._accessed_bytecodes: set[Address] = set()
        self._code_hashes_read: set[bytes] = set()

    # --- the state root ---------------------------------------------------------------------

    @property
    def state_root(self) -> Hash32:
        return self._root

    @state_root.setter
    def state_root(self, value: Hash32) -> None:
        if value != self._root:  # another state altogether: nothing seen here holds for it
            self._root = value
            self._state_trie = BufferedHexaryTrie(self._nodes, value)
            self._reset_views()

    def has_root(self, state_root: bytes) -> bool:
        return state_root in self._nodes

    # --- accounts ---------------------------------------------------------------------------

    def _get_account(self, address: Address) -> Optional[FlatAccount]:
        """The account at `address` now (None: no account); the one read of an account."""
        try:
            return self._accounts[address]
        except KeyError:
            encoded = self._state_trie.get(keccak(address))
            account = decode_account(encoded) if encoded else None
            self._accounts[address] = account
            return account

    def _set_account(self, address: Address, account: Optional[FlatAccount]) -> None:
        self._undo.append((_ACCOUNT, address, self._get_account(address), address in self._dirty_accounts))
        self._accounts[address] = account
        self._dirty_accounts.add(address)

    def get_balance(self, address: Address) -> int:
        validate_canonical_address(address, title="Storage Address")
        account = self._get_account(address)
        return account.balance if account is not None else 0

    def set_balance(self, address: Address, balance: int) -> None:
        validate_canonical_address(address, title="Storage Address")
        validate_uint256(balance, title="Account Balance")
        account = self._get_account(address) or BLANK_ACCOUNT
        self._set_account(address, FlatAccount(account.nonce, balance, account.storage_root, account.code_hash))

    def get_nonce(self, address: Address) -> int:
        validate_canonical_address(address, title="Storage Address")
        account = self._get_account(address)
        return account.nonce if account is not None else 0

    def set_nonce(self, address: Address, nonce: int) -> None:
        validate_canonical_address(address, title="Storage Address")
        validate_uint64(nonce, title="Nonce")
        account = self._get_account(address) or BLANK_ACCOUNT
        self._set_account(address, FlatAccount(nonce, account.balance, account.storage_root, account.code_hash))

    def increment_nonce(self, address: Address) -> None:
        self.set_nonce(address, self.get_nonce(address) + 1)

    def get_code_hash(self, address: Address) -> Hash32:
        validate_canonical_address(address, title="Storage Address")
        account = self._get_account(address)
        return Hash32(account.code_hash if account is not None else EMPTY_SHA3)

    def get_code(self, address: Address) -> bytes:
        code_hash = self.get_code_hash(address)
        if code_hash == EMPTY_SHA3:
            return b""
        code = self._new_code.get(code_hash)
        if code is not None:
            return code
        self._accessed_bytecodes.add(address)
        self._code_hashes_read.add(code_hash)
        code = CODE_CACHE.get(code_hash)
        if code is None:
            try:
                code = self._nodes[code_hash]
            except KeyError:
                raise MissingBytecode(code_hash) from None
            CODE_CACHE.put(code_hash, code)
        return code

    def set_code(self, address: Address, code: bytes) -> None:
        validate_canonical_address(address, title="Storage Address")
        validate_is_bytes(code, title="Code")
        account = self._get_account(address) or BLANK_ACCOUNT
        code_hash = keccak(code)
        self._undo.append((_CODE, code_hash, code_hash in self._new_code))
        self._new_code[code_hash] = code
        self._set_account(address, FlatAccount(account.nonce, account.balance, account.storage_root, code_hash))

    def delete_code(self, address: Address) -> None:
        validate_canonical_address(address, title="Storage Address")
        account = self._get_account(address) or BLANK_ACCOUNT
        self._set_account(address, FlatAccount(account.nonce, account.balance, account.storage_root, EMPTY_SHA3))

    def account_has_code_or_nonce(self, address: Address) -> bool:
        return self.get_nonce(address) != 0 or self.get_code_hash(address) != EMPTY_SHA3

    def delete_account(self, address: Address) -> None:
        validate_canonical_address(address, title="Storage Address")
        self._wipe_storage(address)
        self._set_account(address, None)

    def account_exists(self, address: Address) -> bool:
        validate_canonical_address(address, title="Storage Address")
        return self._get_account(address) is not None

    def touch_account(self, address: Address) -> None:
        validate_canonical_address(address, title="Storage Address")
        self._set_account(address, self._get_account(address) or BLANK_ACCOUNT)

    def account_is_empty(self, address: Address) -> bool:
        return not self.account_has_code_or_nonce(address) and self.get_balance(address) == 0

    # --- storage ----------------------------------------------------------------------------

    def _storage_view(self, address: Address) -> _StorageView:
        view = self._storage.get(address)
        if view is None:
            account = self._get_account(address)
            view = _StorageView(account.storage_root if account is not None else BLANK_ROOT_HASH, set())
            self._storage[address] = view
        return view

    def _slot_value(self, view: _StorageView, slot: int) -> int:
        try:
            return view.values[slot]
        except KeyError:
            value = 0
            if view.root != BLANK_ROOT_HASH:
                value = decode_storage_value(BufferedHexaryTrie(self._nodes, Hash32(view.root)).get(storage_key(slot)))
            view.values[slot] = value
            return value

    def get_storage(self, address: Address, slot: int, from_journal: bool = True) -> int:
        validate_canonical_address(address, title="Storage Address")
        validate_uint256(slot, title="Storage Slot")
        view = self._storage_view(address)
        view.accessed.add(slot)
        if not from_journal:  # the value when the transaction began (EIP-2200's original value)
            original = self._tx_original.get((address, slot), _UNREAD)
            if original is not _UNREAD:
                return original  # type: ignore[return-value]
        return self._slot_value(view, slot)

    def set_storage(self, address: Address, slot: int, value: int) -> None:
        validate_uint256(value, title="Storage Value")
        validate_uint256(slot, title="Storage Slot")
        validate_canonical_address(address, title="Storage Address")
        view = self._storage_view(address)
        current = self._slot_value(view, slot)
        if not value and not current:
            return  # as py-evm: clearing an empty slot writes nothing
        self._tx_original.setdefault((address, slot), current)
        self._undo.append((_SLOT, view, slot, current, slot in view.dirty))
        view.values[slot] = value
        view.dirty.add(slot)
        self._dirty_storage.add(address)

    def delete_storage(self, address: Address) -> None:
        validate_canonical_address(address, title="Storage Address")
        self._wipe_storage(address)  # first: the view set apart is read at the account's old root
        account = self._get_account(address) or BLANK_ACCOUNT
        self._set_account(address, FlatAccount(account.nonce, account.balance, BLANK_ROOT_HASH, account.code_hash))

    def _wipe_storage(self, address: Address) -> None:
        """The address's storage is empty from now on (its storage root set apart)."""
        old = self._storage_view(address)
        self._undo.append((_VIEW, address, old, address in self._dirty_storage))
        self._storage[address] = _StorageView(BLANK_ROOT_HASH, old.accessed)
        self._dirty_storage.add(address)

    # --- EIP-2929 warm accounts and slots ---------------------------------------------------

    def is_storage_warm(self, address: Address, slot: int) -> bool:
        return (address, slot) in self._warm

    def mark_storage_warm(self, address: Address, slot: int) -> None:
        key = (address, slot)
        if key not in self._warm:
            self._warm.add(key)
            self._undo.append((_WARM, key))

    def is_address_warm(self, address: Address) -> bool:
        return address in self._warm

    def mark_address_warm(self, address: Address) -> None:
        if address not in self._warm:
            self._warm.add(address)
            self._undo.append((_WARM, address))

    # --- checkpoints ------------------------------------------------------------------------

    def record(self) -> JournalDBCheckpoint:
        # Ids unique in the process, as py-evm's: the state's transient storage journal records
        # the same id.
        checkpoint = get_next_checkpoint()
        self._marks[checkpoint] = len(self._undo)
        return checkpoint

    def commit(self, checkpoint: JournalDBCheckpoint) -> None:
        """Nothing to merge: the entries stay, so an outer checkpoint still undoes them."""
        self._marks.pop(checkpoint, None)

    def discard(self, checkpoint: JournalDBCheckpoint) -> None:
        mark = self._marks.pop(checkpoint, None)
        if mark is None:  # recorded before the transaction's changes were locked: nothing to undo
            return
        undo = self._undo
        while len(undo) > mark:
            entry = undo.pop()
            kind = entry[0]
            if kind is _ACCOUNT:
                _, address, account, was_dirty = entry
                self._accounts[address] = account
                if not was_dirty:
                    self._dirty_accounts.discard(address)
            elif kind is _SLOT:
                _, view, slot, value, was_dirty = entry
                view.values[slot] = value
                if not was_dirty:
                    view.dirty.discard(slot)
            elif kind is _WARM:
                self._warm.discard(entry[1])
            elif kind is _VIEW:
                _, address, view, was_dirty = entry
                self._storage[address] = view
                if not was_dirty:
                    self._dirty_storage.discard(address)
            else:  # _CODE
                _, code_hash, had = entry
                if not had:
                    del self._new_code[code_hash]

    def lock_changes(self) -> None:
        """A transaction ends: nothing before this can be reverted; accesses are cold again."""
        self._undo.clear()
        self._marks.clear()
        self._warm.clear()
        self._tx_original.clear()

    # --- roots and persistence --------------------------------------------------------------

    def make_state_root(self) -> Hash32:
        """Every written slot into its storage trie and every written account into the state
        trie, each trie updated once; the views stay (they hold what the new tries hold)."""
        for address in self._dirty_storage:
            view = self._storage[address]
            storage_trie = BufferedHexaryTrie(self._nodes, Hash32(view.root))
            for slot in view.dirty:
                value = view.values[slot]
                storage_trie.set(storage_key(slot), encode_items(uint(value)) if value else b"")
            view.root = storage_trie.root_hash
            view.dirty.clear()
            account = self._get_account(address)
            if account is not None or view.root != BLANK_ROOT_HASH:  # py-evm's rule
                account = account or BLANK_ACCOUNT
                if account.storage_root != view.root:
                    self._dirty_accounts.add(address)
                self._accounts[address] = FlatAccount(account.nonce, account.balance, view.root, account.code_hash)
        self._dirty_storage.clear()
        for address in self._dirty_accounts:
            account = self._accounts[address]
            self._state_trie.set(keccak(address), encode_account(account) if account is not None else b"")
        self._dirty_accounts.clear()
        self._undo.clear()
        self._marks.clear()
        self._tx_original.clear()  # as py-evm, whose storage root locks the slots' values in
        for code_hash, code in self._new_code.items():
            self._nodes[code_hash] = code
        self._new_code.clear()
        self._root = self._state_trie.root_hash
        return self._root

    def persist(self) -> MetaWitnessAPI:
        """The state root made and every new trie node and code written to the database; the
        witness metadata of what was read since the last persist."""
        self.make_state_root()
        meta_witness = MetaWitness(set(self._raw_db.keys_read) | self._code_hashes_read, dict(self._access_list()))
        with self._raw_db.atomic_batch() as write_batch:
            self._nodes.commit_to(write_batch, apply_deletes=False)
        # What was read is counted from here on afresh, as py-evm's caches start empty again.
        self._accounts.clear()
        self._storage.clear()
        self._reset_access_trackers()
        return meta_witness

    def _access_list(self) -> Iterable[tuple[Address, AccountQueryTracker]]:
        for address in self._accounts:
            view = self._storage.get(address)
            slots = frozenset(view.accessed) if view is not None else frozenset()
            yield address, AccountQueryTracker(address in self._accessed_bytecodes, slots)
