"""Compliance rules one by one, each switched on alone on a fresh asset: maximum holders,
maximum balance per investor, daily transfer limit; who may set rules; and the same answer from
`Compliance.canTransfer`, `RWAToken.transferStatus` and the revert of the transfer itself."""

from __future__ import annotations

from typing import Any

import pytest

from tests.rwa.rwa_chain import AGRICULTURAL, DAY, Chain, RWASystem

pytestmark = pytest.mark.rwa_backends("l2")  # the daily limit, which waits for a UTC midnight, on anvil

NO_RULES = (
    0,
    0,
    False,
    False,
    0,
    0,
)  # lockupUntil, maxHolders, countryRestricted, professionalOnly, maxBalance, dailyLimit


@pytest.fixture
def asset(chain: Chain, rwa: RWASystem) -> tuple[Any, str, str, list[str]]:
    issuer = chain.new_address("farm co-op", fund_wei=10**21)
    agent = chain.new_address("co-op agent", fund_wei=10**21)
    investors = [chain.new_address(f"rice investor {i}", fund_wei=10**21) for i in range(5)]
    rwa.register(investors)
    token = rwa.create_asset(
        issuer=issuer,
        agents=[agent],
        name="Yuen Long Rice Harvest 2025",
        symbol="YLRICE",
        asset_class=AGRICULTURAL,
        decimals=0,
    )
    chain.send(token.functions.batchMint(investors[:3], [1_000, 1_000, 1_000]), agent)
    return token, issuer, agent, investors


INSUFFICIENT_BALANCE = 4  # TransferCodes


def _rules(chain: Chain, rwa: RWASystem, token: Any, issuer: str, **changes: int) -> None:
    names = ("lockupUntil", "maxHolders", "countryRestricted", "professionalOnly", "maxBalance", "dailyLimit")
    values = dict(zip(names, NO_RULES)) | changes
    chain.send(rwa.compliance.functions.setRules(token.address, tuple(values[n] for n in names)), issuer)


def _refused(chain: Chain, rwa: RWASystem, token: Any, sender: str, to: str, amount: int) -> tuple[int, str]:
    """The reason, checked to be the same from all three places that give it."""
    revert = chain.expect_revert(token.functions.transfer(to, amount), sender)
    assert revert.name == "TransferNotCompliant"
    assert tuple(token.functions.transferStatus(sender, to, amount).call()) == revert.args
    # ERC-7943's canTransfer agrees (a balance too small is not a permissioned rule there).
    assert token.functions.canTransfer(sender, to, amount).call() is (revert.args[0] == INSUFFICIENT_BALANCE)
    assert tuple(rwa.compliance.functions.canTransfer(token.address, sender, to, amount).call()) == revert.args
    return revert.args


def test_max_holders(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    token, issuer, agent, (a, b, c, d, e) = asset
    _rules(chain, rwa, token, issuer, maxHolders=3)
    assert _refused(chain, rwa, token, a, d, 1) == (18, "maximum number of holders reached")
    chain.send(token.functions.transfer(d, 1_000), a)  # a leaves as d arrives: still 3 holders
    assert token.functions.holderCount().call() == 3
    chain.send(token.functions.transfer(b, 10), c)  # between existing holders: fine
    assert chain.expect_revert(token.functions.mint(e, 1), agent).args == (18, "maximum number of holders reached")


def test_max_balance_per_investor(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    token, issuer, agent, (a, b, _, d, _) = asset
    _rules(chain, rwa, token, issuer, maxBalance=1_500)
    assert _refused(chain, rwa, token, a, b, 501) == (19, "receiver balance would exceed the maximum per investor")
    chain.send(token.functions.transfer(b, 500), a)
    assert token.functions.balanceOf(b).call() == 1_500
    assert chain.expect_revert(token.functions.mint(d, 1_501), agent).args[0] == 19
    chain.send(token.functions.mint(d, 1_500), agent)


@pytest.mark.rwa_backends("anvil")  # up to a day of chain time
def test_daily_transfer_limit(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    token, issuer, _, (a, b, _, _, _) = asset
    _rules(chain, rwa, token, issuer, dailyLimit=100)
    # Start right after a UTC midnight so that the day does not roll over mid-test.
    chain.advance(DAY - chain.now() % DAY + 1)
    chain.send(token.functions.transfer(b, 60), a)
    assert rwa.compliance.functions.dailyVolume(token.address, a).call() == 60
    assert _refused(chain, rwa, token, a, b, 41) == (21, "daily transfer limit exceeded")
    chain.send(token.functions.transfer(b, 40), a)
    chain.send(token.functions.transfer(a, 100), b)  # b's own allowance for the day
    chain.advance(DAY)
    assert rwa.compliance.functions.dailyVolume(token.address, a).call() == 0
    chain.send(token.functions.transfer(b, 100), a)


def test_only_the_issuer_sets_rules(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    """Issue 17, defect 7: an agent's key (it moves tokens daily) cannot loosen the rules."""
    token, issuer, agent, (a, *_) = asset
    _rules(chain, rwa, token, issuer, maxBalance=1_500)
    for caller in (a, agent):
        revert = chain.expect_revert(rwa.compliance.functions.setRules(token.address, NO_RULES), caller)
        assert (revert.name, revert.args) == ("NotAssetOwner", (token.address, caller))
        revert = chain.expect_revert(rwa.compliance.functions.setCountriesAllowed(token.address, [840], True), caller)
        assert (revert.name, revert.args) == ("NotAssetOwner", (token.address, caller))
    assert rwa.compliance.functions.rules(token.address).call()[4] == 1_500  # unchanged
    assert not rwa.compliance.functions.isCountryAllowed(token.address, 840).call()
    chain.send(rwa.compliance.functions.setRules(token.address, NO_RULES), issuer)


def test_per_holder_lockup(chain: Chain, rwa: RWASystem, asset: Any) -> None:
    """Issue 17 feature: one holder's allocation locked to a date, the others free to trade."""
    token, issuer, agent, (a, b, *_) = asset
    until = chain.now() + 30
    revert = chain.expect_revert(rwa.compliance.functions.setHolderLockup(token.address, a, until), agent)
    assert (revert.name, revert.args) == ("NotAssetOwner", (token.address, agent))
    chain.send(rwa.compliance.functions.setHolderLockup(token.address, a, until), issuer)
    assert rwa.compliance.functions.holderLockupUntil(token.address, a).call() == until
    assert _refused(chain, rwa, token, a, b, 1) == (20, "tokens are locked up")
    assert token.functions.balanceOf(a).call() == 1_000
    chain.send(token.functions.transfer(a, 10), b)  # b trades freely; a may receive
    assert tuple(rwa.compliance.functions.rules(token.address).call()) == NO_RULES  # the six rules untouched
    chain.advance(until - chain.now())
    chain.send(token.functions.transfer(b, 1), a)
    assert token.functions.balanceOf(a).call() == 1_009
