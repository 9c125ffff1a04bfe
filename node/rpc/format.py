"""Blocks, transactions, receipts and logs as JSON-RPC objects (execution-apis shapes).

Pure functions from py-evm objects to JSON-ready dicts: quantities as 0x-hex without
leading zeros, data as 0x-hex, addresses lowercase (as geth writes them). The shapes are what
web3.py and ethers parse: every header field of the fork (through Prague's `requestsHash`),
`totalDifficulty` "0x0" and empty `uncles`/`withdrawals` for a post-merge L2 block.
"""

from __future__ import annotations

from typing import Any, Iterable, Sequence

import rlp
from eth.abc import BlockHeaderAPI, LogAPI, ReceiptAPI, SignedTransactionAPI
from eth.constants import CREATE_CONTRACT_ADDRESS

from node.deposit_tx import DEPOSIT_RECEIPT_VERSION, is_deposit
from node.tx_index import ReceiptFields, deposit_nonce, effective_gas_price, receipt_fields
from node.trie_root import rlp_bytes, rlp_list

__all__ = ["deposit_nonce", "effective_gas_price"]  # their home is node.tx_index; RPC code imports them here

LEGACY_TX_TYPE = 0
_DYNAMIC_FEE_TYPES = frozenset({0x02, 0x03, 0x04})

JSON = dict[str, Any]


def quantity(value: int) -> str:
    return hex(value)


def data(value: bytes) -> str:
    return "0x" + bytes(value).hex()


def address(value: bytes | None) -> str | None:
    if value is None or value == CREATE_CONTRACT_ADDRESS:
        return None
    return "0x" + bytes(value).hex()


def word(value: int) -> str:
    """A 32-byte word (a topic, a storage key) from py-evm's int."""
    return "0x" + value.to_bytes(32, "big").hex()


def bloom(value: int) -> str:
    return "0x" + value.to_bytes(256, "big").hex()


# --- headers and blocks ---------------------------------------------------------------------


def format_header(header: BlockHeaderAPI) -> JSON:
    """The header fields of a block (also the eth_subscribe newHeads payload)."""
    result: JSON = {
        "number": quantity(header.block_number),
        "hash": data(header.hash),
        "parentHash": data(header.parent_hash),
        "sha3Uncles": data(header.uncles_hash),
        "logsBloom": bloom(header.bloom),
        "transactionsRoot": data(header.transaction_root),
        "stateRoot": data(header.state_root),
        "receiptsRoot": data(header.receipt_root),
        "miner": address(header.coinbase),
        "difficulty": quantity(header.difficulty),
        "extraData": data(header.extra_data),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "mixHash": data(header.mix_hash),
        "nonce": data(header.nonce),
    }
    # Fields of later forks, present when the header has them.
    for name, key, encode in (
        ("base_fee_per_gas", "baseFeePerGas", quantity),
        ("withdrawals_root", "withdrawalsRoot", data),
        ("blob_gas_used", "blobGasUsed", quantity),
        ("excess_blob_gas", "excessBlobGas", quantity),
        ("parent_beacon_block_root", "parentBeaconBlockRoot", data),
        ("requests_hash", "requestsHash", data),
    ):
        value = getattr(header, name, None)
        if value is not None:
            result[key] = encode(value)
    return result


def block_size(header: BlockHeaderAPI, raw_transactions: Sequence[bytes]) -> int:
    """Bytes of the RLP-encoded block (header, transactions, no uncles, no withdrawals), from the
    stored encodings: in a block body a typed transaction is an RLP string holding its EIP-2718
    bytes, a legacy one its RLP list itself."""
    items = b"".join(raw if raw[0] >= 0xC0 else rlp_bytes(raw) for raw in raw_transactions)
    return len(rlp_list(rlp.encode(header) + rlp_list(items) + rlp_list(b"") + rlp_list(b"")))


def format_block(
    header: BlockHeaderAPI,
    raw_transactions: Sequence[bytes],
    tx_hashes: Sequence[bytes],
    *,
    transactions: Sequence[SignedTransactionAPI] | None = None,
    deposit_nonces: Sequence[int | None] | None = None,
    senders: Sequence[bytes] | None = None,
) -> JSON:
    """A block; with its decoded `transactions` it lists them in full (pass, per transaction,
    the nonce each deposit used, from its receipt, and its `senders` if known, else each
    transaction's signature is recovered); without, their hashes."""
    result = format_header(header)
    result["size"] = quantity(block_size(header, raw_transactions))
    result["totalDifficulty"] = "0x0"
    result["uncles"] = []
    if hasattr(header, "withdrawals_root"):
        result["withdrawals"] = []
    if transactions is not None:
        result["transactions"] = [
            format_transaction(tx, block_hash=header.hash, block_number=header.block_number, index=index,
                               base_fee=getattr(header, "base_fee_per_gas", None),
                               deposit_nonce=deposit_nonces[index] if deposit_nonces is not None else None,
                               sender=senders[index] if senders is not None else None)
            for index, tx in enumerate(transactions)
        ]
    else:
        result["transactions"] = [data(tx_hash) for tx_hash in tx_hashes]
    return result


# --- transactions ---------------------------------------------------------------------------


def tx_type(tx: SignedTransactionAPI) -> int:
    type_id = getattr(tx, "type_id", None)
    return LEGACY_TX_TYPE if type_id is None else type_id


def _access_list(entries: Iterable[tuple[bytes, Sequence[int]]]) -> list[JSON]:
    return [{"address": address(entry_address), "storageKeys": [word(slot) for slot in slots]}
            for entry_address, slots in entries]


def format_transaction(
    tx: SignedTransactionAPI,
    *,
    block_hash: bytes | None = None,
    block_number: int | None = None,
    index: int | None = None,
    base_fee: int | None = None,
    deposit_nonce: int | None = None,
    sender: bytes | None = None,
) -> JSON:
    """A transaction; a pooled one has no block (`blockHash` etc. null) and shows its fee cap
    as `gasPrice`, as geth does. A deposit (0x7E) shows its OP Stack fields and, as op-geth,
    the nonce it used (`deposit_nonce`, from its receipt) instead of a signature. `sender`, if
    known, saves recovering it from the signature."""
    type_id = tx_type(tx)
    in_block = block_hash is not None
    result: JSON = {
        "blockHash": data(block_hash) if in_block else None,
        "blockNumber": quantity(block_number) if block_number is not None else None,
        "transactionIndex": quantity(index) if index is not None else None,
        "hash": data(tx.hash),
        "type": quantity(type_id),
        "from": address(sender if sender is not None else tx.sender),
        "to": address(tx.to),
        "nonce": quantity(tx.nonce),
        "gas": quantity(tx.gas),
        "value": quantity(tx.value),
        "input": data(tx.data),
    }
    if is_deposit(tx):
        # op-geth's shape: v, r, s of 0 (ethers and viem build a signature from every
        # transaction of a block and refuse one without `r`), no yParity, no chainId;
        # `isSystemTx` only when true; the nonce used and the receipt version from the receipt.
        result["gasPrice"] = "0x0"
        result["v"] = result["r"] = result["s"] = "0x0"
        result["sourceHash"] = data(tx.source_hash)  # type: ignore[attr-defined]
        result["mint"] = quantity(tx.mint)  # type: ignore[attr-defined]
        if tx.is_system_tx:  # type: ignore[attr-defined]
            result["isSystemTx"] = True
        if deposit_nonce is not None:
            result["nonce"] = quantity(deposit_nonce)
            result["depositReceiptVersion"] = quantity(DEPOSIT_RECEIPT_VERSION)
        return result
    if type_id in _DYNAMIC_FEE_TYPES:
        result["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
        result["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
        price = effective_gas_price(tx, base_fee) if in_block else tx.max_fee_per_gas
        result["gasPrice"] = quantity(price)
    else:
        result["gasPrice"] = quantity(tx.gas_price)
    if type_id != LEGACY_TX_TYPE:
        result["chainId"] = quantity(tx.chain_id)
        result["accessList"] = _access_list(tx.access_list)
        result["yParity"] = quantity(tx.y_parity)
        result["v"] = quantity(tx.y_parity)
    else:
        if tx.chain_id is not None:
            result["chainId"] = quantity(tx.chain_id)
        result["v"] = quantity(tx.v)
    if type_id == 0x03:
        result["maxFeePerBlobGas"] = quantity(tx.max_fee_per_blob_gas)
        result["blobVersionedHashes"] = [data(h) for h in tx.blob_versioned_hashes]
    if type_id == 0x04:
        result["authorizationList"] = [
            {"chainId": quantity(auth.chain_id), "address": address(auth.address), "nonce": quantity(auth.nonce),
             "yParity": quantity(auth.y_parity), "r": quantity(auth.r), "s": quantity(auth.s)}
            for auth in tx.authorization_list
        ]
    result["r"] = quantity(tx.r)
    result["s"] = quantity(tx.s)
    return result


# --- receipts and logs ----------------------------------------------------------------------


def format_log(
    log: LogAPI,
    *,
    header: BlockHeaderAPI,
    tx_hash: bytes,
    tx_index: int,
    log_index: int,
) -> JSON:
    return {
        "address": address(log.address),
        "topics": [word(topic) for topic in log.topics],
        "data": data(log.data),
        "blockNumber": quantity(header.block_number),
        "blockHash": data(header.hash),
        "blockTimestamp": quantity(header.timestamp),
        "transactionHash": data(tx_hash),
        "transactionIndex": quantity(tx_index),
        "logIndex": quantity(log_index),
        "removed": False,
    }


def format_receipt(
    header: BlockHeaderAPI,
    tx: SignedTransactionAPI,
    receipt: ReceiptAPI,
    *,
    index: int,
    fields: ReceiptFields,
) -> JSON:
    """The receipt of transaction `index` of the block; `fields` are the ones that depend on
    the receipts before it (`node.tx_index`). A deposit's receipt carries the OP Stack's
    `depositNonce` and `depositReceiptVersion`."""
    tx_hash = tx.hash
    logs = [
        format_log(log, header=header, tx_hash=tx_hash, tx_index=index, log_index=fields.first_log_index + offset)
        for offset, log in enumerate(receipt.logs)
    ]
    result: JSON = {
        "transactionHash": data(tx_hash),
        "transactionIndex": quantity(index),
        "blockHash": data(header.hash),
        "blockNumber": quantity(header.block_number),
        "from": address(fields.sender),
        "to": address(tx.to),
        "cumulativeGasUsed": quantity(receipt.gas_used),
        "gasUsed": quantity(fields.gas_used),
        "effectiveGasPrice": quantity(fields.effective_gas_price),
        "contractAddress": address(fields.contract_address),
        "logs": logs,
        "logsBloom": bloom(receipt.bloom),
        "type": quantity(tx_type(tx)),
        "status": "0x1" if receipt.state_root == b"\x01" else "0x0",
    }
    nonce_used = deposit_nonce(receipt)
    if nonce_used is not None:
        inner = getattr(receipt, "_inner", receipt)
        result["depositNonce"] = quantity(nonce_used)
        result["depositReceiptVersion"] = quantity(getattr(inner, "deposit_receipt_version", DEPOSIT_RECEIPT_VERSION))
    return result


def format_block_receipts(
    header: BlockHeaderAPI,
    transactions: Sequence[SignedTransactionAPI],
    receipts: Sequence[ReceiptAPI],
    senders: Sequence[bytes] | None = None,
) -> list[JSON]:
    """Every receipt of a block (eth_getBlockReceipts): per-transaction gas from the
    cumulative gas, log indexes running across the block. `senders`, if known, save
    recovering them."""
    fields = receipt_fields(transactions, receipts, getattr(header, "base_fee_per_gas", None), senders)
    return [
        format_receipt(header, tx, receipt, index=index, fields=tx_fields)
        for index, (tx, receipt, tx_fields) in enumerate(zip(transactions, receipts, fields))
    ]
