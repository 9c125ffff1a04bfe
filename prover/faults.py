"""Fault injection (devnet only): the lies `lantau proposer --inject-fault KIND` posts and then
defends, and the one `lantau challenger --dishonest` disputes correct outputs with. Each lie is a
`LyingTrace`: the node's trace with the lie in it, played by the same player as the truth
(`prover.dispute_player`), so a liar defends its lie move by move down to the leaf, where L1
decides (docs/fault-proofs.md, "Fault injection").

    state-root            the state root after the block's last transaction (and so its output)
    tx-result             the state root after the block's first transaction and every one after
    block-hash            the block hash in the output root (every state root right)
    message-passer-root   the message passer's storage root: a forged withdrawal (`forged_withdrawal`)
                          that the L2 never sent, provable against the lying output

Not injectable yet: the input faults (a forged or dropped deposit, a transaction no batch carried,
a skipped forced-inclusion block): the game's input leaf waits for the L1 input oracle (issue 15).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import rlp
from eth_typing import Hash32
from eth_utils import keccak, to_checksum_address
from trie import HexaryTrie

from bridge.withdrawal import WithdrawalTransaction
from prover.errors import FaultInjectionRefused
from node.output_root import output_root, versioned_nonce
from prover.dispute_block import DisputeBlock
from prover.dispute_trace import Trace
from prover.step_call import StepCall


class FaultKind(str, Enum):
    STATE_ROOT = "state-root"
    TX_RESULT = "tx-result"
    BLOCK_HASH = "block-hash"
    MESSAGE_PASSER_ROOT = "message-passer-root"


#: A devnet's L1 chain id (anvil's, `bridge.anvil.AnvilOptions`): the only L1 a lie may be posted to.
DEVNET_L1_CHAIN_IDS = frozenset({900, 31337})


def check_devnet(l1_chain_id: int) -> None:
    if l1_chain_id not in DEVNET_L1_CHAIN_IDS:
        raise FaultInjectionRefused(
            f"fault injection is for devnets only (L1 chain id {sorted(DEVNET_L1_CHAIN_IDS)}), this L1 is chain {l1_chain_id}")


@dataclass(frozen=True, slots=True)
class ForgedWithdrawal:
    """A withdrawal the L2 never sent, and the message passer storage that would hold it."""

    withdrawal: WithdrawalTransaction
    storage_root: Hash32
    storage_proof: tuple[bytes, ...]


def forged_withdrawal(target: str, value_wei: int = 1_000 * 10**18) -> ForgedWithdrawal:
    """A withdrawal of `value_wei` L2 HKD to `target` on L1, sent by nobody: the only entry of a
    forged message passer storage trie (`sentMessages[hash] = true`)."""
    withdrawal = WithdrawalTransaction(nonce=versioned_nonce(2**32), sender=to_checksum_address(target),
                                       target=to_checksum_address(target), value=value_wei, gas_limit=100_000, data=b"")
    trie = HexaryTrie({})
    key = keccak(withdrawal.storage_slot)
    trie[key] = rlp.encode(1)
    nodes = tuple(n for i, n in enumerate(rlp.encode(x) for x in trie.get_proof(key)) if i == 0 or len(n) >= 32)
    return ForgedWithdrawal(withdrawal, Hash32(trie.root_hash), nodes)


def _fake(kind: str, *parts: object) -> bytes:
    return keccak(b"lantau fault " + kind.encode() + b"".join(str(p).encode() for p in parts))


class LyingTrace:
    """`inner` with a lie of `kind` about L2 block `block` (every other block true); a `block` of
    None lies about every block's output root (`lantau challenger --dishonest`)."""

    def __init__(self, inner: Trace, kind: FaultKind | None, block: int | None, *, forged_target: str | None = None) -> None:
        self.inner, self.kind, self.lie_block = inner, kind, block
        self.forged = forged_withdrawal(forged_target) if kind is FaultKind.MESSAGE_PASSER_ROOT and forged_target else None

    def _lies_about(self, number: int) -> bool:
        return self.lie_block is None or number == self.lie_block

    def safe_l2_number(self) -> int:
        return self.inner.safe_l2_number()

    def block(self, number: int) -> DisputeBlock:
        return self.inner.block(number)

    def transaction_step(self, number: int, index: int) -> StepCall:
        return self.inner.transaction_step(number, index)

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        roots = self.inner.state_roots(number)
        if not self._lies_about(number) or self.kind not in (FaultKind.STATE_ROOT, FaultKind.TX_RESULT):
            return roots
        first = len(roots) - 1 if self.kind is FaultKind.STATE_ROOT else 0
        return tuple(root if k < first else _fake(self.kind.value, number, k) for k, root in enumerate(roots))

    def output_root(self, number: int) -> bytes:
        if not self._lies_about(number):
            return self.inner.output_root(number)
        b = self.inner.block(number)
        if self.kind is None:  # the dishonest challenger: every output "is" another one
            return _fake("dishonest", number)
        if self.kind in (FaultKind.STATE_ROOT, FaultKind.TX_RESULT):
            return bytes(output_root(Hash32(self.state_roots(number)[-1]), b.withdrawal_storage_root, b.block_hash))
        if self.kind is FaultKind.BLOCK_HASH:
            return bytes(output_root(b.state_root, b.withdrawal_storage_root, Hash32(_fake("block-hash", number))))
        passer_root = self.forged.storage_root if self.forged else Hash32(_fake("passer", number))
        return bytes(output_root(b.state_root, passer_root, b.block_hash))
