"""The batcher's transactions on L1 as this node's derivation read them, for the explorer's
rollup page (`lantau_l1Batches`): L1 block and position, calldata or blobs, bytes on L1, the
frames each carried, and per channel once all its frames are in, the L2 blocks and transactions
it holds, so bytes on L1 per L2 transaction.

No second reader of L1: `RecordingL1Source` sits between derivation and its `L1Source` and notes
what derivation was given. Derivation reads L1 from the rollup's start on every node start, so
the log refills after a restart; an L1 reorg replaces what was recorded for the reorged blocks
(records are keyed by L1 block hash and the newest reading of a block number wins). The same
rules as derivation's retrieval stage pick the transactions that count (the batcher's, succeeded).
The log is bounded (`MAX_BATCHER_TXS`): the newest are kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Sequence

from eth_typing import Address

from node.batches import SingularBatch, SpanBatch, decode_batch
from node.blobs import BLOB_TX_TYPE, BlobEncodingError, decode_blob
from node.channels import decode_batcher_tx_data, read_channel
from node.derive.l1_source import ForwardingL1Source, InboxTransaction, L1Source
from node.errors import LantauError
from node.l1_block_ref import L1BlockRef

MAX_BATCHER_TXS = 512
MAX_OPEN_CHANNELS = 64


@dataclass(frozen=True, slots=True)
class FrameSummary:
    channel_id: bytes
    number: int
    data_bytes: int
    is_last: bool


@dataclass(frozen=True, slots=True)
class ChannelSummary:
    """What a complete channel carried: L2 blocks and their non-deposit transactions."""

    l2_blocks: int
    l2_transactions: int
    l1_bytes: int  # the batcher data bytes of all its frames' transactions, shared pro rata by frame size
    error: str = ""


@dataclass(frozen=True, slots=True)
class BatcherTxRecord:
    l1_block: L1BlockRef
    index: int  # position in the L1 block
    kind: str  # "calldata" or "blobs"
    l1_bytes: int  # calldata bytes, or decoded blob data bytes
    frames: tuple[FrameSummary, ...]
    error: str = ""  # the batcher data could not be read as frames


class BatchLog:
    """Thread-safe (derivation's prefetch reads L1 from worker threads)."""

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self._lock = threading.Lock()
        self._records: OrderedDict[tuple[bytes, int], tuple[int, BatcherTxRecord]] = OrderedDict()  # key -> (sequence, record)
        self._next_sequence = 0  # a record's cursor for `lantau_l1Batches` paging: the order it was read in
        self._hash_of_number: dict[int, bytes] = {}
        self._frames: dict[bytes, dict[int, tuple[bytes, float, bool]]] = {}  # channel -> number -> (data, L1 bytes, is_last)
        self._channels: OrderedDict[bytes, ChannelSummary] = OrderedDict()

    def record(self, block: L1BlockRef, tx: InboxTransaction, items: Sequence[bytes]) -> None:
        """Note batcher transaction `tx` of `block` and its batcher data `items`."""
        key = (bytes(block.hash), tx.index)
        frames: list[tuple[FrameSummary, bytes]] = []
        error = ""
        for item in items:
            try:
                frames.extend((FrameSummary(f.channel_id, f.number, len(f.data), f.is_last), f.data)
                              for f in decode_batcher_tx_data(item))
            except (LantauError, ValueError) as exc:
                error = f"not frames: {exc}"
        size = sum(len(item) for item in items)
        record = BatcherTxRecord(block, tx.index, "blobs" if tx.tx_type == BLOB_TX_TYPE else "calldata", size,
                                 tuple(f for f, _ in frames), error)
        with self._lock:
            if key in self._records:
                return
            self._forget_reorged(block)
            self._hash_of_number[block.number] = bytes(block.hash)
            self._records[key] = (self._next_sequence, record)
            self._next_sequence += 1
            while len(self._records) > MAX_BATCHER_TXS:
                self._records.popitem(last=False)
            total = sum(f.data_bytes for f, _ in frames) or 1
            for summary, data in frames:
                self._add_frame(summary, data, size * summary.data_bytes / total)

    def _forget_reorged(self, block: L1BlockRef) -> None:
        stale = [n for n, h in self._hash_of_number.items() if n >= block.number and h != bytes(block.hash)]
        if not stale:
            return
        for number in stale:
            del self._hash_of_number[number]
        for key in [k for k, (_, r) in self._records.items() if r.l1_block.number in stale]:
            del self._records[key]

    def _add_frame(self, frame: FrameSummary, data: bytes, l1_bytes: float) -> None:
        if frame.channel_id in self._channels:
            return
        parts = self._frames.setdefault(frame.channel_id, {})
        parts[frame.number] = (data, l1_bytes, frame.is_last)
        while len(self._frames) > MAX_OPEN_CHANNELS:
            del self._frames[next(iter(self._frames))]
        last = next((n for n, (_, _, is_last) in parts.items() if is_last), None)
        if last is None or sorted(parts) != list(range(last + 1)):
            return  # frames still missing
        channel = b"".join(parts[n][0] for n in range(last + 1))
        self._channels[frame.channel_id] = self._summarize(channel, round(sum(b for _, b, _ in parts.values())))
        while len(self._channels) > MAX_BATCHER_TXS:
            self._channels.popitem(last=False)
        del self._frames[frame.channel_id]

    def _summarize(self, channel: bytes, l1_bytes: int) -> ChannelSummary:
        contents = read_channel(channel)
        blocks = txs = 0
        error = str(contents.error) if contents.error else ""
        for encoded in contents.batches:
            try:
                batch = decode_batch(encoded, chain_id=self.chain_id)
            except (LantauError, ValueError) as exc:
                error = f"batch {blocks}: {exc}"
                break
            if isinstance(batch, SingularBatch):
                blocks, txs = blocks + 1, txs + len(batch.transactions)
            elif isinstance(batch, SpanBatch):
                blocks += len(batch.elements)
                txs += sum(len(e.transactions) for e in batch.elements)
        return ChannelSummary(blocks, txs, l1_bytes, error)

    def recorded_count(self) -> int:
        """How many batcher transactions were ever recorded: the newest page's cursor."""
        with self._lock:
            return self._next_sequence

    def batches(self, limit: int, *, before: int | None = None) -> tuple[list[dict[str, Any]], int | None]:
        """The newest `limit` batcher transactions recorded before sequence `before`, newest
        first, as `lantau_l1Batches` answers, and the next page's cursor (None: no older ones
        kept). Sequences only grow, so a cursor stays right while new batches arrive."""
        with self._lock:
            older = [(seq, r) for seq, r in self._records.values() if before is None or seq < before]
            channels = dict(self._channels)
        chosen = older[-limit:][::-1]
        next_cursor = chosen[-1][0] if chosen and len(older) > limit else None
        return [_record_json(r, channels) for _, r in chosen], next_cursor


def _record_json(record: BatcherTxRecord, channels: dict[bytes, ChannelSummary]) -> dict[str, Any]:
    ids = list(dict.fromkeys(f.channel_id for f in record.frames))
    return {
        "l1BlockNumber": record.l1_block.number, "l1BlockHash": "0x" + bytes(record.l1_block.hash).hex(),
        "l1Timestamp": record.l1_block.timestamp, "index": record.index, "kind": record.kind, "bytes": record.l1_bytes,
        "frames": [{"channel": "0x" + f.channel_id.hex(), "number": f.number, "bytes": f.data_bytes, "isLast": f.is_last}
                   for f in record.frames],
        "channels": [_channel_json(c, channels.get(c)) for c in ids],
        **({"error": record.error} if record.error else {}),
    }


def _channel_json(channel_id: bytes, summary: ChannelSummary | None) -> dict[str, Any]:
    if summary is None:
        return {"channel": "0x" + channel_id.hex(), "complete": False}
    per_tx = round(summary.l1_bytes / summary.l2_transactions, 1) if summary.l2_transactions else None
    return {"channel": "0x" + channel_id.hex(), "complete": True, "l2Blocks": summary.l2_blocks,
            "l2Transactions": summary.l2_transactions, "l1Bytes": summary.l1_bytes, "bytesPerL2Tx": per_tx,
            **({"error": summary.error} if summary.error else {})}


class RecordingL1Source(ForwardingL1Source):
    """An `L1Source` that passes every read through and notes the batcher's transactions in a
    `BatchLog` (derivation reads them through it)."""

    def __init__(self, source: L1Source, log: BatchLog, *, batcher_address: Address) -> None:
        super().__init__(source)
        self.log, self.batcher_address = log, bytes(batcher_address)

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> Sequence[InboxTransaction]:
        found = self.source.inbox_transactions(block, inbox)
        for tx in found:
            if bytes(tx.sender) != self.batcher_address or not tx.succeeded:
                continue  # derivation ignores it too (node/derive/retrieval.py)
            if tx.tx_type == BLOB_TX_TYPE:
                try:
                    items = [decode_blob(blob) for blob in self.source.blobs(block, tx.blob_versioned_hashes)]
                except (LantauError, BlobEncodingError):
                    items = []
            else:
                items = [tx.data]
            self.log.record(block, tx, items)
        return found
