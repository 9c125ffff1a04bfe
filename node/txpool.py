"""The transaction pool: signed transactions waiting for the sequencer to put them in a block.

In memory, per sender, keyed by nonce. A sender's transactions whose nonces run on without a
gap from the account's nonce are *pending* (executable now, in that order); those after a gap
are *queued* until the gap closes. Every entry is checked in `add_raw`, in this order, each
failure its own error from `node.errors` and none of them changing the pool:

    size, envelope type, decoding (canonical RLP only), already known, field ranges,
    chain id (EIP-155 for legacy), signature values (EIP-2), block gas limit, tip <= fee cap,
    intrinsic gas (+ EIP-3860 initcode, EIP-7623 calldata floor), the pool's minimum tip,
    sender recovery, fee cap >= the next block's base fee (at admission only), nonce,
    replacement price bump, balance (counting the sender's other
    pooled transactions), the sender's queued cap, pool cap (evicting a tail to make room).

Limits per sender are geth's (legacypool): a sender may hold any number of executable
transactions while the pool has room — a settlement agent, a price reporter or a market
maker sends hundreds from one account — but at most `account_queue` queued ones (after a
gap, which nothing may ever execute). Per-account limits bite only when the pool is full: a
sender holding more than `account_slots` (its guaranteed share) gives way first to a sender
still within its own share, its cheapest tail evicted; otherwise a newcomer must pay a better
effective tip than the tail it evicts (eviction by price).

Which transactions a user may send at all (types, canonical RLP, nesting, chain id) is the
L2's rule, `node.user_tx`, which batches are checked by too; the pool adds its policy: size,
the fee floor, per-sender limits, replacement.

`select` builds a block's list the way geth's miner does: each sender's next executable
transaction sits in a heap ordered by effective tip at the block's base fee (ties: earlier
arrival first); take the best, then put that sender's next nonce in its place.

The base-fee check is geth's "max fee per gas less than block base fee", made at admission:
a fee cap below the next base fee would sit in the pool unselected, holding back the sender's
later nonces with no word to anyone. It is not made on transactions the pool already
acknowledged (restored from the journal, or returned from reorged-out blocks): losing those
would break the promise the journal keeps, and the base fee may fall back under their cap;
`select` skips them until it does.

A new head comes in through `reset` (geth's pool reset on a new head): what the head made
invalid leaves, and the user transactions of blocks a reorg dropped come back (the node finds
them, `node.service.L2Node.reset_pool`), checked against the new head, so those it mined
meanwhile are refused as nonce too low; pending and queued follow from the new head's nonces.

If given a `TxJournal`, the pool appends every accepted transaction to it before `add_raw`
returns, so an acknowledged transaction survives a crash; `restore` reads it back at start.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import threading
from dataclasses import dataclass
from typing import Any, Callable, Protocol, Sequence, TypeVar

from eth.abc import SignedTransactionAPI, TransactionBuilderAPI
from eth.constants import CREATE_CONTRACT_ADDRESS, GAS_TX, SECPK1_N, UINT_256_MAX
from eth.vm.forks.shanghai.constants import MAX_INITCODE_SIZE
from eth_keys.exceptions import BadSignature
from eth_typing import Address, Hash32
from eth_utils import ValidationError, to_checksum_address

from node.batches import MAX_BLOCK_USER_TRANSACTIONS
from node.channels import MAX_RLP_BYTES_PER_CHANNEL
from node.errors import (
    AccountLimitExceeded,
    AlreadyKnown,
    ConfigError,
    FeeCapBelowBaseFee,
    FeeTooLow,
    FieldOutOfRange,
    FloorDataGasTooLow,
    GasLimitExceeded,
    InitcodeTooLarge,
    InsufficientFunds,
    IntrinsicGasTooLow,
    InvalidSignature,
    LantauError,
    NonceTooLow,
    OversizedTransaction,
    ReplacementUnderpriced,
    TxPoolFull,
)
from node.tx_journal import TxJournal
from node.user_tx import check_chain_id, decode_user_transaction
from node.vm import LantauTransactionBuilder, check_sender_is_eoa, check_tip_within_fee_cap, floor_data_gas, intrinsic_gas

NONCE_MAX = 2**64 - 1  # EIP-2681: a nonce can never reach this
#: A block's user transactions' bytes at most (the sequencer's rule, not derivation's): a block's
#: batch then fits one batcher channel, `MAX_RLP_BYTES_PER_CHANNEL` decompressed less a span's
#: overhead (8 bytes a transaction and a block's fields, `ChannelBuilder`'s bound), which the fault
#: proof reads in one L1 transaction (docs/batches.md "What one derivation step reads"). A
#: block's first transaction is taken whatever its size; the pool admits none larger than this
#: (`TxPoolConfig.max_tx_size_bytes` at most), so every pooled transaction can be batched.
MAX_BLOCK_USER_TX_BYTES = MAX_RLP_BYTES_PER_CHANNEL - 8 * MAX_BLOCK_USER_TRANSACTIONS - 256  # 59,744
# Journal compaction: rewrite once the file holds this many more records than the pool.
_JOURNAL_SLACK_RECORDS = 1024
T = TypeVar("T")


class AccountStateReader(Protocol):
    def get_nonce(self, address: Address) -> int: ...

    def get_balance(self, address: Address) -> int: ...

    def get_code_hash(self, address: Address) -> Hash32: ...


@dataclass(frozen=True, slots=True)
class TxPoolConfig:
    chain_id: int
    block_gas_limit: int
    # At most MAX_BLOCK_USER_TX_BYTES (geth's 128 KiB would admit transactions no block's batch
    # can carry: the sequencer's block would never be safe; __post_init__ refuses a larger cap).
    max_tx_size_bytes: int = MAX_BLOCK_USER_TX_BYTES
    # Fee floor on the priority fee: 1 wei, geth's --txpool.pricelimit default. With it every
    # transaction costs its sender something (gas * fee cap >= 21,000 wei), so the balance
    # check refuses keys that hold nothing: zero-fee transactions from unfunded keys would
    # otherwise fill the pool for free and come back from the journal after every restart.
    min_tip_wei: int = 1
    price_bump_percent: int = 10  # replacement needs >= +10% on both fee cap and tip
    # geth's --txpool.accountslots: transactions per sender guaranteed a place in a full pool.
    account_slots: int = 16
    # geth's --txpool.accountqueue: queued (non-executable) transactions per sender, always.
    account_queue: int = 64
    max_total: int = 4096

    def __post_init__(self) -> None:
        for name in (
            "chain_id", "block_gas_limit", "max_tx_size_bytes", "account_slots", "account_queue", "max_total"
        ):
            if getattr(self, name) < 1:
                raise ConfigError(f"txpool: {name} must be at least 1, got {getattr(self, name)}")
        if self.max_tx_size_bytes > MAX_BLOCK_USER_TX_BYTES:
            raise ConfigError(
                f"txpool: max_tx_size_bytes {self.max_tx_size_bytes} is over MAX_BLOCK_USER_TX_BYTES "
                f"{MAX_BLOCK_USER_TX_BYTES}: a larger transaction fits no batcher channel, so never reaches L1"
            )
        for name in ("min_tip_wei", "price_bump_percent"):
            if getattr(self, name) < 0:
                raise ConfigError(f"txpool: {name} must not be negative, got {getattr(self, name)}")


@dataclass(frozen=True, slots=True)
class PooledTransaction:
    hash: Hash32
    raw: bytes
    tx: SignedTransactionAPI
    sender: Address
    nonce: int
    gas: int
    max_fee: int  # max fee per gas; a legacy or 0x01 transaction's gas price
    max_tip: int  # max priority fee per gas; a legacy or 0x01 transaction's gas price
    size: int  # bytes of `raw`
    arrival: int  # order of acceptance into this pool: smaller arrived earlier

    @property
    def cost(self) -> int:
        """The most this transaction can take from the sender: gas * fee cap + value."""
        return self.gas * self.max_fee + self.tx.value

    def effective_tip(self, base_fee: int) -> int:
        """What the block producer earns per gas; negative when the fee cap is below base fee."""
        return min(self.max_tip, self.max_fee - base_fee)


def _locked(method: Callable[..., T]) -> Callable[..., T]:
    @functools.wraps(method)
    def locked(self: "TxPool", *args: Any, **kwargs: Any) -> T:
        with self._lock:
            return method(self, *args, **kwargs)

    return locked


class TxPool:
    """Thread-safe: one lock orders every change and read. The block producer selects from a
    worker thread while transactions arrive (each `add_raw` also runs in a worker thread, so
    the journal's fsync never stalls the event loop); unlocked, `select` would iterate the
    pool's dicts while `add_raw` changes them ("dictionary changed size during iteration")."""

    def __init__(
        self,
        config: TxPoolConfig,
        *,
        transaction_builder: type[TransactionBuilderAPI] = LantauTransactionBuilder,
        journal: TxJournal | None = None,
    ) -> None:
        self.config = config
        self._builder = transaction_builder
        self._journal = journal
        self._journal_records = 0
        self._by_hash: dict[bytes, PooledTransaction] = {}
        self._by_sender: dict[Address, dict[int, PooledTransaction]] = {}
        # Each sender's account nonce as last read from state: where its pending run starts.
        self._account_nonce: dict[Address, int] = {}
        self._arrivals = itertools.count()
        self._lock = threading.RLock()

    # --- entry ----------------------------------------------------------------------------

    @_locked
    def add_raw(
        self, raw: bytes, state: AccountStateReader, base_fee: int, *, require_base_fee: bool = True
    ) -> PooledTransaction:
        """Validate and add one raw transaction; raise a `node.errors` class and change nothing
        if it is refused. With a journal, the transaction is on disk when this returns.
        `require_base_fee=False` takes back a transaction the node acknowledged before (one
        from a reorged-out block) even if its fee cap is now below `base_fee`."""
        return self._add(bytes(raw), state, base_fee, journal=self._journal is not None,
                         require_base_fee=require_base_fee)[0]

    @_locked
    def admit(
        self, raw: bytes, state: AccountStateReader, base_fee: int
    ) -> tuple[PooledTransaction, int | None]:
        """`add_raw` in two steps, for group commit: the transaction is validated, written to
        the journal (not yet fsynced) and pooled; the caller must `make_durable(pooled, ticket)`
        before it acknowledges the transaction to anyone (`node.durability` defers that to the
        end of a JSON-RPC batch, so the whole batch shares one fsync)."""
        return self._add(bytes(raw), state, base_fee, journal=self._journal is not None, require_base_fee=True,
                         sync=False)

    def make_durable(self, pooled: PooledTransaction, ticket: int | None) -> None:
        """Return once an admitted transaction's journal record is on disk. If the disk fails,
        the transaction leaves the pool (it was never acknowledged) and the error is raised;
        what it replaced or evicted stays out."""
        if ticket is None:
            return
        assert self._journal is not None
        try:
            self._journal.sync(ticket)  # outside the pool lock: selection and admission go on
        except OSError:
            with self._lock:
                if self._by_hash.get(pooled.hash) is pooled:
                    self._remove(pooled)
            raise

    @_locked
    def restore(self, state: AccountStateReader, base_fee: int) -> int:
        """Re-add the journal's transactions (at node start); return how many the pool holds now
        that it did not before.

        Each is validated again: those included meanwhile, replaced or no longer valid are
        dropped silently. The journal is then compacted to the transactions the pool holds."""
        if self._journal is None:
            return 0
        before = len(self)
        for raw in self._journal.load():
            try:
                self._add(raw, state, base_fee, journal=False, require_base_fee=False)
            except LantauError:
                continue
        self._compact_journal()
        return len(self) - before

    def _add(
        self, raw: bytes, state: AccountStateReader, base_fee: int, *, journal: bool, require_base_fee: bool,
        sync: bool = True, check_balance: bool = True,
    ) -> tuple[PooledTransaction, int | None]:
        """Validate and pool; with `journal`, write it there first: fsynced if `sync`, else
        also return the journal ticket to sync before acknowledging. `check_balance=False`:
        the caller checks balances after (`reset`)."""
        config = self.config
        if len(raw) > config.max_tx_size_bytes:
            raise OversizedTransaction(len(raw), config.max_tx_size_bytes)
        tx = self._decode(raw)
        tx_hash = tx.hash
        if tx_hash in self._by_hash:
            raise AlreadyKnown("0x" + tx_hash.hex())
        self._check_static(tx)
        sender = _recover_sender(tx)
        check_sender_is_eoa(state, sender)  # EIP-3607: a block refuses it too
        nonce, gas = tx.nonce, tx.gas
        max_fee, max_tip = tx.max_fee_per_gas, tx.max_priority_fee_per_gas
        if require_base_fee and max_fee < base_fee:
            raise FeeCapBelowBaseFee(to_checksum_address(sender), max_fee, base_fee)

        account_nonce = state.get_nonce(sender)
        if nonce < account_nonce:
            raise NonceTooLow(to_checksum_address(sender), nonce, account_nonce)
        # The sender's transactions still ahead of its account nonce; older ones are stale
        # (included since the last head) and leave the pool when this one enters.
        own = {n: t for n, t in self._by_sender.get(sender, {}).items() if n >= account_nonce}
        replaced = own.get(nonce)
        if replaced is not None and not self._pays_replacement_bump(replaced, max_fee, max_tip):
            raise ReplacementUnderpriced("replacement transaction underpriced")

        balance = state.get_balance(sender)
        others_cost = sum(t.cost for n, t in own.items() if n != nonce)
        cost = others_cost + gas * max_fee + tx.value
        if check_balance and cost > balance:
            raise InsufficientFunds(to_checksum_address(sender), balance, cost)

        if replaced is None:
            first_gap = account_nonce
            while first_gap in own:
                first_gap += 1
            if nonce > first_gap:  # queued: it waits for a gap to close
                queued = sum(1 for n in own if n > first_gap)
                if queued >= config.account_queue:
                    raise AccountLimitExceeded(to_checksum_address(sender), config.account_queue)

        stale = [t for n, t in self._by_sender.get(sender, {}).items() if n < account_nonce]
        victim = None
        if replaced is None and len(self._by_hash) - len(stale) >= config.max_total:
            tip = min(max_tip, max_fee - base_fee)
            victim = self._eviction_victim(sender, nonce, tip, base_fee, newcomer_held=len(own))

        # Nothing below may refuse the transaction. The journal goes first, so that a failing
        # disk leaves the pool as it was, and an acknowledged transaction is durable.
        ticket = None
        if journal:
            assert self._journal is not None
            if sync:
                self._journal.append(raw)
            else:
                ticket = self._journal.write(raw)
            self._journal_records += 1
        pooled = PooledTransaction(
            hash=tx_hash,
            raw=raw,
            tx=tx,
            sender=sender,
            nonce=nonce,
            gas=gas,
            max_fee=max_fee,
            max_tip=max_tip,
            size=len(raw),
            arrival=next(self._arrivals),
        )
        for old in stale:
            self._remove(old)
        if replaced is not None:
            self._remove(replaced)
        if victim is not None:
            self._remove(victim)
        self._account_nonce[sender] = account_nonce
        self._by_sender.setdefault(sender, {})[nonce] = pooled
        self._by_hash[tx_hash] = pooled
        return pooled, ticket

    def _decode(self, raw: bytes) -> SignedTransactionAPI:
        return decode_user_transaction(raw, self._builder)

    def _check_static(self, tx: SignedTransactionAPI) -> None:
        """The checks that need no state: the transaction is good on this chain or never."""
        config = self.config
        if tx.nonce >= NONCE_MAX:
            raise FieldOutOfRange(f"nonce has max value: {tx.nonce}")
        if tx.max_fee_per_gas > UINT_256_MAX:
            raise FieldOutOfRange("max fee per gas higher than 2^256-1")
        if tx.max_priority_fee_per_gas > UINT_256_MAX:
            raise FieldOutOfRange("max priority fee per gas higher than 2^256-1")
        if tx.value > UINT_256_MAX:
            raise FieldOutOfRange("value higher than 2^256-1")

        check_chain_id(tx, config.chain_id)
        # EIP-2: s in the lower half of the curve order, so a signature has one valid form.
        if not (tx.y_parity in (0, 1) and 1 <= tx.r < SECPK1_N and 1 <= tx.s <= SECPK1_N // 2):
            raise InvalidSignature("invalid transaction v, r, s values")

        if tx.gas > config.block_gas_limit:
            raise GasLimitExceeded(tx.gas, config.block_gas_limit)
        check_tip_within_fee_cap(tx)  # a block refuses it too (node.vm)

        data = tx.data
        is_create = tx.to == CREATE_CONTRACT_ADDRESS
        if is_create and len(data) > MAX_INITCODE_SIZE:
            raise InitcodeTooLarge(len(data), MAX_INITCODE_SIZE)
        intrinsic = intrinsic_gas(tx)
        if tx.gas < intrinsic:
            raise IntrinsicGasTooLow(tx.gas, intrinsic)
        floor = floor_data_gas(data)
        if tx.gas < floor:
            raise FloorDataGasTooLow(tx.gas, floor)

        if tx.max_priority_fee_per_gas < config.min_tip_wei:
            raise FeeTooLow(
                f"transaction underpriced: tip {tx.max_priority_fee_per_gas} "
                f"below the pool's minimum {config.min_tip_wei}"
            )

    def _pays_replacement_bump(self, old: PooledTransaction, max_fee: int, max_tip: int) -> bool:
        # As geth: both must rise, and each by at least price_bump_percent.
        bump = 100 + self.config.price_bump_percent
        if max_fee <= old.max_fee or max_tip <= old.max_tip:
            return False
        return max_fee * 100 >= old.max_fee * bump and max_tip * 100 >= old.max_tip * bump

    def _eviction_victim(
        self, sender: Address, nonce: int, newcomer_tip: int, base_fee: int, *, newcomer_held: int
    ) -> PooledTransaction:
        """The transaction the newcomer may push out of the full pool, or raise TxPoolFull.

        Only a sender's last nonce may go: evicting from the middle would strand the
        transactions after it. Nor the newcomer's own sender's last nonce when the newcomer
        comes after it, as that would only open a gap in front of the newcomer.

        A newcomer whose sender holds fewer than `account_slots` claims its guaranteed share:
        the cheapest tail of a sender holding more than that goes, whatever it pays (geth
        truncates such senders the same way). Otherwise the lowest-paying tail goes, and only
        for a newcomer that pays a better effective tip."""
        slots = self.config.account_slots
        if newcomer_held < slots:
            over_share = [
                txs[max(txs)] for owner, txs in self._by_sender.items() if owner != sender and len(txs) > slots
            ]
            if over_share:
                return min(over_share, key=lambda tail: (tail.effective_tip(base_fee), -tail.arrival))
        victim: PooledTransaction | None = None
        victim_key: tuple[int, int, int] | None = None
        for owner, txs in self._by_sender.items():
            tail = txs[max(txs)]
            if owner == sender and tail.nonce < nonce:
                continue
            is_pending = self._is_pending(tail)
            # Lowest effective tip first; among equals a queued one, then the newest.
            key = (tail.effective_tip(base_fee), int(is_pending), -tail.arrival)
            if victim_key is None or key < victim_key:
                victim, victim_key = tail, key
        if victim is None:
            raise TxPoolFull(f"txpool is full: {len(self)} transactions, none this one may evict")
        lowest_tip = victim.effective_tip(base_fee)
        if lowest_tip >= newcomer_tip:
            raise TxPoolFull(
                f"txpool is full: {len(self)} transactions, and this one's tip of {newcomer_tip} "
                f"per gas (at base fee {base_fee}) does not beat the lowest evictable {lowest_tip}"
            )
        return victim

    # --- queries --------------------------------------------------------------------------

    @_locked
    def get(self, tx_hash: bytes) -> PooledTransaction | None:
        return self._by_hash.get(bytes(tx_hash))

    @_locked
    def __len__(self) -> int:
        return len(self._by_hash)

    @_locked
    def __contains__(self, tx_hash: object) -> bool:
        return tx_hash in self._by_hash

    @_locked
    def pending_nonce(self, address: Address, state: AccountStateReader) -> int:
        """The next nonce for `address` (as geth's eth_getTransactionCount with "pending"):
        the larger of `state`'s nonce and the end of the sender's pending run in the pool, and
        past any pooled nonces that follow on from there. Never below `state`'s nonce, and
        never below the pool's run when `state` is a head the pool has not been reset to yet
        (a block just built on an older parent, before `reset` brought its transactions back)."""
        nonce = state.get_nonce(address)
        txs = self._by_sender.get(address, {})
        if txs:
            nonce = max(nonce, self._account_nonce[address] + len(self._pending_run(address)))
        while nonce in txs:
            nonce += 1
        return nonce

    @_locked
    def pending(self) -> dict[Address, list[PooledTransaction]]:
        """Executable now: each sender's run of nonces from its account nonce, in order."""
        return {sender: run for sender in self._by_sender if (run := self._pending_run(sender))}

    @_locked
    def queued(self) -> dict[Address, list[PooledTransaction]]:
        """Waiting for a gap to close: each sender's transactions after its pending run."""
        result: dict[Address, list[PooledTransaction]] = {}
        for sender, txs in self._by_sender.items():
            first_gap = self._account_nonce[sender] + len(self._pending_run(sender))
            waiting = [txs[n] for n in sorted(txs) if n > first_gap]
            if waiting:
                result[sender] = waiting
        return result

    @_locked
    def select(self, gas_limit: int, base_fee: int) -> list[SignedTransactionAPI]:
        """Transactions for a block: by effective tip, each sender's in nonce order, at most
        `MAX_BLOCK_USER_TRANSACTIONS` (derivation's bound: a block over it is never derived) and
        `MAX_BLOCK_USER_TX_BYTES` of them (after the first); the rest wait for the next block.

        A sender whose next transaction cannot pay the base fee, or does not fit in the gas or
        bytes left, contributes nothing more to this block (its later nonces cannot go first)."""
        runs = {sender: run for sender in self._by_sender if (run := self._pending_run(sender))}
        heap: list[tuple[int, int, Address, int]] = []
        for sender, run in runs.items():
            heap.append((-run[0].effective_tip(base_fee), run[0].arrival, sender, 0))
        heapq.heapify(heap)
        selected: list[SignedTransactionAPI] = []
        gas_left = gas_limit
        bytes_left = MAX_BLOCK_USER_TX_BYTES
        while heap and gas_left >= GAS_TX and len(selected) < MAX_BLOCK_USER_TRANSACTIONS:
            _, _, sender, index = heapq.heappop(heap)
            pooled = runs[sender][index]
            if pooled.max_fee < base_fee or pooled.gas > gas_left or (selected and pooled.size > bytes_left):
                continue
            selected.append(pooled.tx)
            gas_left -= pooled.gas
            bytes_left -= pooled.size
            if index + 1 < len(runs[sender]):
                following = runs[sender][index + 1]
                entry = (-following.effective_tip(base_fee), following.arrival, sender, index + 1)
                heapq.heappush(heap, entry)
        return selected

    # --- a new head -----------------------------------------------------------------------

    @_locked
    def reset(self, state: AccountStateReader, base_fee: int, returned: Sequence[bytes] = ()) -> int:
        """Move the pool onto a new head (geth's pool reset): prune what the head made invalid
        (`on_new_head`), then take back `returned`, the user transactions of blocks that left
        the canonical chain (oldest first), validated against the new head as any other
        transaction but whatever their fee cap now (the node acknowledged them once). Those the
        new chain mined meanwhile are refused as nonce too low and stay out. Their balance is
        checked after, by `on_new_head`'s walk up each sender's nonces: a returned transaction
        comes before the sender's later pooled ones, so if the balance runs short the later ones
        go, not it (checked one by one against the pool, it would leave a gap under them).
        Each taken back is journaled again (its record may have been compacted away since it
        was mined), with one fsync for all, and the journal is compacted only after that, so no
        moment has a returned transaction in neither the journal nor the chain. Answers how many
        came back."""
        self._prune_to(state)
        taken: list[PooledTransaction] = []
        ticket = None
        for raw in returned:
            try:
                pooled, ticket_of_raw = self._add(bytes(raw), state, base_fee, journal=self._journal is not None,
                                                  require_base_fee=False, sync=False, check_balance=False)
            except LantauError:
                continue
            taken.append(pooled)
            ticket = ticket_of_raw if ticket_of_raw is not None else ticket
        if taken:
            self._prune_to(state)
        if ticket is not None:
            assert self._journal is not None
            self._journal.sync(ticket)
        self._compact_journal_if_due()
        return sum(1 for pooled in taken if self._by_hash.get(pooled.hash) is pooled)

    @_locked
    def journal_transactions(self, raws: Sequence[bytes]) -> None:
        """Write `raws` to the journal, one fsync for all, pooling none of them: the user
        transactions of blocks about to leave the chain, made durable before the chain write
        that drops them (`node.service.L2Node.keep_replaced_transactions`). A crash before
        `reset` takes them back then finds them at start (`restore`: those the new chain holds
        are refused as nonce too low, the others come back)."""
        if self._journal is None or not raws:
            return
        ticket = 0
        for raw in raws:
            ticket = self._journal.write(bytes(raw))
        self._journal_records += len(raws)
        self._journal.sync(ticket)

    @_locked
    def on_new_head(self, state: AccountStateReader, base_fee: int) -> None:
        """Bring the pool up to a new head's state.

        Drops what the head made invalid: transactions below their account's nonce (included
        or replaced by another with that nonce), and, walking each sender's nonces upward,
        any whose cost together with the lower-nonce ones kept exceeds the balance. What
        follows a dropped transaction becomes queued; a filled gap promotes queued ones.
        `base_fee` is accepted for the caller's symmetry with `select`; a transaction whose
        fee cap is below it stays (the base fee may fall) but is never selected meanwhile."""
        self._prune_to(state)
        self._compact_journal_if_due()

    def _prune_to(self, state: AccountStateReader) -> None:
        """`on_new_head`'s pruning, without the journal's compaction."""
        for sender in list(self._by_sender):
            txs = self._by_sender[sender]
            account_nonce = state.get_nonce(sender)
            balance = state.get_balance(sender)
            spent = 0
            for nonce in sorted(txs):
                pooled = txs[nonce]
                if nonce < account_nonce or spent + pooled.cost > balance:
                    self._remove(pooled)
                else:
                    spent += pooled.cost
            if sender in self._by_sender:
                self._account_nonce[sender] = account_nonce

    def _compact_journal_if_due(self) -> None:
        if self._journal is not None and self._journal_records > 2 * len(self) + _JOURNAL_SLACK_RECORDS:
            self._compact_journal()

    # --- internals ------------------------------------------------------------------------

    def _pending_run(self, sender: Address) -> list[PooledTransaction]:
        txs = self._by_sender[sender]
        run: list[PooledTransaction] = []
        nonce = self._account_nonce[sender]
        while nonce in txs:
            run.append(txs[nonce])
            nonce += 1
        return run

    def _is_pending(self, pooled: PooledTransaction) -> bool:
        txs = self._by_sender[pooled.sender]
        return all(n in txs for n in range(self._account_nonce[pooled.sender], pooled.nonce))

    def _remove(self, pooled: PooledTransaction) -> None:
        del self._by_hash[pooled.hash]
        txs = self._by_sender[pooled.sender]
        del txs[pooled.nonce]
        if not txs:
            del self._by_sender[pooled.sender]
            del self._account_nonce[pooled.sender]

    def _compact_journal(self) -> None:
        assert self._journal is not None
        survivors = sorted(self._by_hash.values(), key=lambda pooled: pooled.arrival)
        self._journal.rewrite(pooled.raw for pooled in survivors)
        self._journal_records = len(survivors)


def _recover_sender(tx: SignedTransactionAPI) -> Address:
    try:
        tx.check_signature_validity()
        return Address(tx.sender)
    except (ValidationError, BadSignature, ValueError) as error:
        raise InvalidSignature(f"invalid sender: {error}") from error

