"""AI-agent wallets (`contracts/src/L2/rwa/AgentWallet.sol`) over an `RWAClient`: a KYC'd
sub-account of one investor (the principal) from which an agent key trades within the
principal's limits, each trade citing the device attestation it acted on (data -> decision ->
trade). What `lantau rwa agent …` uses.

Roles sign their own steps: the principal deploys the wallet and sets its limits, a KYC agent
registers it under the principal's investor id (`register_sub_account`), the agent trades."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import to_checksum_address
from web3.contract import Contract

from genesis.artifacts import load_artifact
from rwa.client import LOGS_BLOCK_RANGE, RWAClient
from rwa.contracts import contract_at
from rwa.market import Order, SignedOrder, order_id
from rwa.trade import Trade, TradeTicket

DAY_S = 86_400  # AgentWallet counts its daily limit per UTC day (block.timestamp / 1 days)


@dataclass(frozen=True, slots=True)
class AgentLimits:
    max_trade_wei: int  # HKD notional of one trade
    daily_limit_wei: int  # HKD notional per UTC day, buys and sells alike
    max_reading_age_s: int  # how old a cited reading may be when the agent acts on it


@dataclass(frozen=True, slots=True)
class AgentWalletView:
    address: str
    principal: str
    agent: str
    limits: AgentLimits
    paused: bool
    trade_count: int
    traded_today_wei: int
    escrow_wei: int  # the wallet's HKD escrow in the SettlementEngine (sale proceeds)
    balance_wei: int  # native HKD the wallet holds (pays buys)


@dataclass(frozen=True, slots=True)
class AgentTradeRecord:
    """One `AgentTraded` event: the trade and the attestation it cites."""

    trade_id: bytes
    attestation_uid: bytes
    asset: str
    buy: bool
    asset_amount: int
    pay_wei: int
    counterparty: str
    block_number: int
    tx_hash: bytes


class AgentWallets:
    def __init__(self, client: RWAClient) -> None:
        self.client = client

    def at(self, wallet: str) -> Contract:
        return contract_at(self.client.w3, "AgentWallet", wallet)

    def deploy(self, agent: str, limits: AgentLimits) -> str:
        """Deploys a wallet whose principal is the signer; returns its address (not KYC'd yet)."""
        artifact = load_artifact("AgentWallet")
        factory = self.client.w3.eth.contract(abi=list(artifact.abi), bytecode=artifact.bytecode)
        constructor = factory.constructor(to_checksum_address(agent), limits.max_trade_wei, limits.daily_limit_wei, limits.max_reading_age_s)
        receipt = self.client.deploy(constructor)
        return to_checksum_address(receipt["contractAddress"])

    def register_sub_account(self, wallet: str, principal: str) -> dict[str, Any]:
        """Registers `wallet` (signer: a KYC agent) with the principal's country, category, KYC
        expiry and investor id, so it counts as the principal for every per-investor limit."""
        registry = self.client.contracts.registry
        identity = self.client.identity(principal)
        investor_id = registry.functions.investorIdOf(to_checksum_address(principal)).call()
        return self.client.transact(registry.functions.registerIdentityWithInvestorId(
            to_checksum_address(wallet), identity.country, int(identity.category), identity.kyc_expiry, investor_id))

    def set_limits(self, wallet: str, limits: AgentLimits) -> dict[str, Any]:
        return self.client.transact(self.at(wallet).functions.setLimits(limits.max_trade_wei, limits.daily_limit_wei, limits.max_reading_age_s))

    def set_paused(self, wallet: str, paused: bool) -> dict[str, Any]:
        return self.client.transact(self.at(wallet).functions.setPaused(paused))

    def trade(self, wallet: str, trade: Trade, counterparty_signature: bytes, attestation_uid: bytes) -> dict[str, Any]:
        """The agent (signer) settles `trade`, in which the wallet buys or sells, citing
        `attestation_uid`; refusals raise the wallet's or the engine's named error."""
        return self.client.transact(self.at(wallet).functions.trade(trade.as_tuple(), counterparty_signature, attestation_uid))

    def place_auction_order(self, wallet: str, order: Order, attestation_uid: bytes) -> SignedOrder:
        """The agent (signer) places `order` (the wallet its trader) in its alliance-market auction,
        citing `attestation_uid`, within the wallet's limits; the signed order for the venue's book,
        whose signature is the wallet's ERC-1271 answer (no signature bytes)."""
        self.client.transact(self.at(wallet).functions.placeAuctionOrder(order.as_tuple(), attestation_uid))
        auction = self.at(wallet).functions.AUCTION().call()
        return SignedOrder(order, order_id(order, self.client.chain_id, auction), b"")

    def trade_ticket(self, wallet: str, ticket: TradeTicket, attestation_uid: bytes) -> dict[str, Any]:
        """`trade` from a trade file signed by the counterparty (`lantau rwa trade sign`)."""
        wallet = to_checksum_address(wallet)
        t = ticket.trade
        role = "seller" if to_checksum_address(t.buyer) == wallet else "buyer"
        return self.trade(wallet, t, dict(ticket.signatures).get(role, b""), attestation_uid)

    def view(self, wallet: str) -> AgentWalletView:
        w = self.at(wallet).functions
        today = self.client.chain_time() // DAY_S
        limits = AgentLimits(int(w.maxTradeWei().call()), int(w.dailyLimitWei().call()), int(w.maxReadingAgeS().call()))
        escrow = int(self.client.contracts.engine.functions.escrowOf(to_checksum_address(wallet)).call())
        return AgentWalletView(to_checksum_address(wallet), w.principal().call(), w.agent().call(), limits, bool(w.paused().call()),
                               int(w.tradeCount().call()), int(w.tradedOnDay(today).call()), escrow,
                               int(self.client.w3.eth.get_balance(to_checksum_address(wallet))))

    def trades(self, wallet: str) -> list[AgentTradeRecord]:
        """Every trade of the wallet, oldest first, with the attestation each cites."""
        event = self.at(wallet).events.AgentTraded()
        head = int(self.client.w3.eth.block_number)
        logs = [log for start in range(0, head + 1, LOGS_BLOCK_RANGE)
                for log in event.get_logs(from_block=start, to_block=min(head, start + LOGS_BLOCK_RANGE - 1))]
        return [
            AgentTradeRecord(bytes(log["args"]["tradeId"]), bytes(log["args"]["attestationUid"]), log["args"]["asset"],
                             bool(log["args"]["buy"]), int(log["args"]["assetAmount"]), int(log["args"]["payWei"]),
                             log["args"]["counterparty"], int(log["blockNumber"]), bytes(log["transactionHash"]))
            for log in logs
        ]

