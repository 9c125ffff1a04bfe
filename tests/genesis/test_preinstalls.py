"""Preinstalls: the CREATE2 deployer and Multicall3 sit in the devnet genesis at their Ethereum
addresses with the runtime code they have on Ethereum."""

from __future__ import annotations

import pytest
from eth_utils import keccak, to_canonical_address

from genesis.config import GenesisConfig
from genesis.predeploys import CREATE2_DEPLOYER, MULTICALL3, PREINSTALL_CONTRACTS
from genesis.preinstalls import OP_PACKAGE_DIR, PREINSTALLS_PATH, load_preinstall, render

# Published code hashes (EXTCODEHASH at the address on Ethereum mainnet, as the projects'
# deployment pages and every chain that checks for them give them): independent of the
# npm package the code is copied from.
MULTICALL3_CODEHASH = "0xd5c15df687b16f2ff992fc8d767b4216323184a2bbc6ee2f9c398c318e770891"
CREATE2_DEPLOYER_CODEHASH = "0x2fa86add0aed31f33a762c9d88e807c475bd51d0f52bd0955754b2608f7e4989"


def test_addresses_are_the_ones_tools_assume() -> None:
    assert CREATE2_DEPLOYER == to_canonical_address("0x4e59b44847b379578588920cA78FbF26c0B4956C")
    assert MULTICALL3 == to_canonical_address("0xcA11bde05977b3631167028862bE2a173976CA11")


@pytest.mark.parametrize(
    "name, codehash, size",
    [("DeterministicDeploymentProxy", CREATE2_DEPLOYER_CODEHASH, 69), ("Multicall3", MULTICALL3_CODEHASH, 3808)],
)
def test_runtime_code_hashes_are_the_published_ones(name: str, codehash: str, size: int) -> None:
    code = load_preinstall(name).deployed_bytecode
    assert len(code) == size
    assert "0x" + keccak(code).hex() == codehash


def test_devnet_genesis_holds_the_preinstalls() -> None:
    alloc = GenesisConfig.load().alloc
    for address, name in PREINSTALL_CONTRACTS.items():
        account = alloc[address]
        assert account.code == load_preinstall(name).deployed_bytecode != b""
        assert (account.nonce, account.balance, dict(account.storage)) == (1, 0, {})
    assert keccak(alloc[MULTICALL3].code).hex() == MULTICALL3_CODEHASH[2:]
    assert keccak(alloc[CREATE2_DEPLOYER].code).hex() == CREATE2_DEPLOYER_CODEHASH[2:]


def test_multicall3_abi_is_there() -> None:
    names = {entry.get("name") for entry in load_preinstall("Multicall3").abi}
    assert {"aggregate", "aggregate3", "aggregate3Value", "tryAggregate", "getBlockNumber"} <= names


def test_committed_preinstalls_are_the_pinned_packages() -> None:
    """genesis/preinstalls.json == what `python -m genesis.preinstalls` copies from the pinned npm package."""
    if not OP_PACKAGE_DIR.exists():
        pytest.fail(f"{OP_PACKAGE_DIR} is missing: run `make setup` (npm ci installs the pinned package)")
    assert PREINSTALLS_PATH.read_text() == render()
