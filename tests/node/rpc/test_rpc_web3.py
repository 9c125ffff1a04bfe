"""web3.py 8 against the real server on a loopback port: AsyncHTTPProvider and
WebSocketProvider, with a miner task producing a block every 50 ms."""

from __future__ import annotations

import asyncio
from typing import AsyncIterator

import pytest
from eth_account import Account
from trie import HexaryTrie
import rlp
from eth_utils import keccak, to_canonical_address
from web3 import AsyncHTTPProvider, AsyncWeb3, Web3, WebSocketProvider
from web3.exceptions import ContractLogicError, ContractPanicError, Web3RPCError
from web3.middleware import SignAndSendRawMiddlewareBuilder

from tests.node.rpc.rpc_harness import DEV, PROBE, Node

ALICE, BOB = DEV[0], DEV[1]


@pytest.fixture
async def mining(node: Node) -> AsyncIterator[Node]:
    async def miner() -> None:
        while True:
            await asyncio.sleep(0.05)
            if len(node.backend.txpool):
                await node.mine()

    task = asyncio.create_task(miner())
    yield node
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_web3_http_contract_lifecycle(mining: Node) -> None:
    node = mining
    w3 = AsyncWeb3(AsyncHTTPProvider(node.url))
    w3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(Account.from_key(ALICE.private_key)), layer=0)
    w3.eth.default_account = ALICE.address
    try:
        assert await w3.is_connected()
        assert await w3.eth.chain_id == 4852 == int(await w3.net.version)
        latest = await w3.eth.get_block("latest")
        assert latest["number"] == 0 and latest["baseFeePerGas"] > 0

        # Deploy through web3's own gas estimation, fee filling and signing.
        factory = w3.eth.contract(abi=list(PROBE.abi), bytecode=PROBE.bytecode)
        tx_hash = await factory.constructor(41).transact()
        receipt = await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.05)
        assert receipt["status"] == 1
        probe = w3.eth.contract(address=receipt["contractAddress"], abi=list(PROBE.abi))
        assert await probe.functions.value().call() == 41

        tx_hash = await probe.functions.set(42, b"w" * 32).transact()
        receipt = await w3.eth.wait_for_transaction_receipt(tx_hash, timeout=10, poll_latency=0.05)
        events = probe.events.ValueSet().process_receipt(receipt)
        assert [(e.args.sender, e.args.value, e.args.tag) for e in events] == [(ALICE.address, 42, b"w" * 32)]
        assert receipt["effectiveGasPrice"] > 0 and receipt["gasUsed"] > 21_000
        logs = await probe.events.ValueSet().get_logs(from_block=0)
        assert [log.args.value for log in logs] == [42]
        assert await probe.functions.credits(ALICE.address).call() == 42

        estimate = await probe.functions.set(7, b"x" * 32).estimate_gas()
        assert 21_000 < estimate <= receipt["gasUsed"] + 25_000

        with pytest.raises(ContractLogicError, match="execution reverted: frozen") as reverted:
            await probe.functions.fail("frozen").call()
        assert reverted.value.data is not None
        with pytest.raises(ContractPanicError, match="Panic error 0x12"):  # decoded by web3 from the data
            await probe.functions.divide(1, 0).call()
        with pytest.raises(ContractLogicError, match="frozen"):
            await probe.functions.fail("frozen").estimate_gas()

        history = await w3.eth.fee_history(2, "latest", [50])
        assert len(history["baseFeePerGas"]) == 3 and len(history["reward"]) == 2
        assert await w3.eth.gas_price > 0 and await w3.eth.max_priority_fee > 0

        tx = await w3.eth.get_transaction(tx_hash)
        assert tx["blockNumber"] == receipt["blockNumber"] and tx["from"] == ALICE.address

        block = await w3.eth.get_block(receipt["blockNumber"], full_transactions=True)
        assert block["transactions"][0]["hash"] == tx_hash
        # web3's eth_getProof is sync only: its formatters must parse the answer too.
        sync_w3 = Web3(Web3.HTTPProvider(node.url))
        proof = await asyncio.to_thread(sync_w3.eth.get_proof, probe.address, [0], block["number"])
        account = HexaryTrie.get_from_proof(bytes(block["stateRoot"]), keccak(to_canonical_address(probe.address)),
                                            [rlp.decode(bytes(node_)) for node_ in proof["accountProof"]])
        assert rlp.decode(account)[2] == bytes(proof["storageHash"])
        assert int.from_bytes(proof["storageProof"][0]["value"], "big") == 42  # web3 gives HexBytes

        with pytest.raises(Web3RPCError, match="nonce too low"):
            await w3.eth.send_raw_transaction(Account.sign_transaction(
                {"to": BOB.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1,
                 "nonce": 0, "chainId": 4852}, ALICE.private_key).raw_transaction)
    finally:
        await w3.provider.disconnect()


async def test_web3_websocket_subscriptions(mining: Node) -> None:
    node = mining
    async with AsyncWeb3(WebSocketProvider(node.ws_url)) as w3:
        assert await w3.eth.chain_id == 4852
        subscription = await w3.eth.subscribe("newHeads")
        signed = Account.sign_transaction(
            {"to": BOB.address, "value": 1, "gas": 21_000, "maxFeePerGas": 10**10, "maxPriorityFeePerGas": 1,
             "nonce": 0, "chainId": 4852}, ALICE.private_key)
        tx_hash = await w3.eth.send_raw_transaction(signed.raw_transaction)

        async def first_head() -> dict:
            async for message in w3.socket.process_subscriptions():
                assert message["subscription"] == subscription
                return message["result"]
            raise AssertionError("subscription stream ended")

        head = await asyncio.wait_for(first_head(), 10)
        assert head["number"] == 1 and head["baseFeePerGas"] > 0
        block = await w3.eth.get_block(1)
        assert block["hash"] == head["hash"] and block["transactions"] == [tx_hash]
        assert await w3.eth.unsubscribe(subscription) is True
