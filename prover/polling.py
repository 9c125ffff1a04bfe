"""`PollingService`: the loop of the prover's daemons (proposer, challenger). Each pass (`poll`,
blocking, run in a worker thread so the event loop keeps serving) either did something, and the
next pass follows at once, or did nothing, and the service waits `poll_interval_s`. An error of a
pass (L1 or L2 unreachable, a reverted call) is logged and the pass retried: a hiccup never stops
the service; `stop()` ends it between passes."""

from __future__ import annotations

import asyncio
import logging

from node.errors import LantauError
from node.lifecycle import StopSignal


class PollingService:
    def __init__(self, name: str, poll_interval_s: float, log: logging.Logger) -> None:
        self._name, self._poll_interval_s, self._log = name, poll_interval_s, log
        self._stopping = StopSignal()

    def poll(self) -> bool:
        """One pass; True if it did something (then the next pass follows at once)."""
        raise NotImplementedError

    async def run(self) -> None:
        while not self._stopping.is_set():
            try:
                busy = await asyncio.to_thread(self.poll)
            except Exception as exc:  # noqa: BLE001 - an L1 or L2 hiccup must not stop the service
                self._log.warning("%s retries after an error: %s", self._name, exc,
                                  exc_info=not isinstance(exc, (LantauError, OSError)))
                busy = False
            if not busy:
                await self._stopping.wait(self._poll_interval_s)

    async def stop(self) -> None:
        """Ask `run` to stop before its next pass (a transaction being sent completes in its
        thread; the service holds nothing else)."""
        self._stopping.set()
