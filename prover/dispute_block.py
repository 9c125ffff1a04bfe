"""What a dispute game needs to know of one L2 block (docs/fault-proofs.md, "The game"), computed
by the node that holds the block and served as `lantau_disputeBlock(blockNumber)`:

    outputRoot, stateRoot, withdrawalStorageRoot, blockHash   the block's output and its parts
                                                              (`OutputRootLib.OutputRootProof`)
    stateRoots      the state root after each transaction
    accumulators    abi.encode(`BlockAccumulator.Acc`) after each transaction: the trace's claims
                    below the split are their hashes (`prover.block_accumulator`)
    rawTransactions, rawReceipts   the trie values of the block's transactions and receipts
                    (a step's trie witness, `prover.block_accumulator.step_witness`)
    txHashes        keccak256 of each raw transaction   } `OutputDisputeGame.BlockInputs`: what a
    timestamp       the block's timestamp                } block claim names (`inputsHash`); every
                    other field of a transaction's context the game derives from agreed data
    header          the block header's RLP (`stepFinish`; a child's step shows it as its parent's)
    passerProof     the message passer's account proof in the final state (`stepFinish`)

The state roots come from re-executing the block (`prover.witness.intermediate_state_roots`),
off the hot path like every witness.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import rlp
from eth_typing import Hash32
from eth_utils import keccak
from trie import HexaryTrie

from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.chain import Chain
from node.derive.derivation_commitment import state_commitment
from node.errors import BlockNotFound
from node.outputs import output_at_block
from prover.block_accumulator import NO_STAGED_POST, Acc, accumulators, initial_acc, step_witness
from prover.errors import WitnessError
from prover.witness import intermediate_state_roots

if TYPE_CHECKING:
    from node.rpc.context import RpcMethod


@dataclass(frozen=True, slots=True)
class DerivationEnd:
    """Derivation's state after the last L1 block of a block's range (node/derive/
    derivation_commitment.py): the channel bank's and batch queue's hashes and `found`, the batch
    derivation takes for the block (zero: none, the forced deposit-only block). A block claim names
    its `commitment()` (`moveToBlock`'s `derivationEnd`); `stepInput` shows the three
    (`OutputDisputeGame.DerivationEnd`), and the oracle takes the batch `found` names."""

    bank_hash: bytes
    queue_hash: bytes
    found: bytes

    def commitment(self) -> bytes:
        return bytes(state_commitment(Hash32(self.bank_hash), Hash32(self.queue_hash), Hash32(self.found)))

    def abi_tuple(self) -> tuple[bytes, bytes, bytes]:
        return (self.bank_hash, self.queue_hash, self.found)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "DerivationEnd":
        """From `lantau_derivationEnd`'s answer (node/rpc/rollup.py: bankHash, queueHash, found; 0x-hex)."""
        return cls(*(bytes.fromhex(str(raw[k])[2:]) for k in ("bankHash", "queueHash", "found")))


@dataclass(frozen=True, slots=True)
class DerivationCommitments:
    """Derivation's commitment after each L1 block of a block's range S .. E (`lantau_derivationTrace`):
    what `DerivationBisection` bisects over."""

    first: int  # S
    last: int  # E
    commitments: tuple[bytes, ...]  # after S, S + 1, ..., E

    def at(self, index: int) -> bytes:
        """The commitment at trace index `index` (L1 block S + index); past E the state does not change."""
        return self.commitments[min(index, len(self.commitments) - 1)]

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "DerivationCommitments":
        return cls(int(raw["first"]), int(raw["last"]), tuple(bytes.fromhex(str(c)[2:]) for c in raw["commitments"]))


#: A chain with no L1 (contract tests, bench) has no batch for any block: the empty state.
NO_L1_DERIVATION_END = DerivationEnd(bytes(32), bytes(32), bytes(32))


@dataclass(frozen=True, slots=True)
class DisputeBlock:
    number: int
    output_root: Hash32
    state_root: Hash32
    withdrawal_storage_root: Hash32
    block_hash: Hash32
    state_roots: tuple[Hash32, ...]  # after each transaction
    tx_hashes: tuple[Hash32, ...]
    timestamp: int
    header: bytes  # RLP
    passer_proof: tuple[bytes, ...]  # the message passer's account proof against state_root
    accumulators: tuple[bytes, ...] = ()  # abi.encode(Acc) after each transaction
    raw_transactions: tuple[bytes, ...] = ()
    raw_receipts: tuple[bytes, ...] = ()

    def accs(self) -> tuple[Acc, ...]:
        return tuple(Acc.decode(a) for a in self.accumulators)

    def claims(self) -> tuple[bytes, ...]:
        """The trace's claims after each transaction (keccak256 of each `Acc`)."""
        return tuple(keccak(a) for a in self.accumulators)

    def acc_before(self, index: int, parent_state_root: bytes) -> Acc:
        """The `Acc` a step on transaction `index` starts from (past the last one: the last)."""
        if index == 0:
            return initial_acc(parent_state_root)
        return Acc.decode(self.accumulators[min(index, len(self.accumulators)) - 1])

    def step_tries(self, index: int, staged_post: tuple[Any, ...] = NO_STAGED_POST) -> tuple[Any, ...]:
        """`BlockAccumulator.Tries` of transaction `index` (past the last one: nothing to insert);
        `staged_post`: the `PostState` of a step proven beforehand on L1."""
        if index >= len(self.raw_transactions):
            return [], [], b"", NO_STAGED_POST
        return step_witness(self.raw_transactions, self.raw_receipts, index, staged_post)

    def output_root_proof(self) -> tuple[bytes, bytes, bytes, bytes]:
        """`OutputRootLib.OutputRootProof(version, stateRoot, messagePasserStorageRoot, latestBlockhash)`."""
        return (b"\x00" * 32, self.state_root, self.withdrawal_storage_root, self.block_hash)

    def inputs(self) -> tuple[list[bytes], int]:
        """`OutputDisputeGame.BlockInputs(txHashes, timestamp)`."""
        return list(self.tx_hashes), self.timestamp

    def finish_proof(self, parent_header: bytes) -> tuple[Any, ...]:
        """`BlockFinishLeaf.Finish(passerAccountProof, header, parentHeader)`."""
        return (list(self.passer_proof), self.header, parent_header)

    def inputs_hash(self) -> bytes:
        """`OutputDisputeGame.inputsHash` of the block's inputs."""
        return inputs_hash(self.tx_hashes, self.timestamp)

    def input_leaf(self, index: int) -> tuple[int, bytes, int, list[bytes]]:
        """`OutputDisputeGame.InputLeaf` of transaction `index` (past the last one: padding)."""
        return input_leaf(self.tx_hashes, self.timestamp, index)

    def to_json(self) -> dict[str, Any]:
        def hexed(value: Any) -> Any:
            if isinstance(value, bytes):
                return "0x" + value.hex()
            if isinstance(value, tuple):
                return [hexed(v) for v in value]
            return value

        return {_camel(f.name): hexed(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> "DisputeBlock":
        def unhex(value: Any) -> Any:
            if isinstance(value, str):
                return bytes.fromhex(value.removeprefix("0x"))
            return tuple(unhex(v) for v in value)

        return cls(**{f.name: (int(raw[_camel(f.name)]) if f.name in _INTEGERS else unhex(raw[_camel(f.name)]))
                      for f in dataclasses.fields(cls)})


_INTEGERS = frozenset({"number", "timestamp"})


def _merkle_levels(tx_hashes: Sequence[bytes]) -> list[list[bytes]]:
    """The inputs' Merkle tree, leaves first: the transaction hashes, zero leaves to the next power
    of two, a node keccak256(abi.encode(left, right))."""
    leaves = [bytes(tx) for tx in tx_hashes]
    width = 1
    while width < len(leaves):
        width *= 2
    levels = [leaves + [b"\x00" * 32] * (width - len(leaves))]
    while len(levels[-1]) > 1:
        below = levels[-1]
        levels.append([keccak(below[i] + below[i + 1]) for i in range(0, len(below), 2)])
    return levels


def inputs_hash(tx_hashes: Sequence[bytes], timestamp: int) -> bytes:
    """`OutputDisputeGame.inputsHash`: keccak256(abi.encode(count, Merkle root, timestamp))."""
    root = _merkle_levels(tx_hashes)[-1][0]
    return keccak(len(tx_hashes).to_bytes(32, "big") + root + timestamp.to_bytes(32, "big"))


def input_leaf(tx_hashes: Sequence[bytes], timestamp: int, index: int) -> tuple[int, bytes, int, list[bytes]]:
    """`OutputDisputeGame.InputLeaf(count, txHash, timestamp, branch)` of transaction `index`:
    its branch from the leaf up; past the last transaction, no leaf and the branch [root]."""
    levels = _merkle_levels(tx_hashes)
    count = len(tx_hashes)
    if index >= count:
        return count, b"\x00" * 32, timestamp, [levels[-1][0]]
    branch = [level[(index >> depth) ^ 1] for depth, level in enumerate(levels[:-1])]
    return count, bytes(tx_hashes[index]), timestamp, branch


def dispute_block(chain: Chain, number: int) -> DisputeBlock:
    """`DisputeBlock` of canonical L2 block `number`."""
    try:
        header = chain.header_by_number(number)
    except BlockNotFound as exc:
        raise WitnessError(f"no canonical block {number}") from exc
    output = output_at_block(chain, header)
    raws = chain.raw_transactions(header.hash)
    raw_receipts = chain.raw_receipts(header.hash)
    state_roots = tuple(intermediate_state_roots(chain, header)) if number > 0 else ()
    parent_root = chain.header_by_number(number - 1).state_root if number > 0 else header.state_root
    proof = HexaryTrie(chain.db, header.state_root).get_proof(keccak(L2_TO_L1_MESSAGE_PASSER))
    # The proof as the L1 trie library walks it: the root, then every node referenced by hash
    # (a node under 32 bytes is embedded in its parent, not a proof element of its own).
    nodes = tuple(n for i, n in enumerate(rlp.encode(x) for x in proof) if i == 0 or len(n) >= 32)
    return DisputeBlock(
        number=number,
        output_root=output.output_root,
        state_root=output.state_root,
        withdrawal_storage_root=output.withdrawal_storage_root,
        block_hash=output.block_hash,
        state_roots=state_roots,
        tx_hashes=tuple(Hash32(keccak(raw)) for raw in raws),
        timestamp=int(header.timestamp),
        header=rlp.encode(header),
        passer_proof=nodes,
        accumulators=tuple(acc.encode() for acc in accumulators(parent_root, state_roots, raws, raw_receipts)) if number > 0 else (),
        raw_transactions=tuple(bytes(r) for r in raws),
        raw_receipts=tuple(bytes(r) for r in raw_receipts),
    )


def dispute_rpc_methods(chain: Chain) -> dict[str, "RpcMethod"]:
    """`lantau_disputeBlock(blockNumber)`: `DisputeBlock.to_json` (re-executed in a worker thread)."""
    from node.errors import InvalidParams
    from node.rpc.context import RpcContext, RpcMethod
    from node.rpc.params import Param, parse_uint64

    async def lantau_dispute_block(ctx: RpcContext, block_number: int) -> dict[str, Any]:
        try:
            block = await asyncio.to_thread(dispute_block, chain, block_number)
        except WitnessError as exc:
            raise InvalidParams(str(exc)) from exc
        return block.to_json()

    return {"lantau_disputeBlock": RpcMethod("lantau_disputeBlock", lantau_dispute_block, (Param("blockNumber", parse_uint64),))}


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
