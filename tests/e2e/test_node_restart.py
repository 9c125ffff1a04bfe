"""Durability: kill -9 between blocks, SIGTERM with transactions in the pool."""

from __future__ import annotations

import time

from eth_account import Account
from web3 import Web3

from genesis.config import DEVNET_L2_CHAIN_ID
from genesis.dev_accounts import dev_accounts

ALICE, BOB = dev_accounts()[0], dev_accounts()[1]


def transfer(nonce: int, value: int = 10**15) -> bytes:
    return bytes(Account.sign_transaction(
        {"to": BOB.address, "value": value, "gas": 21_000, "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9,
         "nonce": nonce, "chainId": DEVNET_L2_CHAIN_ID}, ALICE.private_key).raw_transaction)


def test_kill_9_loses_no_served_receipt(node_factory) -> None:
    node = node_factory(block_time_s=0)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    hashes = [w3.eth.send_raw_transaction(transfer(n)) for n in range(12)]
    receipts = {h: w3.eth.wait_for_transaction_receipt(h, timeout=30) for h in hashes}
    head = w3.eth.get_block("latest")
    node.kill()  # SIGKILL: no shutdown code runs

    node = node_factory(data_dir=node.data_dir, block_time_s=0)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    after = w3.eth.get_block("latest")
    assert (after["number"], after["hash"], after["stateRoot"]) == (head["number"], head["hash"], head["stateRoot"])
    for tx_hash, receipt in receipts.items():
        again = w3.eth.get_transaction_receipt(tx_hash)
        assert (again["blockHash"], again["transactionIndex"], again["gasUsed"], again["status"]) == (
            receipt["blockHash"], receipt["transactionIndex"], receipt["gasUsed"], receipt["status"])
    assert w3.eth.get_transaction_count(ALICE.address) == 12
    import urllib.request

    with urllib.request.urlopen(node.rpc_url + "/metrics", timeout=10) as reply:
        metrics = reply.read().decode()
    assert f'lantau_node_head_number{{head="unsafe"}} {after["number"]}' in metrics
    assert "lantau_node_txpool_size 0" in metrics


def test_acknowledged_transactions_survive_a_restart(node_factory) -> None:
    """Accepted into the pool (hash returned) but not yet in a block when the node dies."""
    node = node_factory(block_time_s=3600)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    hashes = [w3.eth.send_raw_transaction(transfer(n)) for n in range(3)]
    assert w3.eth.get_transaction_count(ALICE.address, "pending") == 3
    node.kill()

    node = node_factory(data_dir=node.data_dir, block_time_s=0.3)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    for tx_hash in hashes:
        assert w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)["status"] == 1


def test_sigterm_shuts_down_cleanly(node_factory) -> None:
    node = node_factory(block_time_s=0.2)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(transfer(0)), timeout=30)
    time.sleep(0.5)
    head = w3.eth.get_block("latest")
    assert node.stop() == 0
    assert "stopped" in node.output
    node = node_factory(data_dir=node.data_dir, block_time_s=3600)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    assert w3.eth.get_block(head["number"])["hash"] == head["hash"]


def test_an_upgraded_data_dir_backfills_its_address_index_on_start(node_factory) -> None:
    """A data dir written before the address index existed (its keys deleted here) lists the old
    blocks' transactions again after a restart: the node backfills the index on start."""
    import plyvel

    node = node_factory(block_time_s=0)
    w3 = Web3(Web3.HTTPProvider(node.rpc_url))
    hashes = [w3.eth.send_raw_transaction(transfer(n)) for n in range(3)]
    receipts = [w3.eth.wait_for_transaction_receipt(h, timeout=30) for h in hashes]
    listed = node.rpc("lantau_getTransactionsByAddress", [BOB.address])
    assert [entry["hash"] for entry in listed] == ["0x" + bytes(r["transactionHash"]).hex() for r in reversed(receipts)]
    assert node.stop() == 0
    db = plyvel.DB(str(node.data_dir / "chaindata"))
    for key in [k for k, _ in db.iterator(prefix=b"lantau:addr")]:  # the entries and the backfill height
        db.delete(key)
    db.close()

    node = node_factory(data_dir=node.data_dir, block_time_s=3600)
    deadline = time.monotonic() + 30
    while True:
        try:
            again = node.rpc("lantau_getTransactionsByAddress", [BOB.address])
            break
        except Exception as refused:  # -32000 while the backfill runs: never a short page
            assert "still being backfilled" in str(refused)
            assert time.monotonic() < deadline
            time.sleep(0.1)
    assert again == listed
