"""Deposits end to end: HKD locked in the L1 portal (real anvil) becomes native HKD on L2
(real `lantau node` subprocess), exactly once, also across restarts and L1 reorgs."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from eth_utils import to_checksum_address
from web3 import Web3
from web3.exceptions import BlockNotFound

from bridge.anvil import AnvilProcess
from bridge.deposit_client import deposit_hkd, deposit_info_from_receipt, wait_for_l2_receipt
from bridge.devnet import L1Devnet, save_rollup_config
from genesis.artifacts import load_artifact
from genesis.config import DEVNET_GENESIS_PATH, GenesisConfig
from genesis.dev_accounts import dev_accounts
from tests.e2e.test_verifier import sequencer_safe_at, verifier_reaches, wait_until

ALICE, BOB, CAROL = dev_accounts()[0], dev_accounts()[1], dev_accounts()[2]
BATCHER = dev_accounts()[1]
SCALE = 10**12


@pytest.fixture
def l1_block_time_s() -> None:
    """The `l1` devnet (tests/harness/devnet.py) on automine: a block per L1 transaction."""
    return None


def l1_args(l1: L1Devnet, data_dir: Path) -> tuple[str, ...]:
    rollup_path = save_rollup_config(l1.deployment, DEVNET_GENESIS_PATH, data_dir.parent)
    return ("--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path))


def start_node(node_factory, l1: L1Devnet, data_dir: Path, block_time_s: float = 0.25, *more_args: str):
    return node_factory(data_dir=data_dir, block_time_s=block_time_s, extra_args=(*l1_args(l1, data_dir), *more_args))


def canonical_hash(l2: Web3, number: int) -> bytes | None:
    """The L2 block hash at `number`, or None while the node is rebuilding that height."""
    try:
        return l2.eth.get_block(number)["hash"]
    except BlockNotFound:
        return None


def keep_producing_past(node, l2: Web3, anvil: AnvilProcess, height: int, what: str) -> None:
    """L1 mines a block a second from now on; wait until the L2 head is past `height`, the node
    alive throughout (a replaced unsafe chain used to kill it once the new one overtook)."""
    anvil.rpc("evm_setIntervalMining", [1])
    wait_until(lambda: node.process.poll() is None and l2.eth.block_number > height, 120, what)
    assert node.process.poll() is None, node.output[-3000:]


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
    node = start_node(node_factory, l1, tmp_path / "l2", 0.25, "--batcher-key", BATCHER.private_key)
    l1_w3, l2_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url)), Web3(Web3.HTTPProvider(node.rpc_url))
    carol_before = l2_w3.eth.get_balance(CAROL.address)
    snapshot = l1.anvil.rpc("evm_snapshot")
    info = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=CAROL.address, amount_units=7_000_000)
    mine_l1(l1.anvil)
    receipt = wait_for_l2_receipt(l2_w3, info.l2_tx_hash, timeout_s=60)
    assert l2_w3.eth.get_balance(CAROL.address) == carol_before + 7_000_000 * SCALE
    dropped_block = receipt["blockHash"]

    old_height = l2_w3.eth.block_number
    l1.anvil.rpc("evm_revert", [snapshot])  # the approve + deposit blocks are gone
    mine_l1(l1.anvil, 4)  # a longer L1 chain without them
    wait_until(lambda: canonical_hash(l2_w3, receipt["blockNumber"]) not in (None, dropped_block), 60, "the L2 rebuild")
    assert l2_w3.eth.get_balance(CAROL.address) == carol_before
    with pytest.raises(Exception):
        l2_w3.eth.get_transaction_receipt(info.l2_tx_hash)

    # The rebuilt chain overtakes the old height by a good margin, the node alive throughout.
    target = old_height + 30
    keep_producing_past(node, l2_w3, l1.anvil, target, f"L2 block {target} after the reorg")
    assert l2_w3.eth.get_balance(CAROL.address) == carol_before
    sequencer_safe_at(node, l2_w3, target, 180)
    # A verifier deriving from L1 alone (the reorged-out batches and deposit never existed for it).
    _, v2 = verifier_reaches(node_factory, l1_args(l1, tmp_path / "verifier"), l2_w3, tmp_path / "verifier", target, 240)
    assert v2.eth.get_balance(CAROL.address, target) == carol_before


def test_a_deposit_reorged_out_and_included_again_mints_once(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    """The same L1 transactions, re-included in a later L1 block after a reorg, make a new
    deposit (its source hash names the new L1 block); the dropped one is gone: one mint."""
    node = start_node(node_factory, l1, tmp_path / "l2")
    l1_w3, l2_w3 = Web3(Web3.HTTPProvider(l1.anvil.rpc_url)), Web3(Web3.HTTPProvider(node.rpc_url))
    hkd = l1.deployment.contract(l1_w3, "HKDStablecoin")
    portal_before = hkd.functions.balanceOf(l1.deployment.lantau_portal).call()
    carol_before = l2_w3.eth.get_balance(CAROL.address)
    snapshot = l1.anvil.rpc("evm_snapshot")
    first = deposit_hkd(l1_w3, l1.deployment, ALICE.private_key, to=CAROL.address, amount_units=7_000_000)
    approve_hash = l1_w3.eth.get_block(first.l1_block_number - 1)["transactions"][0]  # automine: one tx a block
    raw_txs = [l1.anvil.rpc("eth_getRawTransactionByHash", [h]) for h in ("0x" + bytes(approve_hash).hex(), "0x" + first.l1_tx_hash.hex())]
    mine_l1(l1.anvil)
    wait_for_l2_receipt(l2_w3, first.l2_tx_hash, timeout_s=60)
    assert l2_w3.eth.get_balance(CAROL.address) == carol_before + 7_000_000 * SCALE
    old_height = l2_w3.eth.block_number

    l1.anvil.rpc("evm_revert", [snapshot])
    mine_l1(l1.anvil)  # an empty block where the approve was: the same transactions land later
    for raw in raw_txs:
        l1.anvil.rpc("eth_sendRawTransaction", [raw])
    again = deposit_info_from_receipt(l1_w3, l1_w3.eth.wait_for_transaction_receipt(first.l1_tx_hash, timeout=30))
    assert again.l1_block_number == first.l1_block_number + 1 and again.l2_tx_hash != first.l2_tx_hash
    mine_l1(l1.anvil, 3)
    receipt = wait_for_l2_receipt(l2_w3, again.l2_tx_hash, timeout_s=60)
    assert receipt["status"] == 1
    keep_producing_past(node, l2_w3, l1.anvil, old_height + 20, "L2 blocks past the old height")

    assert l2_w3.eth.get_balance(CAROL.address) == carol_before + 7_000_000 * SCALE  # once, not twice
    assert hkd.functions.balanceOf(l1.deployment.lantau_portal).call() == portal_before + 7_000_000
    with pytest.raises(Exception):
        l2_w3.eth.get_transaction_receipt(first.l2_tx_hash)
