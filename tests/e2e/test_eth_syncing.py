"""eth_syncing on a real verifier: geth's sync object while its derivation trails L1, false once
it has read L1 to its head (node/syncing.py defines "behind")."""

from __future__ import annotations

import time
from pathlib import Path

from web3 import Web3

from bridge.devnet import L1Devnet
from tests.e2e.test_verifier import rpc, wait_until, write_rollup

L1_BLOCKS = 300


def test_verifier_reports_sync_progress_then_false(node_factory, l1: L1Devnet, tmp_path: Path) -> None:  # noqa: F811
    # 300 L1 blocks to derive (deposit-only L2 blocks past the sequencing window): the verifier
    # starts far behind L1.
    l1.anvil.rpc("anvil_mine", [hex(L1_BLOCKS)])
    l1_head = Web3(Web3.HTTPProvider(l1.anvil.rpc_url)).eth.block_number
    rollup = write_rollup(l1, tmp_path, sequencing_window=6, channel_timeout=4)
    verifier = node_factory(data_dir=tmp_path / "verifier", block_time_s=1,
                            extra_args=("--role", "verifier", "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup)))
    v2 = Web3(Web3.HTTPProvider(verifier.rpc_url))

    first = rpc(v2, "eth_syncing")
    assert isinstance(first, dict), first
    assert set(first) >= {"startingBlock", "currentBlock", "highestBlock"}
    starting, current, highest = (int(first[k], 16) for k in ("startingBlock", "currentBlock", "highestBlock"))
    assert starting <= current < highest
    assert int(first["headL1Block"], 16) >= l1_head
    assert int(first["headL1Block"], 16) - int(first["currentL1Block"], 16) > 2
    # web3.py reads it as a sync status, as it does geth's.
    assert v2.eth.syncing is not False

    seen: list[dict] = [first]

    def synced() -> bool:
        answer = rpc(v2, "eth_syncing")
        if answer is False:
            return True
        seen.append(answer)
        return False

    wait_until(synced, 300, "the verifier to catch up with L1")
    later = [s for s in seen if int(s["currentBlock"], 16) > current]
    assert later, "the sync object never showed progress"
    assert all(int(s["startingBlock"], 16) == starting for s in seen), "startingBlock moved during one catch-up"
    status = rpc(v2, "lantau_syncStatus")
    assert status["head_l1"]["number"] - status["current_l1"]["number"] <= 2
    assert v2.eth.block_number > current
    # Caught up, it stays false while L1 and derivation move together.
    time.sleep(2)
    assert rpc(v2, "eth_syncing") is False
