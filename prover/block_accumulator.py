"""What a block's trace claims below the split (docs/fault-proofs.md, "Binding the four fields to
execution"), the Python twin of `BlockAccumulator.sol`.

After transaction k of a block, `Acc` = (stateRoot, cumulativeGasUsed, transactionsRoot,
receiptsRoot, logsBloom): the state root, the gas used by transactions 0..k, the roots of the tries
mapping `rlp(i)` to raw transaction i and to receipt i for i <= k (the node's encodings:
`Chain.raw_transactions`, `Chain.raw_receipts`), and the OR of their blooms. The claim at trace
index k is keccak256(abi.encode(acc)); after the last transaction the acc holds the header's
stateRoot, gasUsed, transactionsRoot, receiptsRoot and logsBloom, which the finish leaf reads.

Both tries grow by one insert per transaction (`HexaryTrie`), as `BlockAccumulator.step` grows them
on L1 from the witness `step_witness` gives (the path of `rlp(k)` in the tries of 0..k-1).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth_abi import decode as abi_decode, encode as abi_encode
from eth_utils import keccak
from trie import HexaryTrie

from prover.trie_witness import trie_witness

#: `BlockAccumulator.Acc` as an ABI type.
ACC_ABI = "(bytes32,uint256,bytes32,bytes32,bytes32[8])"
BLOOM_BYTES = 256
#: `StepTypes.PostState` of a one-call step (`Tries.stagedPost` is read only for a step proven beforehand).
NO_STAGED_POST: tuple[Any, ...] = ([], False, 0, b"\x00" * 32)
_RECEIPT_LOGS = 3  # the logs' place in a receipt's RLP list


@dataclass(frozen=True, slots=True)
class Acc:
    state_root: bytes
    cumulative_gas_used: int
    transactions_root: bytes
    receipts_root: bytes
    logs_bloom: bytes  # 256 bytes

    def abi_tuple(self) -> tuple[Any, ...]:
        """`BlockAccumulator.Acc` as web3 takes it."""
        words = [self.logs_bloom[i:i + 32] for i in range(0, BLOOM_BYTES, 32)]
        return (self.state_root, self.cumulative_gas_used, self.transactions_root, self.receipts_root, words)

    def encode(self) -> bytes:
        return abi_encode([ACC_ABI], [self.abi_tuple()])

    def claim(self) -> bytes:
        """The trace's claim: keccak256(abi.encode(acc))."""
        return keccak(self.encode())

    @classmethod
    def decode(cls, data: bytes) -> "Acc":
        ((state_root, gas, tx_root, receipts_root, words),) = abi_decode([ACC_ABI], data)
        return cls(state_root, gas, tx_root, receipts_root, b"".join(words))


def initial_acc(state_root: bytes) -> Acc:
    """The acc before a block's transaction 0: its parent's state root, nothing else yet."""
    return Acc(state_root, 0, BLANK_ROOT_HASH, BLANK_ROOT_HASH, b"\x00" * BLOOM_BYTES)


def _receipt_fields(raw_receipt: bytes) -> list[Any]:
    """The RLP list of a receipt as a trie holds it (a typed one behind its type byte)."""
    return rlp.decode(raw_receipt[1:] if raw_receipt[0] < 0x80 else raw_receipt)


def receipt_logs_rlp(raw_receipt: bytes) -> bytes:
    """The RLP list of a receipt's logs (what `BlockAccumulator.step` hashes to `logsHash`)."""
    return rlp.encode(_receipt_fields(raw_receipt)[_RECEIPT_LOGS])


def accumulators(parent_state_root: bytes, state_roots: Sequence[bytes], raw_transactions: Sequence[bytes],
                 raw_receipts: Sequence[bytes]) -> tuple[Acc, ...]:
    """The acc after each transaction of a block."""
    tx_trie, receipt_trie = HexaryTrie({}), HexaryTrie({})
    acc = initial_acc(parent_state_root)
    out: list[Acc] = []
    for k, (root, raw_tx, raw_receipt) in enumerate(zip(state_roots, raw_transactions, raw_receipts, strict=True)):
        key = rlp.encode(k)
        tx_trie[key] = raw_tx
        receipt_trie[key] = raw_receipt
        fields = _receipt_fields(raw_receipt)
        bloom = int.from_bytes(acc.logs_bloom, "big") | int.from_bytes(fields[2], "big")
        acc = Acc(bytes(root), rlp.sedes.big_endian_int.deserialize(fields[1]), tx_trie.root_hash,
                  receipt_trie.root_hash, bloom.to_bytes(BLOOM_BYTES, "big"))
        out.append(acc)
    return tuple(out)


def with_state_roots(accs: Sequence[Acc], state_roots: Sequence[bytes]) -> tuple[Acc, ...]:
    """`accs` claiming other state roots (a liar's), every other field kept."""
    return tuple(replace(acc, state_root=bytes(root)) for acc, root in zip(accs, state_roots, strict=True))


def step_witness(raw_transactions: Sequence[bytes], raw_receipts: Sequence[bytes], k: int,
                 staged_post: tuple[Any, ...] = NO_STAGED_POST) -> tuple[list[bytes], list[bytes], bytes, tuple[Any, ...]]:
    """`BlockAccumulator.Tries` of transaction k: the nodes of the tries of transactions 0..k-1 that
    inserting `rlp(k)` reads, the RLP of transaction k's logs, and (for a step proven beforehand
    on L1, `staged_post`) the `PostState` OneStepProof executed."""
    key = rlp.encode(k)
    witnesses = []
    for items in (raw_transactions, raw_receipts):
        db: dict[bytes, bytes] = {}
        trie = HexaryTrie(db)
        for i in range(k):
            trie[rlp.encode(i)] = items[i]
        witnesses.append(sorted(trie_witness(db, trie.root_hash, writes=[(key, items[k])])))
    return witnesses[0], witnesses[1], receipt_logs_rlp(raw_receipts[k]), staged_post
