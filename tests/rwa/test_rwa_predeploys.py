"""The RWA contracts work as L2 genesis predeploys: runtime code placed at an address with no
constructor run, and state written straight into storage at the slots their NatSpec documents
(checked here against the compiler's storage layout), with `initialize` locked afterwards."""

from __future__ import annotations

import pytest

from genesis.artifacts import load_artifact
from tests.rwa.rwa_chain import (
    INITIALIZABLE_SLOT,
    UINT64_MAX,
    WAREHOUSE_RECEIPT,
    Chain,
    RWASystem,
    events,
)

# The slots the contracts' NatSpec tells the genesis builder to write.
# Installs code at arbitrary addresses (anvil_setCode); the L2 genesis itself: test_rwa_genesis.py.
pytestmark = pytest.mark.rwa_backends("anvil")

DOCUMENTED_SLOTS = {
    "IdentityRegistry": {"owner": 0},
    "AssetFactory": {
        "owner": 0,
        "tokenImplementation": 2,
        "identityRegistry": 3,
        "compliance": 4,
        "corporateActions": 5,
    },
    "PriceFeed": {"owner": 0, "defaultMaxAge": 2},
    "SettlementEngine": {"owner": 0},
}
STATELESS = ("Compliance", "CorporateActions")


@pytest.mark.parametrize("name", sorted(DOCUMENTED_SLOTS))
def test_documented_slots_match_the_storage_layout(name: str) -> None:
    artifact = load_artifact(name)
    for variable, slot in DOCUMENTED_SLOTS[name].items():
        assert artifact.storage_slot(variable) == slot
        # Each documented variable starts its slot (offset 0), so the builder writes it right-aligned.
        (entry,) = [e for e in artifact.storage_layout["storage"] if e["label"] == variable]
        assert entry["offset"] == 0


@pytest.mark.parametrize("name", STATELESS)
def test_stateless_predeploys_have_no_storage_to_set_but_mappings(name: str) -> None:
    layout = load_artifact(name).storage_layout["storage"]
    kinds = {e["label"]: load_artifact(name).storage_layout["types"][e["type"]]["encoding"] for e in layout}
    # Only mappings and counters that start at zero: nothing for the genesis builder to write.
    assert all(kind == "mapping" or label == "distributionCount" for label, kind in kinds.items())


def _address(n: int) -> str:
    return f"0x{0x4200 << 144 | 0x8F0 + n:040x}"


def test_state_written_by_a_genesis_builder_works_and_locks_initialize(chain: Chain, rwa: RWASystem) -> None:
    owner = chain.new_address("genesis owner", fund_wei=10**21)
    to_word = lambda address: int(address, 16)  # noqa: E731 - right-aligned address
    registry = chain.install_predeploy("IdentityRegistry", _address(0), {0: to_word(owner), INITIALIZABLE_SLOT: 1})
    assert registry.functions.owner().call() == owner
    assert chain.expect_revert(registry.functions.initialize(owner), owner).name == "InvalidInitialization"
    chain.send(registry.functions.addAgent(owner), owner)

    factory = chain.install_predeploy(
        "AssetFactory",
        _address(1),
        {
            0: to_word(owner),
            2: to_word(rwa.token_implementation.address),
            3: to_word(registry.address),
            4: to_word(rwa.compliance.address),
            5: to_word(rwa.actions.address),
            INITIALIZABLE_SLOT: 1,
        },
    )
    assert (
        chain.expect_revert(factory.functions.initialize(owner, owner, owner, owner, owner), owner).name
        == "InvalidInitialization"
    )
    chain.send(factory.functions.setDeployer(owner, True), owner)
    params = (
        "Warehouse receipts",
        "WR",
        0,
        owner,
        [owner],
        (WAREHOUSE_RECEIPT, "GENESIS-WR-1", "Tsing Yi Logistics", "HKD", b"\x01" * 32),
        (0, 0, 0, 0, []),
    )
    receipt = chain.send(factory.functions.createAsset(params), owner)
    token = chain.at("RWAToken", events(factory, "AssetCreated", receipt)[0]["token"])
    assert token.functions.identityRegistry().call() == registry.address
    assert token.functions.isAgent(rwa.actions.address).call()

    feed = chain.install_predeploy("PriceFeed", _address(2), {0: to_word(owner), 2: 900, INITIALIZABLE_SLOT: 1})
    assert (feed.functions.owner().call(), feed.functions.defaultMaxAge().call()) == (owner, 900)


def test_token_implementation_predeploy_is_locked(chain: Chain, rwa: RWASystem) -> None:
    implementation = rwa.token_implementation
    slot = chain.w3.eth.get_storage_at(implementation.address, INITIALIZABLE_SLOT)
    assert int.from_bytes(slot, "big") == UINT64_MAX
    config = (
        "x",
        "x",
        0,
        rwa.operator,
        rwa.registry.address,
        rwa.compliance.address,
        [],
        [],
        (0, "x", "x", "HKD", b"\x00" * 32),
        (0, 0, 0, 0, []),
    )
    assert chain.revert_of(implementation.functions.initialize(config), rwa.operator).name == "InvalidInitialization"


def test_eip712_domains_follow_the_address_they_run_at(chain: Chain, rwa: RWASystem) -> None:
    for contract, name in ((rwa.engine, "Lantau SettlementEngine"), (rwa.price_feed, "Lantau PriceFeed")):
        fields, domain_name, version, chain_id, verifying_contract, _, _ = contract.functions.eip712Domain().call()
        assert (domain_name, version, chain_id, verifying_contract) == (
            name,
            "1",
            chain.w3.eth.chain_id,
            contract.address,
        )
