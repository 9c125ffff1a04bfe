"""`lantau rwa permit`, `lantau rwa consolidate` and `lantau rwa cash-out-fractions` against the L2
node (tests/rwa/conftest.py), in-process through typer's runner over HTTP: each refusal is one line
naming the contract's error, exits 1, and leaves the chain as it was."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from node.cli import app
from tests.rwa.rwa_chain import GREEN_BOND, HK_STOCK, HKD, YEAR, Chain, RWASystem

pytestmark = pytest.mark.rwa_backends("l2")


def _flat(output: str) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(output.split())


def _error_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:"), output
    return lines[0]


def test_permit_command_signs_submits_and_refuses_in_one_line(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("permit cli issuer", fund_wei=10**21)
    owner = chain.new_account("permit cli owner")
    spender = chain.new_account("permit cli spender")
    rwa.register([owner.address, spender.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Permit CLI Co", symbol="PCLI",
                             asset_class=HK_STOCK, decimals=0)
    t = token.functions
    chain.send(t.mint(owner.address, 500), issuer)
    runner = CliRunner()
    base = ["--l2-rpc", chain.w3.provider.endpoint_uri]  # type: ignore[attr-defined]

    result = runner.invoke(app, ["rwa", "permit", token.address, spender.address, "200", *base, "--key", "0x" + owner.key.hex()])
    assert result.exit_code == 0, result.output
    assert f"{spender.address} may take 200 PCLI of {owner.address} (nonce 0" in _flat(result.output)
    assert t.allowance(owner.address, spender.address).call() == 200 and t.nonces(owner.address).call() == 1

    # Signed only, submitted by the spender with its own key: the signature is what counts.
    signed = runner.invoke(app, ["rwa", "permit", token.address, spender.address, "300", "--sign-only", *base,
                                 "--key", "0x" + owner.key.hex()])
    assert signed.exit_code == 0, signed.output
    permit = json.loads(signed.output)
    assert (permit["owner"], permit["value"], permit["nonce"]) == (owner.address, 300, 1)
    call = t.permit(owner.address, spender.address, 300, permit["deadline"], permit["v"], permit["r"], permit["s"])
    chain.send(call, spender.address)
    assert t.allowance(owner.address, spender.address).call() == 300

    # Refusals, one line each, nothing moved: an expired signature, a bad amount, an unknown asset.
    result = runner.invoke(app, ["rwa", "permit", token.address, spender.address, "1", "--valid-for", "-5", *base,
                                 "--key", "0x" + owner.key.hex()])
    assert result.exit_code == 1 and "--valid-for must be positive" in _error_line(result.output)
    result = runner.invoke(app, ["rwa", "permit", token.address, spender.address, "0.5", *base, "--key", "0x" + owner.key.hex()])
    assert result.exit_code == 1 and _error_line(result.output)
    result = runner.invoke(app, ["rwa", "permit", "NOSUCH", spender.address, "1", *base, "--key", "0x" + owner.key.hex()])
    assert result.exit_code == 1 and "no asset 'NOSUCH'" in _error_line(result.output)
    assert t.allowance(owner.address, spender.address).call() == 300 and t.nonces(owner.address).call() == 2


def test_consolidate_command_refusals_are_one_line(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_account("consolidate cli issuer", fund_wei=10**22)
    holder = chain.new_address("consolidate cli holder")
    rwa.register([holder])
    stock = rwa.create_asset(issuer=issuer.address, agents=[issuer.address], name="Consolidate CLI Co", symbol="CCLI",
                             asset_class=HK_STOCK, decimals=0)
    now = chain.now()
    bond = rwa.create_asset(issuer=issuer.address, agents=[issuer.address], name="Consolidate CLI note", symbol="CCLN",
                            asset_class=GREEN_BOND, decimals=0, bond=(1_000 * HKD, 50_000, 1, now + YEAR, [now + YEAR]))
    chain.send(stock.functions.mint(holder, 25), issuer.address)
    runner = CliRunner()
    base = ["--l2-rpc", chain.w3.provider.endpoint_uri, "--key", "0x" + issuer.key.hex()]  # type: ignore[attr-defined]
    pot = chain.balance(rwa.actions.address)

    result = runner.invoke(app, ["rwa", "consolidate", stock.address, "10", "--fund-hkd", "5", *base])
    assert result.exit_code == 1 and "NoReferencePrice" in _error_line(result.output)
    reporter = chain.new_address("consolidate cli reporter", fund_wei=10**20)
    for asset in (stock.address, bond.address):
        chain.send(rwa.price_feed.functions.setReporter(asset, reporter, True), rwa.operator)
        chain.send(rwa.price_feed.functions.submitPrice(asset, 2 * HKD, chain.now()), reporter)
    result = runner.invoke(app, ["rwa", "consolidate", bond.address, "10", *base])
    assert result.exit_code == 1 and "SplitOnBond" in _error_line(result.output)
    result = runner.invoke(app, ["rwa", "cash-out-fractions", stock.address, *base])
    assert result.exit_code == 1 and "NoFractionCashOut" in _error_line(result.output)
    assert stock.functions.splitCount().call() == 0 and bond.functions.splitCount().call() == 0
    assert chain.balance(rwa.actions.address) == pot

    result = runner.invoke(app, ["rwa", "consolidate", stock.address, "10", "--in", "3", "--fund-hkd", "10", *base])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["rwa", "cash-out-fractions", stock.address, *base])
    assert result.exit_code == 1 and "ConsolidationNotEffective" in _error_line(result.output)
    chain.advance(4)
    result = runner.invoke(app, ["rwa", "cash-out-fractions", stock.address, *base])
    assert result.exit_code == 0, result.output
    assert f"{holder}: fraction of 5 fine units paid HK$10.00" in _flat(result.output)  # 25 -> 2 and 5 x HK$2
    assert stock.functions.balanceOf(holder).call() == 2 and stock.functions.totalSupply().call() == 2


def test_trade_affirm_command_locks_both_legs_then_settle_delivers(chain: Chain, rwa: RWASystem, tmp_path: Path) -> None:
    issuer = chain.new_address("affirm cli issuer", fund_wei=10**21)
    seller, buyer = chain.new_account("affirm cli seller"), chain.new_account("affirm cli buyer", fund_wei=10**22)
    rwa.register([seller.address, buyer.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Affirm CLI Co", symbol="ACLI",
                             asset_class=HK_STOCK, decimals=0)
    t, engine = token.functions, rwa.engine.functions
    chain.send(t.mint(seller.address, 100), issuer)
    runner = CliRunner()
    base = ["--l2-rpc", chain.w3.provider.endpoint_uri]  # type: ignore[attr-defined]
    trade = tmp_path / "trade.json"
    result = runner.invoke(app, ["rwa", "trade", "propose", "--seller", seller.address, "--buyer", buyer.address, "--asset",
                                 token.address, "--amount", "40", "--pay-hkd", "120", "--out", str(trade), *base])
    assert result.exit_code == 0, result.output
    for who in (seller, buyer):
        result = runner.invoke(app, ["rwa", "trade", "sign", str(trade), "--no-prepare", *base, "--key", "0x" + who.key.hex()])
        assert result.exit_code == 0, result.output

    # One transaction locks both legs, or nothing: each refusal is one line, before anything is
    # sent, and leaves no hold. The buyer's escrow is empty; then the seller has not approved the
    # engine for the units (signed with --no-prepare).
    affirm = ["rwa", "trade", "affirm", str(trade), *base, "--key", "0x" + seller.key.hex()]
    result = runner.invoke(app, affirm)
    assert result.exit_code == 1 and "InsufficientEscrow" in _error_line(result.output)
    assert (t.heldBalanceOf(seller.address).call(), engine.escrowOf(buyer.address).call()) == (0, 0)
    chain.send(engine.deposit(), buyer.address, value=120 * HKD)
    result = runner.invoke(app, affirm)
    assert result.exit_code == 1 and "ERC20InsufficientAllowance" in _error_line(result.output)
    assert (t.heldBalanceOf(seller.address).call(), engine.escrowOf(buyer.address).call()) == (0, 120 * HKD)

    chain.send(t.approve(rwa.engine.address, 40), seller.address)
    before = chain.w3.eth.block_number
    result = runner.invoke(app, affirm)
    assert result.exit_code == 0, result.output
    assert chain.w3.eth.block_number == before + 1  # one transaction (a block per transaction here)
    assert "40 units held, HK$120.00 locked" in _flat(result.output)
    assert (t.heldBalanceOf(seller.address).call(), engine.escrowOf(buyer.address).call()) == (40, 0)
    result = runner.invoke(app, affirm)  # twice
    assert result.exit_code == 1 and "TradeIsAffirmed" in _error_line(result.output)
    assert (t.heldBalanceOf(seller.address).call(), engine.escrowOf(buyer.address).call()) == (40, 0)

    result = runner.invoke(app, ["rwa", "trade", "settle", str(trade), *base, "--key", "0x" + buyer.key.hex()])
    assert result.exit_code == 0, result.output
    assert (t.balanceOf(seller.address).call(), t.balanceOf(buyer.address).call(), t.heldBalanceOf(seller.address).call()) == (60, 40, 0)
    assert engine.escrowOf(seller.address).call() == 120 * HKD
    chain.send(engine.withdraw(120 * HKD), seller.address)  # leave the engine as found


def test_trade_affirm_command_locks_an_hkd_token_cash_leg(chain: Chain, rwa: RWASystem, tmp_path: Path) -> None:
    """The cash leg in the HKD stablecoin as an ERC-20 on L2 (the L1 token's contract,
    `HKDStablecoin`, 6 decimals): `trade propose --pay-token`, signed with the legs prepared (the
    buyer approves the engine for the token), affirmed in one transaction, settled."""
    issuer = chain.new_address("token affirm cli issuer", fund_wei=10**21)
    seller, buyer = chain.new_account("token affirm cli seller"), chain.new_account("token affirm cli buyer", fund_wei=10**22)
    rwa.register([seller.address, buyer.address])
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name="Token Affirm Co", symbol="TACO",
                             asset_class=HK_STOCK, decimals=0)
    t = token.functions
    chain.send(t.mint(seller.address, 100), issuer)
    cash = chain.deploy("HKDStablecoin", "Hong Kong Dollar (bridged)", "HKD", issuer, sender=issuer)
    chain.send(cash.functions.grantRole(cash.functions.MINTER_ROLE().call(), issuer), issuer)
    chain.send(cash.functions.mint(buyer.address, 100 * 10**6), issuer)  # HK$100, short of the HK$120.50 asked
    runner = CliRunner()
    base = ["--l2-rpc", chain.w3.provider.endpoint_uri]  # type: ignore[attr-defined]
    trade = tmp_path / "token-trade.json"
    result = runner.invoke(app, ["rwa", "trade", "propose", "--seller", seller.address, "--buyer", buyer.address, "--asset",
                                 token.address, "--amount", "40", "--pay-hkd", "120.5", "--pay-token", cash.address,
                                 "--out", str(trade), *base])
    assert result.exit_code == 0, result.output
    assert f"for HK$120.50 in token {cash.address}" in _flat(result.output)
    for who in (seller, buyer):
        result = runner.invoke(app, ["rwa", "trade", "sign", str(trade), *base, "--key", "0x" + who.key.hex()])
        assert result.exit_code == 0, result.output

    affirm = ["rwa", "trade", "affirm", str(trade), *base, "--key", "0x" + buyer.key.hex()]
    result = runner.invoke(app, affirm)  # the token refuses the cash leg: one line, no hold, nothing moved
    assert result.exit_code == 1 and "ERC20InsufficientBalance" in _error_line(result.output)
    assert (t.heldBalanceOf(seller.address).call(), cash.functions.balanceOf(buyer.address).call()) == (0, 100 * 10**6)
    chain.send(cash.functions.mint(buyer.address, 20_500_000), issuer)
    result = runner.invoke(app, affirm)
    assert result.exit_code == 0, result.output
    assert "40 units held, HK$120.50 in token" in _flat(result.output)
    assert (t.heldBalanceOf(seller.address).call(), cash.functions.balanceOf(buyer.address).call(),
            cash.functions.balanceOf(rwa.engine.address).call()) == (40, 0, 120_500_000)

    result = runner.invoke(app, ["rwa", "trade", "settle", str(trade), *base, "--key", "0x" + seller.key.hex()])
    assert result.exit_code == 0, result.output
    assert (t.balanceOf(seller.address).call(), t.balanceOf(buyer.address).call()) == (60, 40)
    assert (cash.functions.balanceOf(seller.address).call(), cash.functions.balanceOf(rwa.engine.address).call()) == (120_500_000, 0)
