"""Shared L1 fixtures: the harness' anvil (one per test module) with the L1 contracts deployed
once, and an `l1` handle per test that snapshots anvil before the test and reverts after it, so
tests that pause, freeze or move HKD never see each other's state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from bridge.anvil import AnvilProcess
from bridge.l1_contracts import L1Deployment, OracleConfig, deploy_l1_contracts
from genesis.dev_accounts import dev_accounts
from tests.bridge.l1_harness import BATCHER_INDEX, L1
from tests.harness import evm
from tests.harness.anvil import anvil, anvil_options, anvil_snapshot, w3  # noqa: F401 (fixtures)


@pytest.fixture(scope="module")
def dev_keys() -> tuple[str, ...]:
    return evm.dev_keys()


@pytest.fixture(scope="module")
def deployment(w3: Web3, dev_keys: tuple[str, ...], request: pytest.FixtureRequest) -> L1Deployment:  # noqa: F811
    """The L1 contracts as the devnet deploys them (its `BatchInbox` contract is the inbox); a
    test module may set `ORACLE_CONFIG` (an `OracleConfig`) for its own oracle and portal."""
    dev_addresses = [account.address for account in dev_accounts()]
    oracle = getattr(request.module, "ORACLE_CONFIG", OracleConfig())
    return deploy_l1_contracts(w3, dev_keys[0], batcher=dev_addresses[BATCHER_INDEX], mint_to=dev_addresses, oracle=oracle)


@pytest.fixture
def l1(anvil: AnvilProcess, w3: Web3, deployment: L1Deployment, dev_keys: tuple[str, ...]) -> Iterator[L1]:  # noqa: F811
    with anvil_snapshot(anvil):
        yield L1.on(w3, anvil, deployment, dev_keys)
