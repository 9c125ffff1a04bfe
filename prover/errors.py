"""The errors of the prover's parts (witness, proposer, challenger, fault injection, the L2
rollup client): one module for the layer.

Each derives from the node's hierarchy (node/errors.py), so the composition root and the CLI
handle them as every other `LantauError`.
"""

from __future__ import annotations

from node.errors import LantauError


class WitnessError(LantauError):
    """No witness for this (block, index): the block or the transaction does not exist."""


class ProposerError(LantauError):
    """A proposal that reverted on L1: the proposer retries at its next step."""


class RollupRpcError(LantauError):
    """The L2 node answered a rollup method with an error."""


class ChallengerError(LantauError):
    """A dispute transaction the challenger sent reverted on L1: it retries at its next pass."""


class FaultInjectionRefused(LantauError):
    """Fault injection (a lying proposer, a dishonest challenger) outside a devnet."""
