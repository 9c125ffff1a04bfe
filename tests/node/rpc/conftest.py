"""Fixtures for the JSON-RPC tests: a real node in process, served on a loopback port."""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable

import pytest

from node.rpc import RpcLimits
from tests.node.rpc.rpc_harness import Node, start_node, stop_node


@pytest.fixture
async def make_node() -> AsyncIterator[Callable[..., Awaitable[Node]]]:
    """Start nodes with given limits; all are stopped after the test."""
    nodes: list[Node] = []

    async def make(limits: RpcLimits = RpcLimits(), **options: Any) -> Node:
        node = await start_node(limits, **options)
        nodes.append(node)
        return node

    yield make
    for node in nodes:
        await stop_node(node)


@pytest.fixture
async def node(make_node: Callable[..., Awaitable[Node]]) -> Node:
    return await make_node()
