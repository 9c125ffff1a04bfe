"""One player's answers in a `DerivationBisection` (docs/fault-proofs.md, "The game's level"): OP's
honest-actor rule over the player's own derivation trace, the commitment after each L1 block of
the disputed block's range S .. E (`Trace.derivation_commitments`, node's `lantau_derivationTrace`).

A bisection disputes a block claim's `derivationEnd`; its root is that value, at position 1
(trace index 2^D - 1: past E, where the state no longer changes, so the end). The player sides
with the root iff the root is its own end. It opens a bisection against a block claim whose
`derivationEnd` is not its own (`Open`: its commitment at the middle, depth 1), answers every
claim of the other side whose parent it holds (attack what it disagrees with, defend what it
agrees with), and at depth D steps against the other side's leaf (`BisectionStep`: attack from
the claim before, defend from the leaf; L1 block S + i through `DerivationStep`, or nothing past E).

`DerivationStepSource` gathers the step's arguments (`prover.derivation_evidence` encodes them)
from the player's own node and L1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from bridge.l1_contract_clients import NO_ADDRESS, BisectionInfo, Claim
from genesis.predeploys import L1_BLOCK
from node.l1_header import encode_l1_header
from prover.derivation_evidence import (
    inbox_data_abi, judges_batches, l1_header_numbers, overlap_needed, state_abi, step_evidence, user_transactions_evidence,
)
from prover.dispute_block import DerivationCommitments
from prover.dispute_player import trace_index
from prover.input_evidence import PARENT_PROOF_ABI, l1_block_slots
from prover.input_step import InputEvidenceSource, l1_origin_of
from prover.step_call import StepCall

#: The root of every bisection (OP's generalized index 1).
ROOT_POSITION = 1


@dataclass(frozen=True, slots=True)
class Open:
    """`DerivationBisection.open` against block claim `block_claim` of block `block_number`."""

    block_claim: int
    block_number: int
    value: bytes  # the opener's commitment at depth 1


@dataclass(frozen=True, slots=True)
class BisectionMove:
    parent: Claim
    value: bytes
    is_attack: bool

    @property
    def position(self) -> int:
        return 2 * self.parent.position if self.is_attack else 2 * (self.parent.position + 1)


@dataclass(frozen=True, slots=True)
class BisectionStep:
    leaf: Claim
    is_attack: bool
    l1_block: int  # the L1 block the step runs: S + i (attack) or S + i + 1 (defend); past E: padding


def value_at(trace: DerivationCommitments, position: int, max_depth: int) -> bytes:
    """What `trace` claims at `position`: the commitment after L1 block S + its trace index."""
    return trace.at(trace_index(position, max_depth))


def bisection_responses(info: BisectionInfo, claims: tuple[Claim, ...], trace: DerivationCommitments,
                        max_depth: int) -> list[BisectionMove | BisectionStep]:
    """Every move and step the player owes the bisection now, given its claims so far."""
    mine_is_root = value_at(trace, ROOT_POSITION, max_depth) == claims[0].value
    my_parity = 0 if mine_is_root else 1
    existing = {(c.parent_index, c.position, c.value) for c in claims}
    actions: list[BisectionMove | BisectionStep] = []
    for claim in claims:
        if claim.depth % 2 == my_parity:
            continue  # my side's claim: the other side answers it
        if claim.index != 0:
            parent = claims[claim.parent_index]
            if parent.index != 0 and value_at(trace, parent.position, max_depth) != parent.value:
                continue  # it counters a claim of my side that I do not hold: not mine to defend
        agree = value_at(trace, claim.position, max_depth) == claim.value
        if claim.depth == max_depth:
            if claim.countered_by == NO_ADDRESS:
                index = trace_index(claim.position, max_depth)
                if agree and index == (1 << max_depth) - 1:
                    continue  # the last index's post is the root: nothing after it to defend
                actions.append(BisectionStep(claim, not agree, info.first + index + (1 if agree else 0)))
            continue
        is_attack = not agree or claim.index == 0
        if not is_attack and (claim.position + 1) & claim.position == 0:
            continue  # the right-most position of its depth has nothing after it to defend
        child = 2 * claim.position if is_attack else 2 * (claim.position + 1)
        value = value_at(trace, child, max_depth)
        if (claim.index, child, value) not in existing:
            actions.append(BisectionMove(claim, value, is_attack))
    return actions


def opening_value(trace: DerivationCommitments, max_depth: int) -> bytes:
    """The opener's claim at depth 1 (position 2): the commitment at trace index 2^(D-1) - 1."""
    return value_at(trace, 2, max_depth)


class DerivationStepSource:
    """`DerivationBisection.step`'s (pre, inbox, evidence) for L1 block b of L2 block n's range,
    from the player's own node (`lantau_derivationState`, the parent's proofs) and L1 (the inbox's
    data, headers), as `DerivationStep` reads them (tests/e2e/test_derivation_step.py checks the
    same arguments give node's commitments)."""

    def __init__(self, inputs: InputEvidenceSource) -> None:
        self.inputs = inputs
        self.l1, self.l2 = inputs.l1, inputs.l2

    def parent_proof_bytes(self, number: int) -> bytes:
        """abi.encode(ParentProof) of block `number - 1`: what `open` proves S and E from."""
        return abi_encode([PARENT_PROOF_ABI], [self.inputs.parent_proof(number).as_abi()])

    def step_args(self, number: int, l1_block: int, last: int) -> tuple[tuple[Any, ...], tuple[Any, ...], bytes]:
        """(pre, inbox, evidence) for the step over `l1_block` (past `last`, E: the padding, nothing read)."""
        if l1_block > last:
            return ([], [], bytes(32)), ([], []), b""
        state = self.l2.derivation_state(number, l1_block)
        proof = self.inputs.parent_proof(number)
        origin = self._parent_origin(number)
        headers: list[bytes] = []
        if judges_batches(state) and l1_block >= origin:
            headers = [encode_l1_header(self.l1.w3.eth.get_block(n)) for n in l1_header_numbers(l1_block, origin)]
        parent = self.l2.block(number - 1)
        overlap = overlap_needed(state, number - 1, int(parent["timestamp"], 16), self.inputs.rollup.l2_chain_id)
        below = [number - 2 - k for k in range(max(overlap - 1, 0))]
        ancestors = [encode_l1_header(self.l2.block(n)) for n in below]
        origins = []
        for n in below:
            p = self.l2.proof(to_checksum_address(L1_BLOCK), [hex(l1_block_slots()[0])], n)
            origins.append(([bytes.fromhex(x[2:]) for x in p["accountProof"]],
                            [bytes.fromhex(x[2:]) for x in p["storageProof"][0]["proof"]]))
        inbox = self.inputs.inbox_blocks(l1_block, l1_block)
        items, shown = (inbox[0].items, inbox[0].shown) if inbox else ([], [])
        user_txs = [self._user_transactions(n) for n in range(number - 1, number - 1 - overlap, -1)]
        return state_abi(state), inbox_data_abi(items, shown), step_evidence(proof, headers, ancestors, origins, user_txs)

    def _user_transactions(self, number: int) -> bytes:
        """`user_transactions_evidence` of L2 block `number`, from its raw transactions as the node serves them."""
        raws = [bytes.fromhex(raw[2:]) for raw in self.l2.dispute_block(number)["rawTransactions"]]
        return user_transactions_evidence(raws, bytes.fromhex(self.l2.block(number)["transactionsRoot"][2:]))

    def _parent_origin(self, number: int) -> int:
        """The parent's L1 origin number (at L2 genesis: the rollup's start block)."""
        if number == 1:
            return self.inputs.rollup.l1_start_block
        return l1_origin_of(StepCall.from_rpc(self.l2.tx_witness(number - 1, 0)).transaction, number - 1).number
