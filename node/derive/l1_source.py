"""What derivation and the sequencer need from L1, as a small interface.

`node/` defines it and never talks to L1 itself; `bridge/` implements it over an L1 RPC
endpoint (and a beacon node's blob API). Tests may implement it over a real anvil too.
`L1BlockRef` (node/l1_block_ref.py) is the block it hands out. `ForwardingL1Source` is the base of
the wrappers that sit between derivation and its source and change one read (reading ahead,
keeping answers, recording what derivation was given): each overrides that read alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from eth.abc import SignedTransactionAPI
from eth_typing import Address, Hash32

from node.l1_block_ref import L1BlockRef


@dataclass(frozen=True, slots=True)
class InboxTransaction:
    """An L1 transaction sent to the batch inbox address, as derivation needs to judge it.

    Derivation (node/derive/retrieval.py), not the source, decides which senders count, so
    the rule "only the configured batcher's transactions" has one home and every ignored
    transaction gets a logged reason.
    """

    index: int  # position in the L1 block
    sender: Address
    data: bytes  # calldata
    tx_type: int = 0  # EIP-2718 type; 3 = blob transaction (its data is in blobs, not calldata)
    blob_versioned_hashes: tuple[Hash32, ...] = ()  # a blob transaction's blobs, in order
    succeeded: bool = True  # receipt status 1; a reverted inbox call recorded nothing on L1


class L1Source(Protocol):
    def head(self) -> L1BlockRef:
        """The latest L1 block the source knows."""
        ...

    def block_by_number(self, number: int) -> L1BlockRef | None:
        """The canonical L1 block at `number`, or None past the head."""
        ...

    def deposits(self, block: L1BlockRef) -> Sequence[SignedTransactionAPI]:
        """The block's portal deposits as 0x7E transactions, in log order.

        Raises `node.errors.TemporaryError` when the block is no longer canonical or the
        endpoint fails, so the caller retries instead of building on a half-read block.
        """
        ...

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> Sequence[InboxTransaction]:
        """Every transaction of `block` whose `to` is `inbox`, in block order, from any sender,
        with its receipt's status (`succeeded`).

        Raises `node.errors.TemporaryError` when the block is no longer canonical (its hash
        does not match) or the endpoint fails.
        """
        ...

    def blobs(self, block: L1BlockRef, versioned_hashes: Sequence[Hash32]) -> list[bytes]:
        """The blobs of `block`'s blob transactions named by `versioned_hashes`: one blob per
        hash, in the order asked (an empty list for no hashes).

        Blobs are not in L1's execution layer: an implementation reads them from a beacon node,
        which should check each against its versioned hash (KZG); retrieval checks again.
        Raises `node.errors.TemporaryError` when a blob cannot be had (the beacon node is
        unreachable, or has pruned it), so the caller retries instead of skipping the data.
        """
        ...


class ForwardingL1Source:
    """An `L1Source` that forwards every read to `source`. A wrapper that changes some reads
    subclasses it and overrides those alone, so a read added to `L1Source` is forwarded once, here."""

    def __init__(self, source: L1Source) -> None:
        self.source = source

    def head(self) -> L1BlockRef:
        return self.source.head()

    def block_by_number(self, number: int) -> L1BlockRef | None:
        return self.source.block_by_number(number)

    def deposits(self, block: L1BlockRef) -> Sequence[SignedTransactionAPI]:
        return self.source.deposits(block)

    def inbox_transactions(self, block: L1BlockRef, inbox: Address) -> Sequence[InboxTransaction]:
        return self.source.inbox_transactions(block, inbox)

    def blobs(self, block: L1BlockRef, versioned_hashes: Sequence[Hash32]) -> list[bytes]:
        return self.source.blobs(block, versioned_hashes)
