"""`node.address_index` through `Chain.transactions_of_address`: the index moves with the
canonical chain in the same atomic batch, so it is right after an unsafe reorg, after a reorg back
to the old branch (its blocks' entries come back), after `rewind_to`, and after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest
from eth_utils import to_canonical_address

from genesis.dev_accounts import dev_accounts
from node.chain import Chain
from node.errors import AddressIndexIncomplete
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


# --- backfill of a data dir written before the index existed -----------------------------------

def _strip_address_index(tmp_path: Path, *, read_records_too: bool = False) -> None:
    """Make `tmp_path` look like a data dir from before the index (and, optionally, before read
    records): delete those keys with plyvel, the chain closed."""
    import plyvel

    db = plyvel.DB(str(tmp_path / "chaindata"))
    prefixes = [b"lantau:addr"] + ([b"lantau:blockidx:", b"lantau:txrec:"] if read_records_too else [])
    for prefix in prefixes:
        for key in [k for k, _ in db.iterator(prefix=prefix)]:
            db.delete(key)
    db.close()


def _chain_of_three_blocks(tmp_path: Path) -> tuple[Chain, list[bytes]]:
    chain = Chain.open(tmp_path, GENESIS)
    built = chain.build_block(chain.head, attributes(chain), [transfer(0), transfer(1, to=CAROL.address)])
    built = chain.build_block(built.header, attributes(chain, timestamp=built.header.timestamp + 1), [transfer(2)])
    built = chain.build_block(built.header, attributes(chain, timestamp=built.header.timestamp + 1), [transfer(3, to=CAROL.address)])
    hashes = [tx.hash for number in (1, 2, 3) for tx in chain.transactions(chain.canonical_hash(number))]
    return chain, hashes


def test_a_fresh_data_dir_needs_no_backfill(tmp_path: Path) -> None:
    chain = Chain.open(tmp_path, GENESIS)
    assert chain.address_backfill_height == 0
    assert chain.backfill_address_index(10) == 0
    chain.close()


def test_an_old_data_dir_is_backfilled_newest_first_resuming_after_a_restart(tmp_path: Path) -> None:
    chain, (a0, a1, b0, c0) = _chain_of_three_blocks(tmp_path)
    expected_alice = [(3, 0, c0), (2, 0, b0), (1, 1, a1), (1, 0, a0)]
    assert history(chain, ALICE.address) == expected_alice
    chain.close()
    _strip_address_index(tmp_path)
    import plyvel  # the backfill key too: a data dir from before it existed

    db = plyvel.DB(str(tmp_path / "chaindata"))
    db.delete(b"lantau:addrbackfill")
    db.close()

    upgraded = Chain.open(tmp_path, GENESIS)
    assert upgraded.address_backfill_height == 3
    with pytest.raises(AddressIndexIncomplete, match="blocks 1 to 3 are not listed yet"):
        history(upgraded, ALICE.address)  # a short page would say "no more": refused instead
    assert upgraded.backfill_address_index(2) == 1  # blocks 3 and 2 indexed
    assert history(upgraded, ALICE.address, limit=2) == [(3, 0, c0), (2, 0, b0)]  # a full page above P is answered
    with pytest.raises(AddressIndexIncomplete, match="blocks 1 to 1 .*this page has 2 newer"):
        history(upgraded, ALICE.address)
    upgraded.close()

    resumed = Chain.open(tmp_path, GENESIS)  # a restart mid-backfill resumes from block 1
    assert resumed.address_backfill_height == 1
    assert resumed.backfill_address_index(2) == 0
    assert history(resumed, ALICE.address) == expected_alice
    assert history(resumed, CAROL.address) == [(3, 0, c0), (1, 1, a1)]
    assert history(resumed, BOB.address) == [(2, 0, b0), (1, 0, a0)]
    assert resumed.backfill_address_index(2) == 0
    resumed.close()


def test_a_reorg_during_backfill_leaves_no_stale_entry(tmp_path: Path) -> None:
    """Blocks stored before read records too (entries derived from body and receipts): block 3 is
    replaced while the backfill has not reached it, block 2 after it has; neither old transaction
    may stay listed."""
    chain, (a0, a1, b0, c0) = _chain_of_three_blocks(tmp_path)
    chain.close()
    _strip_address_index(tmp_path, read_records_too=True)
    import plyvel

    db = plyvel.DB(str(tmp_path / "chaindata"))
    db.put(b"lantau:addrbackfill", (2).to_bytes(8, "big"))  # as if stopped after block 3
    db.close()
    upgraded = Chain.open(tmp_path, GENESIS)
    block1 = upgraded.header_by_number(1)
    assert upgraded.backfill_address_index(1) == 1  # block 2 (no read records) indexed from its body
    assert history(upgraded, ALICE.address, limit=1) == [(2, 0, b0)]
    replacement = upgraded.build_block(block1, attributes(upgraded, timestamp=block1.timestamp + 5), [transfer(2, to=CAROL.address)])
    assert upgraded.backfill_address_index(5) == 0
    d0 = replacement.block.transactions[0].hash
    assert history(upgraded, ALICE.address) == [(2, 0, d0), (1, 1, a1), (1, 0, a0)]
    assert history(upgraded, BOB.address) == [(1, 0, a0)]  # b0 (old block 2) is gone
    assert history(upgraded, CAROL.address) == [(2, 0, d0), (1, 1, a1)]  # c0 (old block 3) never listed
    upgraded.close()
