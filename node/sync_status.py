"""`lantau_syncStatus`, shaped like op-node's `optimism_syncStatus`."""

from __future__ import annotations

from typing import Any

from eth.abc import BlockHeaderAPI
from eth_utils import encode_hex

from node.chain import Chain
from node.l1_block_ref import L1BlockRef
from node.l1_info import read_l1_origin

_ZERO = "0x" + "00" * 32


def l1_block_ref(ref: L1BlockRef | None) -> dict[str, Any]:
    if ref is None:
        return {"hash": _ZERO, "number": 0, "parentHash": _ZERO, "timestamp": 0}
    return {"hash": encode_hex(ref.hash), "number": ref.number, "parentHash": encode_hex(ref.parent_hash), "timestamp": ref.timestamp}


def l2_block_ref(chain: Chain, header: BlockHeaderAPI) -> dict[str, Any]:
    origin = read_l1_origin(chain.state_at(header))
    return {
        "hash": encode_hex(header.hash),
        "number": header.block_number,
        "parentHash": encode_hex(header.parent_hash),
        "timestamp": header.timestamp,
        "l1origin": {"hash": encode_hex(origin.hash) if origin else _ZERO, "number": origin.number if origin else 0},
        "sequenceNumber": origin.sequence_number if origin else 0,
    }


def sync_status(
    chain: Chain,
    *,
    unsafe: BlockHeaderAPI,
    safe: BlockHeaderAPI,
    finalized: BlockHeaderAPI,
    current_l1: L1BlockRef | None,
    head_l1: L1BlockRef | None,
    safe_l1: L1BlockRef | None,
    finalized_l1: L1BlockRef | None,
) -> dict[str, Any]:
    return {
        "current_l1": l1_block_ref(current_l1),
        "head_l1": l1_block_ref(head_l1),
        "safe_l1": l1_block_ref(safe_l1),
        "finalized_l1": l1_block_ref(finalized_l1),
        "unsafe_l2": l2_block_ref(chain, unsafe),
        "safe_l2": l2_block_ref(chain, safe),
        "finalized_l2": l2_block_ref(chain, finalized),
    }
