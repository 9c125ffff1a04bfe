"""A channel too big to decode in one L1 transaction, read on L1 in stages (`ChannelStages.sol`;
docs/fault-proofs.md, "Canonical batch format"), and the evidence a leaf then takes a batch from.

The prover knows the channel's output already (node's own `fastlz.decompress`), so it plans nothing
on trust: each stage's progress is recomputed by `eth_call` of `decodeStage` from the one before it
and kept in memory; a stage is sent only if L1 has not recorded the progress it reaches (so after a
restart, or a reorg that took a stage, the driver sends exactly what L1 lacks, and nothing twice).
A stage's output budget is chosen so its gas stays well under EIP-7825's cap (`STAGE_OUTPUT_BYTES`,
measured in tests/contracts/test_channel_stages.py); the channel is shown whole in every stage, so
it must fit one L1 transaction (`MAX_STAGED_CHANNEL_BYTES`: its frames are shown to the leaves in one
too). Whether a channel needs stages: `needs_stages` (its output beyond `ONE_TX_OUTPUT_BYTES`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak

from bridge.l1_client import L1Client
from bridge.l1_contract_clients import candidate_of
from bridge.tx_manager import TxManager, gas_with_headroom
from node import fastlz
from node.channels import FASTLZ_CHANNEL_PREFIX, MAX_RLP_BYTES_PER_CHANNEL
from node.errors import CodecError, LantauError
from prover.errors import ChallengerError

#: ChannelStages.SEGMENT_BYTES / WINDOW_BYTES: output bytes per recorded segment, and how far back a
#: FastLZ match reaches.
SEGMENT_BYTES = 8192
WINDOW_BYTES = 8192
#: Output bytes a stage is asked for: the worst stream (distance-1 matches, ~15 gas an output
#: byte, plus a segment record of 22,100 gas per 8 KB) stays under ~7M gas at this size
#: (measured: docs/fault-proofs.md, "Canonical batch format").
STAGE_OUTPUT_BYTES = 320_000
#: Output bytes one L1 transaction decodes and reads whole (BatchReader.readChannel): beyond this a
#: leaf takes its batch from the stages (docs/fault-proofs.md: ~1.5 MB is the limit measured).
ONE_TX_OUTPUT_BYTES = 1_000_000
#: A staged channel is shown whole in each stage: with its 8 KB window and the ABI's words, under
#: geth's 128 KiB a transaction.
MAX_STAGED_CHANNEL_BYTES = 118_000
ZERO = b"\x00" * 32


class StageTooCostly(ChallengerError):
    def __init__(self, budget: int, gas: int | None) -> None:
        super().__init__(f"a stage of {budget} output bytes needs {gas if gas is not None else 'more than the cap of'} L1 gas")
        self.budget, self.gas = budget, gas


class StagedBatchMissing(ChallengerError):
    def __init__(self, index: int, framed: int) -> None:
        super().__init__(f"batch {index} is not framed by the stages on L1 ({framed} batches framed)")
        self.index, self.framed = index, framed


class ChannelTooLargeToStage(ChallengerError):
    def __init__(self, size: int) -> None:
        super().__init__(f"a channel of {size} bytes cannot be shown in one stage (at most {MAX_STAGED_CHANNEL_BYTES})")
        self.size = size


def channel_output(channel: bytes) -> bytes:
    """The channel's output as the stages produce it: FastLZ decoded up to node's cap, or up to the
    instruction node refuses (then no batch counts, as in `read_channel`); empty for another
    compression."""
    if not channel or channel[0] != FASTLZ_CHANNEL_PREFIX:
        return b""
    out = bytearray()
    try:
        fastlz.decompress(channel[1:], MAX_RLP_BYTES_PER_CHANNEL, into=out)
    except CodecError:
        pass  # the stage that reaches this instruction ends the read with its error
    return bytes(out)


def needs_stages(channel: bytes) -> bool:
    """Whether deciding on this channel takes the staged read (its output too big for one L1 transaction)."""
    return len(channel_output(channel)) > ONE_TX_OUTPUT_BYTES


def segments_for(output: bytes, start: int, end: int) -> list[bytes]:
    """The recorded segments covering output[start:end], as `ChannelStages.batch` takes them."""
    if end == start:
        return []
    first, last = start // SEGMENT_BYTES, (end - 1) // SEGMENT_BYTES
    return [output[k * SEGMENT_BYTES:(k + 1) * SEGMENT_BYTES] for k in range(first, last + 1)]


Progress = tuple[bytes, int, int, bytes, int, int, bytes]
PROGRESS_ABI = "(bytes32,uint256,uint256,bytes32,uint256,uint256,bytes32)"
#: ChannelStages' `nextItemAt` once the framing broke.
FRAMING_BROKEN = 2**256 - 1


def progress_hash(progress: Progress) -> bytes:
    """keccak256(abi.encode(progress)), the key `ChannelStages.reached` records."""
    return keccak(abi_encode([PROGRESS_ABI], [tuple(progress)]))


def start_progress(channel: bytes) -> Progress:
    return (keccak(channel), 1, 0, keccak(b""), 0, 0, ZERO)


def framed_items(output: bytes) -> list[tuple[int, int]]:
    """(payload start, end) of every batch the stages frame in `output`, in order: node's
    `rlp_item_bounds` walk, with the last one kept when the output ends inside it (the stages frame
    a batch when its header is out; the read then does not count it)."""
    items: list[tuple[int, int]] = []
    at, size = 0, len(output)
    while at < size:
        prefix = output[at]
        if prefix < 0x80:
            offset, payload = 0, 1
        elif prefix >= 0xC0:
            break
        elif prefix < 0xB8:
            offset, payload = 1, prefix - 0x80
            if payload == 1 and (at + 1 >= size or output[at + 1] < 0x80):
                break
        else:
            length_of_length = prefix - 0xB7
            if at + 1 + length_of_length > size or output[at + 1] == 0:
                break
            offset, payload = 1 + length_of_length, int.from_bytes(output[at + 1:at + 1 + length_of_length], "big")
            if payload < 56:
                break
        items.append((at + offset, at + offset + payload))
        at += offset + payload
    return items


@dataclass(frozen=True, slots=True)
class StagedBatch:
    """What `ChannelStages.batch` takes to give batch `index` of a channel read by stages: two
    recorded progresses around it, the bounds of the batches framed between them, the segments."""

    start: Progress
    end: Progress
    index: int
    bounds: tuple[int, ...]
    segments: tuple[bytes, ...]

    def call_args(self) -> tuple[Any, ...]:
        return (self.start, self.end, self.index, list(self.bounds), list(self.segments))


class ChannelStageDriver:
    """Reads a channel on L1 by stages, one L1 transaction a call of `advance`, and shows a batch
    of it to a leaf (`staged_batch`)."""

    def __init__(self, l1: L1Client, txmgr: TxManager, address: str, channel: bytes, *,
                 stage_output_bytes: int = STAGE_OUTPUT_BYTES, tx_gas_cap: int = 16_777_216) -> None:
        if len(channel) > MAX_STAGED_CHANNEL_BYTES:
            raise ChannelTooLargeToStage(len(channel))
        self.l1, self.txmgr, self.channel = l1, txmgr, channel
        self.contract = l1.contract("ChannelStages", address)
        self.channel_hash = keccak(channel)
        self.output = channel_output(channel)
        self.stage_output_bytes, self.tx_gas_cap = stage_output_bytes, tx_gas_cap
        #: the progresses L1 recorded, in order, as far as this driver walked them (start first)
        self.progresses: list[Progress] = [start_progress(channel)]

    def read(self) -> tuple[bool, bytes, int, int]:
        """`ChannelStages.readOf`: (done, stop, batches, output length)."""
        done, stop, batches, length = self.l1.call(self.contract.functions.readOf(self.channel_hash))
        return bool(done), bytes(stop), int(batches), int(length)

    def run(self) -> list[dict[str, Any]]:
        """Every stage L1 lacks, sent in order; the receipts of those sent."""
        receipts = []
        while (receipt := self.advance()) is not None:
            receipts.append(receipt)
        return receipts

    def advance(self) -> dict[str, Any] | None:
        """Sends the first stage whose progress L1 has not recorded; None once the channel is read."""
        if self.read()[0]:
            return None
        progress = self._walk()
        budget = self.stage_output_bytes
        while True:
            function = self._stage(progress, budget)
            gas = self._estimate(function)
            if gas is not None and gas <= self.tx_gas_cap * 9 // 10:
                break
            if budget <= 1_024:
                raise StageTooCostly(budget, gas)
            budget //= 2  # many tiny batches cost a keccak each: fewer output bytes a stage
        reached: Progress = tuple(self.l1.call(function))  # type: ignore[assignment]
        receipt: dict[str, Any] = self.txmgr.send(candidate_of(function, gas_limit=min(self.tx_gas_cap, gas_with_headroom(gas))))
        if receipt.get("status") == 1 and self._recorded(reached):
            self.progresses.append(reached)
        return receipt

    def staged_batch(self, index: int) -> StagedBatch:
        """Batch `index`'s evidence for `ChannelStages.batch`, from the progresses recorded on L1."""
        self._walk()
        items = framed_items(self.output)
        for before, after in zip(self.progresses, self.progresses[1:]):
            if before[4] <= index < after[4]:
                bounds = tuple(start << 128 | end for start, end in items[before[4]:after[4]])
                start, end = items[index]
                return StagedBatch(before, after, index, bounds, tuple(segments_for(self.output, start, end)))
        raise StagedBatchMissing(index, int(self.progresses[-1][4]))

    def window(self, produced: int) -> bytes:
        return self.output[max(0, produced - WINDOW_BYTES):produced]

    def _walk(self) -> Progress:
        """The last progress L1 recorded along this driver's path (recomputed by eth_call, each
        checked against `reached`): where the next stage starts."""
        while len(self.progresses) > 1 and not self._recorded(self.progresses[-1]):
            self.progresses.pop()  # taken by a reorg
        while int(self.progresses[-1][1]) < len(self.channel) and (reached := self._recorded_next(self.progresses[-1])):
            self.progresses.append(reached)
        return self.progresses[-1]

    def _recorded_next(self, progress: Progress) -> Progress | None:
        """The recorded progress a stage from `progress` reached, at the budget `advance` would have
        used or any of its halvings; None if L1 has none."""
        budget = self.stage_output_bytes
        while budget >= 512:
            try:
                reached: Progress = tuple(self.l1.call(self._stage(progress, budget)))  # type: ignore[assignment]
            except LantauError:  # out of gas at the call's cap: a budget advance never sends
                budget //= 2
                continue
            if reached == tuple(progress):
                return None  # the stage that ends the read on a FastLZ error: it moves nothing on
            if self._recorded(reached):
                return reached
            budget //= 2
        return None

    def _stage(self, progress: Progress, budget: int) -> Any:
        return self.contract.functions.decodeStage(progress, self.channel, self.window(int(progress[2])), budget)

    def _estimate(self, function: Any) -> int | None:
        try:
            return self.l1.estimate_gas({"from": self.txmgr.address, "to": self.contract.address,
                                         "data": function._encode_transaction_data(), "gas": self.tx_gas_cap})
        except LantauError:
            return None  # over the cap (or out of gas at it)

    def _recorded(self, progress: Progress) -> bool:
        if tuple(progress) == start_progress(self.channel):
            return True
        return bool(self.l1.call(self.contract.functions.reached(progress_hash(progress))))
