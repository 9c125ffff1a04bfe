"""What makes a test `e2e`: it starts a process (anvil, `lantau node`, node, a child Python).

`make test-unit` (`-m 'not e2e'`) must start none. A test is marked here when its fixtures
include one that starts a process (or, for the RWA tests, picks the chain process to run on),
and tests/e2e/ is marked by path; a test that starts one itself says `@pytest.mark.e2e`. Any
other test that tries to start a process fails, naming the marker, instead of running one.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
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


# Seconds each file's tests took in a `make test` run (setup, call and teardown summed), written
# by `make test-durations`: the order the workers take the files that start processes in.
FILE_SECONDS_PATH = Path(__file__).with_name("durations.json")
# A file that starts processes and is not in FILE_SECONDS_PATH yet (a new e2e test: "seconds to
# ~1 minute"): placed among the recorded files as if it took this long.
UNRECORDED_FILE_S = 30.0


def recorded_file_seconds() -> dict[str, float]:
    """FILE_SECONDS_PATH's figures by path relative to the repository ({} if there is no record)."""
    if not FILE_SECONDS_PATH.exists():
        return {}
    return {str(path): float(seconds) for path, seconds in json.loads(FILE_SECONDS_PATH.read_text()).items()}


def files_that_start_processes_first(items: list[pytest.Item], recorded: dict[str, float] | None = None) -> list[pytest.Item]:
    """The files with an e2e test (seconds to minutes each) before the rest (milliseconds), the
    longest first by `recorded` (FILE_SECONDS_PATH's), each file's tests together and in their
    order: `make test`'s workers (pytest-xdist, a file at a time, in this order) start on the
    longest files and end on short ones together, instead of one worker taking a long file late
    while the other runs out of work."""
    slow_files = {item.path for item in items if item.get_closest_marker("e2e") is not None}
    recorded = recorded_file_seconds() if recorded is None else recorded

    def order(item: pytest.Item) -> tuple[bool, float]:
        if item.path not in slow_files:
            return (True, 0.0)  # the fast files keep their collection order
        return (False, -recorded.get(_repo_path(item.path), UNRECORDED_FILE_S))

    return sorted(items, key=order)  # stable: the order within each file stays


def _repo_path(path: Path) -> str:
    return path.relative_to(FILE_SECONDS_PATH.parent.parent).as_posix()


class FileSeconds:
    """`LANTAU_RECORD_DURATIONS=1` (`make test-durations`): sums every test report's duration by
    file (on pytest-xdist's controller, which sees every worker's reports) and writes the sums to
    FILE_SECONDS_PATH when the run ends, unless it was interrupted (a failed test's seconds still
    say how long its file keeps a worker)."""

    def __init__(self) -> None:
        self.seconds: defaultdict[str, float] = defaultdict(float)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.seconds[report.nodeid.split("::", 1)[0]] += report.duration

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) and self.seconds:
            figures = {path: round(seconds, 1) for path, seconds in sorted(self.seconds.items(), key=lambda kv: -kv[1])}
            FILE_SECONDS_PATH.write_text(json.dumps(figures, indent=1) + "\n")


def pytest_configure(config: pytest.Config) -> None:
    if os.environ.get("LANTAU_RECORD_DURATIONS") and not hasattr(config, "workerinput"):  # not on an xdist worker
        config.pluginmanager.register(FileSeconds(), "lantau-file-seconds")


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
