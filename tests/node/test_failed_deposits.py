"""Deposits never fail a block (node/vm.py): a deposit the L2 cannot execute is included with
status 0, its mint lands, the sender's nonce is bumped, and it uses its whole gas limit.

The reference for "nothing else happened" is independent of the deposit code: the same block
built without the deposit, plus the mint and the nonce bump written through py-evm's own state
API, must have the failed block's state root.
"""

from __future__ import annotations

from eth._utils.address import generate_contract_address
from eth.constants import CREATE_CONTRACT_ADDRESS
from eth_account import Account
from eth_utils import to_canonical_address, to_checksum_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis.predeploys import BASE_FEE_VAULT, L1_BLOCK, L2_TO_L1_MESSAGE_PASSER, SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.deposit_tx import user_deposit_source_hash
from node.vm import FailedDeposit, LantauTransactionBuilder, LantauVM
from tests.node.test_deposit_tx import DEPOSITOR, GENESIS, REVERTER
from genesis.dev_accounts import dev_accounts

ALICE = dev_accounts()[0]
BOB = to_canonical_address("0x" + "b0" * 20)
MINT = 5 * 10**18
MAX_INITCODE_SIZE = 49_152  # EIP-3860
PORTAL_MAX_DEPOSIT_GAS = 20_000_000  # SystemConfig.maxResourceLimit on the devnet
PORTAL_MAX_DATA = 120_000  # SystemConfig.maxDepositDataSize on the devnet


def deposit(*, to: bytes, mint: int = 0, value: int = 0, gas: int = 100_000, data: bytes = b"",
            sender: bytes = DEPOSITOR, log_index: int = 0):
    return LantauTransactionBuilder.new_deposit_transaction(
        source_hash=user_deposit_source_hash(b"\x22" * 32, log_index), from_=sender, to=to,
        mint=mint, value=value, gas=gas, data=data,
    )


def attributes(parent, *deposits) -> BlockAttributes:
    return BlockAttributes(timestamp=parent.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT, prev_randao=b"\x00" * 32,
                           gas_limit=parent.gas_limit, forced_transactions=tuple(deposits))


def pool_transfer(nonce: int = 0):
    signed = Account.sign_transaction({"to": to_checksum_address(BOB), "value": 1, "gas": 21_000, "maxFeePerGas": 3 * 10**9,
                                       "maxPriorityFeePerGas": 1, "nonce": nonce, "chainId": GENESIS.chain_id, "type": 2},
                                      ALICE.private_key)
    return LantauVM.get_transaction_builder().decode(bytes(signed.raw_transaction))


def reference_state_root(parent, *effects: tuple[bytes, int]) -> bytes:
    """State root of the block on `parent` with no transactions, then for each (sender, mint):
    mint credited and nonce + 1, written with py-evm's state API (no deposit code involved)."""
    chain = Chain.open(None, GENESIS)
    assert chain.head.hash == parent.hash
    empty = chain.build_block(chain.head, attributes(parent))
    state = chain.state_at(empty.header)
    for sender, mint in effects:
        state.delta_balance(sender, mint)
        state.increment_nonce(sender)
    return state.make_state_root()


def assert_failed_deposit(built, index: int, *, gas: int, nonce_before: int) -> None:
    receipt = built.receipts[index]
    previous_cumulative = built.receipts[index - 1].gas_used if index else 0
    assert receipt.state_root == b""  # status 0
    assert receipt.gas_used - previous_cumulative == gas  # the whole gas limit (Regolith)
    assert receipt._inner.deposit_nonce == nonce_before
    assert len(receipt.logs) == 0
    assert isinstance(built.computations[index].error, FailedDeposit)


# --- the three shapes of issue 9, and the other pre-execution failures ------------------------


def test_value_above_balance_fails_with_the_mint_kept() -> None:
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    hostile = deposit(to=BOB, mint=MINT, value=MINT + 1, gas=100_000)
    built = chain.build_block(genesis, attributes(genesis, hostile), [pool_transfer()])

    assert_failed_deposit(built, 0, gas=100_000, nonce_before=0)
    assert "insufficient funds" in str(built.computations[0].error)
    state = chain.state_at(built.header)
    assert state.get_balance(DEPOSITOR) == MINT
    assert state.get_nonce(DEPOSITOR) == 1
    # The block went on: the pool transaction after the deposit is in it.
    assert len(built.block.transactions) == 2 and built.receipts[1].state_root == b"\x01"
    assert state.get_balance(BOB) == 1
    assert chain.head.hash == built.header.hash and built.header.gas_used == 100_000 + 21_000


def test_creation_below_its_intrinsic_gas_fails() -> None:
    """A creation needs 53,000 intrinsic gas; the portal lets one through with 21,000."""
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    built = chain.build_block(genesis, attributes(genesis, deposit(to=CREATE_CONTRACT_ADDRESS, gas=21_000)))

    assert_failed_deposit(built, 0, gas=21_000, nonce_before=0)
    assert "intrinsic gas too low: gas 21000, minimum needed 53000" in str(built.computations[0].error)
    assert built.header.state_root == reference_state_root(genesis, (DEPOSITOR, 0))
    state = chain.state_at(built.header)
    assert state.get_nonce(DEPOSITOR) == 1
    assert state.get_code(generate_contract_address(DEPOSITOR, 0)) == b""


def test_creation_with_init_code_over_the_limit_fails() -> None:
    init_code = b"\x00" * (MAX_INITCODE_SIZE + 1)  # STOPs: would deploy nothing, but is too large
    gas = 21_000 + 16 * len(init_code) + 53_000  # what the portal asks, and then some
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    built = chain.build_block(genesis, attributes(genesis, deposit(to=CREATE_CONTRACT_ADDRESS, mint=MINT, gas=gas, data=init_code)))

    assert_failed_deposit(built, 0, gas=gas, nonce_before=0)
    assert "max initcode size exceeded: code size 49153, limit 49152" in str(built.computations[0].error)
    assert built.header.state_root == reference_state_root(genesis, (DEPOSITOR, MINT))


def test_value_above_balance_changes_only_mint_and_nonce() -> None:
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    built = chain.build_block(genesis, attributes(genesis, deposit(to=REVERTER, mint=MINT, value=2**256 - 1)))
    assert_failed_deposit(built, 0, gas=100_000, nonce_before=0)
    assert built.header.state_root == reference_state_root(genesis, (DEPOSITOR, MINT))


def test_calldata_below_the_eip7623_floor_fails_instead_of_using_more_than_its_gas() -> None:
    """1,000 non-zero bytes: the portal asks 21,000 + 16/byte = 37,000; Prague's floor is
    21,000 + 40/byte = 61,000. Before, the deposit was charged 61,000 of a 37,000 limit."""
    data = b"\x01" * 1_000
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    built = chain.build_block(genesis, attributes(genesis, deposit(to=BOB, gas=37_000, data=data)))
    assert_failed_deposit(built, 0, gas=37_000, nonce_before=0)
    assert "floor data gas cost: gas 37000, minimum needed 61000" in str(built.computations[0].error)
    assert built.header.gas_used == 37_000


def test_deposits_beyond_the_blocks_gas_fail_and_use_what_was_left() -> None:
    """The portal meters 20M gas per L1 block; should deposits ever ask more than the L2 block
    holds, the one that does not fit fails and uses the rest, and the block stays valid."""
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    assert genesis.gas_limit == 30_000_000
    first = deposit(to=BOB, mint=1, value=2, gas=PORTAL_MAX_DEPOSIT_GAS, log_index=0)  # fails: uses all 20M
    second = deposit(to=BOB, mint=2, gas=PORTAL_MAX_DEPOSIT_GAS, log_index=1)  # 10M left
    third = deposit(to=BOB, mint=4, gas=21_000, log_index=2)  # nothing left
    built = chain.build_block(genesis, attributes(genesis, first, second, third), [pool_transfer()])

    assert [r.state_root for r in built.receipts] == [b"", b"", b""]
    assert [r.gas_used for r in built.receipts] == [20_000_000, 30_000_000, 30_000_000]
    assert "gas limit reached: gas 20000000 > gas left in the block 10000000" in str(built.computations[1].error)
    assert "gas limit reached: gas 21000 > gas left in the block 0" in str(built.computations[2].error)
    assert len(built.block.transactions) == 3 and len(built.rejected) == 1  # the pool tx waits
    assert built.header.state_root == reference_state_root(genesis, (DEPOSITOR, 1), (DEPOSITOR, 2), (DEPOSITOR, 4))
    assert built.header.gas_used == built.header.gas_limit


def test_a_failed_deposit_after_a_successful_one_keeps_the_first() -> None:
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    good = deposit(to=BOB, mint=MINT, value=MINT, gas=21_000, log_index=0)
    bad = deposit(to=BOB, mint=0, value=1, gas=50_000, log_index=1)  # the balance went to BOB
    built = chain.build_block(genesis, attributes(genesis, good, bad))
    assert [r.state_root for r in built.receipts] == [b"\x01", b""]
    assert [r._inner.deposit_nonce for r in built.receipts] == [0, 1]
    state = chain.state_at(built.header)
    assert (state.get_balance(BOB), state.get_balance(DEPOSITOR), state.get_nonce(DEPOSITOR)) == (MINT, 0, 2)


def test_sequencer_and_verifier_build_the_same_failed_block() -> None:
    """Both roles call Chain.build_block with the same inputs: same hash, stored and reopened."""
    hostile = (deposit(to=BOB, mint=MINT, value=MINT + 1, log_index=0),
               deposit(to=CREATE_CONTRACT_ADDRESS, gas=21_000, log_index=1),
               deposit(to=CREATE_CONTRACT_ADDRESS, gas=PORTAL_MAX_DEPOSIT_GAS // 2, data=b"\x60" * (MAX_INITCODE_SIZE + 1), log_index=2))
    sequencer, verifier = Chain.open(None, GENESIS), Chain.open(None, GENESIS)
    ours = sequencer.build_block(sequencer.head, attributes(sequencer.head, *hostile))
    theirs = verifier.build_block(verifier.head, attributes(verifier.head, *hostile))
    assert ours.header.hash == theirs.header.hash
    assert [r.encode() for r in sequencer.receipts(ours.header.hash)] == [r.encode() for r in theirs.receipts]
    # And the chain goes on from it.
    after = sequencer.build_block(ours.header, attributes(ours.header, deposit(to=BOB, mint=1, log_index=3)))
    assert after.receipts[0].state_root == b"\x01"
    assert sequencer.state_at(after.header).get_nonce(DEPOSITOR) == 4


# --- property: nothing the portal accepts stops the chain -------------------------------------

TARGETS = st.sampled_from([
    CREATE_CONTRACT_ADDRESS, BOB, DEPOSITOR, REVERTER, L1_BLOCK, L2_TO_L1_MESSAGE_PASSER, BASE_FEE_VAULT,
    *(i.to_bytes(20, "big") for i in range(1, 0x12)),  # precompiles, incl. ones py-evm lacks
    to_canonical_address(ALICE.address), b"\x00" * 20,
])
SENDERS = st.sampled_from([DEPOSITOR, to_canonical_address(ALICE.address), REVERTER, L1_BLOCK])
DATA = st.one_of(
    st.binary(max_size=300),
    st.builds(lambda pattern, times: (pattern * times)[:PORTAL_MAX_DATA], st.binary(min_size=1, max_size=4),
              st.integers(1, PORTAL_MAX_DATA)),
)


@st.composite
def portal_deposits(draw) -> object:
    """What `depositTransaction` (mint 0) or `depositHKD` (mint == value) may emit."""
    data = draw(DATA)
    to = draw(TARGETS)
    hkd = draw(st.booleans()) and to != CREATE_CONTRACT_ADDRESS
    if hkd:  # whole HKD units (6 decimals) scaled to 18; the portal's totalDeposited is a uint120
        value = draw(st.integers(1, 2**120 - 1)) * 10**12
    else:
        value = draw(st.one_of(st.integers(0, 10**20), st.integers(0, 2**256 - 1)))
    gas = draw(st.integers(21_000 + 16 * len(data), PORTAL_MAX_DEPOSIT_GAS))
    return dict(to=to, mint=value if hkd else 0, value=value, gas=gas, data=data, sender=draw(SENDERS))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(portal_deposits(), min_size=1, max_size=4))
def test_no_portal_deposit_stops_block_production(fields: list[dict]) -> None:
    deposits = [deposit(**f, log_index=i) for i, f in enumerate(fields)]
    sequencer = Chain.open(None, GENESIS)
    genesis = sequencer.head
    before = sequencer.state_at(genesis)
    nonces = {f["sender"]: before.get_nonce(f["sender"]) for f in fields}

    built = sequencer.build_block(genesis, attributes(genesis, *deposits), [pool_transfer()])

    assert list(built.block.transactions[: len(deposits)]) == deposits
    assert built.header.gas_used <= built.header.gas_limit
    used = [r.gas_used for r in built.receipts]
    assert all(later >= earlier for earlier, later in zip([0, *used], used))
    for tx, receipt, cumulative_before in zip(deposits, built.receipts, [0, *used]):
        assert receipt.gas_used - cumulative_before <= tx.gas
    after = sequencer.state_at(built.header)
    for sender, nonce in nonces.items():
        sent = sum(1 for f in fields if f["sender"] == sender)
        assert after.get_nonce(sender) >= nonce + sent  # a deposit's code may create more, never fewer
    # A verifier deriving the same inputs reaches the same block, and the chain goes on.
    verifier = Chain.open(None, GENESIS)
    assert verifier.build_block(verifier.head, attributes(verifier.head, *deposits), [pool_transfer()]).header.hash == built.header.hash
    sequencer.build_block(built.header, attributes(built.header))
