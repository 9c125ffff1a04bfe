"""The L2 chain: py-evm execution over LevelDB, with Lantau's own block store and indexes.

`Chain` owns the database. Its one write path is `build_block`: apply these attributes and
transactions on this parent, and persist the result — state, header, body, receipts, the
canonical index, the transaction index and the new head — in one atomic LevelDB batch.
Which chain is canonical is Lantau's decision alone (the head the caller builds on), so
py-evm's own canonical index is written at genesis and never after. The
sequencer (attributes from its pool) and a verifier (attributes from derivation) both use it,
so both produce identical blocks.

Keys Lantau adds beside py-evm's (all values RLP):

    lantau:head                       -> head block hash
    lantau:canonical:<number u64 BE>  -> block hash
    lantau:body:<block hash>          -> [raw tx, …]   (EIP-2718 encodings)
    lantau:receipts:<block hash>      -> [raw receipt, …]
    lantau:tx:<tx hash>               -> [block hash, index]   (canonical blocks only)
    lantau:txrec:…, lantau:blockidx:… -> per-transaction read records (`node.tx_index`)
    lantau:genesis                    -> genesis hash (guards a data dir against another genesis)
    lantau:addr:…, lantau:addrbackfill -> the address index and its backfill height (`node.address_index`)
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

import rlp
from eth.abc import (
    AtomicDatabaseAPI,
    BlockAPI,
    BlockHeaderAPI,
    ComputationAPI,
    ReceiptAPI,
    SignedTransactionAPI,
    StateAPI,
)
from eth.chains.base import Chain as PyEvmChain
from eth.constants import BLANK_ROOT_HASH
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.db.header import HeaderDB
from eth.exceptions import HeaderNotFound
from eth_typing import Address, Hash32
from eth_hash.auto import keccak
from eth_utils import ValidationError, encode_hex

from genesis.builder import genesis_header_params, genesis_state
from genesis.config import GenesisConfig
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits
from node.address_index import (
    BACKFILL_ENTRIES_PER_STEP,
    BACKFILL_KEY,
    AddressTransaction,
    address_key,
    decode_backfill_height,
    encode_backfill_height,
    sorted_prefix_items,
    touched_addresses,
    transactions_of,
)
from node.db import LevelDB
from node.errors import BlockNotFound, GenesisMismatch
from node.rlp_raw import encode_items, uint
from node.trie_root import ordered_trie_root
from node.tx_index import BlockIndex, TransactionRecord, block_index_key, block_records, record_key
from node.vm import LantauVM

HEAD_KEY = b"lantau:head"
GENESIS_KEY = b"lantau:genesis"


def _canonical_key(number: int) -> bytes:
    return b"lantau:canonical:" + number.to_bytes(8, "big")


def _body_key(block_hash: bytes) -> bytes:
    return b"lantau:body:" + block_hash


def _receipts_key(block_hash: bytes) -> bytes:
    return b"lantau:receipts:" + block_hash


def _tx_key(tx_hash: bytes) -> bytes:
    return b"lantau:tx:" + tx_hash


@dataclass(frozen=True, slots=True)
class BlockAttributes:
    """Everything besides the transactions that decides an L2 block."""

    timestamp: int
    fee_recipient: Address
    prev_randao: Hash32
    gas_limit: int
    extra_data: bytes = b""
    parent_beacon_block_root: Hash32 = BLANK_ROOT_HASH
    # Transactions that must be included first and cannot be skipped (deposits, from L1).
    forced_transactions: tuple[SignedTransactionAPI, ...] = ()


@dataclass(frozen=True, slots=True)
class RejectedTransaction:
    transaction: SignedTransactionAPI
    reason: str


@dataclass(frozen=True, slots=True)
class BuiltBlock:
    block: BlockAPI
    receipts: tuple[ReceiptAPI, ...]
    computations: tuple[ComputationAPI, ...]
    rejected: tuple[RejectedTransaction, ...] = ()

    @property
    def header(self) -> BlockHeaderAPI:
        return self.block.header


@dataclass(frozen=True, slots=True)
class TransactionLocation:
    block_hash: Hash32
    block_number: int
    index: int


@dataclass
class Chain:
    """The L2 chain on one database. Thread-safe: one writer at a time, readers any time."""

    db: AtomicDatabaseAPI
    genesis: GenesisConfig
    chain_class: type[PyEvmChain]
    _write_lock: threading.Lock = field(default_factory=threading.Lock)
    _legacy_records: dict[bytes, tuple[BlockIndex, list[TransactionRecord]]] = field(default_factory=dict)
    _legacy_lock: threading.Lock = field(default_factory=threading.Lock)
    _closed: bool = False

    # --- opening ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls, data_dir: Path | None, genesis: GenesisConfig, *, proof_cost_limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS
    ) -> "Chain":
        """Open (or initialise) the chain in `data_dir`; `None` keeps it in memory (tests).
        `proof_cost_limits` are the chain's rollup config's (a consensus rule, `node.vm`)."""
        db: AtomicDatabaseAPI = AtomicDB(MemoryDB()) if data_dir is None else LevelDB(Path(data_dir) / "chaindata")
        vm_class = LantauVM.with_proof_cost_limits(proof_cost_limits)
        chain_class = PyEvmChain.configure(
            __name__="LantauChain", vm_configuration=((0, vm_class),), chain_id=genesis.chain_id
        )
        chain = cls(db=db, genesis=genesis, chain_class=chain_class)
        chain._initialise()
        return chain

    def _initialise(self) -> None:
        expected = self._compute_genesis_header()
        if self.db.exists(GENESIS_KEY):
            stored = self.db[GENESIS_KEY]
            if stored != expected.hash:
                raise GenesisMismatch(
                    f"data directory holds a chain with genesis {encode_hex(stored)}, "
                    f"but the genesis file gives {encode_hex(expected.hash)}"
                )
            if not self.db.exists(BACKFILL_KEY):
                # Written before the address index existed: its blocks may lack entries.
                self.db[BACKFILL_KEY] = encode_backfill_height(self.head.block_number)
            return
        with self.db.atomic_batch() as batch:
            self.chain_class.from_genesis(AtomicDB(batch), genesis_header_params(self.genesis), genesis_state(self.genesis))
            batch[_canonical_key(0)] = expected.hash
            batch[_body_key(expected.hash)] = rlp.encode([])
            batch[_receipts_key(expected.hash)] = rlp.encode([])
            batch[HEAD_KEY] = expected.hash
            batch[GENESIS_KEY] = expected.hash
            batch[BACKFILL_KEY] = encode_backfill_height(0)

    def _compute_genesis_header(self) -> BlockHeaderAPI:
        scratch = self.chain_class.from_genesis(
            AtomicDB(MemoryDB()), genesis_header_params(self.genesis), genesis_state(self.genesis)
        )
        return scratch.get_canonical_block_header_by_number(0)

    def close(self) -> None:
        with self._write_lock:
            self._closed = True
            if isinstance(self.db, LevelDB):
                self.db.close()

    # --- reading ---------------------------------------------------------------------------

    @property
    def chain_id(self) -> int:
        return self.genesis.chain_id

    def _pyevm(self, db: AtomicDatabaseAPI | None = None) -> PyEvmChain:
        return self.chain_class(db if db is not None else self.db)

    @property
    def genesis_hash(self) -> Hash32:
        return Hash32(self.db[GENESIS_KEY])

    @property
    def head(self) -> BlockHeaderAPI:
        return self.header_by_hash(Hash32(self.db[HEAD_KEY]))

    def header_by_hash(self, block_hash: Hash32) -> BlockHeaderAPI:
        try:
            # A pure read keyed by hash: no py-evm chain object needed (building one costs
            # ~0.1 ms, and every RPC call and admitted transaction reads the head).
            return HeaderDB._get_block_header_by_hash(self.db, block_hash)
        except HeaderNotFound as exc:
            raise BlockNotFound(f"block {encode_hex(block_hash)} not found") from exc

    def canonical_hash(self, number: int) -> Hash32 | None:
        if number < 0:
            return None
        try:
            return Hash32(self.db[_canonical_key(number)])
        except KeyError:
            return None

    def header_by_number(self, number: int) -> BlockHeaderAPI:
        block_hash = self.canonical_hash(number)
        if block_hash is None:
            raise BlockNotFound(f"block {number} not found")
        return self.header_by_hash(block_hash)

    def is_canonical(self, header: BlockHeaderAPI) -> bool:
        return self.canonical_hash(header.block_number) == header.hash

    def transactions(self, block_hash: Hash32) -> tuple[SignedTransactionAPI, ...]:
        builder = LantauVM.get_transaction_builder()
        return tuple(builder.decode(raw) for raw in rlp.decode(self.db[_body_key(block_hash)]))

    def raw_transactions(self, block_hash: Hash32) -> tuple[bytes, ...]:
        return tuple(rlp.decode(self.db[_body_key(block_hash)]))

    def raw_receipts(self, block_hash: Hash32) -> tuple[bytes, ...]:
        return tuple(rlp.decode(self.db[_receipts_key(block_hash)]))

    def receipts(self, block_hash: Hash32) -> tuple[ReceiptAPI, ...]:
        builder = LantauVM.get_receipt_builder()
        return tuple(builder.decode(raw) for raw in rlp.decode(self.db[_receipts_key(block_hash)]))

    def block_index(self, header: BlockHeaderAPI) -> BlockIndex:
        """The block's transaction hashes and senders, in order, without decoding its body."""
        try:
            return BlockIndex.decode(self.db[block_index_key(header.hash)])
        except KeyError:  # a block stored before read records existed
            return self._derived_records(header)[0]

    def transaction_record(self, header: BlockHeaderAPI, index: int) -> TransactionRecord | None:
        """Transaction `index` of the block, with its receipt and derived receipt fields, in
        constant time (`node.tx_index`); None past the block's last transaction."""
        try:
            return TransactionRecord.decode(self.db[record_key(header.hash, index)])
        except KeyError:
            pass
        if self._db_get(self.db, block_index_key(header.hash)) is not None or not self.db.exists(_body_key(header.hash)):
            return None  # indexed, so there is no such transaction
        records = self._derived_records(header)[1]
        return records[index] if index < len(records) else None

    def _derived_records(self, header: BlockHeaderAPI) -> tuple[BlockIndex, list[TransactionRecord]]:
        """Read records of a block stored before they existed, derived from the whole block.
        The last few are kept: keyed by block hash, so they cannot go stale."""
        derived = self._legacy_records.get(header.hash)
        if derived is None:
            derived = block_records(self.transactions(header.hash), self.receipts(header.hash), header.base_fee_per_gas)
            with self._legacy_lock:
                while len(self._legacy_records) >= 4:
                    del self._legacy_records[next(iter(self._legacy_records))]
                self._legacy_records[header.hash] = derived
        return derived

    def transaction_location(self, tx_hash: bytes) -> TransactionLocation | None:
        try:
            block_hash, index = rlp.decode(self.db[_tx_key(tx_hash)])
        except KeyError:
            return None
        header = self.header_by_hash(Hash32(block_hash))
        return TransactionLocation(Hash32(block_hash), header.block_number, int.from_bytes(index, "big"))

    def transactions_of_address(self, address: Address, *, limit: int, before_block: int | None = None) -> list[AddressTransaction]:
        """Canonical transactions touching `address`, newest first (`node.address_index`)."""
        return transactions_of(self, address, limit=limit, before_block=before_block,
                               unindexed_to=self.address_backfill_height)

    @property
    def address_backfill_height(self) -> int:
        """Blocks 1 to this height may still lack address-index entries; 0 once backfilled."""
        return decode_backfill_height(self._db_get(self.db, BACKFILL_KEY))

    def backfill_address_index(self, max_blocks: int) -> int:
        """Index up to `max_blocks` more canonical blocks stored before the address index
        existed (fewer once `BACKFILL_ENTRIES_PER_STEP` entries are written), newest first, in one
        atomic batch with the new backfill height; answers the height still left (0: done).
        Under the write lock, so no reorg interleaves."""
        with self._write_lock:
            if self._closed:
                return 0
            height = decode_backfill_height(self._db_get(self.db, BACKFILL_KEY))
            if height == 0:
                return 0
            remaining, written = height, 0
            with self.db.atomic_batch() as batch:
                while remaining > max(0, height - max_blocks) and written < BACKFILL_ENTRIES_PER_STEP:
                    block_hash = self._db_get(batch, _canonical_key(remaining))
                    if block_hash is not None:
                        for key, tx_hash in self._address_entries(batch, block_hash, remaining):
                            batch[key] = tx_hash
                            written += 1
                    remaining -= 1
                batch[BACKFILL_KEY] = encode_backfill_height(remaining)
            return remaining

    def iterate_prefix(self, prefix: bytes, *, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]:
        """The chain DB's keys starting with `prefix`, in key order (or reversed)."""
        if isinstance(self.db, LevelDB):
            return self.db.iterate_prefix(prefix, reverse=reverse)
        memory = self.db.wrapped_db  # type: ignore[attr-defined]  # AtomicDB(MemoryDB()) of tests
        return sorted_prefix_items(memory.kv_store.items(), prefix, reverse=reverse)

    def state_at(self, header: BlockHeaderAPI) -> StateAPI:
        """A read-only view of the state after `header` (writes go nowhere durable)."""
        return self.vm_at(header).state

    def vm_at(self, header: BlockHeaderAPI) -> LantauVM:
        """A VM whose state is the post-state of `header`, for reads."""
        return self._pyevm().get_vm(header)  # type: ignore[return-value]

    def pending_vm(self, parent: BlockHeaderAPI, **header_params: object) -> LantauVM:
        """A VM for a block on top of `parent` (eth_call, eth_estimateGas on `pending`/`latest`)."""
        chain = self._pyevm(AtomicDB(_ReadThroughDB(self.db)))
        header = chain.create_header_from_parent(parent, **header_params)
        return chain.get_vm(header)  # type: ignore[return-value]

    def replay_vm(self, header: BlockHeaderAPI) -> LantauVM:
        """A scratch VM for `header`'s block on its parent's state, in the block's own context:
        applying the block's transactions in order reproduces it (debug_trace*)."""
        fields = ("timestamp", "gas_limit", "coinbase", "mix_hash", "extra_data", "parent_beacon_block_root")
        return self.pending_vm(self.header_by_hash(header.parent_hash), **{name: getattr(header, name) for name in fields})

    def iter_headers(self, first: int, last: int) -> Iterator[BlockHeaderAPI]:
        for number in range(first, last + 1):
            yield self.header_by_number(number)

    # --- the one write path ----------------------------------------------------------------

    def build_block(
        self,
        parent: BlockHeaderAPI,
        attributes: BlockAttributes,
        transactions: Sequence[SignedTransactionAPI] = (),
        *,
        state_edits: Callable[[StateAPI], None] | None = None,
        stop_filling: Callable[[], bool] | None = None,
    ) -> BuiltBlock:
        """Apply `attributes` and `transactions` on `parent`; persist and make it the head.

        `stop_filling`, asked before each pool transaction: once it answers True the rest are
        left out, neither included nor rejected (they stay in the pool for the next block). The
        sequencer passes its slot's time budget, as geth's miner stops filling a block when its
        time is up, so a burst of transactions cannot stretch a block past its slot; derivation
        never passes one (a derived block holds every transaction of its batch).

        Forced transactions (deposits) go first and every one is included. A pool transaction
        that is invalid against the state at its turn (nonce, balance, gas left in the block) is
        skipped and reported in `rejected`; the block is built without it.

        `state_edits` (dev mode only, `node.rpc.dev`: anvil_setBalance and friends) changes the
        parent state before anything runs. No L1 data says so: a verifier cannot derive such a
        block.
        """
        with self._write_lock, self.db.atomic_batch() as batch:
            chain = self._pyevm(AtomicDB(batch))
            header = chain.create_header_from_parent(
                parent,
                timestamp=attributes.timestamp,
                coinbase=attributes.fee_recipient,
                mix_hash=attributes.prev_randao,
                gas_limit=attributes.gas_limit,
                extra_data=attributes.extra_data,
                parent_beacon_block_root=attributes.parent_beacon_block_root,
            )
            vm = chain.get_vm(header)
            if state_edits is not None:
                state_edits(vm.state)
            included: list[SignedTransactionAPI] = []
            receipts: list[ReceiptAPI] = []
            computations: list[ComputationAPI] = []
            rejected: list[RejectedTransaction] = []
            running_header = _RunningHeader(vm.get_header())
            for forced, tx in [(True, t) for t in attributes.forced_transactions] + [(False, t) for t in transactions]:
                if not forced and stop_filling is not None and stop_filling():
                    break
                try:
                    # py-evm validates (nonce, balance, gas left) before touching the state,
                    # so a rejected transaction leaves nothing to revert.
                    receipt, computation = vm.apply_transaction(running_header, tx)
                except ValidationError as exc:
                    if forced:
                        raise
                    rejected.append(RejectedTransaction(tx, str(exc)))
                    continue
                running_header.add_receipt(receipt)
                included.append(tx)
                receipts.append(receipt)
                computations.append(computation)

            # Built bottom-up, each node hashed once: 20-30x faster than py-evm's insert-by-insert
            # `make_trie_root_and_nodes`, whose trie nodes were discarded here anyway.
            tx_root = ordered_trie_root([tx.encode() for tx in included])
            receipt_root = ordered_trie_root([receipt.encode() for receipt in receipts])
            block = vm.get_block().copy(
                transactions=_SharedTransactions(included),
                header=running_header.final(transaction_root=tx_root, receipt_root=receipt_root),
            )
            block = vm.block_postprocessing(block)
            block = vm.finalize_block(vm.pack_block(block)).block

            # The header, keyed by its hash, exactly as py-evm's chaindb stores it (so py-evm reads it
            # back), and nothing else of py-evm's: the canonical chain, bodies, receipts and the
            # transaction index are Lantau's own (`_write_block_indexes`). py-evm's
            # `persist_block` would keep a second canonical index by its own fork-choice (longest
            # chain), and on switching it reads the transaction tries of the blocks it switches
            # over, which Lantau never stores: an unsafe chain replaced after an L1 reorg, once the
            # new one grew past the old height, crashed every later build with a missing trie node.
            batch[block.header.hash] = rlp.encode(block.header)
            self._write_block_indexes(batch, block, receipts)
        return BuiltBlock(block, tuple(receipts), tuple(computations), tuple(rejected))

    def rewind_to(self, header: BlockHeaderAPI) -> None:
        """Make `header` (an ancestor of the head) the head again: the blocks above it leave the
        canonical chain (an unsafe reorg, as a rebuilt block on an older parent does). Dev mode's
        evm_revert."""
        if not self.is_canonical(header):
            raise BlockNotFound(f"block {encode_hex(header.hash)} is not on the canonical chain")
        with self._write_lock, self.db.atomic_batch() as batch:
            self._drop_canonical_from(batch, header.block_number + 1)
            batch[HEAD_KEY] = header.hash

    def _write_block_indexes(self, batch: AtomicDatabaseAPI, block: BlockAPI, receipts: Sequence[ReceiptAPI]) -> None:
        block_hash = block.header.hash
        number = block.header.block_number
        # Rewind the canonical chain if this block replaces one (an L2 reorg of unsafe blocks).
        self._drop_canonical_from(batch, number)
        # Built on a block that is no longer canonical (a reorg back to an older branch): its
        # ancestors become canonical again, down to the first one that already is. All that
        # leaves the canonical chain is unindexed before anything is indexed, as one transaction
        # may sit at other heights on the two branches.
        restored: list[tuple[int, bytes]] = []
        ancestor_hash, ancestor_number = block.header.parent_hash, number - 1
        while ancestor_number >= 0 and (replaced := self._db_get(batch, _canonical_key(ancestor_number))) != ancestor_hash:
            if replaced is not None:
                self._unindex_transactions(batch, replaced, ancestor_number)
            restored.append((ancestor_number, ancestor_hash))
            ancestor_hash = self._pyevm(batch).chaindb.get_block_header_by_hash(ancestor_hash).parent_hash
            ancestor_number -= 1
        for ancestor_number, ancestor_hash in restored:
            self._index_transactions(batch, ancestor_hash, ancestor_number)
            batch[_canonical_key(ancestor_number)] = ancestor_hash
        # Read records, keyed by this block's hash: reads of one transaction then cost the same
        # in any block. Never stale, as a block never changes; reorgs move only `_tx_key`.
        block_index, records = block_records(block.transactions, receipts, block.header.base_fee_per_gas)
        batch[_body_key(block_hash)] = encode_items([record.raw_transaction for record in records])
        batch[_receipts_key(block_hash)] = encode_items([record.raw_receipt for record in records])
        batch[block_index_key(block_hash)] = block_index.encode()
        for index, (tx_hash, record, tx) in enumerate(zip(block_index.tx_hashes, records, block.transactions)):
            batch[record_key(block_hash, index)] = record.encode()
            batch[_tx_key(tx_hash)] = encode_items([block_hash, uint(index)])
            for address in touched_addresses(record.fields.sender, tx.to, record.fields.contract_address):
                batch[address_key(address, number, index)] = tx_hash
        batch[_canonical_key(number)] = block_hash
        batch[HEAD_KEY] = block_hash

    def _drop_canonical_from(self, batch: AtomicDatabaseAPI, number: int) -> None:
        """Blocks `number` and above leave the canonical chain, their transactions unindexed."""
        while (stale_hash := self._db_get(batch, _canonical_key(number))) is not None:
            self._unindex_transactions(batch, stale_hash, number)
            del batch[_canonical_key(number)]
            number += 1

    def _index_transactions(self, batch: AtomicDatabaseAPI, block_hash: bytes, number: int) -> None:
        for index, tx_hash in enumerate(self._tx_hashes(batch, block_hash)):
            batch[_tx_key(tx_hash)] = encode_items([block_hash, uint(index)])
        for key, tx_hash in self._address_entries(batch, block_hash, number):
            batch[key] = tx_hash

    def _unindex_transactions(self, batch: AtomicDatabaseAPI, block_hash: bytes, number: int) -> None:
        for tx_hash in self._tx_hashes(batch, block_hash):
            if self._db_get(batch, _tx_key(tx_hash)) is not None:
                del batch[_tx_key(tx_hash)]
        for key, _ in self._address_entries(batch, block_hash, number):
            if self._db_get(batch, key) is not None:
                del batch[key]

    def _address_entries(self, db: AtomicDatabaseAPI, block_hash: bytes, number: int) -> list[tuple[bytes, bytes]]:
        """The address-index entries of a stored block at height `number` (`node.address_index`),
        from its read records, or from its body and receipts if stored before records existed."""
        encoded_index = self._db_get(db, block_index_key(block_hash))
        if encoded_index is None:
            return self._legacy_address_entries(db, block_hash, number)
        entries = []
        for index, tx_hash in enumerate(BlockIndex.decode(encoded_index).tx_hashes):
            encoded = self._db_get(db, record_key(block_hash, index))
            if encoded is None:
                continue
            record = TransactionRecord.decode(encoded)
            to = LantauVM.get_transaction_builder().decode(record.raw_transaction).to
            entries.extend((address_key(a, number, index), tx_hash)
                           for a in touched_addresses(record.fields.sender, to, record.fields.contract_address))
        return entries

    def _legacy_address_entries(self, db: AtomicDatabaseAPI, block_hash: bytes, number: int) -> list[tuple[bytes, bytes]]:
        body, receipts = self._db_get(db, _body_key(block_hash)), self._db_get(db, _receipts_key(block_hash))
        if body is None or receipts is None:
            return []
        header = HeaderDB._get_block_header_by_hash(db, Hash32(block_hash))
        transactions = [LantauVM.get_transaction_builder().decode(raw) for raw in rlp.decode(body)]
        decoded_receipts = [LantauVM.get_receipt_builder().decode(raw) for raw in rlp.decode(receipts)]
        _, records = block_records(transactions, decoded_receipts, header.base_fee_per_gas)
        return [(address_key(a, number, index), tx.hash)
                for index, (tx, record) in enumerate(zip(transactions, records))
                for a in touched_addresses(record.fields.sender, tx.to, record.fields.contract_address)]

    def _tx_hashes(self, db: AtomicDatabaseAPI, block_hash: bytes) -> tuple[bytes, ...]:
        """A stored block's transaction hashes: from its block index, else from its body."""
        encoded_index = self._db_get(db, block_index_key(block_hash))
        if encoded_index is not None:
            return BlockIndex.decode(encoded_index).tx_hashes
        # keccak of the EIP-2718 encoding is the hash of every transaction type, deposits too.
        return tuple(keccak(raw) for raw in rlp.decode(self._db_get(db, _body_key(block_hash)) or rlp.encode([])))

    @staticmethod
    def _db_get(db: AtomicDatabaseAPI, key: bytes) -> bytes | None:
        try:
            return db[key]
        except KeyError:
            return None


class _RunningHeader:
    """A block's header while it fills: gas used and bloom kept here, every other field read from
    the header made on the parent.

    py-evm's `add_receipt_to_header` copies the whole header after each transaction (a
    Serializable copy deep-copies every field, ~0.2 ms); `apply_transaction` reads only
    `gas_used` and `gas_limit` of it, and `final` makes the one real header, with what
    `add_receipt_to_header` would have left: the last receipt's cumulative gas and the OR of
    every receipt's bloom.
    """

    __slots__ = ("_header", "gas_used", "bloom")

    def __init__(self, header: BlockHeaderAPI) -> None:
        self._header = header
        self.gas_used: int = header.gas_used
        self.bloom: int = header.bloom

    def __getattr__(self, name: str) -> object:
        return getattr(self._header, name)

    def add_receipt(self, receipt: ReceiptAPI) -> None:
        self.gas_used = receipt.gas_used  # cumulative, as add_receipt_to_header sets it
        self.bloom |= receipt.bloom

    def final(self, **fields: object) -> BlockHeaderAPI:
        return self._header.copy(gas_used=self.gas_used, bloom=self.bloom, **fields)

    copy = final  # a hook that copies the running header gets its current gas and bloom


class _SharedTransactions(tuple[SignedTransactionAPI, ...]):
    """A block's transactions, which `block.copy()` shares instead of deep-copying.

    Signed transactions are immutable, so a deep copy is only an equal object; but py-evm's
    block hooks (`block_postprocessing`, `pack_block`, `finalize_block`) each copy the block,
    and deep-copying 500 transactions costs ~20 ms every time.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> "_SharedTransactions":
        return self


class _ReadThroughDB(MemoryDB):
    """Reads fall through to the chain's DB; writes stay in memory (for eth_call and friends)."""

    def __init__(self, base: AtomicDatabaseAPI) -> None:
        super().__init__()
        self._base = base
        self._deleted: set[bytes] = set()

    def __getitem__(self, key: bytes) -> bytes:
        if key in self.kv_store:
            return self.kv_store[key]
        if key in self._deleted:
            raise KeyError(key)
        return self._base[key]

    def __setitem__(self, key: bytes, value: bytes) -> None:
        self._deleted.discard(key)
        self.kv_store[key] = value

    def __delitem__(self, key: bytes) -> None:
        self.kv_store.pop(key, None)
        self._deleted.add(key)

    def _exists(self, key: bytes) -> bool:
        if key in self.kv_store:
            return True
        return key not in self._deleted and self._base.exists(key)
