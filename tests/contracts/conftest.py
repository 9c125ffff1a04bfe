"""Fixtures for the contract tests: the harness' anvil (one per test module) and `Contracts`, a
handle to deploy artifacts, send transactions as dev accounts, and read the custom error a call
reverts with (tests/harness/evm.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3
from web3.contract import Contract

from bridge.anvil import AnvilProcess
from tests.harness.anvil import anvil, anvil_options, anvil_snapshot, w3  # noqa: F401 (fixtures)
from tests.harness.evm import Contracts, dev_keys


@pytest.fixture(scope="module")
def contracts(anvil: AnvilProcess, w3: Web3) -> Contracts:  # noqa: F811
    return Contracts(w3=w3, anvil=anvil, keys=dev_keys())


@pytest.fixture(scope="module")
def mpt_harness(contracts: Contracts) -> Contract:
    """`MerkleTrieHarness`: the L1 proof libraries (RLPReader, MerkleTrie, SecureMerkleTrie,
    OutputRootLib) behind external functions."""
    return contracts.deploy("MerkleTrieHarness")


@pytest.fixture
def isolated(anvil: AnvilProcess) -> Iterator[None]:  # noqa: F811
    """Snapshot anvil before the test and revert after it."""
    with anvil_snapshot(anvil):
        yield
