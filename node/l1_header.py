"""The RLP encoding of an L1 block header, exactly as L1 hashes it (keccak256 of it is the
block hash). The one home of this encoding: the dispute's L1 header checks
(contracts/src/L1/lib/L1HeaderLib.sol) read it, and tools build it from a JSON-RPC block.

    rlp([parentHash, ommersHash, coinbase, stateRoot, transactionsRoot, receiptsRoot, logsBloom,
         difficulty, number, gasLimit, gasUsed, timestamp, extraData, mixHash, nonce,
         baseFeePerGas,                                   London (EIP-1559)
         withdrawalsRoot,                                 Shanghai (EIP-4895)
         blobGasUsed, excessBlobGas, parentBeaconBlockRoot,  Cancun (EIP-4844, EIP-4788)
         requestsHash])                                   Prague (EIP-7685)

Integers are minimal big-endian (0 is the empty string); the fork fields are present exactly
when the block has them.
"""

from __future__ import annotations

from typing import Any, Mapping

import rlp
from eth_typing import Hash32
from eth_utils import keccak, to_canonical_address

_BASE_FIELDS = (
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot", "logsBloom",
    "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData", "mixHash", "nonce",
)
_FORK_FIELDS = ("baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas", "parentBeaconBlockRoot", "requestsHash")
_INTEGER_FIELDS = {"difficulty", "number", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas", "blobGasUsed", "excessBlobGas"}


def encode_l1_header(block: Mapping[str, Any]) -> bytes:
    """The header RLP of `block`, a JSON-RPC block (web3.py's answer or raw 0x-hex)."""
    names = list(_BASE_FIELDS)
    for name in _FORK_FIELDS:
        if block.get(name) is None:
            break  # fork fields come in order: a later one never exists without the earlier
        names.append(name)
    return rlp.encode([_field(name, block[name]) for name in names])


def l1_header_hash(block: Mapping[str, Any]) -> Hash32:
    return Hash32(keccak(encode_l1_header(block)))


def _field(name: str, value: Any) -> int | bytes:
    if name in _INTEGER_FIELDS:
        return int(value, 16) if isinstance(value, str) else int(value)
    if name == "miner":
        return bytes(to_canonical_address(value))
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)
