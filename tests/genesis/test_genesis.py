"""Genesis: the dev accounts are anvil's, the file parses strictly, the state root is stable."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth.chains.base import MiningChain
from eth.db.atomic import AtomicDB
from eth.vm.forks.prague import PragueVM

from genesis.builder import genesis_header_params, genesis_state
from genesis.config import DEVNET_L2_CHAIN_ID, GenesisConfig
from genesis.dev_accounts import dev_accounts
from node.errors import ConfigError

# Printed by `anvil` / `npx hardhat node` for the test mnemonic (independent reference).
ANVIL_ACCOUNT_0 = ("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ANVIL_ACCOUNT_9 = ("0xa0Ee7A142d267C1f36714E4a8F75612F20a79720", "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6")


def test_dev_accounts_are_the_ones_anvil_prints() -> None:
    accounts = dev_accounts()
    assert len(accounts) == 10
    assert (accounts[0].address, accounts[0].private_key) == ANVIL_ACCOUNT_0
    assert (accounts[9].address, accounts[9].private_key) == ANVIL_ACCOUNT_9
    assert accounts[3].derivation_path == "m/44'/60'/0'/0/3"


def test_devnet_genesis_funds_every_dev_account() -> None:
    config = GenesisConfig.load()
    assert config.chain_id == DEVNET_L2_CHAIN_ID
    funded = {"0x" + address.hex() for address, account in config.alloc.items() if account.balance > 0}
    assert {a.address.lower() for a in dev_accounts()} <= funded


def test_genesis_state_root_matches_stock_py_evm() -> None:
    """Block 0 of Lantau equals what stock py-evm makes of the same alloc (independent path)."""
    from node.chain import Chain

    config = GenesisConfig.load()
    stock = MiningChain.configure(vm_configuration=((0, PragueVM),), chain_id=config.chain_id).from_genesis(
        AtomicDB(), genesis_header_params(config), genesis_state(config)
    )
    ours = Chain.open(None, config)
    assert ours.head.state_root == stock.get_canonical_head().state_root
    assert ours.genesis_hash == stock.get_canonical_head().hash


@pytest.mark.parametrize(
    "mutation, message",
    [
        (lambda g: g.pop("config"), "config.chainId"),
        (lambda g: g.update(gasLimit="lots"), "gasLimit"),
        (lambda g: g["alloc"].update({"0xnot-an-address": {"balance": "0x1"}}), "not an address"),
        (lambda g: g.update(extraData="cafe"), "extraData"),
    ],
)
def test_malformed_genesis_is_refused_with_the_field_named(tmp_path: Path, mutation, message: str) -> None:
    raw = json.loads(Path(GenesisConfig.load.__defaults__[0]).read_text())  # type: ignore[index]
    mutation(raw)
    path = tmp_path / "genesis.json"
    path.write_text(json.dumps(raw))
    with pytest.raises(ConfigError, match=message):
        GenesisConfig.load(path)


def test_committed_devnet_genesis_is_generated_from_artifacts() -> None:
    """genesis/devnet.json == `python -m genesis.generate` output (predeploy code from artifacts)."""
    from genesis.config import DEVNET_GENESIS_PATH
    from genesis.generate import render

    assert DEVNET_GENESIS_PATH.read_text() == render()


def test_l1_block_predeploy_has_its_code() -> None:
    from genesis.artifacts import load_artifact
    from genesis.predeploys import L1_BLOCK

    config = GenesisConfig.load()
    assert config.alloc[L1_BLOCK].code == load_artifact("L1Block").deployed_bytecode != b""
