"""The Python SDK (`rwa`) against the L2 node: the sample issuance (and that it is idempotent),
holdings valued in HKD, a refused transfer raised with the contract's reason before anything is
signed, and DvP trade files whose id is the engine's own EIP-712 digest.

By hand: dev 2 holds 250,000,000 HKGGB at HK$1.0012 = HK$250,300,000 and nothing else; dev 4
holds 1,000 YLAGRI at HK$985 = HK$985,000 and 800 shares of 0005.HK at HK$100 = HK$80,000.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from eth_account import Account

from genesis.dev_accounts import dev_accounts
from rwa import (
    NATIVE_HKD,
    AssetClass,
    RWAClient,
    TradeFileError,
    TradeTicket,
    TransactionNotIncluded,
    TransferNotCompliant,
    sample_issuance,
)
from tests.rwa.rwa_chain import HKD, Chain, RWASystem

pytestmark = pytest.mark.rwa_backends("l2")
DEV = dev_accounts()


@pytest.fixture(scope="module")
def sampled(chain: Chain, rwa: RWASystem) -> RWAClient:
    first = sample_issuance(chain.w3)
    assert not first.already_ran and first.transactions > 0
    again = sample_issuance(chain.w3)
    assert again.already_ran and again.transactions == 0
    assert again.assets == first.assets
    return RWAClient(chain.w3, Account.from_key(DEV[2].private_key))


def test_sample_assets_and_investors(sampled: RWAClient) -> None:
    bond, receivable, stock = (sampled.asset(i) for i in ("SAMPLE-HKGGB-4.05-1Y", "SAMPLE-AGRI-RCV-180D", "0005"))
    assert (bond.asset_class, bond.decimals, bond.total_supply_units) == (AssetClass.GREEN_BOND, 18, 800_000_000 * HKD)
    assert bond.bond is not None and (bond.bond.face_value_per_token_wei, bond.bond.coupon_rate_ppm) == (HKD, 40_500)
    assert bond.bond.coupon_dates == (bond.bond.maturity,)  # one annual coupon, at maturity (1-year tenor)
    assert sampled.contracts.actions.functions.couponDue(bond.address).call() == 32_400_000 * HKD
    assert sampled.contracts.actions.functions.couponDue(receivable.address).call() == 150_000 * HKD
    assert (stock.asset_class, stock.identifier, stock.decimals, stock.holder_count) == (AssetClass.HONG_KONG_STOCK, "0005", 0, 4)
    identities = [sampled.identity(a.address) for a in DEV]
    assert [i.verified for i in identities] == [True] * 9 + [False]
    assert {i.country for i in identities[:9]} == {344}
    assert {i.category.name for i in identities[:9]} == {"RETAIL", "PROFESSIONAL", "INSTITUTIONAL"}


def test_portfolio_is_valued_at_the_feed_prices(sampled: RWAClient) -> None:
    dev2 = sampled.portfolio(DEV[2].address)
    assert [(h.asset.symbol, h.balance_units, h.value_wei) for h in dev2.holdings] == [
        ("HKGGB", 250_000_000 * HKD, 250_300_000 * HKD),
        ("TKOAI", 3_000, 3_150_000 * HKD),  # the AI compute revenue share, HK$1,050 a unit
    ]
    dev4 = sampled.portfolio(DEV[4].address)
    assert {h.asset.symbol: h.value_wei for h in dev4.holdings} == {"YLAGRI": 985_000 * HKD, "0005.HK": 80_000 * HKD}
    assert all(h.price is not None and not h.price.stale for h in dev4.holdings)
    assert dev4.total_value_wei == dev4.native_wei + dev4.escrow_wei + 1_065_000 * HKD


def test_refused_transfer_raises_the_reason_and_sends_nothing(sampled: RWAClient) -> None:
    bond = sampled.asset_address("SAMPLE-HKGGB-4.05-1Y")  # other tests here issue bonds named HKGGB too
    nonce = sampled.w3.eth.get_transaction_count(DEV[2].address)
    with pytest.raises(TransferNotCompliant) as refused:
        sampled.transfer(bond, DEV[9].address, HKD)
    assert (refused.value.code, refused.value.reason) == (7, "receiver not KYC verified")
    assert str(refused.value) == "transfer not compliant: receiver not KYC verified (code 7)"
    with pytest.raises(TransferNotCompliant, match="receiver not a professional investor"):
        sampled.transfer(bond, DEV[5].address, HKD)  # retail, and the bond is for professionals only
    assert sampled.w3.eth.get_transaction_count(DEV[2].address) == nonce
    sampled.transfer(bond, DEV[3].address, 5 * HKD)
    assert sampled.token(bond).functions.balanceOf(DEV[3].address).call() == 150_000_005 * HKD


def test_trade_file_round_trip_and_settlement(sampled: RWAClient, chain: Chain, tmp_path: Path) -> None:
    seller = RWAClient(chain.w3, Account.from_key(DEV[4].private_key))
    buyer = RWAClient(chain.w3, Account.from_key(DEV[5].private_key))
    stock = sampled.asset_address("0005")
    ticket = sampled.propose_trade(seller=DEV[4].address, buyer=DEV[5].address, token=stock, units=300, pay_wei=30_150 * HKD)
    engine = sampled.contracts.engine.functions
    assert ticket.trade_id == engine.tradeId(ticket.trade.as_tuple()).call()
    assert ticket.trade.pay_token == NATIVE_HKD

    path = tmp_path / "trade.json"
    ticket.save(path)
    signed, done = seller.sign_trade(TradeTicket.load(path))
    assert done == ["approved the SettlementEngine for 0005.HK"]
    signed.save(path)
    with pytest.raises(TradeFileError, match="neither the seller"):
        sampled.sign_trade(TradeTicket.load(path))  # dev 2 is not a party
    raw = json.loads(path.read_text())
    raw["trade"]["payAmount"] = str(1)  # a tampered price no longer matches its id
    with pytest.raises(TradeFileError, match="tradeId does not match"):
        TradeTicket.from_json(raw)

    # The buyer settles its own trade, paying its escrow shortfall with the call.
    escrow = engine.escrowOf(DEV[4].address).call()
    receipt = buyer.settle_trade(TradeTicket.load(path))
    assert receipt["status"] == 1
    token = sampled.token(stock).functions
    assert (token.balanceOf(DEV[4].address).call(), token.balanceOf(DEV[5].address).call()) == (500, 300)
    assert engine.escrowOf(DEV[4].address).call() == escrow + 30_150 * HKD
    assert engine.tradeStatus(ticket.trade_id).call() == 1  # settled, once


def test_a_transaction_held_in_the_pool_is_named_with_the_nodes_view(chain: Chain, rwa: RWASystem) -> None:
    """A receipt that never comes is `TransactionNotIncluded` with what the node says: here a
    transfer signed two nonces ahead waits in the pool for the missing ones. The pool keeps it,
    and it is mined once the gap is filled."""
    sender = chain.new_account("held")
    client = RWAClient(chain.w3, sender, receipt_timeout_s=1.0)
    mined = chain.w3.eth.get_transaction_count(sender.address)
    fees = {"maxFeePerGas": 2 * int(chain.w3.eth.get_block("latest")["baseFeePerGas"]) + 10**6, "maxPriorityFeePerGas": 10**6}
    transfers = [
        sender.sign_transaction({"to": DEV[9].address, "value": 1, "gas": 21_000, "nonce": mined + i, "chainId": client.chain_id, "type": 2, **fees})
        for i in range(3)
    ]
    held = bytes(chain.w3.eth.send_raw_transaction(transfers[2].raw_transaction))
    with pytest.raises(TransactionNotIncluded) as waited:
        client._receipt("held transfer", held)
    assert (waited.value.function, waited.value.tx_hash, waited.value.waited_s) == ("held transfer", "0x" + held.hex(), 1.0)
    assert waited.value.detail.startswith(
        f"the node's pool holds it: nonce {mined + 2}, {sender.address} has {mined} mined and {mined} counting the pool"
    )
    assert chain.w3.eth.get_transaction(held)["blockNumber"] is None  # still pooled, nothing lost
    for transfer in transfers[:2]:
        chain.w3.eth.send_raw_transaction(transfer.raw_transaction)
    assert client._receipt("held transfer", held)["status"] == 1
    assert chain.w3.eth.get_transaction_count(sender.address) == mined + 3
