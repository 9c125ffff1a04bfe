"""One player's answers in an `OutputDisputeGame` (docs/fault-proofs.md, "The game"): OP's
honest-actor rule played over the player's own trace (`prover.dispute_trace`).

The player takes the side of the root claim it agrees with: the defender's (the proposer's
output is its own) or the challengers'. It answers every claim of the other side whose parent is
a claim of its side that it agrees with: a claim it disagrees with is attacked, one it agrees with
is defended (the disagreement lies after it); the root and a block subgame's root can only be
attacked. Crossing the split, the move is `moveToBlock`, naming the block's inputs. A leaf is
countered by a step: an attack step if the player disagrees with the leaf (re-execute transaction
k from the root at k-1), a defend step if it agrees (re-execute transaction k+1 from the leaf's
root); trace index T-1 is decided by `stepFinish` (the output root recomputed from its parts).

A block subgame's root names the block's inputs (`BlockInputsNamed`: its transactions and its
timestamp). When the other side's named inputs are not the ones the player's own node derived for
that block, the player counters
that root by the input leaf (`InputStep`: `stepInput`, L1's `InputOracle` decides from L1's
commitments) instead of bisecting under it; if L1 refuses that step (the oracle finds no rule
broken, e.g. a lie about the L1-info deposit it cannot open), the player bisects as before.

Positions are OP's generalized indices (`LibPosition`): depth = bit length - 1, and the trace
index of position p at depth d, for a tree of depth D, is that of its right-most leaf.
"""

from __future__ import annotations

from collections.abc import Mapping, Set
from dataclasses import dataclass

from bridge.l1_contract_clients import Claim, GameInfo
from prover.dispute_trace import Trace


def depth(position: int) -> int:
    return position.bit_length() - 1


def trace_index(position: int, max_depth: int) -> int:
    """OP's `LibPosition.traceIndex`: the index of the right-most leaf under `position`."""
    rem = max_depth - depth(position)
    return ((position << rem) | ((1 << rem) - 1)) - (1 << max_depth)


@dataclass(frozen=True, slots=True)
class GameShape:
    split_depth: int
    max_depth: int
    trace_length: int  # T: transactions 0..T-2 of a block, then its output root at T-1
    starting_block: int  # the agreed L2 block before the disputed span

    @classmethod
    def of(cls, info: GameInfo) -> "GameShape":
        return cls(info.split_depth, info.max_depth, info.trace_length, info.starting_block_number)

    def block_of(self, position: int) -> int:
        """The L2 block a position commits to: above the split, by its trace index among the
        span's blocks; below, the block of its subgame (whose root sits at an even index)."""
        if depth(position) <= self.split_depth:
            return self.starting_block + trace_index(position, self.split_depth) + 1
        root = position >> (depth(position) - self.split_depth - 1)
        return self.starting_block + (root - (1 << (self.split_depth + 1))) // 2 + 1

    def block_trace_index(self, position: int) -> int:
        """k in the block's trace of a position below the split."""
        return trace_index(position, self.max_depth) % self.trace_length

    def value(self, trace: Trace, position: int) -> bytes:
        """What `trace` claims at `position`."""
        number = self.block_of(position)
        if depth(position) <= self.split_depth:
            return trace.output_root(number)
        k = self.block_trace_index(position)
        if k == self.trace_length - 1:
            return trace.output_root(number)
        claims = trace.claims(number)
        return claims[min(k, len(claims) - 1)]  # past the last transaction: padding, its claim


@dataclass(frozen=True, slots=True)
class Move:
    parent: Claim
    value: bytes
    is_attack: bool
    block_number: int | None = None  # set for `moveToBlock`: the block whose inputs it names

    @property
    def position(self) -> int:
        return 2 * self.parent.position if self.is_attack else 2 * (self.parent.position + 1)


@dataclass(frozen=True, slots=True)
class Step:
    leaf: Claim
    is_attack: bool
    block_number: int
    tx_index: int  # k: the transaction re-executed, or T-1 for the finish leaf


@dataclass(frozen=True, slots=True)
class InputStep:
    """`stepInput` on a block subgame's root whose named inputs are not the player's."""

    root: Claim
    block_number: int
    inputs: tuple[tuple[bytes, ...], int]  # what the root named (txHashes, timestamp)


Action = Move | Step | InputStep

#: Block inputs as a game publishes them: (txHashes, timestamp).
NamedInputs = tuple[tuple[bytes, ...], int]


def is_defender(info: GameInfo, trace: Trace) -> bool:
    """Whether the player sides with the proposer's output (the root claim)."""
    return trace.output_root(info.l2_block_number) == info.root_claim


def disputes_inputs(trace: Trace, number: int, named: NamedInputs) -> bool:
    """Whether the player's own block `number` has other transactions or another timestamp than
    `named` says."""
    block = trace.block(number)
    return (tuple(bytes(h) for h in block.tx_hashes), block.timestamp) != (tuple(named[0]), named[1])


def _block_root(claims: tuple[Claim, ...], claim: Claim, split_depth: int) -> int:
    """The index of the block subgame root (depth split + 1) `claim` is in or is."""
    while claim.depth > split_depth + 1:
        claim = claims[claim.parent_index]
    return claim.index


def responses(info: GameInfo, claims: tuple[Claim, ...], trace: Trace, named_inputs: Mapping[int, NamedInputs] | None = None,
              input_refused: Set[int] = frozenset(), input_countered: Set[int] = frozenset()) -> list[Action]:
    """Every move and step the player owes the game now, given its claims so far. `named_inputs`:
    the inputs each block subgame root named (claim index -> inputs); `input_refused`: the roots
    whose input step L1 refused (bisected instead); `input_countered`: the roots countered by the
    input leaf, under which nothing is owed (the root's resolution ignores its subgame)."""
    shape = GameShape.of(info)
    defender = is_defender(info, trace)
    my_parity = 0 if defender else 1
    existing = {(c.parent_index, c.position, c.value) for c in claims}
    actions: list[Action] = []
    for claim in claims:
        if claim.depth % 2 == my_parity:
            continue  # my side's claim: the other side answers it
        if claim.depth > info.split_depth and _block_root(claims, claim, info.split_depth) in input_countered:
            continue  # decided by the input leaf: its subgame no longer matters
        if claim.index != 0:
            parent = claims[claim.parent_index]
            if parent.index != 0 and shape.value(trace, parent.position) != parent.value:
                continue  # it counters a claim of my side that I do not hold: not mine to defend
        agree = shape.value(trace, claim.position) == claim.value
        named = (named_inputs or {}).get(claim.index)
        if claim.depth == info.split_depth + 1 and named is not None and claim.index not in input_refused:
            number = shape.block_of(claim.position)
            if disputes_inputs(trace, number, named):
                actions.append(InputStep(claim, number, named))
                continue
        if claim.depth == info.max_depth:
            if claim.countered_by == "0x0000000000000000000000000000000000000000":
                k = shape.block_trace_index(claim.position) + (0 if not agree else 1)
                if k < info.trace_length:
                    actions.append(Step(claim, not agree, shape.block_of(claim.position), k))
            continue
        is_attack = not agree or claim.index == 0 or claim.depth == info.split_depth + 1
        if not is_attack and (claim.position + 1) & claim.position == 0:
            continue  # the right-most position of its depth has nothing after it to defend
        move = Move(claim, b"", is_attack)
        child = move.position
        value = shape.value(trace, child)
        block = shape.block_of(child) if depth(child) == info.split_depth + 1 else None
        if (claim.index, child, value) not in existing:
            actions.append(Move(claim, value, is_attack, block))
    return actions
