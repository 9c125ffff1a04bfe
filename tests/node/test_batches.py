"""The batch codec (node/batches.py): exact byte layouts, round trips, and every malformed input
refused with its named error."""

from __future__ import annotations

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from node.batches import (
    MAX_BLOCK_USER_TRANSACTIONS,
    MAX_SPAN_BATCH_ELEMENT_COUNT,
    SingularBatch,
    SpanBatch,
    SpanBatchElement,
    batch_from_block,
    decode_batch,
    decode_batch_transaction,
    encode_batch,
)
from node.chain import Chain
from node.errors import (
    BlockTooManyTransactions,
    EmptyBatch,
    InvalidBatchTransaction,
    InvalidSpanBatch,
    MalformedBatch,
    NonCanonicalBatch,
    NonCanonicalBatchTransaction,
    SpanBatchTooLarge,
    TrailingBatchData,
    TruncatedBatch,
    UnencodableBatch,
    UnknownBatchVersion,
)
from node.l1_info import l1_info_deposit
from node.vm import LantauTransactionBuilder

CHAIN_ID = GenesisConfig.load().chain_id  # 4852
ALICE, BOB = dev_accounts()[0], dev_accounts()[1]
PARENT = bytes(range(32))
ORIGIN_HASH = bytes(range(100, 132))


def signed(nonce: int = 0, *, kind: str = "1559", chain_id: int = CHAIN_ID, to: str | None = BOB.address, data: bytes = b"") -> bytes:
    tx: dict = {"value": 10**15 + nonce, "gas": 60_000, "nonce": nonce, "chainId": chain_id, "data": data}
    if to is not None:
        tx["to"] = to
    if kind == "1559":
        tx.update(type=2, maxFeePerGas=3 * 10**9, maxPriorityFeePerGas=10**9)
    elif kind == "2930":
        tx.update(type=1, gasPrice=2 * 10**9, accessList=[{"address": BOB.address, "storageKeys": ["0x" + "01" * 32]}])
    else:
        tx["gasPrice"] = 2 * 10**9
    return bytes(Account.sign_transaction(tx, ALICE.private_key).raw_transaction)


TX_1559, TX_LEGACY, TX_2930, TX_CREATE = signed(0), signed(1, kind="legacy"), signed(2, kind="2930"), signed(3, to=None, data=b"\x60\x00")


def uvarint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


# --- version 0 -----------------------------------------------------------------------------------


def test_singular_batch_layout_by_hand() -> None:
    """0x00 ++ rlp([parent, 7, origin, 1000, []]): the list payload is 0xa0+32, 0x07, 0xa0+32,
    0x82 03e8, 0xc0 = 71 bytes, so the list prefix is the long form 0xf8 0x47."""
    batch = SingularBatch(PARENT, 7, ORIGIN_HASH, 1000, ())
    expected = (
        b"\x00" + b"\xf8\x47" + b"\xa0" + PARENT + b"\x07" + b"\xa0" + ORIGIN_HASH + b"\x82\x03\xe8" + b"\xc0"
    )
    assert encode_batch(batch) == expected
    assert decode_batch(expected, chain_id=CHAIN_ID) == batch


def test_singular_batch_carries_raw_transactions_as_rlp_strings() -> None:
    batch = SingularBatch(PARENT, 7, ORIGIN_HASH, 1000, (TX_1559, TX_LEGACY))
    encoded = encode_batch(batch)
    assert encoded[0] == 0
    assert rlp.decode(encoded[1:])[4] == [TX_1559, TX_LEGACY]
    assert decode_batch(encoded, chain_id=CHAIN_ID) == batch


@pytest.mark.parametrize(
    "payload, error",
    [
        (b"", EmptyBatch),
        (b"\x02" + rlp.encode([]), UnknownBatchVersion),
        (b"\x00", MalformedBatch),
        (b"\x00" + rlp.encode(b"not a list"), MalformedBatch),
        (b"\x00" + rlp.encode([PARENT, 7, ORIGIN_HASH, 1000]), MalformedBatch),  # 4 fields
        (b"\x00" + rlp.encode([PARENT[:31], 7, ORIGIN_HASH, 1000, []]), MalformedBatch),  # short hash
        (b"\x00" + rlp.encode([PARENT, b"\x00\x07", ORIGIN_HASH, 1000, []]), MalformedBatch),  # leading zero
        (b"\x00" + rlp.encode([PARENT, 2**64, ORIGIN_HASH, 1000, []]), MalformedBatch),  # beyond u64
        (b"\x00" + rlp.encode([PARENT, 7, ORIGIN_HASH, 1000, [[b"x"]]]), MalformedBatch),  # tx is a list
        (b"\x00" + rlp.encode([PARENT, 7, ORIGIN_HASH, 1000, []]) + b"\x00", MalformedBatch),  # trailing
    ],
)
def test_malformed_singular_batches(payload: bytes, error: type) -> None:
    with pytest.raises(error):
        decode_batch(payload, chain_id=CHAIN_ID)


# --- transactions inside batches -------------------------------------------------------------------


def deposit_raw() -> bytes:
    from eth_utils import to_canonical_address

    return LantauTransactionBuilder.new_deposit_transaction(
        source_hash=bytes(32), from_=to_canonical_address(ALICE.address), to=to_canonical_address(BOB.address),
        mint=1, value=0, gas=21_000, data=b"",
    ).encode()


def test_canonical_transaction_check_refuses_a_second_encoding_of_one_signature() -> None:
    """pyrlp reads an empty list (0xc0) where the nonce 0 (0x80) belongs as 0: same signature,
    same sender, another hash. A batch must not carry such a twin."""
    assert TX_1559[6] == 0x80  # 02 f8 LL 82 12f4 | nonce
    variant = TX_1559[:6] + b"\xc0" + TX_1559[7:]
    twin = LantauTransactionBuilder.decode(variant)
    assert twin.nonce == 0 and twin.hash != keccak(TX_1559)
    with pytest.raises(NonCanonicalBatchTransaction):
        decode_batch_transaction(variant, chain_id=CHAIN_ID)
    with pytest.raises(NonCanonicalBatchTransaction):
        decode_batch(b"\x00" + rlp.encode([PARENT, 7, ORIGIN_HASH, 1000, [variant]]), chain_id=CHAIN_ID)


@pytest.mark.parametrize(
    "raw, reason",
    [
        (b"", "empty input"),
        (deposit_raw(), "0x7e .deposit transactions come from L1"),
        (b"\x03" + rlp.encode([1, 2, 3]), "type not supported: 0x03"),
        (b"\x04" + rlp.encode([1, 2, 3]), "type not supported: 0x04"),
        (b"\x85hello", "neither a typed envelope nor an RLP list"),
        (b"\x02" + rlp.encode([1, 2]), "invalid transaction encoding"),
        (signed(0, chain_id=1), "signed for chain id 1, this chain is 4852"),
    ],
)
def test_transactions_no_l2_block_may_carry(raw: bytes, reason: str) -> None:
    with pytest.raises(InvalidBatchTransaction, match=reason):
        decode_batch_transaction(raw, chain_id=CHAIN_ID)
    with pytest.raises(InvalidBatchTransaction, match=reason):
        decode_batch(b"\x00" + rlp.encode([PARENT, 7, ORIGIN_HASH, 1000, [TX_1559, raw]]), chain_id=CHAIN_ID)


def test_unprotected_legacy_transaction_is_refused() -> None:
    raw = bytes(Account.sign_transaction(
        {"to": BOB.address, "value": 1, "gas": 21_000, "gasPrice": 10**9, "nonce": 0}, ALICE.private_key
    ).raw_transaction)
    with pytest.raises(InvalidBatchTransaction, match=r"replay-protected \(EIP-155\)"):
        decode_batch_transaction(raw, chain_id=CHAIN_ID)


# --- version 1 -----------------------------------------------------------------------------------


def test_span_batch_layout_by_hand() -> None:
    """Two blocks at 1000 and 1002, origins 5 then 6 (bit 1), the first starting its epoch
    (bit 0): origin_bits 0b11. One 1559 transfer in block 0; gas 60000 is the uvarint e0 d4 03."""
    tx = LantauTransactionBuilder.decode(TX_1559)
    fields = rlp.decode(TX_1559[1:])
    span = SpanBatch(
        chain_id=CHAIN_ID, parent_check=PARENT[:20], l1_origin_check=ORIGIN_HASH[:20], starts_epoch=True,
        elements=(SpanBatchElement(1000, 5, (TX_1559,)), SpanBatchElement(1002, 6, ())),
    )
    tx_data = b"\x02" + rlp.encode([fields[6], fields[2], fields[3], fields[7], fields[8]])  # value tip cap data al
    assert uvarint(60_000) == b"\xe0\xd4\x03"
    expected = (
        b"\x01" + b"\xe8\x07" + b"\x06" + PARENT[:20] + ORIGIN_HASH[:20]  # prefix: ts 1000, last origin 6
        + b"\x02" + b"\x03" + b"\x02" + b"\x01\x00"  # 2 blocks, origin bits, delta 2, tx counts
        + b"\x00" + bytes([tx.y_parity])  # creation bits, y parity bits
        + tx.r.to_bytes(32, "big") + tx.s.to_bytes(32, "big") + bytes(tx.to) + tx_data
        + b"\x00" + b"\xe0\xd4\x03"  # nonce 0, gas 60000
        # protected_bits: no legacy transaction, zero bytes
    )
    assert encode_batch(span) == expected
    assert decode_batch(expected, chain_id=CHAIN_ID) == span


def test_span_batch_round_trip_of_every_batchable_type_and_a_creation() -> None:
    span = SpanBatch(
        CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], False,
        (SpanBatchElement(1000, 5, (TX_1559, TX_LEGACY)), SpanBatchElement(1001, 5, ()), SpanBatchElement(1013, 6, (TX_2930, TX_CREATE))),
    )
    encoded = encode_batch(span)
    assert decode_batch(encoded, chain_id=CHAIN_ID) == span
    # the legacy transaction's protected bit is the last byte: one legacy tx, protected
    assert encoded[-1] == 0x01


def test_span_from_singular_batches_keeps_the_checks_and_drops_the_rest() -> None:
    batches = [
        SingularBatch(PARENT, 5, ORIGIN_HASH, 1000, (TX_1559,)),
        SingularBatch(keccak(b"b1"), 6, keccak(b"o6"), 1012, ()),
    ]
    span = SpanBatch.from_singular_batches(batches, chain_id=CHAIN_ID, starts_epoch=True)
    assert span.parent_check == PARENT[:20] and span.l1_origin_check == keccak(b"o6")[:20]
    assert [(e.timestamp, e.l1_origin_number) for e in span.elements] == [(1000, 5), (1012, 6)]
    with pytest.raises(UnencodableBatch, match="jumps"):
        SpanBatch.from_singular_batches([batches[0], SingularBatch(PARENT, 7, ORIGIN_HASH, 1020, ())], chain_id=CHAIN_ID)
    with pytest.raises(UnencodableBatch, match="increase"):
        SpanBatch.from_singular_batches([batches[0], SingularBatch(PARENT, 5, ORIGIN_HASH, 1000, ())], chain_id=CHAIN_ID)


def test_span_batch_refuses_a_transaction_of_another_chain_when_encoding() -> None:
    span = SpanBatch(CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], False, (SpanBatchElement(1000, 5, (signed(0, chain_id=1),)),))
    with pytest.raises(UnencodableBatch, match="signed for chain id 1"):
        encode_batch(span)


def _span_bytes(*, block_count: bytes = b"\x01", origin_bits: bytes = b"\x00", deltas: bytes = b"", tx_counts: bytes = b"\x00",
                txs: bytes = b"\x00\x00", timestamp: bytes = b"\xe8\x07", last_origin: bytes = b"\x05") -> bytes:
    """A span batch assembled field by field (defaults: one empty block at 1000, origin 5)."""
    return b"\x01" + timestamp + last_origin + PARENT[:20] + ORIGIN_HASH[:20] + block_count + origin_bits + deltas + tx_counts + txs


def test_hand_assembled_minimal_span_decodes() -> None:
    # zero transactions: two empty bitlists of 0 bits take 0 bytes each, so `txs` is empty
    span = decode_batch(_span_bytes(txs=b""), chain_id=CHAIN_ID)
    assert span == SpanBatch(CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], False, (SpanBatchElement(1000, 5, ()),))


@pytest.mark.parametrize(
    "payload, error",
    [
        (_span_bytes(txs=b"", block_count=b"\x00", origin_bits=b"", tx_counts=b""), InvalidSpanBatch),  # no block
        (_span_bytes(txs=b"", origin_bits=b"\x02"), InvalidSpanBatch),  # bit 1 set in a 1-bit list
        (_span_bytes(txs=b"", block_count=b"\x02", origin_bits=b"\x00", deltas=b"\x00", tx_counts=b"\x00\x00"), InvalidSpanBatch),
        (_span_bytes(txs=b"", block_count=b"\x02", origin_bits=b"\x02", deltas=b"\x01", tx_counts=b"\x00\x00", last_origin=b"\x00"), InvalidSpanBatch),
        (_span_bytes(txs=b"", block_count=uvarint(MAX_SPAN_BATCH_ELEMENT_COUNT + 1)), SpanBatchTooLarge),
        (_span_bytes(txs=b"", tx_counts=uvarint(MAX_SPAN_BATCH_ELEMENT_COUNT + 1)), BlockTooManyTransactions),
        (_span_bytes(txs=b"", tx_counts=uvarint(MAX_BLOCK_USER_TRANSACTIONS + 1)), BlockTooManyTransactions),
        (_span_bytes(txs=b"", tx_counts=uvarint(MAX_BLOCK_USER_TRANSACTIONS)), TruncatedBatch),  # at the bound: read on
        (_span_bytes(txs=b"", timestamp=b"\xff" * 10 + b"\x01"), MalformedBatch),  # uvarint longer than 10 bytes
        (_span_bytes(txs=b"", timestamp=b"\xff" * 9 + b"\x7f"), MalformedBatch),  # beyond u64
        (_span_bytes(txs=b"", block_count=b"\x81\x00"), NonCanonicalBatch),  # 1 as a two-byte uvarint
        (_span_bytes(txs=b"") + b"\x00", TrailingBatchData),
        (_span_bytes(txs=b"")[:30], TruncatedBatch),
        (_span_bytes(tx_counts=b"\x01", txs=b"\x00\x00" + bytes(64) + bytes(20)), TruncatedBatch),  # no tx_data
        (_span_bytes(tx_counts=b"\x01", txs=b"\x00\x00" + bytes(64) + bytes(20) + b"\x03" + rlp.encode([])), InvalidBatchTransaction),
        (_span_bytes(tx_counts=b"\x01", txs=b"\x00\x00" + bytes(64) + bytes(20) + b"\x02" + rlp.encode(b"str")), MalformedBatch),
        (_span_bytes(tx_counts=b"\x01", txs=b"\x00\x00" + bytes(64) + bytes(20) + b"\x02" + rlp.encode([1, 2])), MalformedBatch),
        (_span_bytes(tx_counts=b"\x01", txs=b"\x00\x00" + bytes(64) + bytes(20) + b"\x02\xc2\x81\x05"), MalformedBatch),
    ],
)
def test_malformed_span_batches(payload: bytes, error: type) -> None:
    with pytest.raises(error):
        decode_batch(payload, chain_id=CHAIN_ID)


def test_every_truncation_of_a_span_batch_is_refused() -> None:
    span = SpanBatch(CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], True, (SpanBatchElement(1000, 5, (TX_1559, TX_LEGACY, TX_2930)),))
    encoded = encode_batch(span)
    for cut in range(len(encoded)):
        with pytest.raises(MalformedBatch):
            decode_batch(encoded[:cut], chain_id=CHAIN_ID)


def test_unprotected_bit_in_a_span_makes_the_legacy_transaction_invalid() -> None:
    span = SpanBatch(CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], False, (SpanBatchElement(1000, 5, (TX_LEGACY,)),))
    encoded = encode_batch(span)
    assert encoded[-1] == 0x01  # protected_bits of one legacy transaction
    with pytest.raises(InvalidBatchTransaction, match=r"replay-protected \(EIP-155\)"):
        decode_batch(encoded[:-1] + b"\x00", chain_id=CHAIN_ID)


def test_span_batch_binds_its_transactions_to_the_readers_chain_id() -> None:
    """The chain id is not stored: read on another chain, the same bytes are transactions of
    that chain, whose signatures recover nobody who signed them."""
    from eth_utils import to_canonical_address

    span = SpanBatch(CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], False, (SpanBatchElement(1000, 5, (TX_LEGACY, TX_1559)),))
    elsewhere = decode_batch(encode_batch(span), chain_id=CHAIN_ID + 1)
    for raw in elsewhere.elements[0].transactions:
        tx = LantauTransactionBuilder.decode(raw)
        assert tx.chain_id == CHAIN_ID + 1
        assert tx.sender != to_canonical_address(ALICE.address)


# --- from L2 blocks --------------------------------------------------------------------------------


def test_batch_from_block_takes_origin_from_the_l1_info_deposit_and_skips_deposits() -> None:
    from genesis.predeploys import SEQUENCER_FEE_VAULT
    from node.chain import BlockAttributes
    from node.derive.l1_source import L1BlockRef

    chain = Chain.open(None, GenesisConfig.load())
    origin = L1BlockRef(9, keccak(b"nine"), keccak(b"eight"), 100, 7)
    attributes = BlockAttributes(
        timestamp=chain.head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT, prev_randao=bytes(32),
        gas_limit=chain.head.gas_limit, forced_transactions=(l1_info_deposit(origin, 3),),
    )
    built = chain.build_block(chain.head, attributes, [LantauTransactionBuilder.decode(TX_1559)])
    batch = batch_from_block(built.block)
    assert batch == SingularBatch(chain.header_by_number(0).hash, 9, origin.hash, attributes.timestamp, (TX_1559,))


# --- properties --------------------------------------------------------------------------------------

U64 = st.integers(0, 2**64 - 1)
U256 = st.integers(0, 2**256 - 1)


def _be(value: int) -> bytes:
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


@st.composite
def raw_transactions(draw: st.DrawFn) -> bytes:
    """Canonical encodings with arbitrary field values (signatures need not verify: the codec
    carries them; execution judges them)."""
    kind = draw(st.sampled_from(["legacy", "2930", "1559"]))
    nonce, gas = draw(U64), draw(U64)
    to = draw(st.one_of(st.just(b""), st.binary(min_size=20, max_size=20)))
    value, data = draw(U256), draw(st.binary(max_size=40))
    y, r, s = draw(st.integers(0, 1)), draw(st.integers(1, 2**256 - 1)), draw(st.integers(1, 2**256 - 1))
    access_list = draw(st.lists(st.tuples(st.binary(min_size=20, max_size=20), st.lists(st.binary(min_size=32, max_size=32), max_size=2)), max_size=2))
    access_list = [[address, keys] for address, keys in access_list]
    if kind == "legacy":
        return rlp.encode([_be(nonce), _be(draw(U256)), _be(gas), to, _be(value), data, _be(CHAIN_ID * 2 + 35 + y), _be(r), _be(s)])
    if kind == "2930":
        return b"\x01" + rlp.encode([_be(CHAIN_ID), _be(nonce), _be(draw(U256)), _be(gas), to, _be(value), data, access_list, _be(y), _be(r), _be(s)])
    return b"\x02" + rlp.encode([_be(CHAIN_ID), _be(nonce), _be(draw(U256)), _be(draw(U256)), _be(gas), to, _be(value), data, access_list, _be(y), _be(r), _be(s)])


@settings(max_examples=60, deadline=None)
@given(
    parent=st.binary(min_size=32, max_size=32), origin=U64, origin_hash=st.binary(min_size=32, max_size=32),
    timestamp=U64, txs=st.lists(raw_transactions(), max_size=4),
)
def test_singular_batch_round_trip(parent: bytes, origin: int, origin_hash: bytes, timestamp: int, txs: list[bytes]) -> None:
    batch = SingularBatch(parent, origin, origin_hash, timestamp, tuple(txs))
    assert decode_batch(encode_batch(batch), chain_id=CHAIN_ID) == batch


@st.composite
def span_batches(draw: st.DrawFn) -> SpanBatch:
    count = draw(st.integers(1, 6))
    timestamp, origin = draw(st.integers(0, 2**40)), draw(st.integers(0, 2**40))
    elements = []
    for _ in range(count):
        elements.append(SpanBatchElement(timestamp, origin, tuple(draw(st.lists(raw_transactions(), max_size=3)))))
        timestamp += draw(st.integers(1, 2**20))
        origin += draw(st.integers(0, 1))
    return SpanBatch(CHAIN_ID, draw(st.binary(min_size=20, max_size=20)), draw(st.binary(min_size=20, max_size=20)),
                     draw(st.booleans()), tuple(elements))


@settings(max_examples=60, deadline=None)
@given(span=span_batches())
def test_span_batch_round_trip(span: SpanBatch) -> None:
    encoded = encode_batch(span)
    assert decode_batch(encoded, chain_id=CHAIN_ID) == span


@settings(max_examples=200, deadline=None)
@given(data=st.binary(max_size=200))
def test_arbitrary_bytes_decode_or_raise_a_named_error(data: bytes) -> None:
    for version in (b"\x00", b"\x01"):
        try:
            batch = decode_batch(version + data, chain_id=CHAIN_ID)
        except MalformedBatch:
            continue
        assert encode_batch(batch) == version + data


SAMPLE_SPAN = encode_batch(SpanBatch(
    CHAIN_ID, PARENT[:20], ORIGIN_HASH[:20], True,
    (SpanBatchElement(1000, 5, (TX_1559, TX_LEGACY)), SpanBatchElement(1002, 6, (TX_2930, TX_CREATE))),
))
SAMPLE_SINGULAR = encode_batch(SingularBatch(PARENT, 7, ORIGIN_HASH, 1000, (TX_1559, TX_LEGACY, TX_2930)))


@settings(max_examples=300, deadline=None)
@given(
    sample=st.sampled_from([SAMPLE_SPAN, SAMPLE_SINGULAR]),
    edits=st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255), st.sampled_from(["set", "insert", "delete"])), min_size=1, max_size=3),
)
def test_mutated_batches_decode_or_raise_a_named_error(sample: bytes, edits: list) -> None:
    """Flipped, inserted or deleted bytes anywhere: never an exception outside MalformedBatch,
    and whatever still decodes is the one canonical encoding of what it decodes to."""
    data = bytearray(sample)
    for position, value, kind in edits:
        position %= len(data) + 1
        if kind == "insert":
            data.insert(position, value)
        elif position < len(data):
            if kind == "set":
                data[position] = value
            else:
                del data[position]
    try:
        batch = decode_batch(bytes(data), chain_id=CHAIN_ID)
    except MalformedBatch:
        return
    assert encode_batch(batch) == bytes(data)


def test_deeply_nested_rlp_is_refused_without_decoding() -> None:
    """30,000 nested lists would overflow the C stack inside the RLP decoder (a crash, not an
    exception): the nesting guard refuses them first, in a batch and as a batched transaction."""
    from node.batches import InvalidBatchTransaction, MalformedBatch, decode_batch, decode_batch_transaction

    nested = b"\xc0"
    for _ in range(30_000):
        nested = (bytes([0xF8 + (len(nested).bit_length() + 7) // 8 - 1]) + len(nested).to_bytes((len(nested).bit_length() + 7) // 8, "big") + nested
                  if len(nested) > 55 else bytes([0xC0 + len(nested)]) + nested)
    with pytest.raises(MalformedBatch, match="deeper"):
        decode_batch(b"\x00" + nested, chain_id=4852)
    with pytest.raises(InvalidBatchTransaction, match="nested deeper"):
        decode_batch_transaction(b"\x02" + nested, chain_id=4852)
