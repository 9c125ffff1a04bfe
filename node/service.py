"""The L2 node as a running thing: chain + txpool + journal + head notifications.

`L2Node` is what the JSON-RPC layer (`node.rpc.backend.RpcBackend`) and the sequencer talk to.
It owns no loop of its own; block production is the sequencer's service, derivation the
verifier's. Every block that becomes canonical goes through `on_new_block`, which prunes the
pool, lets the pool compact its journal and wakes subscribers.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping

from eth.abc import BlockHeaderAPI, SignedTransactionAPI, StateAPI
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas

from genesis.config import GenesisConfig
from node import durability
from genesis.rollup_config import DEVNET_PROOF_COST_LIMITS, ProofCostLimits
from node.chain import BuiltBlock, Chain
from node.errors import LantauError, ReadOnlyNode
from node.heads import Heads
from node.metrics import MetricsRegistry
from node.rpc.context import RpcMethod
from node.syncing import SyncProgress
from node.tx_journal import TxJournal
from node.txpool import TxPool, TxPoolConfig

log = logging.getLogger("lantau.node")

CLIENT_VERSION = "lantau/v0.1.0/python"
SUBSCRIBER_QUEUE_SIZE = 1024


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
        head = chain.head
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
        state, base_fee = self._admission_view()
        # With a journal the pool writes the transaction before accepting it, and it is fsynced
        # before anyone is told: an acknowledged transaction survives kill -9 and power loss.
        # The fsync is owed to the end of the JSON-RPC request (`node.durability`), so a batch
        # shares one; in worker threads, so it never stalls the event loop.
        pooled, ticket = await asyncio.to_thread(self.txpool.admit, raw, state, base_fee)
        if ticket is not None:
            make_durable = functools.partial(self.txpool.make_durable, pooled, ticket)
            if not durability.defer(make_durable):
                await asyncio.to_thread(make_durable)
        if self._tx_arrived is not None:
            self._tx_arrived.set()
        return pooled.hash

    def _admission_view(self) -> tuple[StateAPI, int]:
        """The head's state and the next base fee, which admission checks against. One view
        per head, shared by the sends that arrive while it is the head: building a py-evm
        state costs ~0.3 ms, and its account cache then serves a sender's next transaction.
        Keyed by the head's hash, so a new head or a reorg gets a fresh one; only the pool
        reads it (`TxPool.admit`, under the pool's lock)."""
        head = self.chain.head
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

    def return_to_pool(self, abandoned: "tuple[BlockHeaderAPI, ...]", new_parent: BlockHeaderAPI) -> None:
        """Put the user transactions of abandoned (reorged-out) L2 blocks back into the pool."""
        state, base_fee = self.chain.state_at(new_parent), self.next_base_fee(new_parent)
        for header in reversed(abandoned):
            for raw in self.chain.raw_transactions(header.hash):
                if raw[:1] == b"\x7e":
                    continue  # deposits come back from L1 by themselves, or not at all
                try:
                    self.txpool.add_raw(raw, state, base_fee, require_base_fee=False)
                except LantauError:
                    pass

    # --- blocks ------------------------------------------------------------------------------

    def on_new_block(self, built: BuiltBlock) -> None:
        self.notify_new_head(built.header)

    def notify_new_head(self, header: BlockHeaderAPI) -> None:
        """A new canonical head (built here, or derived from L1): prune the pool, wake subscribers."""
        self.txpool.on_new_head(self.chain.state_at(header), self.next_base_fee(header))
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
