"""Deposit gas has a price (issue 9, finding 5). The portal sells the L2 gas of each L1 block's
deposits on OP's `ResourceMetering` market: `gasLimit` times a deposit base fee (1 gwei at its
floor), paid by burning that many wei / max(L1 base fee, 1 gwei) of L1 gas; the fee rises by up
to 1/8 per L1 block while deposits buy more than the target (2M of the 20M limit).

Before: one `depositTransaction(gas = 20,000,000)` cost 47,987 L1 gas and made every other
deposit of its L1 block revert. Now it burns 20M L1 gas (two thirds of an L1 block), and doing
it again in the next block would cost 42.5M, more than an L1 block holds.
"""

from __future__ import annotations

from tests.bridge.l1_harness import L1

CENSOR, USER = 4, 1
GWEI = 10**9
LIMIT = 20_000_000  # SystemConfig.maxResourceLimit on the devnet
TARGET = LIMIT // 10  # / elasticity
DENOMINATOR = 8


def next_base_fee(base_fee: int, bought: int) -> int:
    """ResourceMetering's update after one L1 block in which deposits bought `bought` L2 gas
    (integer arithmetic as the contract's), clamped to the 1 gwei floor."""
    return max(GWEI, base_fee + base_fee * (bought - TARGET) // (TARGET * DENOMINATOR))


def test_a_censor_pays_for_the_block_budget_in_l1_gas(l1: L1) -> None:
    portal = l1.portal.functions
    assert tuple(l1.config.functions.resourceConfig().call()) == (LIMIT, 10, DENOMINATOR, GWEI, 1_000_000, 2**128 - 1)

    full = portal.depositTransaction(l1.address(CENSOR), 0, LIMIT, False, b"")
    censor = l1.send(CENSOR, full, gas=25_000_000)
    assert censor["status"] == 1
    # 20M L2 gas at 1 gwei, over an L1 base fee below 1 gwei (counted as 1 gwei): 20M L1 gas.
    assert LIMIT <= censor["gasUsed"] < LIMIT + 30_000
    assert portal.params().call() == [GWEI, LIMIT, censor["blockNumber"]]

    # The block's budget is spent: another deposit in it is refused (eth_call sees that block).
    small = portal.depositTransaction(l1.address(USER), 0, 100_000, False, b"")
    assert (l1.revert_of(USER, small, gas=1_000_000).name) == "OutOfGas"

    # In the next block the price has risen by (20M - 2M) / (2M * 8) = 9/8: 2.125 gwei per L2 gas.
    user = l1.send(USER, small, gas=1_000_000)
    assert user["status"] == 1 and user["blockNumber"] == censor["blockNumber"] + 1
    price = next_base_fee(GWEI, LIMIT)
    assert price == 2_125_000_000
    assert portal.params().call() == [price, 100_000, user["blockNumber"]]
    assert 212_500 <= user["gasUsed"] < 212_500 + 30_000  # 100,000 * 2.125 burned

    # Filling the next block's budget would burn 20M * 2.125 = 42.5M L1 gas: more than the L1
    # block gas limit, so the censor cannot even do it once more in a row.
    refill_l1_gas = LIMIT * next_base_fee(price, 100_000) // GWEI
    block_gas_limit = int(l1.w3.eth.get_block("latest")["gasLimit"])
    print(f"\nL1 gas: 20M-gas deposit {censor['gasUsed']:,} (was 47,987); a 100k deposit the block after "
          f"{user['gasUsed']:,}; refilling the budget then {refill_l1_gas:,} > L1 block gas limit {block_gas_limit:,}")
    assert refill_l1_gas > block_gas_limit == 30_000_000
