"""Batches: the L2 blocks' inputs as the batcher posts them to L1 (the OP Stack's format).

A batch says what an L2 block contains besides what L1 already decides (deposits, L1 info):
which parent it builds on, its L1 origin, its timestamp and its user transactions. Two
versions, told apart by the first byte:

Version 0 — singular batch (one L2 block), exactly as the OP Stack's::

    0x00 ++ rlp([parent_hash, epoch_number, epoch_hash, timestamp, tx_list])

    parent_hash    bytes32   hash of the L2 block this one builds on
    epoch_number   uint64    L1 origin number (canonical RLP integer)
    epoch_hash     bytes32   L1 origin hash
    timestamp      uint64    the L2 block's timestamp
    tx_list        [bytes]   the block's NON-deposit transactions, EIP-2718 encoded, in order

Version 1 — span batch (consecutive L2 blocks), the OP Stack's Delta layout with one
documented change: OP derives every timestamp from a fixed block time; Lantau's timestamps
are `max(now, parent + 1, origin.timestamp)`, so the first is stored whole and the others as
deltas::

    0x01 ++ prefix ++ payload
    prefix   = timestamp ++ l1_origin_num ++ parent_check ++ l1_origin_check
    payload  = block_count ++ origin_bits ++ timestamp_deltas ++ block_tx_counts ++ txs
    txs      = contract_creation_bits ++ y_parity_bits ++ tx_sigs ++ tx_tos ++ tx_datas
               ++ tx_nonces ++ tx_gases ++ protected_bits

    timestamp         uvarint      first block's timestamp (OP: relative to L2 genesis)
    l1_origin_num     uvarint      L1 origin number of the LAST block
    parent_check      20 bytes     first 20 bytes of the first block's parent hash
    l1_origin_check   20 bytes     first 20 bytes of the last block's L1 origin hash
    block_count       uvarint      1 ..= MAX_SPAN_BATCH_ELEMENT_COUNT
    origin_bits       bitlist(block_count)   bit i (i > 0): block i's origin is block i-1's + 1;
                                   bit 0: block 0 is the first of its origin (OP sets it from
                                   the sequence number; derivation does not use it)
    timestamp_deltas  (block_count - 1) uvarints, each >= 1: ts[i] - ts[i-1]
    block_tx_counts   block_count uvarints
    contract_creation_bits  bitlist(total_txs)  1 = the tx creates a contract (no `to`)
    y_parity_bits     bitlist(total_txs)
    tx_sigs           total_txs x (r: 32 bytes BE ++ s: 32 bytes BE)
    tx_tos            20 bytes per tx that is not a creation
    tx_datas          per tx, by type:
                        legacy  rlp([value, gas_price, data])
                        0x01    0x01 ++ rlp([value, gas_price, data, access_list])
                        0x02    0x02 ++ rlp([value, max_priority_fee_per_gas,
                                             max_fee_per_gas, data, access_list])
    tx_nonces         total_txs uvarints
    tx_gases          total_txs uvarints
    protected_bits    bitlist(legacy tx count): 1 = EIP-155 (v = chain_id * 2 + 35 + y)

    uvarint   unsigned LEB128 as protobuf's (and Go's binary.Uvarint), at most 10 bytes, u64
    bitlist(n)  ceil(n / 8) bytes: the big-endian encoding of the integer sum(bit_i << i);
              no bit at or above n may be set

The chain id is not stored: the reader supplies it. Intermediate parent hashes and L1 origin
hashes are not stored either: derivation fills them in from the L2 chain it builds and the
L1 blocks it has read, and checks the two 20-byte prefixes.

Rules for decoding (`decode_batch`), each with its named error (node/errors.py):
- at most `MAX_BLOCK_USER_TRANSACTIONS` user transactions in any one block of the batch
  (`BlockTooManyTransactions`): a singular batch's tx_list, each of a span's block_tx_counts;
- exactly one encoding per batch: the decoded batch is re-encoded and must give the input
  back (`NonCanonicalBatch`; this also refuses non-minimal varints and RLP);
- every transaction is checked by `decode_batch_transaction`: one a user may send on L2
  (`node.user_tx`, the pool's rule too: not empty, legacy with EIP-155, 0x01 or 0x02 — never
  a 0x7E deposit or 0x03 blob —, this chain's id, the canonical encoding of its own fields, as
  py-evm's decoder accepts some non-canonical RLP and keeps the input bytes, which would give
  the same signature a second hash), then fields in range (u64 nonce and gas, u256 amounts and
  signature values). Any bad transaction makes the whole batch invalid, as OP's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence, Union

import rlp
from eth.abc import BlockAPI, SignedTransactionAPI
from eth_typing import Hash32
from rlp.exceptions import RLPException

from node.deposit_tx import is_deposit
from node.errors import (
    BlockTooManyTransactions,
    EmptyBatch,
    InvalidBatchTransaction,
    InvalidTransaction,
    InvalidSpanBatch,
    MalformedBatch,
    NonCanonicalBatch,
    NonCanonicalBatchTransaction,
    NonCanonicalTransaction,
    SpanBatchTooLarge,
    TrailingBatchData,
    TruncatedBatch,
    UnencodableBatch,
    UnknownBatchVersion,
)
from node.l1_info import l1_origin_of_block
from node.rlp_guard import MAX_TRANSACTION_RLP_DEPTH, rlp_nesting_exceeds
from node.rlp_raw import encode_items
from node.user_tx import ACCESS_LIST_TX_TYPE, DYNAMIC_FEE_TX_TYPE, check_chain_id, decode_user_transaction

SINGULAR_BATCH_VERSION = 0x00
SPAN_BATCH_VERSION = 0x01

#: As the OP Stack's: bounds block_count, each block's tx count and the total tx count.
MAX_SPAN_BATCH_ELEMENT_COUNT = 10_000_000
#: One L2 block's user transactions at most (its deposits not counted), a decode rule of both batch
#: versions: the fault proof decides a block on L1 by checking, rebuilding and hashing every one of
#: them in one L1 transaction (InputOracle, BatchReader), and a singular batch of 500 transfers /
#: ERC-20 transfers / access-list or calldata transactions filling a ~100 KB channel takes 12.0M /
#: 12.6M / 14.7M / 14.0M of the 0.9 x 16,777,216 it may use (bench/block_checks.py; a span of them
#: less: 7.6M for 600 transfers). Lantau's own rule (not OP's); docs/batches.md "One L2 block's user
#: transactions". BatchReader.MAX_BLOCK_USER_TRANSACTIONS is its twin; the sequencer reads this one.
MAX_BLOCK_USER_TRANSACTIONS = 500
HASH_CHECK_LENGTH = 20

#: A span batch's tx_data types: the user transaction types (`node.user_tx.USER_TX_TYPES`).
LEGACY_TX = 0x00
ACCESS_LIST_TX = ACCESS_LIST_TX_TYPE
DYNAMIC_FEE_TX = DYNAMIC_FEE_TX_TYPE

U64_MAX = 2**64 - 1
U256_MAX = 2**256 - 1
_MAX_UVARINT_BYTES = 10


# --- the batches -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SingularBatch:
    """One L2 block's inputs (batch version 0)."""

    parent_hash: Hash32
    l1_origin_number: int
    l1_origin_hash: Hash32
    timestamp: int
    transactions: tuple[bytes, ...]  # EIP-2718 encodings of the NON-deposit transactions


@dataclass(frozen=True, slots=True)
class SpanBatchElement:
    """One block of a span: what a span batch stores per block."""

    timestamp: int
    l1_origin_number: int
    transactions: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class SpanBatch:
    """Consecutive L2 blocks (batch version 1); `chain_id` is context, not encoded."""

    chain_id: int
    parent_check: bytes  # first 20 bytes of the first block's parent hash
    l1_origin_check: bytes  # first 20 bytes of the last block's L1 origin hash
    starts_epoch: bool  # origin bit 0: the first block is the first of its L1 origin
    elements: tuple[SpanBatchElement, ...]

    @classmethod
    def from_singular_batches(
        cls, batches: Sequence[SingularBatch], *, chain_id: int, starts_epoch: bool = False
    ) -> "SpanBatch":
        """The span of consecutive blocks `batches` (each block's parent the one before).

        The intermediate parent and origin hashes are dropped: the format keeps only the first
        parent hash's and the last origin hash's 20-byte prefixes.
        """
        if not batches:
            raise UnencodableBatch("a span batch holds at least one block")
        for previous, batch in zip(batches, batches[1:]):
            if batch.l1_origin_number not in (previous.l1_origin_number, previous.l1_origin_number + 1):
                raise UnencodableBatch(
                    f"L1 origin jumps from {previous.l1_origin_number} to {batch.l1_origin_number} inside a span"
                )
            if batch.timestamp <= previous.timestamp:
                raise UnencodableBatch("timestamps must increase inside a span")
        return cls(
            chain_id=chain_id,
            parent_check=bytes(batches[0].parent_hash[:HASH_CHECK_LENGTH]),
            l1_origin_check=bytes(batches[-1].l1_origin_hash[:HASH_CHECK_LENGTH]),
            starts_epoch=starts_epoch,
            elements=tuple(SpanBatchElement(b.timestamp, b.l1_origin_number, tuple(b.transactions)) for b in batches),
        )


Batch = Union[SingularBatch, SpanBatch]

#: A singular batch is a list holding a list of byte strings: anything deeper is malformed.
SINGULAR_BATCH_RLP_DEPTH = 2


def encode_batch(batch: Batch, *, check_transactions: bool = True) -> bytes:
    """`version ++ content` (see the module docstring); raises `UnencodableBatch`.

    A span batch's transactions are checked with `decode_batch_transaction` (the format needs
    their fields); `check_transactions=False` skips that for transactions already checked.
    """
    if isinstance(batch, SingularBatch):
        return _encode_singular(batch)
    if isinstance(batch, SpanBatch):
        return _encode_span(batch, check_transactions=check_transactions)
    raise UnencodableBatch(f"not a batch: {type(batch).__name__}")


def decode_batch(data: bytes, *, chain_id: int) -> Batch:
    """Decode one batch; raises a `MalformedBatch` subclass on any malformed input."""
    if not data:
        raise EmptyBatch()
    version = data[0]
    if version == SINGULAR_BATCH_VERSION:
        batch: Batch = _decode_singular(data, chain_id)
    elif version == SPAN_BATCH_VERSION:
        batch = _decode_span(data, chain_id)
    else:
        raise UnknownBatchVersion(version)
    try:
        # The transactions were checked while decoding: re-encode without checking them twice.
        canonical = encode_batch(batch, check_transactions=False)
    except UnencodableBatch as exc:
        raise InvalidSpanBatch(str(exc)) from exc
    if canonical != data:
        raise NonCanonicalBatch("batch is not in its canonical encoding (re-encoding differs)")
    return batch


# --- transactions inside batches -----------------------------------------------------------------


def decode_batch_transaction(raw: bytes, *, chain_id: int) -> SignedTransactionAPI:
    """The transaction `raw` if an L2 block may carry it as a batched (non-deposit) transaction.

    Checks, in order: a transaction a user may send on this chain (`node.user_tx`: type,
    nesting, canonical RLP, chain id); nonce and gas fit a u64, amounts and signature values
    a u256, a typed transaction's y parity 0 or 1 — so every transaction a singular batch may
    hold also fits a span batch.
    """
    try:
        tx = decode_user_transaction(raw)
        check_chain_id(tx, chain_id)
    except NonCanonicalTransaction as exc:
        raise NonCanonicalBatchTransaction(str(exc)) from exc
    except InvalidTransaction as exc:
        raise InvalidBatchTransaction(str(exc)) from exc
    if tx.nonce > U64_MAX or tx.gas > U64_MAX:
        raise InvalidBatchTransaction("nonce or gas beyond 2**64 - 1")
    amounts = (tx.value, tx.r, tx.s, tx.max_fee_per_gas, tx.max_priority_fee_per_gas)
    if any(amount > U256_MAX for amount in amounts):
        raise InvalidBatchTransaction("value, fee or signature beyond 2**256 - 1")
    # A typed transaction's y parity is one bit in a span batch (and on L1's reader): py-evm's
    # decoder takes any integer there.
    if raw[0] in (ACCESS_LIST_TX, DYNAMIC_FEE_TX) and tx.y_parity > 1:
        raise InvalidBatchTransaction(f"y parity {tx.y_parity}: not 0 or 1")
    return tx


# --- from an L2 block (the batcher's side) -------------------------------------------------------


def batch_from_block(block: BlockAPI) -> SingularBatch:
    """The singular batch that lets a verifier rebuild `block`."""
    origin = l1_origin_of_block(block)
    return SingularBatch(
        parent_hash=Hash32(block.header.parent_hash),
        l1_origin_number=origin.number,
        l1_origin_hash=origin.hash,
        timestamp=block.header.timestamp,
        transactions=tuple(tx.encode() for tx in block.transactions if not is_deposit(tx)),
    )


# --- RLP framing (shared with node/channels.py) ------------------------------------------------


class RlpFramingError(ValueError):
    def __init__(self, message: str, *, truncated: bool = False) -> None:
        super().__init__(message)
        self.truncated = truncated


def rlp_item_bounds(data: bytes, pos: int) -> tuple[int, int, bool]:
    """(payload start, item end, is_list) of the RLP item at `data[pos:]`, canonical prefixes only."""
    size = len(data)
    if pos >= size:
        raise RlpFramingError("no RLP item: end of data", truncated=True)
    prefix = data[pos]
    if prefix < 0x80:
        return pos, pos + 1, False
    if prefix < 0xC0:
        is_list, short_base, long_base = False, 0x80, 0xB7
    else:
        is_list, short_base, long_base = True, 0xC0, 0xF7
    if prefix <= long_base:
        length, start = prefix - short_base, pos + 1
        if not is_list and length == 1:
            if start >= size:
                raise RlpFramingError("RLP string ends early", truncated=True)
            if data[start] < 0x80:
                raise RlpFramingError("single byte below 0x80 wrapped in a string prefix")
    else:
        length_of_length = prefix - long_base
        start = pos + 1 + length_of_length
        if start > size:
            raise RlpFramingError("RLP length ends early", truncated=True)
        length_bytes = data[pos + 1 : start]
        if length_bytes[0] == 0:
            raise RlpFramingError("RLP length with leading zero bytes")
        length = int.from_bytes(length_bytes, "big")
        if length < 56:
            raise RlpFramingError("long RLP form for a short payload")
    end = start + length
    if end > size:
        raise RlpFramingError("RLP item ends early", truncated=True)
    return start, end, is_list


# --- version 0 ---------------------------------------------------------------------------------


def _encode_singular(batch: SingularBatch) -> bytes:
    if len(batch.parent_hash) != 32 or len(batch.l1_origin_hash) != 32:
        raise UnencodableBatch("parent hash and L1 origin hash must be 32 bytes")
    if not (0 <= batch.l1_origin_number <= U64_MAX and 0 <= batch.timestamp <= U64_MAX):
        raise UnencodableBatch("L1 origin number and timestamp must fit a u64")
    return bytes([SINGULAR_BATCH_VERSION]) + rlp.encode(
        [batch.parent_hash, batch.l1_origin_number, batch.l1_origin_hash, batch.timestamp, list(batch.transactions)]
    )


def _decode_singular(data: bytes, chain_id: int) -> SingularBatch:
    # Nesting first: the RLP decoder recurses per level and deep input crashes the process.
    if rlp_nesting_exceeds(data, SINGULAR_BATCH_RLP_DEPTH):
        raise MalformedBatch(f"singular batch nests RLP lists deeper than {SINGULAR_BATCH_RLP_DEPTH} levels")
    try:
        fields = rlp.decode(data[1:], strict=True)
    except RLPException as exc:
        raise MalformedBatch(f"singular batch is not one RLP item: {exc}") from exc
    if not isinstance(fields, list) or len(fields) != 5:
        raise MalformedBatch("singular batch must be an RLP list of 5 fields")
    parent_hash, number, origin_hash, timestamp, transactions = fields
    if not (isinstance(parent_hash, bytes) and len(parent_hash) == 32):
        raise MalformedBatch("parent_hash must be 32 bytes")
    if not (isinstance(origin_hash, bytes) and len(origin_hash) == 32):
        raise MalformedBatch("epoch_hash must be 32 bytes")
    if not isinstance(transactions, list):
        raise MalformedBatch("tx_list must be a list of byte strings")
    if len(transactions) > MAX_BLOCK_USER_TRANSACTIONS:
        raise BlockTooManyTransactions(0, len(transactions), MAX_BLOCK_USER_TRANSACTIONS)
    if not all(isinstance(tx, bytes) for tx in transactions):
        raise MalformedBatch("tx_list must be a list of byte strings")
    for raw in transactions:
        decode_batch_transaction(raw, chain_id=chain_id)
    return SingularBatch(
        parent_hash=Hash32(parent_hash),
        l1_origin_number=_rlp_u64(number, "epoch_number"),
        l1_origin_hash=Hash32(origin_hash),
        timestamp=_rlp_u64(timestamp, "timestamp"),
        transactions=tuple(transactions),
    )


def _rlp_u64(value: object, name: str) -> int:
    if not isinstance(value, bytes):
        raise MalformedBatch(f"{name} must be an RLP integer")
    if value[:1] == b"\x00":
        raise MalformedBatch(f"{name} has leading zero bytes")
    number = int.from_bytes(value, "big")
    if number > U64_MAX:
        raise MalformedBatch(f"{name} beyond 2**64 - 1")
    return number


# --- version 1 ---------------------------------------------------------------------------------


def _encode_span(batch: SpanBatch, *, check_transactions: bool = True) -> bytes:
    elements = batch.elements
    if not elements:
        raise UnencodableBatch("a span batch holds at least one block")
    if len(batch.parent_check) != HASH_CHECK_LENGTH or len(batch.l1_origin_check) != HASH_CHECK_LENGTH:
        raise UnencodableBatch("parent_check and l1_origin_check must be 20 bytes")
    total_txs = sum(len(e.transactions) for e in elements)
    if len(elements) > MAX_SPAN_BATCH_ELEMENT_COUNT or total_txs > MAX_SPAN_BATCH_ELEMENT_COUNT:
        raise UnencodableBatch("span batch beyond MAX_SPAN_BATCH_ELEMENT_COUNT")
    origin_bits = 1 if batch.starts_epoch else 0
    deltas: list[int] = []
    for i in range(1, len(elements)):
        step = elements[i].l1_origin_number - elements[i - 1].l1_origin_number
        if step not in (0, 1):
            raise UnencodableBatch("L1 origin must stay or advance by one from block to block")
        origin_bits |= step << i
        delta = elements[i].timestamp - elements[i - 1].timestamp
        if delta < 1:
            raise UnencodableBatch("timestamps must increase inside a span")
        deltas.append(delta)
    if elements[0].l1_origin_number < 0:
        raise UnencodableBatch("negative L1 origin")

    out = bytearray([SPAN_BATCH_VERSION])
    out += _uvarint(elements[0].timestamp)
    out += _uvarint(elements[-1].l1_origin_number)
    out += batch.parent_check + batch.l1_origin_check
    out += _uvarint(len(elements))
    out += _bitlist(origin_bits, len(elements))
    for delta in deltas:
        out += _uvarint(delta)
    for element in elements:
        out += _uvarint(len(element.transactions))
    out += _encode_span_txs([raw for e in elements for raw in e.transactions], batch.chain_id, check_transactions)
    return bytes(out)


def _encode_span_txs(raws: Sequence[bytes], chain_id: int, check_transactions: bool) -> bytes:
    creation_bits = y_parity_bits = protected_bits = 0
    legacy_count = 0
    sigs, tos, datas, nonces, gases = bytearray(), bytearray(), bytearray(), bytearray(), bytearray()
    for index, raw in enumerate(raws):
        if check_transactions:
            try:
                decode_batch_transaction(raw, chain_id=chain_id)
            except InvalidBatchTransaction as exc:
                raise UnencodableBatch(f"transaction {index}: {exc}") from exc
        if raw[0] >= 0xC0:
            nonce, gas_price, gas, to, value, data, v, r, s = rlp.decode(raw)
            y_parity = _int(v) - 35 - 2 * chain_id  # EIP-155: checked by decode_batch_transaction
            protected_bits |= 1 << legacy_count
            legacy_count += 1
            datas += rlp.encode([value, gas_price, data])
        else:
            tx_type = raw[0]
            fields = rlp.decode(raw[1:])
            if tx_type == ACCESS_LIST_TX:
                _, nonce, gas_price, gas, to, value, data, access_list, y, r, s = fields
                datas += bytes([tx_type]) + rlp.encode([value, gas_price, data, access_list])
            else:
                _, nonce, tip, fee_cap, gas, to, value, data, access_list, y, r, s = fields
                datas += bytes([tx_type]) + rlp.encode([value, tip, fee_cap, data, access_list])
            y_parity = _int(y)
        if y_parity not in (0, 1):
            raise UnencodableBatch(f"transaction {index}: y parity {y_parity}")
        y_parity_bits |= y_parity << index
        sigs += _int(r).to_bytes(32, "big") + _int(s).to_bytes(32, "big")
        if to == b"":
            creation_bits |= 1 << index
        else:
            tos += to
        nonces += _uvarint(_int(nonce))
        gases += _uvarint(_int(gas))
    total = len(raws)
    return (
        _bitlist(creation_bits, total) + _bitlist(y_parity_bits, total) + bytes(sigs) + bytes(tos)
        + bytes(datas) + bytes(nonces) + bytes(gases) + _bitlist(protected_bits, legacy_count)
    )


class _Reader:
    """A cursor over a span batch; every short read is a `TruncatedBatch`."""

    def __init__(self, data: bytes, pos: int) -> None:
        self.data, self.pos = data, pos

    def take(self, n: int, what: str) -> bytes:
        end = self.pos + n
        if end > len(self.data):
            raise TruncatedBatch(f"span batch ends inside {what}")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def uvarint(self, what: str) -> int:
        value = shift = 0
        for count in range(_MAX_UVARINT_BYTES):
            if self.pos >= len(self.data):
                raise TruncatedBatch(f"span batch ends inside {what}")
            byte = self.data[self.pos]
            self.pos += 1
            value |= (byte & 0x7F) << shift
            if byte < 0x80:
                if value > U64_MAX:
                    raise MalformedBatch(f"{what} beyond 2**64 - 1")
                return value
            shift += 7
        raise MalformedBatch(f"{what}: uvarint longer than {_MAX_UVARINT_BYTES} bytes")

    def bitlist(self, n: int, what: str) -> int:
        bits = int.from_bytes(self.take((n + 7) // 8, what), "big")
        if bits.bit_length() > n:
            raise InvalidSpanBatch(f"{what}: bits set beyond its {n} entries")
        return bits

    def rlp_list(self, what: str) -> bytes:
        try:
            start, end, is_list = rlp_item_bounds(self.data, self.pos)
        except RlpFramingError as exc:
            if exc.truncated:
                raise TruncatedBatch(f"span batch ends inside {what}") from exc
            raise MalformedBatch(f"{what}: {exc}") from exc
        if not is_list:
            raise MalformedBatch(f"{what} must be an RLP list")
        item = self.data[self.pos : end]
        self.pos = end
        return item


def _decode_span(data: bytes, chain_id: int) -> SpanBatch:
    reader = _Reader(data, 1)
    first_timestamp = reader.uvarint("timestamp")
    last_origin = reader.uvarint("l1_origin_num")
    parent_check = reader.take(HASH_CHECK_LENGTH, "parent_check")
    l1_origin_check = reader.take(HASH_CHECK_LENGTH, "l1_origin_check")
    block_count = reader.uvarint("block_count")
    if block_count == 0:
        raise InvalidSpanBatch("span batch with no block")
    if block_count > MAX_SPAN_BATCH_ELEMENT_COUNT:
        raise SpanBatchTooLarge("block_count", block_count, MAX_SPAN_BATCH_ELEMENT_COUNT)
    origin_bits = reader.bitlist(block_count, "origin_bits")
    timestamps = [first_timestamp]
    for _ in range(block_count - 1):
        delta = reader.uvarint("timestamp delta")
        if delta == 0:
            raise InvalidSpanBatch("timestamp delta of zero: timestamps must increase")
        timestamps.append(timestamps[-1] + delta)
    if timestamps[-1] > U64_MAX:
        raise MalformedBatch("timestamp beyond 2**64 - 1")
    tx_counts = []
    total_txs = 0
    for index in range(block_count):
        count = reader.uvarint("block_tx_count")
        if count > MAX_BLOCK_USER_TRANSACTIONS:
            raise BlockTooManyTransactions(index, count, MAX_BLOCK_USER_TRANSACTIONS)
        total_txs += count
        if total_txs > MAX_SPAN_BATCH_ELEMENT_COUNT:
            raise SpanBatchTooLarge("total tx count", total_txs, MAX_SPAN_BATCH_ELEMENT_COUNT)
        tx_counts.append(count)
    origins = [0] * block_count
    origin = last_origin
    for i in range(block_count - 1, -1, -1):
        origins[i] = origin
        if i > 0:
            origin -= (origin_bits >> i) & 1
    if origin < 0:
        raise InvalidSpanBatch("L1 origin bits count back below L1 block 0")

    raws = _decode_span_txs(reader, total_txs, chain_id)
    if reader.pos != len(data):
        raise TrailingBatchData(len(data) - reader.pos)
    elements, cursor = [], 0
    for i in range(block_count):
        elements.append(SpanBatchElement(timestamps[i], origins[i], tuple(raws[cursor : cursor + tx_counts[i]])))
        cursor += tx_counts[i]
    return SpanBatch(chain_id, parent_check, l1_origin_check, bool(origin_bits & 1), tuple(elements))


def _decode_span_txs(reader: _Reader, total: int, chain_id: int) -> list[bytes]:
    creation_bits = reader.bitlist(total, "contract_creation_bits")
    y_parity_bits = reader.bitlist(total, "y_parity_bits")
    sigs = reader.take(64 * total, "tx_sigs")
    creations = bin(creation_bits).count("1")
    tos = reader.take(20 * (total - creations), "tx_tos")
    tx_datas: list[tuple[int, list]] = []
    for index in range(total):
        first = reader.take(1, "tx_datas")[0]
        if first >= 0xC0:
            reader.pos -= 1
            tx_type = LEGACY_TX
        elif first in (ACCESS_LIST_TX, DYNAMIC_FEE_TX):
            tx_type = first
        else:
            raise InvalidBatchTransaction(f"span batch transaction {index}: type 0x{first:02x} cannot be batched")
        tx_data = reader.rlp_list("tx_data")
        if rlp_nesting_exceeds(tx_data, MAX_TRANSACTION_RLP_DEPTH):
            raise MalformedBatch(f"span batch transaction {index}: tx_data nests RLP lists too deep")
        try:
            fields = rlp.decode(tx_data)
        except RLPException as exc:
            raise MalformedBatch(f"span batch transaction {index}: tx_data is not canonical RLP: {exc}") from exc
        expected = {LEGACY_TX: 3, ACCESS_LIST_TX: 4, DYNAMIC_FEE_TX: 5}[tx_type]
        if len(fields) != expected:
            raise MalformedBatch(f"span batch transaction {index}: tx_data has {len(fields)} fields, expected {expected}")
        tx_datas.append((tx_type, fields))
    nonces = [reader.uvarint("tx_nonce") for _ in range(total)]
    gases = [reader.uvarint("tx_gas") for _ in range(total)]
    legacy_count = sum(1 for tx_type, _ in tx_datas if tx_type == LEGACY_TX)
    protected_bits = reader.bitlist(legacy_count, "protected_bits")

    raws: list[bytes] = []
    to_cursor = legacy_index = 0
    for index, (tx_type, fields) in enumerate(tx_datas):
        y_parity = (y_parity_bits >> index) & 1
        r = _be(int.from_bytes(sigs[64 * index : 64 * index + 32], "big"))
        s = _be(int.from_bytes(sigs[64 * index + 32 : 64 * index + 64], "big"))
        if (creation_bits >> index) & 1:
            to = b""
        else:
            to = tos[20 * to_cursor : 20 * to_cursor + 20]
            to_cursor += 1
        nonce, gas = _be(nonces[index]), _be(gases[index])
        if tx_type == LEGACY_TX:
            value, gas_price, data = fields
            protected = (protected_bits >> legacy_index) & 1
            legacy_index += 1
            v = chain_id * 2 + 35 + y_parity if protected else 27 + y_parity
            raw = encode_items([nonce, gas_price, gas, to, value, data, _be(v), r, s])
        elif tx_type == ACCESS_LIST_TX:
            value, gas_price, data, access_list = fields
            raw = bytes([tx_type]) + encode_items(
                [_be(chain_id), nonce, gas_price, gas, to, value, data, access_list, _be(y_parity), r, s]
            )
        else:
            value, tip, fee_cap, data, access_list = fields
            raw = bytes([tx_type]) + encode_items(
                [_be(chain_id), nonce, tip, fee_cap, gas, to, value, data, access_list, _be(y_parity), r, s]
            )
        try:
            decode_batch_transaction(raw, chain_id=chain_id)
        except InvalidBatchTransaction as exc:
            raise type(exc)(f"span batch transaction {index}: {exc}") from exc
        raws.append(raw)
    return raws


# --- small encodings -----------------------------------------------------------------------------


def _uvarint(value: int) -> bytes:
    if not 0 <= value <= U64_MAX:
        raise UnencodableBatch(f"{value} does not fit a u64 uvarint")
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _bitlist(bits: int, n: int) -> bytes:
    return bits.to_bytes((n + 7) // 8, "big")


def _be(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def _int(value: bytes) -> int:
    return int.from_bytes(value, "big")
