"""HKDStablecoin on a real anvil: 6 decimals, separated issuer roles, freeze list, pause, and an
EIP-2612 permit signed off-chain with eth-account."""

from __future__ import annotations

import time

from web3 import Web3
from web3.logs import DISCARD

from bridge.l1_contracts import DEVNET_MINT_AMOUNT, HKD_UNIT, l1_contract
from genesis.artifacts import load_artifact

from tests.bridge.l1_harness import DEV_ACCOUNTS, L1, sign_permit

MINTER_ROLE = Web3.keccak(text="MINTER_ROLE")
PAUSER_ROLE = Web3.keccak(text="PAUSER_ROLE")
BLACKLISTER_ROLE = Web3.keccak(text="BLACKLISTER_ROLE")


def test_devnet_token_has_six_decimals_and_funded_dev_accounts(l1: L1) -> None:
    assert l1.hkd.functions.decimals().call() == 6
    assert l1.hkd.functions.symbol().call() == "HKD"
    # 1,000,000 HKD = 10**12 units to each dev account, and nothing else exists.
    assert DEVNET_MINT_AMOUNT == 1_000_000_000_000
    for i in range(DEV_ACCOUNTS):
        assert l1.hkd_balance(l1.address(i)) == DEVNET_MINT_AMOUNT
    assert l1.hkd.functions.totalSupply().call() == DEV_ACCOUNTS * DEVNET_MINT_AMOUNT


def test_each_role_does_its_own_duty_only(l1: L1) -> None:
    """On a fresh token the admin only manages roles; minter, pauser and blacklister (three other
    accounts) can each do their one duty and are refused the others by name."""
    artifact = load_artifact("HKDStablecoin")
    factory = l1.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
    admin, minter, pauser, blacklister = (l1.address(i) for i in range(4))
    receipt = l1.ok(0, factory.constructor("Test HKD", "THKD", admin))
    token = l1_contract(l1.w3, "HKDStablecoin", receipt["contractAddress"])

    def refused(index: int, call: object, role: bytes) -> None:
        revert = l1.revert_of(index, call)  # type: ignore[arg-type]
        assert (revert.name, revert.args) == ("AccessControlUnauthorizedAccount", (l1.address(index), role))

    refused(0, token.functions.mint(admin, 1), MINTER_ROLE)
    refused(0, token.functions.pause(), PAUSER_ROLE)
    refused(0, token.functions.freeze(minter), BLACKLISTER_ROLE)
    refused(1, token.functions.grantRole(MINTER_ROLE, pauser), b"\x00" * 32)  # only the admin grants

    l1.ok(0, token.functions.grantRole(MINTER_ROLE, minter))
    l1.ok(0, token.functions.grantRole(PAUSER_ROLE, pauser))
    l1.ok(0, token.functions.grantRole(BLACKLISTER_ROLE, blacklister))

    refused(1, token.functions.pause(), PAUSER_ROLE)
    refused(1, token.functions.freeze(pauser), BLACKLISTER_ROLE)
    refused(2, token.functions.mint(pauser, 1), MINTER_ROLE)
    refused(2, token.functions.freeze(minter), BLACKLISTER_ROLE)
    refused(3, token.functions.mint(blacklister, 1), MINTER_ROLE)
    refused(3, token.functions.pause(), PAUSER_ROLE)

    receipt = l1.ok(1, token.functions.mint(admin, 250 * HKD_UNIT))
    (minted,) = token.events.Minted().process_receipt(receipt, errors=DISCARD)
    assert (minted.args.by, minted.args.to, minted.args.amount) == (minter, admin, 250 * HKD_UNIT)
    (transfer,) = token.events.Transfer().process_receipt(receipt, errors=DISCARD)
    assert transfer.args["from"] == "0x" + "00" * 20 and transfer.args.value == 250 * HKD_UNIT
    l1.ok(2, token.functions.pause())
    assert token.functions.paused().call()
    l1.ok(2, token.functions.unpause())
    l1.ok(3, token.functions.freeze(admin))
    assert token.functions.isFrozen(admin).call()


def test_minter_burns_from_its_own_balance(l1: L1) -> None:
    supply = l1.hkd.functions.totalSupply().call()
    receipt = l1.ok(0, l1.hkd.functions.burn(40 * HKD_UNIT))
    (burned,) = l1.hkd.events.Burned().process_receipt(receipt, errors=DISCARD)
    assert (burned.args.by, burned.args.amount) == (l1.address(0), 40 * HKD_UNIT)
    assert l1.hkd_balance(l1.address(0)) == DEVNET_MINT_AMOUNT - 40 * HKD_UNIT
    assert l1.hkd.functions.totalSupply().call() == supply - 40 * HKD_UNIT
    revert = l1.revert_of(4, l1.hkd.functions.burn(1))
    assert revert.name == "AccessControlUnauthorizedAccount"


def test_frozen_account_can_neither_send_nor_receive(l1: L1) -> None:
    frozen, other = l1.address(4), l1.address(5)
    receipt = l1.ok(0, l1.hkd.functions.freeze(frozen))
    (event,) = l1.hkd.events.Frozen().process_receipt(receipt, errors=DISCARD)
    assert (event.args.account, event.args.by) == (frozen, l1.address(0))

    blocked = {
        "send": (4, l1.hkd.functions.transfer(other, 1)),
        "receive": (5, l1.hkd.functions.transfer(frozen, 1)),
        "be minted to": (0, l1.hkd.functions.mint(frozen, 1)),
        "approve": (4, l1.hkd.functions.approve(other, 1)),
        "be approved": (5, l1.hkd.functions.approve(frozen, 1)),
    }
    for what, (sender, call) in blocked.items():
        revert = l1.revert_of(sender, call)
        assert (revert.name, revert.args) == ("AccountFrozen", (frozen,)), what
        l1.expect_failed_tx(sender, call)
    # A spender frozen after it was approved cannot spend the allowance either.
    l1.ok(5, l1.hkd.functions.approve(l1.address(6), 10))
    l1.ok(0, l1.hkd.functions.freeze(l1.address(6)))
    revert = l1.revert_of(6, l1.hkd.functions.transferFrom(other, l1.address(7), 10))
    assert (revert.name, revert.args) == ("AccountFrozen", (l1.address(6),))
    assert l1.hkd_balance(frozen) == l1.hkd_balance(other) == DEVNET_MINT_AMOUNT

    receipt = l1.ok(0, l1.hkd.functions.unfreeze(frozen))
    assert l1.hkd.events.Unfrozen().process_receipt(receipt, errors=DISCARD)[0].args.account == frozen
    l1.ok(4, l1.hkd.functions.transfer(other, 3))
    assert l1.hkd_balance(other) == DEVNET_MINT_AMOUNT + 3


def test_pause_stops_every_movement_until_unpaused(l1: L1) -> None:
    receipt = l1.ok(0, l1.hkd.functions.pause())
    assert l1.hkd.events.Paused().process_receipt(receipt, errors=DISCARD)[0].args.account == l1.address(0)
    for sender, call in (
        (1, l1.hkd.functions.transfer(l1.address(2), 1)),
        (0, l1.hkd.functions.mint(l1.address(2), 1)),
        (0, l1.hkd.functions.burn(1)),
    ):
        assert l1.revert_of(sender, call).name == "EnforcedPause"
        l1.expect_failed_tx(sender, call)
    l1.ok(0, l1.hkd.functions.unpause())
    l1.ok(1, l1.hkd.functions.transfer(l1.address(2), 1))
    assert l1.hkd_balance(l1.address(2)) == DEVNET_MINT_AMOUNT + 1


def test_permit_signed_offchain_sets_allowance(l1: L1) -> None:
    owner, spender = l1.address(6), l1.address(7)
    deadline = int(time.time()) + 3600
    v, r, s = sign_permit(l1, 6, spender, 75 * HKD_UNIT, deadline)
    permit = l1.hkd.functions.permit(owner, spender, 75 * HKD_UNIT, deadline, v, r, s)
    l1.ok(8, permit)  # anyone may submit the owner's signature
    assert l1.hkd.functions.allowance(owner, spender).call() == 75 * HKD_UNIT
    assert l1.hkd.functions.nonces(owner).call() == 1
    l1.ok(7, l1.hkd.functions.transferFrom(owner, spender, 75 * HKD_UNIT))
    assert l1.hkd_balance(spender) == DEVNET_MINT_AMOUNT + 75 * HKD_UNIT

    # The same signature cannot be used twice: the nonce moved, so it recovers another signer.
    assert l1.revert_of(8, permit).name == "ERC2612InvalidSigner"
    expired = int(l1.w3.eth.get_block("latest")["timestamp"]) - 1
    v, r, s = sign_permit(l1, 6, spender, 1, expired)
    revert = l1.revert_of(8, l1.hkd.functions.permit(owner, spender, 1, expired, v, r, s))
    assert (revert.name, revert.args) == ("ERC2612ExpiredSignature", (expired,))
