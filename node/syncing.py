"""`eth_syncing` for a node that derives its chain from L1 (a verifier): geth's sync object
while derivation is behind L1, false once it has caught up.

"Behind" is op-node's view (`optimism_syncStatus`, here `lantau_syncStatus`): the derivation's
L1 position (`current_l1`, the last L1 block read through every stage) against the L1 head it
follows (`head_l1`, after `--l1-confirmations`). A verifier that has read L1 up to within
`SYNC_LAG_L1_BLOCKS` of its head has derived everything L1 holds, give or take the block that
arrived since its last poll: it is synced. Further behind, it is syncing, and the object says,
in L2 block numbers as `eth_blockNumber` counts them:

- `startingBlock`: the L2 head when this catch-up began (as geth's: where the sync started);
- `currentBlock`: the L2 head now;
- `highestBlock`: an estimate of the L2 head once L1 is derived to its head: L2 blocks are
  stamped at most one per second and follow their L1 origins in time, so the chain reaches about
  L1 head's timestamp; the blocks left are that time span over the chain's own recent block
  interval (the mean over the last `INTERVAL_WINDOW` blocks, at least 1 s). Never below
  `currentBlock`.

Two more fields say the same in L1 blocks, which is what derivation really walks:
`currentL1Block` and `headL1Block` (op-node's `current_l1` and `head_l1`). A sequencer answers
false: its head is the chain's newest by definition.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from typing import Any, Callable, Final

from eth.abc import BlockHeaderAPI

from node.chain import Chain
from node.errors import TemporaryError
from node.l1_block_ref import L1BlockRef

#: L1 blocks derivation may trail its L1 head by and still count as synced: it polls L1 every
#: half second, so a block mined since the last poll is not "behind".
SYNC_LAG_L1_BLOCKS: Final = 2
#: L2 blocks over which the chain's block interval is measured for `highestBlock`.
INTERVAL_WINDOW: Final = 64


@dataclass(frozen=True, slots=True)
class SyncProgress:
    starting_block: int
    current_block: int
    highest_block: int
    current_l1_block: int
    head_l1_block: int

    def to_json(self) -> dict[str, str]:
        return {
            "startingBlock": hex(self.starting_block),
            "currentBlock": hex(self.current_block),
            "highestBlock": hex(self.highest_block),
            "currentL1Block": hex(self.current_l1_block),
            "headL1Block": hex(self.head_l1_block),
        }


def is_behind(current_l1_number: int, head_l1: L1BlockRef) -> bool:
    """Derivation has L1 blocks left to read beyond the allowed lag."""
    return head_l1.number - current_l1_number > SYNC_LAG_L1_BLOCKS


def estimate_highest_block(head: BlockHeaderAPI, earlier: BlockHeaderAPI, head_l1: L1BlockRef) -> int:
    """The L2 head number once derivation reaches `head_l1`: `head` plus the seconds from it to
    L1 head's time over the mean block interval from `earlier` to `head` (at least 1 s)."""
    blocks = head.block_number - earlier.block_number
    interval_s = max(1.0, (head.timestamp - earlier.timestamp) / blocks) if blocks > 0 else 1.0
    left = max(0, head_l1.timestamp - head.timestamp)
    return head.block_number + math.ceil(left / interval_s)


class DerivationSync:
    """Answers `eth_syncing` for a derivation node from the pipeline's L1 position and L1's head
    (the data behind `lantau_syncStatus`). Blocking (one L1 read): call from a worker thread."""

    def __init__(
        self, chain: Chain, l1_position: Callable[[], L1BlockRef | None], l1_head: Callable[[], L1BlockRef], l1_start_block: int
    ) -> None:
        self._chain = chain
        self._l1_position = l1_position
        self._l1_head = l1_head
        self._l1_start_block = l1_start_block
        self._lock = threading.Lock()
        self._last_l1_head: L1BlockRef | None = None
        self._starting_block: int | None = None  # L2 head when the current catch-up began

    def progress(self) -> SyncProgress | None:
        """The sync object while behind L1, None when caught up (or L1 was never reached)."""
        try:
            head_l1 = self._l1_head()
        except TemporaryError:  # L1 away: judge by the last head seen
            head_l1 = self._last_l1_head
        if head_l1 is None:
            return None
        position = self._l1_position()
        current_l1_number = position.number if position is not None else self._l1_start_block - 1
        head = self._chain.head
        with self._lock:
            self._last_l1_head = head_l1
            if not is_behind(current_l1_number, head_l1):
                self._starting_block = None
                return None
            if self._starting_block is None:
                self._starting_block = head.block_number
            starting_block = self._starting_block
        earlier = self._chain.header_by_number(max(1, head.block_number - INTERVAL_WINDOW)) if head.block_number > 1 else head
        return SyncProgress(
            starting_block=min(starting_block, head.block_number),
            current_block=head.block_number,
            highest_block=estimate_highest_block(head, earlier, head_l1),
            current_l1_block=max(0, current_l1_number),
            head_l1_block=head_l1.number,
        )


def sync_progress_json(progress: SyncProgress | None) -> dict[str, Any] | bool:
    """`eth_syncing`'s answer."""
    return False if progress is None else progress.to_json()
