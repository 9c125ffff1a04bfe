"""The call auction's matching rule (rwa/auction.py) on random books (hypothesis) against an
independent brute force over every integer price between the lowest and highest limit, plus a
table of known answers. Checks: the volume is the largest any price could execute, buys equal
sells, no fill outside its limit or beyond its amount, the short side fills completely, priority
is respected (an order fills only after every better-ranked one filled completely), the answer
is the same whatever the order of the book.
Candidate prices are the limit prices (as Euronext's and HKEX's auctions): between two of them
the volume is never larger, though the imbalance may be."""

from __future__ import annotations

from collections import defaultdict

from hypothesis import given, settings
from hypothesis import strategies as st

from rwa.auction import AuctionOrder, Side, match, priority_key

REFERENCE = 100


def order(n: int, side: Side, amount: int, limit: int, placed_at: int = 0) -> AuctionOrder:
    return AuctionOrder(n.to_bytes(32, "big"), side, amount, limit, placed_at)


books = st.lists(
    st.tuples(st.sampled_from([Side.BUY, Side.SELL]), st.integers(1, 50), st.integers(90, 110), st.integers(0, 5)),
    max_size=30,
).map(lambda rows: [order(i + 1, *row) for i, row in enumerate(rows)])


def brute_best(orders: list[AuctionOrder], reference: int, prices: range | set[int]) -> tuple[int, int, int] | None:
    """(volume, imbalance, price) over `prices`, with the rule's tie-breaks."""
    best = None
    for price in prices:
        demand = sum(o.amount for o in orders if o.side is Side.BUY and o.limit_price >= price)
        supply = sum(o.amount for o in orders if o.side is Side.SELL and o.limit_price <= price)
        volume = min(demand, supply)
        if volume == 0:
            continue
        key = (-volume, abs(demand - supply), abs(price - reference), price)
        best = key if best is None or key < best else best
    return None if best is None else (-best[0], best[1], best[3])


@settings(max_examples=200, deadline=None)
@given(books, st.integers(80, 120), st.randoms(use_true_random=False))
def test_random_books(orders: list[AuctionOrder], reference: int, shuffler: object) -> None:
    result = match(orders, reference)
    anywhere = brute_best(orders, reference, range(85, 116))
    if anywhere is None:
        assert result.volume == 0 and result.fills == ()
        return
    # No price at all executes more than the clearing price (limit prices lose no volume) ...
    assert result.volume == anywhere[0]
    # ... and among limit prices the tie-breaks pick the same one.
    assert (result.volume, result.imbalance, result.price) == brute_best(orders, reference, {o.limit_price for o in orders})
    by_id = {o.order_id: o for o in orders}
    filled: dict[bytes, int] = defaultdict(int)
    for fill in result.fills:
        source = by_id[fill.order_id]
        assert fill.side is source.side and 0 < fill.amount <= source.amount
        assert source.limit_price >= result.price if source.side is Side.BUY else source.limit_price <= result.price
        filled[fill.order_id] += fill.amount
    assert all(n == 1 for n in defaultdict(int, {f.order_id: 1 for f in result.fills}).values())
    buys = sum(f.amount for f in result.fills if f.side is Side.BUY)
    sells = sum(f.amount for f in result.fills if f.side is Side.SELL)
    assert buys == sells == result.volume
    for side in Side:
        eligible = sorted(
            (o for o in orders if o.side is side and (o.limit_price >= result.price if side is Side.BUY else o.limit_price <= result.price)),
            key=priority_key,
        )
        # Priority: a partially or unfilled order is followed only by unfilled ones.
        seen_short = False
        for o in eligible:
            if seen_short:
                assert filled[o.order_id] == 0
            if filled[o.order_id] < o.amount:
                seen_short = True
    shuffled = list(orders)
    shuffler.shuffle(shuffled)  # type: ignore[attr-defined]
    assert match(shuffled, reference) == result


def test_known_answers() -> None:
    # Max volume: at 101 demand 30, supply 30.
    book = [order(1, Side.BUY, 30, 102), order(2, Side.SELL, 10, 99), order(3, Side.SELL, 20, 101), order(4, Side.BUY, 5, 100)]
    result = match(book, 100)
    assert (result.price, result.volume, result.imbalance) == (101, 30, 0)
    # Equal volume and imbalance at 99 and 101: the one closer to the reference (101 vs 98 -> 99).
    book = [order(1, Side.BUY, 10, 101), order(2, Side.SELL, 10, 99)]
    assert match(book, 98).price == 99
    assert match(book, 105).price == 101
    assert match(book, 100).price == 99  # equidistant: the lower
    # Time priority: same limit, the earlier order fills first.
    book = [order(1, Side.BUY, 10, 100, placed_at=5), order(2, Side.BUY, 10, 100, placed_at=1), order(3, Side.SELL, 15, 100)]
    fills = {f.order_id[-1]: f.amount for f in match(book, 100).fills if f.side is Side.BUY}
    assert fills == {2: 10, 1: 5}
    # Nothing crosses.
    assert match([order(1, Side.BUY, 10, 90), order(2, Side.SELL, 10, 91)], 90).volume == 0
