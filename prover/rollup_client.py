"""The proposer's reader of an L2 node's rollup methods over JSON-RPC (`lantau_syncStatus`,
`lantau_outputAtBlock`), as op-proposer reads op-node's `optimism_*` methods: plain HTTP, so
the proposer can run beside the node or anywhere else."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from node.errors import TemporaryError
from prover.errors import RollupRpcError



class RollupClient:
    def __init__(self, rpc_url: str, *, timeout_s: float = 30.0) -> None:
        self.rpc_url, self.timeout_s = rpc_url, timeout_s
        self._next_id = 0

    def _call(self, method: str, params: list[Any]) -> Any:
        self._next_id += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self._next_id, "method": method, "params": params}).encode()
        request = urllib.request.Request(self.rpc_url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                reply = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise TemporaryError(f"L2 node unreachable ({method}): {exc}") from exc
        if "error" in reply:
            raise RollupRpcError(f"{method}: {reply['error'].get('message')}")
        return reply["result"]

    def safe_l2_number(self) -> int:
        return int(self._call("lantau_syncStatus", [])["safe_l2"]["number"])

    def output_at(self, number: int) -> bytes:
        """The output root of L2 block `number`."""
        return bytes.fromhex(self._call("lantau_outputAtBlock", [hex(number)])["outputRoot"][2:])

    def dispute_block(self, number: int) -> dict[str, Any]:
        """`lantau_disputeBlock`: what a dispute game needs of L2 block `number` (`prover.dispute_block`)."""
        return dict(self._call("lantau_disputeBlock", [hex(number)]))

    def derivation_end(self, number: int) -> dict[str, Any]:
        """`lantau_derivationEnd`: derivation's state after L2 block `number`'s L1 range (node/rpc/rollup.py)."""
        return dict(self._call("lantau_derivationEnd", [hex(number)]))

    def derivation_trace(self, number: int) -> dict[str, Any]:
        """`lantau_derivationTrace`: S, E and the commitment after each L1 block of block `number`'s range."""
        return dict(self._call("lantau_derivationTrace", [hex(number)]))

    def derivation_state(self, number: int, l1_block: int) -> dict[str, Any]:
        """`lantau_derivationState`: the state before L1 block `l1_block` whole, and the batches reaching the queue in it."""
        return dict(self._call("lantau_derivationState", [hex(number), hex(l1_block)]))

    def tx_witness(self, number: int, index: int) -> dict[str, Any]:
        """`lantau_txWitness`: the one-step proof witness of transaction `index` of block `number`."""
        return dict(self._call("lantau_txWitness", [hex(number), hex(index)]))

    def block(self, number: int) -> dict[str, Any]:
        """`eth_getBlockByNumber(number, false)`: the header fields as raw JSON."""
        return dict(self._call("eth_getBlockByNumber", [hex(number), False]))

    def proof(self, address: str, slots: list[str], number: int) -> dict[str, Any]:
        """`eth_getProof(address, slots, number)`."""
        return dict(self._call("eth_getProof", [address, slots, hex(number)]))
