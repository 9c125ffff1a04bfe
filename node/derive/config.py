"""The rollup parameters derivation needs, in one frozen value."""

from __future__ import annotations

from dataclasses import dataclass

from eth_typing import Address

from typing import TYPE_CHECKING

from node.channels import MAX_RLP_BYTES_PER_CHANNEL

if TYPE_CHECKING:
    from genesis.rollup_config import RollupConfig


@dataclass(frozen=True, slots=True)
class RollupDerivationConfig:
    """Derivation's consensus parameters: every verifier of a chain must use the same values.

    batch_inbox          the L1 address batcher transactions are sent to
    batcher_address      the only sender whose inbox transactions count
    sequencing_window    in L1 blocks: a batch for L1 origin N counts only if included in an
                         L1 block < N + sequencing_window; once L1 block N + sequencing_window
                         is read with no batch for origin N, a deposit-only block is derived
    channel_timeout      in L1 blocks: a channel opened at L1 block O must be complete by L1
                         block O + channel_timeout, or it is dropped
    max_sequencer_drift  seconds an L2 block's timestamp may run ahead of its L1 origin's
    l1_start_block       the L1 origin of the first L2 block (the L1 block the rollup's L1
                         contracts were set up in: no deposit can be older)
    """

    batch_inbox: Address
    batcher_address: Address
    sequencing_window: int
    channel_timeout: int
    max_sequencer_drift: int
    max_channel_rlp_bytes: int = MAX_RLP_BYTES_PER_CHANNEL
    l1_start_block: int = 0

    def __post_init__(self) -> None:
        if len(self.batch_inbox) != 20 or len(self.batcher_address) != 20:
            raise ValueError("batch_inbox and batcher_address must be 20-byte addresses")
        if self.sequencing_window < 1 or self.channel_timeout < 1 or self.max_sequencer_drift < 0:
            raise ValueError("sequencing_window and channel_timeout must be >= 1, max_sequencer_drift >= 0")


def derivation_config(rollup: "RollupConfig") -> RollupDerivationConfig:
    """The consensus parameters of a `genesis.rollup_config.RollupConfig`."""
    from eth_utils import to_canonical_address

    return RollupDerivationConfig(
        batch_inbox=Address(to_canonical_address(rollup.batch_inbox)),
        batcher_address=Address(to_canonical_address(rollup.batcher_address)),
        sequencing_window=rollup.sequencing_window,
        channel_timeout=rollup.channel_timeout,
        max_sequencer_drift=rollup.max_sequencer_drift,
        l1_start_block=rollup.l1_start_block,
    )
