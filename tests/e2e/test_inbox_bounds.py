"""Hostile batcher data against the bounds that keep every derivation step one L1 transaction
(issue 15; docs/batches.md, "What one derivation step reads"): a verifier alone on a real anvil
(automine), the test the batcher posting to the real `BatchInbox`, `DerivationStep` deployed beside.

Each shape lands in its own L1 block of L2 block 1's range: an L1 block's batcher data past
131,072 bytes (the inbox reverts the transaction that passes it: node ignores it, "reverted on
L1"), a channel past 66,048 compressed bytes (`ChannelTooLong`), one of 66,048 bytes of one-byte
literal runs (FastLZ's dearest stream) holding more than 64 batches (`TooManyBatches`: the first 64
read), a bomb past 64,000 decompressed bytes (`FastLZTooLarge`), the largest span of transfers
within the bounds (judged and dropped: not on the parent), two channels completed in one L1 block
(the first read there, the second, block 1's batch, dropped: "second channel completed in one L1
block"), then block 1's batch again in a new channel in the next block. Node logs each drop; on EVERY L1
block of the range the step on node's pre-state gives node's commitment (`lantau_derivationTrace`);
the worst step's gas and calldata are printed and stay within 0.9 of EIP-7825's 16,777,216; block 1
is derived from the batch posted last (the chain goes on), node's block 1 is the one the trace decides.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import rlp

import tests.e2e.test_derivation_step as derivation_step_test
from bench.span_checks import signed
from bridge.devnet import L1Devnet
from node import fastlz
from node.batch_inbox import MAX_BATCHER_DATA_PER_L1_BLOCK
from node.batches import SpanBatch, SpanBatchElement, encode_batch
from node.channels import (
    FASTLZ_CHANNEL_PREFIX, MAX_BATCHES_PER_CHANNEL, MAX_CHANNEL_BYTES, MAX_RLP_BYTES_PER_CHANNEL, Frame, encode_batcher_tx_data,
    read_channel,
)
from tests.e2e.test_derivation_step import BATCHER, L2_CHAIN_ID, Run, channel_tx, start_run
from tests.e2e.test_verifier import wait_until

WINDOW = 24
STEP_GAS_BOUND = 16_777_216 * 9 // 10


def post_big(run: Run, *calldata: bytes) -> tuple[int, list[int]]:
    """`Run.post` with gas for big calldata (EIP-7623's floor): the block and each receipt's status."""
    run.l1_w3.provider.make_request("evm_setAutomine", [False])
    sent = [run.l1_w3.eth.send_transaction({"from": BATCHER.address, "to": run.l1.deployment.batch_inbox, "data": d,
                                            "gas": 40 * len(d) + 600_000}) for d in calldata]
    run.l1_w3.provider.make_request("evm_mine", [])
    run.l1_w3.provider.make_request("evm_setAutomine", [True])
    receipts = [run.l1_w3.eth.wait_for_transaction_receipt(h) for h in sent]
    assert len({r["blockNumber"] for r in receipts}) == 1
    return int(receipts[0]["blockNumber"]), [int(r["status"]) for r in receipts]


def closed(channel_id: bytes, channel: bytes) -> bytes:
    return encode_batcher_tx_data([Frame(channel_id, 0, channel, True)])


def one_byte_literals(content: bytes) -> bytes:
    """A FastLZ channel writing `content` one byte an instruction: the most instructions per byte."""
    return bytes([FASTLZ_CHANNEL_PREFIX]) + b"".join(bytes([0, x]) for x in content)


def test_hostile_batcher_data_is_dropped_alike_and_every_step_fits(node_factory, l1: L1Devnet, tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(derivation_step_test, "WINDOW", WINDOW)
    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, one, verifier = leaf.run, leaf.rollup, leaf.one, leaf.verifier
    start = rollup.l1_start_block
    rng = random.Random(15)
    shapes: dict[str, int] = {}

    # an L1 block's batcher data past its bound: the second 70,000 bytes revert in the inbox
    junk = [closed(run.channel_id(0x10 + i), b"\x02" + rng.randbytes(69_975)) for i in range(2)]
    assert all(len(j) == 70_000 for j in junk) and 2 * 70_000 > MAX_BATCHER_DATA_PER_L1_BLOCK
    shapes["two 70,000-byte transactions (the second reverted; the first a channel over 66,048 bytes)"], statuses = post_big(run, *junk)
    assert statuses == [1, 0]
    # 66,048 bytes of one-byte literal runs: 33,023 one-byte batches, the first 64 read
    literals = one_byte_literals(bytes(rng.randrange(0x80) for _ in range((MAX_CHANNEL_BYTES - 1) // 2)))
    assert len(literals) <= MAX_CHANNEL_BYTES and len(read_channel(literals).batches) == MAX_BATCHES_PER_CHANNEL
    shapes[f"a {len(literals):,}-byte channel of one-byte literal runs ({len(literals) // 2:,} batches)"], _ = post_big(run, closed(run.channel_id(0x20), literals))
    # a bomb: one batch of 1 MB in 11 KB
    bomb = bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(rlp.encode(b"\x01" + bytes(999_990)))
    shapes[f"a bomb ({len(bomb):,} B to 1 MB)"], _ = post_big(run, closed(run.channel_id(0x21), bomb))
    # the largest span of transfers within the bounds, on no agreed parent: decoded, judged, dropped
    txs = [signed("transfer", n, rng) for n in range(800)]
    for count in range(800, 0, -10):
        span = SpanBatch(L2_CHAIN_ID, bytes(20), bytes(20), True,
                         tuple(SpanBatchElement(leaf.t1 + b, start, tuple(txs[b * 10:(b + 1) * 10])) for b in range(count // 10)))
        content = rlp.encode(encode_batch(span))
        if len(content) <= MAX_RLP_BYTES_PER_CHANNEL:
            break
    span_channel = bytes([FASTLZ_CHANNEL_PREFIX]) + fastlz.compress(content)
    shapes[f"a span of {count} transfers ({len(span_channel):,} B to {len(content):,} B)"], _ = post_big(run, closed(run.channel_id(0x22), span_channel))
    # two channels completed in one L1 block: the junk one read there, the second (block 1's batch)
    # dropped; the batch sent again (a new channel) in the next block, read there
    two_block, _ = post_big(run, closed(run.channel_id(0x23), b"\x02\x00\x05"), channel_tx(run.channel_id(0x30), encode_batch(one)))
    shapes["two channels completed (the first read, the second dropped)"] = two_block
    assert run.post(channel_tx(run.channel_id(0x31), encode_batch(one))) == two_block + 1
    shapes["the next block (block 1's batch sent again, read)"] = two_block + 1
    while run.l1_w3.eth.block_number < start + WINDOW:
        run.l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 1, 300, "the verifier's safe head at block 1")
    for reason in ("ignoring inbox transaction: reverted on L1", f"channel of 69976 compressed bytes, at most {MAX_CHANNEL_BYTES}",
                   f"channel holds more than {MAX_BATCHES_PER_CHANNEL} batches", f"channel decompresses to more than {MAX_RLP_BYTES_PER_CHANNEL} bytes",
                   "dropping channel: second channel completed in one L1 block"):
        assert reason in verifier.output, reason

    trace = run.rpc("lantau_derivationTrace", "0x1")
    assert trace["found"]["inclusion"] == two_block + 1 and bytes.fromhex(trace["found"]["batch"][2:]) == encode_batch(one)
    assert run.l2.eth.get_block(1)["timestamp"] == leaf.t1  # block 1 from the batch: the chain went on
    gas: dict[int, int] = {}
    for b in range(trace["first"], trace["last"] + 1):
        args = run.step_args(1, b, start)
        assert run.call(args) == ("ok", bytes.fromhex(trace["commitments"][b - trace["first"]][2:])), f"L1 block {b}"
        if b <= two_block + 1:
            gas[b] = int(run.step.functions.step(*args).estimate_gas())
    print()
    for name, b in shapes.items():
        calldata = len(run.step.functions.step(*run.step_args(1, b, start))._encode_transaction_data()) // 2 - 1
        print(f"{name}: L1 block {b}, step {gas[b]:,} gas, {calldata:,} B calldata")
    worst = max(gas.values())
    print(f"worst step of the range: {worst:,} gas (bound {STEP_GAS_BOUND:,}); {len(gas)} steps equal node's commitments")
    assert worst <= STEP_GAS_BOUND
