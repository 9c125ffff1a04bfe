"""Derivation: the L2 chain as a pure function of L1 data (deposits and batches).

    l1_traversal -> retrieval -> frames -> channels -> batches -> attributes   (pipeline.py)

Public surface: `DerivationPipeline`, `DerivedBlock`, `RollupDerivationConfig`, and the L1
interface `L1Source` / `L1BlockRef` / `InboxTransaction` that `bridge/` implements. Imported
lazily: `node.l1_info` imports `node.derive.l1_source`, and the pipeline imports `node.l1_info`.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DerivationPipeline": "node.derive.pipeline",
    "DerivedBlock": "node.derive.pipeline",
    "RollupDerivationConfig": "node.derive.config",
    "L1Source": "node.derive.l1_source",
    "L1BlockRef": "node.derive.l1_source",
    "InboxTransaction": "node.derive.l1_source",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'node.derive' has no attribute {name!r}")
