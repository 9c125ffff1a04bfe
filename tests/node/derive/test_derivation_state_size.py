"""The size of derivation's state as the leaf is shown it (`IDerivationStep.State`, calldata of
`DerivationStep.step`), under hostile batcher data, driven through node's own stages
(`DerivationTrace`: frames, channel bank, channel reads, batch queue) on an L1 history whose
batcher transactions are each at most geth's 128 KiB: many open channels of tiny frames, big
frames left open, many future batches. Each shape prints the pre-state's calldata bytes and
the per-item cost, and the worst the bank's and queue's caps allow (docs/batches.md "What a
derivation step is shown")."""

from __future__ import annotations

import os

from eth_abi import encode as abi_encode

from node.batches import SingularBatch, encode_batch
from node.chain import Chain
from node.channels import FRAME_OVERHEAD, MAX_BATCHES_PER_CHANNEL, Frame, channel_id, encode_batcher_tx_data, encode_channel
from node.derive.channel_bank import MAX_CHANNEL_BANK_FRAMES
from node.derive.derivation_commitment import DerivationState, DerivationTrace
from node.rpc.rollup import _state_json
from prover.derivation_evidence import STATE_ABI, state_abi
from tests.harness.l1_history import L1History, batcher_tx
from tests.node.derive.sequencing import GENESIS, config, sequence_block

#: geth's largest transaction (txMaxSize), less room for the transaction's other fields.
TX_DATA = 128 * 1024 - 1024
#: The most bank a pre-state can show: MAX_CHANNEL_BANK_FRAMES channels of one frame each, 12 words
#: a channel of one frame (its offset, id, open block, closing, frames' offset and count; the
#: frame's offset, number, length, hash, data offset and empty data), and 6 words: the state's offset, its
#: three head words, the lengths of its channels and queue.
WORST_BANK = MAX_CHANNEL_BANK_FRAMES * 12 * 32 + 6 * 32


def state_calldata(state: DerivationState) -> bytes:
    """`IDerivationStep.State` for this state ABI-encoded, as the prover encodes it from node's
    `lantau_derivationState` answer."""
    return abi_encode([STATE_ABI], [state_abi(_state_json(state))])


def calldata_gas(data: bytes) -> tuple[int, int]:
    """What `data` costs as calldata: EIP-2028's 4 / 16 gas a zero / non-zero byte, and EIP-7623's
    floor (10 gas a token, a non-zero byte 4 tokens), which a transaction of little execution pays."""
    zeros = data.count(0)
    return 4 * zeros + 16 * (len(data) - zeros), 10 * (zeros + 4 * (len(data) - zeros))


def state_bytes(state: DerivationState) -> int:
    return len(state_calldata(state))


def _worst_pre_state(posted: list[list[bytes]]) -> tuple[int, DerivationState, int, int]:
    """Node's stages over L1 blocks 1.. carrying `posted` (each block's batcher transactions' data,
    its channel ids naming L1 block 1),
    then empty blocks to the range's end, for L2 block 1: the largest state after an L1 block
    (what a step's pre-state may be), its calldata size, and the calldata's gas and EIP-7623 floor."""
    l1 = L1History()
    sequencer = Chain.open(None, GENESIS)
    l1.append(100)
    sequence_block(sequencer, l1, 101)
    for data in posted:
        l1.append(100 + 12 * len(l1.blocks), txs=[batcher_tx(d) for d in data])
    while len(l1.blocks) < 9:
        l1.append(100 + 12 * len(l1.blocks))
    trace = DerivationTrace(config(), sequencer, sequencer.header_by_number(0), l1)
    state = max((trace.state_after(b) for b in range(trace.first, trace.last + 1)), key=state_bytes)
    gas, floor = calldata_gas(state_calldata(state))
    return state_bytes(state), state, gas, floor


def test_many_open_channels_of_tiny_frames() -> None:
    """One full batcher transaction per L1 block of one-byte frames, each opening a channel that
    never closes: every one stays in the bank until it times out or the bank's cap prunes it."""
    per_tx = TX_DATA // (FRAME_OVERHEAD + 1)
    posted = [[encode_batcher_tx_data([Frame(channel_id(1, os.urandom(8)), 0, b"\x01", False) for _ in range(per_tx)])] for _ in range(3)]
    size, state, gas, floor = _worst_pre_state(posted)
    frames = sum(len(c.frames) for c in state.channels)
    print(f"\nopen channels: {per_tx:,} one-byte frames a transaction, each opening a channel, 3 L1 blocks: the bank holds "
          f"{len(state.channels)} channels of one frame (was {3 * per_tx:,}): pre-state {size:,} B ({size / frames:.0f} B a frame; "
          f"was 5,721,600 B), its calldata {gas:,} gas (EIP-7623 floor {floor:,})")
    assert len(state.channels) == frames == MAX_CHANNEL_BANK_FRAMES
    assert state.channels[-1].frames == ((0, b"\x01"),)  # the newest kept, the oldest pruned
    assert size <= WORST_BANK


def test_big_frames_left_open() -> None:
    """A full batcher transaction per L1 block: one frame of ~127 KB of a channel never closed."""
    data = TX_DATA - FRAME_OVERHEAD - 1
    size, state, gas, floor = _worst_pre_state([[encode_batcher_tx_data([Frame(channel_id(1, os.urandom(8)), 0, os.urandom(data), False)])]
                                                for _ in range(3)])
    print(f"\nbig open frames: {len(state.channels)} channels of one {data:,} B frame: pre-state {size:,} B "
          f"(was 391,296 B), its calldata {gas:,} gas (EIP-7623 floor {floor:,})")
    assert len(state.channels) == 3 and size < 2_000


def test_many_future_batches() -> None:
    """Batches whose parent is not the agreed one, many per channel: the pipeline keeps them for
    later blocks, the trace on its agreed parent drops them (never its block's), so the queue a
    step is shown stays empty."""
    origin_hash = L1History().append(100).hash
    batches = [encode_batch(SingularBatch(os.urandom(32), 0, origin_hash, 200 + i, ())) for i in range(2_000)]
    channel = encode_channel(batches)
    assert len(channel) < TX_DATA
    size, state, gas, floor = _worst_pre_state([[encode_batcher_tx_data([Frame(channel_id(1, os.urandom(8)), 0, channel, True)])]])
    print(f"\nfuture batches: {len(batches):,} on other parents ({len(batches[0])} B each, {len(channel):,} B compressed in one "
          f"transaction): {len(state.queue)} held, pre-state {size:,} B (was 2,000 held, 448,192 B: 224 B a batch, 10,000 at "
          f"the former MAX_BUFFERED_BATCHES), its calldata {gas:,} gas (EIP-7623 floor {floor:,})")
    assert state.queue == () and size <= 6 * 32
