"""`BatchReader` (contracts/src/L1/derive/) against node's own codecs, differentially, on a real
anvil: random span batches of signed transactions of every batchable kind (EIP-155 legacy,
EIP-2930 with access lists, EIP-1559, creations, big calldata), spread over random blocks,
timestamps and L1 origins, encoded by node (`node.batches.encode_batch`), put in FastLZ channels
(`node.channels.encode_channel`) and cut into batcher transactions (`split_channel`,
`encode_batcher_tx_data`). L1 must read the same frames, the same batches and, for every block of
every span, the same timestamp, L1 origin and transaction hashes as `node.batches.decode_batch`;
and refuse what node refuses (truncated, trailing, non-canonical, unprotected legacy, a deposit
type, bad frames). Each random channel is also broken, in three ways of `broken_channels`, and
`readChannel` must keep exactly the batches `node.channels.read_channel` keeps and stop for the
same reason.

CI runs `BATCH_READER_CASES` random channels (default 12) and one channel as big as the batcher's; `scripts/batch_reader_differential.py`
runs the full campaign."""

from __future__ import annotations

import os
import random
from typing import Any

import pytest
import rlp
from eth_account import Account
from eth_utils import keccak, to_checksum_address
from web3.exceptions import ContractCustomError, ContractLogicError

from bridge.anvil import AnvilOptions
from genesis.dev_accounts import dev_accounts
from node.batches import SingularBatch, SpanBatch, SpanBatchElement, decode_batch, encode_batch
from node.channels import (
    MAX_BATCHES_PER_CHANNEL,
    MAX_RLP_BYTES_PER_CHANNEL,
    Compression,
    compress,
    decode_batcher_tx_data,
    decode_channel,
    encode_batcher_tx_data,
    encode_channel,
    read_channel,
    split_channel,
)
from node.errors import CodecError, LantauError
from tests.harness.evm import Contracts, decode_custom_error

CHAIN_ID = 4852
CASES = int(os.environ.get("BATCH_READER_CASES", "12"))
SENDERS = dev_accounts()[:6]


@pytest.fixture(scope="module")
def anvil_options() -> AnvilOptions:
    """Decoding every transaction of a big span batch on L1 costs more than a 30M block: measured,
    not assumed."""
    return AnvilOptions(extra_args=("--gas-limit", "3000000000"))


@pytest.fixture(scope="module")
def reader(contracts: Contracts) -> Any:
    return contracts.deploy("BatchReader")


def random_transaction(rng: random.Random, nonce: int) -> bytes:
    sender = rng.choice(SENDERS)
    kind = rng.choice(["legacy", "access_list", "dynamic", "dynamic", "dynamic"])
    tx: dict[str, Any] = {"nonce": nonce, "gas": rng.randrange(21_000, 3_000_000), "value": rng.choice([0, 1, rng.randrange(2**70)]),
                          "chainId": CHAIN_ID}
    tx["data"] = rng.choice([b"", rng.randbytes(rng.randrange(1, 40)), rng.randbytes(rng.randrange(100, 3_000))]) if rng.random() < 0.6 else b""
    if rng.random() < 0.1:
        tx["data"] = b"\x60\x00\x60\x00" + tx["data"]  # a creation: no `to`
    else:
        tx["to"] = rng.choice(SENDERS).address if rng.random() < 0.7 else to_checksum_address(rng.randbytes(20))
    if kind == "legacy":
        tx["gasPrice"] = rng.randrange(1, 10**11)
    else:
        if kind == "access_list" or rng.random() < 0.2:
            tx["accessList"] = [{"address": to_checksum_address(rng.randbytes(20)), "storageKeys": ["0x" + rng.randbytes(32).hex() for _ in range(rng.randrange(0, 3))]}
                                for _ in range(rng.randrange(1, 3))]
        if kind == "access_list":
            tx["gasPrice"] = rng.randrange(1, 10**11)
            tx["type"] = 1
        else:
            tx["maxFeePerGas"] = rng.randrange(10**9, 10**12)
            tx["maxPriorityFeePerGas"] = rng.randrange(0, 10**9)
            tx["type"] = 2
    return bytes(Account.sign_transaction(tx, sender.private_key).raw_transaction)


def random_span(rng: random.Random, blocks: int, max_txs: int) -> bytes:
    timestamp, origin = rng.randrange(1_700_000_000, 1_800_000_000), rng.randrange(1, 10**6)
    elements = []
    for _ in range(blocks):
        txs = tuple(random_transaction(rng, rng.randrange(2**20)) for _ in range(rng.choice([0, 0, 1, rng.randrange(0, max_txs + 1)])))
        elements.append(SpanBatchElement(timestamp, origin, txs))
        timestamp += rng.randrange(1, 4)
        origin += rng.random() < 0.3
    return encode_batch(SpanBatch(CHAIN_ID, rng.randbytes(20), rng.randbytes(20), rng.random() < 0.5, tuple(elements)))


def l1_span(reader: Any, batch: bytes) -> tuple[tuple[bytes, bytes], list[tuple[int, int, list[bytes]]]]:
    header, blocks = reader.functions.decodeSpan(batch, CHAIN_ID).call(transaction={"gas": 2_000_000_000})
    assert all(b[2] == len(b[3]) for b in blocks)  # txCount
    return (bytes(header[0]), bytes(header[1])), [(b[0], b[1], [bytes(h) for h in b[3]]) for b in blocks]


def node_span(batch: bytes) -> tuple[tuple[bytes, bytes], list[tuple[int, int, list[bytes]]]]:
    span = decode_batch(batch, chain_id=CHAIN_ID)
    assert isinstance(span, SpanBatch)
    return (span.parent_check, span.l1_origin_check), [(e.timestamp, e.l1_origin_number, [keccak(raw) for raw in e.transactions]) for e in span.elements]


def l1_refusal(reader: Any, call: Any) -> str:
    try:
        call.call(transaction={"gas": 2_000_000_000})
    except (ContractCustomError, ContractLogicError) as exc:
        data = exc.data if isinstance(exc.data, str) else None
        assert data, f"reverted without data: {exc!r}"
        abi = [*reader.abi, *[e for e in FASTLZ_AND_RLP_ERRORS]]
        return decode_custom_error(abi, bytes.fromhex(data.removeprefix("0x")))[0]
    raise AssertionError("L1 accepted what node refuses")


def _errors_of(*names: str) -> list[dict[str, Any]]:
    from genesis.artifacts import load_artifact
    errors: dict[str, dict[str, Any]] = {}
    for name in names:
        for entry in load_artifact(name).abi:
            if entry["type"] == "error":
                errors[entry["name"]] = entry
    return list(errors.values())


FASTLZ_AND_RLP_ERRORS = _errors_of("MerkleTrieHarness")


#: The ways `broken_channels` breaks a channel.
BREAKS = ("batch cut mid-way", "trailing garbage", "trailing RLP list", "non-canonical RLP after the batches",
          "compressed stream cut", "compressed byte changed", "unknown compression", "over the size limit", "empty stream")


def broken_channel(rng: random.Random, batches: list[bytes], how: str) -> tuple[bytes, int]:
    """`batches`' channel broken `how`, and the decompressed size limit to read it with: a break
    in the decompressed stream (after any number of whole batches) keeps the batches before it;
    one in the FastLZ stream or its header, or a stream over the limit, keeps none (node/channels.py)."""
    stream = b"".join(rlp.encode(batch) for batch in batches)
    fastlz = encode_channel(batches)
    if how == "batch cut mid-way":
        return compress(stream[:rng.randrange(1, len(stream))], Compression.FASTLZ), MAX_RLP_BYTES_PER_CHANNEL
    if how == "trailing garbage":
        return compress(stream + rng.randbytes(rng.randrange(1, 40)), Compression.FASTLZ), MAX_RLP_BYTES_PER_CHANNEL
    if how == "trailing RLP list":
        return compress(stream + rlp.encode([rng.randbytes(rng.randrange(0, 70))]), Compression.FASTLZ), MAX_RLP_BYTES_PER_CHANNEL
    if how == "non-canonical RLP after the batches":
        bad = rng.choice([b"\x81" + bytes([rng.randrange(0x80)]), b"\xb8\x05" + rng.randbytes(5), b"\xb9\x00\x40" + rng.randbytes(64)])
        return compress(stream + bad + rlp.encode(batches[0]), Compression.FASTLZ), MAX_RLP_BYTES_PER_CHANNEL
    if how == "compressed stream cut":
        return fastlz[:rng.randrange(1, len(fastlz))], MAX_RLP_BYTES_PER_CHANNEL
    if how == "compressed byte changed":
        at = rng.randrange(1, len(fastlz))
        return fastlz[:at] + bytes([fastlz[at] ^ rng.randrange(1, 256)]) + fastlz[at + 1:], MAX_RLP_BYTES_PER_CHANNEL
    if how == "unknown compression":
        return bytes([rng.choice([0x00, 0x01, 0x03, 0x08, 0x78, 0xFF])]) + fastlz[1:], MAX_RLP_BYTES_PER_CHANNEL
    if how == "over the size limit":
        return fastlz, rng.randrange(0, len(stream))
    assert how == "empty stream"
    return rng.choice([b"", b"\x02"]), MAX_RLP_BYTES_PER_CHANNEL


def _stop_names() -> dict[bytes, str]:
    from genesis.artifacts import load_artifact
    names = {bytes(4): "none"}
    for artifact in ("BatchReader", "FastLZ"):
        for entry in load_artifact(artifact).abi:
            if entry["type"] == "error":
                names[keccak(text=f"{entry['name']}({','.join(i['type'] for i in entry['inputs'])})")[:4]] = entry["name"]
    return names


STOP_NAMES = _stop_names()


def read_alike(reader: Any, channel: bytes, max_size: int) -> tuple[int, str]:
    """`channel` read by `readChannel` and by node's `read_channel`: the same batches, stopped for the
    same reason (node's `RetiredChannelCompression` is L1's `UnknownChannelCompression`: L1 reads
    only FastLZ). Returns (batches kept, the reason)."""
    l1_batches, l1_stop = reader.functions.readChannel(channel, max_size).call(transaction={"gas": 2_000_000_000})
    node = read_channel(channel, max_decompressed_size=max_size)
    node_stop = "none" if node.error is None else type(node.error).__name__.replace("RetiredChannelCompression", "UnknownChannelCompression")
    assert ([bytes(b) for b in l1_batches], STOP_NAMES[bytes(l1_stop)]) == (list(node.batches), node_stop), channel.hex()
    return len(node.batches), node_stop


def test_random_channels_read_alike(reader: Any) -> None:
    rng = random.Random(int(os.environ.get("BATCH_READER_SEED", "15")))
    blocks_seen = txs_seen = kept_before_break = 0
    broken: dict[str, int] = {}
    for case in range(CASES):
        batches = [random_span(rng, rng.randrange(1, 12), rng.choice([3, 10, 40])) for _ in range(rng.randrange(1, 3))]
        channel = encode_channel(batches)
        # frames: node's batcher transactions, read back on L1
        frames = split_channel(rng.randbytes(16), channel, rng.choice([len(channel) + 1, max(1, len(channel) // 3)]))
        for frame in frames:
            data = encode_batcher_tx_data([frame])
            (l1_frame,) = reader.functions.frames(data).call()
            (node_frame,) = decode_batcher_tx_data(data)
            assert (bytes(l1_frame[0]), l1_frame[1], bytes(l1_frame[2]), l1_frame[3]) == (node_frame.channel_id, node_frame.number, node_frame.data, node_frame.is_last)
        assert read_alike(reader, channel, MAX_RLP_BYTES_PER_CHANNEL) == (len(batches), "none"), f"case {case}: channel"
        assert decode_channel(channel) == batches
        for how in rng.sample(BREAKS, 3):
            kept, stop = read_alike(reader, *broken_channel(rng, batches, how))
            broken[stop] = broken.get(stop, 0) + 1
            kept_before_break += kept
        for batch in batches:
            ours = l1_span(reader, batch)
            assert ours == node_span(batch), f"case {case}: span batch"
            blocks_seen += len(ours[1])
            txs_seen += sum(len(b[2]) for b in ours[1])
    print(f"\n{CASES} random channels: {blocks_seen} blocks, {txs_seen} transactions read alike on L1 and by node; "
          f"{3 * CASES} broken ones read alike ({kept_before_break} batches kept before a break), stopped by {broken}")


def test_every_break_read_alike(reader: Any) -> None:
    """Each way of `BREAKS` on a channel of three batches, until it has been met keeping the batches
    before the break (for a break in the decompressed stream after the first batch) and keeping none."""
    rng = random.Random(3)
    batches = [random_span(rng, 2, 3) for _ in range(3)]
    kept_by_break: dict[str, set[int]] = {how: set() for how in BREAKS}
    for _ in range(8):
        for how in BREAKS:
            kept_by_break[how].add(read_alike(reader, *broken_channel(rng, batches, how))[0])
    for how in ("trailing RLP list", "non-canonical RLP after the batches"):
        assert kept_by_break[how] == {3}, how
    assert min(kept_by_break["trailing garbage"]) == 3  # garbage may hold whole RLP strings: more "batches"
    assert len(kept_by_break["batch cut mid-way"] - {0}) >= 1, kept_by_break  # some batches kept before the cut
    for how in ("unknown compression", "over the size limit", "empty stream"):
        assert kept_by_break[how] == {0}, how
    assert read_alike(reader, encode_channel(batches), len(b"".join(rlp.encode(b) for b in batches))) == (3, "none")  # the limit is inclusive


def test_a_batcher_sized_channel_read_alike(reader: Any, contracts: Contracts) -> None:
    """A channel of the batcher's size (the chain's bound: 48,000 bytes decompressed) of HKD transfers in one span;
    prints the L1 gas of reading it (FastLZ + framing) and of decoding its span batch, with its
    calldata (eth_estimateGas) and without (`BatchReaderHarness`: as inside the oracle)."""
    rng = random.Random(99)
    elements, timestamp = [], 1_750_000_000
    for block in range(60):
        txs = []
        for i in range(6):
            sender = SENDERS[(block + i) % len(SENDERS)]
            tx = {"nonce": block * 6 + i, "gas": 21_000, "to": SENDERS[(i + 1) % len(SENDERS)].address, "value": rng.randrange(1, 10**18),
                  "maxFeePerGas": 2 * 10**9, "maxPriorityFeePerGas": 10**6, "chainId": CHAIN_ID, "type": 2}
            txs.append(bytes(Account.sign_transaction(tx, sender.private_key).raw_transaction))
        elements.append(SpanBatchElement(timestamp + 2 * block, 1000 + block // 6, tuple(txs)))
    batch = encode_batch(SpanBatch(CHAIN_ID, rng.randbytes(20), rng.randbytes(20), True, tuple(elements)))
    channel = encode_channel([batch])
    call = reader.functions.readChannel(channel, MAX_RLP_BYTES_PER_CHANNEL)
    read, stop = call.call(transaction={"gas": 2_000_000_000})
    assert ([bytes(b) for b in read], bytes(stop)) == ([batch], bytes(4))
    assert l1_span(reader, batch) == node_span(batch)
    read_gas = call.estimate_gas({"gas": 2_000_000_000})
    span_gas = reader.functions.decodeSpan(batch, CHAIN_ID).estimate_gas({"gas": 2_000_000_000})
    one = reader.functions.decodeSpanBlock(batch, CHAIN_ID, 30)
    header, blocks = one.call(transaction={"gas": 2_000_000_000})
    assert [b[2] for b in blocks] == [len(e[2]) for e in node_span(batch)[1]]
    assert [(b[0], b[1], [bytes(h) for h in b[3]]) for b in blocks] == [
        (t, o, hashes if i == 30 else []) for i, (t, o, hashes) in enumerate(node_span(batch)[1])
    ]
    one_gas = one.estimate_gas({"gas": 2_000_000_000})
    harness = contracts.deploy("BatchReaderHarness")
    in_memory, tx_count = harness.functions.decodeSpanBlockGas(batch, CHAIN_ID, 30).call(transaction={"gas": 2_000_000_000})
    decided, hashes = harness.functions.channelBlockGas(channel, MAX_RLP_BYTES_PER_CHANNEL, CHAIN_ID, 30).call(transaction={"gas": 2_000_000_000})
    assert (tx_count, [bytes(h) for h in hashes]) == (360, node_span(batch)[1][30][2])
    print(f"\nchannel of {len(channel):,} B ({len(batch):,} B span batch, 60 blocks, 360 transfers): L1 gas to read it "
          f"{read_gas:,}; to decode the span with every transaction rebuilt {span_gas:,} ({span_gas // 360:,} per transaction), "
          f"with one block's 6 rebuilt and all checked {one_gas:,}; without calldata: decoding the span {in_memory:,} "
          f"({in_memory // 360:,} per transaction), reading the channel and deciding one block {decided:,}")


def test_the_batch_bound_reads_alike(reader: Any) -> None:
    """node/channels.py's `MAX_BATCHES_PER_CHANNEL` on L1 (`readChannel`): a channel of one batch more
    keeps the first ones (`TooManyBatches`), as node reads them; one at the bound reads whole. (The
    byte bounds: `DerivationStep`, tests/e2e/test_inbox_bounds.py.)"""
    assert reader.functions.MAX_BATCHES_PER_CHANNEL().call() == MAX_BATCHES_PER_CHANNEL
    batches = [b"\x00" + bytes([i]) for i in range(MAX_BATCHES_PER_CHANNEL + 1)]
    assert read_alike(reader, encode_channel(batches[:-1]), MAX_RLP_BYTES_PER_CHANNEL) == (MAX_BATCHES_PER_CHANNEL, "none")
    assert read_alike(reader, encode_channel(batches), MAX_RLP_BYTES_PER_CHANNEL) == (MAX_BATCHES_PER_CHANNEL, "TooManyBatches")


def _node_refuses(batch: bytes) -> bool:
    try:
        decode_batch(batch, chain_id=CHAIN_ID)
    except (CodecError, LantauError):
        return True
    return False


def test_refusals_agree(reader: Any) -> None:
    rng = random.Random(7)
    batch = random_span(rng, 3, 3)
    while len(node_span(batch)[1][0][2]) + len(node_span(batch)[1][1][2]) + len(node_span(batch)[1][2][2]) == 0:
        batch = random_span(rng, 3, 3)
    cases = {
        "truncated": batch[:-1],
        "trailing byte": batch + b"\x00",
        "cut in the middle": batch[: len(batch) // 2],
        "not a span batch": b"\x07" + batch[1:],
        "non-canonical first varint": batch[:1] + bytes([batch[1] | 0x80]) + b"\x00" + batch[2:] if batch[1] < 0x80 else batch[:-1],
        "no block": _with_block_count_zero(batch),
    }
    for name, bad in cases.items():
        assert _node_refuses(bad), name
        l1_refusal(reader, reader.functions.decodeSpan(bad, CHAIN_ID))
    # an unprotected legacy transaction and a deposit-typed one in a span: refused on both sides
    unprotected = bytes(Account.sign_transaction({"nonce": 0, "gas": 21_000, "gasPrice": 1, "to": SENDERS[1].address, "value": 1},
                                                 SENDERS[0].private_key).raw_transaction)
    with pytest.raises(LantauError):
        encode_batch(SpanBatch(CHAIN_ID, bytes(20), bytes(20), False, (SpanBatchElement(1, 1, (unprotected,)),)))
    seed = 1
    protected = random_transaction(random.Random(seed), 0)
    while protected[0] < 0xC0:  # a legacy (EIP-155) one
        seed += 1
        protected = random_transaction(random.Random(seed), 0)
    good = encode_batch(SpanBatch(CHAIN_ID, bytes(20), bytes(20), False, (SpanBatchElement(1, 1, (protected,)),)))
    unprotected_bits = good[:-1] + b"\x00"  # the protected_bits byte at the end, cleared
    assert _node_refuses(unprotected_bits)
    assert l1_refusal(reader, reader.functions.decodeSpan(unprotected_bits, CHAIN_ID)) == "InvalidBatchTransaction"
    # frames: a bad flag, a truncated frame, an unknown version
    frame = encode_batcher_tx_data(split_channel(bytes(16), encode_channel([batch]), 10_000))
    for name, bad in {"flag 2": frame[:-1] + b"\x02", "truncated": frame[:-2], "version 1": b"\x01" + frame[1:], "empty": b""}.items():
        with pytest.raises(LantauError):
            decode_batcher_tx_data(bad)
        assert l1_refusal(reader, reader.functions.frames(bad)) in {"InvalidFrameFlag", "TruncatedFrame", "UnknownDerivationVersion", "EmptyBatcherTransaction"}, name
    # a channel that is not FastLZ, or whose stream is not a list of byte strings
    with pytest.raises(LantauError):
        decode_channel(b"\x01" + encode_channel([batch])[1:])
    assert read_alike(reader, b"\x01" + encode_channel([batch])[1:], MAX_RLP_BYTES_PER_CHANNEL) == (0, "UnknownChannelCompression")


def _with_block_count_zero(batch: bytes) -> bytes:
    """The batch with block_count 0 (after the two varints and the two 20-byte checks)."""
    pos = 1
    for _ in range(2):
        while batch[pos] >= 0x80:
            pos += 1
        pos += 1
    pos += 40
    end = pos
    while batch[end] >= 0x80:
        end += 1
    return batch[:pos] + b"\x00" + batch[end + 1 :]


def test_random_singular_batches_read_alike(reader: Any) -> None:
    """Singular batches (version 0, derivation takes them): every batchable kind of transaction, kept
    raw; L1 reads the same parent and origin hashes, timestamp and transaction hashes as node, and
    refuses what node refuses (an unprotected legacy transaction, another chain's, a deposit type,
    truncated or trailing bytes)."""
    rng = random.Random(21)
    for _ in range(max(CASES, 6)):
        txs = tuple(random_transaction(rng, rng.randrange(2**20)) for _ in range(rng.choice([0, 1, rng.randrange(2, 12)])))
        batch = encode_batch(SingularBatch(rng.randbytes(32), rng.randrange(10**6), rng.randbytes(32), rng.randrange(2**40), txs))
        node = decode_batch(batch, chain_id=CHAIN_ID)
        assert isinstance(node, SingularBatch)
        parent_hash, origin_number, origin_hash, timestamp, hashes = reader.functions.decodeSingular(batch, CHAIN_ID).call(
            transaction={"gas": 2_000_000_000})
        assert (bytes(parent_hash), origin_number, bytes(origin_hash), timestamp) == (
            node.parent_hash, node.l1_origin_number, node.l1_origin_hash, node.timestamp)
        assert [bytes(h) for h in hashes] == [keccak(raw) for raw in node.transactions]
    unprotected = bytes(Account.sign_transaction({"nonce": 0, "gas": 21_000, "gasPrice": 1, "to": SENDERS[1].address, "value": 1},
                                                 SENDERS[0].private_key).raw_transaction)
    other_chain = bytes(Account.sign_transaction({"nonce": 0, "gas": 21_000, "maxFeePerGas": 1, "maxPriorityFeePerGas": 1, "chainId": 1,
                                                  "to": SENDERS[1].address, "value": 1, "type": 2}, SENDERS[0].private_key).raw_transaction)
    good = encode_batch(SingularBatch(bytes(32), 1, bytes(32), 1, (random_transaction(rng, 0),)))
    bad = {
        "unprotected legacy": b"\x00" + rlp.encode([bytes(32), 1, bytes(32), 1, [unprotected]]),
        "another chain": b"\x00" + rlp.encode([bytes(32), 1, bytes(32), 1, [other_chain]]),
        "deposit type": b"\x00" + rlp.encode([bytes(32), 1, bytes(32), 1, [b"\x7e" + other_chain[1:]]]),
        "truncated": good[:-1],
        "trailing byte": good + b"\x00",
    }
    for name, batch in bad.items():
        assert _node_refuses(batch), name
        assert l1_refusal(reader, reader.functions.decodeSingular(batch, CHAIN_ID)) in {
            "InvalidBatchTransaction", "TrailingBatchData", "RLPTruncated", "MalformedBatch"}, name


def _rlp_list(items: list[bytes]) -> bytes:
    """An RLP list of items already encoded (some of them on purpose not canonically)."""
    payload = b"".join(items)
    if len(payload) < 56:
        return bytes([0xC0 + len(payload)]) + payload
    length = len(payload).to_bytes((len(payload).bit_length() + 7) // 8, "big")
    return bytes([0xF7 + len(length)]) + length + payload


def test_singular_transactions_refused_alike(reader: Any) -> None:
    """A singular batch's transactions are read in place on L1 (`_spanOfRaw`) and rebuilt: each way a
    raw transaction can be what node's `decode_batch_transaction` refuses, in its list, its integers,
    its `to`, its signature or its items' RLP, is refused on L1 too (InvalidBatchTransaction, or the
    span reader's RLP and framing errors for an item's header); the valid ones around them still read
    as node reads them."""
    rng = random.Random(5)
    dynamic = bytes(Account.sign_transaction({"nonce": 5, "gas": 50_000, "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1, "chainId": CHAIN_ID,
                                              "to": SENDERS[1].address, "value": 7, "data": b"\x05\x06", "type": 2},
                                             SENDERS[0].private_key).raw_transaction)
    legacy = bytes(Account.sign_transaction({"nonce": 5, "gas": 50_000, "gasPrice": 10**9, "chainId": CHAIN_ID, "to": SENDERS[1].address,
                                             "value": 7, "data": b"\x05"}, SENDERS[0].private_key).raw_transaction)
    d = [rlp.encode(f) for f in rlp.decode(dynamic[1:])]  # chain_id, nonce, tip, fee_cap, gas, to, value, data, access_list, y, r, s
    g = [rlp.encode(f) for f in rlp.decode(legacy)]  # nonce, gas_price, gas, to, value, data, v, r, s

    def typed(items: list[bytes]) -> bytes:
        return b"\x02" + _rlp_list(items)

    def swap(items: list[bytes], at: int, item: bytes) -> list[bytes]:
        return items[:at] + [item] + items[at + 1:]

    bad_txs = {
        "nonce with a leading zero": typed(swap(d, 1, b"\x82\x00\x05")),
        "nonce wrapped as a one-byte string": typed(swap(d, 1, b"\x81\x05")),
        "nonce beyond 2**64 - 1": typed(swap(d, 1, rlp.encode(2**64))),
        "gas beyond 2**64 - 1": typed(swap(d, 4, rlp.encode(2**64))),
        "value of 33 bytes": typed(swap(d, 6, rlp.encode(2**260))),
        "a tip as a list": typed(swap(d, 2, b"\xc0")),
        "data's byte wrapped as a string": typed(swap(d, 7, b"\x81\x05")),
        "data in a long header": typed(swap(d, 7, b"\xb8\x02\x05\x06")),
        "to of 19 bytes": typed(swap(d, 5, rlp.encode(bytes(19)))),
        "an access list that is a string": typed(swap(d, 8, b"\x80")),
        "y of 2": typed(swap(d, 9, rlp.encode(2))),
        "another chain's id": typed(swap(d, 0, rlp.encode(CHAIN_ID + 1))),
        "r of 33 bytes": typed(swap(d, 10, rlp.encode(2**256 + 1))),
        "one item more": typed(d + [b"\x80"]),
        "one item less": typed(d[:-1]),
        "a byte after the list": dynamic + b"\x00",
        "the list's header in its long form": b"\x02\xf8" + bytes([len(b"".join(d))]) + b"".join(d) if len(b"".join(d)) < 56 else dynamic + b"\x00",
        "blob type": b"\x03" + dynamic[1:],
        "the type byte alone": b"\x02",
        "legacy without EIP-155": _rlp_list(swap(g, 6, rlp.encode(27))),
        "legacy with v of another chain": _rlp_list(swap(g, 6, rlp.encode(2 * (CHAIN_ID + 1) + 35))),
        "legacy with 8 items": _rlp_list(g[:-1]),
    }
    for name, raw in bad_txs.items():
        batch = b"\x00" + rlp.encode([bytes(32), 1, bytes(32), 1, [random_transaction(rng, 0), raw]])
        assert _node_refuses(batch), name
        assert l1_refusal(reader, reader.functions.decodeSingular(batch, CHAIN_ID)) in {
            "InvalidBatchTransaction", "MalformedBatch", "RLPNonCanonicalSingleByte", "RLPNonCanonicalLength"}, name
    good = (dynamic, legacy, random_transaction(rng, 1))
    batch = encode_batch(SingularBatch(bytes(32), 1, bytes(32), 1, good))
    assert [bytes(h) for h in reader.functions.decodeSingular(batch, CHAIN_ID).call()[4]] == [keccak(raw) for raw in good]


def _transfers(count: int) -> tuple[bytes, ...]:
    return tuple(bytes(Account.sign_transaction({"nonce": n, "gas": 21_000, "maxFeePerGas": 10**9, "maxPriorityFeePerGas": 1,
                                                 "chainId": CHAIN_ID, "to": SENDERS[1].address, "value": n + 1, "type": 2},
                                                SENDERS[n % 6].private_key).raw_transaction) for n in range(count))


def test_block_transaction_bound_read_alike(reader: Any, contracts: Contracts) -> None:
    """A block's user transactions are at most MAX_BLOCK_USER_TRANSACTIONS, in either batch version:
    one over it is refused by node (`BlockTooManyTransactions`) and by L1 (`BlockTooManyTransactions
    (blockIndex, count)`, as DerivationStep's try drops an undecodable batch), whichever block of the
    span it is; a block at the bound is read alike, and deciding it (the channel read, every
    transaction checked, rebuilt and hashed) is measured against 0.9 of EIP-7825's cap with the
    channel's calldata and the oracle's other work (bench/span_checks.py's model)."""
    from bench.span_checks import leaf_gas
    from node.batches import MAX_BLOCK_USER_TRANSACTIONS
    from prover.staged_step import EIP_7825_TX_GAS_CAP

    assert reader.functions.MAX_BLOCK_USER_TRANSACTIONS().call() == MAX_BLOCK_USER_TRANSACTIONS
    at_bound = _transfers(MAX_BLOCK_USER_TRANSACTIONS + 1)
    over, full = at_bound, at_bound[:-1]
    small = at_bound[:3]
    spans = {
        "first block over": (SpanBatchElement(1000, 7, over), SpanBatchElement(1001, 7, small)),
        "second block over": (SpanBatchElement(1000, 7, small), SpanBatchElement(1001, 8, over)),
    }
    for name, elements in spans.items():
        batch = encode_batch(SpanBatch(CHAIN_ID, bytes(20), bytes(20), False, elements))
        with pytest.raises(LantauError, match="user transactions, limit"):
            decode_batch(batch, chain_id=CHAIN_ID)
        for call in (reader.functions.decodeSpan(batch, CHAIN_ID), reader.functions.decodeSpanBlock(batch, CHAIN_ID, 0)):
            assert l1_refusal(reader, call) == "BlockTooManyTransactions", name
    singular_over = encode_batch(SingularBatch(bytes(32), 7, bytes(32), 1000, over))
    with pytest.raises(LantauError, match="user transactions, limit"):
        decode_batch(singular_over, chain_id=CHAIN_ID)
    assert l1_refusal(reader, reader.functions.decodeSingular(singular_over, CHAIN_ID)) == "BlockTooManyTransactions"

    harness = contracts.deploy("BatchReaderHarness")
    budget = EIP_7825_TX_GAS_CAP * 9 // 10
    hashes = [keccak(raw) for raw in full]
    span = encode_batch(SpanBatch(CHAIN_ID, bytes(20), bytes(20), False, (SpanBatchElement(1000, 7, full),)))
    singular = encode_batch(SingularBatch(bytes(32), 7, bytes(32), 1000, full))
    for name, batch in (("span", span), ("singular", singular)):
        assert decode_batch(batch, chain_id=CHAIN_ID) is not None
        channel = encode_channel([batch])
        execution, l1_hashes = harness.functions.channelBlockGas(channel, MAX_RLP_BYTES_PER_CHANNEL, CHAIN_ID, 0).call(
            transaction={"gas": 2_000_000_000})
        assert [bytes(h) for h in l1_hashes] == hashes
        total = leaf_gas(channel, execution)
        print(f"{name} batch, one block of {MAX_BLOCK_USER_TRANSACTIONS} transfers: read and decided {execution:,} gas, "
              f"L1 transaction (modelled) {total:,} of {budget:,}")
        assert total < budget


def test_found_blocks_hashed_as_decided(reader: Any) -> None:
    """`foundSpanBlock` and `foundSingular`, what `InputOracle.checkInputs` reads a `found` batch with
    (no field checks: derivation decoded that batch under every rule before it set `found`), give the
    same timestamp, origin and transaction hashes as `decodeSpanBlock` / `decodeSingular` and node,
    for every block of random valid batches of every batchable kind."""
    rng = random.Random(33)
    blocks_seen = 0
    for _ in range(max(CASES // 2, 4)):
        batch = random_span(rng, rng.randrange(1, 6), rng.choice([3, 10]))
        _, node_blocks = node_span(batch)
        for j, (timestamp, origin, hashes) in enumerate(node_blocks):
            found, previous = reader.functions.foundSpanBlock(batch, CHAIN_ID, j).call(transaction={"gas": 2_000_000_000})
            _, decided = reader.functions.decodeSpanBlock(batch, CHAIN_ID, j).call(transaction={"gas": 2_000_000_000})
            assert found == decided[j] and previous == (decided[j - 1][0] if j else 0)
            assert (found[0], found[1], [bytes(h) for h in found[3]]) == (timestamp, origin, hashes)
            blocks_seen += 1
        txs = tuple(random_transaction(rng, rng.randrange(2**20)) for _ in range(rng.randrange(0, 8)))
        singular = encode_batch(SingularBatch(rng.randbytes(32), rng.randrange(10**6), rng.randbytes(32), rng.randrange(2**40), txs))
        found_singular = reader.functions.foundSingular(singular).call()
        decided_singular = reader.functions.decodeSingular(singular, CHAIN_ID).call(transaction={"gas": 2_000_000_000})
        assert (found_singular[1], found_singular[3], found_singular[4]) == (decided_singular[1], decided_singular[3], decided_singular[4])
        assert [bytes(h) for h in found_singular[4]] == [keccak(raw) for raw in txs]
    print(f"\n{blocks_seen} span blocks and {max(CASES // 2, 4)} singular batches: found reads equal the checked decode")
