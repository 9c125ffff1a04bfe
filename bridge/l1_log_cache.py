"""The logs of L1 events from the rollup's start, for the explorer's rollup lists
(`bridge.rollup_view`): a page of an event's logs by position (0 = the oldest since the start),
read from L1 once and then incrementally, in memory bounded whatever the chain's history.

What is kept per event is a count of its logs per segment of `segment_blocks` L1 blocks (a few
bytes per segment: a year of L1 is ~2,600 ints), so a read knows how many logs there are and which
segments hold positions `start .. end` without keeping them. The logs themselves are kept in one
LRU of segments over all events, at most `max_cached_logs` logs in all (sized for the explorer:
a page is at most 100 items, and the newest segments are the ones read most); a page whose
segments were evicted reads them again with one `eth_getLogs` per segment. New blocks are read
incrementally (only the blocks after the last one read), and the logs read go to the LRU.

An L1 reorg is noticed by hash. Each read that reaches L1's head remembers that block's number
and hash (a checkpoint; the newest `MAX_CHECKPOINTS` are kept). The next read resumes after the
newest checkpoint whose block is still canonical, drops the counts and cached logs above it and
recounts its segment; when none is, it reads again from the start. A read during which L1's head
block changed hash is not kept: it is tried again (`MAX_ATTEMPTS`), then refused as a
`TemporaryError`. So a read answers exactly what one `eth_getLogs` over the whole range would,
sliced at the positions asked, on the chain as it is.
"""

from __future__ import annotations

import threading
from array import array
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from eth_utils import to_checksum_address

from bridge.l1_client import L1Client
from node.errors import TemporaryError

MAX_CHECKPOINTS = 64
MAX_ATTEMPTS = 3
SEGMENT_BLOCKS = 1_024  # L1 blocks per segment: one eth_getLogs reads one (providers cap ranges near 10,000)
MAX_CACHED_LOGS = 4_096  # ~4-8 MB of decoded logs; an explorer page is at most 100

Log = dict[str, Any]
EventKey = tuple[str, str]  # (checksum address, lower-case topic)


class _ReorgedWhileReading(Exception):
    """L1's head changed hash during a read: read again."""


@dataclass
class _EventIndex:
    counts: array = field(default_factory=lambda: array("Q"))  # logs per segment, read through `checkpoints[-1]`
    checkpoints: list[tuple[int, bytes]] = field(default_factory=list)  # (L1 block number, hash), oldest first

    @property
    def total(self) -> int:
        return sum(self.counts)


@dataclass
class _Segment:
    logs: list[Log]  # the segment's logs of one event, oldest first
    through: int  # ... in its blocks up to this L1 block


class L1LogCache:
    """Thread-safe: the rollup view's methods read from worker threads."""

    def __init__(self, l1: L1Client, *, from_block: int, segment_blocks: int = SEGMENT_BLOCKS,
                 max_cached_logs: int = MAX_CACHED_LOGS) -> None:
        self.l1, self.from_block = l1, from_block
        self.segment_blocks, self.max_cached_logs = segment_blocks, max_cached_logs
        self._lock = threading.Lock()
        self._events: dict[EventKey, _EventIndex] = {}
        self._segments: OrderedDict[tuple[EventKey, int], _Segment] = OrderedDict()  # LRU: least recent first
        self._cached = 0

    # --- reading ---------------------------------------------------------------------------------

    def read(self, address: str, topic: str, positions: Callable[[int], range]) -> tuple[range, list[Log]]:
        """The logs of `address` whose first topic is `topic` from `from_block` to L1's head, at
        `positions(total)` (a step-1 range within 0 .. total, total the number of such logs; it
        may raise to refuse), oldest first, with that range."""
        key = (to_checksum_address(address), topic.lower())
        with self._lock:
            index = self._events.setdefault(key, _EventIndex())
            for _ in range(MAX_ATTEMPTS):
                if not self._read_to_head(key, index):
                    continue
                wanted = positions(index.total)
                try:
                    return wanted, self._logs_at(key, index, wanted)
                except _ReorgedWhileReading:
                    continue
        raise TemporaryError(f"L1 reorganised during {MAX_ATTEMPTS} reads of {key[0]}'s logs; try again")

    def logs(self, address: str, topic: str) -> list[Log]:
        """Every such log (for a short list or a test: the memory bound is `read`'s)."""
        return self.read(address, topic, range)[1]

    def read_through(self, address: str, topic: str) -> int | None:
        """The L1 block the logs of this event are read up to (None: not read yet)."""
        with self._lock:
            index = self._events.get((to_checksum_address(address), topic.lower()))
            return index.checkpoints[-1][0] if index and index.checkpoints else None

    def cached_log_count(self) -> int:
        """Logs held in the LRU now, over all events (at most `max_cached_logs`)."""
        with self._lock:
            return self._cached

    # --- segments ----------------------------------------------------------------------------------

    def _segment_of(self, block: int) -> int:
        return (block - self.from_block) // self.segment_blocks

    def _segment_range(self, segment: int) -> tuple[int, int]:
        first = self.from_block + segment * self.segment_blocks
        return first, first + self.segment_blocks - 1

    def _get_logs(self, address: str, topic: str, first: int, last: int) -> list[Log]:
        return list(self.l1.rpc("eth_getLogs", [{"address": address, "topics": [topic], "fromBlock": hex(first), "toBlock": hex(last)}]))

    def _cache(self, key: EventKey, segment: int, entry: _Segment) -> None:
        self._drop(key, segment)
        if len(entry.logs) > self.max_cached_logs:
            return  # used for this read only
        self._segments[(key, segment)] = entry
        self._cached += len(entry.logs)
        while self._cached > self.max_cached_logs:
            _, evicted = self._segments.popitem(last=False)
            self._cached -= len(evicted.logs)

    def _drop(self, key: EventKey, segment: int) -> None:
        old = self._segments.pop((key, segment), None)
        if old is not None:
            self._cached -= len(old.logs)

    def _logs_at(self, key: EventKey, index: _EventIndex, wanted: range) -> list[Log]:
        if not wanted:
            return []
        through = index.checkpoints[-1][0]
        out: list[Log] = []
        position = 0  # of the segment's first log
        for segment, count in enumerate(index.counts):
            if position >= wanted.stop:
                break
            if count and position + count > wanted.start:
                entry = self._segments.get((key, segment))
                last = min(self._segment_range(segment)[1], through)
                if entry is None or entry.through != last:
                    entry = _Segment(self._get_logs(*key, self._segment_range(segment)[0], last), last)
                    if len(entry.logs) != count:
                        raise _ReorgedWhileReading()
                    self._cache(key, segment, entry)
                else:
                    self._segments.move_to_end((key, segment))
                out.extend(entry.logs[max(0, wanted.start - position):wanted.stop - position])
            position += count
        current = self.l1.block_hash(through)
        if current is None or bytes(current) != index.checkpoints[-1][1]:
            raise _ReorgedWhileReading()
        return out

    # --- following L1's head -----------------------------------------------------------------------

    def _read_to_head(self, key: EventKey, index: _EventIndex) -> bool:
        head = self.l1.head()
        if index.checkpoints and index.checkpoints[-1] == (head.number, bytes(head.hash)):
            return True
        if index.checkpoints and index.checkpoints[-1] == (head.number - 1, bytes(head.parent_hash)):
            resume = head.number - 1  # the head is the next block on what was read: no reorg
        else:
            resume = self._resume_after(key, index)
        if head.number > resume:
            new = self._get_logs(*key, resume + 1, head.number)
            current = self.l1.block_hash(head.number)
            if current is None or bytes(current) != bytes(head.hash):
                return False  # L1 reorganised while reading: read again
            self._add(key, index, resume, head.number, new)
        index.checkpoints.append((head.number, bytes(head.hash)))
        del index.checkpoints[:-MAX_CHECKPOINTS]
        return True

    def _add(self, key: EventKey, index: _EventIndex, resume: int, head: int, new: list[Log]) -> None:
        """Count (and cache) the logs of blocks resume + 1 .. head."""
        by_segment: dict[int, list[Log]] = {}
        for log in new:
            by_segment.setdefault(self._segment_of(int(log["blockNumber"], 16)), []).append(log)
        last_segment = self._segment_of(head)
        while len(index.counts) <= last_segment:
            index.counts.append(0)
        for segment in range(self._segment_of(resume + 1), last_segment + 1):
            logs = by_segment.get(segment, [])
            index.counts[segment] += len(logs)
            first, last = self._segment_range(segment)
            through = min(last, head)
            entry = self._segments.get((key, segment))
            if first > resume:
                self._cache(key, segment, _Segment(logs, through))
            elif entry is not None and entry.through == resume:
                self._cache(key, segment, _Segment(entry.logs + logs, through))
            else:
                self._drop(key, segment)

    def _resume_after(self, key: EventKey, index: _EventIndex) -> int:
        """The newest block read whose checkpoint is still canonical (counts and cached logs above
        it dropped, its segment recounted), or `from_block - 1` (all dropped)."""
        reorged = False
        while index.checkpoints:
            number, block_hash = index.checkpoints[-1]
            current = self.l1.block_hash(number)
            if current is not None and bytes(current) == block_hash:
                if reorged:
                    self._truncate(key, index, number)
                return number
            index.checkpoints.pop()
            reorged = True
        self._truncate(key, index, self.from_block - 1)
        return self.from_block - 1

    def _truncate(self, key: EventKey, index: _EventIndex, number: int) -> None:
        """Forget the logs of blocks after `number`."""
        for segment in range(len(index.counts)):
            if self._segment_range(segment)[1] > number:
                self._drop(key, segment)
        if number < self.from_block:
            del index.counts[:]
            return
        segment = self._segment_of(number)
        del index.counts[segment + 1:]
        first = self._segment_range(segment)[0]
        logs = self._get_logs(*key, first, number)
        index.counts[segment] = len(logs)
        self._cache(key, segment, _Segment(logs, number))
