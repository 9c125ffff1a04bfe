"""What makes a test `e2e`: it starts a process (anvil, `lantau node`, node, a child Python).

`make test-unit` (`-m 'not e2e'`) must start none. A test is marked here when its fixtures
include one that starts a process (or, for the RWA tests, picks the chain process to run on),
and tests/e2e/ is marked by path; a test that starts one itself says `@pytest.mark.e2e`. Any
other test that tries to start a process fails, naming the marker, instead of running one.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

# Every fixture of these names starts a process (or, rwa_backend, chooses which one the test uses).
PROCESS_FIXTURES = frozenset({
    "anvil",  # tests/harness/anvil.py (tests/bridge, tests/contracts), tests/e2e/test_debug_trace.py
    "l1",  # an anvil with the L1 contracts: tests/bridge, tests/e2e (tests/harness/devnet.py), tests/node/test_output_root.py
    "devnet",  # tests/bridge/test_devnet_oracle.py, tests/e2e/test_cli_errors.py
    "rollup",  # tests/sequencer/test_batcher.py: an L1 devnet
    "node_factory", "shared_node",  # tests/e2e: `lantau node` processes (per test, per module)
    "rwa_anvil", "rwa_l2_node", "rwa_backend",  # tests/rwa: the chain every RWA test runs on
})


@pytest.hookimpl(trylast=True)  # after tests/e2e/conftest.py marks its files e2e
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if PROCESS_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.e2e)
    if os.environ.get("CI") and not config.getoption("markexpr"):
        # CI runs the bounded share; `make test-campaigns` runs the long scenarios (pyproject markers).
        campaigns = [item for item in items if item.get_closest_marker("campaign") is not None]
        if campaigns:
            config.hook.pytest_deselected(items=campaigns)
            items[:] = [item for item in items if item.get_closest_marker("campaign") is None]
    items[:] = files_that_start_processes_first(items)


def files_that_start_processes_first(items: list[pytest.Item]) -> list[pytest.Item]:
    """The files with an e2e test (seconds to minutes each) before the rest (milliseconds), each
    file's tests together and in their order: `make test`'s workers (pytest-xdist, a file at a
    time, in this order) start on the long files and end on short ones, not on one long file."""
    slow_files = {item.path for item in items if item.get_closest_marker("e2e") is not None}
    return sorted(items, key=lambda item: item.path not in slow_files)  # stable: the order within each group stays


def pytest_report_header(config: pytest.Config) -> str | None:
    if os.environ.get("CI") and not config.getoption("markexpr"):
        return "CI is set: tests marked `campaign` are deselected; `make test-campaigns` runs them"
    return None


def _refuse_to_start(self: subprocess.Popen[Any], args: Any, *rest: Any, **kwargs: Any) -> None:
    raise RuntimeError(f"a test not marked e2e started a process ({args!r}): mark it `@pytest.mark.e2e`")


def _guarded(item: pytest.Item) -> Iterator[None]:
    if item.get_closest_marker("e2e") is not None:
        return (yield)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess.Popen, "_execute_child", _refuse_to_start)
        return (yield)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    return (yield from _guarded(item))
