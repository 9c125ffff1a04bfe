"""The RWA predeploys are in the L2 genesis, read back from a running `lantau node` over JSON-RPC:
each one's code is its artifact's runtime code, the owner the generator wrote is dev account 0,
`initialize` is locked everywhere (no first-block race), the factory is wired to its siblings and
the price feed has its default maximum age."""

from __future__ import annotations

import pytest

from genesis.artifacts import load_artifact
from genesis.predeploys import INITIALIZABLE_SLOT, PRICE_FEED_DEFAULT_MAX_AGE_S, RWA_PREDEPLOYS
from tests.rwa.rwa_chain import UINT64_MAX, WAREHOUSE_RECEIPT, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

EIP1167_PREFIX = bytes.fromhex("363d3d373d3d3d363d73")  # runtime code of an EIP-1167 clone, around
EIP1167_SUFFIX = bytes.fromhex("5af43d82803e903d91602b57fd5bf3")  # the 20-byte implementation

# The addresses the README and the SDK document (genesis/predeploys.py), spelled out once more.
DOCUMENTED = {
    "IdentityRegistry": "0x4200000000000000000000000000000000000800",
    "Compliance": "0x4200000000000000000000000000000000000801",
    "RWAToken": "0x4200000000000000000000000000000000000802",
    "AssetFactory": "0x4200000000000000000000000000000000000803",
    "SettlementEngine": "0x4200000000000000000000000000000000000804",
    "CorporateActions": "0x4200000000000000000000000000000000000805",
    "PriceFeed": "0x4200000000000000000000000000000000000806",
    "VenueRegistry": "0x4200000000000000000000000000000000000807",
    "CallAuction": "0x4200000000000000000000000000000000000808",
    "DeviceRegistry": "0x4200000000000000000000000000000000000809",
    "RWATokenExtension": "0x420000000000000000000000000000000000080a",
}


def test_predeploys_sit_at_their_documented_addresses_with_artifact_code(chain: Chain) -> None:
    assert {name: "0x" + address.hex() for name, address in RWA_PREDEPLOYS.items()} == DOCUMENTED
    for name, address in DOCUMENTED.items():
        code = bytes(chain.w3.eth.get_code(chain.w3.to_checksum_address(address), block_identifier=0))
        assert code == load_artifact(name).deployed_bytecode != b"", name


def test_owner_and_wiring_come_from_genesis_storage(chain: Chain, rwa: RWASystem) -> None:
    owner = chain.dev(0)
    assert rwa.registry.functions.owner().call(block_identifier=0) == owner
    assert rwa.factory.functions.owner().call(block_identifier=0) == owner
    assert rwa.price_feed.functions.owner().call(block_identifier=0) == owner
    assert rwa.engine.functions.owner().call(block_identifier=0) == owner
    assert rwa.price_feed.functions.defaultMaxAge().call(block_identifier=0) == PRICE_FEED_DEFAULT_MAX_AGE_S
    f = rwa.factory.functions
    assert (
        f.tokenImplementation().call(),
        f.identityRegistry().call(),
        f.compliance().call(),
        f.corporateActions().call(),
    ) == (
        rwa.token_implementation.address,
        rwa.registry.address,
        rwa.compliance.address,
        rwa.actions.address,
    )


def test_initialize_is_locked_on_every_owned_predeploy(chain: Chain, rwa: RWASystem) -> None:
    stranger = chain.new_address("would-be owner", fund_wei=10**21)
    for contract, call in (
        (rwa.registry, rwa.registry.functions.initialize(stranger)),
        (rwa.factory, rwa.factory.functions.initialize(stranger, stranger, stranger, stranger, stranger)),
        (rwa.price_feed, rwa.price_feed.functions.initialize(stranger, 60)),
        (rwa.engine, rwa.engine.functions.initialize(stranger)),
    ):
        assert chain.expect_revert(call, stranger).name == "InvalidInitialization", contract.address
    slot = chain.w3.eth.get_storage_at(rwa.token_implementation.address, INITIALIZABLE_SLOT)
    assert int.from_bytes(slot, "big") == UINT64_MAX
    config = ("x", "x", 0, stranger, rwa.registry.address, rwa.compliance.address, [], [],
              (0, "x", "x", "HKD", b"\x00" * 32), (0, 0, 0, 0, []))
    assert chain.revert_of(rwa.token_implementation.functions.initialize(config), stranger).name == "InvalidInitialization"


def test_the_genesis_owner_runs_the_platform(chain: Chain, rwa: RWASystem) -> None:
    """From genesis state alone the owner appoints a deployer, who issues an asset at the address
    the factory predicts (an EIP-1167 clone of the implementation predeploy)."""
    deployer = chain.new_address("licensed platform", fund_wei=10**21)
    assert chain.expect_revert(rwa.factory.functions.setDeployer(deployer, True), deployer).name == "NotOwner"
    chain.send(rwa.factory.functions.setDeployer(deployer, True), rwa.operator)
    identifier = f"GENESIS-WR-{chain.now()}"
    params = ("Warehouse receipts", "WR", 0, deployer, [deployer],
              (WAREHOUSE_RECEIPT, identifier, "Tsing Yi Logistics", "HKD", b"\x01" * 32), (0, 0, 0, 0, []))
    predicted = rwa.factory.functions.predictAssetAddress(identifier).call()
    receipt = chain.send(rwa.factory.functions.createAsset(params), deployer)
    assert events(rwa.factory, "AssetCreated", receipt)[0]["token"] == predicted
    clone = bytes(chain.w3.eth.get_code(predicted))
    # EIP-1167 minimal proxy pointing at the implementation predeploy.
    implementation = bytes.fromhex(rwa.token_implementation.address[2:])
    assert clone == EIP1167_PREFIX + implementation + EIP1167_SUFFIX
