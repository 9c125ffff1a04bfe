"""AI-agent wallets (issue 18, part 2, "consumers on chain"), on the L2 node from the devnet
genesis: a KYC'd sub-account of one investor (the principal) from which an agent key trades a
warehouse receipt within the principal's limits, each trade citing the device attestation it acted
on (`AgentTraded(tradeId, attestationUid, ...)`), so the audit trail runs data -> decision ->
trade. The agent trades through the SDK (rwa/agent_client.py). Each refusal names its error and
moves nothing: another caller than the agent, a trade over the per-trade or the daily limit, an
unknown, revoked, expired or too old attestation, one about another asset, a wallet not KYC'd as
the principal's sub-account, a paused agent, and the principal's controls taken by another. The
agent also places alliance-market auction orders within the same limits, which the wallet signs
by ERC-1271."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner
from web3.contract import Contract

from genesis.predeploys import CALL_AUCTION, DEVICE_REGISTRY, VENUE_REGISTRY
from node.cli import app
from rwa.agent_client import AgentLimits, AgentWallets
from rwa.auction import Side
from rwa.client import RWAClient
from rwa.devices import reserve_reading, sign_reading, sign_registration
from rwa.errors import ContractReverted
from rwa.market import Book, Order, book_proofs, book_root, order_id, paged_settlement, settlement, sign_order
from rwa.trade import Trade, TradeTicket, sign_trade
from rwa.types import NATIVE_HKD
from tests.rwa.rwa_chain import HKD, WAREHOUSE_RECEIPT, Chain, RWASystem, events

pytestmark = pytest.mark.rwa_backends("l2")

PRICE_WEI = 100 * HKD  # per receipt
LIMITS = AgentLimits(max_trade_wei=1_000 * HKD, daily_limit_wei=2_500 * HKD, max_reading_age_s=600)


@dataclass
class Desk:
    chain: Chain
    rwa: RWASystem
    devices: Contract
    token: Contract
    other_token: Contract
    issuer: str
    operator: str
    device: LocalAccount
    other_device: LocalAccount
    principal: LocalAccount
    agent: LocalAccount
    counterparty: LocalAccount
    wallet: Contract
    sdk: AgentWallets  # signed by the agent
    sequence: Any

    def attest(self, *, valid_for_s: int = 3_600, token: Contract | None = None, device: LocalAccount | None = None) -> bytes:
        """A fresh device-signed reserve reading of the receipt's vault; its attestation uid."""
        device = device or self.device
        asset = (token or self.token).address
        reading = reserve_reading(device, asset, 10_000, sequence=next(self.sequence), time=self.chain.now(), valid_for_s=valid_for_s)
        signature = sign_reading(device, reading, self.chain.w3.eth.chain_id, self.devices.address)
        receipt = self.chain.send(self.devices.functions.attest(reading.as_tuple(), signature), self.operator)
        (attested,) = events(self.devices, "Attested", receipt)
        return bytes(attested["uid"])

    def buy(self, units: int) -> tuple[Trade, bytes]:
        """The wallet buys `units` receipts from the counterparty, who signs."""
        trade = Trade(self.counterparty.address, self.wallet.address, self.token.address, units, NATIVE_HKD,
                      units * PRICE_WEI, self.chain.now() + 3_600, next(self.sequence))
        return trade, sign_trade(trade, self.counterparty.key, self.chain.w3.eth.chain_id, self.rwa.engine.address)

    def sell(self, units: int) -> tuple[Trade, bytes]:
        trade = Trade(self.wallet.address, self.counterparty.address, self.token.address, units, NATIVE_HKD,
                      units * PRICE_WEI, self.chain.now() + 3_600, next(self.sequence))
        return trade, sign_trade(trade, self.counterparty.key, self.chain.w3.eth.chain_id, self.rwa.engine.address)

    def state(self) -> tuple[int, ...]:
        """Everything a refusal must leave as it was."""
        t, e, w = self.token.functions, self.rwa.engine.functions, self.wallet.functions
        day = self.chain.now() // 86_400
        return (t.balanceOf(self.wallet.address).call(), t.balanceOf(self.counterparty.address).call(),
                e.escrowOf(self.wallet.address).call(), e.escrowOf(self.counterparty.address).call(),
                self.chain.balance(self.wallet.address), w.tradeCount().call(), w.tradedOnDay(day).call())

    def refused(self, call: Any, sender: str) -> tuple[str, tuple[Any, ...]]:
        before = self.state()
        revert = self.chain.expect_revert(call, sender)
        assert self.state() == before
        return revert.name, revert.args


def _vault_asset(chain: Chain, rwa: RWASystem, label: str, issuer: str, operator: str, device: LocalAccount) -> Contract:
    devices = chain.at("DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())
    token = rwa.create_asset(issuer=issuer, agents=[issuer], name=f"{label} receipt", symbol="WHR", asset_class=WAREHOUSE_RECEIPT, decimals=0)
    chain.send(devices.functions.setOperatorApproved(token.address, operator, True), issuer)
    proof = sign_registration(device, operator, token.address, chain.w3.eth.chain_id, devices.address)
    chain.send(devices.functions.registerDevice(device.address, token.address, proof), operator)
    return token


@pytest.fixture(scope="module")
def desk(chain: Chain, rwa: RWASystem) -> Iterator[Desk]:
    devices = chain.at("DeviceRegistry", "0x" + DEVICE_REGISTRY.hex())
    issuer = chain.new_address("agent issuer", fund_wei=10**21)
    operator = chain.new_address("agent vault operator", fund_wei=10**21)
    principal, agent = chain.new_account("agent principal", fund_wei=10**23), chain.new_account("the agent")
    counterparty = chain.new_account("agent counterparty", fund_wei=10**24)
    rwa.register([operator, principal.address, counterparty.address])
    device, other_device = chain.new_account("agent vault device", fund_wei=0), chain.new_account("other vault device", fund_wei=0)
    token = _vault_asset(chain, rwa, "agent", issuer, operator, device)
    other_token = _vault_asset(chain, rwa, "other", issuer, operator, other_device)
    wallet = chain.deploy("AgentWallet", agent.address, LIMITS.max_trade_wei, LIMITS.daily_limit_wei, LIMITS.max_reading_age_s, sender=principal.address)
    d = Desk(chain, rwa, devices, token, other_token, issuer, operator, device, other_device, principal, agent, counterparty, wallet,
             AgentWallets(RWAClient(chain.w3, agent)), iter(range(1, 10**9)))
    d.attest()
    chain.send(token.functions.mint(counterparty.address, 1_000), issuer)
    chain.send(token.functions.approve(rwa.engine.address, 2**256 - 1), counterparty.address)
    chain.send(rwa.engine.functions.deposit(), counterparty.address, value=10**5 * HKD)
    # The principal funds the wallet (a transfer to a contract: more than 21,000 gas).
    tx_hash = chain._sign_and_send({"from": principal.address, "to": wallet.address, "value": 5_000 * HKD, "gas": 60_000})
    assert chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)["status"] == 1
    yield d
    # The engine's HKD is the session's to share (test_rwa_dvp counts it): take ours back out.
    left = rwa.engine.functions.escrowOf(counterparty.address).call()
    if left:
        chain.send(rwa.engine.functions.withdraw(left), counterparty.address)
    left = rwa.engine.functions.escrowOf(wallet.address).call()
    if left:
        chain.send(wallet.functions.withdraw(left, True), principal.address)


def _sub_account(desk: Desk) -> None:
    """A KYC agent registers the wallet under the principal's investor id (once)."""
    if not desk.rwa.registry.functions.isVerified(desk.wallet.address).call():
        AgentWallets(RWAClient(desk.chain.w3, desk.chain.keys[desk.rwa.kyc_agent])).register_sub_account(
            desk.wallet.address, desk.principal.address)


def test_a_wallet_not_kyc_as_the_principals_sub_account_is_refused(desk: Desk) -> None:
    if desk.rwa.registry.functions.isVerified(desk.wallet.address).call():
        pytest.fail("the wallet must not be registered yet: this test runs first in the module")
    trade, signature = desk.buy(1)
    uid = desk.attest()
    call = desk.wallet.functions.trade(trade.as_tuple(), signature, uid)
    assert desk.refused(call, desk.agent.address) == ("NotPrincipalsSubAccount", (desk.wallet.address, desk.principal.address))
    _sub_account(desk)
    registry = desk.rwa.registry.functions
    assert registry.investorIdOf(desk.wallet.address).call() == registry.investorIdOf(desk.principal.address).call()


def test_the_agent_buys_and_sells_citing_the_attestation(desk: Desk) -> None:
    _sub_account(desk)
    uid = desk.attest()
    before = desk.state()
    trade, signature = desk.buy(5)
    receipt = desk.sdk.trade(desk.wallet.address, trade, signature, uid)
    (traded,) = events(desk.wallet, "AgentTraded", receipt)
    trade_id = desk.rwa.engine.functions.tradeId(trade.as_tuple()).call()
    assert (traded["tradeId"], traded["attestationUid"], traded["asset"], traded["buy"], traded["assetAmount"], traded["payWei"]) == (
        trade_id, uid, desk.token.address, True, 5, 5 * PRICE_WEI)
    (settled,) = events(desk.rwa.engine, "TradeSettled", receipt)
    assert settled["tradeId"] == trade_id and settled["buyer"] == desk.wallet.address
    cash = 5 * PRICE_WEI
    after_buy = desk.state()
    top_up = max(0, cash - before[2])  # the wallet pays from its escrow first, the rest with its HKD
    assert after_buy[:5] == (before[0] + 5, before[1] - 5, before[2] + top_up - cash, before[3] + cash, before[4] - top_up)
    assert after_buy[5:] == (before[5] + 1, before[6] + cash)

    trade, signature = desk.sell(2)
    receipt = desk.sdk.trade(desk.wallet.address, trade, signature, uid)
    after_sell = desk.state()
    assert after_sell[:5] == (after_buy[0] - 2, after_buy[1] + 2, after_buy[2] + 2 * PRICE_WEI, after_buy[3] - 2 * PRICE_WEI, after_buy[4])
    assert after_sell[6] == after_buy[6] + 2 * PRICE_WEI  # sells count against the daily limit too

    records = desk.sdk.trades(desk.wallet.address)
    assert [(r.buy, r.asset_amount, r.attestation_uid) for r in records[-2:]] == [(True, 5, uid), (False, 2, uid)]
    view = desk.sdk.view(desk.wallet.address)
    assert (view.principal, view.agent, view.limits, view.trade_count) == (desk.principal.address, desk.agent.address, LIMITS, after_sell[5])


def test_only_the_agent_trades_and_only_the_principal_controls(desk: Desk) -> None:
    _sub_account(desk)
    trade, signature = desk.buy(1)
    uid = desk.attest()
    assert desk.refused(desk.wallet.functions.trade(trade.as_tuple(), signature, uid), desk.principal.address) == (
        "NotAgent", (desk.principal.address,))
    for call in (desk.wallet.functions.setLimits(10**30, 10**30, 10**9), desk.wallet.functions.setPaused(True),
                 desk.wallet.functions.withdraw(1, False), desk.wallet.functions.transferAsset(desk.token.address, desk.agent.address, 1)):
        assert desk.refused(call, desk.agent.address) == ("NotPrincipal", (desk.agent.address,))
    assert desk.wallet.functions.maxTradeWei().call() == LIMITS.max_trade_wei
    # A trade between two others is not the wallet's to submit.
    stranger = Trade(desk.counterparty.address, desk.principal.address, desk.token.address, 1, NATIVE_HKD, PRICE_WEI, desk.chain.now() + 3_600, 7)
    stranger_id = desk.rwa.engine.functions.tradeId(stranger.as_tuple()).call()
    assert desk.refused(desk.wallet.functions.trade(stranger.as_tuple(), b"", uid), desk.agent.address) == ("NotWalletTrade", (stranger_id,))


def test_limits_are_enforced(desk: Desk) -> None:
    _sub_account(desk)
    uid = desk.attest()
    trade, signature = desk.buy(11)  # HK$1,100 > HK$1,000 a trade
    assert desk.refused(desk.wallet.functions.trade(trade.as_tuple(), signature, uid), desk.agent.address) == (
        "TradeLimitExceeded", (11 * PRICE_WEI, LIMITS.max_trade_wei))
    day = desk.chain.now() // 86_400
    traded = desk.wallet.functions.tradedOnDay(day).call()
    room = (LIMITS.daily_limit_wei - traded) // PRICE_WEI
    if room > 10:  # fill the day up to within one trade of the limit
        for units in [10] * ((room - 1) // 10):
            fill, fill_signature = desk.buy(units)
            desk.sdk.trade(desk.wallet.address, fill, fill_signature, uid)
    day = desk.chain.now() // 86_400
    traded = desk.wallet.functions.tradedOnDay(day).call()
    units = (LIMITS.daily_limit_wei - traded) // PRICE_WEI + 1
    assert units <= 10
    trade, signature = desk.buy(units)
    name, args = desk.refused(desk.wallet.functions.trade(trade.as_tuple(), signature, uid), desk.agent.address)
    assert name == "DailyLimitExceeded" and args[1:] == (traded + units * PRICE_WEI, LIMITS.daily_limit_wei)
    # The SDK raises the same named error.
    with pytest.raises(ContractReverted) as refused:
        desk.sdk.trade(desk.wallet.address, trade, signature, uid)
    assert refused.value.error == "DailyLimitExceeded"


def test_the_cited_attestation_must_be_usable(desk: Desk) -> None:
    _sub_account(desk)
    trade, signature = desk.buy(1)

    def refusal(uid: bytes) -> tuple[str, tuple[Any, ...]]:
        return desk.refused(desk.wallet.functions.trade(trade.as_tuple(), signature, uid), desk.agent.address)

    unknown = bytes(range(32))
    assert refusal(unknown) == ("UnknownAttestationRef", (unknown,))
    other = desk.attest(token=desk.other_token, device=desk.other_device)
    assert refusal(other) == ("AttestationOfAnotherAsset", (other, desk.other_token.address, desk.token.address))
    revoked = desk.attest()
    receipt = desk.chain.send(desk.devices.functions.revoke(revoked), desk.operator)
    revoked_at = desk.chain.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    assert refusal(revoked) == ("AttestationRefRevoked", (revoked, revoked_at))
    short = desk.attest(valid_for_s=2)
    expires = desk.devices.functions.getAttestation(short).call()[5]
    desk.chain.advance(3)
    name, args = refusal(short)
    assert name == "StaleAttestationRef" and args[:2] == (short, expires)
    # A reading older than the principal allows: the agent must act on fresh data.
    old = desk.attest()
    read_at = desk.devices.functions.getAttestation(old).call()[4]
    desk.chain.send(desk.wallet.functions.setLimits(LIMITS.max_trade_wei, LIMITS.daily_limit_wei, 1), desk.principal.address)
    try:
        desk.chain.advance(2)
        assert refusal(old) == ("AttestationRefTooOld", (old, read_at, 1))
    finally:
        desk.chain.send(desk.wallet.functions.setLimits(LIMITS.max_trade_wei, LIMITS.daily_limit_wei, LIMITS.max_reading_age_s), desk.principal.address)


def test_a_paused_agent_does_not_trade(desk: Desk) -> None:
    _sub_account(desk)
    uid = desk.attest()
    trade, signature = desk.buy(1)
    desk.chain.send(desk.wallet.functions.setPaused(True), desk.principal.address)
    try:
        assert desk.refused(desk.wallet.functions.trade(trade.as_tuple(), signature, uid), desk.agent.address) == ("AgentIsPaused", ())
    finally:
        desk.chain.send(desk.wallet.functions.setPaused(False), desk.principal.address)


def test_a_buy_the_wallet_cannot_pay_is_refused(desk: Desk) -> None:
    _sub_account(desk)
    uid = desk.attest()
    held = desk.chain.balance(desk.wallet.address)
    desk.chain.send(desk.wallet.functions.withdraw(held, False), desk.principal.address)  # the principal takes the HKD back
    escrow = desk.rwa.engine.functions.escrowOf(desk.wallet.address).call()
    trade, signature = desk.buy(escrow // PRICE_WEI + 1)
    try:
        assert desk.refused(desk.wallet.functions.trade(trade.as_tuple(), signature, uid), desk.agent.address) == (
            "InsufficientHKD", (escrow, trade.pay_amount))
    finally:
        tx_hash = desk.chain._sign_and_send({"from": desk.principal.address, "to": desk.wallet.address, "value": held, "gas": 60_000})
        assert desk.chain.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=120)["status"] == 1


def test_the_cli_trades_from_a_file_shows_the_trail_and_names_refusals(desk: Desk, tmp_path: Path) -> None:
    """`lantau rwa agent trade` settles a counterparty-signed trade file citing an attestation;
    `lantau rwa agent show` lists each trade with its attestation; a refusal is one named line."""
    _sub_account(desk)
    uid = desk.attest()
    trade, signature = desk.buy(1)
    ticket = TradeTicket(trade, desk.chain.w3.eth.chain_id, desk.rwa.engine.address, {"seller": signature})
    ticket.save(tmp_path / "trade.json")
    base = ["--l2-rpc", desk.chain.w3.provider.endpoint_uri]  # type: ignore[attr-defined]
    agent_key = ["--key", "0x" + desk.agent.key.hex()]
    runner = CliRunner()
    # Another key than the agent's: refused on one line, nothing moved.
    before = desk.state()
    result = runner.invoke(app, ["rwa", "agent", "trade", desk.wallet.address, str(tmp_path / "trade.json"), "--attestation", "0x" + uid.hex(),
                                 *base, "--key", "0x" + desk.principal.key.hex()])
    assert result.exit_code == 1 and f"NotAgent({desk.principal.address})" in result.output, result.output
    assert len(result.output.strip().splitlines()) == 1
    assert desk.state() == before
    result = runner.invoke(app, ["rwa", "agent", "trade", desk.wallet.address, str(tmp_path / "trade.json"), "--attestation", "0x" + uid.hex(),
                                 *base, *agent_key])
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["rwa", "agent", "show", desk.wallet.address, "--json", *base])
    assert shown.exit_code == 0, shown.output
    view = json.loads(shown.output)
    trade_id = "0x" + bytes(desk.rwa.engine.functions.tradeId(trade.as_tuple()).call()).hex()
    assert view["trades"][-1] == {"trade_id": trade_id, "attestation_uid": "0x" + uid.hex(), "asset": desk.token.address, "side": "buy",
                                  "units": "1", "pay_wei": str(PRICE_WEI), "counterparty": desk.counterparty.address,
                                  "block": view["trades"][-1]["block"]}
    assert (view["principal"], view["agent"]) == (desk.principal.address, desk.agent.address)
    table = runner.invoke(app, ["rwa", "agent", "show", desk.wallet.address, *base])
    assert table.exit_code == 0 and "0x" + uid.hex()[:8] in table.output, table.output


def test_the_agent_places_auction_orders_within_its_limits(desk: Desk, tmp_path: Path) -> None:
    """Alliance market: the agent places a buy of 5 receipts at HK$100 for the wallet (ERC-1271:
    the wallet answers for the orders its agent placed), a KYC'd seller sells 5 at HK$99, the
    auction clears at HK$100 (the reference) and the wallet gets the 5 receipts, paying HK$500 and
    the venue's 0.10% from the HK$505 it deposited. An order beyond the per-trade limit cannot be
    placed (nothing moves); an order the agent key signed but never placed is refused by the
    auction (`InvalidOrderSignature`); a paused agent's orders are no longer signed."""
    chain, rwa, token, wallet = desk.chain, desk.rwa, desk.token, desk.wallet
    _sub_account(desk)
    venue = chain.new_account("agent market venue", fund_wei=10**21)
    venues = chain.at("VenueRegistry", "0x" + VENUE_REGISTRY.hex())
    auction = chain.at("CallAuction", "0x" + CALL_AUCTION.hex())
    chain.send(venues.functions.registerVenue(venue.address, "Agent Venue", "SFC CE AGT001", venue.address, 10), rwa.operator)
    chain.send(rwa.compliance.functions.setVenuesAllowed(token.address, [venue.address], True), desk.issuer)
    chain.send(rwa.price_feed.functions.setReporter(token.address, rwa.operator, True), rwa.operator)
    chain.send(rwa.price_feed.functions.submitPrice(token.address, PRICE_WEI, chain.now()), rwa.operator)
    if not rwa.registry.functions.isVerified(auction.address).call():
        rwa.register([auction.address])  # the auction's custody identity
    chain.send(token.functions.approve(auction.address, 2**256 - 1), desk.counterparty.address)
    w = wallet.functions
    chain.send(w.setLimits(LIMITS.max_trade_wei, 10**6 * HKD, LIMITS.max_reading_age_s), desk.principal.address)  # a fresh day's room
    try:
        cutoff = chain.now() + 30
        receipt = chain.send(auction.functions.openAuction(token.address, cutoff), venue.address)
        auction_id = events(auction, "AuctionOpened", receipt)[0]["auctionId"]
        chain_id, uid = chain.w3.eth.chain_id, desk.attest()

        def order(trader: str, side: Side, units: int, limit_wei: int) -> Order:
            n = next(desk.sequence)
            return Order(trader, token.address, venue.address, auction_id, side, units, limit_wei, n, chain.now() + 3_600, n)

        too_big = order(wallet.address, Side.BUY, 11, PRICE_WEI)  # HK$1,100 > the HK$1,000 per trade
        before = (desk.state(), auction.functions.escrowOf(wallet.address).call())
        revert = chain.expect_revert(w.placeAuctionOrder(too_big.as_tuple(), uid), desk.agent.address)
        assert (revert.name, tuple(revert.args)) == ("TradeLimitExceeded", (1_100 * HKD, LIMITS.max_trade_wei))
        assert (desk.state(), auction.functions.escrowOf(wallet.address).call()) == before
        too_big_id = order_id(too_big, chain_id, auction.address)
        assert not w.placedOrder(too_big_id).call() and w.isValidSignature(too_big_id, b"").call() == b"\xff" * 4

        placed = desk.sdk.place_auction_order(wallet.address, order(wallet.address, Side.BUY, 5, PRICE_WEI), uid)
        assert auction.functions.escrowOf(wallet.address).call() == before[1] + 505 * HKD
        assert w.isValidSignature(placed.order_id, b"").call() == bytes.fromhex("1626ba7e")
        unplaced_order = order(wallet.address, Side.BUY, 5, PRICE_WEI)
        unplaced = sign_order(unplaced_order, desk.agent.key, chain_id, auction.address)  # the agent's key, not placed
        sell = sign_order(order(desk.counterparty.address, Side.SELL, 5, 99 * HKD), desk.counterparty.key, chain_id, auction.address)
        book = [placed, unplaced, sell]
        chain.send(auction.functions.commitBook(auction_id, book_root([s.order_id for s in book])), venue.address)
        chain.advance(max(0, cutoff - chain.now()))
        plan = settlement({venue.address: book}, PRICE_WEI)
        assert plan.result.price == PRICE_WEI and [(s.order_id, a) for s, a, _ in plan.fills] == [(placed.order_id, 5), (sell.order_id, 5)]
        paged = plan.paged(1)
        chain.send(auction.functions.submitClearing(*paged.clearing_args()), venue.address)
        proofs = book_proofs([s.order_id for s in book])
        forged = paged_settlement(auction_id, plan.result, [[(unplaced, 5, proofs[unplaced.order_id])]])
        shares = token.functions.balanceOf(wallet.address).call()
        revert = chain.expect_revert(auction.functions.settlePage(*forged.pages[0].settle_page_args(auction_id)), venue.address)
        assert (revert.name, revert.args[1]) == ("InvalidOrderSignature", wallet.address)
        for page in paged.pages:
            chain.send(auction.functions.settlePage(*page.settle_page_args(auction_id)), venue.address)
        chain.send(auction.functions.claim(auction_id, [wallet.address, desk.counterparty.address, venue.address]), venue.address)
        assert token.functions.balanceOf(wallet.address).call() == shares + 5
        assert auction.functions.escrowOf(wallet.address).call() == before[1] + 505 * HKD - 500 * HKD - HKD // 2
        # The CLI: an order into a book file, then one over the per-trade limit (one named line).
        cli = ["--auction", str(auction_id), "--venue", venue.address, "--side", "buy", "--limit-hkd", "100", "--attestation", "0x" + uid.hex(),
               "--l2-rpc", chain.w3.provider.endpoint_uri, "--key", "0x" + desk.agent.key.hex()]  # type: ignore[attr-defined]
        book_file = tmp_path / "agent-book.json"
        result = CliRunner().invoke(app, ["rwa", "agent", "order", wallet.address, str(book_file), "--amount", "1", *cli])
        assert result.exit_code == 0, result.output
        (cli_order,) = Book.load(book_file).orders
        assert cli_order.order.trader == wallet.address and w.isValidSignature(cli_order.order_id, b"").call() == bytes.fromhex("1626ba7e")
        result = CliRunner().invoke(app, ["rwa", "agent", "order", wallet.address, str(book_file), "--amount", "11", *cli])
        assert result.exit_code == 1 and "TradeLimitExceeded" in result.output and len(result.output.strip().splitlines()) == 1, result.output
        assert len(Book.load(book_file).orders) == 1
        chain.send(w.setPaused(True), desk.principal.address)
        assert w.isValidSignature(placed.order_id, b"").call() == b"\xff" * 4
    finally:
        chain.send(w.setPaused(False), desk.principal.address)
        chain.send(w.setLimits(LIMITS.max_trade_wei, LIMITS.daily_limit_wei, LIMITS.max_reading_age_s), desk.principal.address)
