"""`L1BlockRef`: what the L2 protocol remembers of an L1 block (as op-node's `eth.L1BlockRef`).

Its own module, below derivation, the L1-info deposit, the heads and the sync status that all
use it, so none of them imports a derivation stage to name an L1 block.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import Hash32


@dataclass(frozen=True, slots=True)
class L1BlockRef:
    number: int
    hash: Hash32
    parent_hash: Hash32
    timestamp: int
    base_fee: int
