"""Per-transaction read records: what a read of one transaction needs, derived once.

`eth_getTransactionReceipt`, `eth_getTransactionByHash` and the by-block-and-index reads each
want one transaction, but a block stores its body and receipts as two lists: answering from
them means decoding the whole block and recovering every sender (~116 ms for one receipt of a
700-transaction block). So `node.chain` writes, in the same atomic batch as the block, one
record per transaction and one small index per block, derived here from the block's
transactions and receipts:

    lantau:txrec:<block hash><index u32 BE> -> RLP [raw tx, raw receipt, sender, gas used,
                                                    first log index, contract address or b"",
                                                    effective gas price]
    lantau:blockidx:<block hash>            -> n (u32 BE) ‖ n tx hashes (32 bytes each) ‖
                                               n senders (20 bytes each) ‖ the index (u32 BE)
                                               of each transaction with logs, in order

Both are keyed by block hash, and a block's content never changes: a record cannot go stale.
Which block a transaction hash resolves to is the canonical transaction index
(`lantau:tx:<hash>`), which `node.chain` rewrites on every reorg. A read therefore costs two
or three key lookups and one transaction decode, whatever the block's size.

Senders come from the transaction objects the block was built from: a pool transaction's
sender was recovered (and its signature checked) at admission and is cached on the object;
a derived one's was recovered by the VM when it executed. Nothing is recovered twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import rlp
from eth._utils.address import generate_contract_address
from eth.abc import ReceiptAPI, SignedTransactionAPI
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth_typing import Address

from node.deposit_tx import is_deposit
from node.rlp_raw import encode_items, uint

_DYNAMIC_FEE_TYPES = frozenset({0x02, 0x03, 0x04})
HASH_BYTES = 32
ADDRESS_BYTES = 20


def record_key(block_hash: bytes, index: int) -> bytes:
    return b"lantau:txrec:" + block_hash + index.to_bytes(4, "big")


def block_index_key(block_hash: bytes) -> bytes:
    return b"lantau:blockidx:" + block_hash


def effective_gas_price(tx: SignedTransactionAPI, base_fee: int | None) -> int:
    """What the sender pays per gas in a block with `base_fee` (EIP-1559); a deposit pays
    nothing on L2."""
    if is_deposit(tx):
        return 0
    type_id = getattr(tx, "type_id", None)
    if type_id in _DYNAMIC_FEE_TYPES and base_fee is not None:
        return min(tx.max_fee_per_gas, base_fee + tx.max_priority_fee_per_gas)
    return tx.gas_price


def deposit_nonce(receipt: ReceiptAPI) -> int | None:
    """The nonce a deposit used, from its receipt (None for other receipts)."""
    inner = getattr(receipt, "_inner", receipt)  # a typed receipt wraps its payload
    return getattr(inner, "deposit_nonce", None)


@dataclass(frozen=True, slots=True)
class ReceiptFields:
    """A receipt's fields that depend on the transaction or on the receipts before it."""

    sender: Address
    gas_used: int
    first_log_index: int
    contract_address: Address | None
    effective_gas_price: int


def receipt_fields(
    transactions: Sequence[SignedTransactionAPI],
    receipts: Sequence[ReceiptAPI],
    base_fee: int | None,
    senders: Sequence[bytes] | None = None,
) -> list[ReceiptFields]:
    """Per transaction of a block: gas used (from the cumulative gas), the block-wide index of
    its first log, the address a creation made (a deposit creates at the nonce its receipt
    says it used), the price per gas paid. `senders`, if given, are the transactions'
    senders already known; otherwise each transaction's own (recovered if not yet)."""
    fields: list[ReceiptFields] = []
    previous_cumulative = 0
    log_index = 0
    for position, (tx, receipt) in enumerate(zip(transactions, receipts, strict=True)):
        sender = Address(senders[position]) if senders is not None else Address(tx.sender)
        created = None
        if tx.to == CREATE_CONTRACT_ADDRESS:
            nonce_used = deposit_nonce(receipt)
            created = Address(generate_contract_address(sender, nonce_used if nonce_used is not None else tx.nonce))
        fields.append(ReceiptFields(sender, receipt.gas_used - previous_cumulative, log_index, created,
                                    effective_gas_price(tx, base_fee)))
        previous_cumulative = receipt.gas_used
        log_index += len(receipt.logs)
    return fields


class ReceiptLog(NamedTuple):
    """A log as py-evm's `Log` reads (`address`, `topics` as ints, `data`), without its sedes."""

    address: Address
    topics: tuple[int, ...]
    data: bytes


@dataclass(frozen=True, slots=True)
class TransactionRecord:
    """One transaction of a block as reads need it."""

    raw_transaction: bytes  # EIP-2718 encoding
    raw_receipt: bytes
    fields: ReceiptFields

    def encode(self) -> bytes:
        f = self.fields
        return encode_items([self.raw_transaction, self.raw_receipt, f.sender, uint(f.gas_used), uint(f.first_log_index),
                             f.contract_address or b"", uint(f.effective_gas_price)])

    def logs(self) -> tuple["ReceiptLog", ...]:
        """The receipt's logs, read straight from its RLP: a typed receipt is its type byte
        then `[status, cumulative gas, bloom, logs, ...]` (a deposit's adds fields after the
        logs), a legacy one the list alone; a log is `[address, [topics], data]`. ~6x cheaper
        than decoding the receipt through py-evm's sedes, which `eth_getLogs` over busy blocks
        spent most of its time on."""
        raw = self.raw_receipt
        items = rlp.decode(raw if raw[0] >= 0xC0 else raw[1:])
        return tuple(ReceiptLog(Address(address), tuple(int.from_bytes(topic, "big") for topic in topics), data)
                     for address, topics, data in items[3])

    @classmethod
    def decode(cls, encoded: bytes) -> "TransactionRecord":
        raw_tx, raw_receipt, sender, gas_used, first_log, created, price = rlp.decode(encoded)
        fields = ReceiptFields(Address(sender), _int(gas_used), _int(first_log), Address(created) if created else None,
                               _int(price))
        return cls(raw_tx, raw_receipt, fields)


@dataclass(frozen=True, slots=True)
class BlockIndex:
    """A block's transaction hashes and senders, in order, and which transactions logged.
    Kept as the stored byte strings, sliced when asked: a reader wanting one hash does not
    pay for splitting 1,400."""

    hashes_blob: bytes  # 32 bytes per transaction
    senders_blob: bytes  # 20 bytes per transaction
    indexes_with_logs: tuple[int, ...]

    @classmethod
    def of(cls, tx_hashes: Sequence[bytes], senders: Sequence[bytes], indexes_with_logs: Sequence[int]) -> "BlockIndex":
        return cls(b"".join(tx_hashes), b"".join(senders), tuple(indexes_with_logs))

    def __len__(self) -> int:
        return len(self.hashes_blob) // HASH_BYTES

    def tx_hash(self, index: int) -> bytes:
        return self.hashes_blob[index * HASH_BYTES:(index + 1) * HASH_BYTES]

    @property
    def tx_hashes(self) -> tuple[bytes, ...]:
        blob = self.hashes_blob
        return tuple(blob[i:i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES))

    @property
    def senders(self) -> tuple[Address, ...]:
        blob = self.senders_blob
        return tuple(Address(blob[i:i + ADDRESS_BYTES]) for i in range(0, len(blob), ADDRESS_BYTES))

    # Fixed-width fields, not RLP: pyrlp takes ~1 ms to decode 1,400 transactions' worth.
    def encode(self) -> bytes:
        with_logs = b"".join(index.to_bytes(4, "big") for index in self.indexes_with_logs)
        return len(self).to_bytes(4, "big") + self.hashes_blob + self.senders_blob + with_logs

    @classmethod
    def decode(cls, encoded: bytes) -> "BlockIndex":
        count = int.from_bytes(encoded[:4], "big")
        senders_at = 4 + count * HASH_BYTES
        logs_at = senders_at + count * ADDRESS_BYTES
        with_logs = encoded[logs_at:]
        return cls(encoded[4:senders_at], encoded[senders_at:logs_at],
                   tuple(int.from_bytes(with_logs[i:i + 4], "big") for i in range(0, len(with_logs), 4)))


def block_records(
    transactions: Sequence[SignedTransactionAPI],
    receipts: Sequence[ReceiptAPI],
    base_fee: int | None,
) -> tuple[BlockIndex, list[TransactionRecord]]:
    """The block index and the per-transaction records of a block (`node.chain` stores them)."""
    fields = receipt_fields(transactions, receipts, base_fee)
    records = [TransactionRecord(tx.encode(), receipt.encode(), f) for tx, receipt, f in zip(transactions, receipts, fields)]
    index = BlockIndex.of(
        [tx.hash for tx in transactions],
        [f.sender for f in fields],
        [position for position, receipt in enumerate(receipts) if receipt.logs],
    )
    return index, records


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")
