"""`DepositLogLib` on a real EVM (anvil), against receipts tries built by py-trie with proofs from
`prover.input_evidence.deposit_receipt_proofs`: each deposit's log index is its log's place among
every log of the L1 block, counted through legacy and typed receipts holding several logs each,
logs of other contracts and other events of the portal; a wrong index, receipts that stop before a
deposit's log and a proof for another root are refused by name. (Against anvil's own receipts, and
`InputOracle`: tests/e2e/test_input_oracle.py.)"""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth_hash.auto import keccak
from eth_utils import to_checksum_address
from trie import HexaryTrie
from web3.contract import Contract

from node.deposit_event import TRANSACTION_DEPOSITED_TOPIC
from prover.input_evidence import deposit_receipt_proofs, encode_l1_receipt
from tests.harness.evm import Contracts

PORTAL = to_checksum_address("0x" + "11" * 20)
OTHER = to_checksum_address("0x" + "22" * 20)


def deposit_log(index: int, sender: bytes) -> dict[str, Any]:
    """A `TransactionDeposited(from, to, 0, opaqueData)` log of the portal, in transaction `index`."""
    opaque = (5).to_bytes(32, "big") + (0).to_bytes(32, "big") + (21_000).to_bytes(8, "big") + b"\x00" + sender
    data = (32).to_bytes(32, "big") + len(opaque).to_bytes(32, "big") + opaque + bytes(-len(opaque) % 32)
    topics = [TRANSACTION_DEPOSITED_TOPIC, bytes(12) + sender, bytes(12) + sender, bytes(32)]
    return {"address": PORTAL, "topics": ["0x" + t.hex() for t in topics], "data": "0x" + data.hex(), "transactionIndex": hex(index),
            "opaque": opaque, "from": to_checksum_address(sender)}


def other_log(address: str, topic: bytes) -> dict[str, Any]:
    return {"address": address, "topics": ["0x" + topic.hex()], "data": "0x01"}


def receipt(index: int, kind: int, logs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"type": hex(kind), "status": "0x1", "cumulativeGasUsed": hex(50_000 * (index + 1)), "logsBloom": "0x" + "00" * 256,
            "transactionIndex": hex(index), "logs": logs}


def block_of(receipts: list[dict[str, Any]]) -> dict[str, Any]:
    trie = HexaryTrie({})
    for index, r in enumerate(receipts):
        trie[rlp.encode(index)] = encode_l1_receipt(r)
    return {"number": 1, "receiptsRoot": "0x" + trie.root_hash.hex()}


# Block: tx 0 legacy (another contract's identical event, then a deposit: log indexes 0, 1); tx 1 typed, no
# logs; tx 2 typed (the portal's other event, two deposits: 2, 3, 4); tx 3 blob-typed (one more log).
DEPOSITS = [deposit_log(0, b"\xaa" * 20), deposit_log(2, b"\xbb" * 20), deposit_log(2, b"\xcc" * 20)]
RECEIPTS = [
    receipt(0, 0, [{**DEPOSITS[0], "address": OTHER}, DEPOSITS[0]]),  # the same event from another contract first
    receipt(1, 2, []),
    receipt(2, 2, [other_log(PORTAL, keccak(b"Other()")), DEPOSITS[1], DEPOSITS[2]]),
    receipt(3, 3, [other_log(OTHER, keccak(b"Else()"))]),
]
LOG_INDEXES = [1, 3, 4]


def user_deposits(indexes: list[int]) -> list[tuple[str, str, bytes, int]]:
    return [(log["from"], log["from"], log["opaque"], index) for log, index in zip(DEPOSITS, indexes)]


@pytest.fixture(scope="module")
def harness(contracts: Contracts) -> Contract:
    return contracts.deploy("DepositLogLibHarness")


def test_log_indexes_counted_through_every_kind_of_receipt(harness: Contract) -> None:
    block = block_of(RECEIPTS)
    proofs = deposit_receipt_proofs(block, RECEIPTS, DEPOSITS)
    assert len(proofs) == 3  # receipts 0..2: up to the last deposit's transaction
    assert harness.functions.checkLogIndexes(block["receiptsRoot"], PORTAL, user_deposits(LOG_INDEXES), proofs).call() is True
    assert harness.functions.checkLogIndexes(block["receiptsRoot"], PORTAL, user_deposits(LOG_INDEXES[:2]), proofs[:3]).call() is True
    assert harness.functions.checkLogIndexes(block["receiptsRoot"], PORTAL, [], []).call() is True


def test_wrong_indexes_short_receipts_and_foreign_proofs_are_refused(contracts: Contracts, harness: Contract) -> None:
    block = block_of(RECEIPTS)
    root = block["receiptsRoot"]
    proofs = deposit_receipt_proofs(block, RECEIPTS, DEPOSITS)
    check = harness.functions.checkLogIndexes
    assert contracts.revert_of(0, check(root, PORTAL, user_deposits([1, 2, 4]), proofs)) == ("DepositLogIndexNotL1s", (1, 2, 3))
    assert contracts.revert_of(0, check(root, PORTAL, user_deposits([0, 3, 4]), proofs)) == ("DepositLogIndexNotL1s", (0, 0, 1))
    assert contracts.revert_of(0, check(root, PORTAL, user_deposits(LOG_INDEXES), proofs[:2])) == ("DepositReceiptsShort", (1,))
    # the portal is the one address counted: another contract's identical event is not a deposit
    assert contracts.revert_of(0, check(root, OTHER, user_deposits(LOG_INDEXES[:1]), proofs)) == ("DepositLogIndexNotL1s", (0, 1, 0))
    other = block_of(RECEIPTS[:3])
    assert contracts.revert_of(0, check(other["receiptsRoot"], PORTAL, user_deposits(LOG_INDEXES), proofs))[0] == "InvalidNodeHash"
    # the honest call still passes: the library has no state
    assert check(root, PORTAL, user_deposits(LOG_INDEXES), proofs).call() is True
