"""Stage 6: block inputs from batches are exactly the sequencer's; forced blocks carry deposits."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from genesis.predeploys import SEQUENCER_FEE_VAULT
from node.batches import batch_from_block
from node.chain import Chain
from node.deposit_tx import is_deposit
from node.derive.attributes import deposit_only_inputs, inputs_from_batch, sequence_number_after
from node.l1_info import L1Origin, read_l1_origin
from tests.harness.l1_history import L1History
from tests.node.derive.sequencing import GENESIS, Wallets, sequence_block


@pytest.fixture(scope="module")
def sequenced():
    l1 = L1History()
    l1.append(100, mints=(3,))
    l1.append(112, mints=(5, 7))
    l1.append(124)
    chain = Chain.open(None, GENESIS)
    wallets = Wallets()
    blocks = [sequence_block(chain, l1, now, [wallets.transfer() for _ in range(2)]).block for now in (101, 103, 113, 114, 125)]
    return l1, chain, blocks


def test_inputs_from_each_batch_are_the_sequencers_block(sequenced) -> None:
    l1, chain, blocks = sequenced
    for block in blocks:
        parent = chain.header_by_hash(block.header.parent_hash)
        parent_origin = read_l1_origin(chain.state_at(parent))
        batch = batch_from_block(block)
        origin = l1.blocks[batch.l1_origin_number]
        inputs = inputs_from_batch(parent, parent_origin, batch, origin, l1.deposits(origin))
        header = block.header
        assert inputs.attributes.timestamp == header.timestamp
        assert inputs.attributes.fee_recipient == header.coinbase == SEQUENCER_FEE_VAULT
        assert inputs.attributes.prev_randao == header.mix_hash == keccak(parent.hash)
        assert inputs.attributes.gas_limit == header.gas_limit
        every = [*inputs.attributes.forced_transactions, *inputs.transactions]
        assert [tx.encode() for tx in every] == [tx.encode() for tx in block.transactions]
    # epochs: (origin, sequence number, deposits) per block
    assert [(inputs_seq(chain, b)) for b in blocks] == [(0, 0, 1), (0, 1, 0), (1, 0, 2), (1, 1, 0), (2, 0, 0)]


def inputs_seq(chain: Chain, block) -> tuple[int, int, int]:
    origin = read_l1_origin(chain.state_at(block.header))
    deposits = sum(1 for tx in block.transactions[1:] if is_deposit(tx))
    return origin.number, origin.sequence_number, deposits


def test_sequence_numbers() -> None:
    from node.derive.l1_source import L1BlockRef

    origin = L1BlockRef(4, keccak(b"4"), keccak(b"3"), 148, 7)
    assert sequence_number_after(None, origin) == 0
    assert sequence_number_after(L1Origin(3, keccak(b"3"), 9), origin) == 0
    assert sequence_number_after(L1Origin(4, keccak(b"4"), 9), origin) == 10


def test_batch_must_build_on_the_given_parent(sequenced) -> None:
    l1, chain, blocks = sequenced
    batch = batch_from_block(blocks[1])
    with pytest.raises(ValueError):
        inputs_from_batch(chain.header_by_number(0), None, batch, l1.blocks[0], ())


def test_deposit_only_block_of_a_new_origin(sequenced) -> None:
    """Origin 1 (t=112) after block 2 (t=103): L1 info seq 0 + both deposits, no user txs,
    timestamp max(103 + 1, 112) = 112. On a parent at 113 of the same origin 1: sequence
    number 1, no deposits (block 3 had them), timestamp max(113 + 1, 112) = 114."""
    l1, chain, blocks = sequenced
    parent = blocks[1].header
    inputs = deposit_only_inputs(parent, read_l1_origin(chain.state_at(parent)), l1.blocks[1], l1.deposits(l1.blocks[1]))
    assert inputs.transactions == () and inputs.sequence_number == 0
    assert inputs.attributes.timestamp == 112
    forced = inputs.attributes.forced_transactions
    assert len(forced) == 3 and [tx.mint for tx in forced[1:]] == [5, 7]
    assert forced[0].data[4:36] == (1).to_bytes(32, "big")  # L1 info: origin number 1
    late_parent = blocks[2].header  # t=113, origin 1, sequence number 0
    again = deposit_only_inputs(late_parent, read_l1_origin(chain.state_at(late_parent)), l1.blocks[1], l1.deposits(l1.blocks[1]))
    assert again.attributes.timestamp == 114 and again.sequence_number == 1
    assert len(again.attributes.forced_transactions) == 1
    assert again.attributes.forced_transactions[0].data[-32:] == (1).to_bytes(32, "big")  # sequence number
