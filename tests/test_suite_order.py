"""The order `make test`'s workers take the test files in (tests/conftest.py): the files that start
processes first, the longest first by their recorded seconds, each file's tests together and in
their order; the fast files after them in collection order."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import FILE_SECONDS_PATH, UNRECORDED_FILE_S, files_that_start_processes_first, recorded_file_seconds

ROOT = FILE_SECONDS_PATH.parent.parent


@dataclass
class FakeItem:
    """What the ordering reads of a pytest item: its file and whether it is marked e2e."""

    name: str
    e2e: bool
    path: Path = field(init=False)

    def __post_init__(self) -> None:
        self.path = ROOT / self.name.split("::")[0]

    def get_closest_marker(self, name: str) -> Any:
        return object() if name == "e2e" and self.e2e else None


def test_process_files_longest_first_then_fast_files_in_collection_order() -> None:
    items = [FakeItem("tests/node/test_a.py::one", False), FakeItem("tests/e2e/test_short.py::one", True),
             FakeItem("tests/e2e/test_short.py::two", True), FakeItem("tests/node/test_b.py::one", False),
             FakeItem("tests/e2e/test_new.py::one", True), FakeItem("tests/e2e/test_long.py::one", True),
             FakeItem("tests/e2e/test_long.py::two", True)]
    recorded = {"tests/e2e/test_short.py": UNRECORDED_FILE_S - 1, "tests/e2e/test_long.py": 150.0, "tests/node/test_a.py": 999.0}
    ordered = files_that_start_processes_first(items, recorded)  # type: ignore[arg-type]
    assert [item.name for item in ordered] == [
        "tests/e2e/test_long.py::one", "tests/e2e/test_long.py::two",  # 150 s
        "tests/e2e/test_new.py::one",  # not recorded: as if UNRECORDED_FILE_S
        "tests/e2e/test_short.py::one", "tests/e2e/test_short.py::two",
        "tests/node/test_a.py::one", "tests/node/test_b.py::one"]  # fast: as collected, whatever their record


def test_the_record_names_files_that_exist_with_seconds() -> None:
    """tests/durations.json as committed: a figure for each file that starts processes in it."""
    recorded = recorded_file_seconds()
    assert recorded and all(seconds >= 0 for seconds in recorded.values())
    assert [path for path in recorded if path.startswith("tests/e2e/") and (ROOT / path).exists()]
