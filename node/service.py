"""The L2 node as a running thing: chain + txpool + journal + head notifications.

`L2Node` is what the JSON-RPC layer (`node.rpc.backend.RpcBackend`) and the sequencer talk to.
It owns no loop of its own; block production is the sequencer's service, derivation the
verifier's. Every block that becomes canonical goes through `on_new_block`, which resets the
pool onto it, lets the pool compact its journal and wakes subscribers.

The pool follows one head of its own, `pool_head`, and admission checks against that head's
state, under the lock that moves it: so a transaction is never checked against one head and
pooled beside transactions sorted by another. Moving the pool to a head that is not a child of
its own (the sequencer rebuilding from an older parent after an L1 reorg, derivation replacing
unsafe blocks) is geth's pool reset: the user transactions of the blocks that left the chain
come back to the pool, unless the new branch has them; those the new chain mined meanwhile stay
out (nonce too low), and pending/queued are derived again from the new head's nonces.

Crash safety of that reset. The sequencer resets the pool onto the older parent before it builds
there, so the abandoned blocks' transactions are journaled before the chain drops them.
Derivation writes its block first and the reset follows (`notify_new_head`); a crash between the
two would leave the replaced blocks' user transactions in neither the new chain nor the pool (the
journal forgets a transaction once it is mined and the journal compacted). So derivation asks the
node first (`keep_replaced_transactions`, the pipeline's `before_replacing`): their raw
transactions are written to the journal and fsynced before the chain write, and a restart's
`TxPool.restore` takes them back (those the new chain holds are refused as nonce too low).
`TEST_SEAM_KILL_BEFORE_POOL_RESET` kills the process in that window, for the kill -9 test.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import signal
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from eth.abc import BlockHeaderAPI, SignedTransactionAPI, StateAPI
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_utils import keccak

from genesis.config import GenesisConfig
from node import durability
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits
from node.chain import BuiltBlock, Chain
from node.errors import ReadOnlyNode
from node.heads import Heads
from node.metrics import MetricsRegistry
from node.rpc.context import RpcMethod
from node.syncing import SyncProgress
from node.tx_journal import TxJournal
from node.txpool import PooledTransaction, TxPool, TxPoolConfig

log = logging.getLogger("lantau.node")

CLIENT_VERSION = "lantau/v0.1.0/python"
SUBSCRIBER_QUEUE_SIZE = 1024
#: The deepest reorg whose dropped blocks' transactions return to the pool (geth: 64 blocks; an
#: L2 block every second makes reorgs of an L1 reorg's length in seconds, so more here).
MAX_RETURNED_REORG_BLOCKS = 1024
#: Test seam, never set in production: with this environment variable set to 1 the node kills
#: itself (SIGKILL, as kill -9) when derivation has written a chain that replaced unsafe blocks
#: with user transactions and the pool has not taken them back yet, the window the journal covers
#: (`L2Node.keep_replaced_transactions`; tests/e2e/test_pool_reorg.py).
TEST_SEAM_KILL_BEFORE_POOL_RESET = "LANTAU_TEST_SEAM_KILL_BEFORE_POOL_RESET"


@dataclass
class L2Node:
    chain: Chain
    txpool: TxPool
    journal: TxJournal | None
    client_version: str = CLIENT_VERSION
    read_only: bool = False  # a verifier: its blocks come from L1 only, so it takes no transactions
    metrics: MetricsRegistry = field(default_factory=MetricsRegistry)
    extra_methods: dict[str, RpcMethod] = field(default_factory=dict)
    #: A derivation node's `eth_syncing` source (node.syncing.DerivationSync.progress), set by the
    #: composition root; None: the node never syncs (a sequencer, a node without an L1).
    sync_progress: Callable[[], SyncProgress | None] | None = None
    _subscribers: set["asyncio.Queue[BlockHeaderAPI]"] = field(default_factory=set)
    _tx_arrived: asyncio.Event | None = None
    _admission_cache: tuple[bytes, StateAPI, int] | None = None
    #: The head the pool was last reset to (`reset_pool`); admission checks against its state.
    pool_head: BlockHeaderAPI | None = None
    #: Orders pool resets and admissions: a transaction is checked against the pool's own head.
    _pool_head_lock: threading.RLock = field(default_factory=threading.RLock)

    @classmethod
    def open(
        cls, data_dir: Path | None, genesis: GenesisConfig, *, pool_config: TxPoolConfig | None = None, read_only: bool = False,
        proof_cost_limits: ProofCostLimits = DEVNET_PROOF_COST_LIMITS,
    ) -> "L2Node":
        chain = Chain.open(data_dir, genesis, proof_cost_limits=proof_cost_limits)
        journal = TxJournal(Path(data_dir) / "transactions.journal") if data_dir is not None else None
        pool = TxPool(pool_config or TxPoolConfig(chain_id=genesis.chain_id, block_gas_limit=genesis.gas_limit), journal=journal)
        node = cls(chain=chain, txpool=pool, journal=journal, read_only=read_only)
        node._register_metrics()
        head = node.pool_head = chain.head
        restored = pool.restore(chain.state_at(head), node.next_base_fee(head))
        if restored:
            log.info("restored transactions from the journal", extra={"restored": restored})
        return node

    def _register_metrics(self) -> None:
        from node.l1_info import read_l1_origin

        def heads() -> dict[tuple[tuple[str, str], ...], float]:
            return {
                (("head", "unsafe"),): self.chain.head.block_number,
                (("head", "safe"),): self.safe_head().block_number,
                (("head", "finalized"),): self.finalized_head().block_number,
            }

        def l1_origin() -> float:
            origin = read_l1_origin(self.chain.state_at(self.chain.head))
            return origin.number if origin else 0

        self.metrics.gauge("lantau_node_head_number", "L2 block number of each head.", heads)
        self.metrics.gauge("lantau_node_l1_origin_number", "L1 origin of the unsafe head.", l1_origin)
        self.metrics.gauge("lantau_node_txpool_size", "Transactions in the pool (pending + queued).", lambda: len(self.txpool))
        self.metrics.gauge("lantau_node_head_timestamp_seconds", "Timestamp of the unsafe head.", lambda: self.chain.head.timestamp)

    # --- heads -------------------------------------------------------------------------------

    def next_base_fee(self, parent: BlockHeaderAPI | None = None) -> int:
        return calculate_expected_base_fee_per_gas(parent or self.chain.head)

    @property
    def heads(self) -> Heads:
        return Heads(self.chain)

    def safe_head(self) -> BlockHeaderAPI:
        # Until derivation confirms blocks from L1 data, safe stays at genesis.
        return self.heads.safe_header()

    def finalized_head(self) -> BlockHeaderAPI:
        return self.heads.finalized_header()

    # --- transactions ------------------------------------------------------------------------

    async def send_raw_transaction(self, raw: bytes) -> bytes:
        if self.read_only:
            raise ReadOnlyNode("this node is a verifier: it builds blocks from L1 data only; send transactions to the sequencer")
        # With a journal the pool writes the transaction before accepting it, and it is fsynced
        # before anyone is told: an acknowledged transaction survives kill -9 and power loss.
        # The fsync is owed to the end of the JSON-RPC request (`node.durability`), so a batch
        # shares one; in worker threads, so it never stalls the event loop.
        pooled, ticket = await asyncio.to_thread(self._admit, raw)
        if ticket is not None:
            make_durable = functools.partial(self.txpool.make_durable, pooled, ticket)
            if not durability.defer(make_durable):
                await asyncio.to_thread(make_durable)
        if self._tx_arrived is not None:
            self._tx_arrived.set()
        return pooled.hash

    def _admit(self, raw: bytes) -> "tuple[PooledTransaction, int | None]":
        """`TxPool.admit` against the pool's head, which no reset moves meanwhile: checked
        against the chain's head instead, a send landing while the sequencer rebuilds from an
        older parent took the transactions just returned to the pool for stale (mined, as that
        head says) and dropped them, leaving the sender's later nonces queued behind a gap."""
        with self._pool_head_lock:
            state, base_fee = self._admission_view()
            return self.txpool.admit(raw, state, base_fee)

    def _admission_view(self) -> tuple[StateAPI, int]:
        """The pool head's state and the next base fee, which admission checks against. One view
        per head, shared by the sends that arrive while it is the head: building a py-evm
        state costs ~0.3 ms, and its account cache then serves a sender's next transaction.
        Keyed by the head's hash, so a new head or a reorg gets a fresh one; only the pool
        reads it (`TxPool.admit`, under the pool's lock)."""
        head = self.pool_head or self.chain.head
        cached = self._admission_cache
        if cached is None or cached[0] != head.hash:
            cached = self._admission_cache = (head.hash, self.chain.state_at(head), self.next_base_fee(head))
        return cached[1], cached[2]

    def tx_arrival_event(self) -> asyncio.Event:
        if self._tx_arrived is None:
            self._tx_arrived = asyncio.Event()
        return self._tx_arrived

    def select_transactions(self, parent: BlockHeaderAPI, gas_limit: int) -> list[SignedTransactionAPI]:
        return self.txpool.select(gas_limit, self.next_base_fee(parent))

    def reset_pool(self, new_head: BlockHeaderAPI, *, return_dropped: bool = True) -> int:
        """Move the pool onto `new_head` (geth's pool reset); answers how many transactions of
        dropped blocks came back. The sequencer calls it with the older parent it rebuilds
        from before building there, so the abandoned blocks' transactions are selectable at
        once; every new canonical head comes through here too (`notify_new_head`).
        `return_dropped=False`: the blocks above are gone with their transactions (dev mode's
        evm_revert, as anvil's and geth's setHead); a verifier takes no transactions at all."""
        with self._pool_head_lock:
            old_head = self.pool_head
            returned: list[bytes] = []
            if return_dropped and not self.read_only and old_head is not None:
                returned = self._dropped_transactions(old_head, new_head)
            if returned and self.chain.head.hash == new_head.hash and os.environ.get(TEST_SEAM_KILL_BEFORE_POOL_RESET) == "1":
                log.warning("test seam %s: killing the node between the chain write and the pool reset", TEST_SEAM_KILL_BEFORE_POOL_RESET)
                os.kill(os.getpid(), signal.SIGKILL)
            back = self.txpool.reset(self.chain.state_at(new_head), self.next_base_fee(new_head), returned)
            self.pool_head = new_head
        if returned:
            log.info("reorg: transactions of dropped blocks back in the pool", extra={
                "from_head": old_head.block_number if old_head else None, "to_head": new_head.block_number,
                "dropped": len(returned), "back": back,
            })
        return back

    def keep_replaced_transactions(self, parent: BlockHeaderAPI) -> int:
        """Derivation is about to build on `parent`, replacing the canonical blocks above it:
        write their user transactions to the journal (fsynced) before that chain write, so a
        crash before `reset_pool` takes them back loses none (the module's docstring, "Crash
        safety"). Answers how many were journaled; a verifier, or a node without a journal,
        keeps none (it takes no transactions, or has nowhere to keep them)."""
        if self.read_only or self.journal is None:
            return 0
        with self._pool_head_lock:
            leaving = self._dropped_transactions(self.chain.head, parent)
            self.txpool.journal_transactions(leaving)
        if leaving:
            log.info("journaled the transactions of unsafe blocks derivation replaces", extra={
                "from_block": parent.block_number + 1, "to_head": self.chain.head.block_number, "transactions": len(leaving),
            })
        return len(leaving)

    def _dropped_transactions(self, old_head: BlockHeaderAPI, new_head: BlockHeaderAPI) -> list[bytes]:
        """The raw user transactions of the blocks from `old_head` back to its common ancestor
        with `new_head`, oldest first, less those the new branch holds (geth's TxDifference).
        Deposits never come back: L1 brings them again, or not at all."""
        if new_head.parent_hash == old_head.hash or new_head.hash == old_head.hash:
            return []  # the chain grew (or stayed): nothing left it
        chain = self.chain
        dropped: list[BlockHeaderAPI] = []
        included: set[bytes] = set()
        old, new = old_head, new_head
        while old.hash != new.hash:
            if len(dropped) > MAX_RETURNED_REORG_BLOCKS:
                log.warning("reorg deeper than %d blocks: its transactions do not come back", MAX_RETURNED_REORG_BLOCKS)
                return []
            if old.block_number >= new.block_number:
                dropped.append(old)
                old = chain.header_by_hash(old.parent_hash)
            else:
                included.update(keccak(raw) for raw in chain.raw_transactions(new.hash))
                new = chain.header_by_hash(new.parent_hash)
        return [
            raw for header in reversed(dropped) for raw in chain.raw_transactions(header.hash)
            if raw[:1] != b"\x7e" and keccak(raw) not in included
        ]

    # --- blocks ------------------------------------------------------------------------------

    def on_new_block(self, built: BuiltBlock) -> None:
        self.notify_new_head(built.header)

    def notify_new_head(self, header: BlockHeaderAPI) -> None:
        """A new canonical head (built here, or derived from L1): reset the pool onto it (a
        replaced branch's transactions come back), wake subscribers."""
        self.reset_pool(header)
        self._wake_subscribers(header)

    def notify_rewound_head(self, header: BlockHeaderAPI) -> None:
        """The head went back to an ancestor and the blocks above are gone with their
        transactions (dev mode's evm_revert, as anvil's): the pool follows, takes nothing back."""
        self.reset_pool(header, return_dropped=False)
        self._wake_subscribers(header)

    def _wake_subscribers(self, header: BlockHeaderAPI) -> None:
        for queue in list(self._subscribers):
            if queue.full():
                queue.get_nowait()  # a slow subscriber loses its oldest head, never blocks the node
            queue.put_nowait(header)

    def subscribe_blocks(self) -> "asyncio.Queue[BlockHeaderAPI]":
        queue: asyncio.Queue[BlockHeaderAPI] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self._subscribers.add(queue)
        return queue

    def unsubscribe_blocks(self, queue: "asyncio.Queue[BlockHeaderAPI]") -> None:
        self._subscribers.discard(queue)

    def register_methods(self, methods: Mapping[str, RpcMethod]) -> None:
        self.extra_methods.update(methods)

    def close(self) -> None:
        self.chain.close()
        if self.journal is not None:
            self.journal.close()
