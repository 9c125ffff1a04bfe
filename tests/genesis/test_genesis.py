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


# The first four contracts dev account #0 deploys on a fresh anvil or hardhat node, as their
# tutorials print them (an independent reference for CREATE(deployer, nonce)).
HARDHAT_FIRST_CONTRACTS = (
    "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512",
    "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0",
    "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
    "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9",
    # then L1BlockAnchors and the dispute game (EVMTx ... the game's blueprint, OutputDisputeGameLeaves,
    # DisputeGameFactory, BatchReader, BlobReader, InputOracle), nonces 5 to 16
    "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707",
    "0x0165878A594ca255338adfa4d48449f69242Eb8F",
    "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853",
    "0x2279B7A0a67DB372996a5FaB50D91eAA73d2eBe6",
    "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318",
    "0x610178dA211FEF7D417bC0e6FeD39F05609AD788",
    "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e",
    "0xA51c1fc2f0D1a1b8494Ed1FE312d7C3a78Ed91C0",
    "0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82",
    "0x9A676e781A523b5d0C0e43731313A708CB607508",
    "0x0B306BF915C4d645ff596e518fAf3F9669b97016",
    "0x959922bE3CAee4b8Cd9a407cc3ac1C251C2007B1",
    # then the derivation bisection: DerivationStep and DerivationBisection, nonces 17 and 18
    "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE",
    "0x68B1D87F95878fE05B998F19b66F4baba5De1aed",
)


def test_message_passer_knows_the_devnet_l1_contracts_and_gas() -> None:
    """The passer refuses withdrawals to the L1 portal and token, and gas limits no L1 block can
    pay: the genesis writes what it compares against into its slots 2-4, and leaves the slots
    the L1 proof reads (0: records, 1: nonce) empty."""
    from eth_utils import to_checksum_address

    from genesis.artifacts import load_artifact
    from genesis.l1_addresses import DEVNET_L1_DEPLOY_ORDER, devnet_l1_addresses
    from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER

    book = devnet_l1_addresses()
    assert tuple(to_checksum_address(book[name]) for name in DEVNET_L1_DEPLOY_ORDER) == HARDHAT_FIRST_CONTRACTS
    artifact = load_artifact("L2ToL1MessagePasser")
    slots = {entry["label"]: int(entry["slot"]) for entry in artifact.storage_layout["storage"]}
    assert slots == {"sentMessages": 0, "msgNonce": 1, "l1Portal": 2, "l1HkdToken": 3, "maxGasLimit": 4}
    passer = GenesisConfig.load().alloc[L2_TO_L1_MESSAGE_PASSER]
    assert passer.code == artifact.deployed_bytecode
    # 30M-gas L1 block, 300,000 reserved for the finalization itself, 63/64 passed to the call.
    assert dict(passer.storage) == {
        2: int(HARDHAT_FIRST_CONTRACTS[3], 16),
        3: int(HARDHAT_FIRST_CONTRACTS[0], 16),
        4: (30_000_000 - 300_000) * 63 // 64,
    }
    assert passer.balance == 0
