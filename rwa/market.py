"""The alliance market's orders and books, off chain: the EIP-712 `Order` an investor signs for the
`CallAuction` predeploy (domain "Lantau CallAuction", version "1", the chain id and the auction's
address), its id (the digest, as the contract computes it), a venue's book as a Merkle tree whose
root the venue commits (leaves `keccak256(keccak256(orderId))`, pairs hashed sorted: what
OpenZeppelin's `MerkleProof` verifies), and the settlement a matcher submits, computed by the one
matching rule (`rwa.auction.match`) and cut into pages (`Settlement.paged`): the clearing commits
the Merkle root of the pages' leaves, each page is then settled in its own transaction. Pure
functions, no chain access.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import keccak

from rwa.auction import AuctionOrder, AuctionResult, Side, match
from rwa.errors import RWAError

AUCTION_DOMAIN_NAME = "Lantau CallAuction"
ORDER_TYPES: dict[str, list[dict[str, str]]] = {
    "Order": [
        {"name": "trader", "type": "address"},
        {"name": "asset", "type": "address"},
        {"name": "venue", "type": "address"},
        {"name": "auctionId", "type": "uint64"},
        {"name": "side", "type": "uint8"},
        {"name": "amount", "type": "uint256"},
        {"name": "limitPrice", "type": "uint256"},
        {"name": "placedAt", "type": "uint64"},
        {"name": "expiry", "type": "uint64"},
        {"name": "salt", "type": "uint256"},
    ]
}


class MatcherResultMismatch(RWAError):
    """A matcher's price or fills differ from what the matching rule gives on the committed books."""

    def __init__(self, claimed_price: int, expected_price: int, what: str) -> None:
        super().__init__(f"matcher's result disputed: {what} (claimed price {claimed_price}, the rule gives {expected_price})")
        self.claimed_price, self.expected_price = claimed_price, expected_price


@dataclass(frozen=True, slots=True)
class Order:
    """CallAuction.Order: `amount` in asset units, `limit_price` in HKD wei per whole token."""

    trader: str
    asset: str
    venue: str
    auction_id: int
    side: Side
    amount: int
    limit_price: int
    placed_at: int
    expiry: int
    salt: int

    def as_tuple(self) -> tuple[Any, ...]:
        return (
            self.trader,
            self.asset,
            self.venue,
            self.auction_id,
            int(self.side),
            self.amount,
            self.limit_price,
            self.placed_at,
            self.expiry,
            self.salt,
        )

    def message(self) -> dict[str, Any]:
        return dict(zip((f["name"] for f in ORDER_TYPES["Order"]), self.as_tuple()))


@dataclass(frozen=True, slots=True)
class SignedOrder:
    order: Order
    order_id: bytes
    signature: bytes

    def for_matching(self) -> AuctionOrder:
        o = self.order
        return AuctionOrder(self.order_id, o.side, o.amount, o.limit_price, o.placed_at)


def auction_domain(chain_id: int, auction_address: str) -> dict[str, Any]:
    return {"name": AUCTION_DOMAIN_NAME, "version": "1", "chainId": chain_id, "verifyingContract": auction_address}


def order_id(order: Order, chain_id: int, auction_address: str) -> bytes:
    """The EIP-712 digest of the order: what the trader signs and the contract's `orderId`."""
    signable = encode_typed_data(auction_domain(chain_id, auction_address), ORDER_TYPES, order.message())
    return keccak(b"\x19" + signable.version + signable.header + signable.body)


def sign_order(order: Order, private_key: bytes, chain_id: int, auction_address: str) -> SignedOrder:
    signed = Account.sign_typed_data(private_key, auction_domain(chain_id, auction_address), ORDER_TYPES, order.message())
    return SignedOrder(order, order_id(order, chain_id, auction_address), bytes(signed.signature))


# --- books as Merkle trees -------------------------------------------------------------------------


def order_leaf(order_id_: bytes) -> bytes:
    return keccak(keccak(order_id_))


def _pair(a: bytes, b: bytes) -> bytes:
    return keccak(min(a, b) + max(a, b))


def _layers(leaves: Sequence[bytes]) -> list[list[bytes]]:
    if not leaves:
        raise ValueError("an empty tree has no root")
    layers = [sorted(leaves)]
    while len(layers[-1]) > 1:
        level = layers[-1]
        layers.append([_pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i] for i in range(0, len(level), 2)])
    return layers


def book_root(order_ids: Sequence[bytes]) -> bytes:
    """The root a venue commits for its book (orders by id)."""
    return _layers([order_leaf(i) for i in order_ids])[-1][0]


def book_proofs(order_ids: Sequence[bytes]) -> dict[bytes, list[bytes]]:
    """Each order's Merkle proof against `book_root(order_ids)`."""
    leaves = {order_leaf(i): i for i in order_ids}
    return {leaves[leaf]: proof for leaf, proof in _proofs(list(leaves)).items()}


def _proofs(leaves: Sequence[bytes]) -> dict[bytes, list[bytes]]:
    """Each leaf's Merkle proof against the root of `_layers(leaves)`."""
    layers = _layers(leaves)
    proofs: dict[bytes, list[bytes]] = {}
    for index, leaf in enumerate(layers[0]):
        proof: list[bytes] = []
        position = index
        for level in layers[:-1]:
            sibling = position ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            position //= 2
        proofs[leaf] = proof
    return proofs


# --- the matcher's submission ----------------------------------------------------------------------


FillArgs = tuple[SignedOrder, int, list[bytes]]  # the signed order, the amount filled, its book proof


def fills_hash(fills: Sequence[tuple[bytes, int]]) -> bytes:
    """`CallAuction`'s chain over a page's fills (order id, amount), in order:
    `h = keccak256(abi.encode(h, orderId, amount))` from `h = 0`."""
    h = bytes(32)
    for order_id_, amount in fills:
        h = keccak(h + order_id_ + amount.to_bytes(32, "big"))
    return h


def page_leaf(auction_id: int, page: int, fills_hash_: bytes) -> bytes:
    """`CallAuction.pageLeaf`: the Merkle leaf of page `page` of a clearing."""
    return keccak(keccak(auction_id.to_bytes(32, "big") + page.to_bytes(32, "big") + fills_hash_))


def _fill_args(fills: Sequence[FillArgs]) -> list[tuple[Any, ...]]:
    return [(s.order.as_tuple(), amount, s.signature, proof) for s, amount, proof in fills]


@dataclass(frozen=True, slots=True)
class Page:
    """One page of a clearing: its index, its fills, and its proof under the pages root."""

    index: int
    fills: tuple[FillArgs, ...]
    proof: tuple[bytes, ...]

    def settle_page_args(self, auction_id: int) -> tuple[Any, ...]:
        """The arguments of `CallAuction.settlePage`."""
        return auction_id, self.index, _fill_args(self.fills), list(self.proof)


@dataclass(frozen=True, slots=True)
class PagedSettlement:
    """The rule's result cut into pages of at most `max_fills` fills, in the rule's order (buys
    then sells, each in priority order): what `submitClearing` commits and `settlePage` takes."""

    auction_id: int
    result: AuctionResult
    pages_root: bytes
    pages: tuple[Page, ...]

    def clearing_args(self) -> tuple[int, int, int, bytes, int]:
        """The arguments of `CallAuction.submitClearing`."""
        return self.auction_id, self.result.price, self.result.volume, self.pages_root, len(self.pages)

    def parties(self) -> list[str]:
        """The traders of the fills, each once, in fill order (who has a claim, with the venues'
        fee recipients)."""
        return list(dict.fromkeys(s.order.trader for page in self.pages for s, _, _ in page.fills))


@dataclass(frozen=True, slots=True)
class Settlement:
    """The rule's result and, per fill, the signed order and its proof in its venue's book."""

    result: AuctionResult
    fills: tuple[FillArgs, ...]

    def paged(self, max_fills: int) -> PagedSettlement:
        """The fills cut into pages of `max_fills`, with their root and proofs."""
        if not self.fills:
            raise ValueError("nothing crosses: no fills to page")
        if max_fills < 1:
            raise ValueError("a page holds at least one fill")
        chunks = [self.fills[i:i + max_fills] for i in range(0, len(self.fills), max_fills)]
        return paged_settlement(self.fills[0][0].order.auction_id, self.result, chunks)


def paged_settlement(auction_id: int, result: AuctionResult, pages: Sequence[Sequence[FillArgs]]) -> PagedSettlement:
    """`pages` (fills each, in order) under one root: what a clearing commits."""
    leaves = [page_leaf(auction_id, n, fills_hash([(s.order_id, amount) for s, amount, _ in page])) for n, page in enumerate(pages)]
    proofs = _proofs(leaves)
    return PagedSettlement(auction_id, result, _layers(leaves)[-1][0],
                           tuple(Page(n, tuple(page), tuple(proofs[leaves[n]])) for n, page in enumerate(pages)))


def settlement(books: dict[str, Sequence[SignedOrder]], reference_price: int) -> Settlement:
    """Matches the committed books of every venue (venue -> its signed orders) by the rule."""
    orders = {s.order_id: s for book in books.values() for s in book}
    proofs: dict[bytes, list[bytes]] = {}
    for book in books.values():
        if book:
            proofs.update(book_proofs([s.order_id for s in book]))
    result = match([s.for_matching() for s in orders.values()], reference_price)
    fills = tuple((orders[f.order_id], f.amount, proofs[f.order_id]) for f in result.fills)
    return Settlement(result, fills)


def verify_settlement(books: dict[str, Sequence[SignedOrder]], reference_price: int, price: int, fills: dict[bytes, int]) -> None:
    """Recomputes the auction from the committed books; raises `MatcherResultMismatch` when a
    matcher's price or fills (order id -> amount) are not the rule's."""
    expected = settlement(books, reference_price).result
    if price != expected.price:
        raise MatcherResultMismatch(price, expected.price, "clearing price")
    if fills != {f.order_id: f.amount for f in expected.fills}:
        raise MatcherResultMismatch(price, expected.price, "fills")


# --- a venue's book file ---------------------------------------------------------------------------

BOOK_FILE_TYPE = "lantau-rwa-book/1"


@dataclass(frozen=True, slots=True)
class Book:
    """A venue's signed orders for one auction, as the venue keeps them off chain:

        {"type": "lantau-rwa-book/1", "chainId": 4852, "callAuction": "0x4200…0808",
         "auctionId": 1, "venue": "0x…", "orders": [{"trader": "0x…", …, "amount": "10",
         "limitPrice": "100000000000000000000", "orderId": "0x…", "signature": "0x…"}]}

    Big integers are decimal strings. `root()` is what the venue commits."""

    chain_id: int
    call_auction: str
    auction_id: int
    venue: str
    orders: tuple[SignedOrder, ...]

    def root(self) -> bytes:
        return book_root([s.order_id for s in self.orders])

    def with_order(self, signed: SignedOrder) -> "Book":
        if signed.order.venue.lower() != self.venue.lower() or signed.order.auction_id != self.auction_id:
            raise ValueError(f"order is for venue {signed.order.venue} auction {signed.order.auction_id}, not this book's")
        return Book(self.chain_id, self.call_auction, self.auction_id, self.venue, (*self.orders, signed))

    def to_json(self) -> dict[str, Any]:
        return {
            "type": BOOK_FILE_TYPE,
            "chainId": self.chain_id,
            "callAuction": self.call_auction,
            "auctionId": self.auction_id,
            "venue": self.venue,
            "orders": [
                {**{k: (str(v) if isinstance(v, int) and k in ("amount", "limitPrice", "salt") else v) for k, v in s.order.message().items()},
                 "orderId": "0x" + s.order_id.hex(), "signature": "0x" + s.signature.hex()}
                for s in self.orders
            ],
        }

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.to_json(), indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> "Book":
        try:
            data = json.loads(path.read_text())
            if data.get("type") != BOOK_FILE_TYPE:
                raise BookFileError(f"{path}: not a {BOOK_FILE_TYPE} file")
            book = cls(int(data["chainId"]), data["callAuction"], int(data["auctionId"]), data["venue"], ())
            for row in data["orders"]:
                order = Order(row["trader"], row["asset"], row["venue"], int(row["auctionId"]), Side(int(row["side"])),
                              int(row["amount"]), int(row["limitPrice"]), int(row["placedAt"]), int(row["expiry"]), int(row["salt"]))
                signed = SignedOrder(order, bytes.fromhex(row["orderId"][2:]), bytes.fromhex(row["signature"][2:]))
                if order_id(order, book.chain_id, book.call_auction) != signed.order_id:
                    raise BookFileError(f"{path}: order {row['orderId']} does not match its terms")
                book = book.with_order(signed)
            return book
        except (KeyError, ValueError, TypeError, json.JSONDecodeError) as exc:
            raise BookFileError(f"{path}: malformed book file ({exc})") from None


class BookFileError(RWAError):
    """A book file that cannot be used (malformed, an order whose id does not match its terms)."""
