"""Real processes for end-to-end tests: `lantau node` started as a subprocess on a free
loopback port (`--rpc-port 0`, the URL read from its log), stopped by the test — always,
also when the test fails. `node_factory` is the fixture that starts them for a test; `shared_node`
one node for a module's tests that need no fresh chain."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RPC_LINE = re.compile(r"RPC listening on (?P<url>http://[\d.]+:\d+)")
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class LantauNodeProcess:
    data_dir: Path
    block_time_s: float = 0.0
    extra_args: tuple[str, ...] = ()
    command: str = "node"
    startup_timeout_s: float = 60.0
    process: subprocess.Popen[str] | None = None
    rpc_url: str | None = None
    lines: list[str] = field(default_factory=list)

    def start(self) -> "LantauNodeProcess":
        env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
        args = [
            sys.executable, "-m", "node.cli", "--log-format", "text", self.command,
            "--data-dir", str(self.data_dir), "--rpc-host", "127.0.0.1", "--rpc-port", "0",
            "--block-time", str(self.block_time_s), *self.extra_args,
        ]
        self.lines = []
        self.rpc_url = None
        self.process = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        found = threading.Event()
        threading.Thread(target=self._pump, args=(found,), daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout_s
        while not found.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                raise RuntimeError("lantau node did not start:\n" + self.output[-4000:])
        while True:
            try:
                with urllib.request.urlopen(self.rpc_url + "/healthz", timeout=2) as reply:
                    json.loads(reply.read())
                if self.command == "devnet" and not any(line.startswith("Ready: ") for line in self.lines):
                    # devnet.json is written, and dev account 0 free, only once the devnet says so
                    raise OSError("not ready yet")
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.kill()
                    raise RuntimeError("lantau node never answered /healthz:\n" + self.output[-4000:])
                time.sleep(0.05)

    def _pump(self, found: threading.Event) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            match = RPC_LINE.search(line)
            if match and self.rpc_url is None:
                self.rpc_url = match.group("url")
                found.set()

    @property
    def output(self) -> str:
        return "".join(self.lines)

    @property
    def ws_url(self) -> str:
        assert self.rpc_url is not None
        return self.rpc_url.replace("http://", "ws://")

    def stop(self, timeout_s: float = 20.0) -> int | None:
        """SIGTERM and wait: the node's clean shutdown path."""
        process = self.process
        if process is None or process.poll() is not None:
            return None if process is None else process.returncode
        os.killpg(process.pid, signal.SIGTERM)
        try:
            return process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError("lantau node ignored SIGTERM:\n" + self.output[-4000:])

    def stop_or_kill(self) -> None:
        """Stop cleanly; kill it if it does not stop in time (and say so by raising)."""
        try:
            self.stop()
        finally:
            self.kill()

    def kill(self) -> None:
        """SIGKILL (kill -9): no chance to clean up."""
        process = self.process
        if process is not None and process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def rpc(self, method: str, params: list[object] | None = None) -> object:
        assert self.rpc_url is not None
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
        request = urllib.request.Request(self.rpc_url, body, {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as reply:
            answer = json.loads(reply.read())
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]


def stop_node(process: LantauNodeProcess) -> None:
    try:
        process.stop(timeout_s=20)  # SIGTERM: the node stops what it started (a devnet's anvil)
    except RuntimeError:
        pass  # it did not stop in time: killed below
    finally:
        process.kill()


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator[Callable[..., LantauNodeProcess]]:
    """Start `lantau node` processes; every one is stopped when the test ends, pass or fail."""
    started: list[LantauNodeProcess] = []

    def start(data_dir: Path | None = None, **kwargs: object) -> LantauNodeProcess:
        process = LantauNodeProcess(data_dir or tmp_path / f"node{len(started)}", **kwargs)  # type: ignore[arg-type]
        started.append(process)
        return process.start()

    yield start
    for process in started:
        stop_node(process)


@contextmanager
def running_node(data_dir: Path, **kwargs: object) -> Iterator[LantauNodeProcess]:
    """One `lantau node` for a fixture of wider scope (a module's tests that need no fresh chain:
    a node start is seconds on the shared CI box); stopped on exit, pass or fail."""
    process = LantauNodeProcess(data_dir, **kwargs)  # type: ignore[arg-type]
    try:
        yield process.start()
    finally:
        stop_node(process)


@pytest.fixture(scope="module")
def shared_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LantauNodeProcess]:
    """A `lantau node` (instant blocks: `--block-time 0`) shared by a module's tests, for tests
    that depend on no fresh state: each reads its own accounts, addresses and the head it starts
    from."""
    with running_node(tmp_path_factory.mktemp("shared-node"), block_time_s=0) as node:
        yield node
