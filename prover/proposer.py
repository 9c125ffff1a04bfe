"""The proposer: posts the output root of every `submissionInterval`-th L2 block to the L1
`OutputOracle`, with a bond, once that block is **safe** (derived from L1 data; never a block
that is only unsafe).

The oracle itself is the proposer's memory: `nextBlockNumber()` says which block is due, so a
restarted proposer continues without gaps or duplicates. Outputs are read from an L2 node over
JSON-RPC (`RollupClient`: `lantau_syncStatus`, `lantau_outputAtBlock`), so the proposer can run
beside the node (`lantau devnet`) or anywhere else (`lantau proposer`). L1 is reached through
bridge/'s `OutputOracleClient` and `TxManager` (nonces, fees, the fee bump of a stuck proposal,
re-sends after an L1 reorg), which the composition root (node/cli.py) hands in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from bridge.l1_contract_clients import OutputOracleClient
from bridge.tx_manager import TxManager
from prover.errors import ProposerError
from prover.polling import PollingService
from prover.rollup_client import RollupClient

log = logging.getLogger("lantau.proposer")



@dataclass(frozen=True, slots=True)
class ProposerConfig:
    poll_interval_s: float = 1.0


@dataclass(frozen=True, slots=True)
class ProposalResult:
    l2_block_number: int
    output_root: bytes
    l1_tx_hash: bytes
    l1_gas_used: int


class Proposer(PollingService):
    def __init__(self, oracle: OutputOracleClient, txmgr: TxManager, l2: RollupClient, config: ProposerConfig = ProposerConfig(),
                 *, output_root_of: Callable[[int], bytes] | None = None) -> None:
        """`output_root_of(n)`: the root to post for L2 block n; the node's (`l2.output_at`) unless
        a devnet injects a fault (`prover.faults`)."""
        self.oracle, self.txmgr, self.l2, self.config = oracle, txmgr, l2, config
        self.output_root_of = output_root_of or l2.output_at
        super().__init__("proposer", config.poll_interval_s, log)
        self.proposals: list[ProposalResult] = []

    # --- one step ------------------------------------------------------------------------------

    def due_block(self) -> int:
        return self.oracle.next_block_number()

    def step(self) -> ProposalResult | None:
        """Propose the next due output if its block is safe (blocking: run in a thread)."""
        due = self.due_block()
        if self.l2.safe_l2_number() < due:
            return None
        root = self.output_root_of(due)
        # Anchor on the parent of L1's head: `blockhash` of the block being executed is zero,
        # so the oracle's anchor check can only see blocks before the current one.
        anchor = self.oracle.l1.block_ref(max(0, self.oracle.l1.head().number - 1))
        if anchor is None:
            return None  # L1 moved back under us: try again next step
        receipt = self.oracle.propose(self.txmgr, root, due, anchor, bond=self.oracle.required_bond())
        if receipt["status"] != 1:
            raise ProposerError(f"proposal for L2 block {due} reverted on L1 (tx {bytes(receipt['transactionHash']).hex()})")
        result = ProposalResult(due, root, bytes(receipt["transactionHash"]), int(receipt["gasUsed"]))
        self.proposals.append(result)
        log.info("proposed output", extra={"l2_block": due, "output_root": "0x" + root.hex(), "l1_gas": result.l1_gas_used})
        return result

    def poll(self) -> bool:
        return self.step() is not None
