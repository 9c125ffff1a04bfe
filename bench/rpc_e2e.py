"""End to end over JSON-RPC: `lantau node --block-time 1` against anvil (automine), same client.

    python bench/rpc_e2e.py [--txs 2000] [--senders 50] [--block-time 1] [--read-load 0]
    python bench/rpc_e2e.py --lantau-repo /tmp/lantau-before   # the node of another checkout

What a wallet, an exchange back office or a settlement bot does (issue 13, goal 3): N pre-signed
EIP-1559 plain transfers, round-robin over `--senders` funded senders, are sent in JSON-RPC
batches of 100 `eth_sendRawTransaction`; then every hash is polled with
`eth_getTransactionReceipt` (batches of 100, only the ones still missing) until all are in.

Each node is started by the bench, fresh: anvil from `node_modules` (as `bridge.anvil` starts
it), `lantau node` as a subprocess on a new data dir. Senders are funded from the dev accounts
of the test mnemonic (untimed). Printed per node:

- *accepted*: wall seconds until every send was answered;
- *all receipts*: wall seconds until every receipt was in; end-to-end tx/s = N / that;
- CPU seconds of the node process and of this client over the timed part, beside wall time:
  the machine is shared, so wall time alone is noisy;
- block inter-arrival (lantau): gaps between new heads as a watcher polling `eth_blockNumber`
  every 20 ms sees them, over the timed part (median and max), against `--block-time`.

`--read-load K` adds K client threads that hammer reads during the timed part, in turn
`eth_getBlockByNumber(latest, true)`, `eth_getTransactionReceipt`, `eth_getBalance` and one of
the last 16 blocks in full (`eth_blockNumber`, then `eth_getBlockByNumber(n, true)`), to show
whether block production keeps its cadence under read load (goal 2).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

import requests  # noqa: E402
from eth_account import Account  # noqa: E402
from eth_hash.auto import keccak  # noqa: E402
from eth_utils import to_checksum_address  # noqa: E402

from bridge.anvil import AnvilOptions, AnvilProcess  # noqa: E402
from genesis.dev_accounts import dev_accounts  # noqa: E402

RPC_BATCH = 100
DEFAULT_SENDERS = 50
TRANSFER_GAS = 21_000
PRIORITY_FEE_PER_GAS = 10**9
SENDER_FUNDING_WEI = 10**20
RPC_LINE = re.compile(r"RPC listening on (?P<url>http://[\d.]+:\d+)")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def process_cpu_s(pid: int | None) -> float:
    """User + system CPU seconds of process `pid` (Linux /proc), its threads and its live child
    processes included (lantau's full-block worker); NaN for a node this bench did not start."""
    if pid is None:
        return float("nan")
    fields = _stat_fields(pid)
    total = int(fields[11]) + int(fields[12])
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pid:
            continue
        try:
            child = _stat_fields(int(entry.name))
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(child[1]) == pid:  # field 4, ppid
            total += int(child[11]) + int(child[12])
    return total / CLOCK_TICKS


class Client:
    """JSON-RPC over one keep-alive HTTP session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session = requests.Session()
        self._ids = 0

    def call(self, method: str, params: list[Any]) -> Any:
        answer = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                                   timeout=120).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, method: str, params: Sequence[list[Any]]) -> list[dict[str, Any]]:
        """One call per entry of `params`, RPC_BATCH to an HTTP request; answers in order."""
        answers: list[dict[str, Any]] = []
        for start in range(0, len(params), RPC_BATCH):
            body = [{"jsonrpc": "2.0", "id": i, "method": method, "params": p}
                    for i, p in enumerate(params[start:start + RPC_BATCH])]
            answer = self.session.post(self.url, json=body, timeout=120).json()
            if not isinstance(answer, list):
                raise SystemExit(f"{method}: whole batch refused: {answer}")
            answers.extend(sorted(answer, key=lambda entry: entry["id"]))
        return answers


def sender_keys(count: int) -> list[bytes]:
    return [keccak(b"lantau-bench-rpc-e2e-sender-%d" % index) for index in range(count)]


def recipient(index: int) -> str:
    return to_checksum_address(keccak(b"lantau-bench-rpc-e2e-recipient-%d" % (index % 1000))[12:])


def tx_hash(raw: bytes) -> str:
    return "0x" + keccak(raw).hex()


def send_all(client: Client, raw: Sequence[bytes]) -> None:
    answers = client.batch("eth_sendRawTransaction", [["0x" + item.hex()] for item in raw])
    errors = [answer["error"] for answer in answers if "error" in answer]
    if errors:
        raise SystemExit(f"{client.url}: {len(errors)} of {len(raw)} transactions refused; first: {errors[0]}")


def wait_for_receipts(client: Client, hashes: Sequence[str], timeout_s: float, *, must: bool = True) -> int:
    """Poll every hash still missing a receipt until all are in; return how many are in (fewer
    only after `timeout_s`, and then only if not `must`)."""
    deadline = time.monotonic() + timeout_s
    missing = list(hashes)
    while missing:
        answers = client.batch("eth_getTransactionReceipt", [[h] for h in missing])
        errors = [answer["error"] for answer in answers if "error" in answer]
        if errors:
            raise SystemExit(f"{client.url}: eth_getTransactionReceipt failed: {errors[0]}")
        missing = [h for h, answer in zip(missing, answers) if not answer.get("result")]
        if missing:
            if time.monotonic() > deadline:
                if must:
                    raise SystemExit(f"{client.url}: {len(missing)} receipts missing after {timeout_s} s")
                return len(hashes) - len(missing)
            time.sleep(0.05)
    return len(hashes)


def fund_senders(client: Client, senders: Sequence[str], chain_id: int, max_fee: int, timeout_s: float) -> None:
    funders = dev_accounts()
    funding: list[bytes] = []
    for funder_index, funder in enumerate(funders):
        nonce = int(client.call("eth_getTransactionCount", [funder.address, "pending"]), 16)
        for sender in senders[funder_index::len(funders)]:
            tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "to": sender, "value": SENDER_FUNDING_WEI,
                  "gas": TRANSFER_GAS, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS}
            funding.append(bytes(Account.sign_transaction(tx, funder.private_key).raw_transaction))
            nonce += 1
    send_all(client, funding)
    wait_for_receipts(client, [tx_hash(item) for item in funding], timeout_s)


def sign_transfers(keys: Sequence[bytes], count: int, chain_id: int, max_fee: int) -> list[bytes]:
    raw = []
    nonces = [0] * len(keys)
    for index in range(count):
        sender = index % len(keys)
        tx = {"type": 2, "chainId": chain_id, "nonce": nonces[sender], "to": recipient(index),
              "value": 10**12 + index, "gas": TRANSFER_GAS, "maxFeePerGas": max_fee,
              "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS}
        raw.append(bytes(Account.sign_transaction(tx, keys[sender]).raw_transaction))
        nonces[sender] += 1
    return raw


@dataclass
class HeadWatcher:
    """Records when each new head appears (polling eth_blockNumber every 20 ms)."""

    url: str
    arrivals: list[tuple[int, float]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "HeadWatcher":
        threading.Thread(target=self._run, daemon=True).start()
        return self

    def _run(self) -> None:
        client = Client(self.url)
        last = -1
        while not self._stop.is_set():
            try:
                number = int(client.call("eth_blockNumber", []), 16)
            except (requests.RequestException, RuntimeError):
                continue
            if number != last:
                self.arrivals.append((number, time.perf_counter()))
                last = number
            self._stop.wait(0.02)

    def stop(self) -> list[float]:
        """Gaps between consecutive new heads seen (seconds)."""
        self._stop.set()
        times = [t for _, t in self.arrivals]
        return [b - a for a, b in zip(times, times[1:])]


class ReadHammer:
    """`threads` clients reading as fast as they can until stopped; counts the reads answered."""

    def __init__(self, url: str, threads: int, hashes: Sequence[str], account: str) -> None:
        self.url, self.threads, self.hashes, self.account = url, threads, list(hashes), account
        self.reads = 0
        self._stop = threading.Event()
        self._lock = threading.Lock()

    def start(self) -> "ReadHammer":
        for index in range(self.threads):
            threading.Thread(target=self._run, args=(index,), daemon=True).start()
        return self

    def _run(self, index: int) -> None:
        client = Client(self.url)
        step = 0
        while not self._stop.is_set():
            step += 1
            try:
                if step % 4 == 0:
                    client.call("eth_getBlockByNumber", ["latest", True])
                elif step % 4 == 1:
                    client.call("eth_getTransactionReceipt", [self.hashes[(index * 7919 + step) % len(self.hashes)]])
                elif step % 4 == 2:
                    client.call("eth_getBalance", [self.account, "latest"])
                else:  # one of the last 16 blocks, in full: what an indexer catching up reads
                    head = int(client.call("eth_blockNumber", []), 16)
                    client.call("eth_getBlockByNumber", [hex(max(0, head - (index * 31 + step) % 16)), True])
            except (requests.RequestException, RuntimeError):
                continue
            with self._lock:
                self.reads += 1

    def stop(self) -> int:
        self._stop.set()
        return self.reads


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    txs: int
    accepted_s: float
    receipts_s: float
    node_cpu_s: float
    client_cpu_s: float
    received: int
    gaps_s: tuple[float, ...] = ()
    hammer_reads: int = 0


def run_workload(name: str, url: str, pid: int | None, args: argparse.Namespace, *, watch_heads: bool) -> Result:
    client = Client(url)
    chain_id = int(client.call("eth_chainId", []), 16)
    base_fee = int(client.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    max_fee = 10 * base_fee + 10 * PRIORITY_FEE_PER_GAS
    keys = sender_keys(args.senders)
    senders = [Account.from_key(key).address for key in keys]
    fund_senders(client, senders, chain_id, max_fee, args.timeout_s)
    raw = sign_transfers(keys, args.txs, chain_id, max_fee)
    hashes = [tx_hash(item) for item in raw]

    watcher = HeadWatcher(url).start() if watch_heads else None
    hammer = ReadHammer(url, args.read_load, hashes, senders[0]).start() if args.read_load else None
    node_cpu, client_cpu = process_cpu_s(pid), time.process_time()
    start = time.perf_counter()
    send_all(client, raw)
    accepted_s = time.perf_counter() - start
    received = wait_for_receipts(client, hashes, args.timeout_s, must=False)
    receipts_s = time.perf_counter() - start
    node_cpu_s, client_cpu_s = process_cpu_s(pid) - node_cpu, time.process_time() - client_cpu
    reads = hammer.stop() if hammer is not None else 0
    gaps = tuple(watcher.stop()) if watcher is not None else ()
    return Result(name, len(raw), accepted_s, receipts_s, node_cpu_s, client_cpu_s, received, gaps, reads)


def start_lantau(repo: Path, data_dir: Path, block_time_s: float) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "node.cli", "--log-format", "text", "node", "--data-dir", str(data_dir),
               "--rpc-host", "127.0.0.1", "--rpc-port", "0", "--block-time", str(block_time_s)]
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    lines: list[str] = []
    for line in process.stdout:
        lines.append(line)
        match = RPC_LINE.search(line)
        if match:
            # Keep draining its log so the node never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()  # type: ignore[union-attr]
            return process, match.group("url")
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit("lantau node did not start:\n" + "".join(lines[-30:]))


def stop_process(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def print_results(results: Sequence[Result], block_time_s: float | None, args: argparse.Namespace) -> None:
    print(f"{args.txs} pre-signed EIP-1559 transfers from {args.senders} senders, {RPC_BATCH} per JSON-RPC batch; "
          f"every receipt polled; read-load threads: {args.read_load}")
    print("wall = elapsed; cpu = CPU seconds over the timed part (the machine is shared: compare cpu too)")
    header = (f"{'node':<24} {'accepted s':>10} {'receipts s':>10} {'tx/s':>8} {'node cpu s':>10} "
              f"{'client cpu s':>12} {'tx/node-cpu-s':>13}")
    print(header)
    for r in results:
        print(f"{r.name:<24} {r.accepted_s:>10.2f} {r.receipts_s:>10.2f} {r.received / r.receipts_s:>8.1f} "
              f"{r.node_cpu_s:>10.2f} {r.client_cpu_s:>12.2f} {r.received / max(r.node_cpu_s, 1e-9):>13.1f}")
        if r.received < r.txs:
            print(f"  {r.name}: TIMED OUT after {args.timeout_s:g} s with {r.received} of {r.txs} receipts in "
                  "(tx/s counts those only)")
    by_name = {r.name: r for r in results}
    lantau = next((r for r in results if r.name.startswith("lantau")), None)
    anvil = by_name.get("anvil automine")
    if lantau is not None and anvil is not None:
        ratio = (lantau.received / lantau.receipts_s) / (anvil.received / anvil.receipts_s)
        print(f"lantau / anvil end-to-end tx/s: {ratio:.3f}x")
    for r in results:
        if r.gaps_s and block_time_s is not None:
            gaps = sorted(r.gaps_s)
            late = sum(1 for g in gaps if g > block_time_s * 1.2)
            print(f"{r.name}: {len(gaps)} block gaps seen, median {statistics.median(gaps):.2f} s, "
                  f"max {gaps[-1]:.2f} s, {late} over {block_time_s * 1.2:.1f} s; reads answered by the hammer: {r.hammer_reads}")


def argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--txs", type=int, default=2_000)
    parser.add_argument("--senders", type=int, default=DEFAULT_SENDERS)
    parser.add_argument("--block-time", type=float, default=1.0, help="lantau node's --block-time")
    parser.add_argument("--read-load", type=int, default=0, help="client threads hammering reads during the run")
    parser.add_argument("--lantau-repo", type=Path, default=REPO_ROOT, help="checkout whose `node.cli` to run")
    parser.add_argument("--no-anvil", action="store_true", help="lantau only")
    parser.add_argument("--timeout-s", type=float, default=300.0, help="give up polling receipts after this")
    return parser


def compare_with_anvil(args: argparse.Namespace) -> list[Result]:
    """The workload on a fresh anvil (automine, unless `args.no_anvil`), then on a fresh
    `lantau node`, each started and stopped here."""
    results: list[Result] = []
    if not args.no_anvil:
        anvil = AnvilProcess(AnvilOptions(chain_id=31337)).start()
        try:
            assert anvil._process is not None
            results.append(run_workload("anvil automine", anvil.rpc_url, anvil._process.pid, args, watch_heads=False))
        finally:
            anvil.stop()
    with tempfile.TemporaryDirectory(prefix="lantau-rpc-e2e-") as data_dir:
        process, url = start_lantau(args.lantau_repo, Path(data_dir), args.block_time)
        try:
            results.append(run_workload(f"lantau --block-time {args.block_time:g}", url, process.pid, args,
                                        watch_heads=True))
        finally:
            stop_process(process)
    return results


def tx_per_s(result: Result) -> float:
    return result.received / result.receipts_s


def main(argv: Sequence[str] | None = None) -> None:
    args = argument_parser().parse_args(argv)
    print_results(compare_with_anvil(args), args.block_time, args)


if __name__ == "__main__":
    main()
