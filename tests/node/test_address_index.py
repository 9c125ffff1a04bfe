"""`node.address_index` through `Chain.transactions_of_address`: the index moves with the
canonical chain in the same atomic batch, so it is right after an unsafe reorg, after a reorg back
to the old branch (its blocks' entries come back), after `rewind_to`, and after a restart."""

from __future__ import annotations

from pathlib import Path

from eth_utils import to_canonical_address

from genesis.dev_accounts import dev_accounts
from node.chain import Chain
from tests.node.test_chain import ALICE, BOB, GENESIS, attributes, transfer

CAROL = dev_accounts()[2]


def history(chain: Chain, address: str, **kwargs: int) -> list[tuple[int, int, bytes]]:
    return [(t.block_number, t.index, bytes(t.tx_hash))
            for t in chain.transactions_of_address(to_canonical_address(address), limit=kwargs.pop("limit", 100), **kwargs)]


def test_sender_and_recipient_are_listed_newest_first_and_paged() -> None:
    chain = Chain.open(None, GENESIS)
    one = chain.build_block(chain.head, attributes(chain), [transfer(0), transfer(1, to=CAROL.address)])
    two = chain.build_block(one.header, attributes(chain, timestamp=one.header.timestamp + 1), [transfer(2)])
    a0, a1, b0 = (one.block.transactions[0].hash, one.block.transactions[1].hash, two.block.transactions[0].hash)
    assert history(chain, ALICE.address) == [(2, 0, b0), (1, 1, a1), (1, 0, a0)]
    assert history(chain, BOB.address) == [(2, 0, b0), (1, 0, a0)]
    assert history(chain, CAROL.address) == [(1, 1, a1)]
    assert history(chain, ALICE.address, limit=2) == [(2, 0, b0), (1, 1, a1)]
    assert history(chain, ALICE.address, before_block=2) == [(1, 1, a1), (1, 0, a0)]
    assert history(chain, "0x" + "77" * 20) == []


def test_an_unsafe_reorg_and_a_rewind_move_the_index() -> None:
    chain = Chain.open(None, GENESIS)
    genesis = chain.head
    old = chain.build_block(genesis, attributes(chain), [transfer(0, to=CAROL.address)])
    new = chain.build_block(genesis, attributes(chain, timestamp=genesis.timestamp + 2), [transfer(0, tip=20)])
    assert history(chain, CAROL.address) == []  # the replaced block's transaction left the index
    assert history(chain, BOB.address) == [(1, 0, new.block.transactions[0].hash)]
    later = chain.build_block(new.header, attributes(chain, timestamp=new.header.timestamp + 1), [transfer(1)])
    chain.rewind_to(new.header)
    assert history(chain, ALICE.address) == [(1, 0, new.block.transactions[0].hash)]
    assert later.block.transactions[0].hash not in [h for _, _, h in history(chain, BOB.address)]
    assert old.header.hash != new.header.hash


def test_a_reorg_back_to_the_old_branch_restores_its_entries_and_survives_reopen(tmp_path: Path) -> None:
    chain = Chain.open(tmp_path, GENESIS)
    genesis = chain.head
    old = [chain.build_block(genesis, attributes(chain), [transfer(0, to=CAROL.address)])]
    old.append(chain.build_block(old[-1].header, attributes(chain, timestamp=old[-1].header.timestamp + 1), [transfer(1)]))
    new = chain.build_block(genesis, attributes(chain, timestamp=genesis.timestamp + 3), [transfer(0)])
    new = chain.build_block(new.header, attributes(chain, timestamp=new.header.timestamp + 1))
    new = chain.build_block(new.header, attributes(chain, timestamp=new.header.timestamp + 1))
    assert history(chain, CAROL.address) == []
    back = chain.build_block(old[-1].header, attributes(chain, timestamp=old[-1].header.timestamp + 1))  # height 3 on the old branch
    back = chain.build_block(back.header, attributes(chain, timestamp=back.header.timestamp + 1))
    expected = [(2, 0, old[1].block.transactions[0].hash), (1, 0, old[0].block.transactions[0].hash)]
    assert history(chain, ALICE.address) == expected
    chain.close()

    reopened = Chain.open(tmp_path, GENESIS)
    assert history(reopened, ALICE.address) == expected
    assert history(reopened, CAROL.address) == [(1, 0, old[0].block.transactions[0].hash)]
    assert history(reopened, BOB.address) == [(2, 0, old[1].block.transactions[0].hash)]
    reopened.close()
