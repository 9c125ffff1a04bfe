"""The node's worker process (`node.worker_process`): it exits with its node however the node
ends, and one that died is replaced on the next use. (What it computes is tested with its
users: tests/node/rpc/test_full_blocks.py, test_send_batches.py, tests/node/test_tx_sender.py.)"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from node.worker_process import WorkerProcess


KILLED_NODE = """
import os, signal
from node.worker_process import SECOND_CORE
print(SECOND_CORE.start().result(), flush=True)
os.kill(os.getpid(), signal.SIGKILL)
"""


@pytest.mark.e2e
def test_the_worker_exits_when_the_node_process_is_killed() -> None:
    """A SIGKILLed node never shuts its pool down: the worker must notice and exit by itself."""
    repo = Path(__file__).resolve().parents[3]
    killed = subprocess.run([sys.executable, "-c", KILLED_NODE], cwd=repo, capture_output=True, text=True, timeout=120,
                            env=dict(os.environ, ETH_HASH_BACKEND="pysha3"))
    assert killed.returncode == -signal.SIGKILL
    worker_pid = int(killed.stdout.split()[0])
    deadline = time.monotonic() + 30
    while Path(f"/proc/{worker_pid}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{worker_pid}").exists(), "the full-block worker outlived its node process"


def test_a_dead_worker_is_replaced_on_the_next_use() -> None:
    worker = WorkerProcess()
    try:
        first = worker.start().result(timeout=120)
        os.kill(first, signal.SIGKILL)
        doomed = worker.submit(os.getpid)
        if doomed is not None:  # submitted before the pool noticed: it fails as broken
            with pytest.raises(BrokenProcessPool):
                doomed.result(timeout=60)
            worker.died()
        second = worker.start().result(timeout=120)
        assert second != first and worker.pid == second
        answer = worker.submit(os.getpid)
        assert answer is not None and answer.result(timeout=60) == second
    finally:
        worker.close()
