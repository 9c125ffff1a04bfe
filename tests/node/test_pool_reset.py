"""The pool across a reorg of the node's own chain (geth's pool reset), on a real `L2Node`
(LevelDB chain and pool journal in a temporary data dir) and the real block producer.

Found by issue 15's input campaign: after an L1 reorg made the sequencer rebuild its unsafe
blocks, a sender's transactions sat queued behind a nonce gap until the pool refused at 64
queued, and `eth_getTransactionCount(pending)` once answered below the head's nonce. The cause:
the rebuild returned the abandoned blocks' transactions to the pool against the older parent,
but a send landing before the rebuilt block was built was checked against the chain's head (the
abandoned one), which made the returned transactions look mined: they were dropped as stale.
And a head replaced by derivation (a deposit-only block where the sequencer's stood) took
nothing back at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import keccak, to_checksum_address

from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from node.derive.attributes import attributes_on
from node.errors import NonceTooLow
from node.service import L2Node
from sequencer.block_producer import BlockProducer, ProducerConfig
from tests.harness.l1_history import L1History

SENDER = dev_accounts()[6]
SENDER_ADDRESS = bytes.fromhex(SENDER.address[2:])
RECIPIENT = to_checksum_address("0x" + "7a" * 20)
GENESIS = GenesisConfig.load()
TRANSFER_GAS = 21_000


def transfer(nonce: int) -> bytes:
    return bytes(Account.sign_transaction({
        "to": RECIPIENT, "value": 1_000 + nonce, "gas": TRANSFER_GAS, "nonce": nonce, "maxFeePerGas": 10**11,
        "maxPriorityFeePerGas": 10**9, "chainId": GENESIS.chain_id,
    }, SENDER.private_key).raw_transaction)


def pool_nonces(node: L2Node) -> tuple[list[int], list[int]]:
    """The sender's pending and queued nonces."""
    pending = node.txpool.pending().get(SENDER_ADDRESS, [])
    queued = node.txpool.queued().get(SENDER_ADDRESS, [])
    return [p.nonce for p in pending], [p.nonce for p in queued]


def head_nonce(node: L2Node) -> int:
    return node.chain.state_at(node.chain.head).get_nonce(SENDER_ADDRESS)


def pending_nonce(node: L2Node) -> int:
    """What eth_getTransactionCount(sender, "pending") answers (node.rpc.eth)."""
    return node.txpool.pending_nonce(SENDER_ADDRESS, node.chain.state_at(node.chain.head))


def mined_once(node: L2Node, raw: bytes) -> bool:
    location = node.chain.transaction_location(keccak(raw))
    return location is not None and node.chain.raw_transactions(location.block_hash)[location.index] == raw


async def send(node: L2Node, *nonces: int) -> None:
    for nonce in nonces:
        await node.send_raw_transaction(transfer(nonce))


def build_on(node: L2Node, parent, timestamp: int, *, max_transfers: int | None = None):
    """A block of pool transactions on `parent` (as the producer's worker thread builds it),
    announced as the new head."""
    attributes = attributes_on(parent, timestamp, ())
    gas = attributes.gas_limit if max_transfers is None else max_transfers * TRANSFER_GAS
    built = node.chain.build_block(parent, attributes, node.select_transactions(parent, gas))
    node.on_new_block(built)
    return built


@pytest.fixture
def node(tmp_path: Path):
    node = L2Node.open(tmp_path / "l2", GENESIS)
    yield node
    node.close()


async def rebuild_with_a_send_in_between(node: L2Node) -> BlockProducer:
    """Block 1 (origin L1 block 0), block 2 (origin L1 block 1) with nonces 0..4, then 5 and 6
    pooled; L1 reorgs block 1 away; the producer plans the rebuild on block 1, a send of nonce 7
    lands, and the rebuilt block 2 takes three transfers (the rest stays pooled)."""
    l1 = L1History()
    l1.append(100)
    l1.append(110)
    producer = BlockProducer(node, ProducerConfig(block_time_s=0), l1=l1)
    await producer.produce_block()
    await send(node, *range(5))
    built = await producer.produce_block()
    assert len(built.block.transactions) == 1 + 5 and head_nonce(node) == 5
    await send(node, 5, 6)
    l1.fork_at(1)
    l1.append(110, salt=b"other")
    parent, _ = producer.next_attributes()  # the rebuild from block 1, as in the producer's thread
    assert parent.block_number == 1
    await send(node, 7)  # an RPC send before the rebuilt block is built
    build_on(node, parent, built.header.timestamp + 1, max_transfers=3)
    return producer


async def test_a_send_during_the_rebuild_leaves_no_nonce_gap(node: L2Node) -> None:
    """Was: nonces 5..7 queued behind a gap at 3 and 4 (0..4 dropped as mined by the abandoned
    head), pending nonce 3 below the old head's 5; every later send queued, up to the
    sender's 64-queued refusal."""
    await rebuild_with_a_send_in_between(node)
    assert head_nonce(node) == 3
    assert pool_nonces(node) == ([3, 4, 5, 6, 7], [])
    assert pending_nonce(node) == 8
    await send(node, 8)  # the sender goes on with the next nonce
    build_on(node, node.chain.head, node.chain.head.timestamp + 1)
    assert head_nonce(node) == 9 and pool_nonces(node) == ([], [])
    assert all(mined_once(node, transfer(n)) for n in range(9))


async def test_a_restart_after_the_rebuild_loses_nothing_and_doubles_nothing(node: L2Node, tmp_path: Path) -> None:
    await rebuild_with_a_send_in_between(node)
    node.close()
    node = L2Node.open(tmp_path / "l2", GENESIS)
    try:
        assert head_nonce(node) == 3
        assert pool_nonces(node) == ([3, 4, 5, 6, 7], [])  # the returned ones too, from the journal
        build_on(node, node.chain.head, node.chain.head.timestamp + 1)
        assert head_nonce(node) == 8 and len(node.txpool) == 0
        assert all(mined_once(node, transfer(n)) for n in range(8))
    finally:
        node.close()


async def test_a_replayed_transaction_of_a_reorged_block_is_nonce_too_low_once_mined_again(node: L2Node) -> None:
    await rebuild_with_a_send_in_between(node)
    build_on(node, node.chain.head, node.chain.head.timestamp + 1)
    assert head_nonce(node) == 8 and mined_once(node, transfer(0))
    head, balance = node.chain.head, node.chain.state_at(node.chain.head).get_balance(SENDER_ADDRESS)
    with pytest.raises(NonceTooLow, match="nonce too low: next nonce for .* is 8, got 0"):
        await node.send_raw_transaction(transfer(0))
    assert len(node.txpool) == 0 and node.chain.head == head
    assert node.chain.state_at(head).get_balance(SENDER_ADDRESS) == balance
    assert pending_nonce(node) == 8


async def test_a_head_replaced_by_derivation_returns_its_transactions(node: L2Node) -> None:
    """The sequencer's blocks 1 and 2 (nonces 0..4, 5..6; 7 and 8 pooled) replaced by a block
    with no user transactions on genesis, as derivation replaces unsafe blocks L1 data does not
    support. Was: 0..6 lost, 7 and 8 queued behind the gap, pending nonce 0."""
    genesis = node.chain.head
    await send(node, *range(5))
    first = build_on(node, genesis, genesis.timestamp + 1)
    await send(node, 5, 6)
    build_on(node, first.header, genesis.timestamp + 2)
    await send(node, 7, 8)
    assert head_nonce(node) == 7 and pool_nonces(node) == ([7, 8], [])

    replacement = node.chain.build_block(genesis, attributes_on(genesis, genesis.timestamp + 5, ()), [])
    # Between the chain's new head and the pool's reset (the driver's worker thread): "pending"
    # never below what the pool holds in a row.
    assert pending_nonce(node) == 9
    node.notify_new_head(replacement.header)  # what the derivation driver calls
    assert head_nonce(node) == 0
    assert pool_nonces(node) == (list(range(9)), [])
    assert pending_nonce(node) == 9
    build_on(node, node.chain.head, node.chain.head.timestamp + 1)
    assert head_nonce(node) == 9 and len(node.txpool) == 0
    assert all(mined_once(node, transfer(n)) for n in range(9))


async def test_a_new_branch_holding_some_dropped_transactions_returns_only_the_others(node: L2Node) -> None:
    genesis = node.chain.head
    await send(node, 0, 1, 2)
    old = build_on(node, genesis, genesis.timestamp + 1)
    # Another branch from genesis with nonces 0 and 1 of the same transactions, then longer.
    replacement = node.chain.build_block(
        genesis, attributes_on(genesis, genesis.timestamp + 3, ()), list(old.block.transactions[:2]),
    )
    assert replacement.header.hash != old.header.hash
    node.notify_new_head(replacement.header)
    assert head_nonce(node) == 2 and pool_nonces(node) == ([2], [])


async def test_evm_revert_takes_nothing_back(node: L2Node) -> None:
    """Dev mode's evm_revert (as anvil's): the blocks above the snapshot are gone with their
    transactions; later pooled nonces queue behind the gap, as on anvil."""
    genesis = node.chain.head
    await send(node, 0, 1)
    build_on(node, genesis, genesis.timestamp + 1)
    await send(node, 2)
    node.chain.rewind_to(genesis)
    node.notify_rewound_head(genesis)
    assert head_nonce(node) == 0 and pool_nonces(node) == ([], [2])
    assert pending_nonce(node) == 0


async def test_transactions_of_blocks_derivation_replaces_survive_a_crash_before_the_pool_reset(tmp_path: Path) -> None:
    """Derivation writes its block, then the pool takes the replaced blocks' transactions back;
    a crash between the two lost them once the journal had been compacted after they were mined
    (a restart compacts it). Now `keep_replaced_transactions` journals them before the chain write:
    a node opened again on the data dir (no reset ever ran) has them pending, nonces 0..4, and
    the replacement chain's head nonce is 0. The next block mines each once."""
    data_dir = tmp_path / "l2"
    node = L2Node.open(data_dir, GENESIS)
    genesis = node.chain.head
    await send(node, *range(5))
    build_on(node, genesis, genesis.timestamp + 1)
    assert head_nonce(node) == 5 and len(node.txpool) == 0
    node.close()
    node = L2Node.open(data_dir, GENESIS)  # a restart: the journal compacted to the (empty) pool
    assert (data_dir / "transactions.journal").stat().st_size == 0
    assert node.keep_replaced_transactions(genesis) == 5  # what the pipeline calls before the write
    node.chain.build_block(genesis, attributes_on(genesis, genesis.timestamp + 5, ()), [])
    node.close()  # the crash: the pool is never reset onto the replacement
    node = L2Node.open(data_dir, GENESIS)
    try:
        assert head_nonce(node) == 0 and pool_nonces(node) == (list(range(5)), [])
        build_on(node, node.chain.head, node.chain.head.timestamp + 1)
        assert head_nonce(node) == 5 and all(mined_once(node, transfer(n)) for n in range(5)) and len(node.txpool) == 0
        assert node.keep_replaced_transactions(node.chain.head) == 0  # nothing above the head: nothing leaves
    finally:
        node.close()
