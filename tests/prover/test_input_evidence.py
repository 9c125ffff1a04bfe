"""The origin's receipts in `prover.input_evidence`: L1 receipts (as `eth_getBlockReceipts` answers)
encoded as py-evm encodes its own receipts, rebuilt into the receipts trie whose root the header
names, proven key by key; receipts that do not rebuild the header's root, and a deposit block's
evidence built without receipts, refused by name; which L1 headers the evidence shows for the
oracle to rebuild the L1-info deposit from; which batcher data the frame stage drops whole. (On a
real anvil: tests/e2e/test_input_oracle.py.)"""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth.abc import ReceiptAPI
from eth.db.trie import make_trie_root_and_nodes
from eth.rlp.logs import Log
from eth.rlp.receipts import Receipt
from eth.vm.forks.prague.receipts import PragueTypedReceipt
from trie import HexaryTrie

from eth_utils import keccak

from node.batches import SingularBatch, encode_batch
from node.channels import Frame, encode_batcher_tx_data, encode_channel
from prover.input_evidence import (
    InboxBlock, OriginReceiptsNeeded, ReceiptsRootMismatch, block_evidence, deposit_receipt_proofs, encode_l1_receipt, find_batch,
    origin_chain_numbers, parent_origin_number,
)

PORTAL = bytes.fromhex("11" * 20)
TOPIC = bytes.fromhex("22" * 32)


def json_receipt(index: int, kind: int, logs: list[tuple[bytes, list[bytes], bytes]]) -> dict[str, Any]:
    return {
        "type": hex(kind), "status": "0x1", "cumulativeGasUsed": hex(21_000 * (index + 1)), "logsBloom": "0x" + "00" * 256,
        "transactionIndex": hex(index),
        "logs": [{"address": "0x" + a.hex(), "topics": ["0x" + t.hex() for t in ts], "data": "0x" + d.hex(),
                  "transactionIndex": hex(index)} for a, ts, d in logs],
    }


def pyevm_receipt(receipt: dict[str, Any]) -> ReceiptAPI:
    """py-evm's own encoding of the same receipt (the independent source)."""
    logs = [Log(bytes.fromhex(e["address"][2:]), [int(t, 16) for t in e["topics"]], bytes.fromhex(e["data"][2:])) for e in receipt["logs"]]
    legacy = Receipt(b"\x01", int(receipt["cumulativeGasUsed"], 16), logs, bloom=0)
    kind = int(receipt["type"], 16)
    return legacy if kind == 0 else PragueTypedReceipt(kind, legacy)


RECEIPTS = [
    json_receipt(0, 0, []),
    json_receipt(1, 2, [(PORTAL, [TOPIC, bytes(32)], b"\x01\x02")]),
    json_receipt(2, 2, [(PORTAL, [TOPIC], b""), (bytes(20), [], b"\xff" * 40)]),
    json_receipt(3, 3, []),
]


def test_receipts_encode_as_pyevm_and_prove_against_the_root() -> None:
    assert [encode_l1_receipt(r) for r in RECEIPTS] == [pyevm_receipt(r).encode() for r in RECEIPTS]
    root, _ = make_trie_root_and_nodes(tuple(pyevm_receipt(r) for r in RECEIPTS))
    block = {"number": 7, "receiptsRoot": "0x" + root.hex()}
    deposit_logs = [RECEIPTS[1]["logs"][0], RECEIPTS[2]["logs"][0]]
    proofs = deposit_receipt_proofs(block, RECEIPTS, deposit_logs)
    assert len(proofs) == 3  # receipts 0..2: up to the last deposit's transaction
    for index, proof in enumerate(proofs):
        nodes = [rlp.decode(node) for node in proof]
        assert HexaryTrie.get_from_proof(root, rlp.encode(index), nodes) == pyevm_receipt(RECEIPTS[index]).encode()
    assert deposit_receipt_proofs(block, RECEIPTS, []) == []


def test_receipts_that_do_not_rebuild_the_root_are_refused() -> None:
    root, _ = make_trie_root_and_nodes(tuple(pyevm_receipt(r) for r in RECEIPTS))
    block = {"number": 7, "receiptsRoot": "0x" + root.hex()}
    with pytest.raises(ReceiptsRootMismatch) as refused:
        deposit_receipt_proofs(block, RECEIPTS[:-1], [RECEIPTS[1]["logs"][0]])  # one receipt missing
    assert (refused.value.block_number, refused.value.header_root) == (7, root)
    assert refused.value.rebuilt_root != root


def test_deposit_evidence_without_receipts_is_refused() -> None:
    origin = {"number": 9, "receiptsRoot": "0x" + "00" * 32}
    with pytest.raises(OriginReceiptsNeeded) as refused:
        block_evidence([origin], origin, 0, [{"logIndex": 0}])
    assert refused.value.origin_number == 9


def test_the_origin_chain_ends_at_the_parents_origin_through_the_next_l1_block() -> None:
    """Block n's parent's origin: the block's own (a later block of the origin), the one before (the
    origin's first block), the start block at L2 genesis (block 1); the chain shows the next L1
    block whenever L1 has it, newest first."""
    assert parent_origin_number(7, 40, 3) == 40
    assert parent_origin_number(7, 41, 0) == 40
    assert parent_origin_number(1, 12, 0) == 12
    assert origin_chain_numbers(40, 45) == [41, 40]
    assert origin_chain_numbers(40, 41) == [41, 40]
    assert origin_chain_numbers(40, 40) == [40]


def test_a_batch_that_does_not_decode_is_passed_over_as_derivation_drops_it() -> None:
    """The batcher's channel carries a batch that does not decode, then the block's batch: the
    evidence gatherer finds the block's batch (it raised MalformedBatch before, so the challenger
    could gather no evidence for any block whose window held such a channel), and a channel with
    only the undecodable batch carries no block."""
    batch = SingularBatch(keccak(b"parent"), 7, keccak(b"origin"), 1_000, ())
    undecodable = b"\x00\xc1\x80"  # a singular batch that is not an RLP list of five
    both = encode_batcher_tx_data([Frame(b"\x01" * 16, 0, encode_channel([undecodable, encode_batch(batch)]), True)])
    alone = encode_batcher_tx_data([Frame(b"\x02" * 16, 0, encode_channel([undecodable]), True)])
    inbox = [InboxBlock(9, [(0, keccak(alone)), (0, keccak(both))], [alone, both])]
    evidence = find_batch(inbox, 1_000, chain_id=4852)
    assert evidence is not None
    assert (evidence.batch_index, evidence.block_index, evidence.frames[0][2]) == (1, 0, 1)
    assert find_batch(inbox[:1], 999, chain_id=4852) is None
