"""`lantau rwa …`: the RWA settlement layer from the command line (over the SDK, `rwa`).

Every command reaches the L2 with `--devnet DIR` (a running `lantau devnet`: reads
DIR/devnet.json) or `--l2-rpc URL`. Writes sign with `--key` (or LANTAU_KEY); on a devnet (the
devnet's chain id) the default is dev account 0, the platform that owns the RWA predeploys.
Token amounts are in whole tokens ("1,000.5"), HKD amounts in HKD ("1001.20"). A refused
transfer prints the contract's own reason and exits 1.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, Callable, Optional, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from web3 import Web3

from genesis.config import DEVNET_L2_CHAIN_ID
from genesis.dev_accounts import dev_accounts
from node.banner import read_devnet_info
from node.cli_common import error_line, parse_address
from node.errors import LantauError
from rwa import (
    HONG_KONG,
    NATIVE_HKD,
    AssetClass,
    AssetInfo,
    AssetSpec,
    BondTerms,
    ComplianceRules,
    DistributionKind,
    DistributionResult,
    InvestorCategory,
    Portfolio,
    RWAClient,
    TradeTicket,
    TransferNotCompliant,
    coupon_schedule,
    hkd,
    parse_decimal_amount,
    sample_issuance,
)

rwa_app = typer.Typer(help="Real-world assets on Lantau: KYC, issuance, transfers, DvP trades, coupons, holdings.", no_args_is_help=True)
kyc_app = typer.Typer(help="Investor identities (KYC) in the IdentityRegistry.", no_args_is_help=True)
trade_app = typer.Typer(help="Delivery-versus-payment trades: propose (writes a trade file), sign, settle.", no_args_is_help=True)
coupon_app = typer.Typer(help="Coupons, dividends and revenue shares from a record-date snapshot.", no_args_is_help=True)
rwa_app.add_typer(kyc_app, name="kyc")
rwa_app.add_typer(trade_app, name="trade")
rwa_app.add_typer(coupon_app, name="coupon")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line

DevnetDir = Annotated[Optional[Path], typer.Option("--devnet", envvar="LANTAU_DEVNET", help="Directory of a running `lantau devnet` (reads devnet.json).")]
L2RpcOpt = Annotated[Optional[str], typer.Option("--l2-rpc", envvar="LANTAU_L2_RPC", help="L2 JSON-RPC URL (instead of --devnet).")]
KeyOpt = Annotated[Optional[str], typer.Option("--key", envvar="LANTAU_KEY", help="Private key that signs (default on a devnet: dev account 0).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

CATEGORY_NAMES = ("retail", "professional", "institutional")
COUNTRY_NAMES = {344: "Hong Kong", 156: "China", 702: "Singapore", 840: "United States", 826: "United Kingdom", 446: "Macao"}

T = TypeVar("T")


# --- plumbing -------------------------------------------------------------------------------


def _rpc_url(devnet: Optional[Path], l2_rpc: Optional[str]) -> str:
    if l2_rpc:
        return l2_rpc
    if devnet is not None:
        return str(read_devnet_info(devnet)["l2_rpc"])
    raise typer.BadParameter("give --devnet DIR or --l2-rpc URL")


def _client(devnet: Optional[Path], l2_rpc: Optional[str], key: Optional[str] = None, *, write: bool = False) -> RWAClient:
    url = _rpc_url(devnet, l2_rpc)
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 60}))
    if not write:
        return RWAClient(w3)
    if key is None:
        if devnet is None and _chain_id(w3, url) != DEVNET_L2_CHAIN_ID:
            raise typer.BadParameter("this is not a devnet: give --key (or LANTAU_KEY)", param_hint="--key")
        key = dev_accounts()[0].private_key
    try:
        account = w3.eth.account.from_key(key)
    except (ValueError, TypeError) as exc:
        raise typer.BadParameter(f"not a private key: {exc}", param_hint="--key") from None
    return RWAClient(w3, account)


def _chain_id(w3: Web3, url: str) -> int:
    try:
        return int(w3.eth.chain_id)
    except Exception as exc:  # connection refused, timeout, not JSON-RPC…
        err.print(f"[red]error:[/] {error_line(exc)}")
        raise typer.Exit(1) from None


def _run(action: Callable[[], T]) -> T:
    """Runs a command's work; a refused transfer, a reverted call or a bad value prints its
    reason and exits 1."""
    try:
        return action()
    except TransferNotCompliant as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except LantauError as exc:
        err.print(f"[red]error:[/] {error_line(exc)}")
        raise typer.Exit(1) from None
    except ValueError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except OSError as exc:  # requests' connection errors and timeouts are OSErrors
        err.print(f"[red]error:[/] {error_line(exc)}")
        raise typer.Exit(1) from None


def _tx_line(receipt: dict[str, Any]) -> str:
    return f"tx 0x{bytes(receipt['transactionHash']).hex()} in block {receipt['blockNumber']} (gas {receipt['gasUsed']:,})"


def _tokens(asset: AssetInfo, units: int) -> str:
    """Whole tokens for people: thousands separators, at most 4 decimals (JSON output is exact)."""
    if not asset.decimals:
        return f"{units:,}"
    text = f"{asset.to_tokens(units):,.{min(asset.decimals, 4)}f}"
    return text.rstrip("0").rstrip(".")


def _hkd(amount_wei: int | None) -> str:
    return "—" if amount_wei is None else f"{hkd(amount_wei):,.2f}"


def _price(price_wei: int) -> str:
    """A price per token: cents, or 4 decimals when it has them (bond prices: 1.0012)."""
    text = f"{hkd(price_wei):,.4f}"
    return text[:-2] if text.endswith("00") else text


def _date(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


# --- kyc ------------------------------------------------------------------------------------


@kyc_app.command("add")
def kyc_add(
    address: Annotated[str, typer.Argument(help="Investor wallet (0x… or dev0 … dev9).")],
    category: Annotated[str, typer.Option("--category", help="retail, professional or institutional (SFO).")] = "professional",
    country: Annotated[int, typer.Option("--country", help="ISO 3166-1 numeric jurisdiction (344 = Hong Kong).")] = HONG_KONG,
    valid_days: Annotated[int, typer.Option("--valid-days", help="Days until the KYC expires.")] = 365,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Register an investor (the signer must be a KYC agent of the IdentityRegistry)."""
    client = _client(devnet, l2_rpc, key, write=True)

    def add() -> None:
        investor = parse_address(address, what="investor")
        receipt = client.register_investors([(investor, InvestorCategory.from_name(category))], country=country, valid_days=valid_days)
        out.print(f"KYC'd {investor}: {category}, {COUNTRY_NAMES.get(country, country)}, valid {valid_days} days; {_tx_line(receipt)}")

    _run(add)


@kyc_app.command("show")
def kyc_show(
    address: Annotated[str, typer.Argument(help="Investor wallet (0x… or dev0 … dev9).")],
    as_json: JsonOpt = False,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
) -> None:
    """An investor's identity record and whether it is verified now."""
    client = _client(devnet, l2_rpc)
    identity = _run(lambda: client.identity(parse_address(address)))
    if as_json:
        typer.echo(json.dumps({
            "address": identity.address, "registered": identity.registered, "verified": identity.verified,
            "country": identity.country, "category": identity.category.name.lower(),
            "kyc_expiry": identity.kyc_expiry, "agent": identity.agent,
        }))
        return
    if not identity.registered:
        out.print(f"{identity.address}: [yellow]not registered[/] (not KYC verified)")
        return
    status = "[green]verified[/]" if identity.verified else "[red]expired[/]"
    out.print(f"{identity.address}: {status}")
    out.print(f"  category      {identity.category.name.lower()}")
    out.print(f"  jurisdiction  {identity.country} ({COUNTRY_NAMES.get(identity.country, 'ISO 3166-1')})")
    out.print(f"  KYC expires   {_date(identity.kyc_expiry)}")
    out.print(f"  agent         {identity.agent}")


# --- issue ----------------------------------------------------------------------------------


def _allocations(values: list[str], decimals: int) -> dict[str, int]:
    allocations: dict[str, int] = {}
    for item in values:
        address, sep, amount = item.partition("=")
        if not sep:
            raise ValueError(f"--to wants ADDRESS=AMOUNT, got {item!r}")
        allocations[parse_address(address, what="--to")] = parse_decimal_amount(amount, decimals, what=f"amount for {address}")
    return allocations


@rwa_app.command("issue")
def issue_command(
    asset_class: Annotated[str, typer.Option("--class", help="green-bond, agricultural, warehouse-receipt, ai-compute, precious-metal or hk-stock.")],
    name: Annotated[str, typer.Option("--name", help="Token name.")],
    symbol: Annotated[str, typer.Option("--symbol", help="Token symbol.")],
    identifier: Annotated[str, typer.Option("--identifier", help="ISIN or HKEX code (at most 32 bytes); fixes the token's address.")],
    issuer_name: Annotated[str, typer.Option("--issuer-name", help="Legal name of the issuer.")] = "",
    decimals: Annotated[Optional[int], typer.Option("--decimals", help="Default: 18, or 0 for hk-stock.")] = None,
    face_hkd: Annotated[Optional[str], typer.Option("--face-hkd", help="Face value per whole token in HKD (debt instruments).")] = None,
    coupon_rate: Annotated[str, typer.Option("--coupon-rate", help="Annual coupon in percent, e.g. 4.05.")] = "0",
    coupons_per_year: Annotated[int, typer.Option("--coupons-per-year")] = 1,
    tenor_days: Annotated[int, typer.Option("--tenor-days", help="Days to maturity.")] = 365,
    to: Annotated[Optional[list[str]], typer.Option("--to", help="ADDRESS=AMOUNT (whole tokens) to issue to a KYC'd investor; repeat.")] = None,
    price_hkd: Annotated[Optional[str], typer.Option("--price-hkd", help="Price per whole token for the PriceFeed.")] = None,
    professional_only: Annotated[bool, typer.Option("--professional-only", help="Only SFO professional investors may receive.")] = False,
    countries: Annotated[Optional[str], typer.Option("--countries", help="Allowed jurisdictions, e.g. 344,702.")] = None,
    lockup_days: Annotated[int, typer.Option("--lockup-days", help="No investor-to-investor transfer for this many days.")] = 0,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Issue an asset: create it, set its rules, mint to investors, price it.

    The signer must be an approved deployer of the AssetFactory; it becomes the token's issuer
    (owner) and a transfer agent.
    """
    client = _client(devnet, l2_rpc, key, write=True)

    def issue() -> None:
        klass = AssetClass.from_slug(asset_class)
        units_decimals = decimals if decimals is not None else (0 if klass is AssetClass.HONG_KONG_STOCK else 18)
        now = client.chain_time()
        bond = BondTerms(0, 0, 0, 0, ())
        if face_hkd is not None or klass is AssetClass.GREEN_BOND:
            if face_hkd is None:
                raise ValueError("a green bond needs --face-hkd")
            rate_ppm = parse_decimal_amount(coupon_rate, 4, what="--coupon-rate")  # percent with 4 decimals = ppm
            dates = coupon_schedule(now, tenor_days * 86_400, coupons_per_year)
            bond = BondTerms(parse_decimal_amount(face_hkd, 18, what="--face-hkd"), rate_ppm,
                             coupons_per_year if rate_ppm else 0, dates[-1], dates if rate_ppm else ())
        me = client.address
        spec = AssetSpec(name=name, symbol=symbol, decimals=units_decimals, asset_class=klass, identifier=identifier,
                         issuer_name=issuer_name or name, issuer=me, agents=(me,), bond=bond)
        asset = client.create_asset(spec)
        out.print(f"issued {asset.symbol} ({klass.slug}) at {asset.address}")
        allowed = [int(c) for c in countries.split(",")] if countries else []
        rules = ComplianceRules(lockup_until=now + lockup_days * 86_400 if lockup_days else 0,
                                country_restricted=bool(allowed), professional_only=professional_only)
        if rules != ComplianceRules():
            client.set_rules(asset.address, rules, allowed)
            out.print(f"  rules: {'professional investors only; ' if professional_only else ''}"
                      f"{'jurisdictions ' + ', '.join(map(str, allowed)) + '; ' if allowed else ''}"
                      f"{f'lock-up {lockup_days} days' if lockup_days else ''}".rstrip("; "))
        allocations = _allocations(to or [], units_decimals)
        if allocations:
            receipt = client.mint(asset.address, allocations)
            for holder, units in allocations.items():
                out.print(f"  minted {_tokens(asset, units)} {asset.symbol} to {holder}")
            out.print(f"  {_tx_line(receipt)}")
        if price_hkd is not None:
            client.set_price(asset.address, parse_decimal_amount(price_hkd, 18, what="--price-hkd"))
            out.print(f"  price HK${_price(parse_decimal_amount(price_hkd, 18))} per token")

    _run(issue)


@rwa_app.command("assets")
def assets_command(as_json: JsonOpt = False, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None) -> None:
    """Every asset the AssetFactory has issued."""
    client = _client(devnet, l2_rpc)
    assets = _run(client.assets)
    if as_json:
        typer.echo(json.dumps([{
            "address": a.address, "symbol": a.symbol, "name": a.name, "class": a.asset_class.slug,
            "identifier": a.identifier, "decimals": a.decimals, "supply_units": str(a.total_supply_units),
            "holders": a.holder_count, "issuer": a.owner,
        } for a in assets], indent=2))
        return
    table = Table(title="RWA assets")
    for column in ("symbol", "name", "class", "identifier", "supply", "holders", "address"):
        table.add_column(column, justify="right" if column in ("supply", "holders") else "left")
    for a in assets:
        table.add_row(a.symbol, a.name, a.asset_class.slug, a.identifier, _tokens(a, a.total_supply_units), str(a.holder_count), a.address)
    out.print(table)


# --- transfer -------------------------------------------------------------------------------


AssetArg = Annotated[str, typer.Argument(help="Asset address, identifier or symbol.")]
ReceiverArg = Annotated[str, typer.Argument(help="Receiver (0x… or dev0 … dev9).")]
AmountArg = Annotated[str, typer.Argument(help="Whole tokens, e.g. 1000 or 0.5.")]


def _move_tokens(client: RWAClient, asset: str, to: str, amount: str, mint: bool) -> None:
    """Transfers (the signer's tokens) or mints (the signer an agent) `amount` of `asset` to `to`."""
    receiver = parse_address(to, what="receiver")
    info = client.asset(asset)
    units = parse_decimal_amount(amount, info.decimals)
    if mint:
        receipt = client.mint(info.address, {receiver: units})
        out.print(f"minted {_tokens(info, units)} {info.symbol} to {receiver}; {_tx_line(receipt)}")
    else:
        receipt = client.transfer(info.address, receiver, units)
        out.print(f"transferred {_tokens(info, units)} {info.symbol} from {client.address} to {receiver}; {_tx_line(receipt)}")


@rwa_app.command("transfer")
def transfer_command(
    asset: AssetArg, to: ReceiverArg, amount: AmountArg, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None
) -> None:
    """Transfer an asset; a transfer compliance forbids exits 1 with the contract's reason."""
    client = _client(devnet, l2_rpc, key, write=True)
    _run(lambda: _move_tokens(client, asset, to, amount, mint=False))


@rwa_app.command("mint")
def mint_command(
    asset: AssetArg, to: ReceiverArg, amount: AmountArg, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None
) -> None:
    """Mint (an agent of the asset); refused past an attested reserve (`lantau rwa reserve`) or by compliance."""
    client = _client(devnet, l2_rpc, key, write=True)
    _run(lambda: _move_tokens(client, asset, to, amount, mint=True))


@rwa_app.command("permit")
def permit_command(
    asset: AssetArg,
    spender: Annotated[str, typer.Argument(help="Who may take the tokens (0x… or dev0 … dev9).")],
    amount: AmountArg,
    valid_for_s: Annotated[int, typer.Option("--valid-for", help="Seconds the signature stays valid.")] = 3_600,
    submit: Annotated[bool, typer.Option("--submit/--sign-only", help="Send the permit (any key may; default: the signer's).")] = True,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Sign an ERC-2612 permit (an allowance by signature, no transaction from the owner) and submit it.

    With --sign-only prints the signed permit as JSON for someone else to submit.
    """
    client = _client(devnet, l2_rpc, key, write=True)

    def permit() -> None:
        info = client.asset(asset)
        receiver = parse_address(spender, what="spender")
        units = parse_decimal_amount(amount, info.decimals)
        if valid_for_s <= 0:
            raise ValueError(f"--valid-for must be positive, got {valid_for_s}")
        signed, signature = client.sign_permit(info.address, receiver, units, client.chain_time() + valid_for_s)
        if not submit:
            typer.echo(json.dumps({"asset": info.address, **signed.as_message(), "v": signature.v,
                                   "r": "0x" + signature.r.hex(), "s": "0x" + signature.s.hex()}))
            return
        receipt = client.submit_permit(info.address, signed, signature)
        out.print(f"permit: {receiver} may take {_tokens(info, units)} {info.symbol} of {signed.owner} "
                  f"(nonce {signed.nonce}, until {_date(signed.deadline)}); {_tx_line(receipt)}")

    _run(permit)


@rwa_app.command("consolidate")
def consolidate_command(
    asset: AssetArg,
    ratio: Annotated[int, typer.Argument(help="Units that become one (10: ten into one).")],
    in_s: Annotated[int, typer.Option("--in", help="Seconds from now until it takes effect.")] = 60,
    fund_hkd: Annotated[str, typer.Option("--fund-hkd", help="HKD to fund the cash-out of fractions.")] = "0",
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Schedule a reverse split; fractions are cashed out at the PriceFeed reference (`cash-out-fractions`)."""
    client = _client(devnet, l2_rpc, key, write=True)

    def consolidate() -> None:
        info = client.asset(asset)
        effective = client.chain_time() + in_s
        fund_wei = parse_decimal_amount(fund_hkd, 18, what="--fund-hkd")
        receipt = client.announce_consolidation(info.address, ratio, effective, fund_wei=fund_wei)
        out.print(f"{info.symbol}: {ratio} units into one from {_date(effective)}, fractions funded with "
                  f"HK${_hkd(fund_wei)}; {_tx_line(receipt)}")

    _run(consolidate)


@rwa_app.command("cash-out-fractions")
def cash_out_fractions_command(asset: AssetArg, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None) -> None:
    """After a consolidation: burn every holder's fraction and pay it at the fixed reference price."""
    client = _client(devnet, l2_rpc, key, write=True)

    def cash_out() -> None:
        info = client.asset(asset)
        paid = client.cash_out_fractions(info.address)
        for holder, fine_units, amount_wei in paid:
            out.print(f"{holder}: fraction of {fine_units} fine units paid HK${_hkd(amount_wei)}")
        out.print(f"cashed out {len(paid)} fractions of {info.symbol}, HK${_hkd(sum(a for _, _, a in paid))} in all")

    _run(cash_out)


# --- trades ---------------------------------------------------------------------------------


@trade_app.command("propose")
def trade_propose(
    seller: Annotated[str, typer.Option("--seller", help="Delivers the asset (0x… or dev0 … dev9).")],
    buyer: Annotated[str, typer.Option("--buyer", help="Pays HKD (0x… or dev0 … dev9).")],
    asset: Annotated[str, typer.Option("--asset", help="Asset address, identifier or symbol.")],
    amount: Annotated[str, typer.Option("--amount", help="Whole tokens delivered.")],
    pay_hkd: Annotated[str, typer.Option("--pay-hkd", help="HKD paid for the whole amount.")],
    pay_token: Annotated[Optional[str], typer.Option("--pay-token", help="Pay in this ERC-20 (the HKD stablecoin token on L2) instead of native HKD; --pay-hkd in its decimals.")] = None,
    out_file: Annotated[Path, typer.Option("--out", help="Trade file to write.")] = Path("trade.json"),
    expiry_s: Annotated[int, typer.Option("--expiry-s", help="Seconds (chain time) the trade stays valid.")] = 86_400,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
) -> None:
    """Write an unsigned DvP trade file for the two parties to sign."""
    client = _client(devnet, l2_rpc)

    def propose() -> None:
        info = client.asset(asset)
        units = parse_decimal_amount(amount, info.decimals)
        cash_token = parse_address(pay_token, what="--pay-token") if pay_token is not None else NATIVE_HKD
        cash_decimals = 18 if pay_token is None else int(client.token(cash_token).functions.decimals().call())
        pay_units = parse_decimal_amount(pay_hkd, cash_decimals, what="--pay-hkd")
        shown_pay = f"HK${Decimal(pay_units).scaleb(-cash_decimals):,.2f}" + ("" if pay_token is None else f" in token {cash_token}")
        ticket = client.propose_trade(
            seller=parse_address(seller, what="--seller"), buyer=parse_address(buyer, what="--buyer"), token=info.address, units=units,
            pay_wei=pay_units, pay_token=cash_token, expiry_s=expiry_s,
            note={"asset": info.symbol, "amount": _tokens(info, units), "pay": shown_pay},
        )
        ticket.save(out_file)
        out.print(f"trade 0x{ticket.trade_id.hex()}: {ticket.trade.seller} delivers {_tokens(info, units)} {info.symbol} "
                  f"to {ticket.trade.buyer} for {shown_pay}, until {_date(ticket.trade.expiry)}")
        out.print(f"written to {out_file}; next: `lantau rwa trade sign {out_file} --key <seller key>` and the buyer's")

    _run(propose)


@trade_app.command("sign")
def trade_sign(
    trade_file: Annotated[Path, typer.Argument(help="Trade file (from `trade propose`).")],
    prepare: Annotated[bool, typer.Option("--prepare/--no-prepare", help="Also ready the signer's leg: seller approves the engine, buyer tops up its HKD escrow.")] = True,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Add the signer's EIP-712 signature (as seller or buyer) to a trade file."""
    client = _client(devnet, l2_rpc, key, write=True)

    def sign() -> None:
        ticket = TradeTicket.load(trade_file)
        role = ticket.role_of(client.address)
        signed, done = client.sign_trade(ticket, prepare=prepare)
        signed.save(trade_file)
        for line in done:
            out.print(f"  {line}")
        missing = [r for r in ("seller", "buyer") if r not in signed.signatures]
        out.print(f"signed as {role} ({client.address}); " + (f"waiting for the {missing[0]}" if missing else "ready to settle"))

    _run(sign)


@trade_app.command("affirm")
def trade_affirm(
    trade_file: Annotated[Path, typer.Argument(help="Trade file signed by both parties (a party affirming may leave its own signature out).")],
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Lock both legs until settlement, in one transaction: the seller's units on hold, the buyer's
    HKD (native from its escrow, or the HKD token from its wallet) locked for the trade."""
    client = _client(devnet, l2_rpc, key, write=True)

    def affirm() -> None:
        ticket = TradeTicket.load(trade_file)
        affirmed = client.affirm_trade(ticket)
        out.print(f"affirmed trade 0x{ticket.trade_id.hex()}: {ticket.trade.asset_amount} units held, "
                  f"{ticket.note.get('pay', ticket.trade.pay_amount)} locked until {_date(ticket.trade.expiry)}; {_tx_line(affirmed)}")

    _run(affirm)


@trade_app.command("settle")
def trade_settle(
    trade_file: Annotated[Path, typer.Argument(help="Trade file signed by both parties.")],
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Submit a signed trade: both legs move atomically, or neither."""
    client = _client(devnet, l2_rpc, key, write=True)

    def settle() -> None:
        ticket = TradeTicket.load(trade_file)
        receipt = client.settle_trade(ticket)
        note = ticket.note
        out.print(f"settled trade 0x{ticket.trade_id.hex()}: {note.get('amount', ticket.trade.asset_amount)} "
                  f"{note.get('asset', '')} against {note.get('pay', ticket.trade.pay_amount)}; {_tx_line(receipt)}")

    _run(settle)


# --- coupons ----------------------------------------------------------------------------------


@coupon_app.command("pay")
def coupon_pay(
    asset: Annotated[str, typer.Argument(help="Asset address, identifier or symbol.")],
    amount_hkd: Annotated[Optional[str], typer.Option("--amount-hkd", help="Total to distribute (default for a bond: the coupon due).")] = None,
    kind: Annotated[str, typer.Option("--kind", help="coupon, dividend or revenue-share.")] = "coupon",
    max_wait_s: Annotated[float, typer.Option("--max-wait-s", help="Wait for a pay time at most this far ahead, then push; else only announce.")] = 120.0,
    as_json: JsonOpt = False,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Pay a coupon (or dividend) to every holder at a record date, pro rata.

    A bond's coupon is paid on its next coupon date (the bond terms' couponDates), with the record
    time the second before; a dividend a few seconds after announcing. When that pay time is
    within --max-wait-s, waits for it, pushes the payments and closes the distribution (rounding
    dust back to the issuer); otherwise only announces it: `lantau rwa coupon push ID` from then.
    """
    client = _client(devnet, l2_rpc, key, write=True)

    def pay() -> None:
        info = client.asset(asset)
        member = kind.upper().replace("-", "_")
        if member not in DistributionKind.__members__:
            raise ValueError(f"--kind must be coupon, dividend or revenue-share, got {kind!r}")
        distribution_kind = DistributionKind[member]
        amount_wei = parse_decimal_amount(amount_hkd, 18, what="--amount-hkd") if amount_hkd is not None else None
        result = client.pay_distribution(info.address, kind=distribution_kind, amount_wei=amount_wei, max_wait_s=max_wait_s,
                                         progress=lambda message: err.print(f"{info.symbol} {kind} {message}…"))
        _print_distribution(info, result, as_json)

    _run(pay)


@coupon_app.command("push")
def coupon_push(
    distribution_id: Annotated[int, typer.Argument(help="Distribution id (from `coupon pay`).")],
    as_json: JsonOpt = False,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """From its pay time: pay an announced coupon (or dividend) to every holder at its record time
    and close it once all is paid."""
    client = _client(devnet, l2_rpc, key, write=True)

    def push() -> None:
        result = client.push_distribution(distribution_id)
        _print_distribution(client.asset(result.token), result, as_json)

    _run(push)


def _print_distribution(info: AssetInfo, result: DistributionResult, as_json: bool) -> None:
    kind = result.kind.name.lower().replace("_", "-")
    if as_json:
        typer.echo(json.dumps({
            "distribution_id": result.distribution_id, "asset": info.address, "symbol": info.symbol, "kind": kind,
            "amount_wei": str(result.amount_wei), "record_time": result.record_time, "pay_time": result.pay_time,
            "payments": [{"holder": h, "units": str(u), "amount_wei": str(a)} for h, u, a in result.payments],
            "remainder_wei": str(result.remainder_wei), "closed": result.closed,
        }, indent=2))
        return
    if not result.payments and not result.closed:
        out.print(f"announced {kind} #{result.distribution_id} of {info.symbol}: HK${_hkd(result.amount_wei)}, record "
                  f"{_date(result.record_time)}, payable from {_date(result.pay_time)}; then: lantau rwa coupon push {result.distribution_id}")
        return
    table = Table(title=f"{kind} #{result.distribution_id} of {info.symbol}: HK${_hkd(result.amount_wei)}, record {_date(result.record_time)}")
    table.add_column("holder")
    table.add_column(f"{info.symbol} at record", justify="right")
    table.add_column("paid (HKD)", justify="right")
    for holder, units, amount in result.payments:
        table.add_row(holder, _tokens(info, units), _hkd(amount))
    out.print(table)
    out.print(f"paid HK${_hkd(sum(a for _, _, a in result.payments))} to {len(result.payments)} holders; "
              + (f"closed, HK${_hkd(result.remainder_wei)} rounding remainder back to the issuer" if result.closed else "still open"))


# --- holdings ---------------------------------------------------------------------------------


def portfolio_json(p: Portfolio) -> dict[str, Any]:
    return {
        "address": p.owner,
        "block": p.as_of_block,
        "time": p.as_of_time,
        "native_hkd_wei": str(p.native_wei),
        "escrow_hkd_wei": str(p.escrow_wei),
        "holdings": [
            {
                "asset": h.asset.address,
                "symbol": h.asset.symbol,
                "name": h.asset.name,
                "class": h.asset.asset_class.slug,
                "identifier": h.asset.identifier,
                "decimals": h.asset.decimals,
                "balance_units": str(h.balance_units),
                "balance": str(h.balance),
                "frozen_units": str(h.frozen_units),
                "price_hkd_wei": str(h.price.price_wei) if h.price else None,
                "price_updated_at": h.price.updated_at if h.price else None,
                "price_stale": h.price.stale if h.price else None,
                "value_hkd_wei": str(h.value_wei) if h.value_wei is not None else None,
            }
            for h in p.holdings
        ],
        "assets_value_hkd_wei": str(p.assets_value_wei),
        "total_value_hkd_wei": str(p.total_value_wei),
    }


@rwa_app.command("holdings")
def holdings_command(
    address: Annotated[str, typer.Argument(help="Whose holdings (0x… or dev0 … dev9).")],
    as_json: JsonOpt = False,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
) -> None:
    """What an address holds, valued in HKD at the PriceFeed's latest prices."""
    client = _client(devnet, l2_rpc)
    portfolio = _run(lambda: client.portfolio(parse_address(address)))
    if as_json:
        typer.echo(json.dumps(portfolio_json(portfolio), indent=2))
        return
    table = Table(title=f"Holdings of {portfolio.owner} at block {portfolio.as_of_block}", title_justify="left")
    table.add_column("asset")
    table.add_column("name")
    table.add_column("class")
    table.add_column("balance", justify="right")
    table.add_column("price (HKD)", justify="right")
    table.add_column("value (HKD)", justify="right")
    for h in portfolio.holdings:
        balance = _tokens(h.asset, h.balance_units) + (f" ({_tokens(h.asset, h.frozen_units)} frozen)" if h.frozen_units else "")
        price = "no price" if h.price is None else _price(h.price.price_wei) + (" [yellow](stale)[/]" if h.price.stale else "")
        table.add_row(h.asset.symbol, h.asset.name, h.asset.asset_class.slug, balance, price, _hkd(h.value_wei))
    table.add_section()
    table.add_row("HKD", "native HKD", "cash", "", "", _hkd(portfolio.native_wei))
    if portfolio.escrow_wei:
        table.add_row("HKD", "settlement escrow", "cash", "", "", _hkd(portfolio.escrow_wei))
    table.add_section()
    table.add_row("[bold]total[/]", "", "", "", "", f"[bold]{_hkd(portfolio.total_value_wei)}[/]")
    out.print(table)


# --- sample -----------------------------------------------------------------------------------


@rwa_app.command("sample")
def sample_command(
    as_json: JsonOpt = False,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """Run the devnet's sample issuance (idempotent).

    KYC dev accounts 0-8, issue a green bond, an agricultural receivable and a tokenized HK stock,
    distribute them and price them. Does only what is missing.
    """
    client = _client(devnet, l2_rpc, key, write=True)

    def run() -> None:
        assert client.account is not None
        result = sample_issuance(client.w3, platform_key="0x" + bytes(client.account.key).hex()).to_json()
        if as_json:
            typer.echo(json.dumps(result, indent=2))
            return
        out.print("sample issuance " + ("was already on chain" if result["already_ran"] else f"done ({result['transactions']} transactions)"))
        for a in result["assets"]:
            out.print(f"  {a['symbol']:<8} {a['address']}  {a['name']}  (HK${_price(int(a['price_hkd_wei']))} per token)")
        out.print(f"  KYC'd: dev accounts 0-8 in Hong Kong; not KYC'd: dev 9 {result['not_kyc']}")

    _run(run)
