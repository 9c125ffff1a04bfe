from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from tests.e2e.processes import LantauNodeProcess
from tests.harness.devnet import l1_block_time_s, l1_devnet  # noqa: F401 (fixtures: `l1`, the L1 devnet)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "fuzz: the JSON-RPC fuzz target (bounded in CI; scripts/rpc_fuzz.py runs it long)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture
def node_factory(tmp_path: Path) -> Iterator["callable"]:
    """Start `lantau node` processes; every one is stopped when the test ends, pass or fail."""
    started: list[LantauNodeProcess] = []

    def start(data_dir: Path | None = None, **kwargs: object) -> LantauNodeProcess:
        process = LantauNodeProcess(data_dir or tmp_path / f"node{len(started)}", **kwargs)  # type: ignore[arg-type]
        started.append(process)
        return process.start()

    yield start
    for process in started:
        try:
            process.stop(timeout_s=20)  # SIGTERM: the node stops what it started (a devnet's anvil)
        except RuntimeError:
            pass
        process.kill()
