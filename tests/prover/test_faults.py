"""The lies of fault injection (prover/faults.py) over a fixed trace, the forged withdrawal's
proof, and the refusal to inject anywhere but a devnet."""

from __future__ import annotations

import rlp
import pytest
from eth_typing import Hash32
from eth_utils import keccak
from trie import HexaryTrie

from node.output_root import output_root
from prover.dispute_block import DisputeBlock
from prover.faults import FaultInjectionRefused, FaultKind, LyingTrace, check_devnet, forged_withdrawal

ROOTS = tuple(Hash32(bytes([i]) * 32) for i in (1, 2, 3))
BLOCK = DisputeBlock(number=8, output_root=output_root(ROOTS[-1], Hash32(b"\x0a" * 32), Hash32(b"\x0b" * 32)),
                     state_root=ROOTS[-1], withdrawal_storage_root=Hash32(b"\x0a" * 32), block_hash=Hash32(b"\x0b" * 32),
                     state_roots=ROOTS, tx_hashes=(), context_hashes=(), header=b"", passer_proof=())
OTHER = DisputeBlock(**{**{f: getattr(BLOCK, f) for f in BLOCK.__slots__}, "number": 7, "output_root": Hash32(b"\x07" * 32)})


class FixedTrace:
    """Blocks 7 and 8; block 8 has three transactions."""

    def safe_l2_number(self) -> int:
        return 8

    def block(self, number: int) -> DisputeBlock:
        return {7: OTHER, 8: BLOCK}[number]

    def output_root(self, number: int) -> bytes:
        return bytes(self.block(number).output_root)

    def state_roots(self, number: int) -> tuple[bytes, ...]:
        return tuple(self.block(number).state_roots)

    def transaction_step(self, number: int, index: int):  # noqa: ANN201 (not used by the lies)
        raise AssertionError("no step here")


@pytest.mark.parametrize("kind, lied_roots", [(FaultKind.STATE_ROOT, {2}), (FaultKind.TX_RESULT, {0, 1, 2}),
                                              (FaultKind.BLOCK_HASH, set()), (FaultKind.MESSAGE_PASSER_ROOT, set())])
def test_each_lie_changes_exactly_what_it_names(kind: FaultKind, lied_roots: set[int]) -> None:
    liar = LyingTrace(FixedTrace(), kind, 8, forged_target="0x" + "55" * 20)
    roots = liar.state_roots(8)
    assert {k for k in range(3) if roots[k] != ROOTS[k]} == lied_roots
    assert liar.output_root(8) != BLOCK.output_root
    assert liar.output_root(7) == OTHER.output_root and liar.state_roots(7) == ROOTS  # other blocks are true
    if kind in (FaultKind.STATE_ROOT, FaultKind.TX_RESULT):  # the output follows the lying state root
        assert liar.output_root(8) == output_root(Hash32(roots[-1]), BLOCK.withdrawal_storage_root, BLOCK.block_hash)
    if kind is FaultKind.MESSAGE_PASSER_ROOT:
        forged = forged_withdrawal("0x" + "55" * 20)
        assert liar.output_root(8) == output_root(BLOCK.state_root, forged.storage_root, BLOCK.block_hash)


def test_the_dishonest_trace_makes_up_every_output_and_keeps_every_state_root() -> None:
    liar = LyingTrace(FixedTrace(), None, None)
    assert liar.output_root(7) != OTHER.output_root and liar.output_root(8) != BLOCK.output_root
    assert liar.state_roots(8) == ROOTS


def test_the_forged_withdrawal_is_proven_by_its_storage_root() -> None:
    forged = forged_withdrawal("0x" + "55" * 20, value_wei=10**21)
    value = HexaryTrie.get_from_proof(forged.storage_root, keccak(forged.withdrawal.storage_slot),
                                      [rlp.decode(node) for node in forged.storage_proof])
    assert value == rlp.encode(1)  # sentMessages[hash] = true
    assert forged.withdrawal.value == 10**21 and forged.withdrawal.target == forged.withdrawal.sender


def test_fault_injection_is_refused_outside_a_devnet() -> None:
    check_devnet(900)
    with pytest.raises(FaultInjectionRefused, match="chain 1"):
        check_devnet(1)
