"""Durability owed before an answer: deferred to the end of a JSON-RPC request, and shared.

An acknowledged transaction must be on disk (`node.tx_journal`): each `eth_sendRawTransaction`
used to fsync its own record, ~4 ms here, so a batch of 100 sends spent 0.4 s in fsync alone.
The server runs each request body (a single call or a whole batch) inside `collect()`; a
handler that owes durability `defer`s it there, and the server `settle`s everything deferred
before it writes the answer. A journal fsync covers every record written before it, so the
first deferred sync does the work and the rest find theirs done: one fsync per batch, and no
client is ever answered before what it was told is durable. Outside `collect()` (a caller that
is not the RPC server), `defer` declines and the caller makes it durable itself.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Callable, Iterator

_DEFERRED: ContextVar["list[Callable[[], None]] | None"] = ContextVar("lantau_deferred_durability", default=None)


def defer(make_durable: Callable[[], None]) -> bool:
    """Owe `make_durable` (blocking) before the current request is answered; False when no
    request collects (run it yourself before acknowledging)."""
    deferred = _DEFERRED.get()
    if deferred is None:
        return False
    deferred.append(make_durable)
    return True


class Deferred:
    def __init__(self) -> None:
        self.pending: list[Callable[[], None]] = []

    async def settle(self) -> None:
        """Run everything owed, in order, in a worker thread; raise the first failure after
        trying them all (each failing one has undone its own admission)."""
        owed, self.pending[:] = list(self.pending), []
        if owed:
            await asyncio.to_thread(_run_all, owed)


def _run_all(owed: list[Callable[[], None]]) -> None:
    failure: BaseException | None = None
    for make_durable in owed:
        try:
            make_durable()
        except Exception as error:  # noqa: BLE001 - every one runs, the first failure is raised
            failure = failure or error
    if failure is not None:
        raise failure


@contextmanager
def collect() -> Iterator[Deferred]:
    """Collect what handlers defer while the body runs (in this task)."""
    deferred = Deferred()
    token = _DEFERRED.set(deferred.pending)
    try:
        yield deferred
    finally:
        _DEFERRED.reset(token)
