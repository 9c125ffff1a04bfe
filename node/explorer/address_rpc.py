"""`lantau_getTransactionsByAddress(address, limit, beforeBlock)`: the canonical transactions that
touch `address` (as sender, recipient, or the contract a creation made), newest first, read from
the chain's address index (`node.address_index`). `limit` defaults to 50 and may be at most
1,000; `beforeBlock` (optional) lists only blocks below it, for the next page. Read-only; what the
explorer's address page shows, and what ethers' or Etherscan's "transactions of an address" gives.

    [{"blockNumber": "0x…", "transactionIndex": "0x…", "hash": "0x…"}, …]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from eth_typing import Address

from node.errors import InvalidParams
from node.rpc.context import RpcContext, RpcMethod
from node.rpc.params import Param, parse_address, parse_uint64

if TYPE_CHECKING:
    from node.chain import Chain

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 1_000


def address_rpc_methods(chain: "Chain") -> dict[str, RpcMethod]:
    def transactions_by_address(ctx: RpcContext, address: Address, limit: int, before_block: int | None) -> list[dict[str, Any]]:
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidParams(f"invalid argument 1: limit must be 1 to {MAX_LIMIT}, got {limit}")
        return [{"blockNumber": hex(t.block_number), "transactionIndex": hex(t.index), "hash": "0x" + bytes(t.tx_hash).hex()}
                for t in chain.transactions_of_address(address, limit=limit, before_block=before_block)]

    return {"lantau_getTransactionsByAddress": RpcMethod(
        "lantau_getTransactionsByAddress", transactions_by_address,
        (Param("address", parse_address), Param("limit", parse_uint64, DEFAULT_LIMIT), Param("beforeBlock", parse_uint64, None)))}
