"""The alliance market's matching rule: a uniform-price call auction, written once.

Every venue (and the `CallAuction` matcher) runs this function over the committed books; any venue
recomputes a matcher's result from the same books and disputes a difference. No I/O, no clock:
the same orders and reference price give the same answer.

Clearing price. Candidates are the distinct limit prices of the orders. At a price `p` demand
`D(p)` is the amount of the buy orders with limit >= p, supply `S(p)` the amount of the sell
orders with limit <= p. The clearing price maximizes the executable volume `min(D, S)`; among
equal volumes it minimizes the imbalance `|D - S|`; then it is the candidate closest to the
reference price (the asset's `PriceFeed` price); then the lower one. No volume: no trade.

Allocation: price-time priority. On each side the eligible orders (limit at or better than the
clearing price) are ranked by limit (highest buy, lowest sell first), then by `placed_at`, then by
order id; each fills in turn up to the volume, so at most one order per side fills partially and
the short side fills completely. Buys total equals sells total by construction.

Units: `amount` in the asset's smallest units, prices in HKD wei per whole token (as PriceFeed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum


class Side(IntEnum):
    BUY = 0
    SELL = 1


@dataclass(frozen=True, slots=True)
class AuctionOrder:
    """What the matching rule needs of a signed order: its id (the EIP-712 digest), side, amount,
    limit price and when it was placed (the time of price-time priority)."""

    order_id: bytes
    side: Side
    amount: int
    limit_price: int
    placed_at: int


@dataclass(frozen=True, slots=True)
class Fill:
    order_id: bytes
    side: Side
    amount: int


@dataclass(frozen=True, slots=True)
class AuctionResult:
    """The clearing price (0 when nothing crosses), the volume and each order's fill (orders that
    fill nothing are left out), buys first then sells, each in priority order."""

    price: int
    volume: int
    imbalance: int
    fills: tuple[Fill, ...]


NO_TRADE = AuctionResult(price=0, volume=0, imbalance=0, fills=())


def demand_at(orders: Sequence[AuctionOrder], price: int) -> int:
    return sum(o.amount for o in orders if o.side is Side.BUY and o.limit_price >= price)


def supply_at(orders: Sequence[AuctionOrder], price: int) -> int:
    return sum(o.amount for o in orders if o.side is Side.SELL and o.limit_price <= price)


def clearing_price(orders: Sequence[AuctionOrder], reference_price: int) -> tuple[int, int, int]:
    """(price, volume, imbalance) by the rule in the module notes; (0, 0, 0) when nothing crosses."""
    best: tuple[int, int, int, int] | None = None  # (-volume, imbalance, distance, price)
    for price in sorted({o.limit_price for o in orders}):
        demand, supply = demand_at(orders, price), supply_at(orders, price)
        volume = min(demand, supply)
        if volume == 0:
            continue
        key = (-volume, abs(demand - supply), abs(price - reference_price), price)
        if best is None or key < best:
            best = key
    if best is None:
        return 0, 0, 0
    return best[3], -best[0], best[1]


def priority_key(order: AuctionOrder) -> tuple[int, int, bytes]:
    """Better limit first (highest buy, lowest sell), then earlier `placed_at`, then order id."""
    limit = -order.limit_price if order.side is Side.BUY else order.limit_price
    return limit, order.placed_at, order.order_id


def allocate(orders: Sequence[AuctionOrder], side: Side, price: int, volume: int) -> list[Fill]:
    """Fills of one side at `price` up to `volume`, in price-time priority."""
    eligible = [
        o
        for o in orders
        if o.side is side and (o.limit_price >= price if side is Side.BUY else o.limit_price <= price)
    ]
    fills: list[Fill] = []
    left = volume
    for order in sorted(eligible, key=priority_key):
        if left == 0:
            break
        amount = min(order.amount, left)
        fills.append(Fill(order.order_id, side, amount))
        left -= amount
    return fills


def match(orders: Sequence[AuctionOrder], reference_price: int) -> AuctionResult:
    """The auction's result: clearing price, volume and fills (see the module notes)."""
    ids = [o.order_id for o in orders]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate order id in the book")
    if any(o.amount <= 0 or o.limit_price <= 0 for o in orders):
        raise ValueError("every order needs a positive amount and limit price")
    price, volume, imbalance = clearing_price(orders, reference_price)
    if volume == 0:
        return NO_TRADE
    fills = allocate(orders, Side.BUY, price, volume) + allocate(orders, Side.SELL, price, volume)
    return AuctionResult(price=price, volume=volume, imbalance=imbalance, fills=tuple(fills))
