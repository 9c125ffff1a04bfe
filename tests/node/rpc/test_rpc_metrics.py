"""/metrics never blocks the event loop: a gauge that hangs (an L1 call during an L1 outage)
costs the scrape a 503 after the metrics timeout while JSON-RPC keeps answering at once."""

from __future__ import annotations

import asyncio
import threading
import time

from node.metrics import MetricsRegistry
from node.rpc import server
from tests.node.rpc.rpc_harness import start_node, stop_node


async def test_a_hanging_gauge_does_not_freeze_rpc(monkeypatch) -> None:
    monkeypatch.setattr(server, "METRICS_TIMEOUT_S", 0.5)
    release = threading.Event()
    node = await start_node()
    registry = MetricsRegistry()
    registry.gauge("lantau_test_l1_balance", "Reads L1.", lambda: release.wait(10) and 1.0)
    registry.gauge("lantau_test_head", "Local.", lambda: 7.0)
    node.backend.metrics = registry
    try:
        scrapes = [asyncio.ensure_future(node.session.get(str(node.server.make_url("/metrics")))) for _ in range(3)]
        await asyncio.sleep(0.05)
        started = time.monotonic()
        assert await node.call("eth_blockNumber") == "0x0"
        assert time.monotonic() - started < 0.3  # was: waited for the gauge (up to the L1 timeout)
        statuses = [(await scrape).status for scrape in scrapes]
        assert statuses == [503, 503, 503]
        release.set()
        await asyncio.sleep(0.1)
        async with node.session.get(str(node.server.make_url("/metrics"))) as reply:
            assert reply.status == 200 and "lantau_test_head 7" in await reply.text()
    finally:
        release.set()
        await stop_node(node)
