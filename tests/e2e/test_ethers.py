"""ethers v6 (npm, pinned in package.json) against a real `lantau node` whose blocks carry
deposits (an L1 anvil behind it: every block starts with the L1-info deposit). ethers parses
every transaction of a block into a signature, so a deposit served without `v`, `r`, `s`
made it throw `missing r` on `wait()`, `getBlock(n, true)` and `getTransaction`."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from bridge.devnet import L1Devnet
from genesis.dev_accounts import dev_accounts
from tests.harness.node_process import REPO_ROOT
from tests.e2e.test_deposits import l1_block_time_s, start_node  # noqa: F401 (l1_block_time_s: the `l1` devnet on automine)

ETHERS_CLIENT = Path(__file__).with_name("ethers_client.mjs")
PROBE_ARTIFACT = REPO_ROOT / "contracts" / "artifacts" / "Probe.json"
DEPOSIT_TX_TYPE = 0x7E
L1_INFO_DEPOSITOR = "0xDeaDDEaDDeAdDeAdDEAdDEaddeAddEAdDEAd0001"  # the OP Stack's system sender


def test_ethers_v6_sends_waits_and_reads_blocks_with_deposits(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    if shutil.which("node") is None:
        pytest.fail("node (Node.js) is not on PATH: ethers runs on it; install Node.js, then `make setup`")
    node = start_node(node_factory, l1, tmp_path / "l2", 0.5)
    run = subprocess.run(
        ["node", str(ETHERS_CLIENT), node.rpc_url, dev_accounts()[0].private_key, str(PROBE_ARTIFACT)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    seen = json.loads(run.stdout.strip().splitlines()[-1])

    assert seen["transfer"]["status"] == 1
    assert seen["block"]["firstType"] == DEPOSIT_TX_TYPE and seen["block"]["containsTransfer"]
    assert seen["deposit"]["type"] == DEPOSIT_TX_TYPE
    assert seen["deposit"]["from"] == L1_INFO_DEPOSITOR
    assert seen["deposit"]["r"] == "0x" + "00" * 32 and seen["deposit"]["receiptStatus"] == 1
    # The nonce ethers shows is the one the deposit used (op-geth: from its receipt).
    raw = node.rpc("eth_getTransactionByHash", [seen["block"]["firstHash"]])
    assert seen["deposit"]["nonce"] == int(raw["nonce"], 16)
    assert seen["contract"] == {"address": seen["contract"]["address"], "value": "42", "events": 1,
                                "status": 1, "revertReason": "unlucky number"}
