"""eth_* methods against a real in-memory chain: state reads, blocks, transactions, receipts,
calls, gas estimation, reverts, proofs, fees, and the pool's rejections.

Expected values come from outside the RPC layer: py-evm's own receipts and blocks, the
EIP-1559 formula by hand, ABI encodings built here, Merkle proofs checked with `trie`.
"""

from __future__ import annotations

import asyncio
import time

import pytest
import rlp
from eth._utils.address import generate_contract_address
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak, to_canonical_address
from trie import HexaryTrie

from genesis.predeploys import L1_BLOCK
from node.deposit_tx import user_deposit_source_hash
from node.errors import ExecutionTimeout
from node.rpc import RpcLimits, execution
from node.rlp_guard import rlp_nesting_exceeds
from node.rpc.params import parse_call_args
from node.vm import LantauTransactionBuilder
from tests.node.rpc.rpc_harness import DEV, GWEI, PROBE, Node, address_bytes, selector

VALUE_SET_TOPIC = "0x" + keccak(text="ValueSet(address,uint256,bytes32)").hex()


def word_hex(value: int) -> str:
    return "0x" + value.to_bytes(32, "big").hex()


def call_data(signature: str, types: list[str], values: list[object]) -> str:
    return "0x" + (selector(signature) + encode(types, values)).hex()


# --- identity, heads ------------------------------------------------------------------------


async def test_chain_identity_agrees(node: Node) -> None:
    assert await node.call("eth_chainId") == hex(4852)
    assert await node.call("net_version") == "4852"
    assert await node.call("net_listening") is True
    assert await node.call("eth_syncing") is False
    assert await node.call("web3_clientVersion") == node.backend.client_version
    assert await node.call("web3_sha3", "0x68656c6c6f") == "0x" + keccak(b"hello").hex()
    assert await node.call("eth_blockNumber") == "0x0"
    await node.mine()
    assert await node.call("eth_blockNumber") == "0x1"


async def test_block_tags_and_fields(node: Node) -> None:
    await node.send(DEV[0], to=DEV[1].address, value=5, gas=21_000)
    built = await node.mine()
    node.miner.mark_safe(node.chain.header_by_number(1))
    await node.mine()

    latest = await node.call("eth_getBlockByNumber", "latest", False)
    assert latest["number"] == "0x2"
    assert (await node.call("eth_getBlockByNumber", "pending", False))["hash"] == latest["hash"]
    assert (await node.call("eth_getBlockByNumber", "earliest", False))["hash"] == "0x" + node.chain.genesis_hash.hex()
    assert (await node.call("eth_getBlockByNumber", "safe", False))["number"] == "0x1"
    assert (await node.call("eth_getBlockByNumber", "finalized", False))["number"] == "0x0"
    assert await node.call("eth_getBlockByNumber", "0x63", False) is None
    assert await node.call("eth_getBlockByHash", "0x" + "11" * 32, False) is None

    block = await node.call("eth_getBlockByNumber", "0x1", False)
    header = built.header
    assert block["hash"] == "0x" + header.hash.hex()
    assert block["baseFeePerGas"] == hex(header.base_fee_per_gas)
    assert block["stateRoot"] == "0x" + header.state_root.hex()
    assert block["transactions"] == ["0x" + built.block.transactions[0].hash.hex()]
    assert block["withdrawalsRoot"] == "0x" + header.withdrawals_root.hex()
    assert block["requestsHash"] == "0x" + header.requests_hash.hex()
    for field, expected in [("totalDifficulty", "0x0"), ("uncles", []), ("withdrawals", []), ("blobGasUsed", "0x0"),
                            ("excessBlobGas", "0x0"), ("difficulty", "0x0"), ("nonce", "0x0000000000000000")]:
        assert block[field] == expected, field
    assert block["parentBeaconBlockRoot"] == "0x" + header.parent_beacon_block_root.hex()
    # The size of the block's RLP: [header, [typed transactions as byte strings], [], []].
    raw_transactions = [tx.encode() for tx in built.block.transactions]
    assert int(block["size"], 16) == len(rlp.encode([built.header, raw_transactions, [], []]))
    assert await node.call("eth_getBlockByHash", block["hash"], False) == block

    full = await node.call("eth_getBlockByNumber", "0x1", True)
    tx = full["transactions"][0]
    assert tx["from"] == DEV[0].address.lower() and tx["to"] == DEV[1].address.lower()
    assert tx["blockHash"] == block["hash"] and tx["transactionIndex"] == "0x0"
    assert await node.call("eth_getBlockTransactionCountByNumber", "0x1") == "0x1"
    assert await node.call("eth_getBlockTransactionCountByHash", block["hash"]) == "0x1"
    assert await node.call("eth_getBlockTransactionCountByNumber", "0x63") is None
    assert await node.call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x0") == tx
    assert await node.call("eth_getTransactionByBlockHashAndIndex", block["hash"], "0x0") == tx
    assert await node.call("eth_getTransactionByBlockNumberAndIndex", "0x1", "0x1") is None


# --- state reads ------------------------------------------------------------------------------


async def test_state_reads_by_block_and_eip1898(node: Node) -> None:
    recipient = "0x" + "ab" * 20
    await node.send(DEV[0], to=recipient, value=12_345, gas=21_000)
    built = await node.mine()
    block_hash = "0x" + built.header.hash.hex()

    assert await node.call("eth_getBalance", recipient, "latest") == hex(12_345)
    assert await node.call("eth_getBalance", recipient, "0x0") == "0x0"
    assert await node.call("eth_getBalance", recipient, {"blockHash": block_hash}) == hex(12_345)
    assert await node.call("eth_getBalance", recipient, {"blockHash": block_hash, "requireCanonical": True}) == hex(12_345)
    assert await node.call("eth_getBalance", recipient, {"blockNumber": "0x0"}) == "0x0"
    assert await node.call("eth_getBalance", recipient, "earliest") == "0x0"
    assert await node.call("eth_getTransactionCount", DEV[0].address, "latest") == "0x1"
    assert await node.call("eth_getTransactionCount", DEV[0].address, "0x0") == "0x0"

    error = await node.error("eth_getBalance", recipient, "0x99")
    assert (error.code, error.message) == (-32000, "header not found")
    error = await node.error("eth_getBalance", recipient, {"blockHash": "0x" + "22" * 32})
    assert (error.code, error.message) == (-32000, "header not found")


async def test_pending_nonce_counts_the_pool(node: Node) -> None:
    await node.send(DEV[2], to=DEV[3].address, value=1, gas=21_000)
    await node.send(DEV[2], to=DEV[3].address, value=1, gas=21_000)
    assert await node.call("eth_getTransactionCount", DEV[2].address, "latest") == "0x0"
    assert await node.call("eth_getTransactionCount", DEV[2].address, "pending") == "0x2"
    await node.mine()
    assert await node.call("eth_getTransactionCount", DEV[2].address, "latest") == "0x2"


async def test_code_and_storage(node: Node) -> None:
    probe = await node.deploy_probe(initial=7)
    code = await node.call("eth_getCode", probe, "latest")
    assert code == "0x" + node.chain.state_at(node.chain.head).get_code(to_canonical_address(probe)).hex()
    assert len(code) > 100
    assert await node.call("eth_getCode", probe, "0x0") == "0x"
    assert await node.call("eth_getStorageAt", probe, "0x0", "latest") == word_hex(7)
    assert await node.call("eth_getStorageAt", probe, "0x" + "00" * 31 + "00", "latest") == word_hex(7)
    assert await node.call("eth_getStorageAt", probe, "0x1", "latest") == word_hex(0)


# --- transactions and receipts -----------------------------------------------------------------


async def test_receipts_of_a_block(node: Node) -> None:
    """Deploy, then two calls in one block: per-transaction gas from the cumulative gas,
    log indexes running across the block, effective gas price = base fee + tip."""
    deploy_hash = await node.send(DEV[0], to="", gas=1_000_000, data=bytes.fromhex("00"))  # placeholder replaced below
    assert deploy_hash  # a create whose init code is STOP: a contract with empty code
    probe = await node.deploy_probe(DEV[1])
    deploy_receipt = await node.call("eth_getTransactionReceipt", deploy_hash)
    assert deploy_receipt["contractAddress"] == "0x" + generate_contract_address(address_bytes(DEV[0]), 0).hex()
    assert deploy_receipt["to"] is None

    tag = b"t" * 32
    first = await node.send(DEV[2], to=probe, gas=200_000, maxPriorityFeePerGas=GWEI,
                            data=selector("set(uint256,bytes32)") + encode(["uint256", "bytes32"], [11, tag]))
    second = await node.send(DEV[3], to=probe, gas=200_000, maxPriorityFeePerGas=GWEI // 2,
                             data=selector("set(uint256,bytes32)") + encode(["uint256", "bytes32"], [22, tag]))
    built = await node.mine()
    py_receipts = built.receipts
    assert len(py_receipts) == 2

    receipts = [await node.call("eth_getTransactionReceipt", h) for h in (first, second)]
    base_fee = built.header.base_fee_per_gas
    for index, (receipt, py_receipt) in enumerate(zip(receipts, py_receipts)):
        assert receipt["status"] == "0x1"
        assert receipt["transactionIndex"] == hex(index)
        assert receipt["blockHash"] == "0x" + built.header.hash.hex()
        assert receipt["blockNumber"] == hex(built.header.block_number)
        assert receipt["cumulativeGasUsed"] == hex(py_receipt.gas_used)
        assert receipt["type"] == "0x2"
        assert receipt["to"] == probe
        assert receipt["contractAddress"] is None
        assert receipt["logsBloom"] == "0x" + py_receipt.bloom.to_bytes(256, "big").hex()
    assert receipts[0]["gasUsed"] == hex(py_receipts[0].gas_used)
    assert receipts[1]["gasUsed"] == hex(py_receipts[1].gas_used - py_receipts[0].gas_used)
    assert receipts[0]["from"] == DEV[2].address.lower()
    assert receipts[0]["effectiveGasPrice"] == hex(base_fee + GWEI)
    assert receipts[1]["effectiveGasPrice"] == hex(base_fee + GWEI // 2)
    logs = [log for receipt in receipts for log in receipt["logs"]]
    assert [log["logIndex"] for log in logs] == ["0x0", "0x1"]
    assert [log["transactionHash"] for log in logs] == [first, second]
    assert logs[0]["topics"] == [VALUE_SET_TOPIC, "0x" + "00" * 12 + DEV[2].address.lower()[2:], word_hex(11)]
    assert logs[0]["data"] == "0x" + tag.hex()
    assert logs[0]["address"] == probe and logs[0]["removed"] is False
    assert await node.call("eth_getBlockReceipts", "latest") == receipts
    assert await node.call("eth_getTransactionReceipt", "0x" + "00" * 32) is None


async def test_transaction_by_hash_in_pool_then_in_block(node: Node) -> None:
    tx_hash = await node.send(DEV[4], to=DEV[5].address, value=99, gas=21_000, maxFeePerGas=3 * GWEI)
    pooled = await node.call("eth_getTransactionByHash", tx_hash)
    assert pooled["blockHash"] is None and pooled["blockNumber"] is None and pooled["transactionIndex"] is None
    assert pooled["hash"] == tx_hash and pooled["value"] == hex(99) and pooled["gasPrice"] == hex(3 * GWEI)
    assert await node.call("eth_getTransactionReceipt", tx_hash) is None

    built = await node.mine()
    mined = await node.call("eth_getTransactionByHash", tx_hash)
    assert mined["blockHash"] == "0x" + built.header.hash.hex()
    assert mined["gasPrice"] == hex(built.header.base_fee_per_gas + GWEI)
    # The signature fields recover the sender, as a client would check.
    tx = built.block.transactions[0]
    assert (int(mined["r"], 16), int(mined["s"], 16), int(mined["yParity"], 16)) == (tx.r, tx.s, tx.y_parity)
    assert await node.call("eth_getTransactionByHash", "0x" + "00" * 32) is None


async def test_legacy_transaction_shape(node: Node) -> None:
    tx_hash = await node.send(DEV[6], type=0, to=DEV[7].address, value=1, gas=21_000, gasPrice=2 * GWEI)
    await node.mine()
    tx = await node.call("eth_getTransactionByHash", tx_hash)
    assert tx["type"] == "0x0" and tx["gasPrice"] == hex(2 * GWEI) and "maxFeePerGas" not in tx
    assert int(tx["v"], 16) in (4852 * 2 + 35, 4852 * 2 + 36)  # EIP-155
    receipt = await node.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["type"] == "0x0" and receipt["effectiveGasPrice"] == hex(2 * GWEI)


# --- rejections ----------------------------------------------------------------------------------


async def test_pool_rejections_are_32000_with_the_reason(node: Node) -> None:
    wrong_chain = Account.sign_transaction(
        {"type": 2, "chainId": 1, "nonce": 0, "to": DEV[1].address, "value": 1, "gas": 21_000,
         "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI}, DEV[0].private_key).raw_transaction
    error = await node.error("eth_sendRawTransaction", "0x" + bytes(wrong_chain).hex())
    assert (error.code, error.message) == (
        -32000, "invalid chain id: transaction is signed for chain id 1, this chain is 4852")

    await node.send(DEV[0], to=DEV[1].address, value=1, gas=21_000)
    await node.mine()
    error = await node.error("eth_sendRawTransaction", "0x" + node.sign(DEV[0], nonce=0, to=DEV[1].address, gas=21_000).hex())
    assert (error.code, error.message) == (-32000, f"nonce too low: next nonce for {DEV[0].address} is 1, got 0")

    pauper = Account.create()
    raw = Account.sign_transaction(
        {"type": 2, "chainId": 4852, "nonce": 0, "to": DEV[1].address, "value": 1, "gas": 21_000,
         "maxFeePerGas": 2 * GWEI, "maxPriorityFeePerGas": GWEI}, pauper.key).raw_transaction
    error = await node.error("eth_sendRawTransaction", "0x" + bytes(raw).hex())
    assert (error.code, error.message) == (
        -32000, f"insufficient funds for gas * price + value: address {pauper.address} have 0 want {21_000 * 2 * GWEI + 1}")

    raw = node.sign(DEV[1], to=DEV[2].address, gas=21_000)
    await node.call("eth_sendRawTransaction", "0x" + raw.hex())
    error = await node.error("eth_sendRawTransaction", "0x" + raw.hex())
    assert (error.code, error.message) == (-32000, f"already known: 0x{keccak(raw).hex()}")

    error = await node.error("eth_sendRawTransaction", "0x02c0")
    assert error.code == -32000 and error.message.startswith("invalid transaction encoding")
    assert await node.call("eth_blockNumber") == "0x1"


def _nested_rlp_lists(depth: int) -> bytes:
    item = b"\xc0"
    for _ in range(depth):
        size = len(item)
        if size < 56:
            item = bytes([0xC0 + size]) + item
        else:
            length = size.to_bytes((size.bit_length() + 7) // 8, "big")
            item = bytes([0xF7 + len(length)]) + length + item
    return item


async def test_deeply_nested_rlp_is_refused_before_decoding(node: Node) -> None:
    """19,000 nested empty lists (56,791 B, under the pool's size cap of 59,744 B; 30,000 overflowed
    the C stack of the RLP decoder when the cap was 128 KiB): the RPC refuses them before decoding,
    and the node lives on."""
    for raw in (b"\x02" + _nested_rlp_lists(19_000), _nested_rlp_lists(19_000)):
        error = await node.error("eth_sendRawTransaction", "0x" + raw.hex())
        assert (error.code, error.message) == (
            -32000, "invalid transaction encoding: RLP lists nested deeper than 16 levels")
    assert await node.call("eth_chainId") == hex(4852)


def test_rlp_nesting_of_real_transactions_is_shallow() -> None:
    raw = Account.sign_transaction(
        {"type": 1, "chainId": 4852, "nonce": 0, "to": DEV[1].address, "value": 1, "gas": 50_000, "gasPrice": GWEI,
         "accessList": [{"address": DEV[2].address, "storageKeys": ["0x" + "00" * 32]}]}, DEV[0].private_key).raw_transaction
    assert not rlp_nesting_exceeds(bytes(raw), 4)
    assert rlp_nesting_exceeds(bytes(raw), 3)
    assert not rlp_nesting_exceeds(_nested_rlp_lists(15), 16) and rlp_nesting_exceeds(_nested_rlp_lists(16), 16)


# --- eth_call and eth_estimateGas ----------------------------------------------------------------


async def test_call_reads_contract_state(node: Node) -> None:
    probe = await node.deploy_probe(initial=7)
    assert await node.call("eth_call", {"to": probe, "data": call_data("value()", [], [])}, "latest") == word_hex(7)
    assert await node.call("eth_call", {"to": probe, "input": call_data("divide(uint256,uint256)", ["uint256", "uint256"], [10, 3])}) == word_hex(3)
    # No sender, no funds, no price: a free call, as geth allows.
    pauper = Account.create().address
    assert await node.call("eth_call", {"from": pauper, "to": probe, "data": call_data("value()", [], [])}) == word_hex(7)
    # At genesis the contract does not exist: empty output.
    assert await node.call("eth_call", {"to": probe, "data": call_data("value()", [], [])}, "0x0") == "0x"
    # With a price, the sender must afford gas * price + value.
    error = await node.error("eth_call", {"from": pauper, "to": probe, "gas": "0x5208", "gasPrice": hex(GWEI)})
    assert (error.code, error.message) == (
        -32000, f"insufficient funds for gas * price + value: address {pauper} have 0 want {21_000 * GWEI}")


async def test_call_runs_in_the_blocks_own_context(node: Node) -> None:
    """NUMBER, TIMESTAMP and BASEFEE inside eth_call are those of the block asked for."""
    await node.send(DEV[0], to=DEV[1].address, value=1, gas=21_000)
    first = await node.mine()
    second = await node.mine()
    reader = "0x" + "0c" * 20

    async def read(opcode: str, block: str) -> int:
        code = "0x" + opcode + "5f52" + "60205ff3"  # <opcode> PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
        return int(await node.call("eth_call", {"to": reader}, block, {reader: {"code": code}}), 16)

    assert await read("43", "latest") == 2 and await read("43", "0x1") == 1
    assert await read("42", "0x1") == first.header.timestamp and await read("42", "latest") == second.header.timestamp
    assert await read("48", "0x1") == first.header.base_fee_per_gas
    assert await read("48", "latest") == second.header.base_fee_per_gas != first.header.base_fee_per_gas


async def test_call_with_state_overrides(node: Node) -> None:
    probe = await node.deploy_probe(initial=7)
    value = {"to": probe, "data": call_data("value()", [], [])}
    slot0 = "0x" + "00" * 32
    assert await node.call("eth_call", value, "latest", {probe: {"stateDiff": {slot0: word_hex(99)}}}) == word_hex(99)
    assert await node.call("eth_call", value, "latest", {probe: {"state": {}}}) == word_hex(0)
    # Code override: a contract that returns its caller's balance (BALANCE(CALLER)).
    balance_of_caller = bytes.fromhex("3331" "5f52" "60205ff3")  # CALLER BALANCE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    other = "0x" + "cd" * 20
    answer = await node.call("eth_call", {"from": DEV[9].address, "to": other}, "latest",
                             {other: {"code": "0x" + balance_of_caller.hex()}, DEV[9].address: {"balance": "0x2a"}})
    assert answer == word_hex(42)
    # Overrides never reach the chain.
    assert await node.call("eth_getStorageAt", probe, "0x0", "latest") == word_hex(7)
    error = await node.error("eth_call", value, "latest", {probe: {"state": {}, "stateDiff": {}}})
    assert error.code == -32602 and "has both 'state' and 'stateDiff'" in error.message


async def test_revert_reason_is_code_3_with_data(node: Node) -> None:
    probe = await node.deploy_probe()
    error = await node.error("eth_call", {"to": probe, "data": call_data("fail(string)", ["string"], ["not allowed: frozen"])})
    assert error.code == 3
    assert error.message == "execution reverted: not allowed: frozen"
    assert error.data == "0x08c379a0" + encode(["string"], ["not allowed: frozen"]).hex()

    error = await node.error("eth_call", {"to": probe, "data": call_data("divide(uint256,uint256)", ["uint256", "uint256"], [1, 0])})
    assert (error.code, error.message) == (3, "execution reverted: division or modulo by zero")
    assert error.data == "0x4e487b71" + word_hex(0x12)[2:]

    error = await node.error("eth_estimateGas", {"from": DEV[0].address, "to": probe,
                                                 "data": call_data("fail(string)", ["string"], ["nope"])})
    assert (error.code, error.message) == (3, "execution reverted: nope")
    assert error.data == "0x08c379a0" + encode(["string"], ["nope"]).hex()

    # A bare REVERT with no data: code 3, no reason, empty data.
    reverter = "0x" + "ee" * 20
    error = await node.error("eth_call", {"to": reverter}, "latest", {reverter: {"code": "0x5f5ffd"}})
    assert (error.code, error.message, error.data) == (3, "execution reverted", "0x")


async def test_call_errors_other_than_revert(node: Node) -> None:
    target = "0x" + "ef" * 20
    error = await node.error("eth_call", {"to": target}, "latest", {target: {"code": "0xfe"}})
    assert (error.code, error.message) == (-32000, "invalid opcode")
    probe = await node.deploy_probe()
    error = await node.error("eth_call", {"to": probe, "gas": hex(30_000), "data": call_data("fill(uint256)", ["uint256"], [10])})
    assert (error.code, error.message) == (-32000, "out of gas")
    error = await node.error("eth_call", {"to": probe, "gas": hex(20_000)})
    assert (error.code, error.message) == (-32000, "intrinsic gas too low: gas 20000, minimum needed 21000")
    error = await node.error("eth_call", {"to": probe, "chainId": "0x1"})
    assert error.code == -32000 and error.message.startswith("invalid chain id")


async def test_estimate_gas_is_enough_and_tight(node: Node) -> None:
    probe = await node.deploy_probe()
    assert await node.call("eth_estimateGas", {"from": DEV[0].address, "to": DEV[1].address, "value": "0x1"}) == hex(21_000)
    data = call_data("fill(uint256)", ["uint256"], [30])
    estimate = int(await node.call("eth_estimateGas", {"from": DEV[0].address, "to": probe, "data": data}), 16)
    # The estimate is within geth's 1.5% search tolerance of the least gas limit that
    # succeeds: 2% less runs out of gas. And it succeeds on chain.
    short = await node.error("eth_call", {"from": DEV[0].address, "to": probe, "data": data, "gas": hex(estimate * 98 // 100)})
    assert short.message == "out of gas"
    tx_hash = await node.send(DEV[0], to=probe, gas=estimate, data=bytes.fromhex(data[2:]))
    await node.mine()
    receipt = await node.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1"
    assert int(receipt["gasUsed"], 16) <= estimate

    error = await node.error("eth_estimateGas", {"from": DEV[0].address, "to": probe, "gas": hex(22_000), "data": data})
    assert (error.code, error.message) == (-32000, "gas required exceeds allowance (22000)")


async def test_call_timeout_stops_the_evm_and_the_server_keeps_serving(make_node) -> None:
    node = await make_node(RpcLimits(evm_timeout_s=1.0))
    probe = await node.deploy_probe()
    spin = {"to": probe, "data": call_data("spin()", [], [])}  # loops until gas runs out: 50M gas
    started = time.monotonic()
    slow = asyncio.create_task(node.error("eth_call", spin))
    await asyncio.sleep(0.1)
    assert await node.call("eth_blockNumber") == "0x1"  # answered while the EVM runs
    assert not slow.done()
    error = await slow
    assert (error.code, error.message) == (-32000, "execution aborted (timeout = 1s)")
    assert time.monotonic() - started < 5


async def test_the_deadline_stops_the_evm_itself(node: Node) -> None:
    """Not only the wait ends: the worker's EVM raises at the deadline, so no thread spins on."""
    probe = await node.deploy_probe()
    args = parse_call_args({"to": probe, "data": call_data("spin()", [], [])})
    started = time.monotonic()
    with pytest.raises(ExecutionTimeout, match=r"^execution aborted \(timeout = 200ms\)$"):
        execution.call(node.chain, node.chain.head, args, overrides={}, gas_cap=50_000_000,
                       deadline=started + 0.2, timeout_s=0.2)
    assert time.monotonic() - started < 1.5


# --- proofs ---------------------------------------------------------------------------------------


def _verify(root_hex: str, key: bytes, proof: list[str]) -> bytes:
    nodes = [rlp.decode(bytes.fromhex(node[2:])) for node in proof]
    return HexaryTrie.get_from_proof(bytes.fromhex(root_hex[2:]), key, nodes)


async def test_get_proof_verifies_against_the_state_root(node: Node) -> None:
    probe = await node.deploy_probe(initial=7)
    await node.send(DEV[1], to=probe, gas=200_000,
                    data=selector("set(uint256,bytes32)") + encode(["uint256", "bytes32"], [1234, b"\1" * 32]))
    await node.mine()
    block = await node.call("eth_getBlockByNumber", "latest", False)
    credits_slot = keccak(encode(["address", "uint256"], [DEV[1].address, 1]))  # credits[DEV1]
    keys = ["0x0", "0x" + credits_slot.hex(), "0x5"]
    proof = await node.call("eth_getProof", probe, keys, "latest")

    account_rlp = _verify(block["stateRoot"], keccak(to_canonical_address(probe)), proof["accountProof"])
    nonce, balance, storage_root, code_hash = rlp.decode(account_rlp)
    assert proof["nonce"] == hex(int.from_bytes(nonce, "big")) == "0x1"
    assert proof["balance"] == "0x0" and int.from_bytes(balance, "big") == 0
    assert proof["storageHash"] == "0x" + storage_root.hex()
    code = bytes.fromhex((await node.call("eth_getCode", probe, "latest"))[2:])
    assert proof["codeHash"] == "0x" + keccak(code).hex() == "0x" + code_hash.hex()

    expected_values = [1234, 1234, 0]
    for entry, key, slot, expected in zip(proof["storageProof"], keys, [0, int.from_bytes(credits_slot, "big"), 5], expected_values):
        assert entry["key"] == key
        assert entry["value"] == hex(expected)
        stored = _verify(proof["storageHash"], keccak(slot.to_bytes(32, "big")), entry["proof"])
        assert stored == (rlp.encode(expected) if expected else b"")

    # A dev account (no storage), and an account that does not exist: a proof of absence.
    eoa = await node.call("eth_getProof", DEV[2].address, [], "latest")
    assert eoa["balance"] == await node.call("eth_getBalance", DEV[2].address, "latest")
    assert _verify(block["stateRoot"], keccak(address_bytes(DEV[2])), eoa["accountProof"])
    nobody = "0x" + "99" * 20
    absent = await node.call("eth_getProof", nobody, ["0x0"], "latest")
    assert _verify(block["stateRoot"], keccak(bytes.fromhex(nobody[2:])), absent["accountProof"]) == b""
    assert absent["storageHash"] == "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
    assert absent["codeHash"] == "0x" + keccak(b"").hex() and absent["storageProof"][0]["value"] == "0x0"

    # At an older block the proof is of the older state.
    old = await node.call("eth_getProof", probe, ["0x0"], "0x1")
    old_block = await node.call("eth_getBlockByNumber", "0x1", False)
    _verify(old_block["stateRoot"], keccak(to_canonical_address(probe)), old["accountProof"])
    assert old["storageProof"][0]["value"] == hex(7)


# --- fees -----------------------------------------------------------------------------------------


async def test_gas_price_and_fee_history(node: Node) -> None:
    genesis = node.chain.head
    next_base_fee = calculate_expected_base_fee_per_gas(genesis)
    # No transactions yet: the minimum suggested tip (0.001 gwei).
    assert await node.call("eth_maxPriorityFeePerGas") == hex(1_000_000)
    assert await node.call("eth_gasPrice") == hex(next_base_fee + 1_000_000)

    for account in DEV[:3]:
        await node.send(account, to=DEV[9].address, value=1, gas=21_000, maxPriorityFeePerGas=2 * GWEI, maxFeePerGas=4 * GWEI)
    await node.send(DEV[3], to=DEV[9].address, value=1, gas=21_000, maxPriorityFeePerGas=GWEI, maxFeePerGas=4 * GWEI)
    first = await node.mine()
    second = await node.mine()
    assert await node.call("eth_maxPriorityFeePerGas") == hex(2 * GWEI)  # 60th percentile of [1, 2, 2] gwei
    assert await node.call("eth_gasPrice") == hex(calculate_expected_base_fee_per_gas(second.header) + 2 * GWEI)

    history = await node.call("eth_feeHistory", "0x3", "latest", [10, 50])
    assert history["oldestBlock"] == "0x0"
    assert history["baseFeePerGas"] == [hex(genesis.base_fee_per_gas), hex(first.header.base_fee_per_gas),
                                        hex(second.header.base_fee_per_gas),
                                        hex(calculate_expected_base_fee_per_gas(second.header))]
    assert history["gasUsedRatio"] == [0.0, 84_000 / first.header.gas_limit, 0.0]
    # Block 1: four transfers of 21,000 gas, tips [1, 2, 2, 2] gwei: 10% of the gas is
    # reached by the 1-gwei one, 50% by a 2-gwei one.
    assert history["reward"] == [["0x0", "0x0"], [hex(GWEI), hex(2 * GWEI)], ["0x0", "0x0"]]
    assert len(history["baseFeePerBlobGas"]) == 4 and history["blobGasUsedRatio"] == [0.0, 0.0, 0.0]
    assert (await node.call("eth_feeHistory", 2, "0x1"))["oldestBlock"] == "0x0"
    assert (await node.call("eth_feeHistory", "0x1", "latest"))["oldestBlock"] == "0x2"


# --- txpool ---------------------------------------------------------------------------------------


async def test_txpool_status_and_content(node: Node) -> None:
    await node.send(DEV[5], to=DEV[6].address, value=1, gas=21_000, nonce=0)
    await node.send(DEV[5], to=DEV[6].address, value=2, gas=21_000, nonce=1)
    gapped = await node.send(DEV[5], to=DEV[6].address, value=3, gas=21_000, nonce=5)
    assert await node.call("txpool_status") == {"pending": "0x2", "queued": "0x1"}
    content = await node.call("txpool_content")
    assert sorted(content["pending"][DEV[5].address]) == ["0", "1"]
    assert content["queued"][DEV[5].address]["5"]["hash"] == gapped
    await node.mine()
    assert await node.call("txpool_status") == {"pending": "0x0", "queued": "0x1"}


# --- deposits (0x7E) ------------------------------------------------------------------------------


async def test_deposit_transaction_and_receipt_shape(node: Node) -> None:
    """A deposit that mints 5 HKD to a fresh address and deploys the Probe from it: the
    contract address comes from the depositNonce (0), and no fee is paid."""
    depositor = "0x" + "d0" * 20
    source_hash = user_deposit_source_hash(b"\x11" * 32, 3)
    deposit = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=source_hash, from_=bytes.fromhex(depositor[2:]), to=b"", mint=5 * 10**18, value=0,
        gas=1_000_000, data=PROBE.bytecode + (9).to_bytes(32, "big"),
    )
    built = await node.mine(deposits=[deposit])
    tx_hash = "0x" + deposit.hash.hex()
    tx = await node.call("eth_getTransactionByHash", tx_hash)
    assert tx["type"] == "0x7e" and tx["sourceHash"] == "0x" + source_hash.hex()
    assert tx["mint"] == hex(5 * 10**18) and "isSystemTx" not in tx and tx["gasPrice"] == "0x0"
    assert tx["from"] == depositor and tx["to"] is None and tx["nonce"] == "0x0"
    # op-geth's shape: a zero signature (ethers needs `r`), no yParity or chainId
    assert (tx["v"], tx["r"], tx["s"]) == ("0x0", "0x0", "0x0") and "yParity" not in tx and "chainId" not in tx
    assert tx["depositReceiptVersion"] == "0x1"
    receipt = await node.call("eth_getTransactionReceipt", tx_hash)
    assert receipt["status"] == "0x1" and receipt["type"] == "0x7e"
    assert receipt["depositNonce"] == "0x0" and receipt["depositReceiptVersion"] == "0x1"
    assert receipt["effectiveGasPrice"] == "0x0"
    assert receipt["contractAddress"] == "0x" + generate_contract_address(bytes.fromhex(depositor[2:]), 0).hex()
    assert receipt["gasUsed"] == hex(built.receipts[1].gas_used - built.receipts[0].gas_used)  # cumulative: after the L1-info deposit
    assert await node.call("eth_getBalance", depositor, "latest") == hex(5 * 10**18)
    full = await node.call("eth_getBlockByNumber", "latest", True)
    assert full["transactions"][1] == tx and full["transactions"][0]["to"] == "0x" + L1_BLOCK.hex()
    assert await node.call("eth_call", {"to": receipt["contractAddress"], "data": call_data("value()", [], [])}) == word_hex(9)


async def test_fee_cap_below_base_fee_is_refused_with_gefs_message(node: Node) -> None:
    """Was: accepted, never mined, and the sender's next nonces stuck behind it with no word."""
    base_fee = node.backend.next_base_fee()
    error = await node.error("eth_sendRawTransaction", "0x" + node.sign(DEV[0], maxFeePerGas=base_fee - 1,
                                                                        maxPriorityFeePerGas=1).hex())
    assert error.code == -32000
    assert error.message == (f"max fee per gas less than block base fee: address {DEV[0].address}, "
                             f"maxFeePerGas: {base_fee - 1}, baseFee: {base_fee}")
    assert await node.call("txpool_status") == {"pending": "0x0", "queued": "0x0"}
    # The same nonce with a cap that pays goes in and is mined.
    tx_hash = await node.send(DEV[0], maxFeePerGas=base_fee, maxPriorityFeePerGas=1)
    await node.mine()
    assert (await node.call("eth_getTransactionReceipt", tx_hash))["status"] == "0x1"
