"""`lantau devnet` as a person runs it: stop and start again on the same data dir, a second one
started by mistake on a data dir in use, a data dir that is not a devnet's.

Real processes (`lantau devnet` with its own anvil), free ports; every process is stopped when
the test ends, pass or fail (the `node_factory` fixture).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from genesis.config import GenesisConfig
from node.chain import Chain
from tests.harness.node_process import REPO_ROOT, LantauNodeProcess

STARTUP_S = 120.0


def start_devnet(node_factory: Callable[..., LantauNodeProcess], data_dir: Path, *, sample: bool = False) -> LantauNodeProcess:
    """A devnet without its proposer; without the RWA/market sample (9-17 s a start) unless the
    test reads it."""
    return node_factory(data_dir, command="devnet", block_time_s=1.0, startup_timeout_s=STARTUP_S,
                        extra_args=("--no-proposer", *(() if sample else ("--no-sample",))))


def run_cli(*args: str, timeout_s: float = 60.0) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", "node.cli", "--log-format", "text", *args], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout_s)


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got:\n{result.stdout}{result.stderr}"
    return lines[0]


def snapshot(data_dir: Path) -> dict[str, str]:
    """Every file under the data dir with a digest of its bytes."""
    return {str(p.relative_to(data_dir)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(data_dir.rglob("*")) if p.is_file()}


def wait_for(what: str, check: Callable[[], Any], timeout_s: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def chain_head(data_dir: Path) -> tuple[int, bytes]:
    """The head (number, hash) of the chain in a stopped node's data dir."""
    chain = Chain.open(data_dir, GenesisConfig.load())
    try:
        return chain.head.block_number, bytes(chain.head.hash)
    finally:
        chain.close()


def safe_l2(node: LantauNodeProcess) -> int:
    return int(node.rpc("lantau_syncStatus")["safe_l2"]["number"])  # type: ignore[index]


def head(node: LantauNodeProcess) -> int:
    return int(node.rpc("eth_blockNumber"), 16)  # type: ignore[arg-type]


def test_a_devnet_restarted_on_its_data_dir_works_and_its_batches_land(node_factory: Callable[..., LantauNodeProcess], tmp_path: Path) -> None:
    """Before: the restart kept batcher.json, whose nonces belonged to the previous anvil, so no
    batch landed on the new L1 and the safe head never moved. Now every start owns all of its
    state: the second run's safe head passes 5 within seconds, its chain is one chain (every
    block's parent is the block before), and a clean stop removes devnet.json."""
    data_dir = tmp_path / "devnet"
    first = start_devnet(node_factory, data_dir)
    wait_for("a batch on L1", lambda: safe_l2(first) >= 3)
    assert first.stop() == 0
    assert not (data_dir / "devnet.json").exists()  # a clean stop takes its "running here" note away
    assert (data_dir / "batcher.json").exists()

    second = start_devnet(node_factory, data_dir, sample=True)
    info = wait_for("devnet.json", lambda: (data_dir / "devnet.json").exists() and json.loads((data_dir / "devnet.json").read_text()))
    assert info["l2_rpc"] == second.rpc_url
    wait_for("the second run's batches on L1", lambda: safe_l2(second) >= 5)
    number = head(second)
    parent = None
    for n in range(number + 1):
        block = second.rpc("eth_getBlockByNumber", [hex(n), False])
        assert block is not None and (parent is None or block["parentHash"] == parent)  # type: ignore[index]
        parent = block["hash"]  # type: ignore[index]
    assert "Traceback" not in second.output and " ERROR " not in second.output

    # The banner: EIP-3085 params a wallet can take as they are (JSON), "Ready" only after the
    # sample issuance (dev account 0 is free from then on) and after devnet.json is written.
    lines = second.output.splitlines()
    params = lines[lines.index("wallet_addEthereumChain (EIP-3085 params, JSON)") + 2]
    assert json.loads(params) == info["wallet_addEthereumChain"] == {
        "chainId": hex(info["l2_chain_id"]), "chainName": "Lantau devnet",
        "nativeCurrency": {"name": "Hong Kong Dollar", "symbol": "HKD", "decimals": 18}, "rpcUrls": [second.rpc_url],
    }
    ready = [i for i, line in enumerate(lines) if line.startswith("Ready: ")]
    assert len(ready) == 1 and "rwa_sample" in info
    assert ready[0] > lines.index("RWA sample issuance")
    # The alliance market's sample ran before "Ready" too: three venues, 800 shares of 0005.HK
    # crossed at HK$100 (rwa/sample_market.py works it out by hand).
    market = info["rwa_market_sample"]
    assert (len(market["venues"]), market["volume"], int(market["price_hkd_wei"])) == (3, 800, 100 * 10**18)
    assert lines.index("RWA sample issuance") < lines.index("Alliance market sample") < ready[0]
    assert lines[ready[0]] == f"Ready: L2 RPC {second.rpc_url}; explorer {second.rpc_url}/; {data_dir / 'devnet.json'} written (Ctrl-C stops the devnet and removes it)"

    # `lantau status --watch`: a live view (in a pipe, a line per refresh) until Ctrl-C, which
    # ends it with status 0 and no traceback.
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3", PYTHONUNBUFFERED="1")
    # Ctrl-C as a terminal sends it: a run whose SIGINT is ignored by inheritance (a shell's
    # background job: `make test &`) would otherwise start the watch deaf to it.
    watch = subprocess.Popen([sys.executable, "-m", "node.cli", "status", "--watch", "--interval", "0.5", "--devnet", str(data_dir)],
                             cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    refreshes: list[str] = []
    try:
        assert watch.stdout is not None
        while len(refreshes) < 3:  # a line per refresh (bounded by the communicate timeout below)
            line = watch.stdout.readline()
            if not line:
                break
            refreshes.append(line)
        watch.send_signal(signal.SIGINT)
        out, err = watch.communicate(timeout=20)
        out = "".join(refreshes) + out
    finally:
        if watch.poll() is None:
            watch.kill()
    assert watch.returncode == 0 and "Traceback" not in err, err
    rows = [dict(field.split("=") for field in line.split()[1:]) for line in out.splitlines() if line.strip()]
    assert len(rows) >= 3 and int(rows[-1]["unsafe_l2"]) > int(rows[0]["unsafe_l2"])
    assert all(int(r["safe_l2"]) <= int(r["unsafe_l2"]) for r in rows)


def test_a_second_devnet_or_node_on_a_data_dir_in_use_is_refused_and_touches_nothing(
    node_factory: Callable[..., LantauNodeProcess], tmp_path: Path
) -> None:
    """Before: the second `lantau devnet` removed the running one's chain data and journal and
    rewrote its config files, then failed on the port. Now it is refused in one line naming the
    running process, and the running devnet's files and chain are as they were."""
    data_dir = tmp_path / "devnet"
    first = start_devnet(node_factory, data_dir)
    info = wait_for("the devnet ready (devnet.json)", lambda: (data_dir / "devnet.json").exists() and json.loads((data_dir / "devnet.json").read_text()))
    # --no-sample: "Ready" and devnet.json come as soon as the chain is up, without the sample's keys or lines
    assert "rwa_sample" not in info and "rwa_market_sample" not in info and "RWA sample issuance" not in first.output
    wait_for("block 3", lambda: head(first) >= 3)
    configs = {name: (data_dir / name).read_bytes() for name in ("devnet.json", "rollup.json", "l1-deployment.json")}
    before = snapshot(data_dir / "chaindata")
    block_3 = first.rpc("eth_getBlockByNumber", ["0x3", False])["hash"]  # type: ignore[index]

    for command in ("devnet", "node"):
        refused = run_cli(command, "--data-dir", str(data_dir), "--rpc-port", "0")
        assert refused.returncode == 1
        line = one_line(refused)
        assert f"data dir {data_dir} is in use by `lantau devnet` (pid {first.process.pid}, RPC {first.rpc_url}): stop it" in line  # type: ignore[union-attr]
        assert "--data-dir" in line and "DATA_DIR" in line and "--rpc-port" in line

    assert {name: (data_dir / name).read_bytes() for name in configs} == configs
    after = snapshot(data_dir / "chaindata")
    assert set(before) <= set(after)  # LevelDB only adds files while it runs (compaction aside)
    assert first.rpc("eth_getBlockByNumber", ["0x3", False])["hash"] == block_3  # type: ignore[index]
    number = head(first)
    wait_for("the running devnet's next block", lambda: head(first) > number)


def test_a_devnet_refuses_a_data_dir_that_is_not_a_devnets(tmp_path: Path) -> None:
    """A devnet starts fresh and would remove a chain: a directory with anything a devnet did not
    write (here a node's data dir marker and a file of the user's) is refused, untouched."""
    data_dir = tmp_path / "mine"
    data_dir.mkdir()
    (data_dir / "notes.txt").write_text("keep me")
    (data_dir / "chaindata").mkdir()
    (data_dir / "chaindata" / "CURRENT").write_text("MANIFEST-000001\n")
    before = snapshot(data_dir)
    refused = run_cli("devnet", "--data-dir", str(data_dir), "--rpc-port", "0")
    assert refused.returncode == 1
    line = one_line(refused)
    assert f"{data_dir} holds files a devnet did not write (notes.txt)" in line and "--data-dir" in line
    after = snapshot(data_dir)
    assert after == before | {"lantau.lock": hashlib.sha256(b"").hexdigest()}


def test_a_verifier_on_an_old_devnets_data_dir_is_refused_and_its_data_untouched(
    node_factory: Callable[..., LantauNodeProcess], tmp_path: Path
) -> None:
    """Before: a verifier restarted on its data dir, following a new devnet (same genesis, same
    contract addresses, a new anvil), served the old devnet's chain as the new one's. Now it is
    refused in one line, and the data dir is as it was."""
    devnet_dir, verifier_dir = tmp_path / "devnet", tmp_path / "verifier"
    old = start_devnet(node_factory, devnet_dir)
    verifier = node_factory(verifier_dir, block_time_s=1.0, extra_args=("--role", "verifier", "--devnet", str(devnet_dir)))
    wait_for("the verifier's safe head", lambda: safe_l2(verifier) >= 3)
    assert verifier.stop() == 0 and old.stop() == 0
    served = chain_head(verifier_dir)

    start_devnet(node_factory, devnet_dir)  # a new anvil, a new L1 history
    before = {name: digest for name, digest in snapshot(verifier_dir).items() if not name.startswith("chaindata/")}
    refused = run_cli("node", "--role", "verifier", "--devnet", str(devnet_dir), "--data-dir", str(verifier_dir), "--rpc-port", "0")
    assert refused.returncode == 1
    line = one_line(refused)
    assert f"data dir {verifier_dir} holds a chain derived from another L1: its block 1 has L1 origin" in line
    assert "give a fresh --data-dir" in line
    # Nothing moved: the files beside the chain byte for byte, and the chain (LevelDB rewrites its
    # own log files on every open) still ends at the block the verifier served.
    assert {name: digest for name, digest in snapshot(verifier_dir).items() if not name.startswith("chaindata/")} == before
    assert chain_head(verifier_dir) == served and served[0] >= 3
