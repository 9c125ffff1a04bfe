"""The L1 deployment script and its address book, against a real anvil."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from web3 import Web3

from bridge.l1_contracts import (
    IssuerRoles,
    L1Deployment,
    L1DeploymentError,
    decode_revert,
    deploy_l1_contracts,
)
from genesis.dev_accounts import dev_accounts

from tests.bridge.l1_harness import L1


def test_address_book_json_round_trips(l1: L1, tmp_path: Path) -> None:
    book = l1.deployment
    assert set(json.loads(book.to_json())) == {
        "HKDStablecoin", "SystemConfig", "LantauPortal", "OutputOracle", "BatchInbox", "L1BlockAnchors", "deployer",
        "l1_chain_id", "deploy_block",
    }  # no DisputeGameFactory: deployed without `disputes`, the oracle keeps its challenger key
    assert L1Deployment.from_json(book.to_json()) == book
    book.save(tmp_path / "l1.json")
    assert L1Deployment.load(tmp_path / "l1.json") == book
    with pytest.raises(L1DeploymentError):
        L1Deployment.from_json('{"HKDStablecoin": "0x12"}')


def test_deployment_is_wired_and_starts_at_deploy_block(l1: L1) -> None:
    book = l1.deployment
    assert book.l1_chain_id == 900 == l1.w3.eth.chain_id
    assert book.deployer == dev_accounts()[0].address
    for name in ("HKDStablecoin", "SystemConfig", "OutputOracle", "LantauPortal"):
        address = book.address_of(name)
        assert l1.w3.eth.get_code(address) != b""
        # nothing of ours existed before deploy_block: scanning for deposits from it misses none
        assert l1.w3.eth.get_code(address, block_identifier=book.deploy_block - 1) == b""
    assert l1.w3.eth.get_code(book.hkd_stablecoin, block_identifier=book.deploy_block) != b""
    assert l1.portal.functions.hkd().call() == book.hkd_stablecoin
    assert l1.portal.functions.systemConfig().call() == book.system_config
    assert l1.portal.functions.guardian().call() == book.deployer
    for role in ("MINTER_ROLE", "PAUSER_ROLE", "BLACKLISTER_ROLE"):
        assert l1.hkd.functions.hasRole(Web3.keccak(text=role), book.deployer).call()


def test_default_deployer_is_dev_account_zero_and_roles_can_be_split(l1: L1) -> None:
    admin, minter, pauser = (dev_accounts()[i].address for i in (4, 1, 2))
    book = deploy_l1_contracts(
        l1.w3,
        batcher=dev_accounts()[9].address,
        roles=IssuerRoles(token_admin=admin, minter=minter, pauser=pauser),
    )
    assert book.deployer == dev_accounts()[0].address
    hkd = book.contract(l1.w3, "HKDStablecoin")
    minter_role, pauser_role = Web3.keccak(text="MINTER_ROLE"), Web3.keccak(text="PAUSER_ROLE")
    assert hkd.functions.hasRole(minter_role, minter).call()
    assert not hkd.functions.hasRole(minter_role, book.deployer).call()
    assert hkd.functions.hasRole(pauser_role, pauser).call()
    assert hkd.functions.hasRole(bytes(32), admin).call()
    assert not hkd.functions.hasRole(bytes(32), book.deployer).call()
    assert hkd.functions.totalSupply().call() == 0


def test_minting_without_the_minter_role_is_refused_up_front(l1: L1) -> None:
    block = l1.w3.eth.block_number
    with pytest.raises(L1DeploymentError, match="MINTER_ROLE"):
        deploy_l1_contracts(
            l1.w3,
            batcher=dev_accounts()[9].address,
                mint_to=[dev_accounts()[3].address],
            roles=IssuerRoles(minter=dev_accounts()[1].address),
        )
    assert l1.w3.eth.block_number == block  # nothing was sent


def test_a_failing_step_is_named(l1: L1) -> None:
    with pytest.raises(L1DeploymentError, match=r"deploy SystemConfig reverted: L2GasLimitTooLow\(1000, 21000000\)"):
        deploy_l1_contracts(l1.w3, batcher=dev_accounts()[9].address, l2_gas_limit=1_000)


def test_decode_revert_knows_only_our_errors() -> None:
    assert decode_revert(bytes.fromhex("deadbeef")) is None
    assert decode_revert(b"\x00") is None
    zero_amount = Web3.keccak(text="ZeroAmount()")[:4]
    assert str(decode_revert(zero_amount)) == "ZeroAmount()"
