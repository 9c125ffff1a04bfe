"""Fixtures of the RWA settlement tests, on two real chains (see rwa_chain.py):

- `l2` (the default): one `lantau node` subprocess for the session, started from the devnet
  genesis plus a faucet account, blocks on demand (`--block-time 0`), `admin_produceBlock` to move
  the clock; the RWA layer is the genesis predeploys.
- `anvil`: one anvil for the session with the RWA contracts installed as predeploys, for what
  needs time travel by days or exact timestamps.

A test module (or test) says where it runs with `pytestmark = pytest.mark.rwa_backends("l2",
"anvil")`; the `chain` and `rwa` fixtures are parametrized by it, so a test that runs on both
shows up twice (`[l2]`, `[anvil]`). Both processes are always stopped. Each test creates its own
assets and investors, so tests do not share state they depend on; times are always relative to
the chain's clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from eth_account import Account
from web3 import Web3

from bridge.anvil import AnvilOptions, AnvilProcess
from genesis.config import DEVNET_GENESIS_PATH
from tests.harness.node_process import LantauNodeProcess
from tests.rwa.rwa_chain import (
    L2_FAUCET_KEY,
    L2_FAUCET_WEI,
    AnvilChain,
    Chain,
    L2Chain,
    RWASystem,
    genesis_rwa_system,
    install_rwa_system,
)

BACKENDS = ("l2", "anvil")
DEFAULT_BACKENDS = ("l2",)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "rwa_backends(*names): chains an RWA test runs on (l2, anvil); default l2")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "rwa_backend" not in metafunc.fixturenames:
        return
    marker = metafunc.definition.get_closest_marker("rwa_backends")
    backends = marker.args if marker else DEFAULT_BACKENDS
    unknown = set(backends) - set(BACKENDS)
    assert not unknown, f"unknown RWA backends {unknown}"
    metafunc.parametrize("rwa_backend", backends, indirect=True, scope="session")


@pytest.fixture(scope="session")
def rwa_backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture(scope="session")
def rwa_anvil() -> Iterator[AnvilProcess]:
    process = AnvilProcess(AnvilOptions(extra_args=("--auto-impersonate", "--gas-limit", "60000000")))
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture(scope="session")
def rwa_l2_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LantauNodeProcess]:
    directory = tmp_path_factory.mktemp("rwa-l2")
    genesis = json.loads(DEVNET_GENESIS_PATH.read_text())
    genesis["alloc"][Account.from_key(L2_FAUCET_KEY).address] = {"balance": hex(L2_FAUCET_WEI)}
    genesis_path = directory / "genesis.json"
    genesis_path.write_text(json.dumps(genesis))
    node = LantauNodeProcess(directory / "data", block_time_s=0, extra_args=("--admin", "--genesis", str(genesis_path)))
    node.start()
    try:
        yield node
    finally:
        node.stop()
        node.kill()


@pytest.fixture(scope="session")
def rwa_sessions() -> dict[str, Chain | RWASystem]:
    """Each backend's chain and RWA system, made once per session. `chain` and `rwa` are set up
    again whenever the backend changes, which `make test` (pytest-xdist, a file at a time: a file's
    l2 tests, then its anvil ones) does from file to file; they must come back as the same
    objects: the chain's account salt and nonces go on, the RWA system is installed once."""
    return {}


@pytest.fixture(scope="session")
def chain(rwa_backend: str, request: pytest.FixtureRequest, rwa_sessions: dict[str, Chain | RWASystem]) -> Chain:
    if f"{rwa_backend}/chain" not in rwa_sessions:
        if rwa_backend == "anvil":
            anvil: AnvilProcess = request.getfixturevalue("rwa_anvil")
            rwa_sessions[f"{rwa_backend}/chain"] = AnvilChain(Web3(Web3.HTTPProvider(anvil.rpc_url, request_kwargs={"timeout": 60})), anvil=anvil)
        else:
            node: LantauNodeProcess = request.getfixturevalue("rwa_l2_node")
            assert node.rpc_url is not None
            rwa_sessions[f"{rwa_backend}/chain"] = L2Chain(Web3(Web3.HTTPProvider(node.rpc_url, request_kwargs={"timeout": 120})), node=node)
    opened = rwa_sessions[f"{rwa_backend}/chain"]
    assert isinstance(opened, Chain)
    return opened


@pytest.fixture(scope="session")
def rwa(chain: Chain, rwa_backend: str, rwa_sessions: dict[str, Chain | RWASystem]) -> RWASystem:
    if f"{rwa_backend}/rwa" not in rwa_sessions:
        rwa_sessions[f"{rwa_backend}/rwa"] = install_rwa_system(chain) if isinstance(chain, AnvilChain) else genesis_rwa_system(chain)
    system = rwa_sessions[f"{rwa_backend}/rwa"]
    assert isinstance(system, RWASystem)
    return system
