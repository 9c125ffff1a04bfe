"""Stage 2: retrieval keeps the batcher's inbox transactions only (calldata, or the blobs of
its blob transactions), and the block's deposits."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Sequence

import pytest
from eth_typing import Hash32
from eth_utils import to_canonical_address

from node.blobs import BLOB_SIZE, HALF_SIZE, blob_versioned_hash, encode_blob
from node.channels import Frame, channel_id, encode_batcher_tx_data
from node.derive.frames import frames_from_batcher_data
from node.derive.l1_source import L1BlockRef
from node.derive.retrieval import retrieve
from node.errors import TemporaryError
from tests.harness.l1_history import BATCH_INBOX, BATCHER, STRANGER, L1History, batcher_tx, blob_tx

ELSEWHERE = to_canonical_address("0x" + "0e" * 20)


def frame_data(channel: int, number: int, payload: bytes, is_last: bool = False) -> bytes:
    """Batcher data of one frame: 0x00 ++ frame."""
    return encode_batcher_tx_data([Frame(channel_id(0, bytes([channel]) * 8), number, payload, is_last)])


@dataclass
class RecordingL1(L1History):
    """Records every `blobs` request; `short_answers` drops the last blob of each answer."""

    blob_requests: list[list[bytes]] = field(default_factory=list)
    short_answers: bool = False

    def blobs(self, block: L1BlockRef, versioned_hashes: Sequence[Hash32]) -> list[bytes]:
        self.blob_requests.append([bytes(h) for h in versioned_hashes])
        found = super().blobs(block, versioned_hashes)
        return found[:-1] if self.short_answers else found


def test_only_the_batchers_inbox_transactions_count(caplog: pytest.LogCaptureFixture) -> None:
    l1 = L1History()
    block = l1.append(100, mints=(5, 6), txs=[
        batcher_tx(b"\x00first"),
        batcher_tx(b"\x00stranger", sender=STRANGER),
        batcher_tx(b"\x00elsewhere", to=ELSEWHERE),
        batcher_tx(b"\x00blob-calldata", tx_type=3),  # a blob transaction's calldata never counts
        batcher_tx(b"\x00second"),
    ])
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        data = retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    assert data.batcher_data == (b"\x00first", b"\x00second")
    assert [d.mint for d in data.deposits] == [5, 6]
    reasons = [r.getMessage() for r in caplog.records]
    assert "ignoring inbox transaction: not from the batcher" in reasons
    assert "ignoring the calldata of a batcher blob transaction" in reasons
    assert not any("elsewhere" in r for r in reasons)  # not an inbox transaction at all


def test_blobs_of_the_batchers_blob_transactions_are_batcher_data_in_block_order(caplog: pytest.LogCaptureFixture) -> None:
    """Calldata transaction, blob transaction (two blobs, plus calldata that must be ignored
    although it is valid batcher data), a stranger's blob transaction whose blob is pruned
    (must be neither read nor waited for), calldata transaction: four items, in that order,
    and the frame stage reads them exactly as it reads calldata."""
    first, in_blob_0, in_blob_1, last = (frame_data(1, n, bytes([n]) * (n + 1)) for n in range(4))
    ignored = frame_data(2, 0, b"calldata of a blob transaction")
    strangers = encode_blob(frame_data(3, 0, b"stranger"))
    l1 = RecordingL1()
    l1.append(100)
    block = l1.append(112, txs=[
        batcher_tx(first),
        blob_tx(encode_blob(in_blob_0), encode_blob(in_blob_1), data=ignored),
        blob_tx(strangers, sender=STRANGER),
        batcher_tx(last),
    ])
    del l1.blobs_by_hash[blob_versioned_hash(strangers)]
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        data = retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    assert data.batcher_data == (first, in_blob_0, in_blob_1, last)
    assert l1.blob_requests == [[blob_versioned_hash(encode_blob(in_blob_0)), blob_versioned_hash(encode_blob(in_blob_1))]]
    frames = frames_from_batcher_data(data.batcher_data, l1_block=block.number)
    assert [(f.channel_id[-1], f.number, f.data) for f in frames] == [(1, n, bytes([n]) * (n + 1)) for n in range(4)]
    assert "ignoring the calldata of a batcher blob transaction" in [r.getMessage() for r in caplog.records]
    # A block without a batcher blob transaction asks the source for no blob at all.
    retrieve(l1, l1.blocks[0], batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    assert len(l1.blob_requests) == 1


def test_a_blob_named_twice_is_fetched_once_and_read_twice() -> None:
    """The same blob in two transactions (same versioned hash): one request, two data items
    (the frame stage then drops the duplicate frame, as it would a repeated calldata)."""
    blob = encode_blob(frame_data(1, 0, b"twice", is_last=True))
    l1 = RecordingL1()
    block = l1.append(100, txs=[blob_tx(blob), blob_tx(blob, blob)])
    data = retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    assert data.batcher_data == (frame_data(1, 0, b"twice", is_last=True),) * 3
    assert l1.blob_requests == [[blob_versioned_hash(blob)]]


def test_undecodable_blobs_are_dropped_with_a_reason_and_the_others_count(caplog: pytest.LogCaptureFixture) -> None:
    """Each bad blob below is a valid blob for KZG (every field element below the modulus),
    so L1 can carry it; each breaks one rule of the blob encoding and is dropped alone. A blob
    that decodes to bad batcher data passes retrieval; the frame stage drops it, also alone. A
    blob's second half is not read: top bits and bytes there change nothing."""
    good_0, good_1 = frame_data(1, 0, b"zero"), frame_data(1, 1, b"one", is_last=True)
    base = encode_blob(good_0)
    wrong_version = base[:1] + b"\x01" + base[2:]
    top_bit = base[:64] + bytes([base[64] | 0x40]) + base[65:]  # field element 2
    trailing = base[:HALF_SIZE - 1] + b"\x01" + base[HALF_SIZE:]  # a byte past the data in the half's last field element
    too_long = base[:2] + (65_021).to_bytes(3, "big") + base[5:]
    one = encode_blob(good_1)
    tail = one[:HALF_SIZE] + (b"\x40" + b"\x07" * 31) * 2048  # top bits in the half not read
    assert tail != one
    not_frames = encode_blob(b"\x00" + b"\xff" * 30)
    l1 = L1History()
    block = l1.append(100, txs=[
        blob_tx(wrong_version, encode_blob(good_0), top_bit),
        blob_tx(trailing, too_long, not_frames, tail),
    ])
    with caplog.at_level(logging.INFO, logger="lantau.derive"):
        data = retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
        frames = frames_from_batcher_data(data.batcher_data, l1_block=block.number)
    assert data.batcher_data == (good_0, b"\x00" + b"\xff" * 30, good_1)
    assert [(f.number, f.data) for f in frames] == [(0, b"zero"), (1, b"one")]
    dropped = [(r.index, r.blob_index, r.reason, r.getMessage()) for r in caplog.records if r.getMessage().startswith("dropping blob")]
    assert dropped == [
        # the reasons are node's BlobEncodingError subclasses, named as BlobReader.sol's errors
        (0, 0, "UnknownBlobEncodingVersion", "dropping blob: unknown blob encoding version 1"),
        (0, 2, "BlobFieldElementTopBitsSet", "dropping blob: field element in round 0 has a top bit set"),
        (1, 0, "BlobTrailingData", "dropping blob: non-zero bytes after the blob's data"),
        (1, 1, "BlobDataTooLong", "dropping blob: blob announces 65021 bytes, at most 65020 fit"),
    ]
    assert any(r.getMessage().startswith("dropping batcher transaction") for r in caplog.records)


@pytest.mark.parametrize(
    "answer",
    [encode_blob(b"\x00another blob"), b"\x00" * (BLOB_SIZE - 1), b"\xff" * BLOB_SIZE],
    ids=["another blob", "not a blob's size", "field element above the modulus"],
)
def test_a_blob_that_does_not_match_its_versioned_hash_is_retried_not_dropped(answer: bytes) -> None:
    """A source that answers with the wrong bytes (a lying or broken beacon node) must not make
    this node skip the blob: another node would count it. TemporaryError; once the source
    answers right, the same block reads in full."""
    blob = encode_blob(frame_data(1, 0, b"data"))
    l1 = L1History()
    block = l1.append(100, txs=[blob_tx(blob)])
    l1.blobs_by_hash[blob_versioned_hash(blob)] = answer
    with pytest.raises(TemporaryError, match="does not match its versioned hash"):
        retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    l1.blobs_by_hash[blob_versioned_hash(blob)] = blob
    assert retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER).batcher_data == (frame_data(1, 0, b"data"),)


def test_blobs_that_cannot_be_fetched_are_retried_not_skipped() -> None:
    """Pruned (or beacon node down): the source's TemporaryError goes up; a source that gives
    fewer blobs than asked is refused the same way."""
    kept, pruned = encode_blob(frame_data(1, 0, b"kept")), encode_blob(frame_data(1, 1, b"pruned"))
    l1 = RecordingL1()
    block = l1.append(100, txs=[batcher_tx(frame_data(2, 0, b"calldata")), blob_tx(kept, pruned)])
    del l1.blobs_by_hash[blob_versioned_hash(pruned)]
    with pytest.raises(TemporaryError, match="pruned"):
        retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    l1.blobs_by_hash[blob_versioned_hash(pruned)] = pruned
    l1.short_answers = True
    with pytest.raises(TemporaryError, match="gave 1 blobs for the 2 asked"):
        retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    l1.short_answers = False
    data = retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)
    assert data.batcher_data == (frame_data(2, 0, b"calldata"), frame_data(1, 0, b"kept"), frame_data(1, 1, b"pruned"))


def test_a_block_that_is_no_longer_canonical_is_retried_not_read() -> None:
    l1 = L1History()
    l1.append(100)
    block = l1.append(112, txs=[batcher_tx(b"\x00x")])
    l1.fork_at(1)
    l1.append(112, salt=b"fork")
    with pytest.raises(TemporaryError):
        retrieve(l1, block, batch_inbox=BATCH_INBOX, batcher_address=BATCHER)


@pytest.mark.e2e
def test_rpc_source_reads_inbox_transactions_with_senders_from_anvil() -> None:
    """bridge.l1_source.RpcL1Source against a real anvil: a batcher transaction, a stranger's
    and one to another address in one block; retrieval keeps the batcher's calldata only."""
    from web3 import Web3

    from bridge.anvil import AnvilError, AnvilProcess, anvil_binary
    from bridge.l1_source import RpcL1Source
    from genesis.dev_accounts import dev_accounts
    from node.derive.l1_source import L1BlockRef

    try:
        anvil_binary()
    except AnvilError as exc:
        pytest.fail(f"{exc} (`make setup` does)")
    batcher, stranger = dev_accounts()[9], dev_accounts()[8]
    with AnvilProcess() as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        w3.provider.make_request("evm_setAutomine", [False])
        inbox = Web3.to_checksum_address(BATCH_INBOX)
        for account, to, data in [(batcher, inbox, b"\x00from-batcher"), (stranger, inbox, b"\x00from-stranger"),
                                  (batcher, Web3.to_checksum_address(ELSEWHERE), b"\x00elsewhere")]:
            w3.eth.send_transaction({"from": account.address, "to": to, "data": data, "gas": 100_000})
        w3.provider.make_request("evm_mine", [])
        block = w3.eth.get_block("latest")
        source = RpcL1Source(w3, portal_address="0x" + "00" * 20)
        ref = source.block_by_number(block["number"])
        found = source.inbox_transactions(ref, BATCH_INBOX)
        assert [(tx.sender, tx.data) for tx in found] == [
            (to_canonical_address(batcher.address), b"\x00from-batcher"),
            (to_canonical_address(stranger.address), b"\x00from-stranger"),
        ]
        data = retrieve(source, ref, batch_inbox=BATCH_INBOX, batcher_address=to_canonical_address(batcher.address))
        assert data.batcher_data == (b"\x00from-batcher",) and data.deposits == ()
        stale = L1BlockRef(ref.number, bytes(32), ref.parent_hash, ref.timestamp, ref.base_fee)
        with pytest.raises(TemporaryError):
            source.inbox_transactions(stale, BATCH_INBOX)
