"""Derivation: the L2 chain as a pure function of L1 data (deposits and batches).

    l1_traversal -> retrieval -> frames -> channel_bank -> batch_queue -> attributes   (pipeline.py)

Public surface: `DerivationPipeline`, `DerivedBlock`, `RollupDerivationConfig`, and the L1
interface `L1Source` / `L1BlockRef` / `InboxTransaction` that `bridge/` implements.
"""

from node.derive.config import RollupDerivationConfig
from node.derive.l1_source import InboxTransaction, L1Source
from node.derive.pipeline import DerivationPipeline, DerivedBlock
from node.l1_block_ref import L1BlockRef

__all__ = ["DerivationPipeline", "DerivedBlock", "InboxTransaction", "L1BlockRef", "L1Source", "RollupDerivationConfig"]
