"""Fixtures of the RWA settlement tests: one real anvil for the whole RWA suite (always stopped),
with the RWA contracts installed once as genesis predeploys. Each test creates its own assets and
investors, so tests do not share state they depend on; times are always relative to the chain's
clock, because some tests move it forward."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from bridge.anvil import AnvilOptions, AnvilProcess
from tests.rwa.rwa_chain import Chain, RWASystem, install_rwa_system


@pytest.fixture(scope="session")
def rwa_anvil() -> Iterator[AnvilProcess]:
    process = AnvilProcess(AnvilOptions(extra_args=("--auto-impersonate", "--gas-limit", "60000000")))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def chain(rwa_anvil: AnvilProcess) -> Chain:
    return Chain(rwa_anvil, Web3(Web3.HTTPProvider(rwa_anvil.rpc_url, request_kwargs={"timeout": 60})))


@pytest.fixture(scope="session")
def rwa(chain: Chain) -> RWASystem:
    return install_rwa_system(chain)
