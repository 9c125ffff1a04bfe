"""Shared L1 fixtures: one real anvil per test module with the L1 contracts deployed once, and
an `l1` handle per test that snapshots anvil before the test and reverts after it, so tests
that pause, freeze or move HKD never see each other's state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from bridge.anvil import AnvilProcess
from bridge.l1_contracts import L1Deployment, deploy_l1_contracts
from genesis.dev_accounts import dev_accounts
from tests.bridge.l1_harness import BATCH_INBOX, BATCHER_INDEX, L1


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilProcess]:
    process = AnvilProcess()
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="module")
def dev_keys() -> tuple[str, ...]:
    return tuple(account.private_key for account in dev_accounts())


@pytest.fixture(scope="module")
def w3(anvil: AnvilProcess) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.rpc_url))


@pytest.fixture(scope="module")
def deployment(w3: Web3, dev_keys: tuple[str, ...]) -> L1Deployment:
    dev_addresses = [account.address for account in dev_accounts()]
    return deploy_l1_contracts(
        w3,
        dev_keys[0],
        batcher=dev_addresses[BATCHER_INDEX],
        batch_inbox=BATCH_INBOX,
        mint_to=dev_addresses,
    )


@pytest.fixture
def l1(anvil: AnvilProcess, w3: Web3, deployment: L1Deployment, dev_keys: tuple[str, ...]) -> Iterator[L1]:
    snapshot = anvil.rpc("evm_snapshot")
    try:
        yield L1(
            w3=w3,
            anvil=anvil,
            deployment=deployment,
            keys=dev_keys,
            hkd=deployment.contract(w3, "HKDStablecoin"),
            config=deployment.contract(w3, "SystemConfig"),
            portal=deployment.contract(w3, "LantauPortal"),
        )
    finally:
        anvil.rpc("evm_revert", [snapshot])
