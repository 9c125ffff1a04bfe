"""The logs of L1 events from the rollup's start, read once and then incrementally (for the
explorer's rollup lists, `bridge.rollup_view`): each read asks L1 only for the blocks after the
last one read, instead of the whole range every time.

An L1 reorg is noticed by hash. Each read that reaches L1's head remembers that block's number
and hash (a checkpoint; the newest `MAX_CHECKPOINTS` are kept). The next read resumes after the
newest checkpoint whose block is still canonical and drops what was read above it; when none is,
it reads again from the start. A read during which L1's head block changed hash is not kept: it
is tried again (`MAX_ATTEMPTS`), then refused as a `TemporaryError`. So a read answers exactly
what one `eth_getLogs` over the whole range would, on the chain as it is.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from eth_utils import to_checksum_address

from bridge.l1_client import L1Client
from node.errors import TemporaryError

MAX_CHECKPOINTS = 64
MAX_ATTEMPTS = 3


@dataclass
class _EventLogs:
    logs: list[dict[str, Any]] = field(default_factory=list)  # oldest first, as eth_getLogs answers
    checkpoints: list[tuple[int, bytes]] = field(default_factory=list)  # (L1 block number, hash), oldest first


class L1LogCache:
    """Thread-safe: the rollup view's methods read from worker threads."""

    def __init__(self, l1: L1Client, *, from_block: int) -> None:
        self.l1, self.from_block = l1, from_block
        self._lock = threading.Lock()
        self._events: dict[tuple[str, str], _EventLogs] = {}

    def logs(self, address: str, topic: str) -> list[dict[str, Any]]:
        """Every log of `address` whose first topic is `topic`, from `from_block` to L1's head,
        oldest first."""
        key = (to_checksum_address(address), topic.lower())
        with self._lock:
            event = self._events.setdefault(key, _EventLogs())
            for _ in range(MAX_ATTEMPTS):
                if self._read_to_head(key[0], key[1], event):
                    return list(event.logs)
        raise TemporaryError(f"L1 reorganised during {MAX_ATTEMPTS} reads of {key[0]}'s logs; try again")

    def read_through(self, address: str, topic: str) -> int | None:
        """The L1 block the logs of this event are read up to (None: not read yet)."""
        with self._lock:
            event = self._events.get((to_checksum_address(address), topic.lower()))
            return event.checkpoints[-1][0] if event and event.checkpoints else None

    def _read_to_head(self, address: str, topic: str, event: _EventLogs) -> bool:
        head = self.l1.head()
        if event.checkpoints and event.checkpoints[-1] == (head.number, bytes(head.hash)):
            return True
        if event.checkpoints and event.checkpoints[-1] == (head.number - 1, bytes(head.parent_hash)):
            resume = head.number - 1  # the head is the next block on what was read: no reorg
        else:
            resume = self._resume_after(event)
        if head.number > resume:
            new = list(self.l1.rpc("eth_getLogs", [{"address": address, "topics": [topic],
                                                   "fromBlock": hex(resume + 1), "toBlock": hex(head.number)}]))
            current = self.l1.block_hash(head.number)
            if current is None or bytes(current) != bytes(head.hash):
                return False  # L1 reorganised while reading: read again
            event.logs.extend(new)
        event.checkpoints.append((head.number, bytes(head.hash)))
        del event.checkpoints[:-MAX_CHECKPOINTS]
        return True

    def _resume_after(self, event: _EventLogs) -> int:
        """The newest block read whose checkpoint is still canonical (logs above it dropped), or
        `from_block - 1` (all dropped)."""
        reorged = False
        while event.checkpoints:
            number, block_hash = event.checkpoints[-1]
            current = self.l1.block_hash(number)
            if current is not None and bytes(current) == block_hash:
                if reorged:
                    event.logs = [log for log in event.logs if int(log["blockNumber"], 16) <= number]
                return number
            event.checkpoints.pop()
            reorged = True
        event.logs = []
        return self.from_block - 1
