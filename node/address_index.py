"""The address index: which canonical transactions touch an address (as sender, recipient, or the
contract a creation made), newest first, for the explorer's address page (`lantau_getTransactionsByAddress`).

    key   b"lantau:addr:" ‖ address (20) ‖ block number (8, big-endian) ‖ transaction index (4)
    value the transaction hash (32)

Keys sort by block, then position, so an address's history is one prefix scan, read backwards for
newest first. `node.chain` writes and deletes the entries in the same atomic batch that makes a
block canonical or takes it out (an L2 reorg, `evm_revert`), exactly where it moves the
transaction-hash index: the index is right after a reorg and after a restart.

Backfill. A data directory written before this index existed has no entries for its blocks. On
opening such a directory the chain records the height below which entries may be missing:

    key   b"lantau:addrbackfill"   value: height P (8, big-endian); 0 = every block is indexed

and the node walks P down to 1 in small steps (`run_backfill`): each step writes the entries of
the canonical blocks it covers and the new P in one atomic batch, under the chain's write lock, so
a restart resumes where the last step ended and a reorg can never interleave with a step (a
block a reorg indexes live is simply written again, to the same keys). Until P is 0 a page that
would reach blocks 1..P is refused (`AddressIndexIncomplete`) rather than answered short: a
short page means "no more", which would be a wrong answer.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Callable, Final, Iterable, Iterator, Protocol

from eth_typing import Address, Hash32

from node.errors import AddressIndexIncomplete

ADDRESS_PREFIX: Final = b"lantau:addr:"
ADDRESS_BYTES: Final = 20
BACKFILL_KEY: Final = b"lantau:addrbackfill"
#: A backfill step indexes up to this many blocks, and stops after the block that takes it past
#: `BACKFILL_ENTRIES_PER_STEP` entries: each step holds the chain's write lock, so it stays short
#: (block production waits for it; bench/address_backfill.py measures the longest step).
BACKFILL_BLOCKS_PER_STEP: Final = 128
BACKFILL_ENTRIES_PER_STEP: Final = 1_000

log = logging.getLogger("lantau.address_index")


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


def transactions_of(
    db: PrefixReader, address: Address, *, limit: int, before_block: int | None = None, unindexed_to: int = 0,
) -> list[AddressTransaction]:
    """Up to `limit` canonical transactions touching `address`, newest first; with
    `before_block`, only those in blocks below it (the next page). `unindexed_to` is the
    backfill height P: blocks 1..P may lack entries, so a page that would reach them is refused."""
    prefix = ADDRESS_PREFIX + bytes(address)
    found: list[AddressTransaction] = []
    for key, value in db.iterate_prefix(prefix, reverse=True):
        number = int.from_bytes(key[len(prefix):len(prefix) + 8], "big")
        if before_block is not None and number >= before_block:
            continue
        if number <= unindexed_to:
            break
        found.append(AddressTransaction(number, int.from_bytes(key[len(prefix) + 8:], "big"), Hash32(value)))
        if len(found) >= limit:
            return found
    if unindexed_to > 0 and (before_block is None or before_block > 1):
        raise AddressIndexIncomplete(unindexed_to, len(found))
    return found


def encode_backfill_height(height: int) -> bytes:
    return height.to_bytes(8, "big")


def decode_backfill_height(value: bytes | None) -> int:
    return 0 if value is None else int.from_bytes(value, "big")


async def run_backfill(step: Callable[[int], int], *, blocks_per_step: int = BACKFILL_BLOCKS_PER_STEP) -> None:
    """Index the blocks stored before the address index existed, newest first: `step(n)` indexes
    up to `n` more blocks and answers the height still left (`Chain.backfill_address_index`).
    Cancelled with the node; the steps already taken are durable."""
    remaining = await asyncio.to_thread(step, blocks_per_step)
    if remaining:
        log.info("backfilling the address index", extra={"blocks_left": remaining})
    while remaining:
        remaining = await asyncio.to_thread(step, blocks_per_step)
    log.info("address index complete")


def sorted_prefix_items(items: Iterable[tuple[bytes, bytes]], prefix: bytes, *, reverse: bool) -> Iterator[tuple[bytes, bytes]]:
    """A prefix scan over a plain key-value store without ordered iteration (the in-memory DB of tests)."""
    return iter(sorted(((k, v) for k, v in items if k.startswith(prefix)), reverse=reverse))
