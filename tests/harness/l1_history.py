"""An in-memory L1 (`L1Source`) for the pure derivation and sequencer tests: blocks, portal
deposits, inbox transactions and their blobs (kept by versioned hash in `blobs_by_hash`, as a
beacon node does; delete one to play a pruned blob, replace one to play a lying beacon node).
Inbox transactions go to the devnet's `BatchInbox` address (genesis/l1_addresses.py).

`fork_at(n)` drops blocks n.. (an L1 reorg); appending again with another `salt` gives the
replacement blocks other hashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from eth.abc import SignedTransactionAPI
from eth_typing import Address, Hash32
from eth_utils import keccak, to_canonical_address

from genesis.l1_addresses import devnet_l1_addresses
from node.blobs import BLOB_TX_TYPE, blob_versioned_hash
from node.deposit_tx import user_deposit_source_hash
from node.derive.l1_source import InboxTransaction, L1BlockRef
from node.errors import TemporaryError
from node.vm import LantauTransactionBuilder

DEPOSITOR = to_canonical_address("0x" + "c3" * 20)
BATCH_INBOX = devnet_l1_addresses()["BatchInbox"]
BATCHER = to_canonical_address("0x" + "ba" * 20)
STRANGER = to_canonical_address("0x" + "5e" * 20)


@dataclass(frozen=True, slots=True)
class SentTransaction:
    to: Address
    sender: Address
    data: bytes
    tx_type: int = 2
    blobs: tuple[bytes, ...] = ()


def batcher_tx(data: bytes, *, sender: Address = BATCHER, to: Address = BATCH_INBOX, tx_type: int = 2) -> SentTransaction:
    return SentTransaction(to, sender, data, tx_type)


def blob_tx(*blobs: bytes, data: bytes = b"", sender: Address = BATCHER, to: Address = BATCH_INBOX) -> SentTransaction:
    return SentTransaction(to, sender, data, BLOB_TX_TYPE, blobs)


@dataclass
class L1History:
    blocks: list[L1BlockRef] = field(default_factory=list)
    deposits_by_hash: dict[bytes, list] = field(default_factory=dict)
    txs_by_hash: dict[bytes, list[SentTransaction]] = field(default_factory=dict)
    blobs_by_hash: dict[bytes, bytes] = field(default_factory=dict)  # versioned hash -> blob
    reads: list[int] = field(default_factory=list)  # block numbers whose inbox was read, in order

    def append(
        self,
        timestamp: int,
        mints: Iterable[int] = (),
        txs: Sequence[SentTransaction] = (),
        salt: bytes = b"",
        recipient: Address = DEPOSITOR,
        deposits: Sequence[SignedTransactionAPI] = (),
    ) -> L1BlockRef:
        """The next L1 block: a portal deposit of each of `mints` to `recipient`, then `deposits`
        (deposit transactions made by the test), and `txs` sent in it."""
        number = len(self.blocks)
        parent = self.blocks[-1].hash if self.blocks else bytes(32)
        ref = L1BlockRef(number, keccak(parent + number.to_bytes(8, "big") + salt), parent, timestamp, 7)
        self.blocks.append(ref)
        self.deposits_by_hash[ref.hash] = [
            LantauTransactionBuilder.new_deposit_transaction(
                source_hash=user_deposit_source_hash(ref.hash, i), from_=recipient, to=recipient,
                mint=mint, value=0, gas=50_000, data=b"")
            for i, mint in enumerate(mints)
        ] + list(deposits)
        self.txs_by_hash[ref.hash] = list(txs)
        self.blobs_by_hash.update((blob_versioned_hash(blob), blob) for tx in txs for blob in tx.blobs)
        return ref

    def fork_at(self, number: int) -> None:
        del self.blocks[number:]

    # --- L1Source ---

    def head(self) -> L1BlockRef:
        return self.blocks[-1]

    def block_by_number(self, number: int) -> L1BlockRef | None:
        return self.blocks[number] if 0 <= number < len(self.blocks) else None

    def _check(self, block: L1BlockRef) -> None:
        if self.block_by_number(block.number) != block:
            raise TemporaryError(f"L1 block {block.number} is no longer canonical")

    def deposits(self, block: L1BlockRef):
        self._check(block)
        return self.deposits_by_hash[block.hash]

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> list[InboxTransaction]:
        self._check(block)
        self.reads.append(block.number)
        return [
            InboxTransaction(index, tx.sender, tx.data, tx.tx_type, tuple(blob_versioned_hash(b) for b in tx.blobs))
            for index, tx in enumerate(self.txs_by_hash[block.hash])
            if tx.to == inbox
        ]

    def blobs(self, block: L1BlockRef, versioned_hashes: Sequence[Hash32]) -> list[bytes]:
        self._check(block)
        missing = [h for h in versioned_hashes if h not in self.blobs_by_hash]
        if missing:
            raise TemporaryError(f"no blob {missing[0].hex()} of L1 block {block.number} (pruned)")
        return [self.blobs_by_hash[h] for h in versioned_hashes]


class FlakyInbox(L1History):
    """The same history, whose inbox read of block `failing_block` fails `failures` times first."""

    failing_block = 2
    failures = 2

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> list[InboxTransaction]:
        if block.number == self.failing_block and self.failures:
            self.failures -= 1
            raise TemporaryError("L1 unreachable")
        return super().inbox_transactions(block, inbox)
