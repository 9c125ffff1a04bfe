"""The node's second core: one worker process for CPU work that needs no chain state.

A node is one Python process: the block producer (or the derivation pipeline) and the
JSON-RPC server share one interpreter lock, so on a 2-core machine the second core would sit
idle while reads and block building take turns. Work that is a pure function of bytes the
node already holds goes to this worker instead:

- full blocks for `eth_getBlockBy*(…, true)`: decoding and formatting every transaction
  (`node.rpc.full_blocks`);
- signature recovery of incoming batches of `eth_sendRawTransaction` and of a verifier's
  decoded batches (`node.tx_sender.RecoveredAhead`).

Each job carries all its inputs and returns a value derived from them only, so the worker
holds no state that a reorg or a restart could make stale. It starts on first use (spawned:
a fresh interpreter, never a fork of a process holding LevelDB and threads); until it is
ready, and if it dies, `submit` answers None and callers do the work in the node process the
same way; the next use after a death starts a new worker. It exits with the node process
however that ends (a SIGKILLed node never shuts its pool down).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, TypeVar

log = logging.getLogger("lantau.worker")

T = TypeVar("T")

PARENT_CHECK_S = 0.5  # how often the worker looks whether the node process still lives


def _ready() -> int:
    return os.getpid()


def _exit_with(parent_pid: int) -> None:
    """Worker initializer: exit when the node process is gone."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="lantau-exit-with-node", daemon=True).start()


class WorkerProcess:
    """One lazily started worker process; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._started: Future[int] | None = None

    def start(self) -> "Future[int]":
        """Start the worker (if none runs); the future gives its pid once it is ready."""
        with self._lock:
            if self._started is None:
                self._pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_exit_with, initargs=(os.getpid(),))
                self._started = self._pool.submit(_ready)
            return self._started

    def submit(self, function: Callable[..., T], *args: Any) -> "Future[T] | None":
        """Run `function(*args)` in the worker; None if it is not ready (it is started then).
        A future that fails with `BrokenProcessPool` means the worker died: call `died`."""
        started = self.start()
        if not started.done() or started.cancelled() or started.exception() is not None:
            return None
        with self._lock:
            pool = self._pool
        if pool is None:
            return None
        try:
            return pool.submit(function, *args)
        except (BrokenProcessPool, RuntimeError):  # died, or shut down meanwhile
            self.died()
            return None

    def died(self) -> None:
        """Forget a dead worker (a job failed with `BrokenProcessPool`); the next `start` or
        `submit` starts a new one."""
        with self._lock:
            if self._pool is not None and not self._pool._broken:  # type: ignore[attr-defined]
                return  # a new worker already replaced the dead one
            dead, self._pool, self._started = self._pool, None, None
        log.warning("the worker process died: its work runs in the node process until a new one is ready")
        if dead is not None:
            dead.shutdown(wait=False, cancel_futures=True)

    @property
    def pid(self) -> int | None:
        started = self._started
        if started is None or not started.done() or started.cancelled() or started.exception() is not None:
            return None
        return started.result()

    def close(self) -> None:
        with self._lock:
            pool, self._pool, self._started = self._pool, None, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


#: The node's one worker process, shared by its users (one second core, one worker).
SECOND_CORE = WorkerProcess()
