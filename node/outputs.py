"""Output roots of L2 blocks, read from the chain: what `lantau_outputAtBlock` serves and the
proposer posts to L1 (OP Stack's `optimism_outputAtBlock`, version 0)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp
from eth.abc import BlockHeaderAPI
from eth.constants import BLANK_ROOT_HASH
from eth.rlp.accounts import Account
from eth_hash.auto import keccak
from eth_typing import Hash32
from eth_utils import encode_hex
from trie import HexaryTrie

from genesis.predeploys import L2_TO_L1_MESSAGE_PASSER
from node.chain import Chain
from node.output_root import OUTPUT_VERSION_V0, output_root


@dataclass(frozen=True, slots=True)
class OutputAtBlock:
    block_number: int
    block_hash: Hash32
    state_root: Hash32
    withdrawal_storage_root: Hash32
    output_root: Hash32


def message_passer_storage_root(chain: Chain, header: BlockHeaderAPI) -> Hash32:
    encoded = HexaryTrie(chain.db, header.state_root).get(keccak(L2_TO_L1_MESSAGE_PASSER))
    if not encoded:
        return Hash32(BLANK_ROOT_HASH)
    return Hash32(rlp.decode(encoded, sedes=Account).storage_root)


def output_at_block(chain: Chain, header: BlockHeaderAPI) -> OutputAtBlock:
    passer_root = message_passer_storage_root(chain, header)
    return OutputAtBlock(
        block_number=header.block_number,
        block_hash=Hash32(header.hash),
        state_root=Hash32(header.state_root),
        withdrawal_storage_root=passer_root,
        output_root=output_root(Hash32(header.state_root), passer_root, Hash32(header.hash)),
    )


def output_json(output: OutputAtBlock) -> dict[str, Any]:
    return {
        "version": encode_hex(OUTPUT_VERSION_V0),
        "outputRoot": encode_hex(output.output_root),
        "blockRef": {"hash": encode_hex(output.block_hash), "number": output.block_number},
        "stateRoot": encode_hex(output.state_root),
        "withdrawalStorageRoot": encode_hex(output.withdrawal_storage_root),
    }
