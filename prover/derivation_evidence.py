"""Arguments of the derivation leaf (`IDerivationStep.step`, contracts/src/L1/derive/DerivationStep.sol),
built from JSON-RPC answers: the node's `lantau_derivationState` (the pre-state, frames by hash
with the data of the channels the block reads, and the batches reaching the queue in the L1 block; node/derive/derivation_commitment.py computes both),
L1's inbox data for the block, and the L2 proofs of the agreed parent and its ancestors.

The rules are node's; this module only gathers and encodes. What the leaf reads beyond the
pre-state and the block's data (`DerivationStep.Evidence`):
- the parent's proof (`prover.input_evidence.ParentProof`);
- the L1 headers of blocks b down to the parent's L1 origin O (at L2 genesis the start block),
  newest first, when the step judges a batch (`l1_header_numbers`): the batch queue reads those
  blocks' timestamps and hashes;
- the parent's L2 ancestors n-2, n-3, ... when a judged span batch overlaps the agreed chain
  (`overlap_needed` - 1 of them), each with the L1 origin it recorded (`L1Block`'s number slot);
- then the user transactions of the parent and of those ancestors (`user_transactions_evidence`,
  from each block's raw transactions): the span's overlapping blocks must carry exactly them.
"""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import rlp
from eth_abi import encode as abi_encode
from trie import HexaryTrie

from bridge.l1_contracts import InputRules, derivation_step_config
from node.batches import SpanBatch, decode_batch
from node.deposit_tx import DEPOSIT_TX_TYPE
from prover.errors import WitnessError
from node.channels import MAX_CHANNEL_BYTES
from prover.input_evidence import PARENT_PROOF_ABI, ParentProof, _bytes

STATE_ABI = "((bytes16,uint256,uint256,(uint256,uint256,bytes32,bytes)[])[],(bytes,uint256)[],bytes32)"
INBOX_DATA_ABI = "((uint8,bytes32)[],bytes[])"
STEP_EVIDENCE_ABI = f"({PARENT_PROOF_ABI},bytes[],bytes[],(bytes[],bytes[])[],bytes[])"
USER_TRANSACTIONS_ABI = "(uint256,bytes[][])"


def state_abi(state: Mapping[str, Any]) -> tuple:
    """`IDerivationStep.State` from a `lantau_derivationState` answer: every frame by its length and
    hash, its data shown only for a channel the bank reads in the L1 block (`read`) and is not past
    `MAX_CHANNEL_BYTES` (such a channel gives no batch, decided from its frames' lengths)."""
    def shown(c: Mapping[str, Any]) -> bool:
        return bool(c["read"]) and sum(int(f["length"]) for f in c["frames"]) <= MAX_CHANNEL_BYTES

    channels = [
        (_bytes(c["id"]), int(c["openBlock"]), int(c["closing"]),
         [(int(f["number"]), int(f["length"]), _bytes(f["dataHash"]), _bytes(f["data"]) if shown(c) else b"") for f in c["frames"]])
        for c in state["channels"]
    ]
    queue = [(_bytes(q["batch"]), int(q["inclusion"])) for q in state["queue"]]
    return (channels, queue, _bytes(state["found"]))


def inbox_data_abi(items: Sequence[tuple[int, bytes]], shown: Sequence[bytes]) -> tuple:
    """`IDerivationStep.InboxData`: the block's (kind, item hash) as the inbox recorded them, and each
    one's data shown (a calldata item's calldata, a blob item's `blob_evidence.shown_blobs`:
    `input_evidence.InboxBlock.shown`)."""
    return (list(items), list(shown))


def judges_batches(state: Mapping[str, Any]) -> bool:
    """Whether the step over the block judges any batch (then it reads L1 headers)."""
    return _bytes(state["found"]) == bytes(32) and bool(state["queue"] or state["arrivals"])


def l1_header_numbers(l1_block: int, parent_origin: int) -> list[int]:
    """The L1 blocks whose headers the step reads when it judges a batch, newest first: b down to
    the parent's L1 origin (at L2 genesis: the start block); none while b is before it."""
    return list(range(l1_block, parent_origin - 1, -1))


def overlap_needed(state: Mapping[str, Any], parent_number: int, parent_timestamp: int, chain_id: int) -> int:
    """How many blocks of the agreed chain, the parent and its ancestors n-2, n-3, ..., the step
    compares with the span batches it judges: the most any of them overlaps it by (one reaching L2
    genesis none). Their user transactions are shown for all of them, their headers and L1 origins
    for the ancestors."""
    if not judges_batches(state):
        return 0
    needed = 0
    for item in [*state["queue"], *state["arrivals"]]:
        batch = decode_batch(_bytes(item["batch"]), chain_id=chain_id)
        if not isinstance(batch, SpanBatch):
            continue
        overlap = sum(1 for element in batch.elements if element.timestamp <= parent_timestamp)
        if 0 < overlap <= parent_number:
            needed = max(needed, overlap)
    return needed


def user_transactions_evidence(raw_transactions: Sequence[bytes], transactions_root: bytes) -> bytes:
    """abi.encode(`L2ParentLib.UserTransactions`) of an agreed L2 block from its raw transactions (the
    trie values, in order; `lantau_disputeBlock`'s `rawTransactions`): where its deposits end
    (`first`), then Merkle proofs under key rlp(i) of transaction `first - 1` (a deposit), of each
    user transaction, and of the key after the last (absent). The trie is rebuilt here and must
    hash to the header's `transactions_root`."""
    trie = HexaryTrie({})
    for index, raw in enumerate(raw_transactions):
        trie[rlp.encode(index)] = raw
    if trie.root_hash != transactions_root:
        raise WitnessError(f"transactions rebuild to root {trie.root_hash.hex()}, not the header's {transactions_root.hex()}")
    first = next((i for i, raw in enumerate(raw_transactions) if raw[:1] != bytes([DEPOSIT_TX_TYPE])), len(raw_transactions))
    proofs = [[rlp.encode(node) for node in trie.get_proof(rlp.encode(index))] for index in range(first - 1, len(raw_transactions) + 1)]
    return abi_encode([USER_TRANSACTIONS_ABI], [(first, proofs)])


def step_evidence(
    parent: ParentProof,
    l1_headers: Sequence[bytes] = (),
    l2_ancestors: Sequence[bytes] = (),
    ancestor_origins: Sequence[tuple[list[bytes], list[bytes]]] = (),
    user_txs: Sequence[bytes] = (),
) -> bytes:
    """The `evidence` bytes of `DerivationStep.step`: abi.encode(Evidence). `user_txs`: for a span
    overlapping the agreed chain, `user_transactions_evidence` of the parent and of each of
    `l2_ancestors`."""
    return abi_encode([STEP_EVIDENCE_ABI],
                      [(parent.as_abi(), list(l1_headers), list(l2_ancestors), list(ancestor_origins), list(user_txs))])


def step_config(*, anchors: str, inbox: str, reader: str, blob_reader: str, rollup: Any, l2_chain_id: int,
                l1_block_slots: Sequence[int]) -> tuple:
    """`DerivationStep.Config` for a rollup (`genesis.rollup_config.RollupConfig`): what its
    constructor takes (bridge's `derivation_step_config`, which the devnet deploys it with)."""
    rules = InputRules(l2_chain_id=l2_chain_id, max_sequencer_drift=rollup.max_sequencer_drift,
                       sequencing_window=rollup.sequencing_window, channel_timeout=rollup.channel_timeout)
    config = derivation_step_config(anchors=anchors, inbox=inbox, reader=reader, blob_reader=blob_reader,
                                    l1_start_block=rollup.l1_start_block,
                                    rules=rules)
    return (*config[:-1], list(l1_block_slots))
