"""AI-agent wallets from the command line (`AgentWallet`, rwa/agent_client.py):

    lantau rwa agent create AGENT --max-trade 1000 --daily 5000 --max-age 600   # signer: the principal
    lantau rwa agent kyc WALLET --principal ADDR      # signer: a KYC agent; the wallet counts as the principal
    lantau rwa agent trade WALLET TRADE_FILE --attestation UID   # signer: the agent
    lantau rwa agent order WALLET BOOK --side buy --amount 5 --limit-hkd 100 --attestation UID [--auction ID --venue V]
                                                      # signer: the agent; an alliance-market order into a venue's book
    lantau rwa agent show WALLET                      # limits, and every trade with the attestation it cites

HKD amounts in HKD. The trade file is `lantau rwa trade propose`'s, signed by the counterparty; the
wallet is its buyer or seller. A refusal (over a limit, a stale or revoked attestation, not the
agent, not the principal...) prints the wallet's named error on one line and exits 1.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from node.cli_common import parse_address
from rwa import TradeTicket, hkd, parse_decimal_amount
from rwa.agent_client import AgentLimits, AgentWallets
from rwa.auction import Side
from rwa.market_client import AllianceMarket
from rwa.cli import DevnetDir, JsonOpt, KeyOpt, L2RpcOpt, _client, _hkd, _run, _tx_line, out, rwa_app

agent_app = typer.Typer(help="AI-agent wallets: KYC'd sub-accounts whose trades cite the attestation they acted on.", no_args_is_help=True)
rwa_app.add_typer(agent_app, name="agent")

WalletArg = Annotated[str, typer.Argument(help="The agent wallet's address.")]


def _limits(max_trade: str, daily: str, max_age_s: int) -> AgentLimits:
    return AgentLimits(parse_decimal_amount(max_trade, 18), parse_decimal_amount(daily, 18), max_age_s)


@agent_app.command("create")
def agent_create(
    agent: Annotated[str, typer.Argument(help="The agent's key address (0x… or dev0 … dev9).")],
    max_trade: Annotated[str, typer.Option("--max-trade", help="HKD notional of one trade at most.")],
    daily: Annotated[str, typer.Option("--daily", help="HKD notional per UTC day at most (buys and sells).")],
    max_age_s: Annotated[int, typer.Option("--max-age", min=1, help="Seconds a cited reading may be old.")] = 3_600,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Deploy an agent wallet whose principal is the signer."""
    client = _client(devnet, l2_rpc, key, write=True)

    def create() -> None:
        wallet = AgentWallets(client).deploy(parse_address(agent, what="agent"), _limits(max_trade, daily, max_age_s))
        out.print(f"agent wallet {wallet}: principal {client.address}; KYC it as the principal's sub-account with `lantau rwa agent kyc`")

    _run(create)


@agent_app.command("kyc")
def agent_kyc(
    wallet: WalletArg,
    principal: Annotated[str, typer.Option("--principal", help="The investor the wallet belongs to.")],
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Register the wallet under the principal's investor id (the signer: a KYC agent)."""
    client = _client(devnet, l2_rpc, key, write=True)

    def kyc() -> None:
        receipt = AgentWallets(client).register_sub_account(parse_address(wallet, what="wallet"), parse_address(principal, what="principal"))
        out.print(f"KYC'd {wallet} as a sub-account of {principal}; {_tx_line(receipt)}")

    _run(kyc)


@agent_app.command("trade")
def agent_trade(
    wallet: WalletArg,
    trade_file: Annotated[Path, typer.Argument(help="Trade file signed by the counterparty.")],
    attestation: Annotated[str, typer.Option("--attestation", help="Uid of the attestation the agent acted on (0x…, 32 bytes).")],
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Settle a trade from the wallet (the signer: the agent), citing an attestation."""
    client = _client(devnet, l2_rpc, key, write=True)

    def trade() -> None:
        uid = _attestation_uid(attestation)
        receipt = AgentWallets(client).trade_ticket(parse_address(wallet, what="wallet"), TradeTicket.load(trade_file), uid)
        out.print(f"agent trade settled citing attestation {attestation}; {_tx_line(receipt)}")

    _run(trade)


def _attestation_uid(attestation: str) -> bytes:
    uid = bytes.fromhex(attestation.removeprefix("0x"))
    if len(uid) != 32:
        raise ValueError(f"--attestation must be 32 bytes, got {len(uid)}")
    return uid


@agent_app.command("order")
def agent_order(
    wallet: WalletArg,
    book_file: Annotated[Path, typer.Argument(help="The venue's book file (created when missing).")],
    side: Annotated[str, typer.Option("--side", help="buy or sell.")],
    amount: Annotated[str, typer.Option("--amount", help="Whole tokens.")],
    limit_hkd: Annotated[str, typer.Option("--limit-hkd", help="Limit price, HKD per token.")],
    attestation: Annotated[str, typer.Option("--attestation", help="Uid of the attestation the agent acted on (0x…, 32 bytes).")],
    auction_id: Annotated[Optional[int], typer.Option("--auction", help="Auction id (for a new book).")] = None,
    venue: Annotated[Optional[str], typer.Option("--venue", help="Venue operator (for a new book).")] = None,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Place an alliance-market auction order for the wallet (the signer: the agent), within its
    limits and citing an attestation, into the venue's book file; the wallet signs it by ERC-1271."""
    client = _client(devnet, l2_rpc, key, write=True)

    def place() -> None:
        if side not in ("buy", "sell"):
            raise ValueError("--side: buy or sell")
        market = AllianceMarket(client)
        book = market.open_book(book_file, auction_id, None if venue is None else parse_address(venue, what="--venue"))
        info = client.asset(market.auction.functions.auctionOf(book.auction_id).call()[0])
        order = market.new_order(book, parse_address(wallet, what="wallet"), Side.BUY if side == "buy" else Side.SELL,
                                 parse_decimal_amount(amount, info.decimals), parse_decimal_amount(limit_hkd, 18, what="--limit-hkd"))
        signed = AgentWallets(client).place_auction_order(order.trader, order, _attestation_uid(attestation))
        book = book.with_order(signed)
        book.save(book_file)
        out.print(f"agent order 0x{signed.order_id.hex()}: {side} {amount} {info.symbol} at HK${limit_hkd} or better for {order.trader}, "
                  f"citing attestation {attestation}, in {book.venue}'s book ({len(book.orders)} orders)")

    _run(place)


@agent_app.command("show")
def agent_show(wallet: WalletArg, as_json: JsonOpt = False, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None) -> None:
    """The wallet's principal, agent, limits and every trade with the attestation it cites."""
    client = _client(devnet, l2_rpc)

    def show() -> None:
        wallets = AgentWallets(client)
        address = parse_address(wallet, what="wallet")
        view = wallets.view(address)
        trades = wallets.trades(address)
        if as_json:
            typer.echo(json.dumps({
                "wallet": view.address, "principal": view.principal, "agent": view.agent, "paused": view.paused,
                "max_trade_wei": str(view.limits.max_trade_wei), "daily_limit_wei": str(view.limits.daily_limit_wei),
                "max_reading_age_s": view.limits.max_reading_age_s, "traded_today_wei": str(view.traded_today_wei),
                "trades": [{"trade_id": "0x" + t.trade_id.hex(), "attestation_uid": "0x" + t.attestation_uid.hex(), "asset": t.asset,
                            "side": "buy" if t.buy else "sell", "units": str(t.asset_amount), "pay_wei": str(t.pay_wei),
                            "counterparty": t.counterparty, "block": t.block_number} for t in trades],
            }, indent=2))
            return
        out.print(f"agent wallet {view.address}: principal {view.principal}, agent {view.agent}{' (paused)' if view.paused else ''}")
        out.print(f"limits: HK${_hkd(view.limits.max_trade_wei)} a trade, HK${_hkd(view.limits.daily_limit_wei)} a day "
                  f"(HK${hkd(view.traded_today_wei):,.2f} today), readings at most {view.limits.max_reading_age_s} s old; "
                  f"holds HK${_hkd(view.balance_wei)}, escrow HK${_hkd(view.escrow_wei)}")
        table = Table("block", "side", "asset", "units", "HKD", "counterparty", "attestation")
        for t in trades:
            table.add_row(str(t.block_number), "buy" if t.buy else "sell", t.asset, f"{t.asset_amount:,}", _hkd(t.pay_wei),
                          t.counterparty, "0x" + t.attestation_uid.hex())
        out.print(table)

    _run(show)
