"""ERC-7943 (uRWA) and ERC-2612 (permit) on every RWA asset (issue 17, features), served by
RWATokenExtension through the asset's fallback: the standard's interface id, account and transfer
checks that agree with the asset's reason codes, absolute frozen amounts that may exceed the
balance, the standard's forced transfer, and permits signed by the SDK (`rwa.permit`, eth-account).
Every refusal leaves balances, frozen amounts, allowances and nonces as they were."""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from rwa.permit import Permit, sign_permit
from tests.rwa.rwa_chain import (
    AGRICULTURAL,
    DAY,
    ERC7943_FORCED_TRANSFER,
    LANTAU_FORCED_TRANSFER,
    UNITED_STATES,
    Chain,
    RWASystem,
    events,
)

pytestmark = pytest.mark.rwa_backends("l2")

BALANCE_FROZEN, RECEIVER_NOT_VERIFIED = 5, 7  # TransferCodes


def _interface_id(*signatures: str) -> bytes:
    """ERC-165: the XOR of the functions' selectors."""
    value = 0
    for signature in signatures:
        value ^= int.from_bytes(keccak(text=signature)[:4], "big")
    return value.to_bytes(4, "big")


@pytest.fixture
def asset(chain: Chain, rwa: RWASystem) -> tuple[Any, str, list[str]]:
    issuer = chain.new_address("7943 issuer", fund_wei=10**21)
    holders = [chain.new_address(f"7943 holder {i}", fund_wei=10**21) for i in range(3)]
    rwa.register(holders)
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Tai Po Orchard Receivable", symbol="TPOR",
                             asset_class=AGRICULTURAL, decimals=0)
    chain.send(token.functions.batchMint(holders[:2], [1_000, 500]), issuer)
    return token, issuer, holders


def test_interface_ids(asset: Any) -> None:
    token, _, _ = asset
    erc7943 = _interface_id(
        "forcedTransfer(address,address,uint256)",
        "setFrozenTokens(address,uint256)",
        "canSend(address)",
        "canReceive(address)",
        "getFrozenTokens(address)",
        "canTransfer(address,address,uint256)",
    )
    assert erc7943 == bytes.fromhex("3edbb4c4")  # the id ERC-7943 states for its fungible interface
    erc2612 = _interface_id(
        "permit(address,address,uint256,uint256,uint8,bytes32,bytes32)", "nonces(address)", "DOMAIN_SEPARATOR()"
    )
    assert token.functions.supportsInterface(erc7943).call()
    assert token.functions.supportsInterface(erc2612).call()


def test_account_and_transfer_checks_follow_the_rules(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    token, issuer, (a, b, c) = asset
    t = token.functions
    stranger = chain.new_address("7943 unverified")
    assert (t.canSend(a).call(), t.canReceive(c).call()) == (True, True)
    assert (t.canSend(stranger).call(), t.canReceive(stranger).call()) == (False, False)
    assert t.canTransfer(a, c, 10).call() and not t.canTransfer(a, stranger, 10).call()
    # A balance too small is ERC-20's business, not a permissioned rule: still allowed here.
    assert t.canTransfer(c, a, 10).call() and t.transferStatus(c, a, 10).call()[0] == 4
    # Jurisdiction is an account-level rule for the receiver.
    us_investor = chain.new_address("7943 US investor")
    rwa.register([us_investor], country=UNITED_STATES)
    chain.send(rwa.compliance.functions.setRules(token.address, (0, 0, True, False, 0, 0)), issuer)
    chain.send(rwa.compliance.functions.setCountriesAllowed(token.address, [344], True), issuer)
    assert (t.canReceive(us_investor).call(), t.canSend(us_investor).call()) == (False, True)
    assert not t.canTransfer(a, us_investor, 1).call()
    # A frozen address can neither send nor receive; pause stops every transfer.
    chain.send(t.setAddressFrozen(b, True), issuer)
    assert (t.canSend(b).call(), t.canReceive(b).call(), t.canTransfer(a, b, 1).call()) == (False, False, False)
    chain.send(t.pause(), issuer)
    assert not t.canTransfer(a, c, 1).call()


def test_set_frozen_tokens_is_absolute_and_may_exceed_the_balance(chain: Chain, asset: Any) -> None:
    token, issuer, (a, b, c) = asset
    t = token.functions
    receipt = chain.send(t.setFrozenTokens(b, 800), issuer)  # b holds 500
    assert events(token, "Frozen", receipt) == [{"account": b, "amount": 800}]
    assert (t.getFrozenTokens(b).call(), t.frozenTokens(b).call()) == (800, 800)
    assert not t.canTransfer(b, c, 1).call()
    revert = chain.expect_revert(t.transfer(c, 1), b)
    assert (revert.name, revert.args[0]) == ("TransferNotCompliant", BALANCE_FROZEN)
    # Receipts while over-frozen stay frozen: 300 more arrive, still nothing moves.
    chain.send(t.transfer(b, 300), a)
    assert chain.expect_revert(t.transfer(c, 1), b).args[0] == BALANCE_FROZEN
    receipt = chain.send(t.setFrozenTokens(b, 600), issuer)  # overwrite, not add
    assert events(token, "TokensUnfrozen", receipt) == [{"account": b, "amount": 200}]
    chain.send(t.transfer(c, 200), b)
    assert (t.balanceOf(b).call(), t.balanceOf(c).call(), t.getFrozenTokens(b).call()) == (600, 200, 600)
    # Only an agent sets it; a holder's attempt changes nothing.
    assert chain.expect_revert(t.setFrozenTokens(b, 0), b).name == "NotAgent"
    assert (t.getFrozenTokens(b).call(), t.balanceOf(b).call()) == (600, 600)


def test_freeze_role_is_required(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    token, issuer, (a, b, _) = asset
    t = token.functions
    owner = t.owner().call()
    supply_only = chain.new_address("supply-only agent", fund_wei=10**21)
    chain.send(t.setAgentRoles(supply_only, 1), owner)  # AgentRoles.SUPPLY
    revert = chain.expect_revert(t.setFrozenTokens(a, 10), supply_only)
    assert (revert.name, revert.args[1]) == ("MissingAgentRole", 2)
    revert = chain.expect_revert(t.forcedTransfer(a, b, 10), supply_only)
    assert (revert.name, revert.args[1]) == ("MissingAgentRole", 4)
    assert (t.getFrozenTokens(a).call(), t.balanceOf(a).call(), t.balanceOf(b).call()) == (0, 1_000, 500)


def test_erc7943_forced_transfer_unfreezes_first_and_keeps_the_receiver_rules(chain: Chain, asset: Any) -> None:
    token, issuer, (a, b, c) = asset
    t = token.functions
    stranger = chain.new_address("7943 unverified receiver")
    chain.send(t.setFrozenTokens(a, 900), issuer)
    revert = chain.expect_revert(t.forcedTransfer(a, stranger, 400), issuer)
    assert (revert.name, revert.args[0]) == ("TransferNotCompliant", RECEIVER_NOT_VERIFIED)
    assert (t.balanceOf(a).call(), t.getFrozenTokens(a).call(), t.balanceOf(stranger).call()) == (1_000, 900, 0)

    receipt = chain.send(t.forcedTransfer(a, c, 400), issuer)
    assert events(token, ERC7943_FORCED_TRANSFER, receipt) == [{"from": a, "to": c, "amount": 400}]
    (detail,) = events(token, LANTAU_FORCED_TRANSFER, receipt)
    assert detail["legalReference"] == t.ERC7943_REFERENCE().call() == "ERC-7943 forcedTransfer"
    # 100 were free, so 300 frozen tokens were released: Frozen(a, 600) comes before the Transfer.
    assert events(token, "Frozen", receipt) == [{"account": a, "amount": 600}]
    topics = [log["topics"][0] for log in receipt["logs"]]
    assert topics.index(keccak(text="Frozen(address,uint256)")) < topics.index(
        keccak(text="Transfer(address,address,uint256)")
    )
    assert (t.balanceOf(a).call(), t.getFrozenTokens(a).call(), t.balanceOf(c).call()) == (600, 600, 400)


def test_permit_signed_by_the_sdk(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    token, issuer, (a, b, c) = asset
    t = token.functions
    owner = chain.new_account("permit owner")
    spender = chain.new_address("permit spender", fund_wei=10**21)
    rwa.register([owner.address])
    chain.send(t.mint(owner.address, 300), issuer)
    chain_id, name = chain.w3.eth.chain_id, t.name().call()
    deadline = chain.now() + DAY

    def signed(value: int, nonce: int, until: int, key: bytes = owner.key) -> tuple[Any, ...]:
        sig = sign_permit(Permit(owner.address, spender, value, nonce, until), key,
                          chain_id=chain_id, token=token.address, token_name=name)
        return (owner.address, spender, value, until, sig.v, sig.r, sig.s)

    # Refusals first: each leaves allowance and nonce untouched.
    revert = chain.expect_revert(t.permit(*signed(200, 0, chain.now() - 1)), spender)
    assert revert.name == "ERC2612ExpiredSignature"
    impostor = chain.new_account("permit impostor")
    revert = chain.expect_revert(t.permit(*signed(200, 0, deadline, impostor.key)), spender)
    assert (revert.name, revert.args) == ("ERC2612InvalidSigner", (impostor.address, owner.address))
    revert = chain.expect_revert(t.permit(*signed(200, 1, deadline)), spender)  # not the current nonce
    assert revert.name == "ERC2612InvalidSigner"
    assert (t.allowance(owner.address, spender).call(), t.nonces(owner.address).call()) == (0, 0)

    permit = signed(200, 0, deadline)
    receipt = chain.send(t.permit(*permit), spender)  # the spender pays the gas, not the owner
    assert events(token, "Approval", receipt) == [{"owner": owner.address, "spender": spender, "value": 200}]
    assert (t.allowance(owner.address, spender).call(), t.nonces(owner.address).call()) == (200, 1)
    assert chain.expect_revert(t.permit(*permit), spender).name == "ERC2612InvalidSigner"  # once only
    chain.send(t.transferFrom(owner.address, c, 150), spender)
    assert (t.balanceOf(owner.address).call(), t.balanceOf(c).call()) == (150, 150)
    assert t.allowance(owner.address, spender).call() == 50

    # The domain is the asset's: its current name, version "1", this chain, the asset's address.
    domain = t.eip712Domain().call()
    assert tuple(domain[1:5]) == (name, "1", chain_id, token.address)
