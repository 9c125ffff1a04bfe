"""Time travel on a devnet WITH an L1 (node/rpc/dev.py): evm_increaseTime moves anvil's clock
first and walks the L1 origin up to it, so a one-year bond reaches maturity on the L2 while every
block stays derivable: a verifier following from L1 alone reaches the same hashes."""

from __future__ import annotations

from pathlib import Path

from web3 import Web3

from bridge.devnet import L1Devnet
from tests.e2e.test_dev_rpc import result, rpc, time_travel_bond_to_maturity
from tests.e2e.test_verifier import BATCHER, sequencer_safe_at, verifier_reaches, write_rollup


def test_time_travel_a_bond_to_maturity_with_an_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:  # noqa: F811
    rollup = write_rollup(l1, tmp_path)
    l1_args = ("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup))
    process = node_factory(data_dir=tmp_path / "sequencer", block_time_s=1,
                           extra_args=(*l1_args, "--batcher-key", BATCHER.private_key, "--dev-rpc"))
    l2 = Web3(Web3.HTTPProvider(process.rpc_url, request_kwargs={"timeout": 60}))
    l1_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url))

    maturity = time_travel_bond_to_maturity(process)  # evm_increaseTime + evm_mine, then redeemed at face value

    # L1 moved with it, and the L2 head is within the drift of its L1 origin.
    assert l1_w3.eth.get_block("latest")["timestamp"] >= maturity
    status = result(process.rpc_url, "lantau_syncStatus")
    origin = l1_w3.eth.get_block(status["unsafe_l2"]["l1origin"]["number"])
    assert 0 <= status["unsafe_l2"]["timestamp"] - origin["timestamp"] <= 600

    # Every block, the jump included, follows from L1 data: the sequencer's own derivation adopts
    # them, and a verifier from L1 alone reaches the same hashes.
    target = l2.eth.block_number
    sequencer_safe_at(process, l2, target, 240)
    verifier_reaches(node_factory, l1_args, l2, tmp_path / "verifier", target, 300)
    # State edits stay refused with an L1 (verifiers could not derive them).
    refused = rpc(process.rpc_url, "anvil_setBalance", "0x00000000000000000000000000000000000c0ffe", "0x1")["error"]
    assert "refused on a node with an L1" in refused["message"]
