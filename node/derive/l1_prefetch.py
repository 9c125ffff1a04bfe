"""An `L1Source` that reads the next L1 blocks' inbox transactions and deposits ahead.

A verifier behind L1 walks it one block after another, and each block costs round trips to
the L1 endpoint (the block, its inbox transactions with their receipts, the portal's logs)
that the pipeline waits for, idle. `PrefetchingL1Source` asks for the next `depth` blocks'
data on worker threads while the pipeline works on the current one, so those waits overlap
each other and the pipeline's own work (they release the GIL).

Only what is keyed by a block hash is served from what was fetched ahead: the inbox
transactions and deposits of a block are facts of that block, so an answer read ahead for a
hash is the answer for it at any time, reorg or not. `head` and `block_by_number` always ask
the source itself. A fetch ahead that failed is not kept: the pipeline's own call then asks the
source and gets its error (a `TemporaryError`: retried as before).

Listeners (`add_inbox_listener`) get each block's inbox transactions as soon as they are read
ahead, on the reading thread: the pipeline's `node.derive.decode_ahead.ChannelsAhead` starts
decoding the channels they complete on the second core. A listener's failure is logged and
changes nothing else.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable, Sequence

from eth.abc import SignedTransactionAPI
from eth_typing import Address

from node.derive.l1_source import ForwardingL1Source, InboxTransaction, L1Source
from node.l1_block_ref import L1BlockRef

log = logging.getLogger("lantau.derive")

DEFAULT_DEPTH = 8

InboxListener = Callable[[Sequence[InboxTransaction]], None]


class PrefetchingL1Source(ForwardingL1Source):
    def __init__(self, source: L1Source, *, inbox: Address, depth: int = DEFAULT_DEPTH, workers: int = 4) -> None:
        super().__init__(source)
        self.inbox = inbox
        self.depth = depth
        self._workers = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="lantau-l1-prefetch")
        self._lock = threading.Lock()
        self._scheduled: set[int] = set()  # block numbers whose fetch ahead was started
        # block hash -> (number, its inbox transactions, its deposits), fetched ahead
        self._ahead: dict[bytes, tuple[int, Future[Sequence[InboxTransaction]], Future[Sequence[SignedTransactionAPI]]]] = {}
        self._inbox_listeners: list[InboxListener] = []

    def add_inbox_listener(self, listener: InboxListener) -> None:
        """Call `listener` with every block's inbox transactions read ahead."""
        with self._lock:
            self._inbox_listeners.append(listener)

    # --- L1Source (head and blobs: forwarded) ------------------------------------------------------

    def block_by_number(self, number: int) -> L1BlockRef | None:
        block = self.source.block_by_number(number)
        if block is not None:
            self._read_ahead_after(number)
        return block

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> Sequence[InboxTransaction]:
        if inbox == self.inbox:
            ready = self._take(block, 1)
            if ready is not None:
                return ready  # type: ignore[return-value]
        return self.source.inbox_transactions(block, inbox)

    def deposits(self, block: L1BlockRef) -> Sequence[SignedTransactionAPI]:
        ready = self._take(block, 2)
        return ready if ready is not None else self.source.deposits(block)  # type: ignore[return-value]

    def close(self) -> None:
        self._workers.shutdown(wait=False, cancel_futures=True)

    # --- reading ahead ----------------------------------------------------------------------

    def _read_ahead_after(self, number: int) -> None:
        with self._lock:
            for stale in [h for h, (n, _, _) in self._ahead.items() if n <= number - self.depth]:
                del self._ahead[stale]  # never asked for (another branch, or skipped)
            self._scheduled = {n for n in self._scheduled if n > number - self.depth}
            wanted = [n for n in range(number + 1, number + 1 + self.depth) if n not in self._scheduled]
            self._scheduled.update(wanted)
        for ahead in wanted:
            self._workers.submit(self._fetch, ahead)

    def _fetch(self, number: int) -> None:
        try:
            block = self.source.block_by_number(number)
        except Exception:  # noqa: BLE001 - reading ahead is only a hint; the pipeline asks again
            block = None
        if block is None:  # past the head (or unreadable) for now: allow a later try
            with self._lock:
                self._scheduled.discard(number)
            return
        inbox: Future[Sequence[InboxTransaction]] = Future()
        deposits: Future[Sequence[SignedTransactionAPI]] = Future()
        with self._lock:
            self._ahead[block.hash] = (number, inbox, deposits)
        for future, read in ((inbox, lambda: self._read_inbox(block)), (deposits, lambda: self.source.deposits(block))):
            try:
                future.set_result(read())
            except Exception as error:  # noqa: BLE001 - kept as failed: the pipeline asks the source itself
                future.set_exception(error)

    def _read_inbox(self, block: L1BlockRef) -> Sequence[InboxTransaction]:
        """The block's inbox transactions, shown to the listeners before the pipeline can take
        them (so what a listener starts is under way when the pipeline reads the block)."""
        transactions = self.source.inbox_transactions(block, self.inbox)
        with self._lock:
            listeners = list(self._inbox_listeners)
        for listener in listeners:
            try:
                listener(transactions)
            except Exception:  # noqa: BLE001 - a hint for later work; derivation reads the block itself
                log.exception("an inbox listener failed on L1 block %d", block.number)
        return transactions

    def _take(self, block: L1BlockRef, part: int) -> Any:
        """The part (1 inbox, 2 deposits) read ahead for `block`, waiting for it if under way;
        None if nothing was read ahead for its hash or that read failed."""
        with self._lock:
            entry = self._ahead.get(block.hash)
        if entry is None or entry[0] != block.number:
            return None
        future = entry[part]
        try:
            return future.result()
        except Exception:  # noqa: BLE001 - the caller asks the source, which reports its own error
            return None
