"""eth_getProof (EIP-1186): Merkle proofs of an account and its storage slots.

The account proof is the path of trie nodes from the block's state root to the leaf at
`keccak(address)`; each storage proof the path from the account's storage root to the leaf at
`keccak(slot as 32 bytes)`. Nodes are RLP-encoded; a node shorter than 32 bytes is embedded in
its parent and not listed separately (as geth lists them). A proof of an absent account or
slot is the path to where it would be, and verifies to an empty value; anyone holding the
state root can check a proof with `trie.HexaryTrie.get_from_proof(root, key, nodes)`.
"""

from __future__ import annotations

from typing import Any, Sequence

import rlp
from eth.abc import BlockHeaderAPI
from eth.constants import BLANK_ROOT_HASH, EMPTY_SHA3
from eth.rlp.accounts import Account
from eth_hash.auto import keccak
from eth_typing import Address
from rlp.sedes import big_endian_int
from trie import HexaryTrie

from node.chain import Chain
from node.rpc.execution import Deadline
from node.rpc.format import JSON, data, quantity


def _encoded_proof(nodes: Sequence[Any]) -> list[bytes]:
    encoded = [rlp.encode(node) for node in nodes]
    return [node for index, node in enumerate(encoded) if index == 0 or len(node) >= 32]


def account_proof(
    chain: Chain, header: BlockHeaderAPI, address: Address, storage_keys: Sequence[tuple[str, int]],
    *, deadline: Deadline,
) -> JSON:
    """The EIP-1186 answer for `address` at `header`'s state. `storage_keys` are
    (text as given, slot) pairs: the answer echoes each key's text. Blocking: reads the trie;
    stops at `deadline`, checked before each key."""
    state_trie = HexaryTrie(chain.db, header.state_root)
    account_key = keccak(address)
    encoded_account = state_trie.get(account_key)
    account = rlp.decode(encoded_account, sedes=Account) if encoded_account else Account(0, 0, BLANK_ROOT_HASH, EMPTY_SHA3)
    storage_trie = HexaryTrie(chain.db, account.storage_root)
    storage_proofs = []
    for text, slot in storage_keys:
        deadline.check()
        slot_key = keccak(slot.to_bytes(32, "big"))
        encoded_value = storage_trie.get(slot_key) if account.storage_root != BLANK_ROOT_HASH else b""
        value = rlp.decode(encoded_value, sedes=big_endian_int) if encoded_value else 0
        nodes = storage_trie.get_proof(slot_key) if account.storage_root != BLANK_ROOT_HASH else ()
        storage_proofs.append(
            {"key": text, "value": quantity(value), "proof": [data(node) for node in _encoded_proof(nodes)]}
        )
    return {
        "address": data(address),
        "accountProof": [data(node) for node in _encoded_proof(state_trie.get_proof(account_key))],
        "balance": quantity(account.balance),
        "codeHash": data(account.code_hash),
        "nonce": quantity(account.nonce),
        "storageHash": data(account.storage_root),
        "storageProof": storage_proofs,
    }
