"""The L1 devnet: a real anvil node (Foundry), spawned on 127.0.0.1 with `--port 0`.

The port is read from anvil's own "Listening on 127.0.0.1:PORT" log line, then the node is
polled with `eth_chainId` until it answers. `stop()` terminates it (SIGTERM, then SIGKILL) and
is safe to call twice, so tests can always stop it in a `finally`.
"""

from __future__ import annotations

import ctypes
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from genesis.dev_accounts import TEST_MNEMONIC
from node.errors import LantauError

REPO_ROOT = Path(__file__).resolve().parent.parent
LISTENING_LINE = re.compile(r"Listening on (?P<host>[\d.]+):(?P<port>\d+)")


class AnvilError(LantauError):
    pass


def anvil_binary() -> str:
    """The pinned anvil from npm (`@foundry-rs/anvil`), else one on PATH.

    The platform package's native binary is preferred over the npm `.bin` wrapper: the wrapper
    is a Node process that spawns the binary, and a signal to the wrapper would not reach it."""
    env_path = os.environ.get("LANTAU_ANVIL")
    if env_path:
        return env_path
    machine = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(platform.machine(), platform.machine())
    native = REPO_ROOT / "node_modules" / "@foundry-rs" / f"anvil-{platform.system().lower()}-{machine}" / "bin" / "anvil"
    if native.exists():
        return str(native)
    pinned = REPO_ROOT / "node_modules" / ".bin" / "anvil"
    if pinned.exists():
        return str(pinned)
    found = shutil.which("anvil")
    if found:
        return found
    raise AnvilError("anvil not found: run `npm ci` in the repository (it pins @foundry-rs/anvil)")


def _die_with_parent() -> None:
    """Linux: anvil gets SIGTERM when the process that started it dies, even by kill -9, so a
    killed devnet or test leaves no L1 behind. (No-op elsewhere.)"""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


@dataclass(frozen=True, slots=True)
class AnvilOptions:
    chain_id: int = 900
    block_time_s: float | None = None  # None: automine (a block per transaction)
    slots_in_an_epoch: int | None = None  # small values make `safe`/`finalized` move on a devnet
    dump_state: Path | None = None
    load_state: Path | None = None
    accounts: int = 10
    balance_eth: int = 10_000
    mnemonic: str = TEST_MNEMONIC
    extra_args: tuple[str, ...] = ()


@dataclass
class AnvilProcess:
    options: AnvilOptions = field(default_factory=AnvilOptions)
    startup_timeout_s: float = 30.0
    _process: subprocess.Popen[str] | None = None
    _port: int | None = None
    _log_lines: list[str] = field(default_factory=list)

    @property
    def port(self) -> int:
        if self._port is None:
            raise AnvilError("anvil is not running")
        return self._port

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def log(self) -> str:
        return "".join(self._log_lines)

    def command(self) -> list[str]:
        o = self.options
        cmd = [
            anvil_binary(),
            "--host", "127.0.0.1",
            "--port", "0",
            "--chain-id", str(o.chain_id),
            "--accounts", str(o.accounts),
            "--balance", str(o.balance_eth),
            "--mnemonic", o.mnemonic,
        ]
        if o.block_time_s is not None:
            cmd += ["--block-time", str(o.block_time_s)]
        if o.slots_in_an_epoch is not None:
            cmd += ["--slots-in-an-epoch", str(o.slots_in_an_epoch)]
        if o.dump_state is not None:
            cmd += ["--dump-state", str(o.dump_state)]
        if o.load_state is not None:
            cmd += ["--load-state", str(o.load_state)]
        return cmd + list(o.extra_args)

    def start(self) -> "AnvilProcess":
        if self._process is not None:
            raise AnvilError("anvil already started")
        self._process = subprocess.Popen(
            self.command(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # our SIGINT handling stays ours; stop() signals the group
            preexec_fn=_die_with_parent,
        )
        port_found = threading.Event()
        threading.Thread(target=self._read_log, args=(self._process.stdout, port_found), daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout_s
        while not port_found.wait(0.05):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AnvilError(f"anvil did not start:\n{self.log[-2000:]}")
        while True:
            try:
                self.rpc("eth_chainId")
                return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AnvilError(f"anvil never answered eth_chainId:\n{self.log[-2000:]}")
                time.sleep(0.05)

    def _read_log(self, stream: IO[str] | None, port_found: threading.Event) -> None:
        if stream is None:
            return
        for line in stream:
            if len(self._log_lines) < 10_000:
                self._log_lines.append(line)
            if self._port is None:
                match = LISTENING_LINE.search(line)
                if match:
                    self._port = int(match.group("port"))
                    port_found.set()

    def rpc(self, method: str, params: list[object] | None = None, timeout_s: float = 10.0) -> object:
        """A raw JSON-RPC call, for anvil's own methods (`anvil_reorg`, `evm_increaseTime`...)."""
        return anvil_rpc(self.rpc_url, method, params, timeout_s)

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def __enter__(self) -> "AnvilProcess":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def anvil_rpc(rpc_url: str, method: str, params: list[object] | None = None, timeout_s: float = 10.0) -> object:
    """A raw JSON-RPC call to the anvil at `rpc_url`; its error as `AnvilError`."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).encode()
    request = urllib.request.Request(rpc_url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        reply = json.loads(response.read())
    if "error" in reply:
        raise AnvilError(f"{method}: {reply['error'].get('message')}")
    return reply["result"]


def advance_anvil_clock(rpc_url: str, timestamp: int) -> int | None:
    """Time travel on an anvil L1 (an L2 devnet's `evm_increaseTime`): mine one block stamped
    `timestamp`, after which anvil's clock runs on from there. Returns that block's number, or
    None when L1's latest block is already that late (nothing to do)."""
    latest = anvil_rpc(rpc_url, "eth_getBlockByNumber", ["latest", False])
    assert isinstance(latest, dict)
    if int(latest["timestamp"], 16) >= timestamp:
        return None
    anvil_rpc(rpc_url, "evm_setNextBlockTimestamp", [timestamp])
    anvil_rpc(rpc_url, "evm_mine")
    # Interval mining may have slipped a block in before ours: the jump is the first one stamped late.
    number = int(latest["number"], 16) + 1
    while True:
        block = anvil_rpc(rpc_url, "eth_getBlockByNumber", [hex(number), False])
        if not isinstance(block, dict):
            raise AnvilError(f"anvil has no block {number} after evm_mine")
        if int(block["timestamp"], 16) >= timestamp:
            return number
        number += 1
