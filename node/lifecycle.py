"""How a long-running part of a Lantau process runs and stops: the one idiom for every service.

A service (the block producer, the derivation driver, the batcher, the proposer) has
`async def run()`, its loop until stopped, and `async def stop()`, which asks it to stop and
returns once what it acknowledged is persisted (a block being built, the batcher's open
channel). The composition root (node/cli.py) runs each service as a task, calls `stop()` on
every one at shutdown, then cancels the tasks.

Inside, a service keeps a `StopSignal`: its loop runs `while not stopping.is_set()`, and waits
between steps with `await stopping.wait(interval_s)`, which returns as soon as a stop is asked
instead of sleeping the interval out.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Service(Protocol):
    async def run(self) -> None:
        """Work until `stop()` is called (or a critical error is raised)."""
        ...

    async def stop(self) -> None:
        """Ask `run` to stop; return once nothing acknowledged can be lost any more."""
        ...


class StopSignal:
    """Set once by a service's `stop()`; read and waited on by its `run()` loop."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def wait(self, timeout_s: float | None = None) -> bool:
        """Until a stop is asked, or `timeout_s` has passed; whether a stop was asked."""
        if timeout_s is None:
            await self._event.wait()
            return True
        try:
            await asyncio.wait_for(self._event.wait(), timeout_s)
        except asyncio.TimeoutError:
            pass
        return self._event.is_set()
