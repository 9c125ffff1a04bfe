"""One chain, several licensed platforms (issue 17, defects 1, 6 and 7).

- A platform's registry agent changes only the records it registered (the owner may change any);
  each asset chooses which platforms' KYC it trusts; a category upgrade needs a second agent or
  `CATEGORY_UPGRADE_DELAY`.
- Agent powers are separate roles; compliance rules belong to the issuer; a forced transfer names
  its legal reference and still meets the asset's receiver rules unless the agent holds the
  override role.
- Limits count investors, not wallets: two wallets of one investor (one salted investor id) on two
  platforms share one maximum balance, one holder slot and one daily limit.

Every refusal is checked to leave the state as it was.
"""

from __future__ import annotations

from typing import Any

import pytest
from eth_utils import keccak

from tests.rwa.rwa_chain import (
    AGRICULTURAL,
    DAY,
    HK_STOCK,
    HONG_KONG,
    INSTITUTIONAL,
    LANTAU_FORCED_TRANSFER,
    PROFESSIONAL,
    RETAIL,
    SINGAPORE,
    UNITED_STATES,
    YEAR,
    Chain,
    RWASystem,
    events,
)

pytestmark = pytest.mark.rwa_backends("l2")

SUPPLY, FREEZE, TRANSFER, RECOVERY, CORPORATE, OVERRIDE = 1, 2, 4, 8, 16, 32
OPERATIONS = SUPPLY | FREEZE | TRANSFER | RECOVERY | CORPORATE
NO_RULES = (0, 0, False, False, 0, 0)  # lockupUntil, maxHolders, countryRestricted, professionalOnly, maxBalance, dailyLimit


def _identity(rwa: RWASystem, investor: str) -> tuple[Any, ...]:
    return tuple(rwa.registry.functions.identity(investor).call())


def _asset(chain: Chain, rwa: RWASystem, label: str) -> tuple[Any, str, str]:
    issuer = chain.new_address(f"{label} issuer", fund_wei=10**21)
    agent = chain.new_address(f"{label} agent", fund_wei=10**21)
    token = rwa.create_asset(
        issuer=issuer, agents=[agent], name=f"{label} shares", symbol="SHR", asset_class=HK_STOCK, decimals=0
    )
    return token, issuer, agent


# --- defect 1: records belong to the platform that registered them --------------------------------


def test_a_platform_cannot_change_another_platforms_investors(chain: Chain, rwa: RWASystem) -> None:
    platform_b = rwa.new_kyc_agent("platform B")
    investor = chain.new_address("platform A client")
    rwa.register([investor], category=RETAIL)  # by platform A (the system's KYC agent)
    before = _identity(rwa, investor)
    expiry = chain.now() + YEAR
    spare = chain.new_address("platform B's wallet for the client")
    registry = rwa.registry.functions
    for call in (
        registry.updateIdentity(investor, SINGAPORE, RETAIL, expiry),
        registry.deleteIdentity(investor),
        registry.recoverIdentity(investor, spare),
    ):
        revert = chain.expect_revert(call, platform_b)
        assert (revert.name, revert.args) == ("NotRecordAgent", (investor, rwa.kyc_agent, platform_b))
    assert _identity(rwa, investor) == before
    assert registry.isVerified(investor).call() and not registry.isVerified(spare).call()

    # The record's own agent, and the registry owner, may.
    chain.send(registry.updateIdentity(investor, SINGAPORE, RETAIL, expiry), rwa.kyc_agent)
    assert _identity(rwa, investor) == (SINGAPORE, RETAIL, expiry, rwa.kyc_agent)
    chain.send(registry.updateIdentity(investor, HONG_KONG, RETAIL, expiry), rwa.operator)
    assert _identity(rwa, investor) == (HONG_KONG, RETAIL, expiry, rwa.kyc_agent)  # still A's record


def test_an_asset_accepts_only_the_kyc_providers_it_trusts(chain: Chain, rwa: RWASystem) -> None:
    platform_b = rwa.new_kyc_agent("platform B (not trusted)")
    a_client = chain.new_address("A client", fund_wei=10**21)
    b_client = chain.new_address("B client", fund_wei=10**21)
    rwa.register([a_client])
    rwa.register([b_client], agent=platform_b)
    token, issuer, agent = _asset(chain, rwa, "trusting")
    t = token.functions
    assert t.trustedKycAgentCount().call() == 0  # until the issuer chooses, every provider counts
    revert = chain.expect_revert(t.setTrustedKycAgent(rwa.kyc_agent, True), agent)
    assert revert.name == "NotOwner"
    chain.send(t.setTrustedKycAgent(rwa.kyc_agent, True), issuer)

    chain.send(t.mint(a_client, 100), agent)
    untrusted = (10, "receiver's KYC provider not trusted by this asset")
    assert chain.expect_revert(t.mint(b_client, 100), agent).args == untrusted
    assert chain.expect_revert(t.transfer(b_client, 10), a_client).args == untrusted
    assert tuple(t.transferStatus(a_client, b_client, 10).call()) == untrusted
    assert chain.expect_revert(t.forcedTransfer(a_client, b_client, 10, "order 1"), agent).args == untrusted
    assert (t.balanceOf(a_client).call(), t.balanceOf(b_client).call(), t.totalSupply().call()) == (100, 0, 100)

    chain.send(t.setTrustedKycAgent(platform_b, True), issuer)
    chain.send(t.transfer(b_client, 10), a_client)
    chain.send(t.setTrustedKycAgent(rwa.kyc_agent, False), issuer)  # now only B's clients
    assert chain.expect_revert(t.transfer(a_client, 1), b_client).args == untrusted
    assert tuple(t.transferStatus(a_client, b_client, 1).call()) == (9, "sender's KYC provider not trusted by this asset")
    assert chain.expect_revert(t.setTrustedKycAgent(rwa.kyc_agent, False), issuer).name == "TrustedKycAgentAlreadySet"
    assert (t.balanceOf(a_client).call(), t.balanceOf(b_client).call()) == (90, 10)


def test_a_category_upgrade_needs_a_second_agent(chain: Chain, rwa: RWASystem) -> None:
    platform_b = rwa.new_kyc_agent("platform B (second agent)")
    investor = chain.new_address("retail client", fund_wei=10**21)
    rwa.register([investor], category=RETAIL)
    registry = rwa.registry.functions
    expiry = registry.kycExpiryOf(investor).call()

    receipt = chain.send(registry.updateIdentity(investor, HONG_KONG, PROFESSIONAL, expiry), rwa.kyc_agent)
    assert not registry.isProfessional(investor).call()  # proposed, not applied
    assert registry.investorCategory(investor).call() == RETAIL
    (proposed,) = events(rwa.registry, "CategoryUpgradeProposed", receipt)
    assert proposed["category"] == PROFESSIONAL and proposed["proposer"] == rwa.kyc_agent
    assert tuple(registry.pendingCategoryUpgrade(investor).call()) == (
        PROFESSIONAL, proposed["notBefore"], rwa.kyc_agent
    )
    revert = chain.expect_revert(registry.confirmCategoryUpgrade(investor), rwa.kyc_agent)
    assert (revert.name, revert.args) == ("SecondAgentRequired", (investor, rwa.kyc_agent))
    revert = chain.expect_revert(registry.applyCategoryUpgrade(investor), investor)
    assert revert.name == "UpgradeNotDue" and revert.args[:2] == (investor, proposed["notBefore"])
    assert chain.expect_revert(registry.confirmCategoryUpgrade(investor), investor).name == "NotAgent"
    assert registry.investorCategory(investor).call() == RETAIL

    chain.send(registry.confirmCategoryUpgrade(investor), platform_b)
    assert registry.isProfessional(investor).call()
    assert _identity(rwa, investor)[3] == rwa.kyc_agent  # the record stays A's
    assert chain.expect_revert(registry.confirmCategoryUpgrade(investor), platform_b).name == "NoPendingUpgrade"
    # A downgrade is applied at once.
    chain.send(registry.updateIdentity(investor, HONG_KONG, RETAIL, expiry), rwa.kyc_agent)
    assert registry.investorCategory(investor).call() == RETAIL


@pytest.mark.rwa_backends("anvil")  # the three-day delay
def test_a_category_upgrade_applies_after_the_delay(chain: Chain, rwa: RWASystem) -> None:
    investor = chain.new_address("retail client, anvil", fund_wei=10**21)
    rwa.register([investor], category=PROFESSIONAL)
    registry = rwa.registry.functions
    expiry = registry.kycExpiryOf(investor).call()
    chain.send(registry.updateIdentity(investor, HONG_KONG, INSTITUTIONAL, expiry), rwa.kyc_agent)
    delay = registry.CATEGORY_UPGRADE_DELAY().call()
    assert delay == 3 * DAY
    chain.advance(delay - 60)
    assert chain.expect_revert(registry.applyCategoryUpgrade(investor), investor).name == "UpgradeNotDue"
    chain.advance(120)
    chain.send(registry.applyCategoryUpgrade(investor), investor)  # anyone, once due
    assert registry.investorCategory(investor).call() == INSTITUTIONAL


# --- defect 7: granular agent roles, owner-only rules, forced transfers within the rules ----------


def test_agent_powers_are_separate_roles(chain: Chain, rwa: RWASystem) -> None:
    token, issuer, agent = _asset(chain, rwa, "roles")
    t = token.functions
    assert t.agentRoles(agent).call() == OPERATIONS  # no override unless the issuer grants it
    assert t.agentRoles(rwa.actions.address).call() == SUPPLY | CORPORATE
    holder, other = (chain.new_address(f"roles holder {i}", fund_wei=10**21) for i in range(2))
    rwa.register([holder, other])
    chain.send(t.mint(holder, 1_000), agent)

    freezer = chain.new_address("compliance officer (freeze only)", fund_wei=10**21)
    assert chain.expect_revert(t.setAgentRoles(freezer, FREEZE), agent).name == "NotOwner"
    chain.send(t.setAgentRoles(freezer, FREEZE), issuer)
    assert t.isAgent(freezer).call()
    for call, bit, name in (
        (t.mint(freezer, 1), SUPPLY, "supply (mint, burn)"),
        (t.burn(holder, 1), SUPPLY, "supply (mint, burn)"),
        (t.forcedTransfer(holder, other, 1, "order 2"), TRANSFER, "transfer manager (forced transfer)"),
        (t.recoveryAddress(holder, other), RECOVERY, "recovery"),
        (t.scheduleRecordTime(chain.now() + 100), CORPORATE, "corporate actions (record dates, splits, documents)"),
    ):
        revert = chain.expect_revert(call, freezer)
        assert (revert.name, revert.args) == ("MissingAgentRole", (freezer, bit, name))
    assert (t.balanceOf(holder).call(), t.balanceOf(other).call(), t.totalSupply().call()) == (1_000, 0, 1_000)
    chain.send(t.setAddressFrozen(holder, True), freezer)
    assert t.isFrozen(holder).call()
    assert chain.expect_revert(t.setAgentRoles(freezer, 64), issuer).name == "InvalidAgentRoles"
    chain.send(t.setAgentRoles(freezer, 0), issuer)
    assert not t.isAgent(freezer).call()
    assert chain.expect_revert(t.setAddressFrozen(holder, False), freezer).name == "NotAgent"


def test_forced_transfer_meets_the_rules_unless_overridden(chain: Chain, rwa: RWASystem) -> None:
    token, issuer, agent = _asset(chain, rwa, "forced")
    t = token.functions
    hk_holder = chain.new_address("HK holder", fund_wei=10**21)
    us_holder = chain.new_address("US holder", fund_wei=10**21)
    rwa.register([hk_holder], country=HONG_KONG)
    rwa.register([us_holder], country=UNITED_STATES)
    chain.send(rwa.compliance.functions.setRules(token.address, (0, 0, True, False, 0, 0)), issuer)
    chain.send(rwa.compliance.functions.setCountriesAllowed(token.address, [HONG_KONG], True), issuer)
    chain.send(t.mint(hk_holder, 500), agent)

    order = "HCMP 77/2026 garnishee order"
    revert = chain.expect_revert(t.forcedTransfer(hk_holder, us_holder, 200, order), agent)
    assert (revert.name, revert.args) == ("TransferNotCompliant", (16, "receiver jurisdiction not allowed"))
    assert (t.balanceOf(hk_holder).call(), t.balanceOf(us_holder).call()) == (500, 0)

    chain.send(t.setAgentRoles(agent, OPERATIONS | OVERRIDE), issuer)
    receipt = chain.send(t.forcedTransfer(hk_holder, us_holder, 200, order), agent)
    assert events(token, LANTAU_FORCED_TRANSFER, receipt) == [
        {"from": hk_holder, "to": us_holder, "amount": 200, "agent": agent, "legalReference": order,
         "rulesOverridden": True}
    ]
    assert (t.balanceOf(hk_holder).call(), t.balanceOf(us_holder).call()) == (300, 200)


# --- defect 6: limits per investor across wallets --------------------------------------------------


def _investor_id(document: str) -> bytes:
    """What a platform computes off chain: a salted commitment to the investor's ID document."""
    return keccak(b"lantau-kyc-salt-2026" + document.encode())


def _one_investor_two_platforms(chain: Chain, rwa: RWASystem, document: str) -> tuple[str, str, bytes]:
    """Two wallets of one investor, KYC'd by platform A and by a new platform B under the same
    investor id; returns (wallet on A, wallet on B, investor id)."""
    platform_b = rwa.new_kyc_agent(f"platform B for {document}")
    same_person = _investor_id(document)
    wallet_on_a = chain.new_address(f"{document} on platform A", fund_wei=10**21)
    wallet_on_b = chain.new_address(f"{document} on platform B", fund_wei=10**21)
    registry = rwa.registry.functions
    expiry = chain.now() + YEAR
    for wallet, agent in ((wallet_on_a, rwa.kyc_agent), (wallet_on_b, platform_b)):
        call = registry.registerIdentityWithInvestorId(wallet, HONG_KONG, PROFESSIONAL, expiry, same_person)
        chain.send(call, agent)
    return wallet_on_a, wallet_on_b, same_person


def test_limits_count_investors_not_wallets(chain: Chain, rwa: RWASystem) -> None:
    wallet_on_a, wallet_on_b, same_person = _one_investor_two_platforms(chain, rwa, "HKID A123456(7)")
    registry = rwa.registry.functions
    assert registry.investorIdOf(wallet_on_a).call() == registry.investorIdOf(wallet_on_b).call() == same_person
    nobody = chain.new_address("wallet without an investor id")
    call = registry.registerIdentityWithInvestorId(nobody, HONG_KONG, PROFESSIONAL, chain.now() + YEAR, bytes(32))
    revert = chain.expect_revert(call, rwa.kyc_agent)
    assert (revert.name, revert.args) == ("InvalidInvestorId", (bytes(32),))
    assert not registry.isVerified(nobody).call()
    c, d = (chain.new_address(f"single-wallet investor {i}", fund_wei=10**21) for i in "cd")
    rwa.register([c, d])
    assert registry.investorIdOf(c).call() == bytes(12) + bytes.fromhex(c[2:])

    token = rwa.create_asset(issuer=rwa.kyc_agent, agents=[rwa.kyc_agent], name="Capped receivable",
                             symbol="CAP", asset_class=AGRICULTURAL, decimals=0)
    t = token.functions
    chain.send(rwa.compliance.functions.setRules(token.address, (0, 2, False, False, 1_000, 0)), rwa.kyc_agent)
    chain.send(t.mint(c, 500), rwa.kyc_agent)
    chain.send(t.mint(wallet_on_a, 600), rwa.kyc_agent)

    # The second wallet does not double the cap...
    assert chain.expect_revert(t.mint(wallet_on_b, 401), rwa.kyc_agent).args == (
        19, "receiver balance would exceed the maximum per investor"
    )
    assert chain.expect_revert(t.transfer(wallet_on_b, 401), c).args[0] == 19
    assert tuple(t.investorBalances(c, wallet_on_b).call()) == (500, 600, False)
    chain.send(t.mint(wallet_on_b, 400), rwa.kyc_agent)
    # ...nor take a second holder slot: two investors hold, a third is refused.
    assert t.holderCount().call() == 2
    assert chain.expect_revert(t.mint(d, 1), rwa.kyc_agent).args == (18, "maximum number of holders reached")
    # Between the wallets of one investor: no new holder, no cap (the investor's total is unchanged).
    chain.send(t.transfer(wallet_on_b, 600), wallet_on_a)
    assert tuple(t.investorBalances(wallet_on_a, wallet_on_b).call()) == (1_000, 1_000, True)
    assert t.holderCount().call() == 2
    assert (t.balanceOf(wallet_on_a).call(), t.balanceOf(wallet_on_b).call(), t.balanceOf(d).call()) == (0, 1_000, 0)
    # The investor leaves with its last units from its last wallet: a slot opens.
    chain.send(t.transfer(c, 500), wallet_on_b)
    assert t.holderCount().call() == 2  # X still holds 500
    chain.send(rwa.compliance.functions.setRules(token.address, (0, 2, False, False, 2_000, 0)), rwa.kyc_agent)
    chain.send(t.transfer(c, 500), wallet_on_b)
    assert t.holderCount().call() == 1 and t.investorBalances(c, wallet_on_b).call()[1] == 0
    chain.send(t.mint(d, 1), rwa.kyc_agent)
    assert t.holderCount().call() == 2


@pytest.mark.rwa_backends("anvil")  # waits for a UTC midnight
def test_daily_limit_counts_all_wallets_of_an_investor(chain: Chain, rwa: RWASystem) -> None:
    wallet_on_a, wallet_on_b, _ = _one_investor_two_platforms(chain, rwa, "HKID B765432(1)")
    buyer = chain.new_address("daily buyer", fund_wei=10**21)
    rwa.register([buyer])
    token = rwa.create_asset(issuer=rwa.kyc_agent, agents=[rwa.kyc_agent], name="Daily capped",
                             symbol="DLY", asset_class=AGRICULTURAL, decimals=0)
    t = token.functions
    chain.send(t.batchMint([wallet_on_a, wallet_on_b], [1_000, 1_000]), rwa.kyc_agent)
    chain.send(rwa.compliance.functions.setRules(token.address, (0, 0, False, False, 0, 300)), rwa.kyc_agent)
    chain.advance(DAY - chain.now() % DAY + 1)
    chain.send(t.transfer(buyer, 200), wallet_on_a)
    assert rwa.compliance.functions.dailyVolume(token.address, wallet_on_b).call() == 200
    assert chain.expect_revert(t.transfer(buyer, 101), wallet_on_b).args == (21, "daily transfer limit exceeded")
    assert t.balanceOf(buyer).call() == 200
    chain.send(t.transfer(buyer, 100), wallet_on_b)
