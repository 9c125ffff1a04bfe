"""`BlockFinishLeaf` on a real anvil: the header of an L2 block rebuilt on L1 from what a dispute
game agrees (the parent header, transaction 0's context, its number and its final
`BlockAccumulator.Acc`: state root, gas used, transactions and receipts roots, logs bloom) against
the headers py-evm built (blocks 1..4 of test_dispute_played's chain: transfers, a storage write).
A header shown with any field changed is refused by name, `HeaderMismatch(field)`: a dishonest
stepper cannot choose the block hash that goes into the output root."""

from __future__ import annotations

from typing import Any

import pytest
import rlp
from eth.vm.forks.london.headers import calculate_expected_base_fee_per_gas
from eth_utils import keccak
from web3.contract import Contract

from prover.dispute_block import DisputeBlock, dispute_block
from prover.faults import forged_header
from tests.contracts.step_diff import anvil_options  # noqa: F401 (fixture: anvil with a high gas limit)
from tests.contracts.test_dispute_played import L2, l2  # noqa: F401 (fixture: the L2 chain)
from tests.harness.evm import Contracts

#: Fields the leaf rebuilds: all 21 (transactionsRoot 4, receiptsRoot 5, logsBloom 6 and gasUsed 10
#: from the agreed final acc).
REBUILT_FIELDS = tuple(range(21))


@pytest.fixture(scope="module")
def leaf(contracts: Contracts) -> Contract:
    return contracts.deploy("BlockFinishLeaf")


def arguments(l2: L2, number: int, *, header: bytes | None = None, parent: bytes | None = None,
              **finish: Any) -> tuple[Any, ...]:
    """`blockHash(agreed, finish)` of block `number`, with any part replaced."""
    block: DisputeBlock = dispute_block(l2.chain, number)
    parent_header = l2.chain.header_by_number(number - 1)
    last = block.acc_before(len(block.accumulators), parent_header.state_root).abi_tuple()
    agreed = (number, parent_header.hash, block.context_hashes[0], last)
    proof = list(block.finish_proof(rlp.encode(parent_header) if parent is None else parent))
    if header is not None:
        proof[1] = header
    for name, value in finish.items():
        proof[{"context0": 3}[name]] = value
    return agreed, tuple(proof)


@pytest.mark.parametrize("number", [1, 2, 3, 4])
def test_the_rebuilt_header_hashes_to_py_evms_block_hash(leaf: Contract, l2: L2, number: int) -> None:
    header = l2.chain.header_by_number(number)
    agreed, finish = arguments(l2, number)
    assert bytes(leaf.functions.blockHash(agreed, finish).call()) == header.hash
    parent = l2.chain.header_by_number(number - 1)
    assert leaf.functions.nextBaseFee(parent.base_fee_per_gas, parent.gas_used, parent.gas_limit).call() == \
        header.base_fee_per_gas == calculate_expected_base_fee_per_gas(parent)


@pytest.mark.parametrize("field", REBUILT_FIELDS)
def test_a_header_with_a_rebuilt_field_changed_is_refused_by_name(contracts: Contracts, leaf: Contract, l2: L2,
                                                                   field: int) -> None:
    header = rlp.encode(l2.chain.header_by_number(3))
    forged = (forged_header(header, field) if field not in (6, 12, 14)
              else _with(header, field, b"\x01" * 256 if field == 6 else b"\x01"))
    assert forged != header
    assert contracts.revert_of(0, leaf.functions.blockHash(*arguments(l2, 3, header=forged))) == ("HeaderMismatch", (field,))
    # the same field encoded with a leading zero byte (another hash, the same value) is refused too
    if field in (8, 9, 11, 15):
        padded = _with(header, field, b"\x00" + rlp.decode(header)[field])
        assert contracts.revert_of(0, leaf.functions.blockHash(*arguments(l2, 3, header=padded)))[0] == "HeaderMismatch"


def test_what_the_game_agreed_must_be_shown_as_it_is(contracts: Contracts, leaf: Contract, l2: L2) -> None:
    header = l2.chain.header_by_number(3)
    agreed, finish = arguments(l2, 3)

    def refusal(*args: Any) -> tuple[str, tuple[Any, ...]]:
        return contracts.revert_of(0, leaf.functions.blockHash(*args))

    other_parent = rlp.encode(l2.chain.header_by_number(1))
    assert refusal(*arguments(l2, 3, parent=other_parent)) == (
        "ParentHeaderMismatch", (l2.chain.header_by_number(2).hash, keccak(other_parent)))
    context = list(finish[3])
    context[2] += 1  # another base fee in transaction 0's context: not the subgame's contextHashes[0]
    assert refusal(agreed, finish[:3] + (tuple(context),)) == ("ContextMismatch", ())
    assert refusal((4,) + agreed[1:], finish) == ("ContextMismatch", ())  # the context of another block
    short = rlp.encode(rlp.decode(rlp.encode(header))[:20])
    assert refusal(*arguments(l2, 3, header=short)) == ("NotAnL2Header", (20,))
    # the leaf has no state: the honest header still gives the block hash afterwards
    assert bytes(leaf.functions.blockHash(agreed, finish).call()) == header.hash


def _with(header: bytes, field: int, value: bytes) -> bytes:
    fields = rlp.decode(header)
    fields[field] = value
    return rlp.encode(fields)
