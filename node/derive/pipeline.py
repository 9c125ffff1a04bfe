"""The derivation pipeline: the safe L2 chain as a function of L1 data alone.

    l1_traversal -> retrieval -> frames -> channel_bank -> batch_queue -> attributes -> Chain.build_block

`step()` derives (and builds, with the one block-building primitive) at most one block. It
first asks the batch queue for the next batch; failing that, it checks the forced-inclusion
rule; failing that, it reads the next L1 block through every stage and tries again. When the
chain already holds the derived block (same parent, header fields and transactions: a
sequencer's own unsafe block, or a block derived before a restart) it is adopted, not rebuilt,
so the unsafe blocks after it stay; a different block there is replaced. Because
every L1 block is fully read before the next, and blocks are derived as soon as they can be,
the derived chain depends only on L1's content, never on when `step` is called.

Forced inclusion: with safe head S of L1 origin O (none at L2 genesis, where the first origin
is `config.l1_start_block`, as the sequencer's), once L1 block (O + 1) + sequencing_window has been read
and no valid batch is left, the next block is the deposit-only block of origin O + 1.

Errors say what the caller does: `TemporaryError` (L1 unreachable; call `step` again later,
nothing was half-applied), `ResetError` (L1 reorganised: call `reset()`, then `step` again),
`CriticalError` (a forced block could not be built: stop).

`reset(to_l2_header)` walks back from `to_l2_header` (default: the safe head) to the newest L2
block that L1 still supports: its L1 origin is canonical and so is the L1 block it was derived
from (remembered for blocks derived by this pipeline; for older blocks, every L1 block that
could have held its batch must be at or below the newest L1 block derivation read that is
still canonical). Traversal restarts `channel_timeout` L1 blocks before that block's origin,
so every channel that may hold its successors' batches is read again; batches for blocks
already derived are dropped as old.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.exceptions import PyEVMError
from eth_typing import Hash32
from eth_utils import ValidationError, encode_hex

from node.chain import BuiltBlock, Chain
from node.derive.attributes import BlockInputs, deposit_only_inputs, inputs_from_batch
from node.derive.batch_queue import BatchQueue
from node.derive.channel_bank import ChannelBank
from node.derive.decode_ahead import ChannelsAhead
from node.derive.config import RollupDerivationConfig
from node.derive.frames import frames_from_batcher_data
from node.derive.l1_prefetch import PrefetchingL1Source
from node.derive.l1_source import L1Source
from node.derive.l1_traversal import L1Traversal
from node.derive.retrieval import L1BlockData, retrieve
from node.errors import CriticalError, ResetError
from node.l1_block_ref import L1BlockRef
from node.l1_info import L1Origin, read_l1_origin

log = logging.getLogger("lantau.derive")


@dataclass(frozen=True, slots=True)
class DerivedBlock:
    header: BlockHeaderAPI
    l1_origin: L1BlockRef
    derived_from: L1BlockRef  # the L1 block whose data made this block safe
    deposit_only: bool  # forced by the sequencing window, not from a batch
    built: BuiltBlock | None  # None: the chain already had this very block (it was adopted)


class DerivationPipeline:
    def __init__(
        self,
        config: RollupDerivationConfig,
        l1: L1Source,
        chain: Chain,
        *,
        safe_head: BlockHeaderAPI | None = None,
        before_replacing: Callable[[BlockHeaderAPI], object] | None = None,
    ) -> None:
        """Derive on top of `safe_head` (default: L2 genesis, i.e. everything from L1).
        `before_replacing(parent)` is called before a derived block is built on `parent` while
        the chain holds blocks above it, which the build replaces (the node journals their
        transactions first: `node.service.L2Node.keep_replaced_transactions`)."""
        self.config = config
        self.l1 = l1
        self.chain = chain
        self.before_replacing = before_replacing
        self._derived_from: dict[bytes, L1BlockRef] = {}
        self.channels_ahead = ChannelsAhead(
            chain_id=chain.chain_id, max_decompressed_size=config.max_channel_rlp_bytes, batcher=config.batcher_address
        )
        if isinstance(l1, PrefetchingL1Source):
            l1.add_inbox_listener(self.channels_ahead.offer)
        self._start(safe_head if safe_head is not None else chain.header_by_number(0))

    # --- state ------------------------------------------------------------------------------

    def _start(self, safe_head: BlockHeaderAPI) -> None:
        self.safe_head = safe_head
        self.safe_origin: L1Origin | None = read_l1_origin(self.chain.state_at(safe_head))
        self.safe_l1: L1BlockRef | None = self._derived_from.get(safe_head.hash)
        start_number = (
            self.config.l1_start_block if self.safe_origin is None
            else max(self.config.l1_start_block, self.safe_origin.number - self.config.channel_timeout)
        )
        start = self.l1.block_by_number(start_number)
        if start is None:
            raise ResetError(f"L1 has no block {start_number} to start derivation from")
        self.traversal = L1Traversal(self.l1, start)
        self.channel_bank = ChannelBank(self.config.channel_timeout)
        self.batch_queue = BatchQueue(
            sequencing_window=self.config.sequencing_window, max_sequencer_drift=self.config.max_sequencer_drift,
            l1_start_block=self.config.l1_start_block,
        )
        self._l1_blocks: dict[int, L1BlockRef] = {}
        self._deposits: dict[bytes, tuple[SignedTransactionAPI, ...]] = {}

    @property
    def l1_position(self) -> L1BlockRef | None:
        """The last L1 block read through every stage."""
        return self.traversal.current

    # --- deriving -----------------------------------------------------------------------------

    def step(self) -> DerivedBlock | None:
        """Derive and build the next safe block, or None when L1 has nothing more yet."""
        while True:
            inputs_and_source = self._next_inputs()
            if inputs_and_source is not None:
                return self._build(*inputs_and_source)
            block = self.traversal.next_block()
            if block is None:
                return None
            data = retrieve(
                self.l1, block, batch_inbox=self.config.batch_inbox, batcher_address=self.config.batcher_address
            )
            self.traversal.advance(block)
            self._ingest(data)

    def _ingest(self, data: L1BlockData) -> None:
        block = data.block
        self._l1_blocks[block.number] = block
        self._deposits[block.hash] = data.deposits
        for frame in frames_from_batcher_data(data.batcher_data, l1_block=block.number):
            self.channel_bank.add_frame(frame, block)
        # One channel read an L1 block at most (channel_bank.py: what one derivation step decodes).
        if (channel := self.channel_bank.read(block)) is not None:
            # Decoded by the worker process ahead if the L1 prefetcher had it, senders and all.
            decoded = self.channels_ahead.decoded(channel)
            if decoded.channel_error is not None:
                log.warning(
                    "channel ends early: %s", decoded.channel_error.message,
                    extra={"l1_block": block.number, "batches_kept": decoded.batches_read, "reason": decoded.channel_error.reason},
                )
            for index, refusal in decoded.dropped:
                log.warning(
                    "dropping batch: %s", refusal.message,
                    extra={"l1_block": block.number, "batch_index": index, "reason": refusal.reason},
                )
            for batch in decoded.batches:
                self.batch_queue.add(batch, block)

    def _next_inputs(self) -> tuple[BlockInputs, L1BlockRef, bool] | None:
        current = self.traversal.current
        if current is None:
            return None
        next_batch = self.batch_queue.next_batch(self.safe_head, self.safe_origin, self._l1_blocks, self.chain)
        if next_batch is not None:
            origin = next_batch.origin
            inputs = inputs_from_batch(
                self.safe_head, self.safe_origin, next_batch.batch, origin, self._deposits[origin.hash],
                decode_transaction=self.channels_ahead.transaction,
            )
            return inputs, current, False
        next_origin_number = self.config.l1_start_block if self.safe_origin is None else self.safe_origin.number + 1
        if current.number >= next_origin_number + self.config.sequencing_window:
            origin = self._l1_blocks[next_origin_number]
            log.warning(
                "sequencing window of L1 block %d ended without a batch: deriving a deposit-only block",
                origin.number, extra={"l1_block": current.number, "safe_head": self.safe_head.block_number},
            )
            inputs = deposit_only_inputs(self.safe_head, self.safe_origin, origin, self._deposits[origin.hash])
            return inputs, current, True
        return None

    def _build(self, inputs: BlockInputs, derived_from: L1BlockRef, deposit_only: bool) -> DerivedBlock:
        built: BuiltBlock | None = None
        header = self._existing_block(inputs)
        if header is None:
            if self.before_replacing is not None and self.chain.head.hash != inputs.parent.hash:
                self.before_replacing(inputs.parent)
            try:
                built = self.chain.build_block(inputs.parent, inputs.attributes, inputs.transactions)
            except (ValidationError, PyEVMError) as exc:
                # Only forced transactions (L1 info, deposits) make a build fail: the L1 data says
                # a block must exist that this node cannot build.
                raise CriticalError(f"cannot build derived block on {encode_hex(inputs.parent.hash)}: {exc}") from exc
            for rejected in built.rejected:
                log.warning(
                    "batched transaction skipped by execution",
                    extra={"tx": encode_hex(rejected.transaction.hash), "reason": rejected.reason},
                )
            header = built.header
        self.safe_head = header
        self.safe_origin = L1Origin(inputs.l1_origin.number, inputs.l1_origin.hash, inputs.sequence_number)
        self.safe_l1 = derived_from
        self._derived_from[header.hash] = derived_from
        self._prune(inputs.l1_origin.number)
        log.info(
            "derived safe block",
            extra={"number": header.block_number, "hash": encode_hex(header.hash), "l1_origin": inputs.l1_origin.number,
                   "derived_from": derived_from.number, "deposit_only": deposit_only},
        )
        return DerivedBlock(header, inputs.l1_origin, derived_from, deposit_only, built)

    def _existing_block(self, inputs: BlockInputs) -> BlockHeaderAPI | None:
        """The canonical block after `inputs.parent` if it has exactly these inputs.

        Execution is a function of (parent state, header fields, transactions), so such a block
        is the one `build_block` would make. Adopting it instead of building again keeps the
        unsafe blocks after it (a sequencer, or a verifier re-deriving after a restart): building
        would make the rebuilt block the head and drop them.
        """
        existing_hash = self.chain.canonical_hash(inputs.parent.block_number + 1)
        if existing_hash is None:
            return None
        header = self.chain.header_by_hash(existing_hash)
        attributes = inputs.attributes
        if header.parent_hash != inputs.parent.hash or (
            header.timestamp, header.coinbase, header.mix_hash, header.gas_limit, header.extra_data,
            header.parent_beacon_block_root,
        ) != (
            attributes.timestamp, attributes.fee_recipient, attributes.prev_randao, attributes.gas_limit,
            attributes.extra_data, attributes.parent_beacon_block_root,
        ):
            return None
        expected = tuple(tx.encode() for tx in (*attributes.forced_transactions, *inputs.transactions))
        return header if self.chain.raw_transactions(existing_hash) == expected else None

    def _prune(self, safe_origin_number: int) -> None:
        # L1 blocks below the safe origin can never be an origin again (until a reset).
        for number in [n for n in self._l1_blocks if n < safe_origin_number]:
            self._deposits.pop(self._l1_blocks.pop(number).hash, None)

    # --- reorgs -------------------------------------------------------------------------------

    def reset(self, to_l2_header: BlockHeaderAPI | None = None) -> BlockHeaderAPI:
        """Go back to the newest L2 block at or below `to_l2_header` that L1 still supports."""
        fork_point = self._newest_canonical_l1_read()
        header = to_l2_header if to_l2_header is not None else self.safe_head
        while header.block_number > 0 and not self._still_supported(header, fork_point):
            header = self.chain.header_by_hash(Hash32(header.parent_hash))
        dropped = self.safe_head.block_number - header.block_number
        log.warning(
            "derivation reset", extra={"safe_head": header.block_number, "hash": encode_hex(header.hash), "blocks_back": dropped},
        )
        self._derived_from = {h: ref for h, ref in self._derived_from.items() if self._is_canonical_l1(ref)}
        self._start(header)
        return header

    def _is_canonical_l1(self, ref: L1BlockRef) -> bool:
        canonical = self.l1.block_by_number(ref.number)
        return canonical is not None and canonical.hash == ref.hash

    def _newest_canonical_l1_read(self) -> int | None:
        """The newest L1 block derivation read that is still canonical (None: none read)."""
        if not self._l1_blocks:
            return None
        for number in sorted(self._l1_blocks, reverse=True):
            if self._is_canonical_l1(self._l1_blocks[number]):
                return number
        return min(self._l1_blocks) - 1

    def _still_supported(self, header: BlockHeaderAPI, fork_point: int | None) -> bool:
        origin = read_l1_origin(self.chain.state_at(header))
        if origin is None:
            return True
        canonical = self.l1.block_by_number(origin.number)
        if canonical is None or canonical.hash != origin.hash:
            return False
        derived_from = self._derived_from.get(header.hash)
        if derived_from is not None:
            return self._is_canonical_l1(derived_from)
        # Derived before this pipeline started: its batch was in some L1 block from its origin
        # to origin + sequencing_window; all must be unchanged.
        return fork_point is None or origin.number + self.config.sequencing_window <= fork_point

