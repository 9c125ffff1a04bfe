"""Evidence for the dispute's input leaf: what `InputOracle` (contracts/src/L1/derive/) reads to
decide an L2 block's inputs on L1, built from JSON-RPC answers of the L2 node and of L1.

The rules are node/derive's; this module only gathers and encodes. The transactions an L2 block
must start with are `node.derive.attributes.forced_transactions` (the L1-info deposit, then its
L1 origin's deposits in the origin's first block), built here from the origin's portal logs
with node's own deposit decoding (`node.deposit_event`), exactly as derivation builds them; the
oracle rebuilds the same bytes in Solidity (`DepositTxLib`) and checks the claim against them.

A user deposit's source hash names its position among the origin's portal deposits
(`node.deposit_event`), which the portal's hash chain fixes: the deposits shown are the whole
evidence for them (once their log indexes too, proven from the origin's receipts, which could
exceed one L1 transaction).

`encode_evidence(parent, evidence)` is the `evidence` argument of `IInputOracle.refutes`:
abi.encode(ParentProof, Evidence), in `InputOracle`'s struct layouts (`PARENT_PROOF_ABI`,
`EVIDENCE_ABI`).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Iterator, Mapping, Sequence

from eth.abc import SignedTransactionAPI
from eth_abi import encode as abi_encode
from eth_typing import Hash32

from bridge.l1_contracts import InputRules, input_oracle_config, l1_block_slots  # noqa: F401  (l1_block_slots re-exported)
from node.batch_inbox import CALLDATA_KIND, batch_item
from node.batches import SingularBatch, decode_batch
from node.blobs import decode_half
from node.channels import read_channel
from node.deposit_event import DepositEvent, decode_block_deposits, deposit_transaction
from node.derive.attributes import forced_transactions
from node.derive.channel_bank import ChannelBank
from node.derive.derivation_commitment import QueuedBatch
from node.derive.frames import frames_from_batcher_data
from node.derive.l1_source import InboxTransaction
from node.l1_block_ref import L1BlockRef
from node.errors import BlobEncodingError, LantauError
from node.l1_header import encode_l1_header
from prover.blob_evidence import BlobEvidence, blob_evidence, shown_blobs

PARENT_PROOF_ABI = "((bytes32,bytes32,bytes32,bytes32),bytes,bytes[],bytes[],bytes[],bytes[])"
BATCH_EVIDENCE_ABI = "(bytes,uint256,uint256,uint256)"
EVIDENCE_ABI = f"(bytes[],(address,address,bytes)[],uint256[],bytes[],{BATCH_EVIDENCE_ABI})"
CONFIG_ABI = "(address,address,address,uint256,uint256,uint256,uint256,uint256[3])"
OUTPUT_VERSION_V0 = bytes(32)


def oracle_config(*, anchors: str, portal: str, reader: str, rollup: Any, l2_chain_id: int) -> tuple:
    """`InputOracle.Config` for a rollup (`genesis.rollup_config.RollupConfig`): what its
    constructor takes (bridge's `input_oracle_config`, which the devnet deploys it with)."""
    rules = InputRules(l2_chain_id=l2_chain_id, max_sequencer_drift=rollup.max_sequencer_drift,
                       sequencing_window=rollup.sequencing_window, channel_timeout=rollup.channel_timeout)
    return input_oracle_config(anchors=anchors, portal=portal, reader=reader, l1_start_block=rollup.l1_start_block, rules=rules)


@dataclass(frozen=True, slots=True)
class ParentProof:
    """The agreed parent (L2 block n-1): its output root's parts, header and L1Block storage."""

    state_root: bytes
    message_passer_storage_root: bytes
    block_hash: bytes
    header: bytes
    l1_block_account: list[bytes]
    number_slot: list[bytes]
    hash_slot: list[bytes]
    sequence_slot: list[bytes]

    def as_abi(self) -> tuple:
        output = (OUTPUT_VERSION_V0, self.state_root, self.message_passer_storage_root, self.block_hash)
        return (output, self.header, self.l1_block_account, self.number_slot, self.hash_slot, self.sequence_slot)


def parent_proof(block: Mapping[str, Any], l1_block_proof: Mapping[str, Any], message_passer_proof: Mapping[str, Any]) -> ParentProof:
    """From the parent's `eth_getBlockByNumber`, `eth_getProof(L1Block, l1_block_slots())` and
    `eth_getProof(L2ToL1MessagePasser, [])` at that block (web3.py answers or raw JSON)."""
    storage = {_int(entry["key"]): [_bytes(n) for n in entry["proof"]] for entry in l1_block_proof["storageProof"]}
    number, hash_, sequence = l1_block_slots()
    return ParentProof(
        state_root=_bytes(block["stateRoot"]),
        message_passer_storage_root=_bytes(message_passer_proof["storageHash"]),
        block_hash=_bytes(block["hash"]),
        header=encode_l1_header(block),  # an L2 header has L1's fields (py-evm's Prague header)
        l1_block_account=[_bytes(n) for n in l1_block_proof["accountProof"]],
        number_slot=storage[number],
        hash_slot=storage[hash_],
        sequence_slot=storage[sequence],
    )


@dataclass(frozen=True, slots=True)
class UserDeposit:
    """One portal deposit as `InputOracle` reads it (`DepositTxLib.UserDeposit`)."""

    from_address: bytes
    to_address: bytes  # 20 zero bytes for a creation (as the portal's hash chain has it)
    opaque_data: bytes

    @classmethod
    def of(cls, event: DepositEvent) -> "UserDeposit":
        opaque = (
            event.mint.to_bytes(32, "big") + event.value.to_bytes(32, "big") + event.gas_limit.to_bytes(8, "big")
            + bytes([event.is_creation]) + event.data
        )
        to = bytes(20) if event.to_address is None else bytes(event.to_address)
        return cls(bytes(event.from_address), to, opaque)

    def as_abi(self) -> tuple:
        return (self.from_address, self.to_address, self.opaque_data)


def deposit_events(logs: Sequence[Mapping[str, Any]]) -> list[DepositEvent]:
    """The portal's `TransactionDeposited` logs of one L1 block (all of them), in log order, decoded."""
    return decode_block_deposits(logs)


def l1_block_ref(block: Mapping[str, Any]) -> L1BlockRef:
    return L1BlockRef(
        number=int(block["number"]), hash=Hash32(_bytes(block["hash"])), parent_hash=Hash32(_bytes(block["parentHash"])),
        timestamp=int(block["timestamp"]), base_fee=int(block["baseFeePerGas"]),
    )


def expected_forced_transactions(
    origin_block: Mapping[str, Any], sequence_number: int, deposit_logs: Sequence[Mapping[str, Any]]
) -> tuple[SignedTransactionAPI, ...]:
    """What derivation puts first in a block of this L1 origin and sequence number (node's rule)."""
    deposits = [deposit_transaction(event) for event in deposit_events(deposit_logs)]
    return forced_transactions(l1_block_ref(origin_block), sequence_number, deposits)


@dataclass(frozen=True, slots=True)
class InboxBlock:
    """The batcher transactions the inbox recorded in one L1 block, in block order: each one's
    (kind, item hash) (`node.batch_inbox.batch_item`) and its data as the leaves are shown it
    (`IDerivationStep.InboxData`): a calldata transaction's calldata, a blob transaction's blobs'
    first halves with their KZG evidence (`prover.blob_evidence.shown_blobs`); `blobs` each blob
    transaction's `BlobEvidence` by item index."""

    number: int
    items: list[tuple[int, bytes]]
    shown: list[bytes]
    blobs: dict[int, tuple[BlobEvidence, ...]] = field(default_factory=dict)

    def batcher_data(self) -> Iterator[tuple[int, bytes]]:
        """(item index, the batcher data) of each data item derivation reads from the block
        (node/derive/retrieval.py): a calldata transaction's calldata, each blob of a blob
        transaction decoded; a blob whose encoding node refuses gives none (derivation drops it)."""
        for index, (kind, _) in enumerate(self.items):
            if kind == CALLDATA_KIND:
                yield index, self.shown[index]
                continue
            for evidence in self.blobs[index]:
                try:
                    data = decode_half(evidence.half)
                except BlobEncodingError:
                    continue
                yield index, data


def inbox_block(number: int, txs: Sequence[InboxTransaction], blobs: Sequence[Sequence[bytes]]) -> InboxBlock:
    """The `InboxBlock` of L1 block `number` whose batcher transactions (to the inbox, from the
    batcher, succeeded: what derivation reads) are `txs`; `blobs[i]` the blobs of `txs[i]` in order
    (`L1Source.blobs`; none for a calldata transaction)."""
    items, shown, evidence = [], [], {}
    for index, (tx, tx_blobs) in enumerate(zip(txs, blobs, strict=True)):
        kind, item = batch_item(tx)
        items.append((kind, bytes(item)))
        if kind == CALLDATA_KIND:
            shown.append(tx.data)
            continue
        evidence[index] = blob_evidence(tx, tx_blobs)
        shown.append(shown_blobs(evidence[index]))
    return InboxBlock(number, items, shown, evidence)


@dataclass(frozen=True, slots=True)
class PostedFrame:
    """Where the batcher posted one frame of a channel: the L1 block, its inbox item (index in the
    block's `InboxBlock.items`) and the item's kind (calldata or blobs). The prover's record of where
    it found the channel; `InputOracle` is shown none of it."""

    l1_block: int
    item_index: int
    kind: int


@dataclass(frozen=True, slots=True)
class BatchEvidence:
    """`InputOracle.BatchEvidence`: see its NatSpec. An empty channel: no batch shown."""

    channel: bytes = b""
    batch_index: int = 0
    inclusion: int = 0  # the L1 block derivation read the channel in (`found`'s; the oracle checks it through `found`)
    block_index: int = 0
    posted: tuple[PostedFrame, ...] = ()  # not shown: where the frames were found, in frame-number order

    def as_abi(self) -> tuple:
        return (self.channel, self.batch_index, self.inclusion, self.block_index)

    def batch(self) -> bytes:
        """The batch's bytes, as derivation reads them from the channel (`node.channels.read_channel`)."""
        return read_channel(self.channel).batches[self.batch_index]

    def found(self) -> bytes:
        """`found` when derivation takes this batch, read in L1 block `inclusion`
        (`node.derive.derivation_commitment`'s `QueuedBatch.leaf`): what `InputOracle` compares it with."""
        return bytes(QueuedBatch(self.batch(), self.inclusion).leaf())

    def last_frame_block(self) -> int:
        """The L1 block the channel's last frame landed in: the earliest derivation can read it."""
        return max(frame.l1_block for frame in self.posted)


def find_batch(inbox_blocks: Sequence[InboxBlock], timestamp: int, *, chain_id: int, channel_timeout: int,
               found: bytes | None = None, included_from: int = 0) -> BatchEvidence | None:
    """The channel, batch and span block that carry the L2 block of `timestamp`, read from the
    inbox with node's own stages and decoders (`channels_read`: node's channel bank; `node.channels`,
    `node.batches`); None if no batch carries it. `inbox_blocks`: from the L1 block a derivation
    trace starts at (S: an empty bank there), in order. Only batches whose channel the bank reads in
    L1 block `included_from` or later (a block's L1 origin: its batch names the origin's hash, so it
    cannot be read before it). The evidence's `inclusion` is the block the bank reads the channel in
    (the one its last frame completes it in: one completion a block, no backlog, docs/batches.md "No
    backlog of channels"). Without `found`, the first such batch; with `found` (derivation's answer,
    `BatchEvidence.found`), only the batch whose leaf it is: a second batch for the same block is
    not the one derivation takes."""
    channels = (read for read in channels_read(inbox_blocks, channel_timeout=channel_timeout) if read.inclusion >= included_from)
    for batch in _batches_carrying(channels, timestamp, chain_id=chain_id):
        if found is None or batch.found() == found:
            return batch
    return None


@dataclass(frozen=True, slots=True)
class ReadChannel:
    """A channel node's channel bank reads: its bytes, the L1 block it is read in and where each of
    its frames was posted, in frame-number order."""

    channel: bytes
    inclusion: int
    posted: tuple[PostedFrame, ...]


def channels_read(inbox_blocks: Sequence[InboxBlock], *, channel_timeout: int) -> Iterator[ReadChannel]:
    """The channels node's `ChannelBank` reads from the inbox, in the order it reads them: the bank
    replayed from empty at the first block given (as a derivation trace starts at S:
    node/derive/derivation_commitment.py) over every L1 block number from there to the last given,
    each block's frames (node's frame stage, one batcher data item at a time) then its one
    `read_channel`. The chain's rules (the channel id's block range, one completion a block, timeouts,
    pruning) are the bank's alone (node/derive/channel_bank.py); this only notes where each frame
    the bank took was posted."""
    if not inbox_blocks:
        return
    by_number = {block.number: block for block in inbox_blocks}
    bank = ChannelBank(channel_timeout, replay=True)
    places: dict[tuple[bytes, int], PostedFrame] = {}  # (channel id, frame number) -> where the taken frame was posted
    lasts: dict[bytes, int] = {}  # channel id -> the number of the last frame the bank took for it
    for number in range(inbox_blocks[0].number, inbox_blocks[-1].number + 1):
        current = L1BlockRef(number, Hash32(bytes(32)), Hash32(bytes(32)), 0, 0)  # the bank reads the number alone
        block = by_number.get(number)
        for index, data in block.batcher_data() if block is not None else ():
            posted = PostedFrame(number, index, block.items[index][0])
            for frame in frames_from_batcher_data([data], l1_block=number):
                if bank.add_frame(frame, current):
                    places[(frame.channel_id, frame.number)] = posted
                    if frame.is_last:
                        lasts[frame.channel_id] = frame.number
        read = bank.read_channel(current)
        if read is not None:
            channel_id, channel = read  # whole: its last frame and every one before it taken
            yield ReadChannel(channel, number, tuple(places[(channel_id, n)] for n in range(lasts[channel_id] + 1)))


def _batches_carrying(channels: Iterator[ReadChannel], timestamp: int, *, chain_id: int) -> Iterator[BatchEvidence]:
    """Every (channel, batch, span block) of the channels read that carries the L2 block of `timestamp`."""
    for read in channels:
        # derivation keeps the batches before a break in the channel's stream (read_channel)
        for batch_index, encoded in enumerate(read_channel(read.channel).batches):
            try:
                span = decode_batch(encoded, chain_id=chain_id)
            except LantauError:
                continue  # derivation drops a batch that does not decode
            if isinstance(span, SingularBatch):
                if span.timestamp == timestamp:
                    yield BatchEvidence(read.channel, batch_index, read.inclusion, 0, read.posted)
                continue
            for block_index, element in enumerate(span.elements):
                if element.timestamp == timestamp:
                    yield BatchEvidence(read.channel, batch_index, read.inclusion, block_index, read.posted)


def origin_chain_numbers(parent_origin_number: int, l1_head: int) -> list[int]:
    """The L1 blocks whose headers `Evidence.origin_headers` shows when the parent's L1 origin O
    (at L2 genesis: the start block) is recent on L1, newest first: O + 1 when L1 has it, then O.
    From them `InputOracle` rebuilds both L1-info deposits derivation allows for the block (on O
    with the parent's sequence number + 1, on O + 1 with 0) and calls any other transaction 0 a lie.
    The head's own hash is not readable by an `eth_call` at the head (anvil runs it at the head's
    number): evidence naming the head as O + 1 checks in a transaction, one block later."""
    return [parent_origin_number + 1, parent_origin_number] if parent_origin_number + 1 <= l1_head else [parent_origin_number]


def parent_origin_number(number: int, origin_number: int, sequence_number: int) -> int:
    """The L1 origin of L2 block `number`'s parent, from the block's own origin and sequence number
    (derivation's rule: sequence number 0 moves to the next L1 block; block 1's parent, L2 genesis,
    has none, and the oracle starts from the start block, block 1's origin)."""
    return origin_number if sequence_number > 0 or number == 1 else origin_number - 1


@dataclass(frozen=True, slots=True)
class Evidence:
    """`InputOracle.Evidence`: see its NatSpec."""

    origin_headers: list[bytes]
    deposits: list[UserDeposit] = field(default_factory=list)
    raw_txs: dict[int, bytes] = field(default_factory=dict)
    batch: BatchEvidence = field(default_factory=BatchEvidence)

    def as_abi(self) -> tuple:
        indexes = sorted(self.raw_txs)
        return (
            self.origin_headers, [d.as_abi() for d in self.deposits],
            indexes, [self.raw_txs[i] for i in indexes], self.batch.as_abi(),
        )


def block_evidence(
    origin_chain: Sequence[Mapping[str, Any]],
    origin_block: Mapping[str, Any],
    sequence_number: int,
    deposit_logs: Sequence[Mapping[str, Any]],
    *,
    raw_txs: Mapping[int, bytes] | None = None,
) -> Evidence:
    """The evidence for a block of L1 origin `origin_block` and that sequence number. `origin_chain`:
    the L1 blocks `origin_chain_numbers` names, newest first, the first recent on L1.
    `deposit_logs`: all the origin's portal `TransactionDeposited` logs (shown in its first block)."""
    return Evidence(
        origin_headers=[encode_l1_header(block) for block in origin_chain],
        deposits=[UserDeposit.of(e) for e in deposit_events(deposit_logs)] if sequence_number == 0 else [],
        raw_txs=dict(raw_txs or {}),
    )


def encode_evidence(parent: ParentProof, evidence: Evidence) -> bytes:
    """The `evidence` bytes of `IInputOracle.refutes` for `InputOracle`."""
    return abi_encode([PARENT_PROOF_ABI, EVIDENCE_ABI], [parent.as_abi(), evidence.as_abi()])


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _int(value: Any) -> int:
    if isinstance(value, int):
        return value
    return int(value, 16) if isinstance(value, str) else int.from_bytes(bytes(value), "big")
