"""A green bond in the shape of the HKSAR Government's first tokenized green bond: HK$800 million
face, 4.05% annual coupon, 1-year tenor. Issued to three KYC'd investors, then every control a
transfer agent needs: KYC and its expiry, lock-up, jurisdiction and professional-investor rules,
address and partial freeze, forced transfer, recovery of a lost wallet, pause; and at maturity
the coupon and the redemption.

Numbers by hand: 1 token = HK$1 face, 18 decimals, so the supply is 800,000,000 * 10**18 units;
one annual coupon is 800,000,000 * 4.05% = HK$32,400,000; an investor holding 400,000,000
tokens receives 16,200,000 HKD of coupon and 400,000,000 HKD at redemption.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from web3.contract import Contract

from tests.rwa.rwa_chain import (
    COUPON,
    DAY,
    GREEN_BOND,
    HKD,
    HONG_KONG,
    INSTITUTIONAL,
    LANTAU_FORCED_TRANSFER,
    PROFESSIONAL,
    RETAIL,
    SINGAPORE,
    UNITED_STATES,
    YEAR,
    ZERO_ADDRESS,
    Chain,
    RWASystem,
    TxFailed,
    events,
)

TOKEN = 10**18
FACE_HKD = 800_000_000
RATE_PPM = 40_500  # 4.05%
HOLDINGS = (400_000_000 * TOKEN, 250_000_000 * TOKEN, 150_000_000 * TOKEN)

# On the L2 node (the default here); the coupon and redemption a year later need anvil's clock.
pytestmark = pytest.mark.rwa_backends("l2")


@dataclass
class Bond:
    token: Contract
    issuer: str
    agent: str
    investors: tuple[str, str, str]
    lockup_until: int
    maturity: int


@pytest.fixture
def issue_green_bond(chain: Chain, rwa: RWASystem) -> Callable[..., Bond]:
    def issue(lockup_s: int = 30 * DAY) -> Bond:
        issuer = chain.new_address("HKSAR Government", fund_wei=10**28)
        agent = chain.new_address("transfer agent", fund_wei=10**21)
        a, b, c = (chain.new_address(f"investor {n}", fund_wei=10**21) for n in "abc")
        rwa.register([a, c], country=HONG_KONG, category=INSTITUTIONAL)
        rwa.register([b], country=SINGAPORE, category=PROFESSIONAL)
        now = chain.now()
        maturity = now + YEAR
        token = rwa.create_asset(
            issuer=issuer,
            agents=[agent],
            name="HKSAR Government Green Bond 4.05% (tokenized)",
            symbol="HKGGB",
            asset_class=GREEN_BOND,
            issuer_name="The Government of the Hong Kong Special Administrative Region",
            bond=(HKD, RATE_PPM, 1, maturity, [maturity]),
        )
        lockup_until = now + lockup_s if lockup_s else 0
        chain.send(rwa.compliance.functions.setRules(token.address, (lockup_until, 0, True, True, 0, 0)), issuer)
        chain.send(rwa.compliance.functions.setCountriesAllowed(token.address, [HONG_KONG, SINGAPORE], True), issuer)
        chain.send(token.functions.batchMint([a, b, c], list(HOLDINGS)), agent)
        return Bond(token, issuer, agent, (a, b, c), lockup_until, maturity)

    return issue


def test_issued_to_three_kyc_investors(chain: Chain, rwa: RWASystem, issue_green_bond: Callable[..., Bond]) -> None:
    bond = issue_green_bond()
    t = bond.token.functions
    assert t.totalSupply().call() == FACE_HKD * TOKEN
    assert [t.balanceOf(i).call() for i in bond.investors] == list(HOLDINGS)
    assert t.holderCount().call() == 3
    info = t.assetInfo().call()
    assert info[0] == GREEN_BOND and info[3] == "HKD"
    face, rate, per_year, maturity, coupon_dates = t.bondTerms().call()
    assert (face, rate, per_year, maturity, list(coupon_dates)) == (HKD, RATE_PPM, 1, bond.maturity, [bond.maturity])
    assert t.owner().call() == bond.issuer
    assert t.isAgent(bond.agent).call() and t.isAgent(rwa.actions.address).call()
    # The factory found it by identifier, at the address it predicted from the identifier.
    assert rwa.factory.functions.assetByIdentifier(info[1]).call() == bond.token.address
    assert rwa.factory.functions.predictAssetAddress(info[1]).call() == bond.token.address
    assert rwa.actions.functions.couponDue(bond.token.address).call() == 32_400_000 * HKD
    assert rwa.actions.functions.redemptionDue(bond.token.address).call() == 800_000_000 * HKD
    # Only agents mint; only KYC'd professional investors in HK or SG receive.
    stranger = chain.new_address("stranger", fund_wei=10**21)
    assert chain.expect_revert(t.mint(stranger, 1), stranger).name == "NotAgent"
    assert chain.expect_revert(t.mint(stranger, 1), bond.agent).args == (7, "receiver not KYC verified")


def test_transfer_to_a_non_kyc_wallet_reverts_with_its_reason(
    chain: Chain, issue_green_bond: Callable[..., Bond]
) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, _, _ = bond.investors
    not_kyc = chain.new_address("not KYC'd")
    revert = chain.expect_revert(bond.token.functions.transfer(not_kyc, TOKEN), a)
    assert revert.name == "TransferNotCompliant"
    assert revert.args == (7, "receiver not KYC verified")
    assert tuple(bond.token.functions.transferStatus(a, not_kyc, TOKEN).call()) == (7, "receiver not KYC verified")
    assert bond.token.functions.balanceOf(a).call() == HOLDINGS[0]
    assert bond.token.functions.balanceOf(not_kyc).call() == 0


def test_lockup_holds_until_its_date_then_rules_still_apply(
    chain: Chain, rwa: RWASystem, issue_green_bond: Callable[..., Bond]
) -> None:
    # 30 days where the clock can jump (anvil); a minute of blocks on the L2 node.
    bond = issue_green_bond(lockup_s=30 * DAY if chain.can_time_travel else 60)
    a, b, _ = bond.investors
    t = bond.token.functions
    assert chain.expect_revert(t.transfer(b, TOKEN), a).args == (20, "tokens are locked up")

    chain.advance(bond.lockup_until - chain.now())  # the next block is the first at/after the date
    receipt = chain.send(t.transfer(b, 5 * TOKEN), a)
    print(f"\ngas: RWAToken.transfer between existing holders = {receipt['gasUsed']}")
    assert t.balanceOf(a).call() == HOLDINGS[0] - 5 * TOKEN
    assert t.balanceOf(b).call() == HOLDINGS[1] + 5 * TOKEN

    retail = chain.new_address("retail")
    rwa.register([retail], country=HONG_KONG, category=RETAIL)
    assert chain.expect_revert(t.transfer(retail, TOKEN), a).args == (17, "receiver not a professional investor")
    us_investor = chain.new_address("US professional")
    rwa.register([us_investor], country=UNITED_STATES, category=PROFESSIONAL)
    assert chain.expect_revert(t.transfer(us_investor, TOKEN), a).args == (16, "receiver jurisdiction not allowed")
    newcomer = chain.new_address("new SG professional")
    rwa.register([newcomer], country=SINGAPORE, category=PROFESSIONAL)
    receipt = chain.send(t.transfer(newcomer, TOKEN), a)
    print(f"gas: RWAToken.transfer to a first-time holder = {receipt['gasUsed']}")
    assert t.holderCount().call() == 4


def test_frozen_investor_cannot_move_tokens_and_forced_transfer_works(
    chain: Chain, issue_green_bond: Callable[..., Bond]
) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, b, c = bond.investors
    t = bond.token.functions
    chain.send(t.setAddressFrozen(b, True), bond.agent)
    assert chain.expect_revert(t.transfer(c, TOKEN), b).args == (2, "sender address frozen")
    assert chain.expect_revert(t.transfer(b, TOKEN), a).args == (3, "receiver address frozen")

    # A forced transfer (court order) moves the frozen investor's tokens; only an agent may do it,
    # only to a KYC'd wallet, and it names its legal basis.
    order = "HCMP 1234/2025 (Court of First Instance)"
    assert chain.expect_revert(t.forcedTransfer(b, c, TOKEN, order), bond.issuer).name == "NotAgent"
    assert chain.expect_revert(t.forcedTransfer(b, chain.new_address("x"), TOKEN, order), bond.agent).args == (
        7,
        "receiver not KYC verified",
    )
    assert chain.expect_revert(t.forcedTransfer(b, c, TOKEN, ""), bond.agent).name == "LegalReferenceRequired"
    receipt = chain.send(t.forcedTransfer(b, c, 50_000_000 * TOKEN, order), bond.agent)
    assert events(bond.token, LANTAU_FORCED_TRANSFER, receipt) == [
        {"from": b, "to": c, "amount": 50_000_000 * TOKEN, "agent": bond.agent, "legalReference": order,
         "rulesOverridden": False}
    ]
    assert t.balanceOf(b).call() == HOLDINGS[1] - 50_000_000 * TOKEN
    assert t.balanceOf(c).call() == HOLDINGS[2] + 50_000_000 * TOKEN

    chain.send(t.setAddressFrozen(b, False), bond.agent)
    chain.send(t.transfer(c, TOKEN), b)
    assert t.balanceOf(c).call() == HOLDINGS[2] + 50_000_001 * TOKEN


def test_partial_freeze_holds_part_of_a_balance(chain: Chain, issue_green_bond: Callable[..., Bond]) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, b, _ = bond.investors
    t = bond.token.functions
    frozen = 100_000_000 * TOKEN
    chain.send(t.freezePartialTokens(a, frozen), bond.agent)
    assert t.frozenTokens(a).call() == frozen
    free = HOLDINGS[0] - frozen
    assert chain.expect_revert(t.transfer(b, free + 1), a).args == (5, "amount exceeds unfrozen balance")
    chain.send(t.transfer(b, free), a)
    assert t.balanceOf(a).call() == frozen
    assert chain.expect_revert(t.transfer(b, 1), a).args == (5, "amount exceeds unfrozen balance")
    assert chain.expect_revert(t.freezePartialTokens(a, 1), bond.agent).name == "FreezeExceedsBalance"

    chain.send(t.unfreezePartialTokens(a, 40_000_000 * TOKEN), bond.agent)
    chain.send(t.transfer(b, 40_000_000 * TOKEN), a)
    assert t.balanceOf(a).call() == t.frozenTokens(a).call() == 60_000_000 * TOKEN
    # A forced transfer releases frozen tokens as it needs them.
    chain.send(t.forcedTransfer(a, b, 10_000_000 * TOKEN, "error correction ticket 42"), bond.agent)
    assert t.balanceOf(a).call() == t.frozenTokens(a).call() == 50_000_000 * TOKEN
    assert t.balanceOf(b).call() == HOLDINGS[1] + free + 50_000_000 * TOKEN


def test_recovery_moves_a_lost_wallet_to_a_new_one(
    chain: Chain, rwa: RWASystem, issue_green_bond: Callable[..., Bond]
) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, b, _ = bond.investors
    t = bond.token.functions
    chain.send(t.freezePartialTokens(a, 7 * TOKEN), bond.agent)
    new_wallet = chain.new_address("investor a, new wallet", fund_wei=10**21)
    # The token follows the registry: no recovery the KYC agent has not made there...
    revert = chain.expect_revert(t.recoveryAddress(a, new_wallet), bond.agent)
    assert (revert.name, revert.args) == ("RecoveryNotInRegistry", (a, new_wallet, ZERO_ADDRESS))
    assert t.balanceOf(a).call() == HOLDINGS[0] and t.balanceOf(new_wallet).call() == 0
    # ...so the KYC agent moves the identity first, then the transfer agent moves the tokens.
    chain.send(rwa.registry.functions.recoverIdentity(a, new_wallet), rwa.kyc_agent)
    receipt = chain.send(t.recoveryAddress(a, new_wallet), bond.agent)
    assert events(bond.token, "RecoverySuccess", receipt) == [
        {"lostWallet": a, "newWallet": new_wallet, "amount": HOLDINGS[0], "agent": bond.agent}
    ]
    # The lost wallet's frozen part moves: released there, frozen again on the new wallet.
    assert events(bond.token, "TokensUnfrozen", receipt) == [{"account": a, "amount": 7 * TOKEN}]
    assert events(bond.token, "TokensFrozen", receipt) == [{"account": new_wallet, "amount": 7 * TOKEN}]
    assert t.balanceOf(a).call() == 0
    assert t.balanceOf(new_wallet).call() == HOLDINGS[0]
    assert t.frozenTokens(new_wallet).call() == 7 * TOKEN and t.frozenTokens(a).call() == 0
    assert t.holderCount().call() == 3
    assert tuple(rwa.registry.functions.identity(new_wallet).call()[:2]) == (HONG_KONG, INSTITUTIONAL)
    assert not rwa.registry.functions.isVerified(a).call()
    chain.send(t.transfer(b, TOKEN), new_wallet)
    assert t.balanceOf(new_wallet).call() == HOLDINGS[0] - TOKEN


def test_expired_kyc_stops_the_sender_until_renewed(
    chain: Chain, rwa: RWASystem, issue_green_bond: Callable[..., Bond]
) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, b, _ = bond.investors
    t = bond.token.functions
    short = chain.new_address("short KYC", fund_wei=10**21)
    rwa.register([short], country=HONG_KONG, category=PROFESSIONAL, kyc_expiry=chain.now() + 100)
    chain.send(t.transfer(short, TOKEN), a)
    chain.advance(101)
    assert not rwa.registry.functions.isVerified(short).call()
    assert chain.expect_revert(t.transfer(b, TOKEN), short).args == (6, "sender not KYC verified")
    assert chain.expect_revert(t.transfer(short, TOKEN), a).args == (7, "receiver not KYC verified")
    chain.send(rwa.registry.functions.updateIdentity(short, HONG_KONG, PROFESSIONAL, chain.now() + YEAR), rwa.kyc_agent)
    chain.send(t.transfer(b, TOKEN), short)
    assert t.balanceOf(short).call() == 0


def test_pause_stops_every_investor_transfer(chain: Chain, issue_green_bond: Callable[..., Bond]) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, b, _ = bond.investors
    t = bond.token.functions
    chain.send(t.pause(), bond.agent)
    assert chain.expect_revert(t.transfer(b, TOKEN), a).args == (1, "token is paused")
    assert chain.expect_revert(t.pause(), bond.agent).name == "PausedState"
    chain.send(t.unpause(), bond.agent)
    chain.send(t.transfer(b, TOKEN), a)


@pytest.mark.rwa_backends("anvil")  # a year of chain time
def test_coupon_and_redemption_at_maturity(chain: Chain, rwa: RWASystem, issue_green_bond: Callable[..., Bond]) -> None:
    bond = issue_green_bond(lockup_s=0)
    a, b, c = bond.investors
    t = bond.token.functions
    actions = rwa.actions.functions
    assert chain.expect_revert(actions.redeem(bond.token.address), a).name == "NotMatured"

    # The annual coupon, on the holders at a record time one day before the coupon date.
    chain.advance(bond.maturity - DAY - 10 - chain.now())
    coupon = actions.couponDue(bond.token.address).call()
    assert coupon == 32_400_000 * HKD
    record = bond.maturity - DAY
    receipt = chain.send(
        actions.announceDistribution(bond.token.address, COUPON, record, bond.maturity, bond.maturity + 30 * DAY),
        bond.issuer,
        value=coupon,
    )
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    chain.advance(bond.maturity - chain.now())
    before = [chain.balance(i) for i in bond.investors]
    chain.send(actions.pushPayments(announced["id"], [a, b, c]), bond.agent)
    expected = [16_200_000 * HKD, 10_125_000 * HKD, 6_075_000 * HKD]  # 4.05% of each holding
    assert [chain.balance(i) - x for i, x in zip(bond.investors, before)] == expected
    receipt = chain.send(actions.closeDistribution(announced["id"]), bond.agent)
    assert events(rwa.actions, "DistributionClosed", receipt)[0]["remainderWei"] == 0

    # Redemption: the issuer funds the face value, a redeems itself, the issuer redeems b and c.
    due = actions.redemptionDue(bond.token.address).call()
    assert due == FACE_HKD * HKD
    chain.send(actions.fundRedemption(bond.token.address), bond.issuer, value=due)
    before = chain.balance(a)
    receipt = chain.send(actions.redeem(bond.token.address), a)
    gas_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert chain.balance(a) - before + gas_cost == 400_000_000 * HKD
    assert t.balanceOf(a).call() == 0
    before = [chain.balance(b), chain.balance(c)]
    chain.send(actions.redeemFor(bond.token.address, [b, c]), bond.agent)
    assert [chain.balance(b) - before[0], chain.balance(c) - before[1]] == [250_000_000 * HKD, 150_000_000 * HKD]
    assert t.totalSupply().call() == 0 and t.holderCount().call() == 0
    receipt = chain.send(actions.closeRedemption(bond.token.address), bond.issuer)
    assert events(rwa.actions, "RedemptionClosed", receipt)[0]["surplusWei"] == 0
    with pytest.raises(TxFailed):
        chain.send(actions.redeem(bond.token.address), a)
