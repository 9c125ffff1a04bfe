"""Channels decoded ahead on the second core, while the blocks before them execute.

A verifier decodes every channel it derives from: decompression, span batch to raw
transactions (each checked as a py-evm transaction), then the senders' signatures. Done when
the channel bank hands the channel over, that work stops block execution (the same process,
the same interpreter lock). But the L1 prefetcher (`node.derive.l1_prefetch`) holds the next L1
blocks' inbox transactions well before the pipeline reads them, so `ChannelsAhead.offer`
assembles the batcher's complete channels from them and sends each to the worker process
(`node.worker_process.SECOND_CORE`), which decodes it, recovers its transactions' senders and
makes the py-evm transaction objects execution takes, each with its hash and sender on it as a
pool transaction has them (`decode_channel`; unpickling one costs under half of decoding it, and
`ChannelsAhead.transaction` hands each to the pipeline). When the channel bank later hands the
pipeline a channel, `decoded` gives the worker's answer if one was asked for these very bytes
(waiting for it if it is under way), and otherwise decodes the channel in this process as before.

The assembly ahead is only a guess: frames grouped by channel id and number, complete once the
last frame and every one before it were seen; the channel bank alone decides which channels
count (the batcher's address, timeouts, order, duplicates, blobs). An answer is keyed by the
channel's whole bytes, and decoding is a function of those bytes and the pipeline's chain id
and size limit, so an answer taken is the one the pipeline would compute itself, reorg or not;
a guess the bank never reads is wasted work, forgotten after `MAX_CHANNELS` newer ones.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Mapping, Sequence

from eth.abc import SignedTransactionAPI
from eth_typing import Address

from node.batches import Batch, SpanBatch, decode_batch
from node.blobs import BLOB_TX_TYPE
from node.channels import ChannelContents, Frame, decode_batcher_tx_data, read_channel
from node.derive.l1_source import InboxTransaction
from node.errors import CodecError, MalformedBatch
from node.tx_sender import RECOVERED_AHEAD, RecoveredAhead, senders_of_encodings, signed_typed
from node.vm import LantauVM
from node.worker_process import SECOND_CORE, WorkerProcess

log = logging.getLogger("lantau.derive")

#: Channels decoded (or being decoded) ahead and not yet taken; the oldest is forgotten first.
MAX_CHANNELS = 16
#: Channels whose frames are being gathered ahead; the oldest is forgotten first.
MAX_PARTIAL_CHANNELS = 64
#: Transactions decoded ahead and not yet taken (e.g. of a batch found invalid); the oldest go first.
MAX_TRANSACTIONS = 50_000


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a channel or one of its batches did not (wholly) count: the error's class name and
    message (plain strings, so an answer crosses from the worker process as it is)."""

    reason: str
    message: str

    @classmethod
    def of(cls, error: CodecError) -> "Refusal":
        return cls(type(error).__name__, str(error))


@dataclass(frozen=True, slots=True)
class DecodedChannel:
    """A channel's batches as derivation takes them (`node.channels.read_channel`, then
    `node.batches.decode_batch` on each)."""

    batches: tuple[Batch, ...]  # the batches that decoded, in channel order
    dropped: tuple[tuple[int, Refusal], ...]  # (index in the channel, why) of those that did not
    batches_read: int  # batches split from the channel, decoded or not
    channel_error: Refusal | None  # what ended the channel early, if anything did
    # The signers of its typed transactions, where recovered (by the worker): raw -> sender.
    senders: tuple[tuple[bytes, Address], ...] = ()
    # Its batches' transactions as py-evm objects, where the worker decoded them (raw -> the
    # object `LantauVM`'s transaction builder makes of it), so the node process only unpickles.
    transactions: tuple[tuple[bytes, SignedTransactionAPI], ...] = ()


def decode_channel(channel: bytes, max_decompressed_size: int, chain_id: int, recover_senders: bool) -> DecodedChannel:
    """Decode `channel` as the pipeline does; with `recover_senders`, recover the signer of
    each typed transaction and decode each transaction for py-evm too (run by the worker process)."""
    contents = read_channel(channel, max_decompressed_size=max_decompressed_size)
    decoded, dropped = decode_channel_batches(contents, chain_id)
    batches = [batch for _, batch in decoded]
    senders: tuple[tuple[bytes, Address], ...] = ()
    transactions: tuple[tuple[bytes, SignedTransactionAPI], ...] = ()
    if recover_senders:
        raws = [raw for batch in batches for raw in batch_transactions(batch)]
        typed = signed_typed(raws)
        senders = tuple((raw, sender) for raw, sender in zip(typed, senders_of_encodings(typed)) if sender is not None)
        transactions = tuple(_decoded_for_execution(raws, dict(senders)))
    channel_error = None if contents.error is None else Refusal.of(contents.error)
    return DecodedChannel(tuple(batches), tuple(dropped), len(contents.batches), channel_error, senders, transactions)


def _decoded_for_execution(raws: Sequence[bytes], senders: Mapping[bytes, Address]) -> list[tuple[bytes, SignedTransactionAPI]]:
    """Each raw transaction with the object `LantauVM`'s builder decodes it to (the one
    `node.derive.attributes.inputs_from_batch` would make); one it refuses is left out (the
    node process decodes it and reports the error itself).

    What execution asks of each object first is already on it, as on a pool transaction: its
    hash, and its sender where `senders` (recovered from these very bytes) has one, in the
    cached properties `sender` and `hash`, which pickling carries; so the node process neither
    hashes nor looks the sender up (~20 us a transaction on the critical path). One whose
    signature did not recover is left without, and execution refuses it as before."""
    builder = LantauVM.get_transaction_builder()
    decoded: list[tuple[bytes, SignedTransactionAPI]] = []
    for raw in raws:
        try:
            transaction = builder.decode(raw)
            transaction.hash  # noqa: B018 - fills the cached property
        except Exception:  # noqa: BLE001 - only a hint: the pipeline decodes it again and raises there
            continue
        sender = senders.get(raw)
        if sender is not None:
            transaction.__dict__["sender"] = sender  # the cached `sender` (node.vm.LantauTypedTransaction)
        decoded.append((raw, transaction))
    return decoded


def decode_channel_batches(
    contents: ChannelContents, chain_id: int
) -> tuple[list[tuple[bytes, Batch]], list[tuple[int, Refusal]]]:
    """Each batch split from a channel decoded (`node.batches.decode_batch`): (its bytes, the
    batch) for those that decode, (index in the channel, why) for those that do not."""
    batches: list[tuple[bytes, Batch]] = []
    dropped: list[tuple[int, Refusal]] = []
    for index, encoded in enumerate(contents.batches):
        try:
            batches.append((encoded, decode_batch(encoded, chain_id=chain_id)))
        except MalformedBatch as exc:
            dropped.append((index, Refusal.of(exc)))
    return batches, dropped


def batch_transactions(batch: Batch) -> list[bytes]:
    """The raw (EIP-2718) transactions of a batch, in order."""
    if isinstance(batch, SpanBatch):
        return [raw for element in batch.elements for raw in element.transactions]
    return list(batch.transactions)


class ChannelsAhead:
    """Channels of the batcher decoded in the worker process before the pipeline reads them.
    Thread-safe: `offer` runs on the L1 prefetcher's threads, `decoded` on the pipeline's."""

    def __init__(
        self, *, chain_id: int, max_decompressed_size: int, batcher: Address,
        worker: WorkerProcess = SECOND_CORE, recovered: RecoveredAhead = RECOVERED_AHEAD,
    ) -> None:
        self.chain_id = chain_id
        self.max_decompressed_size = max_decompressed_size
        self.batcher = batcher
        self.worker = worker
        self.recovered = recovered
        self._lock = threading.Lock()
        self._partial: OrderedDict[bytes, dict[int, Frame]] = OrderedDict()  # channel id -> frames by number
        self._ahead: OrderedDict[bytes, Future[DecodedChannel]] = OrderedDict()  # channel bytes -> decoding
        self._transactions: OrderedDict[bytes, SignedTransactionAPI] = OrderedDict()  # raw -> decoded by the worker
        self.taken = 0  # channels whose decoding ahead was used
        self.transactions_taken = 0  # transactions decoded ahead and used

    def offer(self, inbox_transactions: Sequence[InboxTransaction]) -> None:
        """Inbox transactions of an L1 block read ahead: send every channel they complete to
        the worker (nothing if the worker is not ready)."""
        complete: list[bytes] = []
        for tx in inbox_transactions:
            if tx.sender != self.batcher or not tx.succeeded or tx.tx_type == BLOB_TX_TYPE:
                continue
            try:
                frames = decode_batcher_tx_data(tx.data)
            except CodecError:
                continue  # the pipeline logs why when it reads this block
            with self._lock:
                for frame in frames:
                    channel = self._gather(frame)
                    if channel is not None:
                        complete.append(channel)
        for channel in complete:
            work = self.worker.submit(decode_channel, channel, self.max_decompressed_size, self.chain_id, True)
            if work is None:
                continue
            with self._lock:
                self._ahead[channel] = work
                while len(self._ahead) > MAX_CHANNELS:
                    self._ahead.popitem(last=False)

    def _gather(self, frame: Frame) -> bytes | None:
        frames = self._partial.setdefault(frame.channel_id, {})
        self._partial.move_to_end(frame.channel_id)
        frames.setdefault(frame.number, frame)
        while len(self._partial) > MAX_PARTIAL_CHANNELS:
            self._partial.popitem(last=False)
        last = next((f.number for f in frames.values() if f.is_last), None)
        if last is None or any(number not in frames for number in range(last + 1)):
            return None
        del self._partial[frame.channel_id]
        return b"".join(frames[number].data for number in range(last + 1))

    def decoded(self, channel: bytes) -> DecodedChannel:
        """`channel` decoded: the worker's answer for these bytes if one was asked for, else
        decoded now (its senders then recovered ahead as `RecoveredAhead.recover_ahead` does)."""
        with self._lock:
            work = self._ahead.pop(channel, None)
        if work is not None:
            try:
                answer = work.result()
            except BrokenProcessPool:
                self.worker.died()
            except Exception:  # noqa: BLE001 - decoding again here reports the same problem the usual way
                log.exception("decoding a channel in the worker process failed: decoding it again here")
            else:
                self.taken += 1
                # Senders the worker's transaction objects carry need no entry here (one would
                # wait, never taken, until newer ones push it out).
                carried = {raw for raw, transaction in answer.transactions if "sender" in transaction.__dict__}
                kept = [(raw, sender) for raw, sender in answer.senders if raw not in carried]
                self.recovered.keep([raw for raw, _ in kept], [sender for _, sender in kept])
                with self._lock:
                    self._transactions.update(answer.transactions)
                    while len(self._transactions) > MAX_TRANSACTIONS:
                        self._transactions.popitem(last=False)
                return answer
        answer = decode_channel(channel, self.max_decompressed_size, self.chain_id, False)
        for batch in answer.batches:
            self.recovered.recover_ahead(batch_transactions(batch))
        return answer

    def transaction(self, raw: bytes) -> SignedTransactionAPI:
        """`raw` as a py-evm transaction: the worker's decoding if it made one for these bytes
        (taken once), else decoded now. Either way the object `LantauVM`'s builder makes of `raw`,
        errors included."""
        with self._lock:
            decoded = self._transactions.pop(raw, None)
        if decoded is None:
            return LantauVM.get_transaction_builder().decode(raw)
        self.transactions_taken += 1
        return decoded
