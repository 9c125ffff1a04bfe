"""The derivation-state commitment: what the dispute game bisects over to decide which batch, if
any, derivation takes for L2 block n (docs/fault-proofs.md, "Which batch, and the absence of one").

The output root does not commit to derivation's state, so the state starts where node's own
pipeline restarts after a reset (pipeline.py `_start`): the empty channel bank and batch queue
before L1 block S = max(l1_start_block, O - channel_timeout), O the agreed parent's L1 origin (at
L2 genesis S = l1_start_block). Node's stages then read L1 blocks S .. E, E = F + sequencing_window
- 1 with F = O + 1 the origin of the forced block (at genesis F = l1_start_block): frames
(frames.py), the channel bank (channel_bank.py), each channel read decoded (decode_ahead.py), its
batches added to the batch queue (batch_queue.py), which is asked after every L1 block for the
batch of the block after the parent, exactly as the pipeline asks it. `found` is the first batch
that gives block n; once it is found the state no longer changes (what follows is another block's
business). No batch found after E: block n is the forced deposit-only block.

Encoding (the Solidity twin is `contracts/src/L1/derive/DerivationCommitment.sol`; abi.encode of
static words, keccak256):

    frames_hash(channel) = f_k;  f_0 = 0,  f_i = keccak(abi.encode(f_{i-1}, uint256 number_i, keccak(data_i),
                                                       uint256 len(data_i)))
                         over the channel's frames in number order
    bank_hash            = c_m;  c_0 = 0,  c_i = keccak(abi.encode(c_{i-1}, bytes16 channelId, uint256 openBlock,
                                                       uint256 closing, frames_hash))
                         over the bank's channels in its order (by openBlock, then order of opening);
                         openBlock = the L1 block the channel id names (its first 8 bytes); closing = the last frame's
                         number + 1, 0 while the channel has no last frame
    queue_hash           = q_k;  q_0 = 0,  q_i = keccak(abi.encode(q_{i-1}, keccak(batch_i), uint256 inclusion_i))
                         over the batches the queue keeps for later, in arrival order (batch: its bytes
                         as the channel carries them, version byte first)
    found                = 0, or keccak(abi.encode(keccak(batch), uint256 inclusion)) of the batch taken
    commitment           = keccak(abi.encode(bank_hash, queue_hash, found))

The bank's counters (bytes: the frames' data lengths plus 200 per frame; frames) follow from the
frames' lengths, so they are not committed separately. No frame's bytes are: the leaf is shown
each frame by its length and hash, and the data only of the channels it reads (`Frame` in
IDerivationStep.sol; `channels_read` says which), so the state shown is ~200 B a frame whatever the
frames carry (docs/batches.md "What a derivation step is shown").
"""

from __future__ import annotations

from dataclasses import dataclass

from eth.abc import BlockHeaderAPI
from eth_typing import Hash32
from eth_utils import keccak

from node.batches import Batch
from node.chain import Chain
from node.channels import read_channel
from node.derive.batch_queue import BatchQueue
from node.derive.channel_bank import ChannelBank, OpenChannel
from node.derive.config import RollupDerivationConfig
from node.derive.decode_ahead import decode_channel_batches
from node.derive.frames import frames_from_batcher_data
from node.derive.l1_source import L1Source
from node.derive.retrieval import L1BlockData, retrieve
from node.errors import L1BlockOutsideDerivationRange, TemporaryError
from node.l1_block_ref import L1BlockRef
from node.l1_info import L1Origin, read_l1_origin

ZERO = Hash32(bytes(32))


def _word(value: int) -> bytes:
    return value.to_bytes(32, "big")


@dataclass(frozen=True, slots=True)
class QueuedBatch:
    """A batch as the queue holds it: its bytes and the L1 block its channel became whole in."""

    encoded: bytes
    inclusion: int

    def leaf(self) -> Hash32:
        """keccak(abi.encode(keccak(batch), inclusion)): `found` when this batch is taken."""
        return Hash32(keccak(keccak(self.encoded) + _word(self.inclusion)))


def frames_hash(channel: OpenChannel) -> Hash32:
    acc = ZERO
    for number, data in channel.frames:
        acc = Hash32(keccak(acc + _word(number) + keccak(data) + _word(len(data))))
    return acc


def bank_hash(channels: tuple[OpenChannel, ...]) -> Hash32:
    acc = ZERO
    for channel in channels:
        closing = 0 if channel.last_frame is None else channel.last_frame + 1
        acc = Hash32(keccak(
            acc + channel.channel_id.ljust(32, b"\0") + _word(channel.open_block) + _word(closing) + frames_hash(channel)
        ))
    return acc


def queue_hash(queue: tuple[QueuedBatch, ...]) -> Hash32:
    acc = ZERO
    for item in queue:
        acc = Hash32(keccak(acc + keccak(item.encoded) + _word(item.inclusion)))
    return acc


def state_commitment(bank: Hash32, queue: Hash32, found: Hash32) -> Hash32:
    return Hash32(keccak(bank + queue + found))


@dataclass(frozen=True, slots=True)
class DerivationState:
    """The channel bank and batch queue after an L1 block, and the batch found for block n."""

    channels: tuple[OpenChannel, ...]
    queue: tuple[QueuedBatch, ...]
    found: QueuedBatch | None

    def commitment(self) -> Hash32:
        return state_commitment(bank_hash(self.channels), queue_hash(self.queue), self.found.leaf() if self.found else ZERO)


#: The state before L1 block S: agreed by definition (node's pipeline after a reset).
EMPTY_STATE = DerivationState((), (), None)


def derivation_range(config: RollupDerivationConfig, parent_origin: L1Origin | None) -> tuple[int, int]:
    """(S, E): the L1 blocks whose data decide which batch gives the block after a parent of that
    L1 origin (None: the parent is L2 genesis)."""
    if parent_origin is None:
        return config.l1_start_block, config.l1_start_block + config.sequencing_window - 1
    first = max(config.l1_start_block, parent_origin.number - config.channel_timeout)
    return first, parent_origin.number + 1 + config.sequencing_window - 1


class DerivationTrace:
    """Node's stages run over the range S .. E for the block after `parent`: the state after each
    L1 block (`state_after`), their commitments (`commitments`, what the game bisects over) and
    the pre-state of any block's step (`state_before`)."""

    def __init__(self, config: RollupDerivationConfig, chain: Chain, parent: BlockHeaderAPI, l1: L1Source) -> None:
        self.config = config
        self.parent = parent
        self.parent_origin = read_l1_origin(chain.state_at(parent))
        self.first, self.last = derivation_range(config, self.parent_origin)
        self.l1_data: dict[int, L1BlockData] = {}
        self._states: list[DerivationState] = []
        self._arrivals: dict[int, tuple[QueuedBatch, ...]] = {}
        self._read: dict[int, frozenset[bytes]] = {}
        self._run(chain, l1)

    def _run(self, chain: Chain, l1: L1Source) -> None:
        bank = ChannelBank(self.config.channel_timeout)
        queue = BatchQueue(
            sequencing_window=self.config.sequencing_window, max_sequencer_drift=self.config.max_sequencer_drift,
            l1_start_block=self.config.l1_start_block,
        )
        encodings: dict[int, bytes] = {}  # id(batch) -> its bytes, for every batch the queue holds
        l1_blocks: dict[int, L1BlockRef] = {}
        found: QueuedBatch | None = None
        for number in range(self.first, self.last + 1):
            if found is not None:
                self._states.append(self._states[-1])
                continue
            block = l1.block_by_number(number)
            if block is None:
                raise TemporaryError(f"L1 has no block {number} yet: the derivation range ends at {self.last}")
            data = retrieve(l1, block, batch_inbox=self.config.batch_inbox, batcher_address=self.config.batcher_address)
            self.l1_data[number] = data
            l1_blocks[number] = block
            for frame in frames_from_batcher_data(data.batcher_data, l1_block=number):
                bank.add_frame(frame, block)
            arrived: list[QueuedBatch] = []
            read: set[bytes] = set()
            if (taken_channel := bank.read_channel(block)) is not None:  # one channel an L1 block (channel_bank.py)
                channel_id, channel = taken_channel
                read.add(channel_id)
                contents = read_channel(channel, max_decompressed_size=self.config.max_channel_rlp_bytes)
                decoded, _ = decode_channel_batches(contents, chain.chain_id)
                for encoded, batch in decoded:
                    encodings[id(batch)] = encoded
                    queue.add(batch, block)
                    if any(held is batch for held, _ in queue.buffered()):
                        arrived.append(QueuedBatch(encoded, number))
            self._arrivals[number] = tuple(arrived)
            self._read[number] = frozenset(read)
            # On the agreed parent a batch on another is dropped, so the queue keeps nothing.
            taken = queue.next_batch(self.parent, self.parent_origin, l1_blocks, chain, agreed_parent=True)
            if taken is not None:
                assert taken.source is not None  # the first block after the parent comes from the buffer
                found = QueuedBatch(encodings[id(taken.source)], taken.inclusion.number)
            self._states.append(DerivationState(bank.open_channels(), _queued(queue, encodings), found))

    def state_after(self, l1_block: int) -> DerivationState:
        self._check_in_range(l1_block)
        return self._states[l1_block - self.first]

    def state_before(self, l1_block: int) -> DerivationState:
        """The pre-state of the step over `l1_block` (at S: the empty state)."""
        self._check_in_range(l1_block)
        return EMPTY_STATE if l1_block == self.first else self._states[l1_block - self.first - 1]

    def channels_read(self, l1_block: int) -> frozenset[bytes]:
        """The ids of the channels the bank reads (whole) in `l1_block`: the leaf is shown the data
        of their frames in the pre-state, every other frame by its length and hash only."""
        self._check_in_range(l1_block)
        return self._read.get(l1_block, frozenset())

    def arrivals(self, l1_block: int) -> tuple[QueuedBatch, ...]:
        """The batches that reached the queue in `l1_block` (past the arrival checks), in order:
        with the pre-state's queue, the batches the step over that block judges."""
        self._check_in_range(l1_block)
        return self._arrivals.get(l1_block, ())

    def commitments(self) -> list[Hash32]:
        """The commitment after each L1 block S .. E, in order."""
        return [state.commitment() for state in self._states]

    @property
    def found(self) -> QueuedBatch | None:
        """The batch derivation takes for the block after the parent (None: the forced block)."""
        return self._states[-1].found

    def _check_in_range(self, l1_block: int) -> None:
        if not self.first <= l1_block <= self.last:
            raise L1BlockOutsideDerivationRange(l1_block, self.first, self.last)


def _queued(queue: BatchQueue, encodings: dict[int, bytes]) -> tuple[QueuedBatch, ...]:
    held: list[tuple[Batch, L1BlockRef]] = list(queue.buffered())
    return tuple(QueuedBatch(encodings[id(batch)], inclusion.number) for batch, inclusion in held)
