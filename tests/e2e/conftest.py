from __future__ import annotations

import pytest

from tests.harness.devnet import l1_block_time_s, l1_devnet  # noqa: F401 (fixtures: `l1`, the L1 devnet)
from tests.harness.node_process import node_factory, shared_node  # noqa: F401 (fixtures: `lantau node` processes)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: the JSON-RPC fuzz target (bounded in CI; scripts/rpc_fuzz.py runs it long)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
