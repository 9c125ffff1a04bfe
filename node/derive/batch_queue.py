"""Stage 5, the batch queue: decoded batches -> the next valid batch for the safe head.

Every batch is judged against the safe head S (its L1 origin O, or none at L2 genesis) and the
L1 blocks read so far. A verdict is one of: accept, drop (with a logged reason, for good),
or future (kept: it may fit once more blocks are derived).

On arrival (inclusion in L1 block I):
- drop if its L1 origin is after I (no batch can know a later L1 block);
- drop if origin + sequencing_window <= I: included after its sequencing window
  (for a span batch, its first block's origin).

Singular batch B, against S:
- drop   B.timestamp <= S.timestamp (old: that height is already derived);
- drop   B's origin is before O (O only grows: it can never be valid);
- future B.parent_hash != S.hash (its parent is not derived yet);
- drop   B's origin is neither O nor O + 1 (at L2 genesis: not L1 block 0);
- drop   B's origin hash is not the hash of the L1 block read at that number;
- drop   B.timestamp < origin.timestamp;
- drop   B.timestamp > origin.timestamp + max_sequencer_drift, unless B has no transactions,
         keeps S's origin and the next L1 block is newer than B (the sequencer could not move
         on: as OP's); future while that next L1 block is not read yet;
- accept.

Span batch (node/batches.py), as OP's span batch rules, simplified:
- drop if its last block is at or before S, or its last block's origin is before O; if its
  first block is after S, its parent_check
  must be S's hash prefix (else future); if it starts at or before S, the blocks up to S must
  be S's chain itself (same timestamps, origins and transactions, and parent_check that of
  the block before the span) — else drop; only the blocks after S are applied;
- the last block's origin against l1_origin_check (first: drop), then those blocks are checked
  in turn as singular batches would be (origin steps, timestamps, drift); one bad block drops
  the whole span. An accepted span is handed out one block at a time, each on the block before it.

Batches are judged in arrival order; the first accepted one is the next block.

On an agreed parent (`next_batch(..., agreed_parent=True)`: the derivation trace the dispute game
bisects over, node/derive/derivation_commitment.py, whose safe head is the parent of the one block
it decides) a batch on another parent is never that block's: it is dropped, not kept. The only
other "future" is a block waiting on the drift rule's next L1 block, whose origin is then the L1
block b the batch is included in: a singular batch's parent (the agreed one) would have origin b,
so the batch, in b, would carry a hash made from b's; a span's last block would have origin b,
checked first against `l1_origin_check`, b's hash in b. No batch can, so the trace's queue is
empty after every L1 block.

The pipeline keeps a batch on another parent (future), with no cap: this is what makes its chain
the trace's. The trace for block n+1 re-reads L1 from S(n+1) = O(n) - channel_timeout, so it sees
every batch for n+1, including one posted before n's own (its origin, hence its inclusion, is at
or after O(n) >= S(n+1)); a pipeline that dropped it when it came (as OP's Holocene does) would
derive n+1 otherwise than the trace, and than itself restarted at n (`reset` starts at the same
S). Batches before the safe head's own are therefore judged again once it moves, exactly as the
trace judges them on the agreed parent, and no batch is dropped for room: a cap that dropped the
oldest (the former MAX_BUFFERED_BATCHES = 10,000) let a flood of batches on other parents push out
one the trace then finds. What bounds the queue instead is the origin rule: a batch whose last
origin is before O is dropped (never valid: O only grows), and every other was included at or
after its origin, so at or after O, in an L1 block read so far, and the pipeline reads no further
than O + 1 + sequencing_window without deriving (the forced block). One channel read an L1 block,
of at most MAX_BATCHES_PER_CHANNEL = 64 batches: the queue holds at most
64 * (sequencing_window + 2) batches, whatever the batcher posts.
"""

from __future__ import annotations

import dataclasses
import enum
import logging
from dataclasses import dataclass
from typing import Mapping, Protocol

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth_typing import Hash32

from node.batches import HASH_CHECK_LENGTH, Batch, SingularBatch, SpanBatch, SpanBatchElement
from node.deposit_tx import is_deposit
from node.errors import CodecError
from node.l1_block_ref import L1BlockRef
from node.l1_info import L1Origin, l1_origin_of_transactions

log = logging.getLogger("lantau.derive")

class Verdict(enum.Enum):
    ACCEPT = "accept"
    DROP = "drop"
    FUTURE = "future"


class SafeChain(Protocol):
    """What the queue reads of the L2 chain (node.chain.Chain has both)."""

    def header_by_hash(self, block_hash: Hash32) -> BlockHeaderAPI: ...

    def transactions(self, block_hash: Hash32) -> tuple[SignedTransactionAPI, ...]: ...


@dataclass(frozen=True, slots=True)
class NextBatch:
    """A valid batch for the block after the safe head, with its L1 origin and inclusion block."""

    batch: SingularBatch
    origin: L1BlockRef
    inclusion: L1BlockRef
    source: Batch | None = None  # the buffered batch it was taken from (None: the rest of a span already taken)


@dataclass(frozen=True, slots=True)
class _Buffered:
    batch: Batch
    inclusion: L1BlockRef


@dataclass
class _SpanCursor:
    """The not yet derived blocks of an accepted span batch."""

    blocks: list[tuple[SpanBatchElement, L1BlockRef]]
    inclusion: L1BlockRef
    expected_parent_timestamp: int


class BatchQueue:
    def __init__(
        self, *, sequencing_window: int, max_sequencer_drift: int, l1_start_block: int = 0
    ) -> None:
        self.sequencing_window = sequencing_window
        self.l1_start_block = l1_start_block  # the L1 origin of the first L2 block
        self.max_sequencer_drift = max_sequencer_drift
        self._buffer: list[_Buffered] = []
        self._span: _SpanCursor | None = None

    def __len__(self) -> int:
        return len(self._buffer) + (len(self._span.blocks) if self._span else 0)

    def buffered(self) -> tuple[tuple[Batch, L1BlockRef], ...]:
        """The batches waiting to be judged again (future ones), in arrival order, with their inclusion block."""
        return tuple((item.batch, item.inclusion) for item in self._buffer)

    # --- arrival ----------------------------------------------------------------------------

    def add(self, batch: Batch, inclusion: L1BlockRef) -> None:
        first_origin = batch.l1_origin_number if isinstance(batch, SingularBatch) else batch.elements[0].l1_origin_number
        last_origin = batch.l1_origin_number if isinstance(batch, SingularBatch) else batch.elements[-1].l1_origin_number
        if last_origin > inclusion.number:
            _drop(batch, inclusion, f"L1 origin {last_origin} is after its inclusion block {inclusion.number}")
            return
        if first_origin + self.sequencing_window <= inclusion.number:
            _drop(batch, inclusion, f"included in L1 block {inclusion.number}, after the sequencing window of origin {first_origin}")
            return
        self._buffer.append(_Buffered(batch, inclusion))  # no cap: the origin rule bounds the queue (above)

    # --- the next batch -------------------------------------------------------------------------

    def next_batch(
        self,
        safe_head: BlockHeaderAPI,
        safe_origin: L1Origin | None,
        l1_blocks: Mapping[int, L1BlockRef],
        chain: SafeChain,
        *,
        agreed_parent: bool = False,
    ) -> NextBatch | None:
        """The batch for the block after `safe_head`, or None if none is valid yet. `agreed_parent`:
        `safe_head` is the only parent asked about (a batch on another parent is dropped)."""
        if self._span is not None:
            taken = self._next_from_span(safe_head)
            if taken is not None:
                return taken
        kept: list[_Buffered] = []
        found: NextBatch | None = None
        for index, item in enumerate(self._buffer):
            if isinstance(item.batch, SingularBatch):
                verdict, reason, origin = self._check_singular(item.batch, safe_head, safe_origin, l1_blocks, agreed_parent)
                if verdict is Verdict.ACCEPT:
                    assert origin is not None
                    found = NextBatch(item.batch, origin, item.inclusion)
            else:
                verdict, reason, blocks = self._check_span(item.batch, safe_head, safe_origin, l1_blocks, chain, agreed_parent)
                if verdict is Verdict.ACCEPT:
                    self._span = _SpanCursor(blocks, item.inclusion, safe_head.timestamp)
                    found = self._next_from_span(safe_head)
            if verdict is Verdict.DROP:
                _drop(item.batch, item.inclusion, reason)
            elif verdict is Verdict.FUTURE:
                kept.append(item)
            if found is not None:
                found = dataclasses.replace(found, source=item.batch)
                kept.extend(self._buffer[index + 1 :])
                break
        self._buffer = kept
        return found

    def _next_from_span(self, safe_head: BlockHeaderAPI) -> NextBatch | None:
        span = self._span
        assert span is not None
        if not span.blocks or safe_head.timestamp != span.expected_parent_timestamp:
            if span.blocks:
                log.warning("abandoning the rest of a span batch: the safe head moved elsewhere")
            self._span = None
            return None
        element, origin = span.blocks.pop(0)
        span.expected_parent_timestamp = element.timestamp
        if not span.blocks:
            self._span = None
        batch = SingularBatch(Hash32(safe_head.hash), element.l1_origin_number, origin.hash, element.timestamp, element.transactions)
        return NextBatch(batch, origin, span.inclusion)

    # --- the rules ------------------------------------------------------------------------------

    def _check_singular(
        self, batch: SingularBatch, safe_head: BlockHeaderAPI, safe_origin: L1Origin | None, l1_blocks: Mapping[int, L1BlockRef],
        agreed_parent: bool,
    ) -> tuple[Verdict, str, L1BlockRef | None]:
        if batch.timestamp <= safe_head.timestamp:
            return Verdict.DROP, f"old: timestamp {batch.timestamp} is not after the safe head's {safe_head.timestamp}", None
        if (reason := _origin_passed(batch.l1_origin_number, safe_origin)) is not None:
            return Verdict.DROP, reason, None
        if batch.parent_hash != safe_head.hash:
            return (*_other_parent(agreed_parent), None)
        verdict, reason, origin = self._check_block(
            batch.timestamp, batch.l1_origin_number, len(batch.transactions) == 0, safe_head.timestamp,
            safe_origin.number if safe_origin else None, l1_blocks,
        )
        if verdict is not Verdict.ACCEPT:
            return verdict, reason, None
        assert origin is not None
        if origin.hash != batch.l1_origin_hash:
            return Verdict.DROP, f"L1 origin hash does not match L1 block {origin.number}", None
        return Verdict.ACCEPT, "", origin

    def _check_block(
        self,
        timestamp: int,
        origin_number: int,
        empty: bool,
        parent_timestamp: int,
        parent_origin_number: int | None,
        l1_blocks: Mapping[int, L1BlockRef],
    ) -> tuple[Verdict, str, L1BlockRef | None]:
        """The rules every derived block obeys, whichever batch it comes from."""
        allowed = (self.l1_start_block,) if parent_origin_number is None else (parent_origin_number, parent_origin_number + 1)
        if origin_number not in allowed:
            return Verdict.DROP, f"L1 origin {origin_number} is not one of {allowed} (the parent's or the next)", None
        if timestamp <= parent_timestamp:
            return Verdict.DROP, f"timestamp {timestamp} is not after the parent's {parent_timestamp}", None
        origin = l1_blocks.get(origin_number)
        if origin is None:
            return Verdict.DROP, f"L1 origin {origin_number} has not been read", None
        if timestamp < origin.timestamp:
            return Verdict.DROP, f"timestamp {timestamp} is before its L1 origin's {origin.timestamp}", None
        if timestamp > origin.timestamp + self.max_sequencer_drift:
            if not empty:
                return Verdict.DROP, f"timestamp {timestamp} beyond the sequencer drift of its L1 origin (and not empty)", None
            # OP Stack rule: an empty block past the drift is valid if it advances the L1 origin,
            # or if it could not have (the next L1 block is newer than it).
            if origin_number == parent_origin_number:
                next_origin = l1_blocks.get(origin_number + 1)
                if next_origin is None:
                    return Verdict.FUTURE, "beyond the drift: waiting for the next L1 block to judge", None
                if timestamp >= next_origin.timestamp:
                    return Verdict.DROP, "beyond the drift while the next L1 origin was available", None
        return Verdict.ACCEPT, "", origin

    def _check_span(
        self,
        span: SpanBatch,
        safe_head: BlockHeaderAPI,
        safe_origin: L1Origin | None,
        l1_blocks: Mapping[int, L1BlockRef],
        chain: SafeChain,
        agreed_parent: bool,
    ) -> tuple[Verdict, str, list[tuple[SpanBatchElement, L1BlockRef]]]:
        elements = span.elements
        if elements[-1].timestamp <= safe_head.timestamp:
            return Verdict.DROP, "old: the whole span is at or before the safe head", []
        if (reason := _origin_passed(elements[-1].l1_origin_number, safe_origin)) is not None:
            return Verdict.DROP, f"span's last block: {reason}", []
        overlap = sum(1 for e in elements if e.timestamp <= safe_head.timestamp)
        if overlap == 0:
            if span.parent_check != safe_head.hash[:HASH_CHECK_LENGTH]:
                return (*_other_parent(agreed_parent), [])
        else:
            reason = _overlap_mismatch(span, overlap, safe_head, chain)
            if reason:
                return Verdict.DROP, reason, []
        # The last block's origin first (as late, the outcome is the same: such a span is never
        # accepted), so that no span waits on the drift rule's next L1 block unless it names the
        # hash of the L1 block it is included in: none can, and the trace keeps no batch.
        last_origin = l1_blocks.get(elements[-1].l1_origin_number)
        if last_origin is None or last_origin.hash[:HASH_CHECK_LENGTH] != span.l1_origin_check:
            return Verdict.DROP, "l1_origin_check does not match the last block's L1 origin", []
        blocks: list[tuple[SpanBatchElement, L1BlockRef]] = []
        parent_timestamp = safe_head.timestamp
        parent_origin = safe_origin.number if safe_origin else None
        for index, element in enumerate(elements[overlap:], start=overlap):
            verdict, reason, origin = self._check_block(
                element.timestamp, element.l1_origin_number, not element.transactions, parent_timestamp, parent_origin, l1_blocks
            )
            if verdict is not Verdict.ACCEPT:
                return verdict, f"span block {index}: {reason}", []
            assert origin is not None
            blocks.append((element, origin))
            parent_timestamp, parent_origin = element.timestamp, element.l1_origin_number
        return Verdict.ACCEPT, "", blocks


def _origin_passed(origin_number: int, safe_origin: L1Origin | None) -> str | None:
    """Why a batch (a span: its last block) of this L1 origin can never be valid after a safe head
    of `safe_origin` (None: it still can). On an agreed parent the origin rule drops it anyway; in
    the pipeline this is what bounds the queue (module docstring)."""
    if safe_origin is not None and origin_number < safe_origin.number:
        return f"L1 origin {origin_number} is before the safe head's {safe_origin.number}: never valid"
    return None


def _other_parent(agreed_parent: bool) -> tuple[Verdict, str]:
    """A batch built on another block than the safe head: kept for later (the pipeline), or on an
    agreed parent dropped (the trace): the same chain either way (module docstring)."""
    if agreed_parent:
        return Verdict.DROP, "its parent is not the agreed parent: never this block's batch"
    return Verdict.FUTURE, "parent not derived yet"


def _overlap_mismatch(span: SpanBatch, overlap: int, safe_head: BlockHeaderAPI, chain: SafeChain) -> str | None:
    """Why the span's first `overlap` blocks are not the safe chain's last ones (None if they are)."""
    headers = [safe_head]
    while len(headers) < overlap:
        if headers[-1].block_number == 0:
            return "span batch starts before L2 genesis"
        headers.append(chain.header_by_hash(headers[-1].parent_hash))
    headers.reverse()
    if headers[0].block_number == 0 or headers[0].parent_hash[:HASH_CHECK_LENGTH] != span.parent_check:
        return "span batch overlaps the safe chain but its parent_check does not match"
    for element, header in zip(span.elements[:overlap], headers):
        transactions = chain.transactions(Hash32(header.hash))
        try:
            origin = l1_origin_of_transactions(transactions, header.block_number)
        except CodecError:
            return f"safe block {header.block_number} has no L1-info deposit"
        raws = tuple(tx.encode() for tx in transactions if not is_deposit(tx))
        if (element.timestamp, element.l1_origin_number, element.transactions) != (header.timestamp, origin.number, raws):
            return f"span batch disagrees with safe block {header.block_number}"
    return None


def _drop(batch: Batch, inclusion: L1BlockRef, reason: str) -> None:
    if isinstance(batch, SingularBatch):
        what = {"batch": "singular", "timestamp": batch.timestamp, "l1_origin": batch.l1_origin_number}
    else:
        what = {"batch": "span", "timestamp": batch.elements[0].timestamp, "blocks": len(batch.elements)}
    log.warning("dropping batch: %s", reason, extra={**what, "l1_inclusion": inclusion.number})

