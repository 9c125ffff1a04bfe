"""Output roots read from the chain: the passer's storage root comes from the state trie."""

from __future__ import annotations

from eth.constants import BLANK_ROOT_HASH
from eth_utils import keccak

from genesis.config import GenesisAccount, GenesisConfig
from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.chain import Chain
from node.outputs import output_at_block


def test_output_root_of_genesis_commits_to_its_parts() -> None:
    chain = Chain.open(None, GenesisConfig.load())
    header = chain.head
    output = output_at_block(chain, header)
    # At genesis the passer holds no withdrawal, only what the genesis told it of L1 (slots 2-4):
    # its storage root is the trie of exactly those slots, built here with py-trie.
    from trie import HexaryTrie
    import rlp

    passer = GenesisConfig.load().alloc[L2_TO_L1_MESSAGE_PASSER]
    assert sorted(passer.storage) == [2, 3, 4]
    trie = HexaryTrie({})
    for slot, value in passer.storage.items():
        trie[keccak(slot.to_bytes(32, "big"))] = rlp.encode(value)
    assert output.withdrawal_storage_root == trie.root_hash != BLANK_ROOT_HASH
    assert output.output_root == keccak(bytes(32) + header.state_root + trie.root_hash + header.hash)


def test_passer_storage_root_is_read_from_state() -> None:
    genesis = GenesisConfig.load().with_accounts({L2_TO_L1_MESSAGE_PASSER: GenesisAccount(code=b"\x00", storage={0: 1})})
    chain = Chain.open(None, genesis)
    output = output_at_block(chain, chain.head)
    # A one-slot storage trie: root = keccak(rlp([hp(keccak(slot)), rlp(1)])), computed by py-trie
    from trie import HexaryTrie
    import rlp

    trie = HexaryTrie({})
    trie[keccak((0).to_bytes(32, "big"))] = rlp.encode(1)
    assert output.withdrawal_storage_root == trie.root_hash != BLANK_ROOT_HASH
