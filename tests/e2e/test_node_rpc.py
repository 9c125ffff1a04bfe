"""web3.py against a real `lantau node` subprocess over HTTP and WebSocket. The contract
lifecycle and the newHeads subscription share one node (`shared_node`: each reads the addresses
and head it starts from); the bad-input test needs a node of its own (a long block time, then a
restart)."""

from __future__ import annotations

import asyncio
import json
import urllib.error
import urllib.request

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_canonical_address
from trie import HexaryTrie
from web3 import AsyncWeb3, Web3
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.providers.persistent import WebSocketProvider

from genesis.artifacts import load_artifact
from genesis.config import DEVNET_L2_CHAIN_ID
from genesis.dev_accounts import dev_accounts

ALICE, BOB, CAROL = dev_accounts()[0], dev_accounts()[1], dev_accounts()[2]
PROBE = load_artifact("Probe")


def deploy_probe(w3: Web3):
    probe = w3.eth.contract(abi=list(PROBE.abi), bytecode=PROBE.bytecode)
    tx_hash = probe.constructor().transact({"from": ALICE.address})
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1
    return w3.eth.contract(address=receipt["contractAddress"], abi=list(PROBE.abi)), receipt


def signing_web3(url: str) -> Web3:
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 30}))
    from web3.middleware import SignAndSendRawMiddlewareBuilder

    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(Account.from_key(ALICE.private_key)), layer=0)
    w3.eth.default_account = ALICE.address
    return w3


def test_contract_lifecycle(shared_node) -> None:
    w3 = signing_web3(shared_node.rpc_url)
    assert w3.eth.chain_id == DEVNET_L2_CHAIN_ID == int(w3.net.version)
    probe, deploy_receipt = deploy_probe(w3)
    assert w3.eth.get_code(probe.address) == PROBE.deployed_bytecode

    tx_hash = probe.functions.set(42, "hello").transact()
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
    assert receipt["status"] == 1 and receipt["blockNumber"] > deploy_receipt["blockNumber"]
    events = probe.events.ValueSet().process_receipt(receipt)
    assert [(e.args.by, e.args.newValue, e.args.note) for e in events] == [(ALICE.address, 42, "hello")]
    logs = w3.eth.get_logs({"fromBlock": 0, "toBlock": "latest", "address": probe.address,
                            "topics": [[keccak(text="ValueSet(address,uint256,string)"), b"\x00" * 32]]})
    assert len(logs) == 1 and logs[0]["transactionHash"] == tx_hash

    assert probe.functions.value().call() == 42
    assert probe.functions.credits(ALICE.address).call() == 42
    estimate = probe.functions.set(7, "x").estimate_gas()
    assert 21_000 < estimate <= receipt["gasUsed"] + 20_000

    with pytest.raises(ContractLogicError, match="unlucky number"):
        probe.functions.set(13, "x").call()
    with pytest.raises(ContractLogicError, match="unlucky number"):
        probe.functions.set(13, "x").estimate_gas()
    with pytest.raises(ContractCustomError) as custom:
        probe.functions.set(2_000_000, "x").call()
    selector = keccak(text="TooLarge(uint256,uint256)")[:4]
    assert bytes.fromhex(str(custom.value.data)[2:10]) == selector

    # eth_getProof, verified against the block's state root with py-trie (independent of the node)
    block = w3.eth.get_block("latest")
    proof = w3.eth.get_proof(probe.address, [0], block["number"])
    account_rlp = HexaryTrie.get_from_proof(bytes(block["stateRoot"]), keccak(to_canonical_address(probe.address)),
                                            [rlp.decode(bytes(node)) for node in proof["accountProof"]])
    nonce, balance, storage_root, code_hash = rlp.decode(account_rlp)
    assert code_hash == keccak(PROBE.deployed_bytecode) == bytes(proof["codeHash"])
    assert storage_root == bytes(proof["storageHash"])
    slot_rlp = HexaryTrie.get_from_proof(storage_root, keccak((0).to_bytes(32, "big")),
                                         [rlp.decode(bytes(node)) for node in proof["storageProof"][0]["proof"]])
    assert rlp.decode(slot_rlp) == (42).to_bytes(1, "big") and int.from_bytes(bytes(proof["storageProof"][0]["value"]), "big") == 42


def test_websocket_new_heads(shared_node) -> None:
    """The first head announced after subscribing is the block of the transfer sent then (the next
    block: on the shared node, blocks before it come from the module's other tests)."""
    node = shared_node
    start = int(node.rpc("eth_blockNumber"), 16)  # type: ignore[arg-type]
    nonce = int(node.rpc("eth_getTransactionCount", [ALICE.address, "latest"]), 16)  # type: ignore[arg-type]

    async def scenario() -> list[int]:
        async with AsyncWeb3(WebSocketProvider(node.ws_url)) as w3:
            subscription = await w3.eth.subscribe("newHeads")
            signed = Account.sign_transaction(
                {"to": BOB.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1,
                 "nonce": nonce, "chainId": DEVNET_L2_CHAIN_ID}, ALICE.private_key)
            await w3.eth.send_raw_transaction(signed.raw_transaction)
            numbers = []
            async for message in w3.socket.process_subscriptions():
                assert message["subscription"] == subscription
                numbers.append(int(message["result"]["number"]))
                assert "baseFeePerGas" in message["result"]
                break
            return numbers

    assert asyncio.run(asyncio.wait_for(scenario(), 60)) == [start + 1]


def _post(url: str, body: bytes) -> tuple[int, object]:
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, json.loads(reply.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _raw_tx(nonce: int, *, key: str = ALICE.private_key, chain_id: int = DEVNET_L2_CHAIN_ID, value: int = 1,
            tip: int = 10**9, fee_cap: int = 10**11) -> str:
    signed = Account.sign_transaction({"to": BOB.address, "value": value, "gas": 21_000, "maxFeePerGas": fee_cap,
                                       "maxPriorityFeePerGas": tip, "nonce": nonce, "chainId": chain_id}, key)
    return "0x" + bytes(signed.raw_transaction).hex()


def _call(url: str, method: str, params: list) -> dict:
    status, answer = _post(url, json.dumps({"jsonrpc": "2.0", "id": 7, "method": method, "params": params}).encode())
    assert status == 200, answer
    return answer  # type: ignore[return-value]


def test_bad_input_gets_clear_errors_and_nothing_changes(node_factory) -> None:
    # A long block time: transactions sit in the pool, so replacement rules can be exercised.
    node = node_factory(block_time_s=3600)
    url = node.rpc_url
    balance_before = _call(url, "eth_getBalance", [ALICE.address, "latest"])["result"]

    status, answer = _post(url, b'{"jsonrpc": "2.0", "id": 1, "method": ')
    assert answer["error"]["code"] == -32700  # type: ignore[index]

    status, answer = _post(url, json.dumps([
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        {"jsonrpc": "2.0", "id": 2, "method": "eth_nope", "params": []},
        {"jsonrpc": "2.0", "id": 3, "method": "eth_getBalance", "params": ["0x1234", "latest"]},
        {"id": 4},
    ]).encode())
    by_id = {entry.get("id"): entry for entry in answer}  # type: ignore[union-attr]
    assert by_id[1]["result"] == hex(DEVNET_L2_CHAIN_ID)
    assert by_id[2]["error"]["code"] == -32601
    assert by_id[3]["error"]["code"] == -32602
    assert by_id[4]["error"]["code"] == -32600

    status, answer = _post(url, b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["' + b"a" * (10 * 1024 * 1024) + b'"]}')
    assert status == 413 and answer["error"]["code"] == -32600  # type: ignore[index]

    wrong_chain = _call(url, "eth_sendRawTransaction", [_raw_tx(0, chain_id=1)])
    assert wrong_chain["error"]["code"] == -32000 and "chain id" in wrong_chain["error"]["message"]

    fields = rlp.decode(bytes.fromhex(_raw_tx(0)[2:])[1:])
    fields[10] = b""  # r = 0: no public key recovers from it
    bad_signature = _call(url, "eth_sendRawTransaction", ["0x02" + rlp.encode(fields).hex()])
    assert bad_signature["error"]["message"] == "invalid transaction v, r, s values"  # geth's words

    assert "result" in _call(url, "eth_sendRawTransaction", [_raw_tx(0)])
    underpriced = _call(url, "eth_sendRawTransaction", [_raw_tx(0, value=2, tip=10**9 + 1)])
    assert underpriced["error"]["message"].startswith("replacement transaction underpriced")

    poor = dev_accounts()[9]
    broke = _call(url, "eth_sendRawTransaction", [_raw_tx(0, key=poor.private_key, value=10**30)])
    assert broke["error"]["message"].startswith("insufficient funds")

    # mine the pooled transaction, then nonce 0 is too low
    node.stop()
    node = node_factory(data_dir=node.data_dir, block_time_s=0.2)
    url = node.rpc_url
    for _ in range(100):
        if int(_call(url, "eth_getTransactionCount", [ALICE.address, "latest"])["result"], 16) == 1:
            break
        import time
        time.sleep(0.1)
    too_low = _call(url, "eth_sendRawTransaction", [_raw_tx(0, value=5)])
    assert too_low["error"]["message"] == f"nonce too low: next nonce for {ALICE.address} is 1, got 0"

    # nothing moved but the one accepted transfer (1 wei + its fee)
    receipt_count = int(_call(url, "eth_getTransactionCount", [ALICE.address, "latest"])["result"], 16)
    assert receipt_count == 1
    assert _call(url, "eth_getBalance", [BOB.address, "latest"])["result"] == hex(1_000_000 * 10**18 + 1)
    assert int(_call(url, "eth_getBalance", [ALICE.address, "latest"])["result"], 16) < int(balance_before, 16)
