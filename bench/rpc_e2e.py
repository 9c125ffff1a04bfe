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
`eth_getBlockByNumber(latest, true)`, `eth_getTransactionReceipt`, `eth_getLogs` over the last
16 blocks and one of the last 16 blocks in full (`eth_blockNumber`, then
`eth_getBlockByNumber(n, true)`).

`--cadence` (goal 2: blocks every `--block-time` +-20 % under read load) runs one fresh lantau
node: a flow of `--rate` transactions a second (plain transfers and token transfers, so the
blocks have logs) for `--duration-s`, first alone, then with `--read-load` threads hammering
reads, and prints the block gaps' p50/p95/max against `--block-time`, reads/s and each read's
p50 latency.
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

from bridge.anvil import AnvilError, AnvilOptions, AnvilProcess  # noqa: E402
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


#: Seconds one HTTP request may take before the client gives up on it. Generous: on a loaded
#: 2-core box anvil's automine has taken minutes over a batch of 100 sends.
REQUEST_TIMEOUT_S = 300.0


class Client:
    """JSON-RPC over one keep-alive HTTP session."""

    def __init__(self, url: str, timeout_s: float = REQUEST_TIMEOUT_S) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self.session = requests.Session()

    def call(self, method: str, params: list[Any]) -> Any:
        answer = self.session.post(self.url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                                   timeout=self.timeout_s).json()
        if "error" in answer:
            raise RuntimeError(f"{method}: {answer['error']}")
        return answer["result"]

    def batch(self, method: str, params: Sequence[list[Any]]) -> list[dict[str, Any]]:
        """One call per entry of `params`, RPC_BATCH to an HTTP request; answers in order."""
        answers: list[dict[str, Any]] = []
        for start in range(0, len(params), RPC_BATCH):
            body = [{"jsonrpc": "2.0", "id": i, "method": method, "params": p}
                    for i, p in enumerate(params[start:start + RPC_BATCH])]
            answer = self.session.post(self.url, json=body, timeout=self.timeout_s).json()
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


READ_KINDS = ("latest block", "receipt", "logs", "recent block")


class ReadHammer:
    """`threads` clients reading as fast as they can until stopped; counts the reads answered.

    In turn: the full latest block, a receipt of the workload, `eth_getLogs` over the last 16
    blocks (of `log_address` if given, else of every address), and one of the last 16 blocks in
    full (what an indexer catching up reads)."""

    def __init__(self, url: str, threads: int, hashes: Sequence[str], log_address: str | None = None) -> None:
        self.url, self.threads, self.hashes, self.log_address = url, threads, list(hashes), log_address
        self.reads = 0
        self.latencies_s: dict[str, list[float]] = {}  # by READ_KINDS entry
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
            kind = READ_KINDS[step % len(READ_KINDS)]
            try:
                if kind in ("logs", "recent block"):
                    head = int(client.call("eth_blockNumber", []), 16)
                started = time.perf_counter()
                if kind == "latest block":
                    client.call("eth_getBlockByNumber", ["latest", True])
                elif kind == "receipt":
                    client.call("eth_getTransactionReceipt", [self.hashes[(index * 7919 + step) % len(self.hashes)]])
                elif kind == "logs":
                    query: dict[str, Any] = {"fromBlock": hex(max(0, head - 15)), "toBlock": hex(head)}
                    if self.log_address is not None:
                        query["address"] = self.log_address
                    client.call("eth_getLogs", [query])
                else:
                    client.call("eth_getBlockByNumber", [hex(max(0, head - (index * 31 + step) % 16)), True])
                latency_s = time.perf_counter() - started
            except (requests.RequestException, RuntimeError):
                continue
            with self._lock:
                self.reads += 1
                self.latencies_s.setdefault(kind, []).append(latency_s)

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
    failure: str = ""  # why the run stopped short (a node that never answered), else ""

    @property
    def tx_per_s(self) -> float:
        return self.received / self.receipts_s if self.receipts_s > 0 else 0.0


def run_workload(name: str, url: str, pid: int | None, args: argparse.Namespace, *, watch_heads: bool) -> Result:
    client = Client(url, args.timeout_s)
    chain_id = int(client.call("eth_chainId", []), 16)
    base_fee = int(client.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
    max_fee = 10 * base_fee + 10 * PRIORITY_FEE_PER_GAS
    keys = sender_keys(args.senders)
    senders = [Account.from_key(key).address for key in keys]
    fund_senders(client, senders, chain_id, max_fee, args.timeout_s)
    raw = sign_transfers(keys, args.txs, chain_id, max_fee)
    hashes = [tx_hash(item) for item in raw]

    watcher = HeadWatcher(url).start() if watch_heads else None
    hammer = ReadHammer(url, args.read_load, hashes).start() if args.read_load else None
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


def start_lantau(repo: Path, data_dir: Path, block_time_s: float,
                 start_timeout_s: float = 120.0) -> tuple[subprocess.Popen[str], str]:
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "node.cli", "--log-format", "text", "node", "--data-dir", str(data_dir),
               "--rpc-host", "127.0.0.1", "--rpc-port", "0", "--block-time", str(block_time_s)]
    process = subprocess.Popen(command, cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True, start_new_session=True)
    assert process.stdout is not None
    deadline = time.monotonic() + start_timeout_s
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
    stop_process(process)
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
        if r.failure:
            print(f"{r.name:<24} FAILED: {r.failure}")
            continue
        print(f"{r.name:<24} {r.accepted_s:>10.2f} {r.receipts_s:>10.2f} {r.tx_per_s:>8.1f} "
              f"{r.node_cpu_s:>10.2f} {r.client_cpu_s:>12.2f} {r.received / max(r.node_cpu_s, 1e-9):>13.1f}")
        if r.received < r.txs:
            print(f"  {r.name}: TIMED OUT after {args.timeout_s:g} s with {r.received} of {r.txs} receipts in "
                  "(tx/s counts those only)")
    by_name = {r.name: r for r in results}
    lantau = next((r for r in results if r.name.startswith("lantau")), None)
    anvil = by_name.get("anvil automine")
    if lantau is not None and anvil is not None and lantau.tx_per_s and anvil.tx_per_s:
        print(f"lantau / anvil end-to-end tx/s: {lantau.tx_per_s / anvil.tx_per_s:.3f}x")
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
    parser.add_argument("--timeout-s", type=float, default=300.0,
                        help="give up polling receipts after this, and on one HTTP request after this")
    parser.add_argument("--start-timeout-s", type=float, default=120.0, help="seconds a node may take to start")
    parser.add_argument("--cadence", action="store_true",
                        help="goal 2: lantau's block gaps while transactions flow at --rate for --duration-s, "
                             "alone and with --read-load threads hammering reads (4 if 0)")
    parser.add_argument("--rate", type=float, default=100.0, help="--cadence: transactions sent per second")
    parser.add_argument("--duration-s", type=float, default=15.0, help="--cadence: seconds of sending per phase")
    return parser


#: What a node run can fail with on a loaded box (a request or the start timing out, a node
#: refusing a batch): reported as that node's result, so the other node and the rest of
#: `tps.py --all` still run.
RUN_FAILURES = (requests.RequestException, SystemExit, AnvilError, OSError)


def failed_result(name: str, args: argparse.Namespace, error: BaseException) -> Result:
    reason = f"{type(error).__name__}: {error}".splitlines()[0][:200]
    return Result(name, args.txs, 0.0, 0.0, float("nan"), 0.0, 0, failure=reason)


def run_on_anvil(args: argparse.Namespace) -> Result:
    """The workload on a fresh anvil (automine), always stopped afterwards, whatever happened."""
    name = "anvil automine"
    anvil = AnvilProcess(AnvilOptions(chain_id=31337), startup_timeout_s=args.start_timeout_s)
    try:
        anvil.start()
        assert anvil._process is not None
        return run_workload(name, anvil.rpc_url, anvil._process.pid, args, watch_heads=False)
    except RUN_FAILURES as error:
        return failed_result(name, args, error)
    finally:
        anvil.stop()


def run_on_lantau(args: argparse.Namespace) -> Result:
    """The workload on a fresh `lantau node` (own data dir), always stopped afterwards."""
    name = f"lantau --block-time {args.block_time:g}"
    with tempfile.TemporaryDirectory(prefix="lantau-rpc-e2e-") as data_dir:
        try:
            process, url = start_lantau(args.lantau_repo, Path(data_dir), args.block_time, args.start_timeout_s)
        except RUN_FAILURES as error:
            return failed_result(name, args, error)
        try:
            return run_workload(name, url, process.pid, args, watch_heads=True)
        except RUN_FAILURES as error:
            return failed_result(name, args, error)
        finally:
            stop_process(process)


def compare_with_anvil(args: argparse.Namespace) -> list[Result]:
    """The workload on a fresh anvil (automine, unless `args.no_anvil`), then on a fresh
    `lantau node`, each started and stopped here; a node that fails gives a failed result."""
    results: list[Result] = []
    if not args.no_anvil:
        results.append(run_on_anvil(args))
    results.append(run_on_lantau(args))
    return results


def tx_per_s(result: Result) -> float:
    return result.tx_per_s


# --- goal 2: block cadence while transactions flow, with and without a client hammering reads ---

TOKEN_DEPLOY_GAS = 500_000
TOKEN_TRANSFER_GAS = 60_000
FLOW_BATCHES_PER_S = 10
CADENCE_TOLERANCE = 0.2  # issue 13, goal 2: blocks every --block-time, +-20 %


def deploy_code(runtime: bytes) -> bytes:
    """Init code that returns `runtime`: PUSH2 len, DUP1, PUSH2 11, PUSH0, CODECOPY, PUSH0, RETURN."""
    return bytes([0x61]) + len(runtime).to_bytes(2, "big") + bytes([0x80, 0x61, 0x00, 0x0B, 0x5F, 0x39, 0x5F, 0xF3]) + runtime


def deploy_token(client: Client, chain_id: int, max_fee: int, timeout_s: float) -> str:
    """`bench/tps.py`'s BenchToken, created by the last dev account; its address. A transfer of 0
    succeeds from any holder and logs `Transfer`, so the flow gives `eth_getLogs` real logs."""
    from tps import BENCH_TOKEN_RUNTIME

    deployer = dev_accounts()[-1]
    nonce = int(client.call("eth_getTransactionCount", [deployer.address, "pending"]), 16)
    tx = {"type": 2, "chainId": chain_id, "nonce": nonce, "data": deploy_code(BENCH_TOKEN_RUNTIME), "value": 0,
          "gas": TOKEN_DEPLOY_GAS, "maxFeePerGas": max_fee, "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS}
    raw = bytes(Account.sign_transaction(tx, deployer.private_key).raw_transaction)
    send_all(client, [raw])
    wait_for_receipts(client, [tx_hash(raw)], timeout_s)
    receipt = client.call("eth_getTransactionReceipt", [tx_hash(raw)])
    if receipt["status"] != "0x1" or not receipt["contractAddress"]:
        raise SystemExit(f"bench token deployment failed: {receipt}")
    return to_checksum_address(receipt["contractAddress"])


def sign_flow(keys: Sequence[bytes], nonces: list[int], count: int, chain_id: int, max_fee: int, token: str) -> list[bytes]:
    """`count` transactions round-robin over `keys` from `nonces` (advanced in place): plain
    transfers and token transfers of 0 (one `Transfer` log each), alternately."""
    from tps import erc20_transfer_data

    raw = []
    for index in range(count):
        sender = index % len(keys)
        tx: dict[str, Any] = {"type": 2, "chainId": chain_id, "nonce": nonces[sender], "maxFeePerGas": max_fee,
                              "maxPriorityFeePerGas": PRIORITY_FEE_PER_GAS}
        if index % 2:
            tx.update(to=token, value=0, gas=TOKEN_TRANSFER_GAS,
                      data=erc20_transfer_data(bytes.fromhex(recipient(index)[2:]), 0))  # type: ignore[arg-type]
        else:
            tx.update(to=recipient(index), value=10**12 + index, gas=TRANSFER_GAS)
        raw.append(bytes(Account.sign_transaction(tx, keys[sender]).raw_transaction))
        nonces[sender] += 1
    return raw


def send_paced(client: Client, raw: Sequence[bytes], rate_per_s: float) -> None:
    """Send `raw` at `rate_per_s`, FLOW_BATCHES_PER_S JSON-RPC batches a second (a batch falling
    behind its time goes at once)."""
    per_batch = max(1, round(rate_per_s / FLOW_BATCHES_PER_S))
    start = time.perf_counter()
    for number, first in enumerate(range(0, len(raw), per_batch)):
        delay = start + number / FLOW_BATCHES_PER_S - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        send_all(client, raw[first:first + per_batch])


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (`share` in 0..1) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


@dataclass(frozen=True, slots=True)
class CadencePhase:
    read_threads: int
    txs: int
    included: int
    seconds: float
    node_cpu_s: float
    reads: int
    gaps_s: tuple[float, ...]
    read_p50_ms: tuple[tuple[str, float], ...] = ()  # by READ_KINDS entry

    def outside(self, block_time_s: float) -> int:
        """Gaps outside block_time_s +- CADENCE_TOLERANCE."""
        low, high = block_time_s * (1 - CADENCE_TOLERANCE), block_time_s * (1 + CADENCE_TOLERANCE)
        return sum(1 for gap in self.gaps_s if not low <= gap <= high)


def run_cadence_phase(url: str, pid: int, raw: Sequence[bytes], args: argparse.Namespace, read_threads: int,
                      log_address: str) -> CadencePhase:
    """Transactions sent at `args.rate` while `read_threads` clients hammer reads; the gaps
    between new heads as a watcher saw them (the first, partial, interval left out)."""
    client = Client(url, args.timeout_s)
    hashes = [tx_hash(item) for item in raw]
    watcher = HeadWatcher(url).start()
    hammer = ReadHammer(url, read_threads, hashes, log_address).start() if read_threads else None
    node_cpu = process_cpu_s(pid)
    start = time.perf_counter()
    send_paced(client, raw, args.rate)
    included = wait_for_receipts(client, hashes, args.timeout_s, must=False)
    seconds = time.perf_counter() - start
    node_cpu_s = process_cpu_s(pid) - node_cpu
    reads = hammer.stop() if hammer is not None else 0
    gaps = tuple(watcher.stop()[1:])
    latencies = tuple((kind, 1000 * percentile(hammer.latencies_s[kind], 0.5))
                      for kind in READ_KINDS if hammer is not None and hammer.latencies_s.get(kind))
    return CadencePhase(read_threads, len(raw), included, seconds, node_cpu_s, reads, gaps, latencies)


def measure_cadence(args: argparse.Namespace) -> list[CadencePhase]:
    """Issue 13, goal 2, on one fresh `lantau node`: the same flow of transactions twice, first
    alone (the baseline), then with `args.read_load` threads hammering reads."""
    with tempfile.TemporaryDirectory(prefix="lantau-cadence-") as data_dir:
        process, url = start_lantau(args.lantau_repo, Path(data_dir), args.block_time, args.start_timeout_s)
        try:
            client = Client(url, args.timeout_s)
            chain_id = int(client.call("eth_chainId", []), 16)
            base_fee = int(client.call("eth_getBlockByNumber", ["latest", False])["baseFeePerGas"], 16)
            max_fee = 10 * base_fee + 10 * PRIORITY_FEE_PER_GAS
            keys = sender_keys(args.senders)
            fund_senders(client, [Account.from_key(key).address for key in keys], chain_id, max_fee, args.timeout_s)
            token = deploy_token(client, chain_id, max_fee, args.timeout_s)
            nonces = [0] * len(keys)
            per_phase = int(args.rate * args.duration_s)
            flows = [sign_flow(keys, nonces, per_phase, chain_id, max_fee, token) for _ in range(2)]
            return [run_cadence_phase(url, process.pid, flows[0], args, 0, token),
                    run_cadence_phase(url, process.pid, flows[1], args, max(1, args.read_load), token)]
        finally:
            stop_process(process)


def print_cadence(phases: Sequence[CadencePhase], args: argparse.Namespace) -> None:
    block_time_s = args.block_time
    print(f"lantau node --block-time {block_time_s:g}: {args.rate:g} tx/s sent for {args.duration_s:g} s "
          f"(plain and token transfers alternately, {FLOW_BATCHES_PER_S} batches/s), then every receipt awaited; "
          f"block gaps as a watcher polling eth_blockNumber every 20 ms saw them; goal: every gap within "
          f"{block_time_s * (1 - CADENCE_TOLERANCE):.2f}-{block_time_s * (1 + CADENCE_TOLERANCE):.2f} s")
    print(f"{'read threads':<13} {'included':>9} {'seconds':>8} {'node cpu s':>10} {'reads/s':>8} {'gaps':>5} "
          f"{'p50 s':>6} {'p95 s':>6} {'max s':>6} {'outside +-20%':>14}")
    for phase in phases:
        label = f"{phase.read_threads} (baseline)" if phase.read_threads == 0 else str(phase.read_threads)
        if not phase.gaps_s:
            print(f"{label:<13} {phase.included}/{phase.txs}: no block gaps seen")
            continue
        included = f"{phase.included}/{phase.txs}"
        print(f"{label:<13} {included:>9} {phase.seconds:>8.2f} {phase.node_cpu_s:>10.2f} {phase.reads / phase.seconds:>8.1f} "
              f"{len(phase.gaps_s):>5} {percentile(phase.gaps_s, 0.5):>6.2f} {percentile(phase.gaps_s, 0.95):>6.2f} "
              f"{max(phase.gaps_s):>6.2f} {phase.outside(block_time_s):>14}")
    print("reads, in turn: eth_getBlockByNumber(latest, true), eth_getTransactionReceipt, eth_getLogs over the last "
          "16 blocks (the token's Transfer logs), one of the last 16 blocks in full")
    for phase in phases:
        if phase.read_p50_ms:
            print(f"read latency p50 with {phase.read_threads} threads: "
                  + ", ".join(f"{kind} {ms:.1f} ms" for kind, ms in phase.read_p50_ms))


def main(argv: Sequence[str] | None = None) -> None:
    args = argument_parser().parse_args(argv)
    if args.cadence:
        print_cadence(measure_cadence(args), args)
        return
    print_results(compare_with_anvil(args), args.block_time, args)


if __name__ == "__main__":
    main()
