"""The one anvil fixture: a real anvil (`bridge.anvil.AnvilProcess`, `--port 0`) per test module.

A module changes its options by overriding the `anvil_options` fixture (a higher block gas
limit for the EVM step, a hardfork...). Fixtures are imported by the conftest.py files that use
them, so the name `anvil` means this fixture everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from web3 import Web3

from bridge.anvil import AnvilOptions, AnvilProcess


@pytest.fixture(scope="module")
def anvil_options() -> AnvilOptions:
    """The options of the module's anvil; a module overrides this fixture to change them."""
    return AnvilOptions()


@pytest.fixture(scope="module")
def anvil(anvil_options: AnvilOptions) -> Iterator[AnvilProcess]:
    """A running anvil, stopped when the module's tests are done (pass or fail)."""
    with AnvilProcess(anvil_options) as process:
        yield process


@pytest.fixture(scope="module")
def w3(anvil: AnvilProcess) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60}))


@contextmanager
def anvil_snapshot(anvil: AnvilProcess) -> Iterator[None]:
    """Snapshot anvil's state on entry and revert to it on exit, so tests see none of each other's."""
    snapshot = anvil.rpc("evm_snapshot")
    try:
        yield
    finally:
        anvil.rpc("evm_revert", [snapshot])
