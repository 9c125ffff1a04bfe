"""A player's trace of the L2 chain: what it claims at every position of a dispute game
(docs/fault-proofs.md, "The game", "Levels and positions").

`NodeTrace` is the honest one, read from an L2 node over JSON-RPC (`lantau_disputeBlock`,
`lantau_txWitness`, `lantau_outputAtBlock`): the output root of every block, the state root and
the `BlockAccumulator.Acc` after each of its transactions; `ChainTrace` reads the same from a chain held in process. `LyingTrace`
is such a trace with a lie in it (`prover.faults`): what a dishonest proposer or challenger
claims. All answer the same questions, so one player
(`prover.dispute_player`) plays either side, honest or not.

Proofs (witnesses, headers, the message passer's account proof) are always the node's: they are
checked on L1, so a liar has no better ones.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from node.chain import Chain
from prover.dispute_block import NO_L1_DERIVATION_END, DerivationCommitments, DerivationEnd, DisputeBlock, dispute_block
from prover.rollup_client import RollupClient
from prover.step_call import StepCall
from prover.witness import transaction_witness

_BLOCK_CACHE = 64


class Trace(Protocol):
    def safe_l2_number(self) -> int: ...

    def output_root(self, number: int) -> bytes:
        """The output root this player claims for L2 block `number`."""
        ...

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        """The state roots this player claims after each transaction of block `number`."""
        ...

    def claims(self, number: int) -> tuple[bytes, ...]:
        """What this player claims after each transaction of block `number`: the hash of its
        `BlockAccumulator.Acc` (`prover.block_accumulator`)."""
        ...

    def block(self, number: int) -> DisputeBlock:
        """The node's data of block `number` (for proofs and inputs)."""
        ...

    def transaction_step(self, number: int, index: int) -> StepCall:
        """The one-step proof inputs of transaction `index` of block `number`."""
        ...

    def derivation_end(self, number: int) -> DerivationEnd:
        """Derivation's state after block `number`'s L1 range: which batch gives the block."""
        ...

    def derivation_commitments(self, number: int) -> DerivationCommitments:
        """Derivation's commitment after each L1 block of block `number`'s range (the bisection's trace)."""
        ...


class _BlockReads:
    """What a trace reads from its `DisputeBlock`s, the same for every source of blocks."""

    def block(self, number: int) -> DisputeBlock:
        raise NotImplementedError

    def output_root(self, number: int) -> bytes:
        return bytes(self.block(number).output_root)

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        return tuple(bytes(r) for r in self.block(number).state_roots)

    def claims(self, number: int) -> tuple[bytes, ...]:
        return self.block(number).claims()


class NodeTrace(_BlockReads):
    """The honest trace: an L2 node's view of its safe chain."""

    def __init__(self, node: RollupClient) -> None:
        self.node = node
        self._blocks: OrderedDict[int, DisputeBlock] = OrderedDict()

    def safe_l2_number(self) -> int:
        return self.node.safe_l2_number()

    def block(self, number: int) -> DisputeBlock:
        if number in self._blocks:
            self._blocks.move_to_end(number)
            return self._blocks[number]
        block = DisputeBlock.from_json(self.node.dispute_block(number))
        self._blocks[number] = block
        if len(self._blocks) > _BLOCK_CACHE:
            self._blocks.popitem(last=False)
        return block


    def transaction_step(self, number: int, index: int) -> StepCall:
        return StepCall.from_rpc(self.node.tx_witness(number, index))

    def derivation_end(self, number: int) -> DerivationEnd:
        return DerivationEnd.from_json(self.node.derivation_end(number))

    def derivation_commitments(self, number: int) -> DerivationCommitments:
        return DerivationCommitments.from_json(self.node.derivation_trace(number))



class ChainTrace(_BlockReads):
    """The honest trace of a `node.chain.Chain` held in this process: the same data `NodeTrace`
    reads over JSON-RPC, computed by the same functions (`dispute_block`, `transaction_witness`)
    without a node in between. For players that hold the chain themselves (contract tests, bench)."""

    def __init__(self, chain: Chain) -> None:
        self.chain = chain
        self._blocks: OrderedDict[int, DisputeBlock] = OrderedDict()

    def safe_l2_number(self) -> int:
        return int(self.chain.head.block_number)

    def block(self, number: int) -> DisputeBlock:
        if number not in self._blocks:
            self._blocks[number] = dispute_block(self.chain, number)
            if len(self._blocks) > _BLOCK_CACHE:
                self._blocks.popitem(last=False)
        return self._blocks[number]


    def transaction_step(self, number: int, index: int) -> StepCall:
        return StepCall.from_witness(transaction_witness(self.chain, number, index))

    def derivation_end(self, number: int) -> DerivationEnd:
        return NO_L1_DERIVATION_END  # no L1 behind this chain: no batch, nothing in the bank or queue

    def derivation_commitments(self, number: int) -> DerivationCommitments:
        return DerivationCommitments(0, 0, (NO_L1_DERIVATION_END.commitment(),))  # never disputed: no L1 range
