"""One L2 block's user transactions at most `MAX_BLOCK_USER_TRANSACTIONS` (docs/batches.md "One L2
block's user transactions"): the sequencer never builds a block over it, and a batch with a block
over it, posted on L1 as the batcher, is dropped by node (a logged reason) and by L1 alike.

- A real `lantau node` sequencer with its batcher on a real anvil, under a flood (10 senders, 1,200
  transfers sent while a block is 5 s long), builds blocks of exactly the bound, none over, and
  mines every transaction later; the fullest block, batched by its batcher, is decided on L1 by
  `InputOracle.checkInputs` with its batch shown (its gas printed, under EIP-7825's cap).
- A verifier alone on a real anvil where the test is the batcher: a singular batch and a span
  batch for block 1 with 501 transfers are posted first, then a valid batch. Node drops both with
  the reason, takes the valid one, and the chain goes on (block 2); `DerivationStep.step` gives
  node's commitment (`lantau_derivationTrace`) at every L1 block of block 1's range, the blocks
  with the batches over the bound included.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
import requests
from eth_account import Account
from web3 import Web3

from bridge.devnet import L1Devnet, devnet_rollup_config
from genesis.config import DEVNET_GENESIS_PATH
from genesis.dev_accounts import dev_accounts
from node.batches import MAX_BLOCK_USER_TRANSACTIONS, SpanBatch, encode_batch
from node.txpool import MAX_BLOCK_USER_TX_BYTES
from prover.staged_step import EIP_7825_TX_GAS_CAP
from tests.e2e.test_derivation_step import BATCHER, L2_CHAIN_ID, WINDOW, channel_tx, start_run
from tests.e2e.test_input_oracle import Setup, deploy_oracle
from tests.e2e.test_verifier import wait_until, write_rollup

SENDERS = dev_accounts()[:10]
RECIPIENT = Web3.to_checksum_address("0x" + "5b" * 20)


def transfer(sender: int, nonce: int) -> bytes:
    return bytes(Account.sign_transaction({
        "to": RECIPIENT, "value": 1 + nonce, "gas": 21_000, "nonce": nonce, "maxFeePerGas": 10**11,
        "maxPriorityFeePerGas": 10**9, "chainId": L2_CHAIN_ID}, SENDERS[sender].private_key).raw_transaction)


def user_transactions(block: dict) -> int:
    return sum(1 for tx in block["transactions"] if tx["type"] != 0x7E)


def test_a_flooded_sequencer_builds_blocks_at_the_bound_and_mines_everything(node_factory, l1: L1Devnet, tmp_path: Path) -> None:
    rollup_path = write_rollup(l1, tmp_path)
    rollup = devnet_rollup_config(l1.deployment, DEVNET_GENESIS_PATH)
    node = node_factory(data_dir=tmp_path / "sequencer", block_time_s=5, extra_args=(
        "--l1-rpc", l1.anvil.rpc_url, "--rollup-config", str(rollup_path), "--batcher-key", BATCHER.private_key))
    l2 = Web3(Web3.HTTPProvider(node.rpc_url))
    per_sender = 120
    raws = [transfer(s, n) for n in range(per_sender) for s in range(len(SENDERS))]
    assert sum(len(raw) for raw in raws[:MAX_BLOCK_USER_TRANSACTIONS]) < MAX_BLOCK_USER_TX_BYTES  # the count binds, not the bytes
    first = l2.eth.block_number
    hashes = _send_in_batches(node.rpc_url, raws)  # JSON-RPC batches: the flood is in the pool within one 5 s block
    wait_until(lambda: all(_mined(l2, h) for h in hashes[-len(SENDERS):]), 120, "every sender's last transfer mined")
    receipts = [l2.eth.get_transaction_receipt(h) for h in hashes]
    assert all(r["status"] == 1 for r in receipts)
    blocks = [l2.eth.get_block(n, full_transactions=True) for n in range(first + 1, l2.eth.block_number + 1)]
    counts = [user_transactions(b) for b in blocks]
    print(f"user transactions per block under the flood: {[c for c in counts if c]}")
    assert max(counts) == MAX_BLOCK_USER_TRANSACTIONS and sum(counts) == len(raws)
    assert counts.count(MAX_BLOCK_USER_TRANSACTIONS) >= 1
    assert {bytes(tx["hash"]) for b in blocks for tx in b["transactions"] if tx["type"] != 0x7E} == set(hashes)

    # the fullest block, batched by the sequencer's batcher, decided on L1 with its batch shown
    fullest = int(blocks[counts.index(MAX_BLOCK_USER_TRANSACTIONS)]["number"])
    wait_until(lambda: l2.provider.make_request("lantau_syncStatus", [])["result"]["safe_l2"]["number"] >= fullest, 180, "safe head")
    l1_w3, oracle, abi = deploy_oracle(l1, rollup)
    setup = Setup(l1, l1_w3, l2, oracle, abi, rollup)
    decide_at_the_bound(setup, fullest, rollup.l1_start_block)


def decide_at_the_bound(setup: Any, number: int, start: int) -> None:
    hashes, timestamp, evidence, forced = setup.honest(number)
    assert len(hashes) - forced == MAX_BLOCK_USER_TRANSACTIONS
    shown = setup.with_batch(number, evidence, setup.inbox_blocks(start, setup.l1_w3.eth.block_number))
    assert shown is not None, "no batch carries the block"
    assert setup.check(number, hashes, timestamp, shown) == ("ok", forced)
    assert setup.check(number, [*hashes[:-1], hashes[-2]], timestamp, shown) == ("NotTheBatchedTransactions", len(hashes) - 1)
    gas = setup.gas(number, hashes, timestamp, shown)
    print(f"InputOracle.checkInputs on a block of {MAX_BLOCK_USER_TRANSACTIONS} transfers with its batch shown: {gas:,} gas "
          f"(EIP-7825: {EIP_7825_TX_GAS_CAP:,})")
    assert gas < EIP_7825_TX_GAS_CAP * 9 // 10


def _send_in_batches(rpc_url: str, raws: list[bytes], per_request: int = 300) -> list[bytes]:
    """Each raw transaction sent by `eth_sendRawTransaction` in JSON-RPC batches of `per_request`
    (one at a time, 1,200 sends on a loaded machine outlast a 5 s block, and the block under the
    flood held 497, not the bound); the hashes in the order sent, every send accepted."""
    hashes: list[bytes] = []
    for start in range(0, len(raws), per_request):
        chunk = raws[start:start + per_request]
        calls = [{"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction", "params": ["0x" + raw.hex()]}
                 for i, raw in enumerate(chunk)]
        replies = sorted(requests.post(rpc_url, json=calls, timeout=60).json(), key=lambda reply: reply["id"])
        assert [reply.get("error") for reply in replies] == [None] * len(chunk), replies[:3]
        hashes += [bytes.fromhex(reply["result"][2:]) for reply in replies]
    return hashes


def _mined(l2: Web3, tx_hash: bytes) -> bool:
    try:
        return l2.eth.get_transaction_receipt(tx_hash) is not None
    except Exception:  # noqa: BLE001 (not mined yet)
        return False


@pytest.mark.parametrize("l1_block_time_s", [None])  # the `l1` devnet on automine: L1 moves when the test sends or mines
def test_a_batch_with_a_block_over_the_bound_is_dropped_by_node_and_l1(node_factory, l1: L1Devnet, tmp_path: Path, l1_block_time_s: None) -> None:
    leaf = start_run(node_factory, l1, tmp_path)
    run, rollup, verifier, one = leaf.run, leaf.rollup, leaf.verifier, leaf.one
    l1_w3, start = run.l1_w3, rollup.l1_start_block
    over = tuple(transfer(n % len(SENDERS), n // len(SENDERS)) for n in range(MAX_BLOCK_USER_TRANSACTIONS + 1))
    singular_over = dataclasses.replace(one, transactions=over)
    span_over = SpanBatch.from_singular_batches([singular_over], chain_id=L2_CHAIN_ID)

    # automine: each channel in an L1 block of its own (one channel completes an L1 block)
    sent = [l1_w3.eth.send_transaction({"from": BATCHER.address, "to": l1.deployment.batch_inbox, "data": data, "gas": 6_000_000})
            for data in (channel_tx(run.channel_id(0xc0), encode_batch(singular_over)), channel_tx(run.channel_id(0xc1), encode_batch(span_over)))]
    receipts = [l1_w3.eth.wait_for_transaction_receipt(h) for h in sent]
    assert all(r["status"] == 1 for r in receipts)
    assert receipts[0]["blockNumber"] != receipts[1]["blockNumber"]
    over_block = int(receipts[0]["blockNumber"])
    valid_block = run.post(channel_tx(run.channel_id(0xc2), encode_batch(one)))
    while l1_w3.eth.block_number < start + WINDOW + 1:
        l1_w3.provider.make_request("evm_mine", [])
    wait_until(lambda: run.rpc("lantau_syncStatus")["safe_l2"]["number"] >= 2, 120, "the verifier's safe head past block 1")
    reason = f"block 0 of the batch has {MAX_BLOCK_USER_TRANSACTIONS + 1} user transactions, limit {MAX_BLOCK_USER_TRANSACTIONS}"
    assert verifier.output.count(f"dropping batch: {reason}") == 2, verifier.output[-3000:]

    trace = run.rpc("lantau_derivationTrace", "0x1")
    assert bytes.fromhex(trace["found"]["batch"][2:]) == encode_batch(one) and trace["found"]["inclusion"] == valid_block
    commitments = [bytes.fromhex(c[2:]) for c in trace["commitments"]]
    stepped = []
    for b in range(trace["first"], trace["last"] + 1):
        args = run.step_args(1, b, start)
        assert run.call(args) == ("ok", commitments[b - trace["first"]]), f"L1 block {b}"
        if b in (over_block, over_block + 1):
            gas = run.step.functions.step(*args).estimate_gas()
            print(f"DerivationStep.step on L1 block {b}, reading a batch over the bound: {gas:,} gas")
            assert gas < 16_777_216
        stepped.append(b)
    assert over_block in stepped and valid_block in stepped
    assert run.l2.eth.get_block(1)["timestamp"] == one.timestamp
