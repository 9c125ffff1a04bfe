"""`lantau_txWitness` over HTTP on a running node: the witness of a mined transfer has the block's
state root as its post-state root and names the sender, the recipient and both fee vaults."""

from __future__ import annotations

import json
import urllib.request

from eth_account import Account
from eth_utils import to_checksum_address

from genesis.dev_accounts import dev_accounts
from genesis.predeploys import BASE_FEE_VAULT, SEQUENCER_FEE_VAULT


def rpc(url: str, method: str, params: list) -> dict:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(url, body, {"content-type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


def test_a_running_node_serves_transaction_witnesses(node_factory) -> None:
    node = node_factory(block_time_s=0)
    sender, recipient = dev_accounts()[0], dev_accounts()[1]
    chain_id = int(rpc(node.rpc_url, "eth_chainId", [])["result"], 16)
    base_fee = int(rpc(node.rpc_url, "eth_getBlockByNumber", ["latest", False])["result"]["baseFeePerGas"], 16)
    tx = {"to": recipient.address, "value": 10**18, "gas": 21_000, "nonce": 0, "chainId": chain_id, "type": 2,
          "maxFeePerGas": 2 * base_fee + 1, "maxPriorityFeePerGas": 1}
    raw = Account.sign_transaction(tx, sender.private_key).raw_transaction
    tx_hash = rpc(node.rpc_url, "eth_sendRawTransaction", ["0x" + bytes(raw).hex()])["result"]
    receipt = None
    for _ in range(200):
        receipt = rpc(node.rpc_url, "eth_getTransactionReceipt", [tx_hash])["result"]
        if receipt:
            break
        import time

        time.sleep(0.05)
    assert receipt and receipt["status"] == "0x1"
    block = rpc(node.rpc_url, "eth_getBlockByNumber", [receipt["blockNumber"], False])["result"]

    witness = rpc(node.rpc_url, "lantau_txWitness", [receipt["blockNumber"], receipt["transactionIndex"]])["result"]
    assert witness["transaction"] == "0x" + bytes(raw).hex()
    if int(receipt["transactionIndex"], 16) == len(block["transactions"]) - 1:
        assert witness["postStateRoot"] == block["stateRoot"]
    assert witness["success"] is True and witness["gasUsed"] == hex(21_000)
    touched = {to_checksum_address(a["address"]) for a in witness["accounts"]}
    assert {sender.address, recipient.address, to_checksum_address(SEQUENCER_FEE_VAULT),
            to_checksum_address(BASE_FEE_VAULT)} <= touched
    assert witness["context"]["number"] == receipt["blockNumber"]

    error = rpc(node.rpc_url, "lantau_txWitness", [receipt["blockNumber"], "0x99"])["error"]
    assert error["code"] == -32602 and "no index 153" in error["message"]
