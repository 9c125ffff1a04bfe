"""`FlatTrieCache`: pairs by root, carried over to the next root; and the chain's blocks and
state reads through it stay those of py-evm's stock `AccountDB` across a reorg and a restart."""

from __future__ import annotations

from pathlib import Path

import rlp
from eth.constants import BLANK_ROOT_HASH
from eth.rlp.accounts import Account as AccountRLP
from eth_utils import keccak, to_canonical_address
from trie import HexaryTrie

from genesis.dev_accounts import dev_accounts
from genesis.predeploys import SEQUENCER_FEE_VAULT
from node.chain import BlockAttributes, Chain
from node.trie_cache import FLAT_TRIE_CACHE, FlatTrieCache
from node.trie_update import BufferedHexaryTrie
from tests.node.test_state_db import GENESIS, _signed, _stock_chain

ROOT_A, ROOT_B, ROOT_C = b"\xaa" * 32, b"\xbb" * 32, b"\xcc" * 32
TO_X, TO_Y = b"\x11" * 20, b"\x22" * 20


def test_pairs_are_kept_by_root_and_carried_to_the_next_root() -> None:
    cache = FlatTrieCache()
    cache.put(ROOT_A, b"k1", b"v1")
    cache.put(ROOT_A, b"k2", b"")  # known absent
    assert cache.get(ROOT_A, b"k1") == b"v1" and cache.get(ROOT_A, b"k2") == b"" and cache.get(ROOT_A, b"k3") is None
    assert cache.get(ROOT_B, b"k1") is None  # another root knows nothing
    cache.advance(ROOT_A, ROOT_B, {b"k1": b"", b"k3": b"v3"})
    assert cache.get(ROOT_B, b"k1") == b"" and cache.get(ROOT_B, b"k2") == b"" and cache.get(ROOT_B, b"k3") == b"v3"
    assert cache.get(ROOT_A, b"k1") == b"v1"  # the old root still reads as it was


def test_blank_root_is_never_cached_and_old_roots_are_evicted() -> None:
    cache = FlatTrieCache(max_roots=2)
    cache.put(BLANK_ROOT_HASH, b"k", b"v")
    assert cache.get(BLANK_ROOT_HASH, b"k") is None
    for root in (ROOT_A, ROOT_B, ROOT_C):
        cache.put(root, b"k", root)
    assert cache.get(ROOT_A, b"k") is None and cache.get(ROOT_B, b"k") == ROOT_B and cache.get(ROOT_C, b"k") == ROOT_C


def test_entries_are_bounded_over_all_roots() -> None:
    cache = FlatTrieCache(max_entries=10)
    for index in range(8):
        cache.put(ROOT_A, b"k%d" % index, b"v")
    cache.advance(ROOT_A, ROOT_B, {b"new": b"v"})  # B copies A's 8 and adds one: 17 > 10
    assert cache.get(ROOT_A, b"k0") is None  # the older root went
    assert cache.get(ROOT_B, b"k0") == b"v" and cache.get(ROOT_B, b"new") == b"v"
    assert cache.entries == 9
    for index in range(20):  # one root alone at the bound starts over
        cache.put(ROOT_B, b"x%d" % index, b"v")
    assert cache.entries <= 10 and cache.get(ROOT_B, b"x19") == b"v"
    cache.clear()
    assert cache.entries == 0 and cache.get(ROOT_B, b"x19") is None


def test_buffered_trie_reads_through_the_cache_and_fills_it() -> None:
    cache = FlatTrieCache()
    db: dict[bytes, bytes] = {}
    trie = BufferedHexaryTrie(db, cache=cache)
    trie[b"key"] = b"value" * 10
    root = trie.root_hash
    assert cache.get(root, b"key") == b"value" * 10  # carried over by the write
    reader = BufferedHexaryTrie(db, root, cache=cache)
    assert reader[b"other"] == b"" and cache.get(root, b"other") == b""  # a miss read from the trie, recorded


def _block(chain: Chain, parent, txs):
    attributes = BlockAttributes(timestamp=parent.timestamp + 1, fee_recipient=SEQUENCER_FEE_VAULT,
                                 prev_randao=b"\x01" * 32, gas_limit=parent.gas_limit)
    built = chain.build_block(parent, attributes, txs)
    assert not built.rejected
    return built.header


def _balances_from_trie(chain: Chain, header, addresses) -> list[int]:
    """Balances read straight from the stored trie nodes, bypassing every cache."""
    trie = HexaryTrie(chain.db, header.state_root)
    return [rlp.decode(trie[keccak(a)], sedes=AccountRLP).balance if trie[keccak(a)] else 0 for a in addresses]


def _reorg_sequence(chain: Chain) -> list:
    """a1, a2 on genesis; then b1 on genesis (a reorg: a1, a2 leave the canonical chain), b2 on b1."""
    alice, bob = dev_accounts()[0], dev_accounts()[1]
    genesis = chain.head
    a1 = _block(chain, genesis, [_signed(alice.private_key, 0, to=TO_X, value=5, gas=21_000),
                                 _signed(bob.private_key, 0, to=TO_Y, value=7, gas=21_000)])
    a2 = _block(chain, a1, [_signed(bob.private_key, 1, to=TO_X, value=1, gas=21_000)])
    b1 = _block(chain, genesis, [_signed(alice.private_key, 0, to=TO_Y, value=9, gas=21_000)])
    b2 = _block(chain, b1, [_signed(alice.private_key, 1, to=TO_X, value=11, gas=21_000)])
    return [a1, a2, b1, b2]


def test_blocks_and_reads_across_a_reorg_match_stock_account_db() -> None:
    FLAT_TRIE_CACHE.clear()
    ours = Chain.open(None, GENESIS)
    addresses = [to_canonical_address(a.address) for a in dev_accounts()[:2]] + [TO_X, TO_Y]
    for mine, theirs in zip(_reorg_sequence(ours), _reorg_sequence(_stock_chain())):
        assert mine.hash == theirs.hash
        state = ours.state_at(mine)  # a1 and a2 read after the reorg too
        assert [state.get_balance(a) for a in addresses] == _balances_from_trie(ours, mine, addresses)


def test_blocks_after_a_restart_match_stock_account_db(tmp_path: Path) -> None:
    FLAT_TRIE_CACHE.clear()
    alice = dev_accounts()[0]
    chain = Chain.open(tmp_path, GENESIS)
    first = _block(chain, chain.head, [_signed(alice.private_key, 0, to=b"\x33" * 20, value=3, gas=21_000)])
    chain.close()
    stock = _stock_chain()
    expected_first = _block(stock, stock.head, [_signed(alice.private_key, 0, to=b"\x33" * 20, value=3, gas=21_000)])
    expected_second = _block(stock, expected_first, [_signed(alice.private_key, 1, to=b"\x33" * 20, value=4, gas=21_000)])
    for cleared in (False, True):  # the same process (cache warm) and as a new one (cache empty)
        if cleared:
            FLAT_TRIE_CACHE.clear()
        reopened = Chain.open(tmp_path, GENESIS)
        assert reopened.head.hash == first.hash == expected_first.hash
        second = _block(reopened, reopened.head, [_signed(alice.private_key, 1, to=b"\x33" * 20, value=4, gas=21_000)])
        assert second.hash == expected_second.hash
        assert reopened.state_at(second).get_balance(b"\x33" * 20) == 7
        reopened.rewind_to(first)
        reopened.close()
