"""`lantau rwa market …`: the alliance market's call auction from the command line.

    lantau rwa market venues [--add OPERATOR --name N --licence L --fee-bps B]   # list / register (alliance owner)
    lantau rwa market allow ASSET VENUE…                 # the issuer allows venues for its asset
    lantau rwa market open ASSET --seconds 60            # a venue opens an auction (prints its id)
    lantau rwa market order BOOK --auction ID --venue V --side buy --amount 10 --limit-hkd 100   # an investor signs into V's book
    lantau rwa market book BOOK                          # the book's orders and Merkle root
    lantau rwa market commit BOOK                        # the venue commits the root before the cut-off
    lantau rwa market match BOOK…                        # the rule's result from the committed books
    lantau rwa market settle BOOK…                       # a venue settles it: clearing, pages, claims (all or nothing)
    lantau rwa market refund AUCTION BOOK…               # after an unfinished auction's window: cancel, give everything back
    lantau rwa market claim AUCTION BOOK…                # pay claims still on chain (a party that could not receive before)
    lantau rwa market audit BOOK…                        # any venue checks a settled auction against the rule

Connection and keys as every `lantau rwa` command (`--devnet DIR` or `--l2-rpc URL`, `--key`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from node.cli_common import parse_address
from rwa import hkd, parse_decimal_amount
from rwa.auction import Side
from rwa.cli import DevnetDir, JsonOpt, KeyOpt, L2RpcOpt, _client, _price, _run, _tx_line, out, rwa_app
from rwa.market import Book, Settlement
from rwa.market_client import AllianceMarket
from rwa.sample_market import sample_auction

market_app = typer.Typer(help="The alliance market: licensed venues, one uniform-price call auction per asset, settled against HKD.", no_args_is_help=True)
rwa_app.add_typer(market_app, name="market")

AssetArg = Annotated[str, typer.Argument(help="Asset address, identifier or symbol.")]
BooksArg = Annotated[list[Path], typer.Argument(help="Book files of the venues (from `market order`).")]


def _market(devnet: Optional[Path], l2_rpc: Optional[str], key: Optional[str] = None, *, write: bool = False) -> AllianceMarket:
    return AllianceMarket(_client(devnet, l2_rpc, key, write=write))


@market_app.command("venues")
def venues(
    add: Annotated[Optional[str], typer.Option("--add", help="Register this operator as a venue (alliance owner).")] = None,
    name: Annotated[str, typer.Option("--name")] = "",
    licence: Annotated[str, typer.Option("--licence", help="Licence reference, e.g. the SFC CE number.")] = "",
    fee_bps: Annotated[int, typer.Option("--fee-bps", help="Fee on each fill's cash value, basis points (max 100).")] = 0,
    fee_recipient: Annotated[Optional[str], typer.Option("--fee-recipient", help="Default: the operator.")] = None,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """List the alliance's venues, or register one (--add)."""
    market = _market(devnet, l2_rpc, key, write=add is not None)

    def run() -> None:
        if add is not None:
            operator = parse_address(add, what="--add")
            recipient = parse_address(fee_recipient, what="--fee-recipient") if fee_recipient else operator
            out.print(f"registered venue {operator}: " + _tx_line(market.register_venue(operator, name, licence, recipient, fee_bps)))
        table = Table("operator", "name", "licence", "fee", "fee recipient", "status")
        for v in market.venues():
            table.add_row(v.operator, v.name, v.licence, f"{v.fee_bps / 100:.2f}%", v.fee_recipient, v.status)
        out.print(table)

    _run(run)


@market_app.command("allow")
def allow(
    asset: AssetArg,
    venue_list: Annotated[list[str], typer.Argument(help="Venue operators (0x… or dev0 … dev9).")],
    disallow: Annotated[bool, typer.Option("--disallow", help="Withdraw them instead.")] = False,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """The asset's issuer chooses the venues that may trade it (venue filtering)."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        token = market.client.asset(asset).address
        chosen = [parse_address(v, what="venue") for v in venue_list]
        receipt = market.allow_venues(token, chosen, not disallow)
        out.print(f"{'withdrew' if disallow else 'allowed'} {len(chosen)} venue(s) for {asset}: {_tx_line(receipt)}")

    _run(run)


@market_app.command("open")
def open_auction(
    asset: AssetArg,
    seconds: Annotated[int, typer.Option("--seconds", help="Cut-off, seconds of chain time from now.")] = 60,
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """A venue allowed for the asset opens a call auction."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        auction_id, cutoff = market.open_auction(market.client.asset(asset).address, seconds)
        out.print(f"auction {auction_id} for {asset}: books commit until {cutoff} (chain time)")

    _run(run)


@market_app.command("order")
def order(
    book_file: Annotated[Path, typer.Argument(help="The venue's book file (created when missing).")],
    side: Annotated[str, typer.Option("--side", help="buy or sell.")],
    amount: Annotated[str, typer.Option("--amount", help="Whole tokens.")],
    limit_hkd: Annotated[str, typer.Option("--limit-hkd", help="Limit price, HKD per token.")],
    auction_id: Annotated[Optional[int], typer.Option("--auction", help="Auction id (for a new book).")] = None,
    venue: Annotated[Optional[str], typer.Option("--venue", help="Venue operator (for a new book).")] = None,
    escrow_hkd: Annotated[str, typer.Option("--escrow-hkd", help="Also deposit this much HKD into the auction escrow.")] = "0",
    devnet: DevnetDir = None,
    l2_rpc: L2RpcOpt = None,
    key: KeyOpt = None,
) -> None:
    """The signer (an investor) signs an order into its venue's book; approves the auction for the asset."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        if side not in ("buy", "sell"):
            raise ValueError("--side: buy or sell")
        book = market.open_book(book_file, auction_id, None if venue is None else parse_address(venue, what="--venue"))
        asset = market.auction.functions.auctionOf(book.auction_id).call()[0]
        info = market.client.asset(asset)
        units = parse_decimal_amount(amount, info.decimals)
        limit = parse_decimal_amount(limit_hkd, 18, what="--limit-hkd")
        market.prepare_trader(asset, parse_decimal_amount(escrow_hkd, 18, what="--escrow-hkd"))
        book = market.order(book, Side.BUY if side == "buy" else Side.SELL, units, limit)
        book.save(book_file)
        signed = book.orders[-1]
        out.print(f"order 0x{signed.order_id.hex()}: {side} {amount} {info.symbol} at HK${_price(limit)} or better, "
                  f"in {book.venue}'s book ({len(book.orders)} orders)")

    _run(run)


@market_app.command("book")
def book(book_file: Annotated[Path, typer.Argument(help="A venue's book file.")], as_json: JsonOpt = False) -> None:
    """A book's orders and the Merkle root its venue commits."""

    def run() -> None:
        loaded = Book.load(book_file)
        if as_json:
            typer.echo(json.dumps(loaded.to_json(), indent=1))
            return
        out.print(f"auction {loaded.auction_id}, venue {loaded.venue}, root 0x{loaded.root().hex()}")
        table = Table("order", "trader", "side", "amount", "limit HKD")
        for s in loaded.orders:
            o = s.order
            table.add_row("0x" + s.order_id.hex()[:12], o.trader, o.side.name.lower(), f"{o.amount:,}", _price(o.limit_price))
        out.print(table)

    _run(run)


@market_app.command("commit")
def commit(book_file: Annotated[Path, typer.Argument(help="The signer's (venue's) book file.")],
           devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None) -> None:
    """The venue commits its book's Merkle root before the cut-off."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        loaded = Book.load(book_file)
        out.print(f"committed root 0x{loaded.root().hex()} ({len(loaded.orders)} orders): {_tx_line(market.commit(loaded))}")

    _run(run)


def _show(plan: Settlement) -> None:
    r = plan.result
    if r.volume == 0:
        out.print("nothing crosses: no trade")
        return
    out.print(f"clearing price HK${_price(r.price)}, volume {r.volume:,}, imbalance {r.imbalance:,}, {len(plan.fills)} fills")
    for signed, amount, _ in plan.fills:
        out.print(f"  {signed.order.side.name.lower():<4} {amount:>8,}  {signed.order.trader}  (HK${hkd(amount * r.price):,.2f} gross)")


@market_app.command("match")
def match(books: BooksArg, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None) -> None:
    """Recompute the auction from the committed books (what every venue checks a matcher against)."""
    market = _market(devnet, l2_rpc)
    _run(lambda: _show(market.match([Book.load(p) for p in books])))


@market_app.command("settle")
def settle(books: BooksArg, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None) -> None:
    """As matcher (an active venue): submit the rule's clearing, settle its pages into the
    auction's custody, pay every party; every leg moves or none."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        plan, receipts = market.settle([Book.load(p) for p in books])
        _show(plan)
        if receipts:
            gas = sum(int(r["gasUsed"]) for r in receipts)
            out.print(f"settled in {len(receipts)} transactions (clearing, pages, claims; gas {gas:,}): last {_tx_line(receipts[-1])}")

    _run(run)


@market_app.command("refund")
def refund(auction_id: Annotated[int, typer.Argument(help="The auction.")], books: BooksArg,
           devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None) -> None:
    """Anyone, once an unfinished auction's settlement window has closed: cancel it and return
    every party's tokens and HKD from custody (the parties are the books' traders)."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        receipts = market.cancel_and_refund(auction_id, market.claimants([Book.load(p) for p in books]))
        out.print(f"auction {auction_id} cancelled, {len(receipts) - 1} refund transaction(s): {_tx_line(receipts[-1])}")

    _run(run)


@market_app.command("claim")
def claim(auction_id: Annotated[int, typer.Argument(help="The auction.")], books: BooksArg,
          devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None) -> None:
    """Anyone, once an auction has ended (settled or refunded): pay the claims still on chain of
    the books' traders and venues, e.g. one kept while its wallet could not receive."""
    market = _market(devnet, l2_rpc, key, write=True)

    def run() -> None:
        receipts = market.pay_claims(auction_id, market.claimants([Book.load(p) for p in books]))
        if not receipts:
            out.print(f"auction {auction_id}: no claim left to pay")
            return
        out.print(f"auction {auction_id}: claims paid in {len(receipts)} transaction(s): last {_tx_line(receipts[-1])}")

    _run(run)


@market_app.command("audit")
def audit(books: BooksArg, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None) -> None:
    """Check a settled auction against the rule recomputed from the committed books; exit 1 on a
    mismatch (the evidence to dispute the matcher with)."""
    market = _market(devnet, l2_rpc)

    def run() -> None:
        plan = market.audit([Book.load(p) for p in books])
        out.print(f"auction {Book.load(books[0]).auction_id} settled as the rule gives: HK${_price(plan.result.price)}, volume {plan.result.volume:,}")

    _run(run)


@market_app.command("sample")
def sample(as_json: JsonOpt = False, devnet: DevnetDir = None, l2_rpc: L2RpcOpt = None, key: KeyOpt = None) -> None:
    """The devnet's sample market (after `lantau rwa sample`): three venues, one auction for 0005.HK."""
    client = _client(devnet, l2_rpc, key, write=True)

    def run() -> None:
        assert client.account is not None
        result = sample_auction(client.w3, platform_key="0x" + bytes(client.account.key).hex())
        if as_json:
            typer.echo(json.dumps(result.to_json(), indent=2))
            return
        state = "was already on chain" if result.already_ran else "done"
        out.print(f"sample auction {result.auction_id} {state}: {result.volume:,} shares of 0005.HK at HK${_price(result.price_wei)}")

    _run(run)
