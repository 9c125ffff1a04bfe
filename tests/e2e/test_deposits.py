"""Deposits end to end: HKD locked in the L1 portal (real anvil) becomes native HKD on L2
(real `lantau node` subprocess), exactly once, also across restarts and L1 reorgs."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Iterator

import pytest
from eth_utils import to_checksum_address
from web3 import Web3

from bridge.anvil import AnvilProcess
from bridge.deposit_client import deposit_hkd, wait_for_l2_receipt
from bridge.devnet import L1Devnet, save_rollup_config, start_l1_devnet
from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH, GenesisConfig
from genesis.dev_accounts import dev_accounts

ALICE, BOB, CAROL = dev_accounts()[0], dev_accounts()[1], dev_accounts()[2]
SCALE = 10**12


@pytest.fixture
def l1() -> Iterator[L1Devnet]:
    devnet = start_l1_devnet(GenesisConfig.load(), block_time_s=None)  # automine: a block per L1 tx
    try:
        yield devnet
    finally:
        devnet.stop()


def start_node(node_factory, l1: L1Devnet, data_dir: Path, block_time_s: float = 0.25):
    rollup_path = save_rollup_config(l1.deployment, DEVNET_GENESIS_PATH, data_dir.parent)
    return node_factory(data_dir=data_dir, block_time_s=block_time_s,
                        extra_args=("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path)))


def mine_l1(anvil: AnvilProcess, blocks: int = 1) -> None:
    for _ in range(blocks):
        anvil.rpc("evm_mine")


def l2_supply(l2: Web3, addresses: list[str]) -> int:
    return sum(l2.eth.get_balance(to_checksum_address(a)) for a in addresses)


def test_deposit_is_credited_exactly_and_backed(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    node = start_node(node_factory, l1, tmp_path / "l2")
    l1_w3, l2_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url)), Web3(Web3.HTTPProvider(node.rpc_url))
    hkd = l1.deployment.contract(l1_w3, "HKDStablecoin")
    portal_before = hkd.functions.balanceOf(l1.deployment.lantau_portal).call()
    carol_before = l2_w3.eth.get_balance(CAROL.address)

    info = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=CAROL.address, amount_units=100_500_000)
    mine_l1(l1.anvil)  # the origin advances when the next L1 block exists
    receipt = wait_for_l2_receipt(l2_w3, info.l2_tx_hash, timeout_s=60)

    assert receipt["status"] == 1
    assert l2_w3.eth.get_balance(CAROL.address) - carol_before == 100_500_000 * SCALE == 100.50 * 10**18
    assert hkd.functions.balanceOf(l1.deployment.lantau_portal).call() - portal_before == 100_500_000
    block = l2_w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
    assert block["transactions"][0]["to"].lower() == "0x4200000000000000000000000000000000000015"  # L1-info first
    print(f"\nL1 gas of depositHKD: {info.l1_gas_used:,}")


def test_deposit_calling_a_reverting_contract_still_mints(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    node = start_node(node_factory, l1, tmp_path / "l2")
    l1_w3, l2_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url)), Web3(Web3.HTTPProvider(node.rpc_url))
    # Deploy the Probe on L2; set(13) reverts with "unlucky number".
    probe_artifact = load_artifact("Probe")
    from eth_account import Account

    signed = Account.sign_transaction({"data": probe_artifact.bytecode, "gas": 1_000_000, "maxFeePerGas": 10**11,
                                       "maxPriorityFeePerGas": 10**9, "nonce": 0, "chainId": l2_w3.eth.chain_id, "value": 0},
                                      BOB.private_key)
    probe_address = wait_for_l2_receipt(l2_w3, l2_w3.eth.send_raw_transaction(signed.raw_transaction), timeout_s=30)["contractAddress"]
    probe = l2_w3.eth.contract(address=probe_address, abi=list(probe_artifact.abi))
    calldata = bytes.fromhex(probe.encode_abi("set", [13, "via L1"])[2:])
    alice_before = l2_w3.eth.get_balance(ALICE.address)

    info = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=probe_address, amount_units=5_000_000, gas_limit=200_000, data=calldata)
    mine_l1(l1.anvil)
    receipt = wait_for_l2_receipt(l2_w3, info.l2_tx_hash, timeout_s=60)

    assert receipt["status"] == 0  # the call reverted...
    assert probe.functions.value().call() == 0
    assert l2_w3.eth.get_balance(probe_address) == 0
    assert l2_w3.eth.get_balance(ALICE.address) - alice_before == 5_000_000 * SCALE  # ...the mint did not


def test_restart_mints_every_deposit_exactly_once(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    node = start_node(node_factory, l1, tmp_path / "l2")
    l1_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url))
    hkd = l1.deployment.contract(l1_w3, "HKDStablecoin")
    genesis = GenesisConfig.load()
    holders = [a.address for a in dev_accounts()] + ["0x4200000000000000000000000000000000000019", "0x4200000000000000000000000000000000000011"]
    amounts = [1_000_000, 2_500_000, 3_330_000]
    infos = []
    for i, amount in enumerate(amounts):
        infos.append(deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=BOB.address, amount_units=amount))
        if i == 1:
            node.kill()  # kill -9 with a deposit not yet seen
            node = start_node(node_factory, l1, tmp_path / "l2")
    mine_l1(l1.anvil)
    l2_w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    for info in infos:
        wait_for_l2_receipt(l2_w3, info.l2_tx_hash, timeout_s=60)
    node.stop()
    node = start_node(node_factory, l1, tmp_path / "l2")
    mine_l1(l1.anvil, 3)
    l2_w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    time.sleep(2)  # let the restarted sequencer walk over the same L1 blocks again

    # Invariant: total native HKD on L2 == HKD locked in the portal, scaled.
    portal_units = hkd.functions.balanceOf(l1.deployment.lantau_portal).call()
    assert l2_supply(l2_w3, holders) == portal_units * SCALE
    minted = sum(amounts) * SCALE
    assert l2_w3.eth.get_balance(BOB.address) == genesis.alloc[bytes.fromhex(BOB.address[2:])].balance + minted


def test_l1_reorg_drops_the_deposit_and_rebuilds_l2(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    node = start_node(node_factory, l1, tmp_path / "l2")
    l1_w3, l2_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url)), Web3(Web3.HTTPProvider(node.rpc_url))
    carol_before = l2_w3.eth.get_balance(CAROL.address)
    snapshot = l1.anvil.rpc("evm_snapshot")
    info = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=CAROL.address, amount_units=7_000_000)
    mine_l1(l1.anvil)
    receipt = wait_for_l2_receipt(l2_w3, info.l2_tx_hash, timeout_s=60)
    assert l2_w3.eth.get_balance(CAROL.address) == carol_before + 7_000_000 * SCALE
    dropped_block = receipt["blockHash"]

    l1.anvil.rpc("evm_revert", [snapshot])  # the approve + deposit blocks are gone
    mine_l1(l1.anvil, 4)  # a longer L1 chain without them
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            canonical = l2_w3.eth.get_block(receipt["blockNumber"])["hash"]
        except Exception:
            canonical = None
        if canonical is not None and canonical != dropped_block and l2_w3.eth.get_balance(CAROL.address) == carol_before:
            break
        time.sleep(0.25)
    assert l2_w3.eth.get_balance(CAROL.address) == carol_before
    assert l2_w3.eth.get_block(receipt["blockNumber"])["hash"] != dropped_block
    with pytest.raises(Exception):
        l2_w3.eth.get_transaction_receipt(info.l2_tx_hash)
