"""The errors of the sequencer's services (block producer, batcher): one module for the layer.

Each derives from the node's hierarchy (node/errors.py), so the composition root and the CLI
handle them as every other `LantauError`.
"""

from __future__ import annotations

from node.errors import LantauError, TemporaryError


class SlotSkipped(TemporaryError):
    """No block in this slot: its timestamp would be ahead of the wall clock."""


class BatcherStateError(LantauError):
    """The state file is unreadable, of another version, or belongs to another chain or batcher."""


class BatcherError(LantauError):
    """The batcher cannot go on without an operator (a block it cannot encode, no funds...)."""
