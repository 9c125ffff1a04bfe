"""`bridge.l1_log_cache` against a real anvil: logs read incrementally answer exactly what one
`eth_getLogs` over the whole range answers, as new blocks come, after an L1 reorg that replaces
logged blocks (evm_revert, then other logs), after one that shortens the chain below every
checkpoint, and for a second event of the same contract kept apart; with segments of a few
blocks and an LRU of a few logs, every page read in any order (most beyond the bound, read
again from L1) is that slice of the whole read, and the logs held never exceed the bound."""

from __future__ import annotations

import random
from typing import Any

from eth_utils import to_checksum_address
from web3 import Web3

from bridge.anvil import AnvilProcess
from bridge.l1_client import L1Client
from bridge.l1_log_cache import L1LogCache

# Runtime 0x6000356000 6000a100: LOG1(topic = calldataload(0)) with no data, then STOP.
# Init code (as tests/bridge/l1_harness.py's forwarder): PUSH1 9 DUP1 PUSH1 9 PUSH0 CODECOPY PUSH0 RETURN.
EMITTER_INIT_CODE = "0x6009806009" + "5f395ff3" + "600035600060" + "00a100"
TOPIC_A = "0x" + "aa" * 32
TOPIC_B = "0x" + "bb" * 32


def emit(w3: Web3, emitter: str, topic: str) -> int:
    """Mine one block whose one transaction logs `topic`; its number."""
    tx_hash = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": emitter, "data": topic})
    return int(w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60)["blockNumber"])


def whole_range(w3: Web3, emitter: str, topic: str, from_block: int) -> list[dict[str, Any]]:
    """One eth_getLogs from `from_block` to latest, as JSON (what the cache must equal)."""
    return list(w3.provider.make_request("eth_getLogs", [{"address": emitter, "topics": [topic],  # type: ignore[arg-type]
                                                          "fromBlock": hex(from_block), "toBlock": "latest"}])["result"])


def test_incremental_logs_equal_one_whole_read_through_new_blocks_and_reorgs(anvil: AnvilProcess, w3: Web3) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "data": EMITTER_INIT_CODE}), timeout=60)
    emitter = to_checksum_address(receipt["contractAddress"])
    start = int(receipt["blockNumber"])
    l1 = L1Client.connect(anvil.rpc_url)
    cache = L1LogCache(l1, from_block=start, segment_blocks=2, max_cached_logs=3)  # reorgs inside and across segments
    before_logs = anvil.rpc("evm_snapshot")

    assert cache.logs(emitter, TOPIC_A) == [] and cache.read_through(emitter, TOPIC_A) == start
    first = [emit(w3, emitter, TOPIC_A) for _ in range(3)]
    emit(w3, emitter, TOPIC_B)
    logs = cache.logs(emitter, TOPIC_A)
    assert [int(log["blockNumber"], 16) for log in logs] == first
    assert logs == whole_range(w3, emitter, TOPIC_A, start)
    assert cache.read_through(emitter, TOPIC_A) == w3.eth.block_number

    # A reorg replacing the last two logged blocks with others that log elsewhere and later.
    fork = anvil.rpc("evm_snapshot")
    kept = emit(w3, emitter, TOPIC_A)
    assert cache.logs(emitter, TOPIC_A)[-1]["blockNumber"] == hex(kept)
    anvil.rpc("evm_revert", [fork])
    w3.provider.make_request("anvil_mine", [hex(2)])  # type: ignore[arg-type]
    replaced = emit(w3, emitter, TOPIC_A)
    assert replaced > kept
    logs = cache.logs(emitter, TOPIC_A)
    assert [int(log["blockNumber"], 16) for log in logs] == first + [replaced]
    assert logs == whole_range(w3, emitter, TOPIC_A, start)
    assert cache.logs(emitter, TOPIC_B) == whole_range(w3, emitter, TOPIC_B, start) and len(cache.logs(emitter, TOPIC_B)) == 1

    # A reorg back to before the first log, to a shorter chain: every later checkpoint is gone.
    anvil.rpc("evm_revert", [before_logs])
    assert w3.eth.block_number == start
    again = emit(w3, emitter, TOPIC_B)
    assert cache.logs(emitter, TOPIC_A) == [] == whole_range(w3, emitter, TOPIC_A, start)
    assert [int(log["blockNumber"], 16) for log in cache.logs(emitter, TOPIC_B)] == [again]
    assert cache.read_through(emitter, TOPIC_B) == again


def test_pages_beyond_the_bound_read_again_from_l1_and_memory_stays_bounded(anvil: AnvilProcess, w3: Web3) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_transaction({"from": w3.eth.accounts[0], "data": EMITTER_INIT_CODE}), timeout=60)
    emitter = to_checksum_address(receipt["contractAddress"])
    start = int(receipt["blockNumber"])
    cache = L1LogCache(L1Client.connect(anvil.rpc_url), from_block=start, segment_blocks=4, max_cached_logs=6)
    for i in range(40):
        emit(w3, emitter, TOPIC_A if i % 5 else TOPIC_B)
        if i % 9 == 0:  # read while L1 grows: incremental reads fill the LRU
            assert cache.logs(emitter, TOPIC_A) == whole_range(w3, emitter, TOPIC_A, start)
    everything = whole_range(w3, emitter, TOPIC_A, start)
    assert len(everything) == 32
    rng = random.Random(3)
    for _ in range(30):
        first = rng.randrange(len(everything))
        size = rng.randrange(1, 8)
        positions, logs = cache.read(emitter, TOPIC_A, lambda total: range(first, min(total, first + size)))
        assert positions == range(first, min(len(everything), first + size))
        assert logs == everything[positions.start:positions.stop]
        assert cache.cached_log_count() <= 6
    # The other event's index is its own; reading it evicts A's segments, not its counts.
    assert cache.logs(emitter, TOPIC_B) == whole_range(w3, emitter, TOPIC_B, start) and cache.cached_log_count() <= 6
    positions, logs = cache.read(emitter, TOPIC_A, lambda total: range(total - 3, total))
    assert positions == range(29, 32) and logs == everything[29:]
    # A refusal from the positions callable leaves the cache as it was.
    def refuse(total: int) -> range:
        raise ValueError(f"no page in {total}")
    try:
        cache.read(emitter, TOPIC_A, refuse)
    except ValueError as exc:
        assert str(exc) == "no page in 32"
    else:
        raise AssertionError("the refusal was swallowed")
    assert cache.logs(emitter, TOPIC_A) == everything
