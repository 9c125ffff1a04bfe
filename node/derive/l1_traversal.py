"""Stage 1, L1 traversal: walk L1 one block at a time, and notice when L1 reorganises.

The traversal never skips a block and never moves without its caller's say-so: `next_block`
only looks (so a failed read of the block's data changes nothing), `advance` commits. A block
whose parent hash is not the hash of the block read before it means L1 reorganised under
derivation: `ResetError`, and the pipeline goes back to a common ancestor.
"""

from __future__ import annotations

from node.derive.l1_source import L1Source
from node.errors import ResetError
from node.l1_block_ref import L1BlockRef


class L1Traversal:
    def __init__(self, l1: L1Source, start: L1BlockRef) -> None:
        """`start` is the first block `next_block` returns."""
        self.l1 = l1
        self.start = start
        self.current: L1BlockRef | None = None  # the last block handed on (advance)

    def next_block(self) -> L1BlockRef | None:
        """The block after `current` (or `start`), None if L1 has none yet; raises `ResetError`."""
        if self.current is None:
            canonical = self.l1.block_by_number(self.start.number)
            if canonical is None or canonical.hash != self.start.hash:
                raise ResetError(f"L1 block {self.start.number}, where traversal starts, is no longer canonical")
            return self.start
        number = self.current.number + 1
        if number > self.l1.head().number:
            self._check_current_is_canonical()
            return None
        block = self.l1.block_by_number(number)
        if block is None:
            self._check_current_is_canonical()
            return None
        if block.parent_hash != self.current.hash:
            raise ResetError(
                f"L1 reorg: block {number}'s parent is {block.parent_hash.hex()}, "
                f"derivation read {self.current.hash.hex()} at {self.current.number}"
            )
        return block

    def advance(self, block: L1BlockRef) -> None:
        expected = self.start.number if self.current is None else self.current.number + 1
        if block.number != expected:
            raise ValueError(f"traversal expects L1 block {expected}, got {block.number}")
        self.current = block

    def _check_current_is_canonical(self) -> None:
        # With no next block to compare, L1 may still have replaced the one we read.
        assert self.current is not None
        canonical = self.l1.block_by_number(self.current.number)
        if canonical is not None and canonical.hash != self.current.hash:
            raise ResetError(f"L1 reorg: block {self.current.number} was replaced")
