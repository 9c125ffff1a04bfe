"""Delivery versus payment on a real EVM: bilateral trades signed by both parties (EIP-712) and
submitted by a third party, against native HKD (escrow) and against an ERC-20 (FX leg), alone and
in batches, atomic per trade or per batch.

The property test settles many random trades (LANTAU_RWA_DVP_TRADES, default 200; seed
LANTAU_RWA_DVP_SEED) in batches, with failures injected on purpose (expired, cancelled, replayed,
badly signed, underfunded, non-KYC buyer...), against a Python model of the books. After every
batch: each party's balance of every asset, of the FX token and of its escrow equals the model's;
the trades the engine reports settled / failed (with the error) are exactly the model's; and the
sums are conserved - every token, and native HKD across parties plus the engine (the submitter is
a separate account, so its gas never blurs the sum; the gas of the parties' own cancellations is
counted). A failing trade therefore never settles half.
"""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_utils import keccak
from web3.contract import Contract

from rwa.trade import TRADE_TYPES, Trade
from tests.rwa.rwa_chain import (
    BATCH_GAS,
    DAY,
    GREEN_BOND,
    HKD,
    HONG_KONG,
    PROFESSIONAL,
    WAREHOUSE_RECEIPT,
    YEAR,
    Chain,
    RWASystem,
    decode_revert,
    events,
    sign_typed,
)

# On the L2 node. CI runs 200 trades (~a minute on py-evm); LANTAU_RWA_DVP_TRADES=1000 for more.
pytestmark = pytest.mark.rwa_backends("l2")

TRADE_COUNT = int(os.environ.get("LANTAU_RWA_DVP_TRADES", "200"))
SEED = int(os.environ.get("LANTAU_RWA_DVP_SEED", "20240805"))
BATCH_SIZE = 25
NATIVE = "0x0000000000000000000000000000000000000000"
MAX_UINT = 2**256 - 1
@dataclass
class Market:
    chain: Chain
    rwa: RWASystem
    assets: list[Contract]
    fx: Contract
    parties: list[LocalAccount]  # the last one has no KYC
    keys: dict[str, LocalAccount]
    agent: str
    submitter: str
    salts: Iterator[int] = field(default_factory=lambda: iter(range(1, 10**9)))

    @property
    def engine(self) -> Contract:
        return self.rwa.engine

    def domain(self) -> dict[str, Any]:
        return {
            "name": "Lantau SettlementEngine",
            "version": "1",
            "chainId": self.chain.w3.eth.chain_id,
            "verifyingContract": self.engine.address,
        }

    def trade(
        self,
        seller: str,
        buyer: str,
        asset: str,
        asset_amount: int,
        pay_token: str,
        pay_amount: int,
        *,
        expiry: int | None = None,
    ) -> Trade:
        return Trade(
            seller,
            buyer,
            asset,
            asset_amount,
            pay_token,
            pay_amount,
            expiry or self.chain.now() + DAY,
            next(self.salts),
        )

    def sign(self, trade: Trade, signer: str) -> bytes:
        return sign_typed(self.keys[signer], self.domain(), TRADE_TYPES, "Trade", trade.as_message())

    def trade_id(self, trade: Trade) -> bytes:
        message = encode_typed_data(self.domain(), TRADE_TYPES, trade.as_message())
        return keccak(b"\x19\x01" + message.header + message.body)

    def books(self) -> dict[tuple[str, str], int]:
        """Every balance the model tracks, read from the chain."""
        out: dict[tuple[str, str], int] = {}
        for p in self.parties:
            for a in self.assets:
                out[(a.address, p.address)] = a.functions.balanceOf(p.address).call()
            out[(self.fx.address, p.address)] = self.fx.functions.balanceOf(p.address).call()
            out[(NATIVE, p.address)] = self.engine.functions.escrowOf(p.address).call()
        return out

    def native_total(self) -> int:
        return sum(self.chain.balance(p.address) for p in self.parties) + self.chain.balance(self.engine.address)


@pytest.fixture(scope="module")
def market(chain: Chain, rwa: RWASystem) -> Market:
    rng = random.Random(SEED)
    parties = [chain.new_account(f"dvp party {i}", fund_wei=10**24) for i in range(9)]
    rwa.register([p.address for p in parties[:-1]], country=HONG_KONG, category=PROFESSIONAL)
    issuer = chain.new_address("dvp issuer", fund_wei=10**21)
    agent = chain.new_address("dvp agent", fund_wei=10**21)
    maturity = chain.now() + 5 * YEAR
    bond = rwa.create_asset(
        issuer=issuer,
        agents=[agent],
        name="Green Bond 2029",
        symbol="GB29",
        asset_class=GREEN_BOND,
        bond=(HKD, 30_000, 2, maturity, [maturity]),
    )
    receipt = rwa.create_asset(
        issuer=issuer,
        agents=[agent],
        name="Kwai Chung Warehouse Receipts",
        symbol="KCWR",
        asset_class=WAREHOUSE_RECEIPT,
        decimals=0,
    )
    fx = chain.deploy("TestERC20", "Test US Dollar", "TUSD", 6)
    kyc = [p.address for p in parties[:-1]]
    chain.send(bond.functions.batchMint(kyc, [rng.randint(1_000, 100_000) * 10**18 for _ in kyc]), agent)
    receipts = [rng.randint(100, 5_000) for _ in kyc]
    rwa.attest_reserve(receipt, issuer, sum(receipts), valid_for_s=10 * 365 * 86_400)  # the guard holds receipts to their stock
    chain.send(receipt.functions.batchMint(kyc, receipts), agent)
    for p in parties:
        chain.send(fx.functions.mint(p.address, rng.randint(10_000, 1_000_000) * 10**6), p.address)
        for token in (bond, receipt, fx):
            chain.send(token.functions.approve(rwa.engine.address, MAX_UINT), p.address)
        chain.send(rwa.engine.functions.deposit(), p.address, value=rng.randint(10_000, 1_000_000) * HKD)
    return Market(
        chain,
        rwa,
        [bond, receipt],
        fx,
        parties,
        {p.address: p for p in parties},
        agent,
        submitter=chain.new_address("dvp submitter", fund_wei=10**24),
    )


# --- the model ----------------------------------------------------------------------------------


@dataclass
class Model:
    """The books as the engine should keep them, and the outcome it should report per trade."""

    books: dict[tuple[str, str], int]
    kyc: set[str]
    rwa_assets: set[str]
    status: dict[bytes, str] = field(default_factory=dict)

    def outcome(self, trade_id: bytes, t: Trade, signed: bool, now: int) -> str | None:
        """The error the engine raises for this trade (None: it settles), checked in the engine's order."""
        if self.status.get(trade_id) == "settled":
            return "TradeAlreadySettled"
        if self.status.get(trade_id) == "cancelled":
            return "TradeIsCancelled"
        if now > t.expiry:
            return "TradeExpired"
        if not signed:
            return "InvalidSignature"
        if self.books[(t.pay_token, t.buyer)] < t.pay_amount:
            return "InsufficientEscrow" if t.pay_token == NATIVE else "ERC20InsufficientBalance"
        if self.books[(t.asset, t.seller)] < t.asset_amount:
            return "TransferNotCompliant"  # code 4, insufficient balance
        if t.asset in self.rwa_assets and t.buyer not in self.kyc:
            return "TransferNotCompliant"  # code 7, receiver not KYC verified
        return None

    def apply(self, trade_id: bytes, t: Trade) -> None:
        self.books[(t.pay_token, t.buyer)] -= t.pay_amount
        self.books[(t.pay_token, t.seller)] += t.pay_amount
        self.books[(t.asset, t.seller)] -= t.asset_amount
        self.books[(t.asset, t.buyer)] += t.asset_amount
        self.status[trade_id] = "settled"


@dataclass
class Order:
    trade: Trade
    seller_sig: bytes
    buyer_sig: bytes
    signed: bool  # both signatures valid


def random_order(
    m: Market, model: Model, rng: random.Random, now: int, *, inject: str | None, history: list[Order]
) -> Order:
    """A random trade between KYC'd parties, with one failure injected when asked."""
    if inject == "replay" and history:
        return rng.choice(history)
    kyc = [p.address for p in m.parties[:-1]]
    seller, buyer = rng.sample(kyc, 2)
    if inject == "no_kyc_buyer":
        buyer = m.parties[-1].address
    asset = rng.choice(m.assets).address
    pay_token = rng.choice([NATIVE, NATIVE, m.fx.address])
    held = model.books[(asset, seller)]
    asset_amount = rng.randint(1, max(1, held // 8))
    if inject == "oversell":
        asset_amount = held + rng.randint(1, 10**6)
    funds = model.books[(pay_token, buyer)]
    pay_amount = rng.randint(1, max(1, funds // 8))
    if inject == "underfunded":
        pay_amount = funds + rng.randint(1, 10**6)
    expiry = now - 10 if inject == "expired" else now + DAY
    trade = Trade(seller, buyer, asset, asset_amount, pay_token, pay_amount, expiry, next(m.salts))
    seller_sig = m.sign(trade, seller)
    buyer_sig = m.sign(trade, buyer)
    if inject == "bad_signature":
        impostor = rng.choice([a for a in kyc if a not in (seller, buyer)])
        buyer_sig = m.sign(trade, impostor)
    return Order(trade, seller_sig, buyer_sig, signed=inject != "bad_signature")


INJECTIONS = ("expired", "cancelled", "replay", "bad_signature", "underfunded", "oversell", "no_kyc_buyer")


def test_random_trades_in_batches_conserve_every_balance_and_never_settle_half(market: Market) -> None:
    m, chain = market, market.chain
    rng = random.Random(SEED)
    model = Model(m.books(), {p.address for p in m.parties[:-1]}, {a.address for a in m.assets})
    supplies = {k: sum(v for (token, _), v in model.books.items() if token == k) for k, _ in model.books}
    native_before = m.native_total()
    gas_paid_by_parties = 0  # cancellations are sent by the parties themselves
    history: list[Order] = []
    settled_total = failed_total = atomic_reverted = 0
    gas_per_trade: list[float] = []
    print(f"\nDvP property: {TRADE_COUNT} trades, seed {SEED}, batches of {BATCH_SIZE}")

    for start in range(0, TRADE_COUNT, BATCH_SIZE):
        size = min(BATCH_SIZE, TRADE_COUNT - start)
        atomic = rng.random() < 0.3
        now = chain.now()
        # Atomic batches are clean, or carry exactly one injected failure; others ~20% injected.
        poison = rng.randrange(size) if atomic and rng.random() < 0.5 else None
        orders: list[Order] = []
        for i in range(size):
            inject = None
            if (atomic and i == poison) or (not atomic and rng.random() < 0.2):
                inject = rng.choice(INJECTIONS)
            order = random_order(m, model, rng, now, inject=inject, history=history)
            if inject == "cancelled":
                party = rng.choice([order.trade.seller, order.trade.buyer])
                receipt = chain.send(m.engine.functions.cancel(order.trade.as_tuple()), party)
                gas_paid_by_parties += receipt["gasUsed"] * receipt["effectiveGasPrice"]
                model.status[m.trade_id(order.trade)] = "cancelled"
            orders.append(order)

        # Predict the batch trade by trade on a copy of the model.
        trial = Model(dict(model.books), model.kyc, model.rwa_assets, dict(model.status))
        predicted: list[str | None] = []
        block_time = chain.now() + 1  # expiries are a day ahead or 10 s behind: exactness not needed
        for o in orders:
            tid = m.trade_id(o.trade)
            predicted.append(trial.outcome(tid, o.trade, o.signed, block_time))
            if predicted[-1] is None:
                trial.apply(tid, o.trade)

        call = m.engine.functions.settleBatch(
            [o.trade.as_tuple() for o in orders], [o.seller_sig for o in orders], [o.buyer_sig for o in orders], atomic
        )
        if atomic and any(p is not None for p in predicted):
            first = next(i for i, p in enumerate(predicted) if p is not None)
            revert = chain.try_call(call, m.submitter)
            assert revert is not None and revert.name == "BatchTradeFailed"
            assert revert.args[0] == first and revert.args[1] == m.trade_id(orders[first].trade)
            assert decode_revert(revert.args[2]).name == predicted[first]
            receipt = chain.send_unchecked(call, m.submitter, gas=BATCH_GAS)
            assert receipt["status"] == 0
            atomic_reverted += 1
        else:
            receipt = chain.send_unchecked(call, m.submitter, gas=BATCH_GAS)
            assert receipt["status"] == 1
            settled = [e["tradeId"] for e in events(m.engine, "TradeSettled", receipt)]
            failed = [
                (e["index"], e["tradeId"], decode_revert(e["reason"]).name)
                for e in events(m.engine, "TradeFailed", receipt)
            ]
            assert settled == [m.trade_id(o.trade) for o, p in zip(orders, predicted) if p is None]
            assert failed == [
                (i, m.trade_id(o.trade), p) for i, (o, p) in enumerate(zip(orders, predicted)) if p is not None
            ]
            model = trial
            history += [o for o, p in zip(orders, predicted) if p is None]
            settled_total += len(settled)
            failed_total += len(failed)
            if settled:
                gas_per_trade.append(receipt["gasUsed"] / size)

        assert m.books() == model.books
        for token, supply in supplies.items():
            assert sum(v for (t, _), v in model.books.items() if t == token) == supply
        assert m.native_total() + gas_paid_by_parties == native_before
        assert chain.balance(m.engine.address) == sum(v for (t, _), v in model.books.items() if t == NATIVE)

    print(
        f"DvP property: {settled_total} settled, {failed_total} failed alone, "
        f"{atomic_reverted} atomic batches reverted whole; mean gas per batched trade "
        f"{sum(gas_per_trade) / max(1, len(gas_per_trade)):,.0f}"
    )
    assert settled_total > TRADE_COUNT // 3 and failed_total > 0


def test_trade_id_is_the_eip712_digest_both_parties_sign(market: Market) -> None:
    m = market
    seller, buyer = m.parties[0].address, m.parties[1].address
    trade = m.trade(seller, buyer, m.assets[0].address, 10**18, NATIVE, 5 * HKD)
    assert m.engine.functions.tradeId(trade.as_tuple()).call() == m.trade_id(trade)
    assert m.engine.functions.DOMAIN_SEPARATOR().call() == keccak(
        keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
        + keccak(text="Lantau SettlementEngine")
        + keccak(text="1")
        + m.chain.w3.eth.chain_id.to_bytes(32, "big")
        + bytes(12)
        + bytes.fromhex(m.engine.address[2:])
    )


def test_single_settle_by_a_third_party_and_by_the_buyer_with_msg_value(market: Market) -> None:
    m, chain = market, market.chain
    seller, buyer = m.parties[2].address, m.parties[3].address
    bond = m.assets[0]
    books = m.books()

    trade = m.trade(seller, buyer, bond.address, 3 * 10**18, NATIVE, 300 * HKD)
    receipt = chain.send(
        m.engine.functions.settle(trade.as_tuple(), m.sign(trade, seller), m.sign(trade, buyer)), m.submitter
    )
    print(f"\ngas: SettlementEngine.settle (RWA vs native HKD, third-party submitter) = {receipt['gasUsed']}")
    (settled,) = events(m.engine, "TradeSettled", receipt)
    assert settled["tradeId"] == m.trade_id(trade)

    fx_trade = m.trade(seller, buyer, bond.address, 10**18, m.fx.address, 13 * 10**6)
    receipt = chain.send(
        m.engine.functions.settle(fx_trade.as_tuple(), m.sign(fx_trade, seller), m.sign(fx_trade, buyer)), m.submitter
    )
    print(f"gas: SettlementEngine.settle (RWA vs ERC-20 FX leg, third-party submitter) = {receipt['gasUsed']}")

    # The buyer submits its own trade: no buyer signature needed, pays with msg.value.
    own = m.trade(seller, buyer, bond.address, 2 * 10**18, NATIVE, 150 * HKD)
    escrow_before = m.engine.functions.escrowOf(buyer).call()
    chain.send(m.engine.functions.settle(own.as_tuple(), m.sign(own, seller), b""), buyer, value=150 * HKD)
    assert m.engine.functions.escrowOf(buyer).call() == escrow_before

    after = m.books()
    assert after[(bond.address, seller)] == books[(bond.address, seller)] - 6 * 10**18
    assert after[(bond.address, buyer)] == books[(bond.address, buyer)] + 6 * 10**18
    assert after[(NATIVE, seller)] == books[(NATIVE, seller)] + 450 * HKD
    assert after[(NATIVE, buyer)] == books[(NATIVE, buyer)] - 300 * HKD
    assert after[(m.fx.address, buyer)] == books[(m.fx.address, buyer)] - 13 * 10**6
    assert after[(m.fx.address, seller)] == books[(m.fx.address, seller)] + 13 * 10**6

    # Settled once only; the seller withdraws its proceeds.
    assert (
        chain.revert_of(
            m.engine.functions.settle(trade.as_tuple(), m.sign(trade, seller), m.sign(trade, buyer)), m.submitter
        ).name
        == "TradeAlreadySettled"
    )
    before = chain.balance(seller)
    receipt = chain.send(m.engine.functions.withdraw(450 * HKD), seller)
    assert chain.balance(seller) - before + receipt["gasUsed"] * receipt["effectiveGasPrice"] == 450 * HKD


def test_failing_trade_in_a_batch_leaves_both_legs_untouched(market: Market) -> None:
    m, chain = market, market.chain
    seller, buyer, outsider = m.parties[4].address, m.parties[5].address, m.parties[-1].address
    bond = m.assets[0]
    good = m.trade(seller, buyer, bond.address, 10**18, NATIVE, HKD)
    # The seller's HKD is paid first, then delivery to a non-KYC buyer fails: the payment must unwind.
    bad = m.trade(seller, outsider, bond.address, 10**18, NATIVE, HKD)
    orders = [good, bad]
    books = m.books()

    receipt = chain.send_unchecked(
        m.engine.functions.settleBatch(
            [t.as_tuple() for t in orders],
            [m.sign(t, t.seller) for t in orders],
            [m.sign(t, t.buyer) for t in orders],
            False,
        ),
        m.submitter,
        gas=BATCH_GAS,
    )
    assert receipt["status"] == 1
    (failed,) = events(m.engine, "TradeFailed", receipt)
    reason = decode_revert(failed["reason"])
    assert (failed["index"], reason.name, reason.args) == (1, "TransferNotCompliant", (7, "receiver not KYC verified"))
    after = m.books()
    assert after[(NATIVE, outsider)] == books[(NATIVE, outsider)]
    assert after[(NATIVE, seller)] == books[(NATIVE, seller)] + HKD  # from the good trade only
    assert after[(bond.address, seller)] == books[(bond.address, seller)] - 10**18
    assert m.engine.functions.tradeStatus(m.trade_id(bad)).call() == 0  # still open


def test_atomic_batch_reverts_everything_on_one_failure(market: Market) -> None:
    m, chain = market, market.chain
    a, b, c = (p.address for p in m.parties[:3])
    bond, receipt_token = m.assets
    trades = [
        m.trade(a, b, bond.address, 10**18, NATIVE, HKD),
        m.trade(b, c, receipt_token.address, 1, m.fx.address, 10**6),
        m.trade(c, a, bond.address, 10**18, NATIVE, HKD, expiry=chain.now() - 1),  # expired
    ]
    call = m.engine.functions.settleBatch(
        [t.as_tuple() for t in trades],
        [m.sign(t, t.seller) for t in trades],
        [m.sign(t, t.buyer) for t in trades],
        True,
    )
    books = m.books()
    revert = chain.revert_of(call, m.submitter)
    assert (revert.name, revert.args[0], revert.args[1]) == ("BatchTradeFailed", 2, m.trade_id(trades[2]))
    assert decode_revert(revert.args[2]).name == "TradeExpired"
    assert chain.send_unchecked(call, m.submitter, gas=BATCH_GAS)["status"] == 0
    assert m.books() == books
    assert [m.engine.functions.tradeStatus(m.trade_id(t)).call() for t in trades] == [0, 0, 0]


def test_cancel_and_expiry(market: Market) -> None:
    m, chain = market, market.chain
    a, b, outsider = m.parties[0].address, m.parties[1].address, m.parties[6].address
    trade = m.trade(a, b, m.assets[1].address, 1, NATIVE, HKD)
    assert chain.revert_of(m.engine.functions.cancel(trade.as_tuple()), outsider).name == "NotTradeParty"
    receipt = chain.send(m.engine.functions.cancel(trade.as_tuple()), b)
    assert events(m.engine, "TradeCancelled", receipt) == [{"tradeId": m.trade_id(trade), "by": b}]
    settle = m.engine.functions.settle(trade.as_tuple(), m.sign(trade, a), m.sign(trade, b))
    assert chain.expect_revert(settle, m.submitter).name == "TradeIsCancelled"

    expiring = m.trade(a, b, m.assets[1].address, 1, NATIVE, HKD, expiry=chain.now() + 5)
    chain.advance(6)
    revert = chain.expect_revert(
        m.engine.functions.settle(expiring.as_tuple(), m.sign(expiring, a), m.sign(expiring, b)), m.submitter
    )
    assert revert.name == "TradeExpired"
    unsigned = m.trade(a, b, m.assets[1].address, 1, NATIVE, HKD)
    revert = chain.expect_revert(m.engine.functions.settle(unsigned.as_tuple(), m.sign(unsigned, a), b""), m.submitter)
    assert revert.name == "InvalidSignature" and revert.args[1] == b


def test_batch_gas_per_trade(market: Market) -> None:
    m, chain = market, market.chain
    rng = random.Random(SEED + 1)
    kyc = [p.address for p in m.parties[:-1]]
    trades = []
    for _ in range(50):
        seller, buyer = rng.sample(kyc, 2)
        pay = rng.choice([NATIVE, m.fx.address])
        trades.append(
            m.trade(
                seller,
                buyer,
                m.assets[0].address,
                rng.randint(1, 10) * 10**15,
                pay,
                rng.randint(1, 10) * (HKD if pay == NATIVE else 10**6),
            )
        )
    for atomic in (False, True):
        part = trades[:25] if not atomic else trades[25:]
        receipt = chain.send_unchecked(
            m.engine.functions.settleBatch(
                [t.as_tuple() for t in part],
                [m.sign(t, t.seller) for t in part],
                [m.sign(t, t.buyer) for t in part],
                atomic,
            ),
            m.submitter,
            gas=BATCH_GAS,
        )
        assert receipt["status"] == 1 and len(events(m.engine, "TradeSettled", receipt)) == 25
        gas = receipt["gasUsed"]
        print(f"\ngas: SettlementEngine.settleBatch of 25 (atomic={atomic}) = {gas}, per trade {gas // 25}")


def test_least_gas_that_succeeds_settles_every_trade_of_a_non_atomic_batch(market: Market) -> None:
    """A gas estimator searches for the least gas at which the transaction succeeds (bisection
    over eth_call here, as a plain estimator does). That gas must settle every trade: a trade that
    runs out of gas fails the whole batch with BatchOutOfGas(index) instead of being skipped as if
    it had failed on its merits."""
    m, chain = market, market.chain
    kyc = [p.address for p in m.parties[:-1]]
    trades = [m.trade(kyc[i % 8], kyc[(i + 1) % 8], m.assets[1].address, 1, NATIVE, HKD) for i in range(10)]
    call = m.engine.functions.settleBatch(
        [t.as_tuple() for t in trades],
        [m.sign(t, t.seller) for t in trades],
        [m.sign(t, t.buyer) for t in trades],
        False,
    )
    low, high = 21_000, BATCH_GAS  # fails at low, succeeds at high
    while high - low > 1:
        mid = (low + high) // 2
        if chain.try_call(call, m.submitter, gas=mid) is None:
            high = mid
        else:
            low = mid
    # With half the gas, the trade that runs dry fails the batch with a reason, not silently.
    revert = chain.try_call(call, m.submitter, gas=high // 2)
    assert revert is not None and revert.name == "BatchOutOfGas" and 0 < revert.args[0] < 10
    receipt = chain.send_unchecked(call, m.submitter, gas=high)
    assert receipt["status"] == 1
    assert len(events(m.engine, "TradeSettled", receipt)) == 10 and events(m.engine, "TradeFailed", receipt) == []


def test_gas_capped_batch_fails_only_the_trade_over_its_cap(market: Market) -> None:
    """`settleBatchWithGasCap`: each trade runs with at most the cap; the RWA leg (identity and
    compliance checks) needs more than 90,000 gas and fails alone, the plain ERC-20 leg settles."""
    m, chain = market, market.chain
    a, b = m.parties[0].address, m.parties[1].address
    heavy = m.trade(a, b, m.assets[0].address, 10**18, NATIVE, HKD)
    light = m.trade(a, b, m.fx.address, 10**6, NATIVE, HKD)
    trades = [heavy, light]
    args = ([t.as_tuple() for t in trades], [m.sign(t, t.seller) for t in trades], [m.sign(t, t.buyer) for t in trades])
    assert chain.revert_of(m.engine.functions.settleBatchWithGasCap(*args, 0), m.submitter).name == "InvalidGasCap"
    books = m.books()
    receipt = chain.send_unchecked(m.engine.functions.settleBatchWithGasCap(*args, 90_000), m.submitter, gas=BATCH_GAS)
    assert receipt["status"] == 1
    (failed,) = events(m.engine, "TradeFailed", receipt)
    assert (failed["index"], failed["reason"]) == (0, b"")  # out of its gas
    (settled,) = events(m.engine, "TradeSettled", receipt)
    assert settled["tradeId"] == m.trade_id(light)
    after = m.books()
    assert after[(m.assets[0].address, a)] == books[(m.assets[0].address, a)]
    assert after[(m.fx.address, b)] == books[(m.fx.address, b)] + 10**6
    assert after[(NATIVE, b)] == books[(NATIVE, b)] - HKD
    assert m.engine.functions.tradeStatus(m.trade_id(heavy)).call() == 0  # still open


def test_a_frozen_escrow_pays_no_trade(market: Market) -> None:
    m, chain = market, market.chain
    a, b = m.parties[2].address, m.parties[3].address
    trade = m.trade(a, b, m.assets[1].address, 1, NATIVE, HKD)
    chain.send(m.engine.functions.setEscrowFrozen(b, True), m.rwa.operator)
    books = m.books()
    settle = m.engine.functions.settle(trade.as_tuple(), m.sign(trade, a), m.sign(trade, b))
    revert = chain.expect_revert(settle, m.submitter)
    assert (revert.name, revert.args) == ("EscrowIsFrozen", (b,))
    assert m.books() == books and m.engine.functions.tradeStatus(m.trade_id(trade)).call() == 0
    chain.send(m.engine.functions.setEscrowFrozen(b, False), m.rwa.operator)
    chain.send(settle, m.submitter)
    assert m.engine.functions.tradeStatus(m.trade_id(trade)).call() == 1
