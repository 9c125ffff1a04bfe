"""Time travel on a devnet WITH an L1 (node/rpc/dev.py): evm_increaseTime moves anvil's clock
first and walks the L1 origin up to it, so a one-year bond reaches maturity on the L2 while every
block stays derivable: a verifier following from L1 alone reaches the same hashes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from web3 import Web3

from bridge.devnet import L1Devnet, advance_devnet_time
from bridge.l1_contracts import DisputeConfig
from tests.e2e.test_dev_rpc import result, rpc, time_travel_bond_to_maturity
from tests.e2e.test_verifier import BATCHER, sequencer_safe_at, verifier_reaches, wait_until, write_rollup


def dev_sequencer(node_factory, l1: L1Devnet, tmp_path: Path) -> tuple[Any, tuple[str, ...], Web3, Web3]:
    """A sequencer with a batcher and dev controls on `l1`: (its process, its L1 arguments, L2, L1)."""
    rollup = write_rollup(l1, tmp_path)
    l1_args = ("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup))
    process = node_factory(data_dir=tmp_path / "sequencer", block_time_s=1,
                           extra_args=(*l1_args, "--batcher-key", BATCHER.private_key, "--dev-rpc"))
    return (process, l1_args, Web3(Web3.HTTPProvider(process.rpc_url, request_kwargs={"timeout": 60})),
            Web3(Web3.HTTPProvider(l1.anvil.rpc_url)))


def test_time_travel_a_bond_to_maturity_with_an_l1(node_factory, l1: L1Devnet, tmp_path: Path) -> None:  # noqa: F811
    process, l1_args, l2, l1_w3 = dev_sequencer(node_factory, l1, tmp_path)

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


def test_the_sequencer_origin_keeps_up_after_the_devnet_clocks_move(node_factory, l1: L1Devnet, tmp_path: Path) -> None:  # noqa: F811
    """bench/dispute.py moves the clocks past a game's clock and its bond delay. Moved on anvil
    alone, every later L1 block was stamped ahead of the sequencer's clock: its origin stopped at
    the block before the jump, its batches passed their windows and derivation replaced its
    blocks by forced ones for good. `advance_devnet_time` moves both clocks: the origin follows
    L1 past the jump and the blocks built after it are batched, not forced."""
    process, _, l2, l1_w3 = dev_sequencer(node_factory, l1, tmp_path)
    wait_until(lambda: l2.eth.block_number >= 3, 60, "the sequencer's first blocks")

    config = DisputeConfig()
    advance_devnet_time(process.rpc_url, config.max_clock_duration_s + 1)
    advance_devnet_time(process.rpc_url, config.bond_delay_s + 1)
    past_the_jump = l1_w3.eth.block_number + 3  # L1 mines on from the moved clock

    def origin() -> int:
        return int(result(process.rpc_url, "lantau_syncStatus")["unsafe_l2"]["l1origin"]["number"])

    wait_until(lambda: origin() >= past_the_jump, 60, f"the sequencer's L1 origin past L1 block {past_the_jump}")
    head = l2.eth.get_block("latest")
    assert l1_w3.eth.block_number - origin() < 10  # within a quarter of the 40-block sequencing window
    # Its blocks after the jump are batched on time: its own derivation confirms them unchanged.
    sequencer_safe_at(process, l2, head["number"], 120)
    assert l2.eth.get_block(head["number"])["hash"] == head["hash"]
