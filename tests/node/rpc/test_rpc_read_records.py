"""Reads of one transaction from its read record (`node.tx_index`) answer exactly what the
whole block says.

The reference is the slow path, computed in the test from the stored block body and receipts
decoded by py-evm's own builders, every sender recovered by py-evm from its signature, and the
block's receipts formatted together (`format_block_receipts`, as eth_getBlockReceipts, with
no known senders). On top, fields checked against values from outside the node: each sender is
the dev account that signed, gas used adds up to the header's, log indexes run 0..n-1 over the
block, a contract address is keccak(rlp([sender, nonce])).

Every transaction of the chain is compared, after building, after an unsafe reorg that moves
transactions to other positions and drops others, and after a restart on the same LevelDB.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import rlp
from eth_abi import encode
from eth_account import Account
from eth_utils import keccak

from genesis import predeploys
from genesis.config import GenesisConfig
from node.chain import BlockAttributes, Chain
from node.deposit_tx import is_deposit, user_deposit_source_hash
from node.rpc.format import data, format_block_receipts, format_transaction
from node.tx_index import block_index_key, deposit_nonce, record_key
from node.vm import LantauTransactionBuilder, LantauVM
from tests.node.rpc.rpc_harness import DEV, GWEI, PROBE, Node, l2_node_on, selector, serve, stop_node

GENESIS = GenesisConfig.load()
DEPOSITOR = b"\xd0" * 20
SIGNERS = {account.address.lower(): account for account in DEV}


def reference_block(chain: Chain, block_hash: bytes) -> tuple[Any, list[Any], list[dict[str, Any]], list[dict[str, Any]]]:
    """(header, transactions, receipts JSON, transactions JSON) of a block, the slow way."""
    header = chain.header_by_hash(block_hash)
    builder, receipt_builder = LantauVM.get_transaction_builder(), LantauVM.get_receipt_builder()
    transactions = [builder.decode(raw) for raw in chain.raw_transactions(block_hash)]
    receipts = [receipt_builder.decode(raw) for raw in rlp.decode(chain.db[b"lantau:receipts:" + block_hash])]
    receipts_json = format_block_receipts(header, transactions, receipts)
    transactions_json = [
        format_transaction(tx, block_hash=header.hash, block_number=header.block_number, index=index,
                           base_fee=header.base_fee_per_gas,
                           deposit_nonce=deposit_nonce(receipt) if is_deposit(tx) else None)
        for index, (tx, receipt) in enumerate(zip(transactions, receipts))
    ]
    # Independent of the node's formatting: senders, gas, log indexes, created addresses.
    assert sum(int(r["gasUsed"], 16) for r in receipts_json) == header.gas_used
    assert [int(log["logIndex"], 16) for r in receipts_json for log in r["logs"]] == list(range(sum(len(r.logs) for r in receipts)))
    for tx, receipt_json in zip(transactions, receipts_json):
        if is_deposit(tx):
            # the block's L1-info deposit (the sequencer's, first), or the test's own
            assert receipt_json["from"] in (data(predeploys.L1_INFO_DEPOSITOR), data(DEPOSITOR))
        else:
            assert receipt_json["from"] in SIGNERS
        if receipt_json["contractAddress"] is not None:
            nonce = int(receipt_json.get("depositNonce", hex(tx.nonce)), 16)
            expected = keccak(rlp.encode([bytes.fromhex(receipt_json["from"][2:]), nonce]))[12:]
            assert receipt_json["contractAddress"] == data(expected)
    return header, transactions, receipts_json, transactions_json


async def assert_reads_match(node: Node, chain: Chain, block_hashes: list[bytes]) -> dict[str, Any]:
    """Every transaction of the blocks, by hash and by block and index, against the reference;
    the answers by transaction hash (for comparing across a restart)."""
    answers: dict[str, Any] = {}
    for block_hash in block_hashes:
        header, transactions, receipts_json, transactions_json = reference_block(chain, block_hash)
        canonical = chain.is_canonical(header)
        for index, tx in enumerate(transactions):
            tx_hash = data(tx.hash)
            by_block_hash = await node.call("eth_getTransactionByBlockHashAndIndex", data(block_hash), hex(index))
            assert by_block_hash == transactions_json[index]
            if canonical:
                by_number = await node.call("eth_getTransactionByBlockNumberAndIndex", hex(header.block_number), hex(index))
                by_hash = await node.call("eth_getTransactionByHash", tx_hash)
                receipt = await node.call("eth_getTransactionReceipt", tx_hash)
                assert by_number == by_hash == transactions_json[index]
                assert receipt == receipts_json[index]
                answers[tx_hash] = (by_hash, receipt)
        past_end = await node.call("eth_getTransactionByBlockHashAndIndex", data(block_hash), hex(len(transactions)))
        assert past_end is None
        # The record's logs, read from the raw receipt without py-evm's sedes (eth_getLogs,
        # filters), are py-evm's decoded logs: deposit, legacy, 0x01 and 0x02 receipts alike.
        stored = rlp.decode(chain.db[b"lantau:receipts:" + block_hash])
        for index, raw_receipt in enumerate(stored):
            record = chain.transaction_record(header, index)
            assert record is not None and record.raw_receipt == raw_receipt
            expected = [(log.address, tuple(log.topics), log.data)
                        for log in LantauVM.get_receipt_builder().decode(raw_receipt).logs]
            assert [tuple(log) for log in record.logs()] == expected
        logs = await node.call("eth_getLogs", {"blockHash": data(block_hash)})
        assert logs == [dict(log, blockTimestamp=hex(header.timestamp)) for r in receipts_json for log in r["logs"]]
        if canonical:  # by number too: a reorged height answers its new block's logs (kept by hash)
            assert await node.call("eth_getLogs", {"fromBlock": hex(header.block_number),
                                                   "toBlock": hex(header.block_number)}) == logs
        # Blocks: the size is that of py-evm's own block encoding, hashes those of the body.
        size = len(rlp.encode(LantauVM.get_block_class()(header, transactions=transactions, uncles=[], withdrawals=[])))
        hashes_only = await node.call("eth_getBlockByHash", data(block_hash), False)
        assert hashes_only["transactions"] == [data(tx.hash) for tx in transactions]
        assert int(hashes_only["size"], 16) == size
        if canonical:
            assert await node.call("eth_getBlockReceipts", data(block_hash)) == receipts_json
            full = await node.call("eth_getBlockByHash", data(block_hash), True)
            assert full["transactions"] == transactions_json
            assert {**full, "transactions": None} == {**hashes_only, "transactions": None}
            assert await node.call("eth_getBlockByNumber", hex(header.block_number), True) == full
    return answers


async def build_chain(node: Node) -> None:
    """Block 1: a creation, a legacy and an access-list transaction. Block 2: a deposit that
    creates, calls that log from several senders between plain transfers. Block 3: 40
    transfers with pings among them."""
    await node.send(DEV[0], to="", gas=1_000_000, data=PROBE.bytecode + (7).to_bytes(32, "big"))
    await node.send(DEV[1], type=0, to=DEV[2].address, value=5, gas=21_000)
    access_list_tx = Account.sign_transaction(
        {"type": 1, "chainId": node.chain.chain_id, "nonce": 0, "gasPrice": 2 * GWEI, "gas": 30_000, "to": DEV[3].address,
         "value": 6, "accessList": [{"address": DEV[4].address, "storageKeys": ["0x" + "00" * 31 + "01"]}]},
        DEV[2].private_key)
    await node.call("eth_sendRawTransaction", "0x" + bytes(access_list_tx.raw_transaction).hex())
    await node.mine()
    probe = "0x" + keccak(rlp.encode([bytes.fromhex(DEV[0].address[2:]), 0]))[12:].hex()
    deposit = LantauTransactionBuilder.new_deposit_transaction(
        source_hash=user_deposit_source_hash(b"\x22" * 32, 1), from_=DEPOSITOR, to=b"", mint=10**18, value=0,
        gas=1_000_000, data=PROBE.bytecode + (9).to_bytes(32, "big"),
    )
    for account, value in ((DEV[3], 11), (DEV[4], 22), (DEV[5], 33)):
        await node.send(account, to=probe, gas=200_000,
                        data=selector("set(uint256,bytes32)") + encode(["uint256", "bytes32"], [value, b"x" * 32]))
        await node.send(DEV[6], to=DEV[7].address, value=value, gas=21_000)
    await node.mine(deposits=[deposit])
    for round_ in range(8):
        for account in DEV[1:6]:
            if round_ % 3 == 1 and account is DEV[3]:
                await node.send(account, to=probe, gas=100_000, data=selector("ping(uint256)") + encode(["uint256"], [round_]))
            else:
                await node.send(account, to=DEV[9].address, value=round_ + 1, gas=21_000)
    built = await node.mine()
    assert len(built.block.transactions) == 40


async def test_reads_match_the_block_through_a_reorg_and_a_restart(tmp_path: Path) -> None:
    chain = Chain.open(tmp_path, GENESIS)
    node = await serve(l2_node_on(chain))
    try:
        answers, replaced_blocks, gone = await _build_and_reorg(node, chain)
    finally:
        await stop_node(node)
        chain.close()
    reopened = Chain.open(tmp_path, GENESIS)
    node = await serve(l2_node_on(reopened))
    try:
        hashes = [reopened.canonical_hash(1), reopened.canonical_hash(2), *replaced_blocks]
        assert await assert_reads_match(node, reopened, hashes) == answers
        for tx_hash in gone:
            assert await node.call("eth_getTransactionReceipt", tx_hash) is None
    finally:
        await stop_node(node)
        reopened.close()


async def _build_and_reorg(node: Node, chain: Chain) -> tuple[dict[str, Any], list[bytes], list[str]]:
    """Build, check, reorg, check; the answers after the reorg, the replaced blocks' hashes,
    and the transactions the reorg dropped."""
    await build_chain(node)
    old = [chain.canonical_hash(n) for n in (1, 2, 3)]
    await assert_reads_match(node, chain, old)

    # Unsafe reorg: back to block 1, then a block 2 with old block 2's pool transactions in
    # reverse order (distinct senders but DEV[6]'s run kept in nonce order) and no deposit.
    old_2 = [LantauVM.get_transaction_builder().decode(raw) for raw in chain.raw_transactions(old[1])]
    old_3_hashes = [data(keccak(raw)) for raw in chain.raw_transactions(old[2])]
    chain.rewind_to(chain.header_by_hash(old[0]))
    calls = [tx for tx in old_2 if not is_deposit(tx) and tx.to != bytes.fromhex(DEV[7].address[2:])]
    transfers = [tx for tx in old_2 if not is_deposit(tx) and tx.to == bytes.fromhex(DEV[7].address[2:])]
    parent = chain.head
    chain.build_block(parent, BlockAttributes(timestamp=parent.timestamp + 5, fee_recipient=predeploys.SEQUENCER_FEE_VAULT,
                                              prev_randao=b"\x07" * 32, gas_limit=parent.gas_limit),
                      transfers + calls[::-1])
    new_2 = chain.canonical_hash(2)
    assert new_2 not in old and chain.head.block_number == 2
    answers = await assert_reads_match(node, chain, [old[0], new_2, old[1], old[2]])
    assert len(answers) == 3 + 6  # block 1's three, new block 2's six
    # What left the canonical chain is gone from every by-hash read, not served stale.
    deposit_hash = next(data(tx.hash) for tx in old_2 if is_deposit(tx))
    for gone in old_3_hashes + [deposit_hash]:
        assert await node.call("eth_getTransactionReceipt", gone) is None
        assert await node.call("eth_getTransactionByHash", gone) is None
    assert await node.call("eth_getTransactionByBlockNumberAndIndex", "0x3", "0x0") is None
    moved = data(transfers[0].hash)
    assert answers[moved][1]["transactionIndex"] == "0x0" and answers[moved][1]["blockHash"] == data(new_2)
    return answers, [old[1], old[2]], old_3_hashes + [deposit_hash]


async def test_blocks_stored_without_read_records_answer_the_same() -> None:
    """A data dir from before read records: the node derives them from the whole block."""
    chain = Chain.open(None, GENESIS)
    node = await serve(l2_node_on(chain))
    try:
        await build_chain(node)
        hashes = [chain.canonical_hash(n) for n in (1, 2, 3)]
        with_records = await assert_reads_match(node, chain, hashes)
        for block_hash in hashes:
            count = len(chain.raw_transactions(block_hash))
            del chain.db[block_index_key(block_hash)]
            for index in range(count):
                del chain.db[record_key(block_hash, index)]
        assert await assert_reads_match(node, chain, hashes) == with_records
    finally:
        await stop_node(node)
