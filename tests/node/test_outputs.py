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
    # The passer either is absent or has empty storage at genesis: its root is the empty trie's.
    assert output.withdrawal_storage_root == BLANK_ROOT_HASH
    assert output.output_root == keccak(bytes(32) + header.state_root + BLANK_ROOT_HASH + header.hash)


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
