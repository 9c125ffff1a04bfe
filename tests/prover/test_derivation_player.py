"""The derivation bisection's player (prover/derivation_player.py) played against itself over two
traces, and the `derivation-end` lie (prover/faults.py) over a fixed trace."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest
from eth_typing import Hash32
from eth_utils import keccak

from bridge.l1_contract_clients import NO_ADDRESS, BisectionInfo, Claim
from node.derive.derivation_commitment import state_commitment
from node.output_root import output_root
from prover.derivation_player import BisectionMove, BisectionStep, bisection_responses, opening_value
from prover.dispute_block import DerivationCommitments, DerivationEnd, DisputeBlock
from prover.faults import DishonestLie, FaultInjectionRefused, FaultKind, LyingTrace

DEPTH = 4  # 16 trace indices; leaves at an even depth, the root side's (as the devnet's 6)
FIRST, LAST = 100, 104  # S .. E: 5 real L1 blocks, indices 5..15 padding
HONEST_SIDE, LIAR_SIDE = "0x" + "aa" * 20, "0x" + "bb" * 20


def trace_with(found_at: int, end: bytes) -> DerivationCommitments:
    """Distinct commitments before `found_at`, `end` from there (the state no longer changes)."""
    return DerivationCommitments(FIRST, LAST, tuple(keccak(b"c%d" % i) if i < found_at else end for i in range(LAST - FIRST + 1)))


def play_out(honest: DerivationCommitments, liar: DerivationCommitments, *, liar_opens: bool = False) -> BisectionStep:
    """The liar's root (its end) and the honest opener's first claim (with `liar_opens`: the honest
    root and the liar's first claim), then both sides answer by `bisection_responses` until the
    opener owes a step (the leaves are the root side's: depth 4 is even); that step."""
    info = BisectionInfo(b"\x01" * 32, "0x" + "00" * 20, 4, FIRST, LAST, 16, b"\x02" * 32, 0)
    sides = {HONEST_SIDE: honest, LIAR_SIDE: liar}
    root_side, opener = (HONEST_SIDE, LIAR_SIDE) if liar_opens else (LIAR_SIDE, HONEST_SIDE)
    claims = [Claim(0, 2**32 - 1, NO_ADDRESS, root_side, 0, sides[root_side].commitments[-1], 1, 0, 0),
              Claim(1, 0, NO_ADDRESS, opener, 0, opening_value(sides[opener], DEPTH), 2, 0, 0)]
    mover = root_side
    for _ in range(2 * DEPTH):
        actions = bisection_responses(info, tuple(claims), sides[mover], DEPTH)
        steps = [a for a in actions if isinstance(a, BisectionStep)]
        if steps:
            assert mover == opener and len(steps) == 1
            return steps[0]
        (move,) = actions
        assert isinstance(move, BisectionMove)
        claims.append(Claim(len(claims), move.parent.index, NO_ADDRESS, mover, 0, move.value, move.position, 0, 0))
        mover = HONEST_SIDE if mover == LIAR_SIDE else LIAR_SIDE
    raise AssertionError("nobody stepped")


@pytest.mark.parametrize("found_at", [0, 1, 2, 3, 4])
def test_the_honest_side_steps_at_the_l1_block_where_the_batch_is_found(found_at: int) -> None:
    """The liar's trace is the truth's up to the L1 block where node finds the batch and its false
    end from there; whatever that block, the bisection ends with the honest side's step over it
    (S + found_at): an attack from the claim before, or a defend from the agreed leaf before it."""
    honest = trace_with(found_at, keccak(b"the true end"))
    false_end = keccak(b"found = 0")
    liar = dataclasses.replace(honest, commitments=(*honest.commitments[:found_at], *(false_end,) * (5 - found_at)))
    step = play_out(honest, liar)
    assert step.l1_block == FIRST + found_at
    assert step.leaf.claimant == LIAR_SIDE and step.leaf.position.bit_length() - 1 == DEPTH


class _CommitmentsOnly:
    """A trace whose block 8's derivation ends at `commitments`' last (bank and queue 0)."""

    def __init__(self, commitments: DerivationCommitments) -> None:
        self.commitments = commitments

    def derivation_commitments(self, number: int) -> DerivationCommitments:
        return self.commitments

    def derivation_end(self, number: int) -> DerivationEnd:
        return DerivationEnd(bytes(32), bytes(32), self.commitments.commitments[-1])


@pytest.mark.parametrize("found_at", [0, 1, 2, 3, 4])
def test_a_dishonest_opener_owes_the_step_at_the_l1_block_where_the_batch_is_found(found_at: int) -> None:
    """`--dishonest --lie derivation-end` against an honest block claim: the liar opens with a trace
    that parts from the truth where node finds the batch; the bisection ends at the honest side's
    leaf (the root side's) over that L1 block, the step the liar owes there reruns the real block
    from the agreed claim before (`DerivationStep` then computes the honest leaf: `ValidStep`)."""
    honest = trace_with(found_at, keccak(b"the true end"))
    made_up = LyingTrace(_CommitmentsOnly(honest), None, None, dishonest=DishonestLie.DERIVATION_END)
    liar = made_up.derivation_commitments(8)
    assert liar.commitments[:found_at] == honest.commitments[:found_at] and liar.commitments[-1] != honest.commitments[-1]
    step = play_out(honest, liar, liar_opens=True)
    assert step.l1_block == FIRST + found_at
    assert step.leaf.claimant == HONEST_SIDE and step.leaf.position.bit_length() - 1 == DEPTH


def test_a_dishonest_opener_changing_the_end_past_e_owes_the_step_in_the_padding() -> None:
    """Against an honest block claim, a liar agreeing at every real L1 block and changing past E
    meets the honest side's leaf at E or past it: the step it owes reads no L1 block (past E the
    state does not change, so L1 computes the honest leaf again: `ValidStep`)."""
    honest = trace_with(5, b"")
    step = play_out(honest, DerivationCommitments(FIRST, LAST, honest.commitments + (keccak(b"a change past E"),)), liar_opens=True)
    assert step.l1_block == LAST + 1 and step.leaf.claimant == HONEST_SIDE


def test_an_end_changed_in_the_padding_is_stepped_in_the_padding() -> None:
    """A liar agreeing at every real L1 block and changing past E is countered by a step past E
    (where the state does not change: no L1 block is read)."""
    honest = trace_with(5, b"")
    liar_end = keccak(b"a change past E")
    # the liar's root differs; its claims at real blocks agree: only the padding differs
    step = play_out(honest, DerivationCommitments(FIRST, LAST, honest.commitments + (liar_end,)))
    assert step.l1_block == LAST + 1


def test_the_opener_owes_nothing_against_its_own_claim_and_the_root_side_attacks_it() -> None:
    """After `open` the opener's claim at depth 1 is the newest: the opener owes nothing; the root
    side, whose end differs (so does its claim at index 2^(D-1) - 1, past E: the end), attacks it."""
    honest = trace_with(2, keccak(b"end"))
    info = BisectionInfo(b"\x01" * 32, "0x" + "00" * 20, 4, FIRST, LAST, 16, b"\x02" * 32, 0)
    claims = (Claim(0, 2**32 - 1, NO_ADDRESS, LIAR_SIDE, 0, keccak(b"other end"), 1, 0, 0),
              Claim(1, 0, NO_ADDRESS, HONEST_SIDE, 0, opening_value(honest, DEPTH), 2, 0, 0))
    assert opening_value(honest, DEPTH) == keccak(b"end")  # index 7: past E, the end
    assert bisection_responses(info, claims, honest, DEPTH) == []
    root_side = DerivationCommitments(FIRST, LAST, honest.commitments[:4] + (keccak(b"other end"),))
    (attack,) = bisection_responses(info, claims, root_side, DEPTH)
    assert isinstance(attack, BisectionMove) and attack.is_attack and attack.parent.index == 1 and attack.position == 4
    assert attack.value == root_side.commitments[3]  # position 4: index 3


DEPOSIT, USER = b"\x7e" + b"\x01" * 10, b"\x02" + b"\x03" * 10
ROOTS = tuple(Hash32(bytes([i]) * 32) for i in (1, 2, 3))
TRUE_END = DerivationEnd(b"\x0b" * 32, b"\x0c" * 32, b"\x0f" * 32)


class BatchedTrace:
    """Block 8: the L1-info deposit, a user deposit, a user transaction; its batch found at index 2 of 4."""

    def __init__(self, found: bytes = TRUE_END.found, txs: tuple[bytes, ...] = (DEPOSIT, DEPOSIT, USER)) -> None:
        self.end, self.txs = dataclasses.replace(TRUE_END, found=found), txs
        self.block_8 = DisputeBlock(
            number=8, output_root=output_root(ROOTS[-1], Hash32(b"\x0a" * 32), Hash32(b"\x0b" * 32)), state_root=ROOTS[-1],
            withdrawal_storage_root=Hash32(b"\x0a" * 32), block_hash=Hash32(b"\x0b" * 32), state_roots=ROOTS,
            tx_hashes=tuple(Hash32(keccak(t)) for t in txs), timestamp=1_700_000_000, header=b"", passer_proof=(),
            accumulators=())

    def block(self, number: int) -> DisputeBlock:
        return self.block_8

    def transaction_step(self, number: int, index: int) -> SimpleNamespace:
        return SimpleNamespace(transaction=self.txs[index])

    def derivation_end(self, number: int) -> DerivationEnd:
        return self.end

    def derivation_commitments(self, number: int) -> DerivationCommitments:
        return DerivationCommitments(50, 53, (keccak(b"0"), keccak(b"1"), self.end.commitment(), self.end.commitment()))


def test_a_derivation_end_lie_names_the_deposits_alone_and_no_batch() -> None:
    liar = LyingTrace(BatchedTrace(), FaultKind.DERIVATION_END, 8)
    lie = liar.block(8)
    assert lie.tx_hashes == BatchedTrace().block_8.tx_hashes[:2] and lie.state_roots == ROOTS[:2]
    assert liar.output_root(8) == output_root(ROOTS[1], Hash32(b"\x0a" * 32), lie.block_hash) != BatchedTrace().block_8.output_root
    end = liar.derivation_end(8)
    assert (end.bank_hash, end.queue_hash, end.found) == (TRUE_END.bank_hash, TRUE_END.queue_hash, bytes(32))
    assert end.commitment() == state_commitment(Hash32(TRUE_END.bank_hash), Hash32(TRUE_END.queue_hash), Hash32(bytes(32)))
    assert liar.derivation_commitments(8).commitments == (keccak(b"0"), keccak(b"1"), end.commitment(), end.commitment())
    assert liar.derivation_end(7) == TRUE_END  # every other block true


@pytest.mark.parametrize("trace, message", [
    (BatchedTrace(found=bytes(32)), "derivation found no batch for L2 block 8"),
    (BatchedTrace(txs=(DEPOSIT, DEPOSIT)), "L2 block 8 has no user transaction"),
])
def test_a_derivation_end_lie_is_refused_where_found_0_is_the_truth(trace: BatchedTrace, message: str) -> None:
    liar = LyingTrace(trace, FaultKind.DERIVATION_END, 8)
    with pytest.raises(FaultInjectionRefused, match=message):
        liar.output_root(8)
    with pytest.raises(FaultInjectionRefused, match=message):
        liar.derivation_end(8)
    assert trace.derivation_end(8) == trace.end  # nothing changed in the trace lied about


def test_the_dishonest_challengers_derivation_lie_parts_from_node_where_the_batch_is_found() -> None:
    """`lantau challenger --dishonest --lie derivation-end`: every block's derivation trace is
    node's up to the L1 block where node's state reaches its end and a made-up end from there
    (node's bank and queue, another `found`); its output roots are made up, its blocks node's
    (its steps under a block claim would show the truth). Plain `--dishonest` lies about no
    derivation."""
    inner = BatchedTrace()
    liar = LyingTrace(inner, None, None, dishonest=DishonestLie.DERIVATION_END)
    end = liar.derivation_end(8)
    assert (end.bank_hash, end.queue_hash) == (TRUE_END.bank_hash, TRUE_END.queue_hash)
    assert end.found not in (TRUE_END.found, bytes(32))
    assert liar.derivation_commitments(8).commitments == (keccak(b"0"), keccak(b"1"), end.commitment(), end.commitment())
    assert liar.block(8) == inner.block_8 and liar.output_root(8) != inner.block_8.output_root
    plain = LyingTrace(inner, None, None)
    assert plain.derivation_end(8) == TRUE_END and plain.derivation_commitments(8) == inner.derivation_commitments(8)
