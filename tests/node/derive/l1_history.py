"""An in-memory L1 for pure derivation tests: blocks, portal deposits and inbox transactions.

`fork_at(n)` drops blocks n.. (an L1 reorg); appending again with another `salt` gives the
replacement blocks other hashes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from eth_typing import Address
from eth_utils import keccak, to_canonical_address

from node.deposit_tx import user_deposit_source_hash
from node.derive.l1_source import InboxTransaction, L1BlockRef
from node.errors import TemporaryError
from node.vm import LantauTransactionBuilder

DEPOSITOR = to_canonical_address("0x" + "c3" * 20)
BATCH_INBOX = to_canonical_address("0xff00000000000000000000000000000000004852")
BATCHER = to_canonical_address("0x" + "ba" * 20)
STRANGER = to_canonical_address("0x" + "5e" * 20)


@dataclass(frozen=True, slots=True)
class SentTransaction:
    to: Address
    sender: Address
    data: bytes
    tx_type: int = 2


def batcher_tx(data: bytes, *, sender: Address = BATCHER, to: Address = BATCH_INBOX, tx_type: int = 2) -> SentTransaction:
    return SentTransaction(to, sender, data, tx_type)


@dataclass
class L1History:
    blocks: list[L1BlockRef] = field(default_factory=list)
    deposits_by_hash: dict[bytes, list] = field(default_factory=dict)
    txs_by_hash: dict[bytes, list[SentTransaction]] = field(default_factory=dict)
    reads: list[int] = field(default_factory=list)  # block numbers whose inbox was read, in order

    def append(
        self,
        timestamp: int,
        mints: Iterable[int] = (),
        txs: Sequence[SentTransaction] = (),
        salt: bytes = b"",
        recipient: Address = DEPOSITOR,
    ) -> L1BlockRef:
        number = len(self.blocks)
        parent = self.blocks[-1].hash if self.blocks else bytes(32)
        ref = L1BlockRef(number, keccak(parent + number.to_bytes(8, "big") + salt), parent, timestamp, 7)
        self.blocks.append(ref)
        self.deposits_by_hash[ref.hash] = [
            LantauTransactionBuilder.new_deposit_transaction(
                source_hash=user_deposit_source_hash(ref.hash, i), from_=recipient, to=recipient,
                mint=mint, value=0, gas=50_000, data=b"")
            for i, mint in enumerate(mints)
        ]
        self.txs_by_hash[ref.hash] = list(txs)
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
            InboxTransaction(index, tx.sender, tx.data, tx.tx_type)
            for index, tx in enumerate(self.txs_by_hash[block.hash])
            if tx.to == inbox
        ]
