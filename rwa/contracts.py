"""The RWA predeploys as web3.py contracts: ABIs from the committed artifacts
(`genesis.artifacts.load_artifact`), addresses from `genesis.predeploys`; and the decoding of
revert data into the contracts' custom errors."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi import decode as abi_decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract

from genesis.artifacts import load_artifact
from genesis.predeploys import RWA_PREDEPLOYS

#: Contracts whose errors a revert may carry (the tokens bubble up through the engine).
ERROR_SOURCES = (*RWA_PREDEPLOYS, "RWAToken", "AgentWallet")


@dataclass(frozen=True, slots=True)
class DecodedRevert:
    name: str  # custom error name, "Error" (require string), "Panic", or "<unknown>"
    args: tuple[Any, ...]
    data: bytes


def _abi_type(param: dict[str, Any]) -> str:
    if param["type"].startswith("tuple"):
        return "(" + ",".join(_abi_type(c) for c in param["components"]) + ")" + param["type"][5:]
    return param["type"]


@cache
def _error_table() -> dict[bytes, tuple[str, tuple[str, ...]]]:
    table: dict[bytes, tuple[str, tuple[str, ...]]] = {
        keccak(text="Error(string)")[:4]: ("Error", ("string",)),
        keccak(text="Panic(uint256)")[:4]: ("Panic", ("uint256",)),
    }
    for name in ERROR_SOURCES:
        for item in load_artifact(name).abi:
            if item["type"] == "error":
                types = tuple(_abi_type(i) for i in item["inputs"])
                table[keccak(text=f"{item['name']}({','.join(types)})")[:4]] = (item["name"], types)
    return table


def decode_revert(data: bytes) -> DecodedRevert:
    """Revert data -> the custom error and its arguments (addresses checksummed)."""
    name, types = _error_table().get(bytes(data[:4]), ("<unknown>", ()))
    if not types:
        return DecodedRevert(name, (), bytes(data))
    try:
        values = abi_decode(list(types), bytes(data[4:]))
    except Exception:  # malformed data: keep the raw bytes
        return DecodedRevert("<malformed>", (), bytes(data))
    args = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values))
    return DecodedRevert(name, args, bytes(data))


def innermost_revert(data: bytes) -> DecodedRevert:
    """Unwraps `BatchTradeFailed(index, tradeId, reason)` down to the failing trade's reason."""
    decoded = decode_revert(data)
    while decoded.name == "BatchTradeFailed" and isinstance(decoded.args[2], bytes):
        decoded = decode_revert(decoded.args[2])
    return decoded


@dataclass(frozen=True, slots=True)
class RWAContracts:
    """The seven predeploys, bound to one web3 connection."""

    w3: Web3
    registry: Contract
    compliance: Contract
    token_implementation: Contract
    factory: Contract
    engine: Contract
    actions: Contract
    price_feed: Contract

    @classmethod
    def at_predeploys(cls, w3: Web3) -> "RWAContracts":
        def at(name: str) -> Contract:
            return contract_at(w3, name, "0x" + RWA_PREDEPLOYS[name].hex())

        return cls(
            w3,
            at("IdentityRegistry"),
            at("Compliance"),
            at("RWAToken"),
            at("AssetFactory"),
            at("SettlementEngine"),
            at("CorporateActions"),
            at("PriceFeed"),
        )

    def token(self, address: str) -> Contract:
        return contract_at(self.w3, "RWAToken", address)


def contract_at(w3: Web3, name: str, address: str) -> Contract:
    return w3.eth.contract(address=to_checksum_address(address), abi=list(load_artifact(name).abi))
