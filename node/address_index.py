"""The address index: which canonical transactions touch an address (as sender, recipient, or the
contract a creation made), newest first, for the explorer's address page (`lantau_getTransactionsByAddress`).

    key   b"lantau:addr:" ‖ address (20) ‖ block number (8, big-endian) ‖ transaction index (4)
    value the transaction hash (32)

Keys sort by block, then position, so an address's history is one prefix scan, read backwards for
newest first. `node.chain` writes and deletes the entries in the same atomic batch that makes a
block canonical or takes it out (an L2 reorg, `evm_revert`), exactly where it moves the
transaction-hash index: the index is right after a reorg and after a restart, and never needs a
rebuild. Blocks stored before this index existed have no entries (a chain is not re-indexed).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Protocol

from eth_typing import Address, Hash32

ADDRESS_PREFIX = b"lantau:addr:"
ADDRESS_BYTES = 20


def address_key(address: bytes, block_number: int, index: int) -> bytes:
    return ADDRESS_PREFIX + address + block_number.to_bytes(8, "big") + index.to_bytes(4, "big")


def touched_addresses(sender: bytes, to: bytes, created: bytes | None) -> frozenset[bytes]:
    """The addresses a transaction is listed under: its sender, its recipient (none for a
    creation) and the contract it created."""
    return frozenset(a for a in (sender, to, created) if a)


@dataclass(frozen=True, slots=True)
class AddressTransaction:
    block_number: int
    index: int
    tx_hash: Hash32


class PrefixReader(Protocol):
    def iterate_prefix(self, prefix: bytes, *, reverse: bool = False) -> Iterator[tuple[bytes, bytes]]: ...


def transactions_of(db: PrefixReader, address: Address, *, limit: int, before_block: int | None = None) -> list[AddressTransaction]:
    """Up to `limit` canonical transactions touching `address`, newest first; with
    `before_block`, only those in blocks below it (the next page)."""
    prefix = ADDRESS_PREFIX + bytes(address)
    found: list[AddressTransaction] = []
    for key, value in db.iterate_prefix(prefix, reverse=True):
        number = int.from_bytes(key[len(prefix):len(prefix) + 8], "big")
        if before_block is not None and number >= before_block:
            continue
        found.append(AddressTransaction(number, int.from_bytes(key[len(prefix) + 8:], "big"), Hash32(value)))
        if len(found) >= limit:
            break
    return found


def sorted_prefix_items(items: Iterable[tuple[bytes, bytes]], prefix: bytes, *, reverse: bool) -> Iterator[tuple[bytes, bytes]]:
    """A prefix scan over a plain key-value store without ordered iteration (the in-memory DB of tests)."""
    return iter(sorted(((k, v) for k, v in items if k.startswith(prefix)), reverse=reverse))
