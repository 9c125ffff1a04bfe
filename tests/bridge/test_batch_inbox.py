"""BatchInbox on a real anvil: the batcher's calldata and blob transactions are recorded in the
L1 block's hash chain exactly as `node.batch_inbox.batch_hash_chain` computes it from what
derivation's L1 source reads; a stranger's transaction reverts with `NotBatcher` and a batcher
transaction that runs out of gas reverts too, both leaving the chain as it was, and derivation's
retrieval ignores both. Also measures the L1 gas the inbox adds per batcher transaction."""

from __future__ import annotations

import os
from typing import Any

import pytest
from eth_utils import keccak, to_canonical_address, to_checksum_address
from web3.types import Nonce

from bridge.l1_client import L1Client
from bridge.l1_source import RpcL1Source
from bridge.tx_manager import TxCandidate, TxManager, calldata_gas
from node.batch_inbox import (
    BLOBS_KIND, CALLDATA_KIND, EMPTY_BATCH_CHAIN, MAX_BATCHER_DATA_PER_L1_BLOCK, batch_hash_chain, batch_item,
)
from node.blobs import encode_blob
from node.derive.retrieval import retrieve
from sequencer.batcher import inbox_call_gas
from tests.bridge.l1_harness import BATCHER_INDEX, L1

STRANGER = 4
FRAME_BYTES = 40_000  # one frame of a typical devnet channel (brotli: incompressible bytes)


@pytest.fixture
def inbox(l1: L1) -> Any:
    return l1.deployment.contract(l1.w3, "BatchInbox")


def _batcher(l1: L1) -> TxManager:
    return TxManager(L1Client(l1.w3), l1.keys[BATCHER_INDEX])


def _post(l1: L1, index: int, to: str, data: bytes, gas: int) -> bytes:
    account = l1.account(index)
    tx = {"to": to, "data": data, "gas": gas, "nonce": Nonce(l1.w3.eth.get_transaction_count(account.address, "pending")),
          "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "chainId": l1.w3.eth.chain_id, "value": 0}
    return bytes(l1.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))


def test_inbox_records_batcher_data_as_derivation_reads_it(l1: L1, inbox: Any) -> None:
    frame = b"\x00" + os.urandom(3000)
    garbage = b"\x00" + os.urandom(200)
    l1.anvil.rpc("evm_setAutomine", [False])
    try:
        hashes = [
            _post(l1, BATCHER_INDEX, inbox.address, frame, inbox_call_gas(frame)),
            _post(l1, STRANGER, inbox.address, garbage, 200_000),  # NotBatcher
            _post(l1, BATCHER_INDEX, inbox.address, garbage, calldata_gas(garbage)),  # out of gas in the inbox
            _post(l1, BATCHER_INDEX, inbox.address, frame[:100], inbox_call_gas(frame[:100])),
        ]
        l1.anvil.rpc("evm_mine")
    finally:
        l1.anvil.rpc("evm_setAutomine", [True])
    receipts = [l1.w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert [r["status"] for r in receipts] == [1, 0, 0, 1]
    number = receipts[0]["blockNumber"]

    source = RpcL1Source(l1.w3, l1.portal.address)
    block = source.block_by_number(number)
    assert block is not None
    txs = source.inbox_transactions(block, to_canonical_address(inbox.address))
    assert [tx.succeeded for tx in txs] == [True, False, False, True]
    data = retrieve(source, block, batch_inbox=to_canonical_address(inbox.address),
                    batcher_address=to_canonical_address(l1.address(BATCHER_INDEX)))
    assert data.batcher_data == (frame, frame[:100])

    on_l1 = bytes(inbox.functions.batchHashChain(number).call())
    assert on_l1 == batch_hash_chain([txs[0], txs[3]]) != EMPTY_BATCH_CHAIN
    items = [batch_item(txs[0]), batch_item(txs[3])]
    assert items[0] == (CALLDATA_KIND, keccak(frame))
    assert inbox.functions.isBlockData(number, items).call()
    assert not inbox.functions.isBlockData(number, items[:1]).call()  # one left out
    assert not inbox.functions.isBlockData(number, items[::-1]).call()  # out of order
    assert not inbox.functions.isBlockData(number - 1, items).call()  # another block
    assert bytes(inbox.functions.batchHashChain(number - 1).call()) == EMPTY_BATCH_CHAIN


def test_an_l1_blocks_batcher_data_past_its_bound_reverts_and_derivation_ignores_it(l1: L1, inbox: Any) -> None:
    """`MAX_BATCHER_DATA_PER_L1_BLOCK` (131,072): two calldata transactions of 70,000 bytes in one
    L1 block, the second reverts `BatcherDataOverBlockBound(140000, 131072)` and the chain records
    only the first; retrieval reads only the first ("reverted on L1"); the next block counts afresh."""
    assert inbox.functions.MAX_BATCHER_DATA_PER_L1_BLOCK().call() == MAX_BATCHER_DATA_PER_L1_BLOCK
    first, second, third = (b"\x00" + os.urandom(69_999) for _ in range(3))
    l1.anvil.rpc("evm_setAutomine", [False])
    try:
        hashes = [_post(l1, BATCHER_INDEX, inbox.address, d, inbox_call_gas(d)) for d in (first, second)]
        l1.anvil.rpc("evm_mine")
    finally:
        l1.anvil.rpc("evm_setAutomine", [True])
    receipts = [l1.w3.eth.wait_for_transaction_receipt(h) for h in hashes]
    assert [r["status"] for r in receipts] == [1, 0] and receipts[0]["blockNumber"] == receipts[1]["blockNumber"]
    number = receipts[0]["blockNumber"]
    try:
        l1.w3.eth.call({"from": l1.address(BATCHER_INDEX), "to": inbox.address, "data": second, "gas": inbox_call_gas(second)},
                       block_identifier=number)
    except Exception as exc:  # noqa: BLE001 -- web3's custom-error exception carries the revert data
        expected = keccak(text="BatcherDataOverBlockBound(uint256,uint256)")[:4] + (140_000).to_bytes(32, "big")
        assert (expected + MAX_BATCHER_DATA_PER_L1_BLOCK.to_bytes(32, "big")).hex() in str(exc)
    else:
        raise AssertionError("the block's second 70,000 bytes did not revert")
    source = RpcL1Source(l1.w3, l1.portal.address)
    block = source.block_by_number(number)
    assert block is not None
    data = retrieve(source, block, batch_inbox=to_canonical_address(inbox.address),
                    batcher_address=to_canonical_address(l1.address(BATCHER_INDEX)))
    assert data.batcher_data == (first,)
    assert bytes(inbox.functions.batchHashChain(number).call()) == batch_hash_chain(
        [tx for tx in source.inbox_transactions(block, to_canonical_address(inbox.address)) if tx.succeeded])
    later = _batcher(l1).send(TxCandidate(to=inbox.address, data=third, gas_limit=inbox_call_gas(third)))
    assert later["status"] == 1 and later["blockNumber"] > number


def test_stranger_gets_a_named_error_and_changes_nothing(l1: L1, inbox: Any) -> None:
    before = bytes(inbox.functions.batchHashChain(l1.w3.eth.block_number + 1).call())
    try:
        l1.w3.eth.call({"from": l1.address(STRANGER), "to": inbox.address, "data": b"\x00\x01", "gas": 200_000})
    except Exception as exc:  # web3 raises ContractCustomError with the selector
        assert "0x" in str(exc)
        selector = keccak(text="NotBatcher(address)")[:4].hex()
        assert selector in str(exc)
    else:
        raise AssertionError("a stranger's inbox call did not revert")
    receipt = l1.send_raw(STRANGER, inbox.address, b"\x00\x01", gas=200_000)
    assert receipt["status"] == 0
    assert bytes(inbox.functions.batchHashChain(receipt["blockNumber"]).call()) == before == EMPTY_BATCH_CHAIN


def test_measure_inbox_gas(l1: L1, inbox: Any) -> None:
    """L1 gas of one batcher transaction before (to an address without code, as OP's inbox) and
    after (to BatchInbox): a calldata frame of typical size and a blob transaction of one blob.
    EIP-7623's floor (40 gas per non-zero byte) already exceeds a calldata transaction's standard
    cost by ~24 gas per byte, and execution is charged within that margin: a frame of more than
    ~1.3 KB costs the same gas to the inbox as to a plain address."""
    no_code = to_checksum_address(keccak(text="an address without code, as OP's inbox")[12:])
    assert l1.w3.eth.get_code(no_code) == b""
    batcher = _batcher(l1)
    frame = b"\x00" + os.urandom(FRAME_BYTES)
    small = b"\x00" + os.urandom(300)
    gas: dict[str, int] = {}
    for name, data in (("frame", frame), ("small", small)):
        gas[f"{name} before"] = batcher.send(TxCandidate(to=no_code, data=data, gas_limit=calldata_gas(data)))["gasUsed"]
        gas[f"{name} after"] = batcher.send(TxCandidate(to=inbox.address, data=data, gas_limit=inbox_call_gas(data)))["gasUsed"]
    blob = (encode_blob(b"\x00" + os.urandom(FRAME_BYTES)),)
    gas["blob before"] = batcher.send(TxCandidate(to=no_code, blobs=blob, gas_limit=21_000))["gasUsed"]
    gas["blob after"] = batcher.send(TxCandidate(to=inbox.address, blobs=blob, gas_limit=inbox_call_gas(b"")))["gasUsed"]
    print("\nL1 gas per batcher transaction, to a code-less address -> to BatchInbox:")
    for name, size in (("frame", len(frame)), ("small", len(small)), ("blob", 0)):
        print(f"  {name:5} ({size:>6} B calldata): {gas[name + ' before']:>9,} -> {gas[name + ' after']:>9,}"
              f"  (+{gas[name + ' after'] - gas[name + ' before']:,})")
    assert gas["frame after"] == gas["frame before"]  # absorbed by the EIP-7623 floor
    assert 0 < gas["small after"] - gas["small before"] < 40_000
    assert 0 < gas["blob after"] - gas["blob before"] < 40_000
    assert all(g <= inbox_call_gas(d) for g, d in ((gas["frame after"], frame), (gas["small after"], small)))


def test_blob_transaction_is_recorded_by_its_versioned_hashes(l1: L1, inbox: Any) -> None:
    # Last in the module: after evm_revert, anvil mines a later blob transaction of the same
    # account without serving its receipt (a snapshot quirk), so blob tests must not follow one.
    # A blob counts 65,536 bytes (its first half, what the derivation leaf is shown) against its
    # L1 block's bound of 131,072: three blobs revert (nothing recorded, never read by derivation),
    # two are recorded.
    batcher = _batcher(l1)
    blobs = tuple(encode_blob(b"\x00" + os.urandom(n)) for n in (1000, 500, 200))
    three = batcher.send(TxCandidate(to=inbox.address, blobs=blobs, gas_limit=inbox_call_gas(b"")))
    assert three["status"] == 0 and bytes(inbox.functions.batchHashChain(three["blockNumber"]).call()) == EMPTY_BATCH_CHAIN
    receipt = batcher.send(TxCandidate(to=inbox.address, blobs=blobs[:2], gas_limit=inbox_call_gas(b"")))
    assert receipt["status"] == 1
    source = RpcL1Source(l1.w3, l1.portal.address)
    block = source.block_by_number(receipt["blockNumber"])
    assert block is not None
    (tx,) = source.inbox_transactions(block, to_canonical_address(inbox.address))
    kind, item = batch_item(tx)
    assert kind == BLOBS_KIND and len(tx.blob_versioned_hashes) == 2
    assert bytes(inbox.functions.batchHashChain(block.number).call()) == batch_hash_chain([tx])
