"""Everyday mistakes with `lantau bridge …` and `lantau rwa …` against a real devnet: each is
refused with one line saying what to do (before: tracebacks of 50 to 425 lines, or a wrong
checksum taken as a real address), and nothing moved: the senders' nonces and balances on L1
and L2 are as before."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Iterator

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge.l1_contracts import L1Deployment
from genesis.dev_accounts import dev_accounts
from genesis.l1_addresses import devnet_l1_addresses
from tests.harness.node_process import REPO_ROOT, LantauNodeProcess

DEV0, DEV4 = dev_accounts()[0], dev_accounts()[4]
_LETTER = next(i for i, c in enumerate(DEV4.address) if i > 1 and c.isalpha())
BAD_CHECKSUM = DEV4.address[:_LETTER] + DEV4.address[_LETTER].swapcase() + DEV4.address[_LETTER + 1:]  # one letter's case off
UNFUNDED_KEY = "0x" + "ab" * 32
DEPLOYMENT = {  # the devnet's (deterministic) L1 address book, from its one home
    **{name: to_checksum_address(address) for name, address in devnet_l1_addresses().items()},
    "deployer": "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "l1_chain_id": 900, "deploy_block": 18,
}


@pytest.fixture(scope="module")
def devnet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    data_dir = tmp_path_factory.mktemp("cli-errors") / "devnet"
    process = LantauNodeProcess(data_dir, block_time_s=1.0, command="devnet", startup_timeout_s=120, extra_args=("--no-proposer",))
    try:
        process.start()
        deadline = time.monotonic() + 120
        while not ((data_dir / "devnet.json").exists() and "rwa_sample" in json.loads((data_dir / "devnet.json").read_text())):
            assert time.monotonic() < deadline, "the devnet never got ready"
            time.sleep(0.5)
        yield data_dir
    finally:
        try:
            process.stop()
        finally:
            process.kill()


def lantau(*args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, ETH_HASH_BACKEND="pysha3", COLUMNS="60")  # a narrow terminal must not wrap the line
    return subprocess.run([sys.executable, "-m", "node.cli", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)


def refused_with(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1, f"rc {result.returncode}, expected one line:\n{result.stdout}{result.stderr}"
    assert lines[0].startswith("error: ") and "Traceback" not in lines[0]
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def ledger(devnet: Path, *addresses: str) -> dict[str, tuple[int, ...]]:
    """Nonce and balance on L2, nonce, ETH and HKD on L1, of each address."""
    info = json.loads((devnet / "devnet.json").read_text())
    l1, l2 = Web3(Web3.HTTPProvider(info["l1_rpc"])), Web3(Web3.HTTPProvider(info["l2_rpc"]))
    hkd = L1Deployment.load(devnet / "l1-deployment.json").contract(l1, "HKDStablecoin")
    return {
        a: (l2.eth.get_transaction_count(a, "pending"), l2.eth.get_balance(a), l1.eth.get_transaction_count(a, "pending"),
            l1.eth.get_balance(a), hkd.functions.balanceOf(a).call())
        for a in addresses
    }


def test_a_wrong_checksum_or_a_short_address_is_refused_and_nothing_moves(devnet: Path) -> None:
    assert BAD_CHECKSUM != DEV4.address and BAD_CHECKSUM.lower() == DEV4.address.lower()
    before = ledger(devnet, DEV0.address, DEV4.address)
    d = ("--devnet", str(devnet))
    for args in (
        ("bridge", "deposit", "--amount", "1", "--to", BAD_CHECKSUM, *d),
        ("bridge", "withdraw", "--amount", "1", "--to", BAD_CHECKSUM, *d),
        ("rwa", "transfer", "HKGGB", BAD_CHECKSUM, "1", *d),
        ("rwa", "holdings", BAD_CHECKSUM, *d),
    ):
        refused_with(lantau(*args), f"{BAD_CHECKSUM} has a wrong EIP-55 checksum")
    for args in (("bridge", "deposit", "--amount", "1", "--to", "0x1234", *d), ("bridge", "withdraw", "--amount", "1", "--to", "0x1234", *d)):
        refused_with(lantau(*args), "--to: '0x1234' is not an address: give 0x and 40 hex digits")
    assert ledger(devnet, DEV0.address, DEV4.address) == before
    # The same address all lowercase carries no checksum and is taken (as ethers and cast do).
    shown = lantau("rwa", "holdings", DEV4.address.lower(), "--json", *d)
    assert shown.returncode == 0 and json.loads(shown.stdout)["address"] == DEV4.address


def test_an_unfunded_key_is_refused_in_one_line(devnet: Path) -> None:
    unfunded = Web3().eth.account.from_key(UNFUNDED_KEY).address
    before = ledger(devnet, unfunded, DEV0.address)
    d = ("--devnet", str(devnet), "--key", UNFUNDED_KEY)
    refused_with(lantau("bridge", "deposit", "--amount", "1", *d), "nsufficient funds", "fund the sending key, or give another --key")
    refused_with(lantau("bridge", "withdraw", "--amount", "1", *d), "nsufficient funds", "fund the sending key, or give another --key")
    refused_with(lantau("bridge", "withdraw", "--amount", "1", "--devnet", str(devnet), "--key", "0x12"), "--key is not a private key")
    assert ledger(devnet, unfunded, DEV0.address) == before


def test_a_stopped_devnet_is_one_line(tmp_path: Path) -> None:
    """devnet.json left behind by a devnet killed with -9 names ports nobody answers on; a
    devnet stopped cleanly leaves no devnet.json."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{s.getsockname()[1]}"
    killed = tmp_path / "killed"
    killed.mkdir()
    (killed / "devnet.json").write_text(json.dumps({"l1_rpc": dead, "l2_rpc": dead}))
    (killed / "l1-deployment.json").write_text(json.dumps(DEPLOYMENT))
    tx = "0x" + "11" * 32
    for args in (("bridge", "deposit", "--amount", "1"), ("bridge", "withdraw", "--amount", "1"), ("bridge", "status", tx),
                 ("rwa", "holdings", "dev4"), ("rwa", "transfer", "HKGGB", "dev4", "1"), ("status",)):
        assert "is the devnet running" in refused_with(lantau(*args, "--devnet", str(killed)))
    stopped = tmp_path / "stopped"
    stopped.mkdir()
    for args in (("bridge", "deposit", "--amount", "1"), ("bridge", "status", tx), ("rwa", "holdings", "dev4")):
        line = refused_with(lantau(*args, "--devnet", str(stopped)))
        assert f"no devnet.json in {stopped}: is `lantau devnet --data-dir {stopped}` running?" in line


def test_fault_injection_refuses_an_unknown_fault_or_a_block_that_is_not_an_output(devnet: Path) -> None:
    """`lantau proposer --inject-fault`: an unknown KIND, or an L2 block that is not an output
    still to propose, is refused in one line before anything is posted (the oracle unchanged)."""
    info = json.loads((devnet / "devnet.json").read_text())
    oracle = L1Deployment.load(devnet / "l1-deployment.json").contract(Web3(Web3.HTTPProvider(info["l1_rpc"])), "OutputOracle")
    before = oracle.functions.nextOutputIndex().call()
    refused_with(lantau("proposer", "--devnet", str(devnet), "--inject-fault", "wrong-everything"),
                 "unknown fault 'wrong-everything'", "state-root")
    refused_with(lantau("proposer", "--devnet", str(devnet), "--inject-fault", "state-root", "--inject-at", "5"),
                 "L2 block 5 is not an output still to propose")
    assert oracle.functions.nextOutputIndex().call() == before


def test_a_dishonest_challengers_lie_needs_dishonest_and_a_known_lie(devnet: Path, tmp_path: Path) -> None:
    """`lantau challenger --lie`: without `--dishonest`, or a lie it does not know, is refused in one
    line before the challenger starts: no data dir written, no game created."""
    info = json.loads((devnet / "devnet.json").read_text())
    factory = L1Deployment.load(devnet / "l1-deployment.json").contract(Web3(Web3.HTTPProvider(info["l1_rpc"])), "DisputeGameFactory")
    before = factory.functions.gameCount().call()
    data_dir = tmp_path / "liar"
    refused_with(lantau("challenger", "--devnet", str(devnet), "--lie", "derivation-end", "--data-dir", str(data_dir)),
                 "it needs --dishonest")
    refused_with(lantau("challenger", "--devnet", str(devnet), "--dishonest", "--lie", "everything", "--data-dir", str(data_dir)),
                 "unknown lie 'everything'", "derivation-end")
    assert not data_dir.exists()
    assert factory.functions.gameCount().call() == before
