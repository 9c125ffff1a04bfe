"""Logs and filters: eth_getLogs, the eth_newFilter family, and the stream of new heads.

`query_logs` scans a block range, skipping every block whose header bloom rules the
criteria out before reading its receipts. `ChainEvents` turns the backend's new-head queue
into an ordered stream of canonical headers (filling any numbers the queue skipped) for the
filters here and the WebSocket subscriptions in `server.py`. `FilterManager` keeps the
polling filters; one unpolled for `limits.filter_timeout_s` is dropped, as in geth.

Filter ids are 16 random bytes in hex, as geth's.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Final, Iterable, Literal, NamedTuple

from eth.abc import BlockHeaderAPI, LogAPI
from eth_bloom import BloomFilter

from node.chain import Chain
from node.errors import FilterNotFound, InvalidParams, LimitExceeded
from node.rpc.execution import Deadline
from node.rpc.format import JSON, format_log
from node.rpc.full_blocks import JsonText
from node.rpc.limits import RpcLimits
from node.rpc.params import FilterCriteria, Topics

if TYPE_CHECKING:
    from node.rpc.backend import RpcBackend

logger = logging.getLogger(__name__)

#: If the head jumps ahead by more than this, only the newest blocks are replayed to filters.
MAX_REPLAYED_BLOCKS: Final = 1_024


# --- matching -------------------------------------------------------------------------------


def bloom_bits(value: bytes) -> int:
    """The three bits `value` sets in a log bloom (EIP-234's M3:2048), as an integer mask."""
    bloom = BloomFilter()
    bloom.add(value)
    return int(bloom)


@dataclass(frozen=True, slots=True, eq=False)
class LogMatcher:
    """Address and topic criteria: any of `addresses` (none: any address); per topic
    position any of its alternatives (None: any topic). A log with fewer topics than
    positions given does not match, as in geth.

    Each address's and topic's bloom bits are computed once, here, so testing a block's
    bloom costs a few integer operations per entry instead of a keccak each."""

    addresses: frozenset[bytes]
    topics: Topics
    address_masks: tuple[int, ...] = ()
    topic_masks: tuple[tuple[int, ...] | None, ...] = ()

    @classmethod
    def from_criteria(cls, criteria: FilterCriteria) -> "LogMatcher":
        addresses = frozenset(criteria.addresses)
        topic_masks = tuple(
            None if alternatives is None else tuple(bloom_bits(topic) for topic in alternatives)
            for alternatives in criteria.topics
        )
        return cls(addresses, criteria.topics, tuple(bloom_bits(a) for a in addresses), topic_masks)

    def may_match_bloom(self, bloom: int) -> bool:
        """False when the block's bloom proves no log of it can match."""
        if self.address_masks and not any(bloom & mask == mask for mask in self.address_masks):
            return False
        for masks in self.topic_masks:
            if masks is not None and not any(bloom & mask == mask for mask in masks):
                return False
        return True

    def matches(self, log: LogAPI) -> bool:
        if self.addresses and log.address not in self.addresses:
            return False
        if len(self.topics) > len(log.topics):
            return False
        for alternatives, topic in zip(self.topics, log.topics):
            if alternatives is not None and topic.to_bytes(32, "big") not in alternatives:
                return False
        return True


def block_log_entries(chain: Chain, header: BlockHeaderAPI) -> list[tuple[LogAPI, bytes, int, int]]:
    """Each log of a block, in block order, with its (transaction hash, transaction index,
    log index). Only the receipts of transactions that logged are read (`node.tx_index`), so
    the cost follows the block's logs, not its transactions."""
    index = chain.block_index(header)
    entries: list[tuple[LogAPI, bytes, int, int]] = []
    for tx_index in index.indexes_with_logs:
        record = chain.transaction_record(header, tx_index)
        assert record is not None, "a block's index names only its own transactions"
        first = record.fields.first_log_index
        tx_hash = index.tx_hash(tx_index)
        entries.extend((log, tx_hash, tx_index, first + offset)  # type: ignore[misc]  # ReceiptLog reads as a LogAPI
                       for offset, log in enumerate(record.logs()))
    return entries


class KeptLog(NamedTuple):
    log: LogAPI  # what matching reads: address, topics
    text: str  # the log as eth_getLogs answers it, serialised


class BlockLogTexts:
    """Each block's logs formatted and serialised once, kept by block hash.

    Indexers and dapps poll the same recent blocks' logs over and over; formatting and
    serialising them again for every query held the node's interpreter lock, which block
    building needs too (800 logs: ~76 ms a query). A block hash fixes the block's logs, their
    transaction hashes and positions, so what is kept for a hash cannot go stale across a reorg
    (the new block has another hash; numbers are resolved to a header on every query) or a
    restart (nothing is kept on disk). `removed` is false in every log a query answers."""

    MAX_KEPT_BLOCKS = 256
    MAX_KEPT_LOGS = 100_000

    def __init__(self) -> None:
        self._kept: OrderedDict[bytes, tuple[KeptLog, ...]] = OrderedDict()
        self._kept_logs = 0
        self._lock = threading.Lock()

    def of(self, chain: Chain, header: BlockHeaderAPI) -> tuple[KeptLog, ...]:
        block_hash = header.hash
        with self._lock:
            kept = self._kept.get(block_hash)
            if kept is not None:
                self._kept.move_to_end(block_hash)
                return kept
        kept = tuple(
            KeptLog(log, json.dumps(format_log(log, header=header, tx_hash=tx_hash, tx_index=tx_index, log_index=log_index),
                                    separators=(",", ":")))
            for log, tx_hash, tx_index, log_index in block_log_entries(chain, header)
        )
        with self._lock:
            if block_hash not in self._kept:
                self._kept[block_hash] = kept
                self._kept_logs += len(kept)
                while len(self._kept) > self.MAX_KEPT_BLOCKS or self._kept_logs > self.MAX_KEPT_LOGS:
                    _, dropped = self._kept.popitem(last=False)
                    self._kept_logs -= len(dropped)
        return kept

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._kept_logs = 0


#: The node's kept log texts (content-addressed by block hash, so one for the process).
KEPT_LOG_TEXTS: Final = BlockLogTexts()


def _matching_texts(chain: Chain, header: BlockHeaderAPI, matcher: LogMatcher) -> list[str]:
    if not matcher.may_match_bloom(header.bloom):
        return []
    return [kept.text for kept in KEPT_LOG_TEXTS.of(chain, header) if matcher.matches(kept.log)]


def _array(texts: list[str]) -> JsonText:
    return JsonText("[" + ",".join(texts) + "]")


def block_logs(chain: Chain, header: BlockHeaderAPI, matcher: LogMatcher, *, deadline: Deadline | None = None) -> JsonText:
    """The logs of one block that match, as a JSON array; the bloom is checked first."""
    if deadline is not None:
        deadline.check()
    return _array(_matching_texts(chain, header, matcher))


def query_logs(
    chain: Chain, matcher: LogMatcher, first: int, last: int, *, limits: RpcLimits, deadline: Deadline
) -> JsonText:
    """eth_getLogs over blocks `first`..`last` (inclusive; none past the head), as a JSON array.
    Blocking: run it in a worker thread; stops at `deadline`, checked before each block."""
    if first > last:
        raise InvalidParams(f"invalid block range params: fromBlock {first} is after toBlock {last}")
    # The cap applies to the range asked for, so a query is refused or not whatever the
    # chain's length; blocks beyond the head are then simply not there yet.
    if last - first + 1 > limits.max_logs_block_range:
        raise LimitExceeded(f"query exceeds max block range {limits.max_logs_block_range}")
    last = min(last, chain.head.block_number)
    results: list[str] = []
    for number in range(first, last + 1):
        deadline.check()
        results.extend(_matching_texts(chain, chain.header_by_number(number), matcher))
        if len(results) > limits.max_logs_results:
            raise LimitExceeded(f"query returned more than {limits.max_logs_results} results")
    return _array(results)


# --- the stream of new heads ------------------------------------------------------------------


class NewHead:
    """A new canonical head, with its logs read at most once for all listeners.

    `prepare` matches every installed filter and subscription against the block in a worker
    thread before listeners run on the event loop; their `matching_logs` then only looks the
    answer up. (A matcher installed in between is matched on the spot: one filter's work.)"""

    def __init__(self, chain: Chain, header: BlockHeaderAPI) -> None:
        self.chain = chain
        self.header = header
        self._logs: list[tuple[LogAPI, bytes, int, int]] | None = None
        self._matched: dict[int, list[JSON]] = {}
        self._matchers: list[LogMatcher] = []  # keeps the ids in `_matched` alive

    def prepare(self, matchers: list[LogMatcher]) -> None:
        """Match `matchers` against this block. Blocking: reads receipts."""
        for matcher in matchers:
            if id(matcher) not in self._matched:
                self._matched[id(matcher)] = self._match(matcher)
                self._matchers.append(matcher)

    def matching_logs(self, matcher: LogMatcher) -> list[JSON]:
        matched = self._matched.get(id(matcher))
        return list(matched) if matched is not None else self._match(matcher)

    def _match(self, matcher: LogMatcher) -> list[JSON]:
        if not matcher.may_match_bloom(self.header.bloom):
            return []
        if self._logs is None:
            self._logs = block_log_entries(self.chain, self.header)
        return [
            format_log(log, header=self.header, tx_hash=tx_hash, tx_index=tx_index, log_index=log_index)
            for log, tx_hash, tx_index, log_index in self._logs
            if matcher.matches(log)
        ]


HeadListener = Callable[[NewHead], None]
PendingListener = Callable[[bytes], None]
MatcherSource = Callable[[], Iterable[LogMatcher]]


class ChainEvents:
    """Fans the backend's new heads (and transactions sent through this server) out to
    listeners. `run()` is the one consumer of the backend's queue."""

    def __init__(self, backend: RpcBackend) -> None:
        self._backend = backend
        self._head_listeners: list[HeadListener] = []
        self._pending_listeners: list[PendingListener] = []
        self._matcher_sources: list[MatcherSource] = []
        self._last: BlockHeaderAPI | None = None
        #: The hash of the last head every listener has been told about.
        self.announced: bytes | None = None

    def add_matcher_source(self, source: MatcherSource) -> None:
        """`source()` names the log matchers a head listener will ask about, so that they are
        matched off the event loop first."""
        self._matcher_sources.append(source)

    def remove_matcher_source(self, source: MatcherSource) -> None:
        if source in self._matcher_sources:
            self._matcher_sources.remove(source)

    def add_head_listener(self, listener: HeadListener) -> None:
        self._head_listeners.append(listener)

    def remove_head_listener(self, listener: HeadListener) -> None:
        if listener in self._head_listeners:
            self._head_listeners.remove(listener)

    def add_pending_listener(self, listener: PendingListener) -> None:
        self._pending_listeners.append(listener)

    def remove_pending_listener(self, listener: PendingListener) -> None:
        if listener in self._pending_listeners:
            self._pending_listeners.remove(listener)

    def publish_pending_transaction(self, tx_hash: bytes) -> None:
        for listener in list(self._pending_listeners):
            try:
                listener(tx_hash)
            except Exception:
                logger.exception("pending-transaction listener failed")

    async def run(self) -> None:
        chain = self._backend.chain
        queue = self._backend.subscribe_blocks()
        try:
            self._last = chain.head
            while True:
                item = await queue.get()
                try:
                    new_headers = self._advance(chain, getattr(item, "header", item))
                except Exception:  # one bad announcement must not end the stream
                    logger.exception("could not read the blocks up to a new head")
                    continue
                for new_header in new_headers:
                    event = NewHead(chain, new_header)
                    matchers = [m for source in list(self._matcher_sources) for m in source()]
                    if matchers:
                        try:
                            await asyncio.to_thread(event.prepare, matchers)
                        except Exception:
                            logger.exception("could not match filters against block %d", new_header.block_number)
                    for listener in list(self._head_listeners):
                        try:
                            listener(event)
                        except Exception:
                            logger.exception("new-head listener failed")
                    self.announced = new_header.hash
        finally:
            self._backend.unsubscribe_blocks(queue)

    def _advance(self, chain: Chain, header: BlockHeaderAPI) -> list[BlockHeaderAPI]:
        """The headers to announce for a new head: any canonical blocks the queue skipped
        since the last one announced, then the head itself."""
        last = self._last
        self._last = header
        if last is None:
            return [header]
        if header.hash == last.hash:
            return []
        skipped: list[BlockHeaderAPI] = []
        if header.block_number > last.block_number + 1:
            first = max(last.block_number + 1, header.block_number - MAX_REPLAYED_BLOCKS)
            for number in range(first, header.block_number):
                block_hash = chain.canonical_hash(number)
                if block_hash is not None:
                    skipped.append(chain.header_by_hash(block_hash))
        return skipped + [header]


# --- polling filters --------------------------------------------------------------------------

FilterKind = Literal["logs", "blocks", "pending"]


@dataclass
class Filter:
    kind: FilterKind
    last_poll: float
    criteria: FilterCriteria | None = None
    matcher: LogMatcher | None = None
    # Block-number bounds from fromBlock/toBlock given as numbers (tags leave them open).
    first_block: int | None = None
    last_block: int | None = None
    changes: list[Any] = field(default_factory=list)


class FilterManager:
    """The eth_newFilter family. Event-loop only (not thread-safe)."""

    def __init__(self, limits: RpcLimits, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._limits = limits
        self._clock = clock
        self._filters: dict[str, Filter] = {}

    def __len__(self) -> int:
        return len(self._filters)

    def _install(self, filter_: Filter) -> str:
        self.expire()
        if len(self._filters) >= self._limits.max_filters:
            raise LimitExceeded(f"too many filters installed (limit {self._limits.max_filters})")
        filter_id = "0x" + secrets.token_hex(16)
        self._filters[filter_id] = filter_
        return filter_id

    def new_log_filter(self, criteria: FilterCriteria) -> str:
        first = criteria.from_block.number if criteria.from_block is not None else None
        last = criteria.to_block.number if criteria.to_block is not None else None
        return self._install(Filter("logs", self._clock(), criteria, LogMatcher.from_criteria(criteria), first, last))

    def new_block_filter(self) -> str:
        return self._install(Filter("blocks", self._clock()))

    def new_pending_transaction_filter(self) -> str:
        return self._install(Filter("pending", self._clock()))

    def get(self, filter_id: str) -> Filter:
        filter_ = self._filters.get(filter_id)
        if filter_ is None or self._expired(filter_):
            self._filters.pop(filter_id, None)
            raise FilterNotFound()
        filter_.last_poll = self._clock()
        return filter_

    def take_changes(self, filter_id: str) -> list[Any]:
        filter_ = self.get(filter_id)
        changes, filter_.changes = filter_.changes, []
        return changes

    def uninstall(self, filter_id: str) -> bool:
        return self._filters.pop(filter_id, None) is not None

    def _expired(self, filter_: Filter) -> bool:
        return self._clock() - filter_.last_poll > self._limits.filter_timeout_s

    def expire(self) -> int:
        stale = [filter_id for filter_id, filter_ in self._filters.items() if self._expired(filter_)]
        for filter_id in stale:
            del self._filters[filter_id]
        return len(stale)

    def _append(self, filter_: Filter, items: list[Any]) -> None:
        filter_.changes.extend(items)
        overflow = len(filter_.changes) - self._limits.max_filter_changes
        if overflow > 0:
            del filter_.changes[:overflow]

    def log_matchers(self) -> list[LogMatcher]:
        """The matchers of the installed log filters (a `ChainEvents` matcher source)."""
        return [f.matcher for f in self._filters.values() if f.kind == "logs" and f.matcher is not None]

    def on_new_head(self, event: NewHead) -> None:
        number = event.header.block_number
        for filter_ in list(self._filters.values()):
            if filter_.kind == "blocks":
                self._append(filter_, ["0x" + event.header.hash.hex()])
            elif filter_.kind == "logs":
                assert filter_.matcher is not None
                if filter_.first_block is not None and number < filter_.first_block:
                    continue
                if filter_.last_block is not None and number > filter_.last_block:
                    continue
                self._append(filter_, event.matching_logs(filter_.matcher))

    def on_pending_transaction(self, tx_hash: bytes) -> None:
        for filter_ in self._filters.values():
            if filter_.kind == "pending":
                self._append(filter_, ["0x" + tx_hash.hex()])

    async def run_expiry(self) -> None:
        """Drop idle filters now and then, so abandoned ones do not pile up."""
        interval = min(60.0, self._limits.filter_timeout_s / 4)
        while True:
            await asyncio.sleep(interval)
            self.expire()
