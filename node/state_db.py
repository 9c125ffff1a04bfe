"""py-evm's account and storage databases, with each trie updated once per state root.

py-evm's `AccountDB` applies a block's account changes to its state trie key by key when it
makes the state root (and `StorageLookup` applies each storage write to the account's storage
trie as the transaction's changes are locked in), so every changed node near the root is
re-encoded and re-hashed once per changed key. Here both tries are `node.trie_update`'s
`BufferedHexaryTrie`: the writes wait and apply together when the root is asked for, each
changed node hashed once, and reads go through the flat pairs of `node.trie_cache` first.

Balance and nonce writes build the new account directly instead of through `Account.copy`
(which deep-copies every field; ~5x slower, and a transaction writes balances 4-6 times), and
an account is RLP-encoded from its four fields as bytes by the compiled encoder
(`node.rlp_raw`: the bytes pyrlp's field-by-field `Account` sedes gives, ~40x faster). Everything else (journals, caches, reverts, persistence)
is py-evm's.

The state root, the storage roots and the nodes reachable from them are the same as py-evm's:
the trie of a set of keys is unique (tests/node/test_state_db.py builds the same blocks both
ways; tests/node/test_trie_update.py checks the trie writes against `HexaryTrie`).
"""

from __future__ import annotations

from eth.abc import AccountStorageDatabaseAPI, AtomicDatabaseAPI, DatabaseAPI
from eth.constants import BLANK_ROOT_HASH
from eth.db.account import AccountDB
from eth.db.accesslog import KeyAccessLoggerDB
from eth.db.batch import BatchDB
from eth.db.cache import CacheDB
from eth.db.hash_trie import HashTrie
from eth.db.journal import JournalDB
from eth.db.storage import AccountStorageDB, StorageLookup
from eth.rlp.accounts import Account
from eth.validation import validate_canonical_address, validate_uint64, validate_uint256
from eth_typing import Address, Hash32

from node.rlp_raw import encode_items, uint
from node.trie_update import BufferedHexaryTrie


class BufferedStorageLookup(StorageLookup):
    """An account's storage trie whose writes apply together when its root is read."""

    def _get_write_trie(self) -> BufferedHexaryTrie:  # type: ignore[override]
        if self._trie_nodes_batch is None:
            self._trie_nodes_batch = BatchDB(self._db, read_through_deletes=True)
        if self._write_trie is None:
            self._write_trie = BufferedHexaryTrie(self._trie_nodes_batch, root_hash=self._starting_root_hash)  # type: ignore[assignment]
        return self._write_trie  # type: ignore[return-value]

    def _get_read_trie(self) -> BufferedHexaryTrie:  # type: ignore[override]
        # Reads before the first write go through the flat cache too (node.trie_cache).
        if self._write_trie is not None:
            return self._write_trie  # type: ignore[return-value]
        return BufferedHexaryTrie(self._db, root_hash=self._starting_root_hash)

    def commit_to(self, db: DatabaseAPI) -> None:
        if self._write_trie is not None:
            self._write_trie.root_hash  # noqa: B018  # the waiting writes reach the node batch first
        super().commit_to(db)


class BufferedAccountStorageDB(AccountStorageDB):
    def __init__(self, db: AtomicDatabaseAPI, storage_root: Hash32, address: Address) -> None:
        super().__init__(db, storage_root, address)
        # py-evm's layering (see AccountStorageDB.__init__), on the buffered lookup.
        self._storage_lookup = BufferedStorageLookup(db, storage_root, address)
        self._storage_cache = CacheDB(self._storage_lookup)
        self._locked_changes = JournalDB(self._storage_cache)
        self._journal_storage = JournalDB(self._locked_changes)


class BufferedAccountDB(AccountDB):
    """py-evm's `AccountDB` on buffered state and storage tries."""

    def __init__(self, db: AtomicDatabaseAPI, state_root: Hash32 = BLANK_ROOT_HASH) -> None:
        super().__init__(db, state_root)
        # py-evm's layering (see AccountDB.__init__), on the buffered state trie.
        self._trie = HashTrie(BufferedHexaryTrie(self._batchtrie, state_root))
        self._trie_logger = KeyAccessLoggerDB(self._trie, log_missing_keys=False)
        self._trie_cache = CacheDB(self._trie_logger)
        self._journaltrie = JournalDB(self._trie_cache)

    def _get_address_store(self, address: Address) -> AccountStorageDatabaseAPI:
        store = self._account_stores.get(address)
        if store is None:
            store = BufferedAccountStorageDB(self._raw_store_db, self._get_storage_root(address), address)
            self._account_stores[address] = store
        return store

    def set_balance(self, address: Address, balance: int) -> None:
        validate_canonical_address(address, title="Storage Address")
        validate_uint256(balance, title="Account Balance")
        account = self._get_account(address)
        self._set_account(address, Account(account.nonce, balance, account.storage_root, account.code_hash))

    def set_nonce(self, address: Address, nonce: int) -> None:
        validate_canonical_address(address, title="Storage Address")
        validate_uint64(nonce, title="Nonce")
        account = self._get_account(address)
        self._set_account(address, Account(nonce, account.balance, account.storage_root, account.code_hash))

    def _set_account(self, address: Address, account: Account) -> None:
        self._account_cache[address] = account
        self._journaltrie[address] = encode_account(account)


def encode_account(account: Account) -> bytes:
    """`rlp.encode(account, sedes=Account)`: [nonce, balance, storage root, code hash], integers
    big-endian without leading zeros (zero as the empty string)."""
    return encode_items([uint(account.nonce), uint(account.balance), account.storage_root, account.code_hash])
