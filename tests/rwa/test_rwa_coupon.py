"""A semi-annual coupon paid to many holders from a record-date snapshot: 500 on anvil
(LANTAU_RWA_COUPON_HOLDERS) and 100 on the L2 node (LANTAU_RWA_COUPON_HOLDERS_L2; py-evm executes
~100x slower than anvil, and the whole RWA suite must stay within minutes).

Rounding rule under test (CorporateActions NatSpec): a coupon is the bond's rate on each holder's
record-date units, so holder h with record balance b_h receives floor(b_h * faceValue(1 HKD) *
4.05% / 2 payments a year) = b_h * 40_500 // 2_000_000 wei (18 decimals), computed by hand here;
the coupon funded is the same formula on the supply S, and the remainder coupon - sum(paid) (the
floors' dust) goes to the issuer when the distribution closes, so paid + remainder == coupon.
"""

from __future__ import annotations

import os
import random

import pytest

from tests.rwa.rwa_chain import BATCH_GAS, COUPON, DAY, GREEN_BOND, HKD, YEAR, Chain, RWASystem, events

HOLDERS_BY_BACKEND = {
    "anvil": int(os.environ.get("LANTAU_RWA_COUPON_HOLDERS", "500")),
    "l2": int(os.environ.get("LANTAU_RWA_COUPON_HOLDERS_L2", "100")),
}
SEED = 405
MINT_CHUNK = 100
PUSH_CHUNK = 50  # holders per pushPayments (within the L2 proof-cost caps, genesis.rollup_config)
CLAIMERS = 10  # the first holders claim themselves; the rest are pushed


@pytest.mark.rwa_backends("l2", "anvil")
def test_coupon_to_many_holders_is_exact_and_follows_the_record_date(chain: Chain, rwa: RWASystem) -> None:
    holder_count = HOLDERS_BY_BACKEND[chain.backend]
    rng = random.Random(SEED)
    issuer = chain.new_address("coupon issuer", fund_wei=10**27)
    agent = chain.new_address("coupon agent", fund_wei=10**21)
    holders = [chain.new_address(f"coupon holder {i}") for i in range(holder_count)]  # no HKD: pushes create them
    latecomer = chain.new_address("bought after the record date")
    rwa.register([*holders, latecomer])
    now = chain.now()
    bond = rwa.create_asset(
        issuer=issuer,
        agents=[agent],
        name="Green Bond 4.05% semi-annual",
        symbol="GB405S",
        asset_class=GREEN_BOND,
        # A short first period, so that its coupon date falls within the test on the L2's clock.
        bond=(HKD, 40_500, 2, now + YEAR, [now + 300, now + YEAR // 2, now + YEAR]),
    )
    t, actions = bond.functions, rwa.actions.functions
    # Odd balances down to the last wei, so that the floors really round.
    amounts = [rng.randint(1, 5_000_000) * 10**18 + rng.randint(0, 10**18 - 1) for _ in holders]
    for i in range(0, holder_count, MINT_CHUNK):
        # Given gas: estimating runs the 100 mints several times, past the node's 5 s EVM limit on a
        # loaded machine; the mint, not the estimate, is what this test is about.
        chain.send(t.batchMint(holders[i : i + MINT_CHUNK], amounts[i : i + MINT_CHUNK]), agent, gas=BATCH_GAS)
    supply = sum(amounts)
    assert t.totalSupply().call() == supply and t.holderCount().call() == holder_count

    coupon = actions.couponDue(bond.address).call()
    assert coupon == supply * 40_500 // 2_000_000
    pay = t.bondTerms().call()[4][0]  # a coupon is paid on a coupon date
    record = pay - 60
    receipt = chain.send(
        actions.announceDistribution(bond.address, COUPON, record, pay, pay + 30 * DAY), issuer, value=coupon
    )
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    distribution = announced["id"]
    assert actions.couponDue(bond.address).call() == coupon

    # After the record date: holder 0 sells everything to holder 1, holder 2 sells half to a
    # latecomer. Neither changes who is paid.
    chain.advance(record + 1 - chain.now())
    chain.send(t.transfer(holders[1], amounts[0]), _funded(chain, holders[0]))
    chain.send(t.transfer(latecomer, amounts[2] // 2), _funded(chain, holders[2]))
    assert t.balanceOf(holders[0]).call() == 0
    assert t.balanceOfAt(holders[0], record).call() == amounts[0]
    assert t.totalSupplyAt(record).call() == supply

    expected = [a * 40_500 // 2_000_000 for a in amounts]
    chain.advance(pay - chain.now())
    for h in holders[:CLAIMERS]:
        _funded(chain, h)  # claimers pay their own gas
    before = {h: chain.balance(h) for h in holders}
    received: dict[str, int] = {}
    for h in holders[:CLAIMERS]:
        assert actions.entitlement(distribution, h).call() == expected[holders.index(h)]
        receipt = chain.send(actions.claim(distribution), h)
        received[h] = chain.balance(h) - before[h] + receipt["gasUsed"] * receipt["effectiveGasPrice"]
    gas_pushed = 0
    for i in range(CLAIMERS, holder_count, PUSH_CHUNK):
        chunk = holders[i : i + PUSH_CHUNK]
        # Given gas, as the mints (estimating 50 pushes can pass the node's 5 s EVM limit on a loaded machine).
        receipt = chain.send(actions.pushPayments(distribution, [*chunk, latecomer, holders[0]]), agent, gas=BATCH_GAS)
        gas_pushed += receipt["gasUsed"]
    print(f"\ngas: CorporateActions.pushPayments per holder (new accounts) = {gas_pushed // (holder_count - CLAIMERS)}")
    for h in holders[CLAIMERS:]:
        received[h] = chain.balance(h) - before[h]

    assert [received[h] for h in holders] == expected
    assert chain.balance(latecomer) == 0
    paid = sum(expected)
    remainder = coupon - paid
    assert 0 < remainder < holder_count  # the floors lost something, less than 1 wei per holder
    assert rwa.actions.functions.distribution(distribution).call()[10] == paid  # paidWei

    issuer_before = chain.balance(issuer)
    receipt = chain.send(actions.closeDistribution(distribution), agent)
    (closed,) = events(rwa.actions, "DistributionClosed", receipt)
    assert (closed["paidWei"], closed["remainderWei"]) == (paid, remainder)
    assert chain.balance(issuer) - issuer_before == remainder
    assert paid + remainder == coupon
    assert chain.revert_of(actions.claim(distribution), holders[0]).name == "DistributionIsClosed"


@pytest.mark.rwa_backends("anvil")  # the 30-day claim period
def test_claim_rules(chain: Chain, rwa: RWASystem) -> None:
    issuer = chain.new_address("claim issuer", fund_wei=10**24)
    agent = chain.new_address("claim agent", fund_wei=10**21)
    a, b, outsider = (chain.new_address(f"claim {n}", fund_wei=10**21) for n in "ab?")
    rwa.register([a, b])
    now = chain.now()
    bond = rwa.create_asset(
        issuer=issuer,
        agents=[agent],
        name="Bond",
        symbol="B",
        asset_class=GREEN_BOND,
        decimals=0,
        bond=(1000 * HKD, 50_000, 1, now + YEAR, [now + 20, now + YEAR]),
    )
    chain.send(bond.functions.batchMint([a, b], [1, 2]), agent)
    actions = rwa.actions.functions
    deadline = now + 20 + 30 * DAY  # the shortest claim period (MIN_CLAIM_PERIOD)
    due = 150 * HKD  # 3 units x HK$1,000 x 5%
    for record, pay, sender, value, error in (
        (now + 10, now + 20, outsider, due, "NotIssuerOrAgent"),
        (now - 10, now + 20, issuer, due, "RecordTimeInPast"),
        (now + 10, now + 10, issuer, due, "InvalidSchedule"),
        (now + 10, now + 20, issuer, due - 1, "CouponUnderfunded"),
    ):
        call = actions.announceDistribution(bond.address, COUPON, record, pay, deadline)
        assert chain.revert_of(call, sender, value=value).name == error
    revert = chain.revert_of(
        actions.announceDistribution(bond.address, COUPON, now + 10, now + 20, deadline - 1), issuer, value=150 * HKD
    )
    assert (revert.name, revert.args) == ("ClaimPeriodTooShort", (now + 20, deadline - 1, deadline))
    receipt = chain.send(
        actions.announceDistribution(bond.address, COUPON, now + 10, now + 20, deadline), issuer, value=150 * HKD
    )
    (announced,) = events(rwa.actions, "DistributionAnnounced", receipt)
    d = announced["id"]
    assert chain.revert_of(actions.claim(d), a).name == "NotPayableYet"
    chain.advance(now + 20 - chain.now())
    chain.send(actions.claim(d), a)  # 1 unit x HK$1,000 x 5% = HK$50
    assert chain.revert_of(actions.claim(d), a).name == "AlreadyPaid"
    assert chain.revert_of(actions.claim(d), outsider).name == "NothingToClaim"
    assert chain.revert_of(actions.closeDistribution(d), outsider).name == "CannotCloseYet"
    chain.advance(deadline + 1 - chain.now())
    issuer_before = chain.balance(issuer)
    chain.send(actions.closeDistribution(d), outsider)  # b never claimed: HK$150 - 50 back to the issuer
    assert chain.balance(issuer) - issuer_before == 100 * HKD


def _funded(chain: Chain, address: str) -> str:
    chain.set_balance(address, 10**20)
    return address
