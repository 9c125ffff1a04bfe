"""The chain's one write path: atomic block building on LevelDB, restart, and reorg of the head."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_account import Account
from eth_utils import to_canonical_address

from genesis.config import GenesisConfig
from genesis.dev_accounts import dev_accounts
from genesis.predeploys import BASE_FEE_VAULT, SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.errors import GenesisMismatch
from node.vm import LantauVM

GENESIS = GenesisConfig.load()
ALICE, BOB = dev_accounts()[0], dev_accounts()[1]


def transfer(nonce: int, value: int = 1, *, tip: int = 10, key: str = ALICE.private_key, to: str = BOB.address):
    signed = Account.sign_transaction(
        {"to": to, "value": value, "gas": 21_000, "maxFeePerGas": 3 * 10**9, "maxPriorityFeePerGas": tip,
         "nonce": nonce, "chainId": GENESIS.chain_id, "type": 2},
        key,
    )
    return LantauVM.get_transaction_builder().decode(bytes(signed.raw_transaction))


def attributes(chain: Chain, **overrides) -> BlockAttributes:
    fields = dict(timestamp=chain.head.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT, prev_randao=b"\x01" * 32, gas_limit=chain.head.gas_limit)
    fields.update(overrides)
    return BlockAttributes(**fields)


def test_fees_go_to_the_vaults_not_burned() -> None:
    """Total native HKD is conserved: sender's loss == recipient's gain + base fee vault + sequencer vault."""
    chain = Chain.open(None, GENESIS)
    before = chain.state_at(chain.head)
    total_before = sum(before.get_balance(a) for a in (to_canonical_address(ALICE.address), to_canonical_address(BOB.address), BASE_FEE_VAULT, SEQUENCER_FEE_VAULT))
    built = chain.build_block(chain.head, attributes(chain), [transfer(n, 10**18) for n in range(3)])
    after = chain.state_at(built.header)
    base_fee = built.header.base_fee_per_gas
    assert after.get_balance(BASE_FEE_VAULT) == 3 * 21_000 * base_fee
    assert after.get_balance(SEQUENCER_FEE_VAULT) == 3 * 21_000 * 10
    total_after = sum(after.get_balance(a) for a in (to_canonical_address(ALICE.address), to_canonical_address(BOB.address), BASE_FEE_VAULT, SEQUENCER_FEE_VAULT))
    assert total_after == total_before


def test_invalid_pool_transaction_is_skipped_not_fatal() -> None:
    chain = Chain.open(None, GENESIS)
    built = chain.build_block(chain.head, attributes(chain), [transfer(0), transfer(5), transfer(1)])
    assert [tx.nonce for tx in built.block.transactions] == [0, 1]
    assert len(built.rejected) == 1 and built.rejected[0].transaction.nonce == 5


def test_block_survives_reopen_with_same_head_and_state(tmp_path: Path) -> None:
    chain = Chain.open(tmp_path, GENESIS)
    built = chain.build_block(chain.head, attributes(chain), [transfer(0), transfer(1)])
    receipts = chain.receipts(built.header.hash)
    chain.close()
    reopened = Chain.open(tmp_path, GENESIS)
    assert reopened.head.hash == built.header.hash
    assert reopened.head.state_root == built.header.state_root
    assert [r.encode() for r in reopened.receipts(built.header.hash)] == [r.encode() for r in receipts]
    location = reopened.transaction_location(built.block.transactions[1].hash)
    assert location is not None and (location.block_number, location.index) == (1, 1)
    reopened.close()


def test_failed_build_writes_nothing(tmp_path: Path) -> None:
    """A block whose forced (deposit-like) transaction fails is not half-written."""
    chain = Chain.open(tmp_path, GENESIS)
    head = chain.head
    with pytest.raises(Exception):
        chain.build_block(head, attributes(chain, forced_transactions=(transfer(7),)), [transfer(0)])
    assert chain.head.hash == head.hash
    assert chain.transaction_location(transfer(0).hash) is None
    assert chain.canonical_hash(1) is None
    chain.close()


def test_other_genesis_is_refused(tmp_path: Path) -> None:
    Chain.open(tmp_path, GENESIS).close()
    other = GenesisConfig(GENESIS.chain_id, GENESIS.timestamp + 5, GENESIS.gas_limit, GENESIS.base_fee_per_gas, GENESIS.extra_data, GENESIS.coinbase, GENESIS.alloc)
    with pytest.raises(GenesisMismatch, match="genesis"):
        Chain.open(tmp_path, other)


def test_replacing_the_head_moves_transaction_index() -> None:
    """Rebuilding block 1 on the same parent (an unsafe-head reorg) replaces the canonical block."""
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    first = chain.build_block(genesis, attributes(chain), [transfer(0)])
    second = chain.build_block(genesis, attributes(chain, timestamp=genesis.timestamp + 2), [transfer(0, tip=20)])
    assert chain.head.hash == second.header.hash != first.header.hash
    assert chain.transaction_location(first.block.transactions[0].hash) is None
    assert chain.transaction_location(second.block.transactions[0].hash).block_hash == second.header.hash


def test_a_replacing_chain_that_overtakes_the_old_one() -> None:
    """An L1 reorg under unsafe blocks: blocks 1-2 are rebuilt differently and the new chain
    grows past the old height. py-evm's own canonical bookkeeping read the replaced blocks'
    transaction tries back at that point (MissingTrieNode: build_block never stored them)."""
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    old_1 = chain.build_block(genesis, attributes(chain), [transfer(0)])
    old_2 = chain.build_block(old_1.header, attributes(chain), [transfer(1)])
    new = [chain.build_block(genesis, attributes(chain, timestamp=genesis.timestamp + 2), [transfer(0, tip=20)])]
    for number in range(2, 6):  # overtakes the old height (2) by three blocks
        new.append(chain.build_block(new[-1].header, attributes(chain, timestamp=new[-1].header.timestamp + 1), [transfer(number - 1, tip=20)]))

    assert chain.head.hash == new[-1].header.hash
    assert [chain.canonical_hash(n) for n in range(1, 6)] == [b.header.hash for b in new]
    for replaced in (old_1, old_2):
        assert chain.transaction_location(replaced.block.transactions[0].hash) is None
    for number, built in enumerate(new, start=1):
        location = chain.transaction_location(built.block.transactions[0].hash)
        assert (location.block_hash, location.block_number, location.index) == (built.header.hash, number, 0)
    state = chain.state_at(chain.head)
    assert state.get_nonce(to_canonical_address(ALICE.address)) == 5
    assert state.get_balance(to_canonical_address(BOB.address)) == chain.state_at(genesis).get_balance(to_canonical_address(BOB.address)) + 5


def test_a_replaced_chain_survives_reopen_and_can_be_replaced_back(tmp_path: Path) -> None:
    """The old branch's blocks stay readable by hash; rebuilding on the old branch again (a
    second reorg back) makes its blocks canonical again, and all of it is on disk. The same
    transaction sits at height 2 on one branch and at height 1 on the other."""
    chain = Chain.open(tmp_path, GENESIS)
    genesis = chain.head
    old = [chain.build_block(genesis, attributes(chain))]
    old.append(chain.build_block(old[-1].header, attributes(chain, timestamp=old[-1].header.timestamp + 1), [transfer(0)]))
    new = [chain.build_block(genesis, attributes(chain, timestamp=genesis.timestamp + 3), [transfer(0)])]
    for _ in range(3):
        new.append(chain.build_block(new[-1].header, attributes(chain, timestamp=new[-1].header.timestamp + 1)))
    assert chain.transaction_location(transfer(0).hash).block_hash == new[0].header.hash
    back = chain.build_block(old[-1].header, attributes(chain, timestamp=old[-1].header.timestamp + 1))
    for _ in range(4):
        back = chain.build_block(back.header, attributes(chain, timestamp=back.header.timestamp + 1))
    chain.close()

    reopened = Chain.open(tmp_path, GENESIS)
    assert reopened.head.hash == back.header.hash and reopened.head.block_number == 7
    assert [reopened.canonical_hash(n) for n in (1, 2)] == [old[0].header.hash, old[1].header.hash]
    location = reopened.transaction_location(transfer(0).hash)
    assert (location.block_hash, location.block_number, location.index) == (old[1].header.hash, 2, 0)
    assert reopened.header_by_hash(new[-1].header.hash).block_number == 4  # still readable by hash
    assert reopened.canonical_hash(8) is None
    reopened.close()


def test_stop_filling_leaves_the_remaining_pool_transactions_out() -> None:
    """Neither included nor rejected: the sequencer's time budget ran out (issue 13)."""
    chain = Chain.open(None, GENESIS)
    asked = iter([False, False, True])
    built = chain.build_block(chain.head, attributes(chain), [transfer(n) for n in range(4)],
                              stop_filling=lambda: next(asked))
    assert [tx.nonce for tx in built.block.transactions] == [0, 1] and built.rejected == ()
    assert chain.state_at(chain.head).get_nonce(to_canonical_address(ALICE.address)) == 2
