"""Full blocks formatted by the worker process (`node.rpc.full_blocks`) answer exactly what the
node process formats, through a reorg and a restart, and when the worker dies.

The reference is `test_rpc_read_records`'s slow path: the stored body and receipts decoded by
py-evm's builders, every sender recovered from its signature, formatted in the test process.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path


from genesis.config import GenesisConfig
from node.chain import Chain
from node.rpc.format import data
from node.rpc.full_blocks import FullBlockFormatter, JsonText
from node.rpc.server import RPC_SERVICE
from tests.node.rpc.rpc_harness import Node, l2_node_on, serve, stop_node
from tests.node.rpc.test_rpc_read_records import _build_and_reorg, assert_reads_match, build_chain, reference_block

GENESIS = GenesisConfig.load()


def formatter_of(node: Node) -> FullBlockFormatter:
    return node.server.app[RPC_SERVICE].context.full_blocks


async def worker_ready(node: Node) -> FullBlockFormatter:
    formatter = formatter_of(node)
    assert await asyncio.wrap_future(formatter.worker.start()) == formatter.worker.pid
    return formatter


async def test_worker_answers_as_the_node_process_through_a_reorg_and_a_restart(tmp_path: Path) -> None:
    chain = Chain.open(tmp_path, GENESIS)
    node = await serve(l2_node_on(chain))
    try:
        formatter = await worker_ready(node)
        # Builds blocks 1-3 and reads them all in full (kept by hash), then reorgs to a new
        # block 2 and reads again.
        answers, replaced_blocks, _ = await _build_and_reorg(node, chain)
        assert chain.canonical_hash(2) not in replaced_blocks
        # `latest` after the reorg is the new block 2, never the kept text of the old 2 or 3.
        latest_after = await node.call("eth_getBlockByNumber", "latest", True)
        assert latest_after["hash"] == data(chain.canonical_hash(2)) and latest_after["number"] == "0x2"
        assert latest_after["transactions"] == reference_block(chain, chain.canonical_hash(2))[3]
        assert formatter.formatted_by_worker >= 4 and formatter.formatted_here == 0
    finally:
        await stop_node(node)
        chain.close()

    reopened = Chain.open(tmp_path, GENESIS)
    node = await serve(l2_node_on(reopened))
    try:
        formatter = await worker_ready(node)
        hashes = [reopened.canonical_hash(1), reopened.canonical_hash(2), *replaced_blocks]
        assert await assert_reads_match(node, reopened, hashes) == answers
        # the two canonical blocks read in full, each formatted once: nothing kept across a restart
        assert formatter.formatted_by_worker == 2 and formatter.formatted_here == 0
    finally:
        await stop_node(node)
        reopened.close()


async def test_a_dead_worker_leaves_full_blocks_to_the_node_process_until_a_new_one_is_ready() -> None:
    chain = Chain.open(None, GENESIS)
    node = await serve(l2_node_on(chain))
    try:
        formatter = await worker_ready(node)
        await build_chain(node)
        first = await node.call("eth_getBlockByNumber", "0x1", True)
        assert (formatter.formatted_by_worker, formatter.formatted_here) == (1, 0)
        dead_pid = formatter.worker.pid
        assert dead_pid is not None
        os.kill(dead_pid, signal.SIGKILL)
        for number in (2, 3):
            full = await node.call("eth_getBlockByNumber", hex(number), True)
            assert full["transactions"] == reference_block(chain, chain.canonical_hash(number))[3]
        assert formatter.formatted_here >= 1 and formatter.formatted_by_worker + formatter.formatted_here == 3
        assert await node.call("eth_getBlockByNumber", "0x1", True) == first  # kept by hash
        # A new worker takes over.
        await worker_ready(node)
        assert formatter.worker.pid not in (None, dead_pid)
        formatter._kept.clear()
        by_worker = formatter.formatted_by_worker
        assert await node.call("eth_getBlockByNumber", "0x1", True) == first
        assert formatter.formatted_by_worker == by_worker + 1
    finally:
        await stop_node(node)
        chain.close()


def test_kept_blocks_are_bounded() -> None:
    formatter = FullBlockFormatter()
    for index in range(FullBlockFormatter.MAX_KEPT_BLOCKS + 5):
        formatter._keep(index.to_bytes(32, "big"), JsonText("{}"))
    assert len(formatter._kept) == FullBlockFormatter.MAX_KEPT_BLOCKS
    assert (0).to_bytes(32, "big") not in formatter._kept  # oldest dropped first

