"""The transaction pool, with real transactions signed by eth-account's dev keys.

Every rejection is checked for its class, its exact message, and that the pool did not change.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import rlp
from eth.constants import SECPK1_N
from eth.vm.forks.prague.transactions import PragueTransactionBuilder
from eth_account import Account
from eth_typing import Address, Hash32
from eth_utils import keccak, to_canonical_address
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from genesis.dev_accounts import TEST_MNEMONIC
from node.errors import (
    ConfigError,
    AccountLimitExceeded,
    AlreadyKnown,
    FeeTooLow,
    FieldOutOfRange,
    FloorDataGasTooLow,
    GasLimitExceeded,
    InitcodeTooLarge,
    InsufficientFunds,
    IntrinsicGasTooLow,
    InvalidSignature,
    LantauError,
    NonceTooLow,
    OversizedTransaction,
    ReplacementUnderpriced,
    SenderNotEOA,
    TipAboveFeeCap,
    TransactionDecodeError,
    TxPoolFull,
    UnprotectedTransaction,
    UnsupportedTransactionType,
    WrongChainId,
)
from node.tx_journal import TxJournal
from node.txpool import MAX_BLOCK_USER_TX_BYTES, PooledTransaction, TxPool, TxPoolConfig

CHAIN_ID = 42069
BLOCK_GAS_LIMIT = 30_000_000
GWEI = 10**9
RECIPIENT = "0x" + "11" * 20

Account.enable_unaudited_hdwallet_features()
DEV = [Account.from_mnemonic(TEST_MNEMONIC, account_path=f"m/44'/60'/0'/0/{i}") for i in range(4)]
# The same accounts anvil and hardhat print; a wrong derivation would fail here, not later.
assert DEV[0].address == "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
KEYS = [account.key for account in DEV]
ADDRESSES = [Address(to_canonical_address(account.address)) for account in DEV]
ALICE, BOB, CAROL, DAVE = ADDRESSES


@dataclass
class DictState:
    nonces: dict[Address, int] = field(default_factory=dict)
    balances: dict[Address, int] = field(default_factory=dict)
    code_hashes: dict[Address, Hash32] = field(default_factory=dict)

    def get_nonce(self, address: Address) -> int:
        return self.nonces.get(address, 0)

    def get_balance(self, address: Address) -> int:
        return self.balances.get(address, 0)

    def get_code_hash(self, address: Address) -> Hash32:
        return self.code_hashes.get(address, Hash32(keccak(b"")))


def rich_state() -> DictState:
    return DictState(balances={address: 10**24 for address in ADDRESSES})


@functools.lru_cache(maxsize=None)
def dynamic(
    signer: int,
    nonce: int,
    tip: int,
    fee_cap: int,
    *,
    gas: int = 21_000,
    value: int = 0,
    to: str | None = RECIPIENT,
    data: bytes = b"",
    chain_id: int = CHAIN_ID,
) -> bytes:
    """An EIP-1559 transaction from dev account `signer`."""
    fields = dict(
        type=2,
        chainId=chain_id,
        nonce=nonce,
        maxPriorityFeePerGas=tip,
        maxFeePerGas=fee_cap,
        gas=gas,
        value=value,
        data=data,
    )
    if to is not None:
        fields["to"] = to
    return bytes(Account.sign_transaction(fields, KEYS[signer]).raw_transaction)


@functools.lru_cache(maxsize=None)
def legacy(
    signer: int, nonce: int, gas_price: int, *, chain_id: int | None = CHAIN_ID, gas: int = 21_000
) -> bytes:
    fields = dict(nonce=nonce, gasPrice=gas_price, gas=gas, to=RECIPIENT, value=0, data=b"")
    if chain_id is not None:
        fields["chainId"] = chain_id
    return bytes(Account.sign_transaction(fields, KEYS[signer]).raw_transaction)


def access_list_tx(signer: int, nonce: int, gas_price: int, *, gas: int = 21_000) -> bytes:
    fields = dict(
        type=1,
        chainId=CHAIN_ID,
        nonce=nonce,
        gasPrice=gas_price,
        gas=gas,
        to=RECIPIENT,
        value=0,
        data=b"",
        accessList=[{"address": RECIPIENT, "storageKeys": ["0x" + "00" * 32]}],
    )
    return bytes(Account.sign_transaction(fields, KEYS[signer]).raw_transaction)


def tx_hash(raw: bytes) -> bytes:
    return PragueTransactionBuilder.decode(raw).hash


def new_pool(**overrides: int) -> TxPool:
    return TxPool(TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT, **overrides))


def snapshot(pool: TxPool) -> tuple[int, dict, dict]:
    def hashes(groups: dict[Address, list[PooledTransaction]]) -> dict[Address, list[bytes]]:
        return {sender: [p.hash for p in txs] for sender, txs in groups.items()}

    return len(pool), hashes(pool.pending()), hashes(pool.queued())


def nonces(groups: dict[Address, list[PooledTransaction]]) -> dict[Address, list[int]]:
    return {sender: [p.nonce for p in txs] for sender, txs in groups.items()}


@pytest.fixture
def state() -> DictState:
    return rich_state()


@pytest.fixture
def pool(state: DictState) -> TxPool:
    """A pool with a little in it already (Alice 0 and 2, Bob 0), so 'unchanged' means something."""
    pool = new_pool(min_tip_wei=1_000_000, max_tx_size_bytes=4096, account_queue=2)
    for raw in (dynamic(0, 0, GWEI, 2 * GWEI), dynamic(0, 2, GWEI, 2 * GWEI), dynamic(1, 0, GWEI, 2 * GWEI)):
        pool.add_raw(raw, state, base_fee=GWEI)
    return pool


def assert_rejected(
    pool: TxPool, state: DictState, raw: bytes, error: type[LantauError], message: str
) -> None:
    before = snapshot(pool)
    with pytest.raises(error) as caught:
        pool.add_raw(raw, state, base_fee=GWEI)
    assert str(caught.value) == message
    assert snapshot(pool) == before


# --- accepted -------------------------------------------------------------------------------


def test_accepts_each_supported_envelope(state: DictState) -> None:
    pool = new_pool()
    raws = [dynamic(0, 0, 2, 3 * GWEI), legacy(1, 0, 3 * GWEI), access_list_tx(2, 0, 3 * GWEI, gas=25_300)]
    added = [pool.add_raw(raw, state, base_fee=GWEI) for raw in raws]

    assert len(pool) == 3
    first = added[0]
    assert first.sender == ALICE and first.nonce == 0 and first.gas == 21_000
    assert (first.max_tip, first.max_fee, first.size, first.raw) == (2, 3 * GWEI, len(raws[0]), raws[0])
    # The hash is keccak of the raw envelope, as eth_sendRawTransaction returns it.
    assert first.hash == tx_hash(raws[0])
    assert pool.get(first.hash) is first
    # A legacy (and 0x01) transaction's gas price is both its fee cap and its tip.
    assert (added[1].max_fee, added[1].max_tip) == (3 * GWEI, 3 * GWEI)
    assert added[0].arrival < added[1].arrival < added[2].arrival
    assert pool.get(b"\x00" * 32) is None


# --- rejections -------------------------------------------------------------------------------


def test_rejects_oversized(pool: TxPool, state: DictState) -> None:
    raw = dynamic(2, 0, GWEI, 2 * GWEI, data=b"\x01" * 4096, gas=200_000)
    assert_rejected(
        pool, state, raw, OversizedTransaction,
        f"oversized data: transaction size {len(raw)} bytes, limit 4096",
    )


def sized(nonce: int, size: int) -> bytes:
    """Alice's transaction of exactly `size` encoded bytes (calldata pads it)."""
    data_length = size - len(dynamic(0, nonce, GWEI, 2 * GWEI, data=b"\x01" * (size - 200), gas=3_000_000)) + size - 200
    raw = dynamic(0, nonce, GWEI, 2 * GWEI, data=b"\x01" * data_length, gas=3_000_000)
    assert len(raw) == size
    return raw


def test_refuses_a_transaction_no_batch_can_carry(state: DictState) -> None:
    """The default cap is MAX_BLOCK_USER_TX_BYTES (59,744; it was geth's 128 KiB): a larger
    transaction fits no batcher channel (64,000 bytes decompressed), so its block would never be
    safe. Refused by name at admission, the pool unchanged; one of exactly the cap is taken."""
    pool = new_pool()
    pool.add_raw(dynamic(1, 0, GWEI, 2 * GWEI), state, base_fee=GWEI)
    assert_rejected(
        pool, state, sized(0, MAX_BLOCK_USER_TX_BYTES + 1), OversizedTransaction,
        f"oversized data: transaction size {MAX_BLOCK_USER_TX_BYTES + 1} bytes, limit {MAX_BLOCK_USER_TX_BYTES}",
    )
    assert pool.add_raw(sized(0, MAX_BLOCK_USER_TX_BYTES), state, base_fee=GWEI).size == MAX_BLOCK_USER_TX_BYTES
    assert len(pool) == 2


def test_config_refuses_a_cap_past_what_a_batch_carries() -> None:
    with pytest.raises(ConfigError, match="max_tx_size_bytes 131072 is over MAX_BLOCK_USER_TX_BYTES 59744"):
        TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT, max_tx_size_bytes=128 * 1024)


@pytest.mark.parametrize(
    "raw, message",
    [
        (b"", "invalid transaction encoding: empty input"),
        (b"\x85hello", "invalid transaction encoding: neither a typed envelope nor an RLP list"),
    ],
)
def test_rejects_undecodable(pool: TxPool, state: DictState, raw: bytes, message: str) -> None:
    assert_rejected(pool, state, raw, TransactionDecodeError, message)


def test_rejects_truncated_envelope(pool: TxPool, state: DictState) -> None:
    raw = dynamic(2, 0, GWEI, 2 * GWEI)
    before = snapshot(pool)
    for cut in (1, 10, len(raw) - 1):
        with pytest.raises(TransactionDecodeError, match="^invalid transaction encoding: "):
            pool.add_raw(raw[:cut], state, base_fee=GWEI)
    with pytest.raises(TransactionDecodeError, match="^invalid transaction encoding: "):
        pool.add_raw(raw + b"\x00", state, base_fee=GWEI)  # trailing bytes
    assert snapshot(pool) == before


@pytest.mark.parametrize(
    "type_id, message",
    [
        (0x03, "transaction type not supported: 0x03 (blob transactions are not accepted on this chain)"),
        (0x04, "transaction type not supported: 0x04 (set-code (EIP-7702) transactions are not accepted by the pool)"),
        (0x7E, "transaction type not supported: 0x7e (deposit transactions come from L1 through the portal, never through the pool)"),
        (0x00, "transaction type not supported: 0x00"),
        (0x05, "transaction type not supported: 0x05"),
    ],
)
def test_rejects_unsupported_types(
    pool: TxPool, state: DictState, type_id: int, message: str
) -> None:
    payload = rlp.encode([b"\x01"] * 8)
    assert_rejected(pool, state, bytes([type_id]) + payload, UnsupportedTransactionType, message)


def _resigned(raw: bytes, **overrides: int) -> bytes:
    """`raw` with some fields replaced and the old signature kept (so no longer valid)."""
    return PragueTransactionBuilder.decode(raw).copy(**overrides).encode()


def test_rejects_high_s_and_zero_r(pool: TxPool, state: DictState) -> None:
    raw = dynamic(2, 0, GWEI, 2 * GWEI)
    tx = PragueTransactionBuilder.decode(raw)
    # (r, N - s) with the other parity is the same signature's malleable twin: EIP-2 refuses it.
    twin = _resigned(raw, s=SECPK1_N - tx.s, y_parity=1 - tx.y_parity)
    assert_rejected(pool, state, twin, InvalidSignature, "invalid transaction v, r, s values")
    assert_rejected(pool, state, _resigned(raw, r=0), InvalidSignature, "invalid transaction v, r, s values")
    assert_rejected(pool, state, _resigned(raw, y_parity=2), InvalidSignature, "invalid transaction v, r, s values")


def test_rejects_non_canonical_encoding(pool: TxPool, state: DictState) -> None:
    """pyrlp reads an empty list (0xc0) where the nonce 0 (0x80) belongs as 0; the signature
    still recovers Carol, but under a second hash for the same transaction."""
    raw = dynamic(2, 0, GWEI, 2 * GWEI)
    assert raw[6] == 0x80  # 02 f8 LL 82 a455 | nonce
    variant = raw[:6] + b"\xc0" + raw[7:]
    decoded = PragueTransactionBuilder.decode(variant)
    assert decoded.nonce == 0 and decoded.sender == CAROL and decoded.hash != tx_hash(raw)
    assert_rejected(
        pool, state, variant, TransactionDecodeError, "invalid transaction encoding: not canonical RLP"
    )
    legacy_raw = legacy(2, 0, GWEI)
    assert legacy_raw[2] == 0x80  # f8 LL | nonce
    legacy_variant = legacy_raw[:2] + b"\xc0" + legacy_raw[3:]
    assert_rejected(
        pool, state, legacy_variant, TransactionDecodeError,
        "invalid transaction encoding: not canonical RLP",
    )


def test_rejects_signature_that_recovers_no_key(pool: TxPool, state: DictState) -> None:
    raw = dynamic(2, 0, GWEI, 2 * GWEI)
    # r = 5: x = 5 is not on secp256k1 (5**3 + 7 = 132 has no square root mod p),
    # so no public key can be recovered.
    p = 2**256 - 2**32 - 977
    assert pow(132, (p - 1) // 2, p) == p - 1
    before = snapshot(pool)
    with pytest.raises(InvalidSignature, match="^invalid sender: "):
        pool.add_raw(_resigned(raw, r=5), state, base_fee=GWEI)
    assert snapshot(pool) == before


def test_tampered_transaction_is_not_charged_to_the_signer(pool: TxPool, state: DictState) -> None:
    """A changed field recovers some other address, which has no funds: the real signer's
    nonce is not taken."""
    raw = _resigned(dynamic(2, 0, GWEI, 2 * GWEI), value=1)
    before = snapshot(pool)
    with pytest.raises(InsufficientFunds):
        pool.add_raw(raw, state, base_fee=GWEI)
    assert snapshot(pool) == before
    assert pool.pending_nonce(CAROL, state) == 0


def test_rejects_other_chain_ids(pool: TxPool, state: DictState) -> None:
    assert_rejected(
        pool, state, dynamic(2, 0, GWEI, 2 * GWEI, chain_id=1), WrongChainId,
        "invalid chain id: transaction is signed for chain id 1, this chain is 42069",
    )
    assert_rejected(
        pool, state, legacy(2, 0, 2 * GWEI, chain_id=10), WrongChainId,
        "invalid chain id: transaction is signed for chain id 10, this chain is 42069",
    )


def test_rejects_unprotected_legacy(pool: TxPool, state: DictState) -> None:
    raw = legacy(2, 0, 2 * GWEI, chain_id=None)
    assert PragueTransactionBuilder.decode(raw).v in (27, 28)
    assert_rejected(
        pool, state, raw, UnprotectedTransaction,
        "only replay-protected (EIP-155) transactions allowed over RPC",
    )


def test_rejects_gas_below_intrinsic(pool: TxPool, state: DictState) -> None:
    assert_rejected(
        pool, state, dynamic(2, 0, GWEI, 2 * GWEI, gas=20_999), IntrinsicGasTooLow,
        "intrinsic gas too low: gas 20999, minimum needed 21000",
    )
    # Access list: 21000 + 2400 per address + 1900 per storage key = 25300.
    assert_rejected(
        pool, state, access_list_tx(2, 0, 2 * GWEI, gas=25_299), IntrinsicGasTooLow,
        "intrinsic gas too low: gas 25299, minimum needed 25300",
    )


def test_rejects_contract_creation_below_intrinsic_with_initcode_words(state: DictState) -> None:
    """Creation, 64 non-zero bytes: 21000 + 32000 + 64 * 16 + 2 words * 2 (EIP-3860) = 54028."""
    pool = new_pool()
    raw = dynamic(2, 0, GWEI, 2 * GWEI, to=None, data=b"\x60" * 64, gas=54_027)
    assert_rejected(
        pool, state, raw, IntrinsicGasTooLow, "intrinsic gas too low: gas 54027, minimum needed 54028"
    )
    pool.add_raw(dynamic(2, 0, GWEI, 2 * GWEI, to=None, data=b"\x60" * 64, gas=54_028), state, GWEI)
    assert len(pool) == 1


def test_rejects_gas_below_calldata_floor(pool: TxPool, state: DictState) -> None:
    """100 non-zero bytes: intrinsic 21000 + 1600 = 22600, but the EIP-7623 floor is
    21000 + 10 * (4 * 100) = 25000."""
    raw = dynamic(2, 0, GWEI, 2 * GWEI, data=b"\x01" * 100, gas=23_000)
    assert_rejected(
        pool, state, raw, FloorDataGasTooLow,
        "insufficient gas for floor data gas cost: gas 23000, minimum needed 25000",
    )


def test_rejects_initcode_over_limit(state: DictState) -> None:
    pool = new_pool()
    raw = dynamic(2, 0, GWEI, 2 * GWEI, to=None, data=b"\x60" * 49_153, gas=BLOCK_GAS_LIMIT)
    assert_rejected(
        pool, state, raw, InitcodeTooLarge, "max initcode size exceeded: code size 49153, limit 49152"
    )


def test_rejects_gas_over_block_limit(pool: TxPool, state: DictState) -> None:
    assert_rejected(
        pool, state, dynamic(2, 0, GWEI, 2 * GWEI, gas=BLOCK_GAS_LIMIT + 1), GasLimitExceeded,
        "exceeds block gas limit: gas 30000001 > block gas limit 30000000",
    )


def test_rejects_tip_above_fee_cap(pool: TxPool, state: DictState) -> None:
    assert_rejected(
        pool, state, dynamic(2, 0, 5 * GWEI, 2 * GWEI), TipAboveFeeCap,
        "max priority fee per gas higher than max fee per gas: tip 5000000000, fee cap 2000000000",
    )


def test_rejects_a_sender_with_code(pool: TxPool, state: DictState) -> None:
    """EIP-3607 (node.vm.check_sender_is_eoa, the rule a block applies too)."""
    state.code_hashes[ADDRESSES[2]] = Hash32(keccak(b"\x00"))
    assert_rejected(
        pool, state, dynamic(2, 0, GWEI, 2 * GWEI), SenderNotEOA,
        f"sender not an eoa: address {DEV[2].address} has code",
    )


def test_rejects_max_nonce(pool: TxPool, state: DictState) -> None:
    assert_rejected(
        pool, state, dynamic(2, 2**64 - 1, GWEI, 2 * GWEI), FieldOutOfRange,
        "nonce has max value: 18446744073709551615",
    )


def test_rejects_tip_below_pool_minimum(pool: TxPool, state: DictState) -> None:
    assert_rejected(
        pool, state, dynamic(2, 0, 1, 2 * GWEI), FeeTooLow,
        "transaction underpriced: tip 1 below the pool's minimum 1000000",
    )
    # A legacy transaction's tip is its gas price.
    assert_rejected(
        pool, state, legacy(2, 0, 999_999), FeeTooLow,
        "transaction underpriced: tip 999999 below the pool's minimum 1000000",
    )


def test_rejects_nonce_below_account_nonce(pool: TxPool, state: DictState) -> None:
    state.nonces[CAROL] = 7
    assert_rejected(
        pool, state, dynamic(2, 5, GWEI, 2 * GWEI), NonceTooLow,
        f"nonce too low: next nonce for {DEV[2].address} is 7, got 5",
    )


def test_rejects_cost_above_balance(pool: TxPool, state: DictState) -> None:
    """Cost = gas * fee cap + value = 21000 * 2 gwei + 1 = 42000000000001."""
    state.balances[CAROL] = 42_000_000_000_000
    assert_rejected(
        pool, state, dynamic(2, 0, GWEI, 2 * GWEI, value=1), InsufficientFunds,
        f"insufficient funds for gas * price + value: address {DEV[2].address} "
        "have 42000000000000 want 42000000000001",
    )
    pool.add_raw(dynamic(2, 0, GWEI, 2 * GWEI), state, base_fee=GWEI)  # exactly the balance


def test_balance_counts_the_senders_other_pooled_transactions(pool: TxPool, state: DictState) -> None:
    """Each costs 21000 * 2 gwei = 42000 gwei; the balance covers two, not three."""
    state.balances[CAROL] = 2 * 42_000 * GWEI
    pool.add_raw(dynamic(2, 0, GWEI, 2 * GWEI), state, base_fee=GWEI)
    pool.add_raw(dynamic(2, 1, GWEI, 2 * GWEI), state, base_fee=GWEI)
    assert_rejected(
        pool, state, dynamic(2, 2, GWEI, 2 * GWEI), InsufficientFunds,
        f"insufficient funds for gas * price + value: address {DEV[2].address} "
        f"have {84_000 * GWEI} want {126_000 * GWEI}",
    )
    # A replacement's cost replaces the old one's rather than adding to it: 42000 + 21000 * 2.2 gwei.
    with pytest.raises(InsufficientFunds, match=f"want {42_000 * GWEI + 46_200 * GWEI}$"):
        pool.add_raw(dynamic(2, 1, 2 * GWEI, 2_200_000_000), state, base_fee=GWEI)


def test_rejects_already_known(pool: TxPool, state: DictState) -> None:
    raw = dynamic(0, 0, GWEI, 2 * GWEI)
    assert_rejected(pool, state, raw, AlreadyKnown, f"already known: 0x{tx_hash(raw).hex()}")


def test_rejects_queued_past_the_per_sender_cap(pool: TxPool, state: DictState) -> None:
    """geth's accountqueue: Alice holds 0 and, after a gap, 2; the pool keeps 2 queued per sender."""
    pool.add_raw(dynamic(0, 4, GWEI, 2 * GWEI), state, base_fee=GWEI)  # Alice queued: 2, 4
    assert_rejected(
        pool, state, dynamic(0, 5, GWEI, 2 * GWEI), AccountLimitExceeded,
        f"account limit exceeded: {DEV[0].address} already has 2 queued transactions in the pool "
        "(nonces after a gap), the most one sender may have",
    )
    # A replacement does not add one.
    pool.add_raw(dynamic(0, 2, 2 * GWEI, 4 * GWEI), state, base_fee=GWEI)
    assert len(pool) == 4


def test_executable_transactions_of_one_sender_are_not_capped_while_the_pool_has_room(
    pool: TxPool, state: DictState
) -> None:
    """A settlement agent sends hundreds from one account: with the gap closed, Alice's run
    grows to 300, far past account_slots (16) and account_queue (2)."""
    for nonce in [1] + list(range(3, 300)):
        pool.add_raw(dynamic(0, nonce, GWEI, 2 * GWEI), state, base_fee=GWEI)
    assert nonces(pool.pending())[ALICE] == list(range(300))
    assert pool.queued() == {}
    selected = pool.select(300 * 21_000, GWEI)
    assert [tx.nonce for tx in selected if tx.sender == ALICE] == list(range(299))  # Bob's 0 takes one slot


def test_full_pool_a_sender_over_its_share_gives_way_to_one_within_its_own(state: DictState) -> None:
    """Pool of 6, account_slots 2. Alice holds 4 and Bob 2, all tipping 100 gwei. Carol (none
    held) tips only 1 gwei, yet takes a place: the cheapest tail of a sender over its share
    (Alice's last nonce) goes, as geth truncates such senders. Bob, at his share, gets no
    such right: his third must outbid the pool's lowest tail, and 1 gwei does not."""
    pool = new_pool(max_total=6, account_slots=2)
    alice = [pool.add_raw(dynamic(0, n, 100 * GWEI, 200 * GWEI), state, 0) for n in range(4)]
    for n in range(2):
        pool.add_raw(dynamic(1, n, 100 * GWEI, 200 * GWEI), state, 0)

    carol0 = pool.add_raw(dynamic(2, 0, 1 * GWEI, 200 * GWEI), state, 0)
    assert len(pool) == 6 and pool.get(alice[3].hash) is None and pool.get(carol0.hash) is not None
    assert nonces(pool.pending()) == {ALICE: [0, 1, 2], BOB: [0, 1], CAROL: [0]}
    carol1 = pool.add_raw(dynamic(2, 1, 1 * GWEI, 200 * GWEI), state, 0)  # Carol still within 2
    assert pool.get(alice[2].hash) is None and pool.get(carol1.hash) is not None

    before = snapshot(pool)
    with pytest.raises(TxPoolFull, match="^txpool is full: "):  # no one over the share now
        pool.add_raw(dynamic(1, 2, 1 * GWEI, 200 * GWEI), state, 0)
    assert snapshot(pool) == before
    # A better payer still evicts by price: the lowest tail, Carol's 1 gwei.
    pool.add_raw(dynamic(3, 0, 2 * GWEI, 200 * GWEI), state, 0)
    assert pool.get(carol1.hash) is None and nonces(pool.pending())[DAVE] == [0]


def test_full_pool_of_senders_over_their_share_evicts_the_cheapest_tail(state: DictState) -> None:
    pool = new_pool(max_total=6, account_slots=2)
    for n in range(3):
        pool.add_raw(dynamic(0, n, 30 * GWEI, 200 * GWEI), state, 0)
    bob = [pool.add_raw(dynamic(1, n, 20 * GWEI, 200 * GWEI), state, 0) for n in range(3)]
    pool.add_raw(dynamic(2, 0, 50 * GWEI, 200 * GWEI), state, 0)
    assert pool.get(bob[2].hash) is None
    assert nonces(pool.pending()) == {ALICE: [0, 1, 2], BOB: [0, 1], CAROL: [0]}


# --- replacement -------------------------------------------------------------------------------


def test_replacement_needs_ten_percent_on_both_fees(pool: TxPool, state: DictState) -> None:
    old = pool.get(tx_hash(dynamic(0, 0, GWEI, 2 * GWEI)))
    assert old is not None
    for tip, fee_cap in [
        (1_090_000_000, 2_180_000_000),  # +9% on both
        (GWEI, 4 * GWEI),  # the tip unchanged
        (2 * GWEI, 2_190_000_000),  # the fee cap +9.5%
    ]:
        assert_rejected(
            pool, state, dynamic(0, 0, tip, fee_cap), ReplacementUnderpriced,
            "replacement transaction underpriced",
        )
    new = pool.add_raw(dynamic(0, 0, 1_100_000_000, 2_200_000_000), state, base_fee=GWEI)  # +10% exactly
    assert pool.get(old.hash) is None and pool.get(new.hash) is new
    assert len(pool) == 3
    assert nonces(pool.pending()) == {ALICE: [0], BOB: [0]}
    assert pool.pending()[ALICE] == [new]


def test_replacement_of_a_legacy_transaction(state: DictState) -> None:
    pool = new_pool()
    pool.add_raw(legacy(0, 0, 10 * GWEI), state, base_fee=GWEI)
    with pytest.raises(ReplacementUnderpriced):
        pool.add_raw(legacy(0, 0, 10 * GWEI + 1), state, base_fee=GWEI)
    pool.add_raw(dynamic(0, 0, 11 * GWEI, 11 * GWEI), state, base_fee=GWEI)
    assert [p.max_tip for p in pool.pending()[ALICE]] == [11 * GWEI]


# --- pending and queued -------------------------------------------------------------------------


def test_gap_makes_queued_and_closing_it_promotes(state: DictState) -> None:
    pool = new_pool()
    state.nonces[ALICE] = 3
    pool.add_raw(dynamic(0, 3, GWEI, 2 * GWEI), state, GWEI)
    pool.add_raw(dynamic(0, 5, GWEI, 2 * GWEI), state, GWEI)
    pool.add_raw(dynamic(0, 6, GWEI, 2 * GWEI), state, GWEI)
    assert nonces(pool.pending()) == {ALICE: [3]}
    assert nonces(pool.queued()) == {ALICE: [5, 6]}
    assert pool.pending_nonce(ALICE, state) == 4
    assert pool.pending_nonce(BOB, state) == 0

    pool.add_raw(dynamic(0, 4, GWEI, 2 * GWEI), state, GWEI)
    assert nonces(pool.pending()) == {ALICE: [3, 4, 5, 6]}
    assert pool.queued() == {}
    assert pool.pending_nonce(ALICE, state) == 7


def test_pending_nonce_is_never_below_the_pooled_run_nor_the_state(state: DictState) -> None:
    """pending = max(the state's nonce, the end of the run the pool holds from its own head's
    nonce). Was: counted from the state passed alone, so a head replaced by a lower-nonce one
    (before the pool's reset) answered 0 for a sender with 5..7 pooled on top of nonce 5."""
    pool = new_pool()
    state.nonces[ALICE] = 5
    for nonce in (5, 6, 7, 9):
        pool.add_raw(dynamic(0, nonce, GWEI, 2 * GWEI), state, GWEI)
    replaced = rich_state()  # a head with none of Alice's transactions mined
    assert pool.pending_nonce(ALICE, replaced) == 8
    state.nonces[ALICE] = 9  # a head that mined 5..8 elsewhere: its nonce, then the pooled 9
    assert pool.pending_nonce(ALICE, state) == 10


def test_reset_takes_back_dropped_transactions_and_refuses_the_mined(state: DictState) -> None:
    """A reset onto a head that dropped Alice's 0..2 and mined 0 again elsewhere: 1 and 2 come
    back pending before the pooled 3, 0 stays out (nonce too low), a fee cap below the base fee
    is taken back (acknowledged once)."""
    pool = new_pool()
    state.nonces[ALICE] = 3
    pool.add_raw(dynamic(0, 3, GWEI, 2 * GWEI), state, GWEI)
    state.nonces[ALICE] = 1
    returned = [dynamic(0, n, GWEI, 2 * GWEI) for n in (0, 1, 2)]
    assert pool.reset(state, 5 * GWEI, returned) == 2
    assert nonces(pool.pending()) == {ALICE: [1, 2, 3]} and pool.queued() == {}
    assert pool.pending_nonce(ALICE, state) == 4


def test_reset_keeps_a_returned_transaction_before_later_ones_when_the_balance_runs_short(state: DictState) -> None:
    """Alice's 2 and 3 pooled; the reorg returns 1 onto a head where she can pay for two: 1 and 2
    stay pending, 3 goes. Checked alone against the pool (2 and 3 counted), 1 was refused for
    funds and 2 and 3 sat queued behind it."""
    pool = new_pool()
    cost = 21_000 * 2 * GWEI
    state.nonces[ALICE] = 2
    for nonce in (2, 3):
        pool.add_raw(dynamic(0, nonce, GWEI, 2 * GWEI), state, GWEI)
    reorged = DictState(nonces={ALICE: 1}, balances={ALICE: 2 * cost})
    assert pool.reset(reorged, GWEI, [dynamic(0, 1, GWEI, 2 * GWEI)]) == 1
    assert nonces(pool.pending()) == {ALICE: [1, 2]} and pool.queued() == {}
    assert pool.pending_nonce(ALICE, reorged) == 3


def test_queued_transactions_are_never_selected(state: DictState) -> None:
    pool = new_pool()
    pool.add_raw(dynamic(0, 1, 9 * GWEI, 20 * GWEI), state, GWEI)
    assert pool.select(BLOCK_GAS_LIMIT, GWEI) == []


# --- selection ----------------------------------------------------------------------------------


def _select_labels(pool: TxPool, base_fee: int, labels: dict[bytes, str], gas_limit: int = BLOCK_GAS_LIMIT) -> list[str]:
    return [labels[tx.hash] for tx in pool.select(gas_limit, base_fee)]


def test_select_orders_by_effective_tip_keeping_nonce_order(state: DictState) -> None:
    """Base fee 10 gwei. Effective tips: Alice 0 -> 1, Alice 1 -> 100 (but after Alice 0),
    Bob 0 -> min(50, 70 - 10) = 50, Carol 0 (legacy, 30 gwei) -> 20, Dave 0 -> min(15, 15 - 10) = 5,
    Dave 1 -> 60 (after Dave 0)."""
    pool = new_pool()
    txs = {
        "alice0": dynamic(0, 0, 1 * GWEI, 200 * GWEI),
        "alice1": dynamic(0, 1, 100 * GWEI, 200 * GWEI),
        "bob0": dynamic(1, 0, 50 * GWEI, 70 * GWEI),
        "carol0": legacy(2, 0, 30 * GWEI),
        "dave0": dynamic(3, 0, 15 * GWEI, 15 * GWEI),
        "dave1": dynamic(3, 1, 60 * GWEI, 200 * GWEI),
    }
    # Added in an order unrelated to the answer (a nonce before its predecessor, too).
    for name in ("alice1", "dave1", "carol0", "alice0", "dave0", "bob0"):
        pool.add_raw(txs[name], state, base_fee=10 * GWEI)
    labels = {tx_hash(raw): name for name, raw in txs.items()}

    assert _select_labels(pool, 10 * GWEI, labels) == ["bob0", "carol0", "dave0", "dave1", "alice0", "alice1"]
    # At base fee 0 the fee caps stop binding: Bob 50, Carol 30, Dave 0 15 then Dave 1 60.
    assert _select_labels(pool, 0, labels) == ["bob0", "carol0", "dave0", "dave1", "alice0", "alice1"]
    # Selection does not take anything out of the pool.
    assert len(pool) == 6


def test_select_equal_tips_go_by_arrival(state: DictState) -> None:
    pool = new_pool()
    labels = {}
    for signer in (2, 0, 1):
        raw = dynamic(signer, 0, GWEI, 2 * GWEI)
        pool.add_raw(raw, state, GWEI)
        labels[tx_hash(raw)] = signer
    assert [labels[tx.hash] for tx in pool.select(BLOCK_GAS_LIMIT, GWEI)] == [2, 0, 1]


def test_select_skips_fee_cap_below_base_fee_and_that_senders_later_nonces(state: DictState) -> None:
    pool = new_pool()
    txs = {
        "alice0": dynamic(0, 0, GWEI, 5 * GWEI),  # fee cap 5 < base fee 6
        "alice1": dynamic(0, 1, 50 * GWEI, 50 * GWEI),
        "bob0": dynamic(1, 0, GWEI, 6 * GWEI),  # exactly the base fee: tip 0, still included
    }
    for raw in txs.values():
        pool.add_raw(raw, state, base_fee=GWEI)
    labels = {tx_hash(raw): name for name, raw in txs.items()}
    assert _select_labels(pool, 6 * GWEI, labels) == ["bob0"]
    # At base fee 5: Bob 0 is worth 1, Alice 0 worth 0, and Alice 1 (45) only after Alice 0.
    assert _select_labels(pool, 5 * GWEI, labels) == ["bob0", "alice0", "alice1"]


def test_select_stops_at_gas_limit_and_skips_what_does_not_fit(state: DictState) -> None:
    pool = new_pool()
    txs = {
        "alice0": dynamic(0, 0, 9 * GWEI, 9 * GWEI, gas=100_000),
        "bob0": dynamic(1, 0, 5 * GWEI, 5 * GWEI),
        "bob1": dynamic(1, 1, 5 * GWEI, 5 * GWEI),
        "carol0": dynamic(2, 0, 1 * GWEI, 1 * GWEI),
    }
    for raw in txs.values():
        pool.add_raw(raw, state, base_fee=0)
    labels = {tx_hash(raw): name for name, raw in txs.items()}
    # 50000 gas: Alice's 100000 does not fit, so her turn passes; Bob 0 and 1 (42000) do;
    # 8000 left is too little for Carol's 21000.
    assert _select_labels(pool, 0, labels, gas_limit=50_000) == ["bob0", "bob1"]
    assert _select_labels(pool, 0, labels, gas_limit=121_000) == ["alice0", "bob0"]
    assert _select_labels(pool, 0, labels, gas_limit=20_999) == []


# --- a full pool ----------------------------------------------------------------------------------


def test_full_pool_evicts_the_lowest_tail_only_for_a_better_payer(state: DictState) -> None:
    """Alice 0 tips 1 gwei and Alice 1 100 gwei; Bob 0 tips 50. Alice 0 is the lowest payer
    but is Alice 1's predecessor, so the tails Alice 1 (100) and Bob 0 (50) are the candidates."""
    pool = new_pool(max_total=3)
    alice0 = pool.add_raw(dynamic(0, 0, 1 * GWEI, 200 * GWEI), state, 0)
    alice1 = pool.add_raw(dynamic(0, 1, 100 * GWEI, 200 * GWEI), state, 0)
    bob0 = pool.add_raw(dynamic(1, 0, 50 * GWEI, 200 * GWEI), state, 0)

    before = snapshot(pool)
    with pytest.raises(TxPoolFull) as caught:
        pool.add_raw(dynamic(2, 0, 50 * GWEI, 200 * GWEI), state, 0)
    assert str(caught.value) == (
        "txpool is full: 3 transactions, and this one's tip of 50000000000 per gas "
        "(at base fee 0) does not beat the lowest evictable 50000000000"
    )
    assert snapshot(pool) == before

    carol0 = pool.add_raw(dynamic(2, 0, 51 * GWEI, 200 * GWEI), state, 0)
    assert len(pool) == 3
    assert pool.get(bob0.hash) is None
    assert all(pool.get(p.hash) is not None for p in (alice0, alice1, carol0))


def test_full_pool_ranks_by_effective_tip_at_the_base_fee(state: DictState) -> None:
    """At base fee 10 gwei, Alice's 12 gwei tip with a 12 gwei fee cap is worth 2."""
    pool = new_pool(max_total=2)
    alice0 = pool.add_raw(dynamic(0, 0, 12 * GWEI, 12 * GWEI), state, 10 * GWEI)
    pool.add_raw(dynamic(1, 0, 5 * GWEI, 100 * GWEI), state, 10 * GWEI)
    pool.add_raw(dynamic(2, 0, 3 * GWEI, 100 * GWEI), state, 10 * GWEI)
    assert pool.get(alice0.hash) is None
    assert set(pool.pending()) == {BOB, CAROL}


def test_full_pool_does_not_evict_the_newcomers_own_predecessor(state: DictState) -> None:
    pool = new_pool(max_total=2)
    pool.add_raw(dynamic(0, 0, 1 * GWEI, 2 * GWEI), state, 0)
    pool.add_raw(dynamic(1, 0, 90 * GWEI, 100 * GWEI), state, 0)
    before = snapshot(pool)
    with pytest.raises(TxPoolFull, match="^txpool is full: "):
        pool.add_raw(dynamic(0, 1, 50 * GWEI, 100 * GWEI), state, 0)
    assert snapshot(pool) == before


def test_full_pool_replacement_needs_no_room(state: DictState) -> None:
    pool = new_pool(max_total=1)
    pool.add_raw(dynamic(0, 0, 1 * GWEI, 2 * GWEI), state, 0)
    pool.add_raw(dynamic(0, 0, 2 * GWEI, 4 * GWEI), state, 0)
    assert len(pool) == 1


# --- a new head -------------------------------------------------------------------------------


def test_new_head_drops_included_and_promotes(state: DictState) -> None:
    pool = new_pool()
    included = [pool.add_raw(dynamic(0, n, GWEI, 2 * GWEI), state, GWEI) for n in (0, 1)]
    pool.add_raw(dynamic(0, 3, GWEI, 2 * GWEI), state, GWEI)
    bob0 = pool.add_raw(dynamic(1, 0, GWEI, 2 * GWEI), state, GWEI)
    assert nonces(pool.queued()) == {ALICE: [3]}

    # A block included Alice 0, 1 and some nonce 2 from elsewhere; Bob's is untouched.
    state.nonces[ALICE] = 3
    pool.on_new_head(state, GWEI)
    assert all(pool.get(p.hash) is None for p in included)
    assert nonces(pool.pending()) == {ALICE: [3], BOB: [0]}
    assert pool.queued() == {}
    assert len(pool) == 2
    alice3 = tx_hash(dynamic(0, 3, GWEI, 2 * GWEI))
    assert [tx.hash for tx in pool.select(BLOCK_GAS_LIMIT, GWEI)] == [alice3, bob0.hash]

    state.nonces[ALICE] = 4
    state.nonces[BOB] = 1
    pool.on_new_head(state, GWEI)
    assert len(pool) == 0 and pool.pending() == {} and pool.queued() == {}


def test_new_head_drops_what_the_balance_no_longer_covers(state: DictState) -> None:
    """Gas costs 21000 * 2 gwei = 42000 gwei each; nonce 2 also sends 50000 gwei. With 130000
    gwei left: nonces 0 and 1 fit (84000), nonce 2 would make 176000 and goes, nonce 3 makes
    126000 and stays, queued behind the gap."""
    pool = new_pool()
    pooled = [
        pool.add_raw(dynamic(0, n, GWEI, 2 * GWEI, value=50_000 * GWEI if n == 2 else 0), state, GWEI)
        for n in range(4)
    ]
    state.balances[ALICE] = 130_000 * GWEI
    pool.on_new_head(state, GWEI)
    assert pool.get(pooled[2].hash) is None
    assert nonces(pool.pending()) == {ALICE: [0, 1]}
    assert nonces(pool.queued()) == {ALICE: [3]}

    state.balances[ALICE] = 125_999 * GWEI
    pool.on_new_head(state, GWEI)
    assert nonces(pool.pending()) == {ALICE: [0, 1]}
    assert pool.queued() == {}


def test_new_head_keeps_transactions_below_the_base_fee(state: DictState) -> None:
    pool = new_pool()
    pool.add_raw(dynamic(0, 0, GWEI, 2 * GWEI), state, GWEI)
    pool.on_new_head(state, 3 * GWEI)
    assert len(pool) == 1
    assert pool.select(BLOCK_GAS_LIMIT, 3 * GWEI) == []
    assert len(pool.select(BLOCK_GAS_LIMIT, 2 * GWEI)) == 1


def test_add_after_inclusion_drops_the_senders_stale_transactions(state: DictState) -> None:
    pool = new_pool()
    stale = pool.add_raw(dynamic(0, 0, GWEI, 2 * GWEI), state, GWEI)
    state.nonces[ALICE] = 1  # included, the pool not yet told
    pool.add_raw(dynamic(0, 1, GWEI, 2 * GWEI), state, GWEI)
    assert pool.get(stale.hash) is None
    assert nonces(pool.pending()) == {ALICE: [1]}


# --- the journal --------------------------------------------------------------------------------


def test_journal_restores_accepted_transactions_and_drops_stale(tmp_path: Path, state: DictState) -> None:
    path = tmp_path / "transactions.rlp"
    config = TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT)
    with TxJournal(path) as journal:
        pool = TxPool(config, journal=journal)
        raws = [dynamic(0, 0, GWEI, 2 * GWEI), dynamic(0, 1, GWEI, 2 * GWEI), dynamic(1, 0, GWEI, 2 * GWEI)]
        for raw in raws:
            pool.add_raw(raw, state, GWEI)
        replacement = dynamic(1, 0, 2 * GWEI, 4 * GWEI)
        pool.add_raw(replacement, state, GWEI)
        with pytest.raises(NonceTooLow):
            pool.add_raw(dynamic(2, 0, GWEI, 2 * GWEI), DictState(nonces={CAROL: 1}), GWEI)
        # Refused ones never reach the disk.
        assert TxJournal(path).load() == raws + [replacement]

    # Restart: Alice 0 was included meanwhile.
    state.nonces[ALICE] = 1
    with TxJournal(path) as journal:
        restarted = TxPool(config, journal=journal)
        assert restarted.restore(state, GWEI) == 2
    assert nonces(restarted.pending()) == {ALICE: [1], BOB: [0]}
    assert restarted.pending()[BOB][0].raw == replacement
    # Compacted to what the pool holds, in arrival order.
    assert TxJournal(path).load() == [raws[1], replacement]


def test_a_failing_journal_leaves_the_pool_unchanged(
    tmp_path: Path, state: DictState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is acknowledged that is not on disk, and nothing half-added stays behind."""
    with TxJournal(tmp_path / "transactions.rlp") as journal:
        pool = TxPool(TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT), journal=journal)
        pool.add_raw(dynamic(0, 0, GWEI, 2 * GWEI), state, GWEI)
        before = snapshot(pool)

        def disk_full(raw: bytes) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(journal, "append", disk_full)
        monkeypatch.setattr(journal, "write", disk_full)
        with pytest.raises(OSError):
            pool.add_raw(dynamic(0, 0, 2 * GWEI, 4 * GWEI), state, GWEI)  # a replacement
        with pytest.raises(OSError):
            pool.add_raw(dynamic(1, 0, GWEI, 2 * GWEI), state, GWEI)
        with pytest.raises(OSError):
            pool.admit(dynamic(1, 0, GWEI, 2 * GWEI), state, GWEI)
        assert snapshot(pool) == before


def test_an_admitted_transaction_whose_fsync_fails_leaves_the_pool(
    tmp_path: Path, state: DictState, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group commit (`admit`, then `make_durable` before acknowledging): a failing fsync
    means the transaction was never acknowledged, so it must not stay to be mined."""
    with TxJournal(tmp_path / "transactions.rlp") as journal:
        pool = TxPool(TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT), journal=journal)
        kept, ticket = pool.admit(dynamic(0, 0, GWEI, 2 * GWEI), state, GWEI)
        pool.make_durable(kept, ticket)
        before = snapshot(pool)
        admitted, ticket = pool.admit(dynamic(1, 0, GWEI, 2 * GWEI), state, GWEI)
        assert pool.get(admitted.hash) is not None

        def failing_fsync(fd: int) -> None:
            raise OSError(5, "Input/output error")

        monkeypatch.setattr("node.tx_journal.os.fsync", failing_fsync)
        with pytest.raises(OSError):
            pool.make_durable(admitted, ticket)
        assert snapshot(pool) == before
        monkeypatch.undo()  # the disk is back for close()


# --- properties -----------------------------------------------------------------------------------

_adds = st.lists(
    st.tuples(
        st.integers(0, 2),  # signer
        st.integers(0, 5),  # nonce
        st.integers(0, 4),  # tip, gwei
        st.integers(0, 4),  # fee cap above the tip, gwei
        st.booleans(),  # legacy
    ),
    max_size=25,
)


def _raw_for(signer: int, nonce: int, tip: int, extra: int, is_legacy: bool) -> bytes:
    if is_legacy:
        return legacy(signer, nonce, (tip + extra) * GWEI)
    return dynamic(signer, nonce, tip * GWEI, (tip + extra) * GWEI)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    adds=_adds,
    account_nonces=st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(0, 2)),
    base_fee_gwei=st.integers(0, 8),
    gas_limit=st.sampled_from([21_000, 100_000, BLOCK_GAS_LIMIT]),
)
def test_select_respects_nonce_order_and_base_fee(
    adds: list[tuple[int, int, int, int, bool]],
    account_nonces: tuple[int, int, int],
    base_fee_gwei: int,
    gas_limit: int,
) -> None:
    state = DictState(
        nonces=dict(zip(ADDRESSES, account_nonces)),
        balances={address: 10**24 for address in ADDRESSES},
    )
    pool = new_pool(account_slots=2, account_queue=2, max_total=7)
    base_fee = base_fee_gwei * GWEI
    for add in adds:
        raw = _raw_for(*add)
        before = snapshot(pool)
        try:
            pool.add_raw(raw, state, base_fee)
        except LantauError:
            assert snapshot(pool) == before
        assert len(pool) <= 7
        assert all(len(txs) <= 2 for txs in pool.queued().values())

    selected = pool.select(gas_limit, base_fee)
    next_nonce = dict(zip(ADDRESSES, account_nonces))
    for tx in selected:
        assert tx.nonce == next_nonce[tx.sender]  # never n + 1 before n, never a gap
        next_nonce[tx.sender] += 1
        assert tx.max_fee_per_gas >= base_fee
        assert pool.get(tx.hash) is not None
    assert sum(tx.gas for tx in selected) <= gas_limit
    # pending and queued partition the pool (no stale ones: the state never moved).
    counted = sum(map(len, pool.pending().values())) + sum(map(len, pool.queued().values()))
    assert counted == len(pool)


@settings(max_examples=300, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_are_refused_with_a_lantau_error(data: bytes) -> None:
    state = rich_state()
    pool = new_pool()
    pool.add_raw(dynamic(0, 0, GWEI, 2 * GWEI), state, GWEI)
    before = snapshot(pool)
    with pytest.raises(LantauError):
        pool.add_raw(data, state, GWEI)
    assert snapshot(pool) == before


@settings(max_examples=300, deadline=None)
@given(position=st.integers(0, 10**6), bit=st.integers(0, 7))
def test_a_flipped_bit_is_always_refused(position: int, bit: int) -> None:
    """The signature covers every field but itself: a flip breaks the encoding, moves the
    chain id, or recovers some other address, which has no HKD to pay for gas."""
    raw = bytearray(dynamic(0, 0, GWEI, 2 * GWEI, value=5))
    raw[position % len(raw)] ^= 1 << bit
    pool = new_pool()
    with pytest.raises(LantauError):
        pool.add_raw(bytes(raw), rich_state(), GWEI)
    assert len(pool) == 0


# --- issue 10 finding 9 --------------------------------------------------------------------


def _fresh_keys(count: int, offset: int = 1) -> list[bytes]:
    return [(10**6 + offset + n).to_bytes(32, "big") for n in range(count)]


def test_select_while_transactions_arrive_from_another_thread() -> None:
    """Was: `select` on the block-building thread iterated the pool's dicts while
    eth_sendRawTransaction added senders: RuntimeError ("dictionary changed size during
    iteration"), which in the node would stop the block producer."""
    import threading

    keys = _fresh_keys(600)
    raws = [
        bytes(Account.sign_transaction(dict(type=2, chainId=CHAIN_ID, nonce=0, maxPriorityFeePerGas=GWEI,
                                            maxFeePerGas=2 * GWEI, gas=21_000, to=RECIPIENT, value=0), key).raw_transaction)
        for key in keys
    ]
    state = DictState(balances={Address(to_canonical_address(Account.from_key(key).address)): 10**24 for key in keys})
    pool = new_pool()
    for raw in raws[:300]:
        pool.add_raw(raw, state, base_fee=GWEI)
    errors: list[BaseException] = []
    done = threading.Event()

    def build_blocks() -> None:
        while not done.is_set():
            try:
                pool.select(BLOCK_GAS_LIMIT, GWEI)
            except BaseException as error:  # noqa: BLE001 - the failure this test looks for
                errors.append(error)
                return

    builder = threading.Thread(target=build_blocks)
    builder.start()
    try:
        for raw in raws[300:]:
            pool.add_raw(raw, state, base_fee=GWEI)
            pool.pending()
    finally:
        done.set()
        builder.join()
    assert errors == []
    assert len(pool) == 600


def test_zero_fee_transaction_from_an_unfunded_key_is_refused() -> None:
    """Was: accepted (cost 0 <= balance 0); 4,096 of them filled the pool."""
    key = _fresh_keys(1, offset=5_000)[0]
    zero_fee = bytes(Account.sign_transaction(dict(type=2, chainId=CHAIN_ID, nonce=0, maxPriorityFeePerGas=0,
                                                   maxFeePerGas=0, gas=21_000, to=RECIPIENT, value=0), key).raw_transaction)
    pool = new_pool()
    with pytest.raises(FeeTooLow, match="^transaction underpriced: tip 0 below the pool's minimum 1$"):
        pool.add_raw(zero_fee, DictState(), base_fee=GWEI)
    one_wei = bytes(Account.sign_transaction(dict(type=2, chainId=CHAIN_ID, nonce=0, maxPriorityFeePerGas=1,
                                                  maxFeePerGas=1, gas=21_000, to=RECIPIENT, value=0), key).raw_transaction)
    with pytest.raises(InsufficientFunds):
        pool.add_raw(one_wei, DictState(), base_fee=1)
    assert len(pool) == 0


def test_zero_fee_transactions_in_an_old_journal_do_not_come_back(tmp_path: Path) -> None:
    """Was: they came back after every restart."""
    keys = _fresh_keys(20, offset=7_000)
    journal = TxJournal(tmp_path / "transactions.journal")
    for key in keys:
        journal.append(bytes(Account.sign_transaction(dict(type=2, chainId=CHAIN_ID, nonce=0, maxPriorityFeePerGas=0,
                                                           maxFeePerGas=0, gas=21_000, to=RECIPIENT, value=0), key).raw_transaction))
    pool = TxPool(TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT), journal=journal)
    assert pool.restore(DictState(), base_fee=GWEI) == 0
    assert TxJournal(tmp_path / "transactions.journal").load() == []


async def test_send_raw_transaction_fsyncs_in_a_worker_thread(tmp_path: Path) -> None:
    """Was: the journal's append (write + fsync) ran on the event loop. Outside a JSON-RPC
    request nothing collects deferred durability, so the send fsyncs before it returns."""
    import threading

    from genesis.config import GenesisConfig
    from node.service import L2Node

    genesis = GenesisConfig.load()
    node = L2Node.open(tmp_path, genesis)
    try:
        threads: list[threading.Thread] = []
        sync = node.journal.sync

        def recording_sync(ticket: int) -> None:
            threads.append(threading.current_thread())
            sync(ticket)

        node.journal.sync = recording_sync  # type: ignore[method-assign]
        raw = bytes(Account.sign_transaction(dict(type=2, chainId=genesis.chain_id, nonce=0, maxPriorityFeePerGas=GWEI,
                                                  maxFeePerGas=100 * GWEI, gas=21_000, to=RECIPIENT, value=0), KEYS[0]).raw_transaction)
        await node.send_raw_transaction(raw)
        assert len(threads) == 1 and threads[0] is not threading.main_thread()
        assert TxJournal(tmp_path / "transactions.journal").load() == [raw]
    finally:
        node.close()


def test_fee_cap_below_the_base_fee_is_refused_at_admission_with_gefs_message(state: DictState) -> None:
    """Was: accepted, never selected, and the sender's later nonces stuck behind it silently."""
    pool = new_pool()
    below = dynamic(0, 0, 1, GWEI - 1)
    with pytest.raises(FeeTooLow, match=r"^max fee per gas less than block base fee: address 0x[0-9a-fA-F]{40}, "
                                         r"maxFeePerGas: 999999999, baseFee: 1000000000$"):
        pool.add_raw(below, state, base_fee=GWEI)
    assert len(pool) == 0
    pool.add_raw(dynamic(0, 0, 1, GWEI), state, base_fee=GWEI)  # exactly the base fee: taken
    assert len(pool) == 1


def test_acknowledged_transactions_below_the_base_fee_stay(tmp_path: Path, state: DictState) -> None:
    """A journaled transaction comes back after a restart even if the base fee rose above its
    cap meanwhile (the node acknowledged it), and so does one from a reorged-out block;
    `select` leaves them until the base fee falls back."""
    journal = TxJournal(tmp_path / "transactions.journal")
    pool = TxPool(TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT), journal=journal)
    raw = dynamic(0, 0, 1, 2 * GWEI)
    pool.add_raw(raw, state, base_fee=GWEI)
    restarted = TxPool(TxPoolConfig(chain_id=CHAIN_ID, block_gas_limit=BLOCK_GAS_LIMIT),
                       journal=TxJournal(tmp_path / "transactions.journal"))
    assert restarted.restore(state, base_fee=3 * GWEI) == 1
    assert restarted.select(BLOCK_GAS_LIMIT, 3 * GWEI) == []
    assert [tx.hash for tx in restarted.select(BLOCK_GAS_LIMIT, 2 * GWEI)] == [tx_hash(raw)]
    reorged = new_pool()
    reorged.add_raw(raw, state, base_fee=3 * GWEI, require_base_fee=False)
    assert len(reorged) == 1
